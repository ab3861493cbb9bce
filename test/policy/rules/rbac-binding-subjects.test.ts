import { readdirSync } from 'fs';
import { join } from 'path';
import { ownRbacOutputs, readYaml as read } from './rbac-own-output';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { RBAC_SUBJ_001 as RULE, forbiddenSubject } from '../../../src/policy/rules/rbac-binding-subjects';
import { describeWithShared } from '../../shared';

const RBAC = 'rbac.authorization.k8s.io';
const ctx = ruleContext([], { meshAdminGroups: ['mesh-admins'] });
const rb = (...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'team-a' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'r' }, subjects,
});
const crb = (role: string, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: role }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects,
});
const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });
const user = (name: string) => ({ kind: 'User', apiGroup: RBAC, name });
const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount', namespace, name });

const GOOD: [string, RuleObject][] = [
  ['a team group and a service account', rb(group('team-a-devs'), sa('team-a', 'ci'))],
  ['the service accounts of one namespace', rb(group('system:serviceaccounts:team-a'))],
  ['a mesh admin group cluster-wide', crb('mesh-admin', group('mesh-admins'))],
  ['a Kubernetes component user', crb('x', user('system:kube-controller-manager'))],
  ['a made-up system: group (not everyone)', rb(group('system:foo'))],
  ['a service account user', rb(user('system:serviceaccount:team-a:ci'))],
  ['no subjects', { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'b', namespace: 'a' }, roleRef: { kind: 'Role', name: 'r' } }],
  ['empty subjects', rb()],
  ['a subject without a name', rb({ kind: 'Group' })],
  ['other kind naming everyone', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, subjects: [group('system:authenticated')] }],
  ['a RoleBinding CRD of another group', { apiVersion: 'example.com/v1', kind: 'RoleBinding', subjects: [group('system:masters')] }],
];

const BAD: [string, RuleObject, string[]][] = [
  ['system:authenticated in a namespace', rb(group('team-a-devs'), group('system:authenticated')), ['subjects[1]']],
  ['system:unauthenticated cluster-wide (like system:public-info-viewer)', crb('system:public-info-viewer', group('system:authenticated'), group('system:unauthenticated')),
    ['subjects[0]', 'subjects[1]']],
  ['the anonymous user', rb(user('system:anonymous')), ['subjects[0]']],
  ['system:anonymous written as a group', rb(group('system:anonymous')), ['subjects[0]']],
  ['every service account', crb('x', group('system:serviceaccounts')), ['subjects[0]']],
  ['system:masters', crb('cluster-admin', group('system:masters')), ['subjects[0]']],
  ['system:masters in a RoleBinding', rb(sa('team-a', 'ci'), group('system:masters')), ['subjects[1]']],
  ['all nodes', crb('system:node', group('system:nodes')), ['subjects[0]']],
  ['one node', rb(user('system:node:worker-1')), ['subjects[0]']],
  ['Kubernetes\' own discovery binding copied into the output', crb('system:discovery', group('system:authenticated')), ['subjects[0]']],
];

describe('RBAC-SUBJ-001 no binding to everyone, all service accounts, system:masters or nodes (NS-1, RBAC-1)', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('RBAC-SUBJ-001');
    expect(RULE.practices).toEqual(['NS-1', 'RBAC-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.kinds).toEqual([`${RBAC}/RoleBinding`, `${RBAC}/ClusterRoleBinding`]);
    expect(RULE.admission!.resources).toEqual([{ apiGroups: [RBAC], apiVersions: ['*'], resources: ['rolebindings', 'clusterrolebindings'] }]);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(RULE.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each([...GOOD, ...BAD.map(([n, o]): [string, RuleObject] => [n, o])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages name the role, the subject and who it stands for', () => {
    expect(RULE.check(crb('system:public-info-viewer', group('system:unauthenticated')), ctx)[0].message)
      .toBe('binds ClusterRole "system:public-info-viewer" to Group "system:unauthenticated": every unauthenticated request');
    expect(RULE.check(rb(group('system:masters')), ctx)[0].message).toContain('bypasses RBAC entirely');
    expect(RULE.check(rb(user('system:node:worker-1')), ctx)[0].message).toBe('binds Role "r" to User "system:node:worker-1": the kubelet of node "worker-1"');
  });

  test('forbiddenSubject', () => {
    expect(forbiddenSubject('system:serviceaccounts')).toBe('every service account of every namespace');
    expect(forbiddenSubject('system:serviceaccounts:team-a')).toBeUndefined();
    expect(forbiddenSubject('toString')).toBeUndefined();
    expect(forbiddenSubject('system:nodes')).toBe('every node (kubelet) of the cluster');
  });

  test('odd shapes do not throw', () => {
    for (const subjects of ['system:authenticated', null, [null, 'x', 3, { name: 5 }], {}]) {
      expect(RULE.check({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', roleRef: 'x', subjects } as RuleObject, ctx)).toEqual([]);
    }
    expect(RULE.check({ apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', subjects: [{ name: 'system:masters' }] }, ctx)[0].message)
      .toBe('binds role "<no name>" to <no kind> "system:masters": ' + forbiddenSubject('system:masters'));
  });

  test.each(ownRbacOutputs())('the library\'s own output passes: $name', ({ objects, ctx: own }) => {
    expect(objects.filter((o) => /RoleBinding$/.test(o.kind ?? '')).length).toBeGreaterThan(2);
    expect(objects.flatMap((o) => RULE.check(o, own))).toEqual([]);
  });
});

describeWithShared('external-corpus', 'RBAC-SUBJ-001 agrees with Kyverno restrict-binding-system-groups and Gatekeeper disallowanonymous', (dir) => {
  const kyverno = join(dir, 'kyverno/other/restrict-binding-system-groups');
  const files = readdirSync(kyverno).sort();

  test('the corpus has good and bad bindings', () => {
    expect(files.filter((f) => f.includes('-good--'))).toHaveLength(6);
    expect(files.filter((f) => f.includes('-bad--'))).toHaveLength(6);
  });

  // Kyverno: system:anonymous (written as a Group), system:unauthenticated and system:masters are bad;
  // a user, service accounts, "system:foo" and "system.foo" are good. Same answers here.
  test.each(files.filter((f) => f.includes('-good--')))('Kyverno good: %s passes', (f) => {
    expect(RULE.check(read(join(kyverno, f)), ctx)).toEqual([]);
  });
  test.each(files.filter((f) => f.includes('-bad--')))('Kyverno bad: %s fails on its one subject', (f) => {
    expect(RULE.check(read(join(kyverno, f)), ctx).map((v) => v.path)).toEqual(['subjects[0]']);
  });

  const gatekeeper = join(dir, 'gatekeeper/general/disallowanonymous/no-anonymous-bindings');
  test('Gatekeeper disallowed: system:anonymous (and the groups before it) fail', () => {
    expect(RULE.check(read(join(gatekeeper, 'example_disallowed.yaml')), ctx).map((v) => v.path)).toEqual(['subjects[0]', 'subjects[1]', 'subjects[2]']);
  });
  test('Gatekeeper allowed: deliberately a finding here (NS-1, RBAC-1)', () => {
    // The template only rejects system:anonymous (and binds system:authenticated/unauthenticated
    // when the constraint's allowedRoles lists the role). The practice is stricter: a binding to
    // every authenticated or unauthenticated caller, whatever the role, is out of an app's output.
    expect(RULE.check(read(join(gatekeeper, 'example_allowed.yaml')), ctx).map((v) => v.path)).toEqual(['subjects[0]', 'subjects[1]']);
  });
});
