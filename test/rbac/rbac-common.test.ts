import { frozen, isEveryone, toPolicyRule } from '../../src/rbac/rbac-common';
import { RbacSubject } from '../../src/rbac/rbac-subject';

describe('rbac-common', () => {
  test('isEveryone: the groups and users that stand for the whole cluster', () => {
    expect(isEveryone(RbacSubject.group('system:authenticated'))).toBe(true);
    expect(isEveryone(RbacSubject.group('system:serviceaccounts:shop'))).toBe(true);
    expect(isEveryone(RbacSubject.user('system:anonymous'))).toBe(true);
    expect(isEveryone(RbacSubject.group('shop-developers'))).toBe(false);
    expect(isEveryone(RbacSubject.user('system:authenticated'))).toBe(false);
  });

  test('toPolicyRule copies lists and keeps resourceNames only when set', () => {
    const spec = { apiGroup: 'apps', resources: ['deployments'], verbs: ['get'] };
    const rule = toPolicyRule(spec);
    expect(rule).toEqual({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] });
    expect(rule.resources).not.toBe(spec.resources);
    expect(toPolicyRule({ ...spec, resourceNames: ['x'] }).resourceNames).toEqual(['x']);
  });

  test('frozen lists cannot be changed', () => {
    expect(() => (frozen(['a']) as string[]).push('b')).toThrow();
  });
});
