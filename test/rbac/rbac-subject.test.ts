import { RbacSubject, RbacSubjectKind } from '../../src/rbac/rbac-subject';

describe('RbacSubject', () => {
  test('group: rbac.authorization.k8s.io subject, no namespace', () => {
    const s = RbacSubject.group('team-reviews');
    expect(s.kind).toBe(RbacSubjectKind.GROUP);
    expect(s.name).toBe('team-reviews');
    expect(s.namespace).toBeUndefined();
    expect(s._toSubject()).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-reviews' });
    expect(s.toString()).toBe('Group team-reviews');
  });

  test('user: rbac.authorization.k8s.io subject, no namespace', () => {
    const s = RbacSubject.user('alice@example.com');
    expect(s.kind).toBe(RbacSubjectKind.USER);
    expect(s._toSubject()).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' });
    expect(s.toString()).toBe('User alice@example.com');
  });

  test('serviceAccount: core-group subject (no apiGroup) with its namespace', () => {
    const s = RbacSubject.serviceAccount('argocd', 'argocd-application-controller');
    expect(s.kind).toBe(RbacSubjectKind.SERVICE_ACCOUNT);
    expect(s.namespace).toBe('argocd');
    const subject = s._toSubject();
    expect(subject).toEqual({ kind: 'ServiceAccount', name: 'argocd-application-controller', namespace: 'argocd' });
    expect(subject).not.toHaveProperty('apiGroup');
    expect(s.toString()).toBe('ServiceAccount argocd/argocd-application-controller');
  });

  test('identity: equal kind, namespace and name give equal keys; different kinds do not', () => {
    expect(RbacSubject.group('a')._key()).toBe(RbacSubject.group('a')._key());
    expect(RbacSubject.group('a')._key()).not.toBe(RbacSubject.user('a')._key());
    expect(RbacSubject.serviceAccount('x', 'a')._key()).not.toBe(RbacSubject.serviceAccount('y', 'a')._key());
  });

  describe('guards', () => {
    test.each([
      ['group', () => RbacSubject.group('')],
      ['group (blank)', () => RbacSubject.group('   ')],
      ['user', () => RbacSubject.user('')],
      ['serviceAccount namespace', () => RbacSubject.serviceAccount('', 'deployer')],
      ['serviceAccount name', () => RbacSubject.serviceAccount('ci', '')],
    ])('empty %s name is an error', (_, make) => {
      expect(make).toThrow(/is empty/);
    });

    test('leading or trailing whitespace is an error (it would never match an identity)', () => {
      expect(() => RbacSubject.user(' alice')).toThrow(/whitespace/);
      expect(() => RbacSubject.group('team ')).toThrow(/whitespace/);
    });

    test('serviceAccount with an invalid namespace is an error', () => {
      expect(() => RbacSubject.serviceAccount('CI_Tools', 'deployer')).toThrow(/RbacSubject.serviceAccount: namespace "CI_Tools"/);
      expect(() => RbacSubject.serviceAccount('a.b', 'deployer')).toThrow(/namespace "a.b"/);
    });

    test('serviceAccount with an invalid name is an error', () => {
      expect(() => RbacSubject.serviceAccount('ci', 'Deployer')).toThrow(/name "Deployer"/);
      expect(() => RbacSubject.serviceAccount('ci', 'system:serviceaccount:ci:deployer')).toThrow(/name "system:serviceaccount:ci:deployer"/);
    });

    test('a dotted ServiceAccount name (DNS-1123 subdomain) is accepted', () => {
      expect(RbacSubject.serviceAccount('ci', 'deployer.v2').name).toBe('deployer.v2');
    });
  });
});
