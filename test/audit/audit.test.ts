import { Chart, Testing } from 'cdk8s';
import { addDays, annotate, daysFromNow, excepted, record, registry } from './registry-fixtures';
import { AUDIT_RULES, AuditResult, auditManifests, auditSettingsOf, exceptionEntries, isFailing } from '../../src/audit/audit';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import { SecureMeshConfig } from '../../src/config/secure-mesh-config';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { recordsToYaml } from '../../src/policy/exception-registry-format';
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

describe('exceptions: an annotation entry backed by the registry of its namespace (EXC-1)', () => {
  const LENIENT = permissive('lenient', 'shop');
  const BASELINE = [MESH_STRICT, MESH_ALLOW_NOTHING, CP_DEFAULT_DENY];
  /** The baseline, then the registry of shop (line 31), then the annotated object (line 41). */
  const registered = (rules: string[], expires: string, extra: Partial<Parameters<typeof record>[0]> = {}) => {
    const { objects, registries } = excepted([LENIENT], { rules, expires, id: 'shop/scraper', owner: 'team-observability', ...extra });
    return loaded([...BASELINE, ...registries, ...objects]);
  };

  test('a registered entry covers its rule on its object: the finding is kept, marked excepted with the record', () => {
    const result = auditManifests(registered(['MESH-MTLS-002'], '2026-12-31'), { today: TODAY, maxExceptionDays: 365 });
    const exception = {
      id: 'shop/scraper',
      owner: 'team-observability',
      justification: expect.stringContaining('legacy scraper'),
      expires: '2026-12-31',
      registry: 'shop/secure-mesh-exceptions',
      file: 'objects.yaml',
      line: 31,
    };
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'MESH-MTLS-002', excepted: true, exceptionExpires: '2026-12-31', exception })]);
    expect(result.summary).toEqual({ objects: 5, errors: 0, warnings: 0, excepted: 1 });
    expect(result.exceptions).toEqual([{
      object: 'PeerAuthentication/shop/lenient',
      ruleId: 'MESH-MTLS-002',
      expires: '2026-12-31',
      status: 'valid',
      covered: 1,
      file: 'objects.yaml',
      line: 41,
      exceptionId: 'shop/scraper',
      owner: 'team-observability',
      justification: exception.justification,
      registry: 'shop/secure-mesh-exceptions',
    }]);
    expect(isFailing(result.findings[0], 'warning')).toBe(false);
  });

  test('the expiry day itself is still valid, and within 14 days it is reported as expiring', () => {
    const result = auditManifests(registered(['MESH-MTLS-002'], TODAY), { today: TODAY });
    expect(result.findings[0].excepted).toBe(true);
    expect(result.exceptions[0].status).toBe('expiring');
  });

  test('an expired entry does not cover, and is itself an error naming object, rule, date and owner; so is its record', () => {
    const result = auditManifests(registered(['MESH-MTLS-002'], '2026-05-31'), { today: TODAY });
    expect(result.findings.map((f) => [f.ruleId, f.object, f.excepted])).toEqual([
      ['EXC-EXPIRED', 'ConfigMap/shop/secure-mesh-exceptions', false],
      ['EXC-EXPIRED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    const [ofRecord, ofObject] = result.findings;
    expect(ofObject).toMatchObject({ severity: RuleSeverity.ERROR, practices: ['EXC-1'], line: 41 });
    expect(ofObject.message).toContain('MESH-MTLS-002');
    expect(ofObject.message).toContain('expired on 2026-05-31 (exception "shop/scraper", owner team-observability)');
    expect(ofRecord).toMatchObject({ path: 'data.exceptions.yaml', line: 31, message: expect.stringMatching(/^record "shop\/scraper" \(exceptions\.yaml\[0\]\): .*expired on 2026-05-31/) });
    expect(result.exceptions).toEqual([expect.objectContaining({ status: 'expired', owner: 'team-observability', exceptionId: 'shop/scraper' })]);
  });

  test('an entry for another rule does not cover, and is reported stale', () => {
    const result = auditManifests(registered(['POD-PRIV-001'], '2026-06-30'), { today: TODAY });
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'MESH-MTLS-002', excepted: false })]);
    expect(result.exceptions[0]).toMatchObject({ ruleId: 'POD-PRIV-001', status: 'stale', covered: 0, owner: 'team-observability' });
  });

  test('malformed entries and unknown rule ids are EXC-INVALID', () => {
    const annotated = annotate(LENIENT, 'MESH-MTLS-002, NOPE-001@2026-12-31,MESH-MTLS-002@2026-02-30');
    const result = auditManifests(loaded([...BASELINE, annotated]), { today: TODAY });
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

  test('round trip: what PolicyExceptions write at synth (annotations and the namespace\'s registry) is honoured by the audit, until it expires', () => {
    const app = Testing.app();
    app.node.setContext(CLOCK_CONTEXT_KEY, TODAY);
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh');
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', {
      namespace: shop, image: `gcr.io/acme/cart@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
    });
    const common = {
      justification: 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.',
      owner: 'team-observability',
      expires: '2026-08-15',
    };
    const ex = new PolicyException(chart, 'scraper', {
      ...common, rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'], ports: [8080], objects: ['PeerAuthentication/shop/cart-plaintext-8080'],
    });
    new PolicyException(chart, 'scraper-authz', { ...common, rules: ['MESH-AUTHZ-004'], objects: ['AuthorizationPolicy/shop/cart-plaintext-8080'] });
    cart.allowPlaintextPort(8080, { exception: ex });
    const objects = Testing.synth(chart);
    const synthErrors = PolicyEnforcement.of(chart).report.findings.filter((f) => !f.exception && f.severity === 'error');
    expect(synthErrors).toEqual([]);
    expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'secure-mesh-exceptions').map((o) => o.metadata.namespace).sort())
      .toEqual(['istio-system', 'shop']);

    const now = auditManifests(loaded(objects), { today: TODAY });
    expect(now.findings.filter((f) => !f.excepted)).toEqual([]);
    expect(now.findings.filter((f) => f.excepted).map((f) => [f.ruleId, f.exception!.id, f.exception!.owner]).sort()).toEqual([
      ['MESH-AUTHZ-004', 'test/scraper-authz', 'team-observability'],
      ['MESH-MTLS-002', 'test/scraper', 'team-observability'],
    ]);
    const later = auditManifests(loaded(objects), { today: '2026-08-16' });
    expect(later.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['EXC-EXPIRED', 'MESH-MTLS-002']));
    expect(later.summary.excepted).toBe(0);
  });
});

describe('the registry decides, not the annotation: abuse and mistakes (EXC-1)', () => {
  const LENIENT = permissive('lenient', 'shop');
  const BASELINE = [MESH_STRICT, MESH_ALLOW_NOTHING, CP_DEFAULT_DENY];
  const REGISTRY_REF = 'ConfigMap/shop/secure-mesh-exceptions';
  const ids = (r: AuditResult) => r.findings.map((f) => [f.ruleId, f.object, f.excepted]);

  test('a hand-written annotation without registry is not an exception: the violation is reported and EXC-UNREGISTERED fires', () => {
    const result = auditManifests(loaded([...BASELINE, annotate(LENIENT, 'MESH-MTLS-002@2026-06-30')]), { today: TODAY });
    expect(ids(result)).toEqual([
      ['EXC-UNREGISTERED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    expect(result.findings[0]).toMatchObject({
      severity: RuleSeverity.ERROR,
      practices: ['EXC-1'],
      path: `metadata.annotations.${EXCEPTION_ANNOTATION}`,
      line: 31,
      message: 'exception entry "MESH-MTLS-002@2026-06-30" is not in the exception registry: namespace shop has no exception registry '
        + '(ConfigMap secure-mesh-exceptions) in the input; it covers nothing, and MESH-MTLS-002 applies to PeerAuthentication/shop/lenient',
    });
    expect(result.summary).toEqual({ objects: 4, errors: 2, warnings: 0, excepted: 0 });
    expect(result.exceptions).toEqual([expect.objectContaining({ status: 'unregistered', covered: 0, problem: expect.stringContaining('no exception registry') })]);
  });

  test('a registry entry for a different date or rule does not match', () => {
    const otherDate = registry('shop', [record({ rules: ['MESH-MTLS-002'], expires: '2026-07-01', objects: [LENIENT] })]);
    const r1 = auditManifests(loaded([...BASELINE, otherDate, annotate(LENIENT, 'MESH-MTLS-002@2026-06-30')]), { today: TODAY });
    expect(ids(r1)).toEqual([
      ['EXC-UNKNOWN', REGISTRY_REF, false],
      ['EXC-UNREGISTERED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    expect(r1.findings[1].message).toContain('admission key PeerAuthentication.lenient of shop/secure-mesh-exceptions does not list MESH-MTLS-002@2026-06-30');
    expect(r1.findings[0]).toMatchObject({ severity: RuleSeverity.WARNING, message: expect.stringContaining('carries no secure-mesh.cdk8s.io/exceptions entry of the record (MESH-MTLS-002@2026-07-01)') });

    const otherRule = registry('shop', [record({ rules: ['POD-PRIV-001'], expires: '2026-06-30', objects: [LENIENT] })]);
    const r2 = auditManifests(loaded([...BASELINE, otherRule, annotate(LENIENT, 'MESH-MTLS-002@2026-06-30')]), { today: TODAY });
    expect(ids(r2)).toEqual([
      ['EXC-UNKNOWN', REGISTRY_REF, false],
      ['EXC-UNREGISTERED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
  });

  test('the admission key and the record must both back the entry, and agree with each other', () => {
    const stamp = 'MESH-MTLS-002@2026-06-30';
    const keyOnly = registry('shop', [], { keys: { 'PeerAuthentication.lenient': stamp } });
    const r1 = auditManifests(loaded([...BASELINE, keyOnly, annotate(LENIENT, stamp)]), { today: TODAY });
    expect(ids(r1)).toEqual([
      ['EXC-REGISTRY', REGISTRY_REF, false],
      ['EXC-UNREGISTERED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    expect(r1.findings[0]).toMatchObject({ path: 'data.PeerAuthentication.lenient', message: expect.stringContaining(`lists ${stamp}, which no record of exceptions.yaml backs`) });
    expect(r1.findings[1].message).toContain('no record of shop/secure-mesh-exceptions exceptions.yaml names MESH-MTLS-002, expiry 2026-06-30 and PeerAuthentication/shop/lenient');

    const recordOnly = registry('shop', [record({ rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: [LENIENT] })], { keys: {} });
    const r2 = auditManifests(loaded([...BASELINE, recordOnly, annotate(LENIENT, stamp)]), { today: TODAY });
    expect(ids(r2)).toEqual([
      ['EXC-REGISTRY', REGISTRY_REF, false],
      ['EXC-UNREGISTERED', 'PeerAuthentication/shop/lenient', false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    expect(r2.findings[0].message).toContain('there is no admission key PeerAuthentication.lenient with none of its stamps');
  });

  test('a registry in namespace shop listing an object of payments does not cover it (a repo writes only its own registry)', () => {
    const theirs = permissive('ledger', 'payments');
    const shopRegistry = registry('shop', [record({ rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: [theirs] })]);
    const result = auditManifests(loaded([...BASELINE, shopRegistry, annotate(theirs, 'MESH-MTLS-002@2026-06-30')]), { today: TODAY });
    expect(ids(result)).toEqual([
      ['EXC-REGISTRY', REGISTRY_REF, false],
      ['EXC-REGISTRY', REGISTRY_REF, false],
      ['EXC-UNREGISTERED', 'PeerAuthentication/payments/ledger', false],
      ['MESH-MTLS-002', 'PeerAuthentication/payments/ledger', false],
    ]);
    expect(result.findings.map((f) => f.message)).toEqual([
      expect.stringContaining('admission key PeerAuthentication.ledger lists MESH-MTLS-002@2026-06-30, which no record'),
      expect.stringContaining('lists PeerAuthentication/payments/ledger, an object of namespace payments: the registry of shop covers only objects of shop'),
      expect.stringContaining('namespace payments has no exception registry'),
      expect.any(String),
    ]);
  });

  test('a record expiring beyond the longest lifetime (a 2075 expiry) is reported and covers nothing; maxExceptionDays sets the limit', () => {
    const { objects, registries } = excepted([LENIENT], { rules: ['MESH-MTLS-002'], expires: '2075-01-01', id: 'shop/forever' });
    const result = auditManifests(loaded([...BASELINE, ...registries, ...objects]), { today: TODAY });
    expect(ids(result)).toEqual([
      ['EXC-REGISTRY', REGISTRY_REF, false],
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', false],
    ]);
    expect(result.findings[0]).toMatchObject({
      severity: RuleSeverity.ERROR,
      path: 'data.exceptions.yaml',
      message: expect.stringMatching(/^record "shop\/forever" \(exceptions\.yaml\[0\]\): expires on 2075-01-01, \d+ days from today \(2026-06-01\): more than the longest lifetime of 90 days; it covers nothing$/),
    });
    expect(result.exceptions).toEqual([expect.objectContaining({ status: 'refused', exceptionId: 'shop/forever', problem: expect.stringContaining('longest lifetime') })]);

    const in100 = excepted([LENIENT], { rules: ['MESH-MTLS-002'], expires: addDays(TODAY, 100) });
    const manifests = loaded([...BASELINE, ...in100.registries, ...in100.objects]);
    expect(auditManifests(manifests, { today: TODAY }).summary.excepted).toBe(0);
    expect(auditManifests(manifests, { today: TODAY, maxExceptionDays: 100 }).summary).toMatchObject({ errors: 0, excepted: 1 });
    expect(() => auditManifests(manifests, { today: TODAY, maxExceptionDays: 366 })).toThrow(/maxExceptionDays must be a whole number of days from 1 to 365/);
  });

  test('an expired record is reported even when its object is gone, and listed with its status', () => {
    const gone = registry('shop', [record({ id: 'shop/old', rules: ['MESH-MTLS-002'], expires: '2026-01-31', objects: ['PeerAuthentication/shop/gone'] })]);
    const result = auditManifests(loaded([...BASELINE, gone]), { today: TODAY });
    expect(ids(result)).toEqual([['EXC-EXPIRED', REGISTRY_REF, false]]);
    expect(result.exceptions).toEqual([expect.objectContaining({
      object: 'PeerAuthentication/shop/gone', status: 'expired', exceptionId: 'shop/old', owner: 'team-shop@example.com', registry: 'shop/secure-mesh-exceptions', line: 31,
    })]);
  });

  test('a record of an object that is not in the input, or not annotated, is an unknown entry (warning)', () => {
    const entries = registry('shop', [
      record({ id: 'shop/renamed', rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: ['PeerAuthentication/shop/old-name'] }),
      record({ id: 'shop/fixed', rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: [MESH_STRICT.kind + '/shop/strict'] }),
    ]);
    const strict = { ...MESH_STRICT, metadata: { name: 'strict', namespace: 'shop' } };
    const result = auditManifests(loaded([...BASELINE, entries, strict]), { today: TODAY });
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.message])).toEqual([
      ['EXC-UNKNOWN', RuleSeverity.WARNING, expect.stringContaining('record "shop/fixed" (exceptions.yaml[0]): PeerAuthentication/shop/strict carries no secure-mesh.cdk8s.io/exceptions entry')],
      ['EXC-UNKNOWN', RuleSeverity.WARNING, expect.stringContaining('record "shop/renamed" (exceptions.yaml[1]): PeerAuthentication/shop/old-name is not in the input (renamed or removed?)')],
    ]);
    expect(result.exceptions.map((e) => [e.object, e.status, e.exceptionId])).toEqual([
      ['PeerAuthentication/shop/old-name', 'unknown', 'shop/renamed'],
      ['PeerAuthentication/shop/strict', 'unknown', 'shop/fixed'],
    ]);
  });

  test('an exception whose records span namespaces needs a meshWideReason', () => {
    const theirs = permissive('ledger', 'payments');
    const props = { rules: ['MESH-MTLS-002'], expires: '2026-06-30', id: 'platform/scrapers' };
    const spanning = excepted([LENIENT, theirs], props);
    const without = auditManifests(loaded([...BASELINE, ...spanning.registries, ...spanning.objects]), { today: TODAY });
    expect(without.findings.filter((f) => f.ruleId === 'EXC-REGISTRY').map((f) => [f.object, f.message])).toEqual([
      ['ConfigMap/shop/secure-mesh-exceptions', expect.stringContaining('the exception covers objects in payments, shop (the registries with the record id "platform/scrapers") without a meshWideReason')],
      ['ConfigMap/payments/secure-mesh-exceptions', expect.stringContaining('without a meshWideReason')],
    ]);
    expect(without.summary.excepted).toBe(0);
    const reasoned = excepted([LENIENT, theirs], { ...props, meshWideReason: 'Both namespaces run the legacy scraper until the migration ends.' });
    const accepted = auditManifests(loaded([...BASELINE, ...reasoned.registries, ...reasoned.objects]), { today: TODAY });
    expect(accepted.summary).toMatchObject({ errors: 0, excepted: 2 });
  });

  test('cluster-scoped objects are registered in the control-plane namespace\'s registry, and only there', () => {
    const crb: RuleObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'admins' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'platform-admins' }],
    };
    const props = { rules: ['RBAC-CRB-001'], expires: '2026-06-30' };
    const inCp = excepted([crb], props);
    expect(inCp.registries[0].metadata?.namespace).toBe('istio-system');
    const options = { today: TODAY, expectMeshBaseline: false };
    expect(auditManifests(loaded([...inCp.registries, ...inCp.objects]), options).summary).toMatchObject({ errors: 0, excepted: 1 });
    const elsewhere = excepted([crb], props, 'mesh-cp');
    const moved = auditManifests(loaded([...elsewhere.registries, ...elsewhere.objects]), { ...options, controlPlaneNamespace: 'mesh-cp' });
    expect(moved.summary).toMatchObject({ errors: 0, excepted: 1 });

    const inShop = registry('shop', [record({ rules: ['RBAC-CRB-001'], expires: '2026-06-30', objects: [crb] })]);
    const wrong = auditManifests(loaded([inShop, ...inCp.objects]), options);
    expect(wrong.findings.map((f) => f.ruleId)).toEqual(['EXC-REGISTRY', 'EXC-REGISTRY', 'EXC-UNREGISTERED', 'RBAC-CRB-001']);
    expect(wrong.findings[1].message).toContain('lists the cluster-scoped ClusterRoleBinding/admins: only the mesh-wide registry in the control-plane namespace istio-system covers cluster-scoped objects');
    expect(wrong.findings[2].message).toContain('the control-plane namespace istio-system has no exception registry');
  });

  test('malformed registries are EXC-REGISTRY findings and cover nothing', () => {
    const stamp = 'MESH-MTLS-002@2026-06-30';
    const good = record({ rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: [LENIENT] });
    const cases: [string, RuleObject, RegExp][] = [
      ['not a list', registry('shop', [good], { recordsYaml: 'id: x\n' }), /exceptions\.yaml must be a list of exception records/],
      ['not YAML', registry('shop', [good], { recordsYaml: '- [unclosed\n' }), /exceptions\.yaml is not YAML/],
      ['no owner', registry('shop', [good], { recordsYaml: recordsToYaml([{ ...good, owner: ' ' }]) }), /record.*its owner is empty/],
      ['an unknown rule', registry('shop', [good], { recordsYaml: recordsToYaml([{ ...good, rules: ['MESH-MTLS-002', 'NOPE-001'] }]) }), /NOPE-001 is not a rule of the set/],
      ['a bad reference', registry('shop', [good], { recordsYaml: recordsToYaml([{ ...good, objects: ['lenient'] }]) }), /"lenient" is not Kind\/namespace\/name or Kind\/name/],
      ['an unreal date', registry('shop', [good], { recordsYaml: recordsToYaml([{ ...good, expires: '2026-02-30' }]) }), /expires 2026-02-30 is not a date/],
      ['a bad key', registry('shop', [good], { extraKeys: { notes: 'hello' } }), /data key notes is neither exceptions\.yaml nor an admission key Kind\.name/],
      ['a bad stamp', registry('shop', [good], { extraKeys: { 'PeerAuthentication.lenient': `${stamp},forever` } }), /"forever" is not RULE@YYYY-MM-DD/],
    ];
    for (const [what, reg, message] of cases) {
      const result = auditManifests(loaded([...BASELINE, reg, annotate(LENIENT, stamp)]), { today: TODAY });
      const problems = result.findings.filter((f) => f.ruleId === 'EXC-REGISTRY');
      expect({ what, matched: problems.some((f) => message.test(f.message)) }).toEqual({ what, matched: true });
      if (what !== 'a bad key' && what !== 'a bad stamp') expect({ what, excepted: result.summary.excepted }).toEqual({ what, excepted: 0 });
    }
  });

  test('a registry without namespace is nobody\'s; two registries for a namespace cover nothing; a missing label is a warning', () => {
    const { objects, registries } = excepted([LENIENT], { rules: ['MESH-MTLS-002'], expires: '2026-06-30' });
    const namespaceless = { ...registries[0], metadata: { ...registries[0].metadata, namespace: undefined } };
    const r1 = auditManifests(loaded([...BASELINE, namespaceless, ...objects]), { today: TODAY });
    expect(r1.findings.map((f) => [f.ruleId, f.path])).toEqual([
      ['EXC-REGISTRY', 'metadata.namespace'], ['EXC-UNREGISTERED', `metadata.annotations.${EXCEPTION_ANNOTATION}`], ['MESH-MTLS-002', 'spec.mtls.mode'],
    ]);
    const r2 = auditManifests(loaded([...BASELINE, ...registries, registry('shop', []), ...objects]), { today: TODAY });
    expect(r2.findings.map((f) => [f.ruleId, f.line, f.excepted])).toEqual([
      ['EXC-REGISTRY', 31, false], ['EXC-REGISTRY', 41, false], ['EXC-UNREGISTERED', 51, false], ['MESH-MTLS-002', 51, false],
    ]);
    expect(r2.findings[1].message).toMatch(/^2 exception registries for namespace shop \(also at objects\.yaml:31\): none of them is read/);
    expect(r2.findings[2].message).toContain('namespace shop has several exception registries, and none of them is read');
    const unlabelled = registry('shop', [record({ rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: [LENIENT] })], { label: false });
    const r3 = auditManifests(loaded([...BASELINE, unlabelled, ...objects]), { today: TODAY });
    expect(r3.findings.map((f) => [f.ruleId, f.severity, f.excepted])).toEqual([['EXC-UNLABELLED', RuleSeverity.WARNING, false], ['MESH-MTLS-002', RuleSeverity.ERROR, true]]);
  });

  test('registries and objects give the same findings and exceptions whatever the input order', () => {
    const { objects, registries } = excepted([LENIENT], { rules: ['MESH-MTLS-002'], expires: '2026-06-30' });
    const stray = registry('shop', [record({ id: 'shop/gone', rules: ['MESH-MTLS-002'], expires: '2026-06-30', objects: ['PeerAuthentication/shop/gone'] })]);
    const manifests = [...loaded([...BASELINE, ...registries]), ...loaded([stray, ...objects, annotate(permissive('other', 'shop'), 'MESH-MTLS-002@2026-06-30')], 'more.yaml')];
    const forward = auditManifests(manifests, { today: TODAY });
    const backward = auditManifests([...manifests].reverse(), { today: TODAY });
    expect(backward.findings).toEqual(forward.findings);
    expect(backward.exceptions).toEqual(forward.exceptions);
    // Two registries for shop: neither is read (fail closed), whatever the order.
    expect(forward.findings.filter((f) => f.ruleId === 'EXC-REGISTRY').map((f) => f.message)).toEqual([
      expect.stringMatching(/^2 exception registries for namespace shop \(also at objects\.yaml:31\): none of them is read/),
      expect.stringMatching(/^2 exception registries for namespace shop \(also at more\.yaml:1\): none of them is read/),
    ]);
    expect(forward.summary.excepted).toBe(0);
  });

  test('without `today` (tests only), the audit uses the system clock', () => {
    const result = auditManifests(loaded([MESH_STRICT]), {});
    expect(result.today).toBe(daysFromNow(0));
  });
});

describe('abuse: an app that moves its own clock to revive an expired exception', () => {
  test('synthesis passes with a warning and a recorded override; the audit, on the real date, refuses the exception', () => {
    const app = Testing.app();
    // The exception expired 30 days ago; the app pins "today" 10 days before that.
    const expired = addDays(new Date().toISOString().slice(0, 10), -30);
    app.node.setContext(CLOCK_CONTEXT_KEY, addDays(expired, -10));
    const chart = new Chart(app, 'app');
    new MeshBaseline(chart, 'mesh');
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', { namespace: shop, image: `gcr.io/acme/app@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    cart.allowPlaintextPort(8080, {
      exception: new PolicyException(cart, 'revived', {
        rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'],
        objects: ['PeerAuthentication/shop/cart-plaintext-8080', 'AuthorizationPolicy/shop/cart-plaintext-8080'],
        ports: [8080],
        justification: 'The legacy scraper cannot speak mTLS; only the namespace reaches the port.',
        owner: 'team-observability',
        expires: expired,
      }),
    });
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let objects: RuleObject[];
    try {
      objects = Testing.synth(chart);
    } finally {
      warn.mockRestore();
    }
    expect(PolicyEnforcement.of(app).report.clockOverride).toBe(addDays(expired, -10));
    const registryOfShop = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.namespace === 'shop')!;
    expect(registryOfShop.metadata?.annotations?.['secure-mesh.cdk8s.io/clock-override']).toContain(addDays(expired, -10));
    // The CI audit has no clock option: it judges on the real date.
    const result = auditManifests(objects.map((object, i) => ({ object, file: 'dist/app.k8s.yaml', line: i + 1, documentIndex: i })), {});
    expect(result.findings.filter((f) => f.ruleId === 'EXC-EXPIRED').length).toBeGreaterThan(0);
    expect(result.findings.filter((f) => !f.excepted && f.severity === RuleSeverity.ERROR).map((f) => f.ruleId)).toEqual(expect.arrayContaining(['MESH-MTLS-002', 'MESH-AUTHZ-004']));
  });
});

describe('AUDIT_RULES and isFailing', () => {
  test('every rule of the set, then the exception, guardrail and manifest checks, with unique ids', () => {
    const ids = AUDIT_RULES.map((r) => r.id);
    expect(ids).toEqual([...ALL_RULES.map((r) => r.id), 'EXC-EXPIRED', 'EXC-INVALID', 'EXC-UNREGISTERED', 'EXC-REGISTRY', 'EXC-UNKNOWN', 'EXC-UNLABELLED', 'ADMISSION-GUARDRAIL', 'MANIFEST-INVALID']);
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

describe('auditSettingsOf: the audit options the reviewed settings decide', () => {
  test('every setting of secure-mesh.yaml reaches the audit, the exception lifetime included', () => {
    const settings = {
      rootNamespace: 'mesh-root',
      controlPlaneNamespace: 'istio-cp',
      meshAdminGroups: ['admins'],
      operatorGroups: ['ops'],
      allowedRegistries: ['gcr.io/acme'],
      proxyImageRepositories: ['gcr.io/acme/proxyv2'],
      ruleSet: '1',
      maxExceptionDays: 30,
      appNamespaces: ['team-a'],
    };
    expect(auditSettingsOf(SecureMeshConfig.fromSettings(settings))).toEqual(settings);
  });
});
