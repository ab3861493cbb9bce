import { Chart, Testing } from 'cdk8s';
import { AUDIT_RULES, auditManifests, exceptionEntries, isFailing } from '../../src/audit/audit';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { EXCEPTION_ANNOTATION, PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { RuleObject, RuleSeverity } from '../../src/policy/rule';
import { ALL_RULES } from '../../src/policy/rule-pack';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';

const TODAY = '2026-06-01';

/** Objects as the loader would give them: one per line of `objects.yaml`. */
function loaded(objects: RuleObject[], file = 'objects.yaml'): LoadedManifest[] {
  return objects.map((object, i) => ({ object, file, line: i * 10 + 1, documentIndex: i }));
}

function permissive(name: string, namespace: string, annotations?: { [k: string]: string }): RuleObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { mtls: { mode: 'PERMISSIVE' } },
  };
}

const MESH_STRICT: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } };
const MESH_ALLOW_NOTHING: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'istio-system' }, spec: {} };
/** The control plane's default deny (NET-DENY-001), as MeshBaseline writes it. */
const CP_DEFAULT_DENY: RuleObject = {
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', namespace: 'istio-system' }, spec: { podSelector: {}, policyTypes: ['Ingress'] },
};

describe('auditManifests runs the one rule set (OPS-1)', () => {
  test('it calls the definitions of ALL_RULES, not a copy: check per object, checkAll once', () => {
    const rule = ALL_RULES.find((r) => r.id === 'MESH-MTLS-002')!;
    const withAll = ALL_RULES.find((r) => r.checkAll)!;
    const check = jest.spyOn(rule, 'check');
    const checkAll = jest.spyOn(withAll, 'checkAll');
    try {
      auditManifests(loaded([permissive('a', 'shop'), permissive('b', 'shop')]), { today: TODAY });
      expect(check).toHaveBeenCalledTimes(2);
      expect(checkAll).toHaveBeenCalledTimes(1);
    } finally {
      check.mockRestore();
      checkAll.mockRestore();
    }
  });

  test('a finding names rule, practices, severity, message, fix, object, path, file and line', () => {
    const result = auditManifests(loaded([MESH_STRICT, permissive('lenient', 'shop')]), { today: TODAY, expectMeshBaseline: false });
    expect(result.findings).toEqual([{
      ruleId: 'MESH-MTLS-002',
      practices: ['MTLS-1'],
      severity: RuleSeverity.ERROR,
      message: expect.stringContaining('PERMISSIVE'),
      fix: ALL_RULES.find((r) => r.id === 'MESH-MTLS-002')!.fix,
      object: 'PeerAuthentication/shop/lenient',
      path: 'spec.mtls.mode',
      file: 'objects.yaml',
      line: 11,
      excepted: false,
    }]);
    expect(result.summary).toEqual({ objects: 2, errors: 1, warnings: 0, excepted: 0 });
  });

  test('the same objects give the same findings, in the same order, whatever the input order', () => {
    const objects = loaded([permissive('b', 'shop'), MESH_STRICT, permissive('a', 'shop')]);
    const forward = auditManifests(objects, { today: TODAY });
    const backward = auditManifests([...objects].reverse(), { today: TODAY });
    expect(backward.findings).toEqual(forward.findings);
  });

  test('options reach the rules: mesh admin groups may hold ClusterRoleBindings', () => {
    const crb: RuleObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'admins' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'platform-admins' }],
    };
    expect(auditManifests(loaded([crb]), { today: TODAY }).findings.map((f) => f.ruleId)).toContain('RBAC-CRB-001');
    expect(auditManifests(loaded([crb]), { today: TODAY, meshAdminGroups: ['platform-admins'] }).findings).toEqual([]);
  });

  test('onProgress counts the rules run, once each', () => {
    const calls: number[][] = [];
    auditManifests(loaded([MESH_STRICT, MESH_ALLOW_NOTHING]), { today: TODAY, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls).toEqual(ALL_RULES.map((_, i) => [i + 1, ALL_RULES.length]));
  });
});

describe('mesh-wide presence rules (<mesh>)', () => {
  test('reported when the input holds objects of the root namespace, at the first of them', () => {
    const result = auditManifests(loaded([permissive('x', 'shop'), MESH_STRICT, CP_DEFAULT_DENY]), { today: TODAY });
    expect(result.meshBaselineExpected).toBe(true);
    expect(result.findings.filter((f) => f.object === '<mesh>')).toEqual([
      expect.objectContaining({ ruleId: 'MESH-AUTHZ-001', file: 'objects.yaml', line: 11 }),
    ]);
  });

  test('not reported for a team namespace audited alone, unless asked for', () => {
    const shopOnly = loaded([permissive('x', 'shop')]);
    expect(auditManifests(shopOnly, { today: TODAY }).findings.filter((f) => f.object === '<mesh>')).toEqual([]);
    expect(auditManifests(shopOnly, { today: TODAY, expectMeshBaseline: true }).findings.filter((f) => f.object === '<mesh>').map((f) => f.ruleId).sort())
      .toEqual(['MESH-AUTHZ-001', 'MESH-MTLS-001', 'NET-DENY-001']);
  });

  test('a custom root namespace is honoured, and --no-mesh silences presence rules', () => {
    const other = { ...MESH_ALLOW_NOTHING, metadata: { name: 'allow-nothing', namespace: 'mesh-root' } };
    const result = auditManifests(loaded([other]), { today: TODAY, rootNamespace: 'mesh-root' });
    expect(result.findings.map((f) => f.ruleId)).toEqual(['MESH-MTLS-001', 'NET-DENY-001']);
    expect(result.findings.find((f) => f.ruleId === 'NET-DENY-001')!.message).toContain('the control-plane namespace mesh-root');
    expect(auditManifests(loaded([other]), { today: TODAY, rootNamespace: 'mesh-root', expectMeshBaseline: false }).findings).toEqual([]);
  });
});

describe('MANIFEST-INVALID: wrong shapes are findings, not silence', () => {
  const wrong: RuleObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: {} } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'shop' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: '*' }] },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p', namespace: 'shop' }, spec: { mtls: { mode: 'permissive' } } },
  ];

  test('each is reported with its field, the layer and the rule that refuses it; exceptions cannot cover it', () => {
    const result = auditManifests(loaded(wrong), { today: TODAY, expectMeshBaseline: false });
    const invalid = result.findings.filter((f) => f.ruleId === 'MANIFEST-INVALID');
    expect(invalid.map((f) => [f.object, f.path])).toEqual([
      ['Pod/shop/p', 'spec.containers'],
      ['Role/shop/r', 'rules[0].verbs'],
      ['PeerAuthentication/shop/p', 'spec.mtls.mode'],
    ]);
    expect(invalid[0]).toMatchObject({ severity: RuleSeverity.ERROR, practices: ['OPS-1'], message: expect.stringMatching(/must be of type array \[schema: type\]$/) });
  });

  test('kinds outside the harness (other CRDs) are not judged; validation can be turned off', () => {
    const rollout: RuleObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r', namespace: 'shop' }, spec: { template: { spec: { containers: {} } } } };
    expect(auditManifests(loaded([rollout]), { today: TODAY }).findings.filter((f) => f.ruleId === 'MANIFEST-INVALID')).toEqual([]);
    expect(auditManifests(loaded(wrong), { today: TODAY, validateManifests: false }).findings.filter((f) => f.ruleId === 'MANIFEST-INVALID')).toEqual([]);
  });
});

describe('exceptions from the secure-mesh.cdk8s.io/exceptions annotation (EXC-1)', () => {
  const annotated = (value: string) => loaded([MESH_STRICT, MESH_ALLOW_NOTHING, CP_DEFAULT_DENY, permissive('lenient', 'shop', { [EXCEPTION_ANNOTATION]: value })]);

  test('a valid entry covers its rule on its object: the finding is kept, marked excepted with the date', () => {
    const result = auditManifests(annotated('MESH-MTLS-002@2026-12-31'), { today: TODAY });
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'MESH-MTLS-002', excepted: true, exceptionExpires: '2026-12-31' })]);
    expect(result.summary).toEqual({ objects: 4, errors: 0, warnings: 0, excepted: 1 });
    expect(result.exceptions).toEqual([expect.objectContaining({ object: 'PeerAuthentication/shop/lenient', ruleId: 'MESH-MTLS-002', status: 'valid', covered: 1 })]);
    expect(isFailing(result.findings[0], 'warning')).toBe(false);
  });

  test('the expiry day itself is still valid, and within 14 days it is reported as expiring', () => {
    const result = auditManifests(annotated(`MESH-MTLS-002@${TODAY}`), { today: TODAY });
    expect(result.findings[0].excepted).toBe(true);
    expect(result.exceptions[0].status).toBe('expiring');
  });

  test('an expired entry does not cover, and is itself an error naming object, rule and date', () => {
    const result = auditManifests(annotated('MESH-MTLS-002@2026-05-31'), { today: TODAY });
    expect(result.findings.map((f) => [f.ruleId, f.excepted])).toEqual([['EXC-EXPIRED', false], ['MESH-MTLS-002', false]]);
    const expired = result.findings.find((f) => f.ruleId === 'EXC-EXPIRED')!;
    expect(expired).toMatchObject({ severity: RuleSeverity.ERROR, object: 'PeerAuthentication/shop/lenient', practices: ['EXC-1'], line: 31 });
    expect(expired.message).toContain('MESH-MTLS-002');
    expect(expired.message).toContain('expired on 2026-05-31');
    expect(result.exceptions[0].status).toBe('expired');
  });

  test('an entry for another rule does not cover, and is reported stale', () => {
    const result = auditManifests(annotated('POD-PRIV-001@2026-12-31'), { today: TODAY });
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'MESH-MTLS-002', excepted: false })]);
    expect(result.exceptions[0]).toMatchObject({ ruleId: 'POD-PRIV-001', status: 'stale', covered: 0 });
  });

  test('malformed entries and unknown rule ids are EXC-INVALID', () => {
    const result = auditManifests(annotated('MESH-MTLS-002, NOPE-001@2026-12-31,MESH-MTLS-002@2026-02-30'), { today: TODAY });
    expect(result.findings.filter((f) => f.ruleId === 'EXC-INVALID').map((f) => f.message)).toEqual([
      'exception entry "MESH-MTLS-002" is not RULE@YYYY-MM-DD',
      'exception entry "MESH-MTLS-002@2026-02-30": 2026-02-30 is not a date',
      'exception entry "NOPE-001@2026-12-31": NOPE-001 is not a rule of the set',
    ]);
    expect(result.findings.find((f) => f.ruleId === 'MESH-MTLS-002')!.excepted).toBe(false);
  });

  test('exceptionEntries parses RULE@date lists', () => {
    expect(exceptionEntries(permissive('x', 'y', { [EXCEPTION_ANNOTATION]: 'MESH-MTLS-002@2027-01-01, IMG-DIGEST-001@2027-02-01' })))
      .toEqual([
        { raw: 'MESH-MTLS-002@2027-01-01', ruleId: 'MESH-MTLS-002', expires: '2027-01-01', valid: true },
        { raw: 'IMG-DIGEST-001@2027-02-01', ruleId: 'IMG-DIGEST-001', expires: '2027-02-01', valid: true },
      ]);
    expect(exceptionEntries(MESH_STRICT)).toEqual([]);
  });

  test('round trip: what a PolicyException stamps at synth is honoured by the audit, until it expires', () => {
    const app = Testing.app();
    app.node.setContext(CLOCK_CONTEXT_KEY, TODAY);
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh');
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', {
      namespace: shop, image: `gcr.io/acme/cart@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
    });
    const ex = new PolicyException(chart, 'scraper', {
      rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'],
      justification: 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.',
      owner: 'team-observability',
      expires: '2026-09-30',
    });
    cart.allowPlaintextPort(8080, { exception: ex });
    const objects = Testing.synth(chart);
    const synthErrors = PolicyEnforcement.of(chart).report.findings.filter((f) => !f.exception && f.severity === 'error');
    expect(synthErrors).toEqual([]);

    const now = auditManifests(loaded(objects), { today: TODAY });
    expect(now.summary.errors).toBe(0);
    expect(now.summary.excepted).toBeGreaterThan(0);
    const later = auditManifests(loaded(objects), { today: '2026-10-01' });
    expect(later.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['EXC-EXPIRED', 'MESH-MTLS-002']));
    expect(later.summary.excepted).toBe(0);
  });
});

describe('AUDIT_RULES and isFailing', () => {
  test('every rule of the set, then the exception and manifest checks, with unique ids', () => {
    const ids = AUDIT_RULES.map((r) => r.id);
    expect(ids).toEqual([...ALL_RULES.map((r) => r.id), 'EXC-EXPIRED', 'EXC-INVALID', 'MANIFEST-INVALID']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('--fail-on error | warning | none', () => {
    const base = { ruleId: 'X', practices: [], message: '', fix: '', object: '', path: '', excepted: false };
    const error = { ...base, severity: RuleSeverity.ERROR };
    const warning = { ...base, severity: RuleSeverity.WARNING };
    expect([isFailing(error, 'error'), isFailing(warning, 'error')]).toEqual([true, false]);
    expect([isFailing(error, 'warning'), isFailing(warning, 'warning')]).toEqual([true, true]);
    expect([isFailing(error, 'none'), isFailing({ ...error, excepted: true }, 'error')]).toEqual([false, false]);
  });
});
