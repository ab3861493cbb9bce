import { describeObject, parseApiVersion } from '../../src/validation/object-ref';

describe('object references', () => {
  test('Kind/namespace/name, Kind/name, and placeholders for missing parts', () => {
    expect(describeObject({ kind: 'Sidecar', metadata: { name: 'default', namespace: 'istio-system' } })).toBe('Sidecar/istio-system/default');
    expect(describeObject({ kind: 'Namespace', metadata: { name: 'bookinfo' } })).toBe('Namespace/bookinfo');
    expect(describeObject(null)).toBe('<no kind>/<no name>');
  });

  test('apiVersion split into group and version', () => {
    expect(parseApiVersion('security.istio.io/v1')).toEqual({ group: 'security.istio.io', version: 'v1' });
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
  });
});
