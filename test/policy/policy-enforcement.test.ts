import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { SecureMeshConfig } from '../../src/config/secure-mesh-config';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { ExceptionRegistry } from '../../src/policy/exception-registry';
import { EXCEPTION_ANNOTATION, PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException, PolicyExceptionProps } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const REASON = 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.';

function setup(today?: string) {
  const app = Testing.app();
  if (today) app.node.setContext(CLOCK_CONTEXT_KEY, today);
  const chart = new Chart(app, 'test');
  const mesh = new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  return { app, chart, mesh, ns, cart };
}

const PLAINTEXT_OBJECTS = ['AuthorizationPolicy/shop/cart-plaintext-8080', 'PeerAuthentication/shop/cart-plaintext-8080'];
const exceptionProps = (over: Partial<PolicyExceptionProps> = {}): PolicyExceptionProps => ({
  rules: ['MESH-MTLS-002'], justification: REASON, owner: 'team-observability', expires: '2027-03-31', objects: PLAINTEXT_OBJECTS, ports: [8080], ...over,
});
/** A day the exceptions of these tests (expiring 2027-03-31) are valid and within 90 days. */
const TODAY = '2027-01-15';

describe('PolicyEnforcement (synth-time rules over the final manifests)', () => {
  test('a secure app synthesizes; the report has no error finding', () => {
    const { chart, app } = setup();
    synthValidated(chart);
    const report = PolicyEnforcement.of(app).report;
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.exceptions).toEqual([]);
  });

  test('a JSON patch that weakens mTLS fails synthesis, naming rule, practice, construct path, field and fix', () => {
    const { chart } = setup();
    const pa = chart.node.findAll().find((c: any) => c instanceof ApiObject && c.kind === 'PeerAuthentication' && c.metadata.namespace === 'shop') as ApiObject;
    pa.addJsonPatch(JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE'));
    expect(() => Testing.synth(chart)).toThrow(/MESH-MTLS-002 \(MTLS-1\): \[test\/shop\/StrictMtls\] PeerAuthentication\/shop\/default spec\.mtls\.mode: .*PERMISSIVE.*Fix: /);
  });

  test('a raw ApiObject added to the chart is checked like any other (privileged pod)', () => {
    const { chart } = setup();
    new ApiObject(chart, 'rogue', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'rogue', namespace: 'shop' },
      spec: { containers: [{ name: 'x', image: IMAGE, securityContext: { privileged: true } }] },
    });
    expect(() => Testing.synth(chart)).toThrow(/POD-PRIV-001 \(POD-1, OPS-1\): \[test\/rogue\] Pod\/shop\/rogue/);
  });

  test('removing the mesh-wide STRICT policy (by patch) fails the presence rule', () => {
    const { chart, mesh } = setup();
    const pa = mesh.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'PeerAuthentication') as ApiObject;
    pa.addJsonPatch(JsonPatch.replace('/metadata/namespace', 'elsewhere'));
    expect(() => Testing.synth(chart)).toThrow(/MESH-MTLS-001 \(MTLS-1\): <mesh>/);
  });

  test('presence rules do not apply when the baseline is managed elsewhere', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test');
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop', mesh: MeshBaseline.fromAttributes({}) });
    new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    expect(() => synthValidated(chart)).not.toThrow();
  });

  describe('PolicyException', () => {
    function plaintext(today: string = TODAY, over: Partial<PolicyExceptionProps> = {}) {
      const s = setup(today);
      const ex = new PolicyException(s.cart, 'scraper', exceptionProps({ rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'], ...over }));
      s.cart.allowPlaintextPort(8080, { exception: ex });
      return { ...s, ex };
    }

    test('a valid exception relaxes only its rules in its scope, stamps the objects and is reported', () => {
      const { chart, app } = plaintext(TODAY);
      const objects = synthValidated(chart);
      const pa = findObject(objects, 'PeerAuthentication', 'cart-plaintext-8080', 'shop');
      expect(pa.metadata.annotations).toEqual({ [EXCEPTION_ANNOTATION]: 'MESH-MTLS-002@2027-03-31' });
      expect(findObject(objects, 'AuthorizationPolicy', 'cart-plaintext-8080', 'shop').metadata.annotations).toEqual({ [EXCEPTION_ANNOTATION]: 'MESH-AUTHZ-004@2027-03-31' });
      const report = PolicyEnforcement.of(app).report;
      expect(report.exceptions).toEqual([expect.objectContaining({
        path: 'test/cart/scraper',
        owner: 'team-observability',
        status: 'valid',
        coveredObjects: ['AuthorizationPolicy/shop/cart-plaintext-8080', 'PeerAuthentication/shop/cart-plaintext-8080'],
      })]);
      expect(report.findings.filter((f) => f.exception).map((f) => f.ruleId).sort()).toEqual(['MESH-AUTHZ-004', 'MESH-MTLS-002']);
    });

    test('the compensating control: only the namespace reaches the plaintext port', () => {
      const { chart } = plaintext(TODAY);
      expect(findObject(synthValidated(chart), 'NetworkPolicy', 'cart-plaintext-8080', 'shop').spec.ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }],
        ports: [{ protocol: 'TCP', port: 8080 }],
      }]);
    });

    test('close to expiry it is reported as expiring and warned about once; after expiry synthesis fails', () => {
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const soon = plaintext('2027-03-25');
      synthValidated(soon.chart);
      Testing.synth(soon.chart);
      expect(PolicyEnforcement.of(soon.app).report.exceptions[0].status).toBe('expiring');
      const expiring = warn.mock.calls.filter((c) => (c[1] as any)?.code === 'SECURE_MESH_EXCEPTION_EXPIRING');
      expect(expiring).toHaveLength(1);
      expect(String(expiring[0][0])).toMatch(/PolicyException test\/cart\/scraper .* expires on 2027-03-31, in 6 day\(s\)/);
      warn.mockRestore();
      const late = plaintext('2027-04-01');
      expect(() => Testing.synth(late.chart)).toThrow(/\[test\/cart\/scraper\] expires: the exception expired on 2027-03-31 \(today is 2027-04-01; owner team-observability\)/);
    });

    test('an exception that relaxes nothing is reported as stale', () => {
      const s = setup(TODAY);
      new PolicyException(s.chart, 'unused', exceptionProps());
      synthValidated(s.chart);
      expect(PolicyEnforcement.of(s.app).report.exceptions).toEqual([expect.objectContaining({ path: 'test/unused', status: 'stale', coveredObjects: [] })]);
    });

    test('unknown rule ids fail synthesis', () => {
      const s = setup(TODAY);
      new PolicyException(s.chart, 'typo', exceptionProps({ rules: ['MESH-MTLS-02'] }));
      expect(() => Testing.synth(s.chart)).toThrow(/\[test\/typo\] rules: unknown rule id\(s\) MESH-MTLS-02/);
    });

    test('a scope narrows further: an exception limited to another subtree does not cover', () => {
      const s = setup(TODAY);
      const elsewhere = new PolicyException(s.cart, 'wrong-scope', exceptionProps({ rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'], scope: s.ns }));
      s.cart.allowPlaintextPort(8080, { exception: elsewhere });
      expect(() => Testing.synth(s.chart)).toThrow(/MESH-MTLS-002 .*\[test\/cart\/Plaintext8080\]/);
    });

    test('ports: a violation about a port is covered only when the port is listed; one without a port by its object', () => {
      const s = setup(TODAY);
      const ex = new PolicyException(s.cart, 'narrow', exceptionProps({ rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'], ports: [9999] }));
      s.cart.allowPlaintextPort(8080, { exception: ex });
      expect(() => Testing.synth(s.chart)).toThrow(/MESH-MTLS-002 .*PeerAuthentication\/shop\/cart-plaintext-8080/);
      expect(() => Testing.synth(s.chart)).not.toThrow(/MESH-AUTHZ-004/);
    });

    test('abuse: the exception for one service\'s plaintext port does not cover a namespace-wide PERMISSIVE PeerAuthentication', () => {
      const { chart } = plaintext();
      new ApiObject(chart, 'lenient-ns', {
        apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'lenient', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } },
      });
      expect(() => Testing.synth(chart)).toThrow(/MESH-MTLS-002 \(MTLS-1\): \[test\/lenient-ns\] PeerAuthentication\/shop\/lenient/);
    });

    test('a maximum lifetime: an expiry further than 90 days away fails synthesis (2075 is not temporary)', () => {
      expect(() => Testing.synth(plaintext('2026-12-01').chart))
        .toThrow(/\[test\/cart\/scraper\] expires: 2027-03-31 is 120 days away \(today is 2026-12-01\); an exception lasts at most 90 days/);
      expect(() => Testing.synth(plaintext(TODAY, { expires: '2075-01-01' }).chart)).toThrow(/expires: 2075-01-01 is \d+ days away/);
    });

    test('MeshBaseline maxExceptionDays sets the longest lifetime, from 1 to 365 days', () => {
      const app = Testing.app();
      app.node.setContext(CLOCK_CONTEXT_KEY, '2026-12-01');
      const chart = new Chart(app, 'test');
      new MeshBaseline(chart, 'mesh', { maxExceptionDays: 180 });
      const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
      cart.allowPlaintextPort(8080, { exception: new PolicyException(cart, 'scraper', exceptionProps({ rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'] })) });
      expect(() => synthValidated(chart)).not.toThrow();
      expect(PolicyEnforcement.of(app).maxExceptionDays).toBe(180);
      for (const days of [0, 366, 1.5]) expect(() => new MeshBaseline(new Chart(Testing.app(), 'x'), 'mesh', { maxExceptionDays: days })).toThrow(/maxExceptionDays: .* from 1 to 365/);
    });

    test('an overridden clock is never silent: a warning, the report, and every registry say so', () => {
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const { chart, app } = plaintext('2027-01-16');
        const objects = synthValidated(chart);
        expect(PolicyEnforcement.of(app).report.clockOverride).toBe('2027-01-16');
        expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/checks exception expiry against 2027-01-16, not the real date/));
        for (const r of objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'secure-mesh-exceptions')) {
          expect(r.metadata.annotations['secure-mesh.cdk8s.io/clock-override']).toBe('2027-01-16 (context cdk8s-secure-mesh:today)');
        }
      } finally {
        warn.mockRestore();
      }
      const real = setup();
      synthValidated(real.chart);
      expect(PolicyEnforcement.of(real.app).report.clockOverride).toBeUndefined();
    });

    test('every excepted object is recorded in its namespace\'s registry, which the app must write', () => {
      const { chart } = plaintext();
      const objects = synthValidated(chart);
      const registry = findObject(objects, 'ConfigMap', 'secure-mesh-exceptions', 'shop');
      expect(registry.data['PeerAuthentication.cart-plaintext-8080']).toBe('MESH-MTLS-002@2027-03-31');
      expect(registry.data['AuthorizationPolicy.cart-plaintext-8080']).toBe('MESH-AUTHZ-004@2027-03-31');
      expect(registry.data['exceptions.yaml']).toContain('owner: team-observability');
      expect(findObject(objects, 'ConfigMap', 'secure-mesh-exceptions', 'istio-system').data).toBeUndefined();

      const app = Testing.app();
      app.node.setContext(CLOCK_CONTEXT_KEY, TODAY);
      const bare = new Chart(app, 'bare');
      new MeshBaseline(bare, 'mesh');
      new ApiObject(bare, 'lenient', {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'lenient', namespace: 'legacy' },
        spec: { selector: { matchLabels: { app: 'legacy' } }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } } },
      });
      new PolicyException(bare, 'legacy', exceptionProps({ objects: ['PeerAuthentication/legacy/lenient'], ports: [9090] }));
      expect(() => Testing.synth(bare)).toThrow(/\[bare\/legacy\] no exception registry records namespace legacy, where PeerAuthentication\/legacy\/lenient \(MESH-MTLS-002\) is excepted/);
      new ExceptionRegistry(bare, 'legacy-exceptions', { namespace: 'legacy' });
      expect(findObject(Testing.synth(bare), 'ConfigMap', 'secure-mesh-exceptions', 'legacy').data['PeerAuthentication.lenient']).toBe('MESH-MTLS-002@2027-03-31');
      new ExceptionRegistry(bare, 'second', { namespace: 'legacy' });
      expect(() => Testing.synth(bare)).toThrow(/\[bare\/second\] namespace: legacy already has the exception registry bare\/legacy-exceptions/);
    });
  });

  test('PolicyEnforcement.of returns the one enforcement of the app', () => {
    const chart = Testing.chart();
    expect(PolicyEnforcement.of(chart)).toBe(PolicyEnforcement.of(chart.node.root));
  });
});

describe('PolicyEnforcement: secure-mesh.yaml cannot drift from the blueprint', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-drift-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configFile = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const withConfig = (file: string) => {
    const app = Testing.app();
    app.node.setContext('cdk8s-secure-mesh:config', file);
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com' });
    return chart;
  };

  test('a file that agrees with MeshBaseline synthesizes', () => {
    const chart = withConfig(configFile('agrees.yaml', SecureMeshConfig.fromSettings({ trustDomain: 'retail.example.com' }).toYaml()));
    expect(() => synthValidated(chart)).not.toThrow();
  });

  test('a file naming another trust domain fails synthesis with the setting, both values and the file to write', () => {
    const chart = withConfig(configFile('drifted.yaml', SecureMeshConfig.fromSettings({}).toYaml()));
    expect(() => Testing.synth(chart)).toThrow(
      /MESH-CONFIG \(OPS-1\): .*drifted\.yaml disagrees with the blueprint's MeshBaseline\/MeshRoleSets: trustDomain: the file says "cluster\.local", the blueprint "retail\.example\.com"\..*Fix: write SecureMeshConfig\.fromApp\(app\)\.toYaml\(\) to it[\s\S]*trustDomain: retail\.example\.com/);
  });

  test('a broken file fails synthesis naming it and the field', () => {
    const chart = withConfig(configFile('broken.yaml', 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\ntrustDomian: x\n'));
    expect(() => Testing.synth(chart)).toThrow(/\[cdk8s-secure-mesh-policy\] .*broken\.yaml: unknown field "trustDomian"/);
  });

  test('without a file (none in the working directory, none named) nothing is compared', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com' });
    expect(() => synthValidated(chart)).not.toThrow();
  });
});

describe('PolicyEnforcement: the rule set the app declares', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-rule-set-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  /** A raw pod that breaks POD-ROFS-001 (new in rule set 2) and nothing older. */
  const writablePod = (chart: Chart) => new ApiObject(chart, 'writable', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'writable', namespace: 'shop', labels: { app: 'writable' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'x', image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });
  const app = (context: { [key: string]: unknown }) => {
    const a = Testing.app();
    for (const [k, v] of Object.entries(context)) a.node.setContext(k, v);
    const chart = new Chart(a, 'test');
    new MeshBaseline(chart, 'mesh');
    new HardenedNamespace(chart, 'shop', { name: 'shop' });
    writablePod(chart);
    return { a, chart };
  };

  test('undeclared: the latest set, so a rule of set 2 fails synthesis', () => {
    expect(() => Testing.synth(app({}).chart)).toThrow(/POD-ROFS-001 \(POD-1\): \[test\/writable\] Pod\/shop\/writable/);
  });

  test('declared 1 by the context key: the same finding is a warning that says which set makes it an error', () => {
    const { a, chart } = app({ 'cdk8s-secure-mesh:rule-set': '1' });
    expect(() => Testing.synth(chart)).not.toThrow();
    const finding = PolicyEnforcement.of(a).report.findings.find((f) => f.ruleId === 'POD-ROFS-001');
    expect(finding).toMatchObject({ severity: 'warning', object: 'Pod/shop/writable' });
  });

  test('declared 1 in the config file (ruleSet), read like the rest of the file', () => {
    const file = path.join(dir, 'pinned.yaml');
    fs.writeFileSync(file, `${SecureMeshConfig.fromSettings({ ruleSet: '1' }).toYaml()}`);
    expect(fs.readFileSync(file, 'utf8')).toContain('ruleSet: "1"');
    expect(() => Testing.synth(app({ 'cdk8s-secure-mesh:config': file }).chart)).not.toThrow();
  });

  test('an unknown set fails synthesis naming the key and the known sets', () => {
    expect(() => Testing.synth(app({ 'cdk8s-secure-mesh:rule-set': '9' }).chart))
      .toThrow(/context cdk8s-secure-mesh:rule-set: "9" is not a rule set \(known: 1, 2; the latest is 2\)/);
  });

  test('a context key that disagrees with the file is drift', () => {
    const file = path.join(dir, 'other.yaml');
    fs.writeFileSync(file, SecureMeshConfig.fromSettings({ ruleSet: '2' }).toYaml());
    expect(() => Testing.synth(app({ 'cdk8s-secure-mesh:config': file, 'cdk8s-secure-mesh:rule-set': '1' }).chart))
      .toThrow(/MESH-CONFIG \(OPS-1\): .*ruleSet: the file says "2", the blueprint "1"/);
  });
});

describe('PolicyEnforcement: what is written is what was checked', () => {
  test('an excepted (stamped) object whose toJson answers differently after the check fails synthesis', () => {
    const { chart } = setup(TODAY);
    const pa = new ApiObject(chart, 'lenient', {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'lenient', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'legacy' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } } },
    });
    new PolicyException(chart, 'legacy', exceptionProps({ objects: ['PeerAuthentication/shop/lenient'], ports: [9090] }));
    const render = pa.toJson.bind(pa);
    let calls = 0;
    Object.defineProperty(pa, 'toJson', {
      configurable: true,
      writable: true,
      value: () => (calls++ === 0 ? render() : { ...render(), spec: { mtls: { mode: 'DISABLE' } } }),
    });
    expect(() => Testing.synth(chart)).toThrow(/\[test\/lenient\] PeerAuthentication\/shop\/lenient: renders differently each time/);
  });

  test('the same stamped object rendering the same every time synthesizes, stamp included', () => {
    const { chart } = setup(TODAY);
    new ApiObject(chart, 'lenient', {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'lenient', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'legacy' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } } },
    });
    new PolicyException(chart, 'legacy', exceptionProps({ objects: ['PeerAuthentication/shop/lenient'], ports: [9090] }));
    const pa = findObject(synthValidated(chart), 'PeerAuthentication', 'lenient', 'shop');
    expect(pa.metadata.annotations[EXCEPTION_ANNOTATION]).toBe('MESH-MTLS-002@2027-03-31');
  });
});
