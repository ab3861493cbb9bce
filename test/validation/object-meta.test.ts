import { checkObjectMeta } from '../../src/validation/object-meta';

describe('checkObjectMeta', () => {
  test('valid metadata yields nothing', () => {
    expect(checkObjectMeta({ metadata: { name: 'reviews', namespace: 'bookinfo', labels: { app: 'reviews' }, annotations: { 'a.b/c': 'x' } } }, 'apps', 'Deployment')).toEqual([]);
  });

  test('missing metadata or name', () => {
    expect(checkObjectMeta({}, '', 'ConfigMap')[0].message).toMatch(/metadata is required/);
    expect(checkObjectMeta({ metadata: {} }, '', 'ConfigMap')[0]).toMatchObject({ path: ['metadata', 'name'], message: 'name or generateName is required' });
  });

  test('name rule depends on the kind: Namespace names are DNS labels', () => {
    const [f] = checkObjectMeta({ metadata: { name: 'team.a' } }, '', 'Namespace');
    expect(f).toMatchObject({ path: ['metadata', 'name'], rule: 'metadata.name', layer: 'api-server' });
    expect(checkObjectMeta({ metadata: { name: 'team.a' } }, '', 'ConfigMap')).toEqual([]);
  });

  test('namespace, label keys and values, annotation keys', () => {
    const findings = checkObjectMeta({
      metadata: { name: 'x', namespace: 'Bad_NS', labels: { 'bad key!': 'ok', 'good': 'bad value!' }, annotations: { '-bad': 'v' } },
    }, '', 'ConfigMap');
    expect(findings.map((f) => f.rule)).toEqual(['metadata.namespace', 'label key', 'label value', 'annotation key']);
    expect(findings[1].path).toEqual(['metadata', 'labels', 'bad key!']);
  });

  test('total annotation size is limited to 256 KiB', () => {
    const findings = checkObjectMeta({ metadata: { name: 'x', annotations: { big: 'x'.repeat(300 * 1024) } } }, '', 'ConfigMap');
    expect(findings).toEqual([expect.objectContaining({ rule: 'annotations size' })]);
  });
});
