import { ruleContext } from '../../../src/policy/rule-test-kit';
import { grantsSecretRead, isMeshAdminSubject, subjectLabel } from '../../../src/policy/rules/rbac-mesh-admins';

const ctx = ruleContext([], { controlPlaneNamespace: 'istio-system', meshAdminGroups: ['mesh-admins@example.com'] });

describe('isMeshAdminSubject', () => {
  test.each([
    [{ kind: 'Group', name: 'mesh-admins@example.com' }, true],
    [{ kind: 'Group', name: 'team-a-devs' }, false],
    [{ kind: 'User', name: 'mesh-admins@example.com' }, false],
    [{ kind: 'User', name: 'alice@example.com' }, false],
    [{ kind: 'ServiceAccount', name: 'istiod', namespace: 'istio-system' }, true],
    [{ kind: 'ServiceAccount', name: 'generic-garbage-collector', namespace: 'kube-system' }, true],
    [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'team-a' }, false],
    [{ kind: 'ServiceAccount', name: 'no-namespace' }, false],
    // Kubernetes components are the API server's to bind, not an app's: not mesh admins.
    [{ kind: 'User', name: 'system:kube-controller-manager' }, false],
    [{ kind: 'Group', name: 'system:masters' }, false],
    [{ kind: 'Group', name: 'system:nodes' }, false],
    [{ kind: 'User', name: 'system:serviceaccount:istio-system:istiod' }, true],
    [{ kind: 'User', name: 'system:serviceaccount:team-a:deployer' }, false],
    [{ kind: 'Group', name: 'system:serviceaccounts:kube-system' }, true],
    [{ kind: 'Group', name: 'system:serviceaccounts:team-a' }, false],
    [{ kind: 'Group', name: 'system:authenticated' }, false],
    [{ kind: 'Group', name: 'system:unauthenticated' }, false],
    [{ kind: 'Group', name: 'system:serviceaccounts' }, false],
    [{ kind: 'User', name: 'system:anonymous' }, false],
    [{ kind: 'Robot', name: 'system:x' }, false],
    [{ kind: 'Group' }, false],
    ['not a subject', false],
  ])('%j → %s', (subject, admin) => {
    expect(isMeshAdminSubject(subject, ctx)).toBe(admin);
  });

  test('the control-plane namespace comes from the context', () => {
    const other = ruleContext([], { controlPlaneNamespace: 'istio-cp' });
    expect(isMeshAdminSubject({ kind: 'ServiceAccount', name: 'istiod', namespace: 'istio-cp' }, other)).toBe(true);
    expect(isMeshAdminSubject({ kind: 'ServiceAccount', name: 'istiod', namespace: 'istio-system' }, other)).toBe(false);
  });

  test('subjectLabel', () => {
    expect(subjectLabel({ kind: 'ServiceAccount', name: 'd', namespace: 'a' })).toBe('ServiceAccount a/d');
    expect(subjectLabel({ kind: 'Group', name: 'g' })).toBe('Group "g"');
    expect(subjectLabel(7)).toBe('a malformed subject');
  });
});

describe('grantsSecretRead', () => {
  test.each([
    [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }, true],
    [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }, true],
    [{ apiGroups: [''], resources: ['secrets'], verbs: ['watch'] }, true],
    [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, true],
    [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['istio-ca-secret'] }, true],
    [{ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete'] }, false],
    [{ apiGroups: ['apps'], resources: ['*'], verbs: ['get'] }, false],
    [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }, false],
    [{ resources: ['secrets'], verbs: ['get'] }, false],
  ])('%j → %s', (rule, reads) => {
    expect(grantsSecretRead(rule)).toBe(reads);
  });
});
