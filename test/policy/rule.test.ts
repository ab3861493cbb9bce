import { PolicyRule, RuleObject, RuleSeverity, checkEach, groupOf, isKind, kindKey, kindKeyOf, objectRef } from '../../src/policy/rule';
import { ruleContext } from '../../src/policy/rule-test-kit';

describe('objectRef', () => {
  test('Kind/namespace/name for namespaced objects', () => {
    expect(objectRef({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: 'shop' } })).toBe('Deployment/shop/cart');
  });

  test('Kind/name for cluster-scoped objects (no or empty namespace)', () => {
    expect(objectRef({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ops' } })).toBe('ClusterRole/ops');
    expect(objectRef({ kind: 'Namespace', metadata: { name: 'shop', namespace: '' } })).toBe('Namespace/shop');
  });

  test('<mesh> for a missing object', () => {
    expect(objectRef(undefined)).toBe('<mesh>');
  });

  test('placeholders for a missing kind or name', () => {
    expect(objectRef({ metadata: { name: 'x', namespace: 'shop' } })).toBe('<no kind>/shop/x');
    expect(objectRef({ kind: 'Pod', metadata: { namespace: 'shop' } })).toBe('Pod/shop/<no name>');
    expect(objectRef({ kind: 'Pod' })).toBe('Pod/<no name>');
    expect(objectRef({})).toBe('<no kind>/<no name>');
  });
});

describe('groupOf', () => {
  test.each([
    ['v1', ''],
    ['apps/v1', 'apps'],
    ['security.istio.io/v1beta1', 'security.istio.io'],
    ['rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io'],
    ['', ''],
  ])('%j -> %j', (apiVersion, group) => {
    expect(groupOf({ apiVersion, kind: 'X' })).toBe(group);
  });

  test('no apiVersion is the core group', () => {
    expect(groupOf({ kind: 'Pod' })).toBe('');
  });
});

describe('isKind', () => {
  const ap = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' };

  test('matches the group and kind in any version', () => {
    expect(isKind(ap, 'security.istio.io', 'AuthorizationPolicy')).toBe(true);
    expect(isKind({ ...ap, apiVersion: 'security.istio.io/v1beta1' }, 'security.istio.io', 'AuthorizationPolicy')).toBe(true);
    expect(isKind({ apiVersion: 'v1', kind: 'Pod' }, '', 'Pod')).toBe(true);
  });

  test('a different group, kind or case does not match', () => {
    expect(isKind(ap, 'networking.istio.io', 'AuthorizationPolicy')).toBe(false);
    expect(isKind(ap, 'security.istio.io', 'PeerAuthentication')).toBe(false);
    expect(isKind(ap, 'security.istio.io', 'authorizationpolicy')).toBe(false);
    expect(isKind({ apiVersion: 'apps/v1', kind: 'Pod' }, '', 'Pod')).toBe(false);
    expect(isKind({ apiVersion: 'v1', kind: 'Deployment' }, 'apps', 'Deployment')).toBe(false);
  });

  test('an object without kind matches nothing; without apiVersion it is core', () => {
    expect(isKind({ apiVersion: 'v1' }, '', 'Pod')).toBe(false);
    expect(isKind({ kind: 'Pod' }, '', 'Pod')).toBe(true);
  });
});

describe('kindKey / kindKeyOf', () => {
  test('group/Kind, with an empty group for the core kinds', () => {
    expect(kindKey('apps', 'Deployment')).toBe('apps/Deployment');
    expect(kindKey('', 'Namespace')).toBe('/Namespace');
    expect(kindKeyOf({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' })).toBe('security.istio.io/AuthorizationPolicy');
    expect(kindKeyOf({ apiVersion: 'v1', kind: 'Pod' })).toBe('/Pod');
    expect(kindKeyOf({})).toBe('/undefined');
  });
});

describe('checkEach', () => {
  const pod = (name: string): RuleObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } });
  const cm = (name: string): RuleObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
  const objects = [pod('a'), cm('b'), pod('c')];
  const seen: string[] = [];
  const rule = (id: string, kinds?: string[]): PolicyRule => ({
    id,
    practices: ['OPS-1'],
    severity: RuleSeverity.ERROR,
    title: id,
    explanation: id,
    fix: id,
    kinds,
    check: (o) => {
      seen.push(`${id}:${o.metadata?.name}`);
      return [{ path: '', message: String(o.metadata?.name) }];
    },
  });
  beforeEach(() => seen.splice(0));

  test('calls check only for the declared kinds, rule by rule, in object order', () => {
    const found = checkEach([rule('pods', ['/Pod']), rule('all')], objects, ruleContext(objects));
    expect(seen).toEqual(['pods:a', 'pods:c', 'all:a', 'all:b', 'all:c']);
    expect(found.map((f) => [f.rule.id, f.index, f.violation.message])).toEqual([
      ['pods', 0, 'a'], ['pods', 2, 'c'], ['all', 0, 'a'], ['all', 1, 'b'], ['all', 2, 'c'],
    ]);
  });

  test('an empty kinds list means the rule works through checkAll alone', () => {
    expect(checkEach([rule('none', [])], objects, ruleContext(objects))).toEqual([]);
    expect(seen).toEqual([]);
  });

  test('precomputed keys are used as given', () => {
    checkEach([rule('cms', ['/ConfigMap'])], objects, ruleContext(objects), ['/ConfigMap', '/Pod', '/ConfigMap']);
    expect(seen).toEqual(['cms:a', 'cms:c']);
  });
});
