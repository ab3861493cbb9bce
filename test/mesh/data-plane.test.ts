import { DataPlane, isAmbientNamespaceLabels } from '../../src/mesh/data-plane';

describe('DataPlane', () => {
  test('the two data planes, by the values users see in errors', () => {
    expect(Object.values(DataPlane)).toEqual(['sidecar', 'ambient']);
  });

  test.each<[object | undefined, boolean]>([
    [{ 'istio.io/dataplane-mode': 'ambient' }, true],
    [{ 'istio.io/dataplane-mode': 'none' }, false],
    [{ 'istio.io/dataplane-mode': 'Ambient' }, false],
    [{ 'istio-injection': 'enabled' }, false],
    [{}, false],
    [undefined, false],
  ])('namespace labels %j are ambient: %s', (labels, expected) => {
    expect(isAmbientNamespaceLabels(labels as any)).toBe(expected);
  });
});
