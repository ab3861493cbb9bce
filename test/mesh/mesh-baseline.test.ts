import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { DataPlane } from '../../src/mesh/data-plane';
import { MeshBaseline, MeshBaselineProps } from '../../src/mesh/mesh-baseline';
import { PolicyException, PolicyExceptionProps } from '../../src/policy/policy-exception';
import { findObject, ofKind, synthValidated } from '../helpers';

function baseline(props: MeshBaselineProps = {}): any[] {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', props);
  return synthValidated(chart);
}

function istiodRules(objects: any[], namespace = 'istio-system'): any[] {
  return findObject(objects, 'NetworkPolicy', 'istiod-ingress', namespace).spec.ingress;
}

/** The ingress rule that opens `port`, failing the test unless there is exactly one. */
function ruleFor(objects: any[], port: number, namespace?: string): any {
  const rules = istiodRules(objects, namespace).filter((r: any) => r.ports.some((p: any) => p.port === port));
  expect(rules).toHaveLength(1);
  return rules[0];
}

const CUSTOM: MeshBaselineProps = {
  rootNamespace: 'mesh-root',
  controlPlaneNamespace: 'istio-cp',
  revision: 'canary-1-30',
  monitoringNamespace: 'monitoring',
  apiServerCidrs: ['172.16.0.2/32', 'fd00:10::/64'],
  trustDomain: 'my-project.svc.id.goog',
  allowedRegistries: ['us-docker.pkg.dev/my-project', 'gcr.io'],
  accessLogProviders: ['envoy', 'stackdriver'],
};

describe('MeshBaseline', () => {
  test('proxyImageRepositories: Istio\'s hubs by default; a mirror is named; anything else is refused', () => {
    expect(new MeshBaseline(Testing.chart(), 'mesh').proxyImageRepositories).toEqual(['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2']);
    expect(new MeshBaseline(Testing.chart(), 'mesh', { proxyImageRepositories: ['registry.example.com:5000/istio/proxyv2'] }).proxyImageRepositories)
      .toEqual(['registry.example.com:5000/istio/proxyv2']);
    for (const bad of ['docker.io/istio/proxyv2:1.30.3', 'proxyv2', 'Docker.io/istio/proxyv2', `docker.io/istio/proxyv2@sha256:${'a'.repeat(64)}`]) {
      expect(() => new MeshBaseline(Testing.chart(), 'mesh', { proxyImageRepositories: [bad] })).toThrow(/proxyImageRepositories: \[0\] .* is not an image repository/);
    }
    expect(() => new MeshBaseline(Testing.chart(), 'mesh', { proxyImageRepositories: [] })).toThrow(/proxyImageRepositories: an empty list/);
    expect(MeshBaseline.fromAttributes({}).proxyImageRepositories).toEqual(['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2']);
    expect(MeshBaseline.fromAttributes({ proxyImageRepositories: ['registry.example.com/istio/proxyv2'] }).proxyImageRepositories).toEqual(['registry.example.com/istio/proxyv2']);
    expect(() => MeshBaseline.fromAttributes({ proxyImageRepositories: ['x:1'] })).toThrow(/\[MeshBaseline.fromAttributes\] proxyImageRepositories: \[0\] "x:1" is not an image repository/);
  });

  test('snapshot: defaults', () => {
    expect(baseline()).toMatchSnapshot();
  });

  test('snapshot: revision, custom root / control-plane / monitoring namespaces and API server CIDRs', () => {
    expect(baseline(CUSTOM)).toMatchSnapshot();
  });

  describe('MTLS-1', () => {
    test('exactly one PeerAuthentication, in the root namespace, STRICT, without selector', () => {
      const objects = baseline();
      const peerAuth = ofKind(objects, 'PeerAuthentication');
      expect(peerAuth).toHaveLength(1);
      expect(peerAuth[0].metadata).toEqual({ name: 'default', namespace: 'istio-system' });
      expect(peerAuth[0].spec).toEqual({ mtls: { mode: 'STRICT' } });
    });

    test('follows a custom root namespace', () => {
      const objects = baseline(CUSTOM);
      expect(ofKind(objects, 'PeerAuthentication', 'mesh-root')).toHaveLength(1);
      expect(ofKind(objects, 'PeerAuthentication', 'istio-system')).toHaveLength(0);
    });

    test.each([['defaults', {}], ['custom', CUSTOM]])('no PERMISSIVE, DISABLE or UNSET anywhere in the output (%s)', (_name, props) => {
      expect(JSON.stringify(baseline(props))).not.toMatch(/PERMISSIVE|DISABLE|UNSET|ALLOW_ANY/);
    });
  });

  describe('AUTHZ-1', () => {
    test('allow-nothing: ALLOW (implicit), no rules, no selector, in the root namespace', () => {
      const objects = baseline();
      const policies = ofKind(objects, 'AuthorizationPolicy');
      expect(policies).toHaveLength(1);
      expect(policies[0].metadata).toEqual({ name: 'allow-nothing', namespace: 'istio-system' });
      expect(policies[0].spec).toEqual({});
      expect(policies[0].spec.rules).toBeUndefined();
      expect(policies[0].spec.selector).toBeUndefined();
      expect(policies[0].spec.action).toBeUndefined();
    });
  });

  describe('EGRESS-1', () => {
    test('mesh-wide default Sidecar is REGISTRY_ONLY with no workload selector', () => {
      const sidecar = findObject(baseline(), 'Sidecar', 'default', 'istio-system');
      expect(sidecar.spec).toEqual({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    });
  });

  describe('OPS-3', () => {
    test('Telemetry logs with envoy by default', () => {
      const telemetry = findObject(baseline(), 'Telemetry', 'mesh-default', 'istio-system');
      expect(telemetry.spec).toEqual({ accessLogging: [{ providers: [{ name: 'envoy' }] }] });
    });

    test('Telemetry lists every configured provider', () => {
      const telemetry = findObject(baseline(CUSTOM), 'Telemetry', 'mesh-default', 'mesh-root');
      expect(telemetry.spec.accessLogging).toEqual([{ providers: [{ name: 'envoy' }, { name: 'stackdriver' }] }]);
    });
  });

  describe('CP-1', () => {
    test('istiod-ingress selects istiod, ingress only, in the control-plane namespace', () => {
      const policy = findObject(baseline(), 'NetworkPolicy', 'istiod-ingress', 'istio-system');
      expect(policy.spec.podSelector).toEqual({ matchLabels: { app: 'istiod' } });
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
    });

    test('15012 only from mesh-labelled namespaces and the control-plane namespace itself', () => {
      const rule = ruleFor(baseline(), 15012);
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 15012 }]);
      expect(rule.from).toEqual([
        { namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } },
        { podSelector: {} },
      ]);
    });

    test('a revision changes the mesh label to istio.io/rev and the istiod selector', () => {
      const objects = baseline(CUSTOM);
      const policy = findObject(objects, 'NetworkPolicy', 'istiod-ingress', 'istio-cp');
      expect(policy.spec.podSelector).toEqual({ matchLabels: { 'app': 'istiod', 'istio.io/rev': 'canary-1-30' } });
      expect(ruleFor(objects, 15012, 'istio-cp').from[0]).toEqual({ namespaceSelector: { matchLabels: { 'istio.io/rev': 'canary-1-30' } } });
      expect(JSON.stringify(objects)).not.toContain('istio-injection');
      expect(ofKind(objects, 'NetworkPolicy', 'mesh-root')).toHaveLength(0);
    });

    test('15017 from any source when apiServerCidrs is unset', () => {
      const rule = ruleFor(baseline(), 15017);
      expect(rule).toEqual({ ports: [{ protocol: 'TCP', port: 15017 }] });
    });

    test('15017 only from the given API server CIDRs', () => {
      const rule = ruleFor(baseline(CUSTOM), 15017, 'istio-cp');
      expect(rule.from).toEqual([{ ipBlock: { cidr: '172.16.0.2/32' } }, { ipBlock: { cidr: 'fd00:10::/64' } }]);
    });

    test('15014 only from the monitoring namespace', () => {
      const rule = ruleFor(baseline(CUSTOM), 15014, 'istio-cp');
      expect(rule.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    });

    test('15014 only from the Prometheus pods of the monitoring namespace with monitoringPodLabels', () => {
      const rule = ruleFor(baseline({ ...CUSTOM, monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'k8s' } }), 15014, 'istio-cp');
      expect(rule).toEqual({
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          // Sorted keys: stable YAML.
          podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'k8s', 'app.kubernetes.io/name': 'prometheus' } },
        }],
        ports: [{ protocol: 'TCP', port: 15014 }],
      });
    });

    test('15014 is closed without a monitoring namespace', () => {
      const rules = istiodRules(baseline());
      expect(rules.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual([15012, 15017]);
    });

    test.each([['defaults', {}], ['custom', CUSTOM]])('no rule opens 15010 or 8080, and every rule names its ports (%s)', (_name, props) => {
      const objects = baseline(props);
      const rules = ofKind(objects, 'NetworkPolicy').flatMap((p) => p.spec.ingress ?? []);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.ports?.length).toBeGreaterThan(0);
        for (const port of rule.ports) {
          expect(port.protocol).toBe('TCP');
          expect([15012, 15014, 15017]).toContain(port.port);
          expect(port.endPort).toBeUndefined();
        }
      }
      expect(JSON.stringify(ofKind(objects, 'NetworkPolicy'))).not.toMatch(/15010|8080/);
    });

    test('default-deny-ingress selects every pod of the control-plane namespace and has no ingress rules', () => {
      const policy = findObject(baseline(CUSTOM), 'NetworkPolicy', 'default-deny-ingress', 'istio-cp');
      expect(policy.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      expect(policy.spec.ingress).toBeUndefined();
    });

    test('egress is not restricted (istiod must reach the API server)', () => {
      const policies = ofKind(baseline(), 'NetworkPolicy');
      expect(policies.every((p) => !p.spec.policyTypes.includes('Egress') && p.spec.egress === undefined)).toBe(true);
    });
  });

  describe('IMesh members', () => {
    test('defaults', () => {
      const mesh = new MeshBaseline(Testing.chart(), 'mesh');
      expect(mesh.rootNamespace).toBe('istio-system');
      expect(mesh.controlPlaneNamespace).toBe('istio-system');
      expect(mesh.trustDomain).toBe('cluster.local');
      expect(mesh.revision).toBeUndefined();
      expect(mesh.allowedRegistries).toEqual([]);
      expect(mesh.injectionLabels).toEqual({ 'istio-injection': 'enabled' });
      expect(mesh.istiodPodLabels).toEqual({ app: 'istiod' });
      expect(mesh.monitoringNamespace).toBeUndefined();
      expect(mesh.apiServerCidrs).toBeUndefined();
      expect(mesh.accessLogProviders).toEqual(['envoy']);
    });

    test('custom', () => {
      const mesh = new MeshBaseline(Testing.chart(), 'mesh', CUSTOM);
      expect(mesh.rootNamespace).toBe('mesh-root');
      expect(mesh.controlPlaneNamespace).toBe('istio-cp');
      expect(mesh.trustDomain).toBe('my-project.svc.id.goog');
      expect(mesh.revision).toBe('canary-1-30');
      expect(mesh.allowedRegistries).toEqual(['us-docker.pkg.dev/my-project', 'gcr.io']);
      expect(mesh.injectionLabels).toEqual({ 'istio.io/rev': 'canary-1-30' });
      expect(mesh.istiodPodLabels).toEqual({ 'app': 'istiod', 'istio.io/rev': 'canary-1-30' });
    });

    test('monitoring: namespace and pod labels (copied), undefined by default', () => {
      const labels = { app: 'prometheus' };
      const mesh = new MeshBaseline(Testing.chart(), 'mesh', { monitoringNamespace: 'monitoring', monitoringPodLabels: labels });
      labels.app = 'other';
      expect(mesh.monitoringNamespace).toBe('monitoring');
      expect(mesh.monitoringPodLabels).toEqual({ app: 'prometheus' });
      expect(new MeshBaseline(Testing.chart(), 'mesh').monitoringPodLabels).toBeUndefined();
    });

    test('control-plane namespace defaults to a custom root namespace', () => {
      const mesh = new MeshBaseline(Testing.chart(), 'mesh', { rootNamespace: 'mesh-root' });
      expect(mesh.controlPlaneNamespace).toBe('mesh-root');
    });

    test('props arrays are copied, so later mutation of the caller\'s array changes nothing', () => {
      const registries = ['gcr.io'];
      const mesh = new MeshBaseline(Testing.chart(), 'mesh', { allowedRegistries: registries });
      registries.push('docker.io');
      expect(mesh.allowedRegistries).toEqual(['gcr.io']);
    });
  });

  describe('MeshBaseline.of', () => {
    test('finds the baseline from a construct in another chart of the same app', () => {
      const app = Testing.app();
      const meshChart = new Chart(app, 'mesh-chart');
      const mesh = new MeshBaseline(meshChart, 'mesh');
      const other = new Construct(new Chart(app, 'apps'), 'service');
      expect(MeshBaseline.of(other)).toBe(mesh);
      expect(MeshBaseline.of(app)).toBe(mesh);
    });

    test('throws with a fix when the app has no baseline', () => {
      const app = Testing.app();
      const other = new Construct(new Chart(app, 'apps'), 'service');
      expect(() => MeshBaseline.of(other)).toThrow(/\[apps\/service\] mesh: no MeshBaseline in this app\. Add a MeshBaseline to the app, or pass `mesh: MeshBaseline\.fromAttributes/);
    });

    test('isMeshBaseline', () => {
      expect(MeshBaseline.isMeshBaseline(new MeshBaseline(Testing.chart(), 'mesh'))).toBe(true);
      expect(MeshBaseline.isMeshBaseline(Testing.chart())).toBe(false);
      expect(MeshBaseline.isMeshBaseline(undefined)).toBe(false);
      expect(MeshBaseline.isMeshBaseline(MeshBaseline.fromAttributes({}))).toBe(false);
    });
  });

  describe('MeshBaseline.fromAttributes', () => {
    test('same defaults as MeshBaseline', () => {
      const mesh = MeshBaseline.fromAttributes({});
      expect(mesh).toEqual({
        rootNamespace: 'istio-system',
        controlPlaneNamespace: 'istio-system',
        trustDomain: 'cluster.local',
        revision: undefined,
        allowedRegistries: [],
        proxyImageRepositories: ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2'],
        injectionLabels: { 'istio-injection': 'enabled' },
        istiodPodLabels: { app: 'istiod' },
        defaultDataPlane: DataPlane.SIDECAR,
        ambientEnabled: false,
      });
    });

    test('custom attributes and revision labels', () => {
      const mesh = MeshBaseline.fromAttributes({ rootNamespace: 'mesh-root', revision: 'canary', trustDomain: 'example.org', allowedRegistries: ['gcr.io'] });
      expect(mesh.controlPlaneNamespace).toBe('mesh-root');
      expect(mesh.trustDomain).toBe('example.org');
      expect(mesh.allowedRegistries).toEqual(['gcr.io']);
      expect(mesh.injectionLabels).toEqual({ 'istio.io/rev': 'canary' });
      expect(mesh.istiodPodLabels).toEqual({ 'app': 'istiod', 'istio.io/rev': 'canary' });
    });

    test('monitoring namespace and pod labels, for the HardenedNamespaces of this mesh (OPS-3)', () => {
      const mesh = MeshBaseline.fromAttributes({ monitoringNamespace: 'monitoring', monitoringPodLabels: { app: 'prometheus' } });
      expect(mesh.monitoringNamespace).toBe('monitoring');
      expect(mesh.monitoringPodLabels).toEqual({ app: 'prometheus' });
      expect(MeshBaseline.fromAttributes({}).monitoringNamespace).toBeUndefined();
    });

    test.each([
      ['monitoringNamespace', { monitoringNamespace: 'Monitoring' }],
      ['monitoringPodLabels', { monitoringPodLabels: { app: 'prometheus' } }],
      ['monitoringPodLabels', { monitoringNamespace: 'monitoring', monitoringPodLabels: {} }],
      ['monitoringPodLabels', { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'bad key!': 'x' } }],
      ['rootNamespace', { rootNamespace: 'Istio_System' }],
      ['controlPlaneNamespace', { controlPlaneNamespace: 'a.b' }],
      ['revision', { revision: '1.30' }],
      ['trustDomain', { trustDomain: 'spiffe://x' }],
      ['allowedRegistries', { allowedRegistries: ['https://gcr.io'] }],
    ])('rejects an invalid %s', (field, attrs) => {
      expect(() => MeshBaseline.fromAttributes(attrs)).toThrow(`[MeshBaseline.fromAttributes] ${field}:`);
    });

    test('synthesizes nothing', () => {
      const chart = Testing.chart();
      MeshBaseline.fromAttributes({});
      expect(synthValidated(chart)).toEqual([]);
    });
  });

  test('a second MeshBaseline in the same app throws, naming both paths', () => {
    const app = Testing.app();
    new MeshBaseline(new Chart(app, 'one'), 'mesh');
    expect(() => new MeshBaseline(new Chart(app, 'two'), 'mesh')).toThrow(/\[two\/mesh\] MeshBaseline: a second MeshBaseline in the same app \(the first is one\/mesh\)/);
  });

  test('baselines in different apps are independent', () => {
    expect(() => {
      new MeshBaseline(Testing.chart(), 'mesh');
      new MeshBaseline(Testing.chart(), 'mesh');
    }).not.toThrow();
  });

  describe('guards', () => {
    test.each<[string, MeshBaselineProps, RegExp]>([
      ['rootNamespace', { rootNamespace: 'Istio-System' }, /"Istio-System"/],
      ['rootNamespace', { rootNamespace: '' }, /RFC 1123 label/],
      ['controlPlaneNamespace', { controlPlaneNamespace: 'istio.system' }, /RFC 1123 label/],
      ['controlPlaneNamespace', { controlPlaneNamespace: 'x'.repeat(64) }, /no more than 63 characters/],
      ['revision', { revision: '1-30.0' }, /RFC 1123 label/],
      ['revision', { revision: '-canary' }, /RFC 1123 label/],
      ['monitoringNamespace', { monitoringNamespace: 'Monitoring' }, /RFC 1123 label/],
      ['monitoringPodLabels', { monitoringPodLabels: { app: 'prometheus' } }, /monitoringPodLabels is set but monitoringNamespace is not/],
      ['monitoringPodLabels', { monitoringNamespace: 'monitoring', monitoringPodLabels: {} }, /is empty, which selects every pod of the monitoring namespace \(leave it unset/],
      ['monitoringPodLabels', { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'app/x/y': 'p' } }, /key "app\/x\/y" a qualified name/],
      ['monitoringPodLabels', { monitoringNamespace: 'monitoring', monitoringPodLabels: { app: 'prom etheus' } }, /value "prom etheus" of "app" a valid label/],
      ['trustDomain', { trustDomain: '' }, /must not be empty/],
      ['trustDomain', { trustDomain: 'cluster.local/ns' }, /must not contain "\/"/],
      ['trustDomain', { trustDomain: 'Cluster.Local' }, /RFC 1123 subdomain/],
      ['trustDomain', { trustDomain: 'cluster..local' }, /RFC 1123 subdomain/],
      ['apiServerCidrs', { apiServerCidrs: [] }, /is empty/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.0/33'] }, /prefix length must be an integer from 0 to 32/],
      ['apiServerCidrs', { apiServerCidrs: ['fd00::/129'] }, /from 0 to 128/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.0/08'] }, /prefix length/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.0/'] }, /prefix length/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.256/32'] }, /not an IPv4 or IPv6 address/],
      ['apiServerCidrs', { apiServerCidrs: ['api.example.com/32'] }, /not an IPv4 or IPv6 address/],
      ['apiServerCidrs', { apiServerCidrs: ['fe80::1%eth0/128'] }, /not an IPv4 or IPv6 address/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.0/8/8'] }, /not a CIDR/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.1'] }, /Did you mean "10\.0\.0\.1\/32"\?/],
      ['apiServerCidrs', { apiServerCidrs: ['fd00::1'] }, /Did you mean "fd00::1\/128"\?/],
      ['apiServerCidrs', { apiServerCidrs: ['10.0.0.1/24'] }, /host bits set\. Did you mean "10\.0\.0\.0\/24"\?/],
      ['apiServerCidrs', { apiServerCidrs: ['fd00:10::1/64'] }, /Did you mean "fd00:10::\/64"\?/],
      ['apiServerCidrs', { apiServerCidrs: ['::ffff:10.0.0.1/120'] }, /Did you mean "::ffff:a00:0\/120"\?/],
      ['accessLogProviders', { accessLogProviders: [] }, /is empty, which would turn access logging off/],
      ['accessLogProviders', { accessLogProviders: [' '] }, /entry 0 is empty/],
      ['accessLogProviders', { accessLogProviders: ['my provider'] }, /contains whitespace/],
      ['accessLogProviders', { accessLogProviders: ['envoy', 'envoy'] }, /listed twice/],
      ['allowedRegistries', { allowedRegistries: [''] }, /entry 0 is empty/],
      ['allowedRegistries', { allowedRegistries: ['https://gcr.io'] }, /has a scheme \(drop "https:\/\/"\)/],
      ['allowedRegistries', { allowedRegistries: ['gcr.io/my project'] }, /contains whitespace/],
      ['allowedRegistries', { allowedRegistries: ['gcr.io/my-project/'] }, /ends with "\/" \(use "gcr\.io\/my-project"\)/],
      ['allowedRegistries', { allowedRegistries: ['gcr.io//x'] }, /empty path segment/],
      ['allowedRegistries', { allowedRegistries: ['gcr.io/app@sha256:abc'] }, /not a registry/],
    ])('%s: %j', (field, props, message) => {
      const construct = () => new MeshBaseline(Testing.chart(), 'mesh', props);
      expect(construct).toThrow(`[test/mesh] ${field}:`);
      expect(construct).toThrow(message);
    });

    test.each<[string, MeshBaselineProps]>([
      ['IPv4 host', { apiServerCidrs: ['172.16.0.2/32'] }],
      ['IPv4 any', { apiServerCidrs: ['0.0.0.0/0'] }],
      ['IPv6', { apiServerCidrs: ['2001:db8::/32', '::/0'] }],
      ['registry with port and path', { allowedRegistries: ['localhost:5000/team', 'REGISTRY.example.com'] }],
      ['revision with digits', { revision: '1-30-0' }],
      ['single-label trust domain', { trustDomain: 'mesh' }],
      ['monitoring pod labels with a prefix and an empty value', { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus', 'tier': '' } }],
    ])('accepts %s', (_name, props) => {
      expect(() => baseline(props)).not.toThrow();
    });
  });
});

describe('MeshBaseline.dryRunAllowNothing: default deny rolled out as a declared, expiring phase (AUTHZ-1)', () => {
  const rollout = (scope: Construct, over: Partial<PolicyExceptionProps> = {}) => new PolicyException(scope, 'default-deny-rollout', {
    rules: ['MESH-AUTHZ-008'],
    justification: 'Default deny is rolled out on the running cluster: dry-run results are reviewed before enforcing it.',
    owner: 'platform-security@example.com',
    expires: '2027-01-15',
    objects: ['AuthorizationPolicy/istio-system/allow-nothing'],
    ...over,
  });

  function withRollout(today: string) {
    const app = Testing.app();
    app.node.setContext(PolicyException.CLOCK_CONTEXT_KEY, today);
    const chart = new Chart(app, 'test');
    const mesh = new MeshBaseline(chart, 'mesh');
    mesh.dryRunAllowNothing(rollout(mesh));
    return chart;
  }

  test('the allow-nothing policy is annotated, covered by the exception, and the app synthesizes', () => {
    const objects = synthValidated(withRollout('2026-12-05'));
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-nothing', 'istio-system').metadata.annotations).toEqual({
      'istio.io/dry-run': 'true',
      'secure-mesh.cdk8s.io/exceptions': 'MESH-AUTHZ-008@2027-01-15',
    });
  });

  test('after the exception expires, synthesis fails: the phase cannot outlive its plan', () => {
    expect(() => Testing.synth(withRollout('2027-01-16'))).toThrow(/default-deny-rollout/);
  });

  test('without the call, no policy is in dry-run', () => {
    expect(findObject(baseline(), 'AuthorizationPolicy', 'allow-nothing', 'istio-system').metadata.annotations).toBeUndefined();
  });

  test('an exception for another rule is refused, naming the field and the fix', () => {
    const chart = Testing.chart();
    const mesh = new MeshBaseline(chart, 'mesh');
    expect(() => mesh.dryRunAllowNothing(rollout(mesh, { rules: ['MESH-EXC-001'] })))
      .toThrow(/\[test\/mesh\] dryRunAllowNothing\.exception: the exception at test\/mesh\/default-deny-rollout does not relax MESH-AUTHZ-008 .*Add MESH-AUTHZ-008/);
    expect(() => mesh.dryRunAllowNothing(undefined as any)).toThrow(/dryRunAllowNothing\.exception: a PolicyException is required/);
  });
});

describe('MeshBaseline on ambient: the data planes namespaces may use', () => {
  test('sidecar by default: ambient is off, and istiod admits only injection-labelled namespaces', () => {
    const chart = Testing.chart();
    const mesh = new MeshBaseline(chart, 'mesh');
    expect([mesh.defaultDataPlane, mesh.ambientEnabled]).toEqual([DataPlane.SIDECAR, false]);
    expect(JSON.stringify(ruleFor(synthValidated(chart), 15012))).not.toContain('istio.io/dataplane-mode');
  });

  test('ambient: istiod also serves xDS and certificates to ambient namespaces (their waypoints), on 15012 only', () => {
    const objects = baseline({ ambient: true });
    expect(ruleFor(objects, 15012).from).toContainEqual({ namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } });
    expect(JSON.stringify(istiodRules(objects).filter((r: any) => !r.ports.some((p: any) => p.port === 15012)))).not.toContain('dataplane-mode');
  });

  test('an ambient default turns ambient on; an ambient default without ambient is refused', () => {
    const chart = Testing.chart();
    expect(new MeshBaseline(chart, 'mesh', { defaultDataPlane: DataPlane.AMBIENT }).ambientEnabled).toBe(true);
    expect(() => new MeshBaseline(Testing.chart(), 'mesh', { defaultDataPlane: DataPlane.AMBIENT, ambient: false }))
      .toThrow(/\[test\/mesh\] defaultDataPlane: is AMBIENT but ambient is false/);
    expect(() => new MeshBaseline(Testing.chart(), 'mesh', { defaultDataPlane: 'x' as any })).toThrow(/defaultDataPlane: "x" is not a data plane/);
  });

  test('fromAttributes carries the same settings and checks', () => {
    expect(MeshBaseline.fromAttributes({ defaultDataPlane: DataPlane.AMBIENT }))
      .toMatchObject({ defaultDataPlane: DataPlane.AMBIENT, ambientEnabled: true });
    expect(MeshBaseline.fromAttributes({ ambient: true }).defaultDataPlane).toBe(DataPlane.SIDECAR);
    expect(() => MeshBaseline.fromAttributes({ defaultDataPlane: DataPlane.AMBIENT, ambient: false })).toThrow(/\[MeshBaseline.fromAttributes\] defaultDataPlane is AMBIENT/);
  });
});
