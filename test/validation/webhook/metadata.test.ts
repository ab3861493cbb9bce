import { validateMetadata } from '../../../src/validation/webhook/metadata';
import { KubeObject } from '../../../src/validation/webhook/types';

function obj(annotations: Record<string, string>, spec: any = {}): KubeObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'default', annotations }, spec };
}

describe('M-1 dry-run annotation', () => {
  test('allowed on ALLOW/DENY AuthorizationPolicy with a bool value', () => {
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'true' }), 'AuthorizationPolicy')).toEqual([]);
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'False' }, { action: 'DENY', rules: [{}] }), 'AuthorizationPolicy')).toEqual([]);
  });

  test('rejected on other kinds', () => {
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'true' }), 'RequestAuthentication')).toEqual([
      expect.objectContaining({ rule: 'M-1', path: ['metadata', 'annotations', 'istio.io/dry-run'] }),
    ]);
  });

  test('rejected with a non-bool value or a CUSTOM/AUDIT action', () => {
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'yes' }), 'AuthorizationPolicy')[0].rule).toBe('M-1');
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'true' }, { action: 'CUSTOM' }), 'AuthorizationPolicy')[0].rule).toBe('M-1');
    expect(validateMetadata(obj({ 'istio.io/dry-run': 'true' }, { action: 'AUDIT' }), 'AuthorizationPolicy')[0].rule).toBe('M-1');
  });
});

describe('M-2 internal annotations', () => {
  test.each(['internal.istio.io/webhook-always-reject', 'internal.istio.io/parent-namespace', 'internal.istio.io/parents'])('%s is rejected', (a) => {
    expect(validateMetadata(obj({ [a]: 'x' }), 'Sidecar')).toEqual([
      expect.objectContaining({ rule: 'M-2', path: ['metadata', 'annotations', a] }),
    ]);
  });

  test('no annotations, no violations', () => {
    expect(validateMetadata({ metadata: { name: 'x' } }, 'Gateway')).toEqual([]);
    expect(validateMetadata({}, 'Gateway')).toEqual([]);
  });
});
