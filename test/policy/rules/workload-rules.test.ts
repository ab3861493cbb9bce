import * as fc from 'fast-check';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { WORKLOAD_RULES } from '../../../src/policy/rules/workload-rules';

const PRACTICES = ['MTLS-1', 'AUTHZ-1', 'AUTHZ-2', 'AUTHZ-3', 'AUTHZ-4', 'JWT-1', 'TOKEN-1', 'USERAUTH-1', 'EXC-1', 'NETPOL-1', 'CP-1', 'NS-1', 'RBAC-1',
  'INGRESS-1', 'EGRESS-1', 'OPS-1', 'OPS-2', 'OPS-3', 'CA-1', 'POD-1', 'IMG-1', 'WI-1', 'SECRET-1'];

const DIGEST = `@sha256:${'0f'.repeat(32)}`;
const HARDENED_CONTAINER = {
  name: 'app',
  image: `gcr.io/p/app${DIGEST}`,
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
};
const ROUGH_CONTAINER = { name: 'rough', image: 'nginx', ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { privileged: true, runAsUser: 1337, procMount: 'Unmasked', capabilities: { add: ['NET_ADMIN', 'CHOWN'] } } };
// shareProcessNamespace on the bad pod below trips POD-PID-001.

/** One object of each kind the rules know, hardened and rough, plus kinds they ignore. */
const ZOO: RuleObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'good', namespace: 'a' }, spec: { containers: [HARDENED_CONTAINER] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'a' }, spec: { hostNetwork: true, shareProcessNamespace: true, containers: [ROUGH_CONTAINER], initContainers: [ROUGH_CONTAINER], volumes: [{ name: 'node', hostPath: { path: '/' } }] } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'good', namespace: 'a' }, spec: { template: { spec: { containers: [HARDENED_CONTAINER] } } } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'bad', namespace: 'a' }, spec: { template: { spec: { hostPID: true, containers: [ROUGH_CONTAINER] } } } },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'bad', namespace: 'a' },
    spec: {
      jobTemplate: {
        spec: {
          template: { metadata: { annotations: { 'sidecar.istio.io/proxyImage': 'docker.io/someone/proxyv2:latest' } }, spec: { containers: [ROUGH_CONTAINER] } },
        },
      },
    },
  },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'good', namespace: 'a' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'bad' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bad' }, roleRef: { kind: 'ClusterRole', name: 'bad' }, subjects: [{ kind: 'Group', name: 'team-a' }] },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'a' }, spec: { podSelector: {}, ingress: [{}] } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'internet', namespace: 'a' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'istiod-debug', namespace: 'istio-system' },
    spec: { podSelector: { matchLabels: { app: 'istiod' } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 15010 }] }] },
  },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'exec', namespace: 'a' }, rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'everyone', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'ap', namespace: 'a' }, spec: { selector: { matchLabels: { app: 'x' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/b/sa/c'] } }], to: [{ operation: { ports: ['8080'] } }] }] } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'a' }, data: { k: 'v' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'key', namespace: 'a' }, data: { 'key.json': 'e30=' } },
];

describe('WORKLOAD_RULES', () => {
  test('ids are stable, unique and well-formed; every rule names catalog practices and explains itself', () => {
    expect(WORKLOAD_RULES.map((r) => r.id)).toEqual([
      'POD-PRIV-001', 'POD-CAP-001', 'POD-CAP-002', 'POD-HOST-001', 'POD-ESC-001', 'POD-ROOT-001', 'POD-SECCOMP-001', 'POD-HOSTPATH-001', 'POD-HOSTPORT-001', 'POD-PSS-001', 'POD-ROFS-001', 'POD-PID-001',
      'POD-UID-001', 'MESH-PROXY-001', 'IMG-DIGEST-001', 'IMG-REG-001', 'RBAC-WILD-001', 'RBAC-ESC-001', 'RBAC-CRB-001', 'RBAC-CA-001',
      'RBAC-SUBJ-001', 'RBAC-BUILTIN-001', 'RBAC-SENS-001', 'RBAC-SECRET-001', 'RBAC-POLICY-001', 'RBAC-ADMISSION-001',
      'NET-L4-001', 'NET-L4-002', 'NET-DENY-001', 'NET-AMBIENT-001', 'NET-GRANT-001', 'NET-EGRESS-001', 'NET-CP-001', 'POD-SA-001', 'SECRET-DATA-001', 'NS-PSA-001', 'NS-SENS-001',
      'REPO-SCOPE-001',
    ]);
    for (const rule of WORKLOAD_RULES) {
      expect(rule.id).toMatch(/^[A-Z]+-[A-Z0-9]+-[0-9]{3}$/);
      expect(rule.practices.length).toBeGreaterThan(0);
      for (const p of rule.practices) expect(PRACTICES).toContain(p);
      expect([RuleSeverity.ERROR, RuleSeverity.WARNING]).toContain(rule.severity);
      for (const text of [rule.title, rule.explanation, rule.fix]) expect(text.length).toBeGreaterThan(20);
      expect(rule.fix).toMatch(/PolicyException/);
      if (rule.admission) expect(rule.admission.message.startsWith(`${rule.id}: `)).toBe(true);
    }
  });

  test('severities', () => {
    const warnings = WORKLOAD_RULES.filter((r) => r.severity === RuleSeverity.WARNING).map((r) => r.id);
    expect(warnings).toEqual(['NET-L4-002']);
  });

  test('which rules have an admission form', () => {
    expect(WORKLOAD_RULES.filter((r) => r.admission).map((r) => r.id)).toEqual([
      'POD-PRIV-001', 'POD-CAP-001', 'POD-CAP-002', 'POD-HOST-001', 'POD-ESC-001', 'POD-ROOT-001', 'POD-SECCOMP-001', 'POD-HOSTPATH-001', 'POD-HOSTPORT-001', 'POD-PSS-001', 'POD-ROFS-001', 'POD-PID-001',
      'POD-UID-001', 'MESH-PROXY-001', 'IMG-DIGEST-001', 'RBAC-WILD-001', 'RBAC-ESC-001', 'RBAC-SUBJ-001', 'RBAC-SENS-001', 'NS-PSA-001',
    ]);
    expect(WORKLOAD_RULES.filter((r) => r.checkAll).map((r) => r.id)).toEqual(['RBAC-CA-001', 'RBAC-SECRET-001', 'RBAC-POLICY-001', 'RBAC-ADMISSION-001', 'NET-L4-001', 'NET-L4-002', 'NET-DENY-001', 'NET-AMBIENT-001', 'NET-GRANT-001', 'POD-SA-001', 'NS-SENS-001', 'REPO-SCOPE-001']);
  });

  test('admission resources: the API groups of the kinds, every version, plural resource names', () => {
    for (const rule of WORKLOAD_RULES.filter((r) => r.admission)) {
      for (const res of rule.admission!.resources) {
        for (const g of res.apiGroups) expect(['', 'apps', 'batch', 'rbac.authorization.k8s.io']).toContain(g);
        expect(res.apiVersions).toEqual(['*']);
        for (const name of res.resources) expect(name).toMatch(/^[a-z]+s(\/[a-z]+)?$/);
      }
    }
  });

  test.each(ZOO.map((o) => [`${o.kind}/${o.metadata?.name}`, o] as const))('every admission CEL agrees with check() on %s', (_name, object) => {
    const ctx = ruleContext(ZOO);
    for (const rule of WORKLOAD_RULES.filter((r) => r.admission)) {
      expect([rule.id, admits(rule.admission!, object)]).toEqual([rule.id, rule.check(object, ctx).length === 0]);
    }
  });

  test('the zoo trips each per-object rule at least once and the good objects trip none', () => {
    // The good images are from gcr.io/p; the rough ones (nginx) are not.
    const ctx = ruleContext(ZOO, { allowedRegistries: ['gcr.io/p'] });
    for (const rule of WORKLOAD_RULES.filter((r) => !r.checkAll)) {
      expect([rule.id, ZOO.some((o) => rule.check(o, ctx).length > 0)]).toEqual([rule.id, true]);
    }
    for (const good of ZOO.filter((o) => o.metadata?.name === 'good')) {
      expect(WORKLOAD_RULES.flatMap((r) => r.check(good, ctx))).toEqual([]);
    }
  });

  test('check() and checkAll() never throw on arbitrary shapes (property)', () => {
    const kinds = fc.constantFrom(
      ['v1', 'Pod'], ['apps/v1', 'Deployment'], ['batch/v1', 'CronJob'], ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRole'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'], ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['security.istio.io/v1', 'AuthorizationPolicy'], ['v1', 'Namespace'],
    );
    const object = fc.tuple(kinds, fc.option(fc.constantFrom('a', 'istio-system')), fc.dictionary(fc.constantFrom('spec', 'rules', 'subjects', 'roleRef', 'aggregationRule'), fc.anything({ maxDepth: 5 })))
      .map(([[apiVersion, kind], namespace, body]) => ({ ...body, apiVersion, kind, metadata: { name: 'x', ...(namespace ? { namespace } : {}) } }) as RuleObject);
    fc.assert(fc.property(fc.array(object, { maxLength: 6 }), (objects) => {
      const ctx = ruleContext(objects, { meshAdminGroups: ['admins'] });
      for (const rule of WORKLOAD_RULES) {
        for (const o of objects) rule.check(o, ctx);
        rule.checkAll?.(ctx);
      }
    }), { numRuns: 300 });
  });
});
