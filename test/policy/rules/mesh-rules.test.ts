import * as fc from 'fast-check';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_RULES } from '../../../src/policy/rules/mesh-rules';

/** Practice ids of the catalog (docs: practices.md). */
const PRACTICES = [
  'MTLS-1', 'AUTHZ-1', 'AUTHZ-2', 'AUTHZ-3', 'AUTHZ-4', 'JWT-1', 'TOKEN-1', 'USERAUTH-1', 'EXC-1', 'NETPOL-1', 'CP-1', 'NS-1',
  'RBAC-1', 'INGRESS-1', 'EGRESS-1', 'OPS-1', 'OPS-2', 'OPS-3', 'CA-1', 'POD-1', 'IMG-1', 'WI-1', 'SECRET-1',
];

const KINDS: [string, string][] = [
  ['security.istio.io/v1', 'PeerAuthentication'], ['security.istio.io/v1beta1', 'AuthorizationPolicy'], ['security.istio.io/v1', 'AuthorizationPolicy'],
  ['security.istio.io/v1', 'RequestAuthentication'], ['networking.istio.io/v1', 'DestinationRule'], ['networking.istio.io/v1', 'ServiceEntry'],
  ['v1', 'Pod'], ['v1', 'Namespace'], ['v1', 'ReplicationController'], ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['batch/v1', 'Job'], ['batch/v1', 'CronJob'],
  ['v1', 'Service'], [undefined as unknown as string, 'Pod'],
];

const rule = (id: string) => MESH_RULES.find((r) => r.id === id)!;

describe('MESH_RULES table', () => {
  test('ids are the stable set, unique, in the table once', () => {
    expect(MESH_RULES.map((r) => r.id).sort()).toEqual([
      'MESH-AMBIENT-001', 'MESH-AMBIENT-002', 'MESH-AMBIENT-003', 'MESH-AMBIENT-004',
      'MESH-AUTHZ-001', 'MESH-AUTHZ-002', 'MESH-AUTHZ-003', 'MESH-AUTHZ-004', 'MESH-AUTHZ-005', 'MESH-AUTHZ-006', 'MESH-AUTHZ-007', 'MESH-AUTHZ-008',
      'MESH-AUTHZ-009', 'MESH-AUTHZ-010',
      'MESH-DR-001', 'MESH-DR-002', 'MESH-DR-003', 'MESH-EGRESS-001', 'MESH-EGRESS-002', 'MESH-EGRESS-003', 'MESH-EXC-001', 'MESH-EXT-001',
      'MESH-INGRESS-001', 'MESH-INGRESS-002', 'MESH-INGRESS-003',
      'MESH-INJ-001', 'MESH-INJ-002', 'MESH-JWT-001', 'MESH-JWT-002', 'MESH-JWT-003', 'MESH-MTLS-001', 'MESH-MTLS-002', 'MESH-TEL-001', 'MESH-TOKEN-001',
    ]);
  });

  /** The rules that only warn: what they report protects nothing or is a visible gap, never an opening. */
  const WARNINGS = ['MESH-AUTHZ-010', 'MESH-INGRESS-003', 'MESH-AMBIENT-003'];

  test.each(MESH_RULES.map((r) => [r.id, r] as const))('%s: metadata is complete and names catalog practices', (id, r) => {
    expect(r.severity).toBe(WARNINGS.includes(id) ? RuleSeverity.WARNING : RuleSeverity.ERROR);
    expect(r.practices.length).toBeGreaterThan(0);
    for (const p of r.practices) expect(PRACTICES).toContain(p);
    expect(r.title.length).toBeGreaterThan(10);
    expect(r.explanation.length).toBeGreaterThan(40);
    expect(r.fix.length).toBeGreaterThan(40);
  });

  test('set-level rules have checkAll and no admission form; the others have an admission form, unless they need the mesh layout', () => {
    const setLevel = MESH_RULES.filter((r) => r.checkAll).map((r) => r.id);
    expect(setLevel.sort()).toEqual(['MESH-AUTHZ-001', 'MESH-EGRESS-003', 'MESH-JWT-003', 'MESH-MTLS-001', 'MESH-TOKEN-001']);
    // MESH-AUTHZ-007 and MESH-INJ-002 look at the mesh root namespace, which a static admission expression does not know.
    const layoutOnly = ['MESH-AUTHZ-007', 'MESH-INJ-002'];
    for (const r of MESH_RULES) expect(r.admission === undefined).toBe(r.checkAll !== undefined || layoutOnly.includes(r.id));
  });

  test.each(MESH_RULES.filter((r) => r.admission).map((r) => [r.id, r] as const))('%s: admission is well-formed', (id, r) => {
    const a = r.admission!;
    expect(a.message.startsWith(`${id} (`)).toBe(true);
    expect(a.resources.length).toBeGreaterThan(0);
    for (const res of a.resources) {
      expect(res.apiVersions).toEqual(['*']);
      for (const plural of res.resources) expect(plural).toMatch(/^[a-z]+s$/);
    }
  });

  test('check() never throws on arbitrary shapes, and checkAll() neither', () => {
    const object = fc.record({
      apiVersion: fc.constantFrom(...KINDS.map(([v]) => v)),
      kind: fc.constantFrom(...KINDS.map(([, k]) => k)),
      metadata: fc.oneof(fc.anything(), fc.record({ namespace: fc.constantFrom('istio-system', 'shop'), labels: fc.anything(), annotations: fc.anything() }, { requiredKeys: [] })),
      spec: fc.anything(),
    }, { requiredKeys: ['kind'] });
    fc.assert(fc.property(fc.array(object, { maxLength: 4 }), (objects) => {
      const ctx = ruleContext(objects as RuleObject[]);
      for (const r of MESH_RULES) {
        for (const o of objects) expect(Array.isArray(r.check(o as RuleObject, ctx))).toBe(true);
        r.checkAll?.(ctx);
      }
    }), { numRuns: 300 });
  });
});

// ---- Randomized agreement of check() and the admission CEL on schema-valid objects --------------

const principal = fc.constantFrom('cluster.local/ns/shop/sa/a', '*', 'cluster.local/ns/shop/*', '*/sa/a', 'iss/*', 'iss/sub', 'shop', 'team-*', '10.0.0.0/8');
const pathValue = fc.constantFrom('/api/*', '/admin', '*', '*.png', '/a/../b', '//x', '/%2e', '/a;b', '/a?b', '/a#b', '/a\\b', '/./a', '/a..b');
const list = <T>(a: fc.Arbitrary<T>) => fc.array(a, { maxLength: 3 });
const optionalRecord = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { requiredKeys: [] });

/** A generated manifest: apiVersion, kind and metadata always, `spec` sometimes. */
const manifest = (apiVersion: fc.Arbitrary<string>, kind: string, metadata: object, spec: fc.Arbitrary<unknown>) => fc.record(
  { apiVersion, kind: fc.constant(kind), metadata: fc.constant(metadata), spec }, { requiredKeys: ['apiVersion', 'kind', 'metadata'] });

const source = optionalRecord({
  principals: list(principal),
  notPrincipals: list(principal),
  requestPrincipals: list(principal),
  notRequestPrincipals: list(principal),
  namespaces: list(principal),
  notNamespaces: list(principal),
  ipBlocks: list(principal),
  notIpBlocks: list(principal),
  remoteIpBlocks: list(principal),
  notRemoteIpBlocks: list(principal),
  serviceAccounts: list(principal),
  notServiceAccounts: list(principal),
});
const operation = optionalRecord({
  paths: list(pathValue),
  notPaths: list(pathValue),
  hosts: list(fc.constantFrom('a.example.com', '*')),
  notHosts: list(fc.constantFrom('a')),
  methods: list(fc.constantFrom('GET', 'POST')),
  notMethods: list(fc.constantFrom('DELETE')),
  ports: list(fc.constantFrom('8080')),
  notPorts: list(fc.constantFrom('9090')),
});
const condition = fc.record({
  key: fc.constantFrom('source.principal', 'source.namespace', 'request.auth.principal', 'request.headers[x]'),
  values: list(principal),
  notValues: list(principal),
}, { requiredKeys: ['key'] });
const authorizationPolicy = manifest(fc.constant('security.istio.io/v1'), 'AuthorizationPolicy', { name: 'p', namespace: 'shop' }, optionalRecord({
  action: fc.constantFrom('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  rules: list(optionalRecord({ from: list(optionalRecord({ source })), to: list(optionalRecord({ operation })), when: list(condition) })),
}));

const mode = fc.constantFrom('STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET');
const peerAuthentication = manifest(fc.constant('security.istio.io/v1'), 'PeerAuthentication', { name: 'p', namespace: 'shop' }, optionalRecord({
  mtls: optionalRecord({ mode }),
  portLevelMtls: fc.dictionary(fc.constantFrom('80', '8080', '9090'), optionalRecord({ mode })),
}));

const header = fc.constantFrom('x-user', 'Authorization', ':authority', 'X-Forwarded-For', 'x-envoy-x', 'te', 'tenant', 'x-b3-spanid');
const requestAuthentication = manifest(fc.constant('security.istio.io/v1'), 'RequestAuthentication', { name: 'r', namespace: 'shop' }, optionalRecord({
  jwtRules: list(fc.record({
    issuer: fc.constant('https://i.example.com'),
    outputClaimToHeaders: list(fc.record({ header, claim: fc.constant('sub') }, { requiredKeys: ['claim'] })),
    outputPayloadToHeader: header,
  }, { requiredKeys: ['issuer'] })),
}));

const tlsMode = fc.constantFrom('ISTIO_MUTUAL', 'DISABLE', 'SIMPLE', 'MUTUAL');
const trafficPolicy = optionalRecord({
  tls: optionalRecord({ mode: tlsMode }),
  portLevelSettings: list(fc.record({ port: fc.record({ number: fc.constantFrom(80, 9080) }), tls: optionalRecord({ mode: tlsMode }) }, { requiredKeys: ['port'] })),
});
const destinationRule = manifest(fc.constant('networking.istio.io/v1'), 'DestinationRule', { name: 'd', namespace: 'shop' }, fc.record({
  // Hosts in-mesh by name, or external and declared by the context's ServiceEntry: the two forms agree there.
  host: fc.constantFrom('reviews', '*', 'reviews.shop.svc.cluster.local', '*.shop.svc.cluster.local', 'api.example.com'),
  trafficPolicy,
  subsets: list(fc.record({ name: fc.constant('v1'), trafficPolicy }, { requiredKeys: ['name'] })),
}, { requiredKeys: ['host'] }));

const metaKey = fc.constantFrom(
  'sidecar.istio.io/inject', 'app', 'traffic.sidecar.istio.io/excludeInboundPorts', 'traffic.sidecar.istio.io/excludeOutboundPorts',
  'traffic.sidecar.istio.io/excludeOutboundIPRanges', 'traffic.sidecar.istio.io/excludeInterfaces', 'traffic.sidecar.istio.io/kubevirtInterfaces',
  'traffic.sidecar.istio.io/includeInboundPorts', 'traffic.sidecar.istio.io/includeOutboundIPRanges',
);
const metaValue = fc.constantFrom('', ' ', 'true', 'True', 'yes', 'on', 'y', 'false', 'no', 'off', '*', ' * ', '8080', '80,443', ' , ', 'eth1', '10.0.0.0/8');
const meta = optionalRecord({ labels: fc.dictionary(metaKey, metaValue), annotations: fc.dictionary(metaKey, metaValue) });
const podObject = fc.oneof(
  fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Pod'), metadata: meta }),
  fc.record({
    apiVersion: fc.constantFrom('apps/v1'),
    kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'),
    metadata: meta,
    spec: optionalRecord({ template: optionalRecord({ metadata: meta }) }),
  }),
  fc.record({ apiVersion: fc.constant('batch/v1'), kind: fc.constant('Job'), metadata: meta, spec: fc.record({ template: fc.record({ metadata: meta }) }) }),
  fc.record({
    apiVersion: fc.constant('batch/v1'),
    kind: fc.constant('CronJob'),
    metadata: meta,
    spec: optionalRecord({ jobTemplate: optionalRecord({ spec: optionalRecord({ template: optionalRecord({ metadata: meta }) }) }) }),
  }),
  fc.record({
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Namespace'),
    metadata: optionalRecord({ labels: fc.dictionary(fc.constantFrom('istio-injection', 'istio.io/rev', 'team'), fc.constantFrom('', 'enabled', 'disabled', 'stable')) }),
  }),
);

const sidecar = manifest(fc.constantFrom('networking.istio.io/v1', 'networking.istio.io/v1beta1'), 'Sidecar', { name: 's', namespace: 'shop' }, optionalRecord({
  workloadSelector: fc.constant({ labels: { app: 'web' } }),
  outboundTrafficPolicy: optionalRecord({ mode: fc.constantFrom('REGISTRY_ONLY', 'ALLOW_ANY') }),
}));

const gatewayHost = fc.constantFrom('shop.example.com', '*', '*.example.com', 'ns/shop.example.com', './*', 'ns/*.example.com', '*/shop.example.com');
const tlsVersion = fc.constantFrom('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3');
const gateway = manifest(fc.constant('networking.istio.io/v1'), 'Gateway', { name: 'g', namespace: 'istio-system' }, optionalRecord({
  servers: list(fc.record({
    port: fc.record({ number: fc.constantFrom(80, 443, 8080), name: fc.constant('p'), protocol: fc.constantFrom('HTTP', 'http', 'HTTPS', 'TLS', 'TCP', 'GRPC', 'HTTP2') }),
    hosts: fc.array(gatewayHost, { minLength: 1, maxLength: 3 }),
    tls: optionalRecord({ httpsRedirect: fc.boolean(), mode: fc.constantFrom('SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'), minProtocolVersion: tlsVersion, maxProtocolVersion: tlsVersion }),
  }, { requiredKeys: ['port', 'hosts'] })),
}));

const virtualService = manifest(fc.constant('networking.istio.io/v1'), 'VirtualService', { name: 'v', namespace: 'shop' }, optionalRecord({
  hosts: list(fc.constantFrom('shop.example.com', '*', '*.example.com', 'reviews', '*.com')),
  gateways: list(fc.constantFrom('mesh', 'istio-system/edge', 'edge')),
}));

const dryRunPolicy = fc.record({
  apiVersion: fc.constant('security.istio.io/v1'),
  kind: fc.constant('AuthorizationPolicy'),
  metadata: fc.record({
    name: fc.constant('p'),
    namespace: fc.constant('istio-system'),
    annotations: fc.dictionary(fc.constantFrom('istio.io/dry-run', 'team'), fc.constantFrom('true', 'True', 'TRUE', '1', 't', 'T', 'false', '0', 'yes', '')),
  }, { requiredKeys: ['name', 'namespace'] }),
  spec: fc.constant({}),
});

const serviceEntry = manifest(fc.constant('networking.istio.io/v1'), 'ServiceEntry', { name: 'e', namespace: 'shop' }, fc.record({
  hosts: fc.array(fc.constantFrom('api.example.com', '*.example.com', '*', 'db.corp.internal'), { minLength: 1, maxLength: 2 }),
  location: fc.constantFrom('MESH_EXTERNAL', 'MESH_INTERNAL'),
  resolution: fc.constantFrom('DNS', 'STATIC', 'NONE', 'DNS_ROUND_ROBIN'),
  exportTo: list(fc.constantFrom('.', 'shop', '*', '~')),
}, { requiredKeys: ['hosts'] }));

const jwksRequestAuthentication = manifest(fc.constant('security.istio.io/v1'), 'RequestAuthentication', { name: 'r', namespace: 'shop' }, optionalRecord({
  jwtRules: list(fc.record({
    issuer: fc.constant('https://i.example.com'),
    jwksUri: fc.constantFrom('https://i.example.com/jwks', 'HTTPS://i.example.com/jwks', 'http://i.example.com/jwks', 'http://localhost:8080/keys'),
    jwks: fc.constant('{"keys":[]}'),
  }, { requiredKeys: ['issuer'] })),
}));

const telemetry = manifest(fc.constant('telemetry.istio.io/v1'), 'Telemetry', { name: 't', namespace: 'shop' }, optionalRecord({ accessLogging: list(optionalRecord({ disabled: fc.boolean(), providers: fc.constant([{ name: 'envoy' }]) })) }));

const skipPolicy = optionalRecord({
  tls: optionalRecord({ mode: fc.constantFrom('SIMPLE', 'MUTUAL'), insecureSkipVerify: fc.boolean() }),
  portLevelSettings: list(fc.record({ port: fc.record({ number: fc.constantFrom(443) }), tls: optionalRecord({ insecureSkipVerify: fc.boolean() }) }, { requiredKeys: ['port'] })),
});
const originatingRule = manifest(fc.constant('networking.istio.io/v1'), 'DestinationRule', { name: 'd', namespace: 'shop' }, fc.record({ host: fc.constant('api.example.com'), trafficPolicy: skipPolicy, subsets: list(fc.record({ name: fc.constant('v1'), trafficPolicy: skipPolicy }, { requiredKeys: ['name'] })) }, { requiredKeys: ['host'] }));

const verifyingTls = optionalRecord({
  mode: fc.constantFrom('SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL', 'DISABLE'),
  sni: fc.constantFrom('api.example.com', ''),
  subjectAltNames: fc.array(fc.constantFrom('api.example.com'), { maxLength: 1 }),
});
const sniRule = manifest(fc.constant('networking.istio.io/v1'), 'DestinationRule', { name: 'd', namespace: 'shop' }, fc.record({
  host: fc.constant('api.example.com'),
  trafficPolicy: optionalRecord({ tls: verifyingTls, portLevelSettings: list(fc.record({ port: fc.record({ number: fc.constantFrom(443) }), tls: verifyingTls }, { requiredKeys: ['port'] })) }),
}, { requiredKeys: ['host'] }));

const proxyPort = fc.constantFrom('8080', '15020', '15021', '15090', '015090', ' 15090');
/** Policies naming the proxy's ports; `actions` weights the ones a rule judges (targetRefs, which both skip, stays rarer). */
const proxyPortPolicy = (...actions: string[]) => manifest(fc.constant('security.istio.io/v1'), 'AuthorizationPolicy', { name: 'p', namespace: 'shop' }, optionalRecord({
  action: fc.constantFrom(...actions, 'ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  targetRefs: fc.constantFrom([{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], []),
  rules: list(optionalRecord({
    to: list(optionalRecord({ operation: optionalRecord({ ports: list(proxyPort), notPorts: list(proxyPort) }) })),
    when: list(fc.record({ key: fc.constantFrom('destination.port', 'source.ip'), values: list(proxyPort), notValues: list(proxyPort) }, { requiredKeys: ['key'] })),
  })),
}));

const edgeAnnotation = fc.constantFrom('undeclared', 'none', 'gke-ingress-backend-config', 'gke-gateway-backend-policy', 'GKE', '', ' ');
const edgeGateway = fc.record({
  apiVersion: fc.constant('networking.istio.io/v1'),
  kind: fc.constant('Gateway'),
  metadata: fc.record({
    name: fc.constant('g'),
    namespace: fc.constant('istio-system'),
    annotations: fc.dictionary(
      fc.constantFrom('secure-mesh.cdk8s.io/edge-protection', 'secure-mesh.cdk8s.io/edge-protection-reason', 'secure-mesh.cdk8s.io/cloud-armor-policy', 'team'),
      fc.oneof(edgeAnnotation, fc.constantFrom('Internal admin gateway reachable only over the VPN.', 'edge-waf')),
    ),
  }, { requiredKeys: ['name', 'namespace'] }),
  spec: fc.constant({ servers: [] }),
});

const AGREEMENT: [string, fc.Arbitrary<unknown>][] = [
  ['MESH-AUTHZ-009', proxyPortPolicy('DENY', 'CUSTOM')], ['MESH-AUTHZ-010', proxyPortPolicy('ALLOW', 'AUDIT')],
  ['MESH-INGRESS-003', edgeGateway],
  ['MESH-DR-003', sniRule],
  ['MESH-MTLS-002', peerAuthentication],
  ['MESH-AUTHZ-002', authorizationPolicy], ['MESH-AUTHZ-003', authorizationPolicy], ['MESH-AUTHZ-004', authorizationPolicy],
  ['MESH-AUTHZ-005', authorizationPolicy], ['MESH-AUTHZ-006', authorizationPolicy],
  ['MESH-DR-001', destinationRule],
  ['MESH-DR-002', originatingRule],
  ['MESH-INJ-001', podObject], ['MESH-EXC-001', podObject.filter((o) => (o as RuleObject).kind !== 'Namespace')],
  ['MESH-JWT-001', requestAuthentication],
  ['MESH-AUTHZ-008', dryRunPolicy],
  ['MESH-JWT-002', jwksRequestAuthentication],
  ['MESH-TEL-001', telemetry],
  ['MESH-EGRESS-001', sidecar],
  ['MESH-EGRESS-002', serviceEntry],
  ['MESH-INGRESS-001', gateway],
  ['MESH-INGRESS-002', virtualService],
];

describe('check() and admission CEL agree on random schema-valid objects', () => {
  const ctx = ruleContext([{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e' }, spec: { hosts: ['api.example.com'] } }]);

  // MESH-EXT-001 refuses every object of its kinds (its admission expression is `false`): nothing to generate.
  const KIND_ONLY = ['MESH-EXT-001'];
  // Decided by the object's Namespace (`namespaceObject` at admission): their agreement over every
  // ambient and non-ambient namespace variant is in their own test files (ambient-fixtures.ts).
  const NAMESPACE_DECIDED = ['MESH-AMBIENT-001', 'MESH-AMBIENT-002', 'MESH-AMBIENT-003', 'MESH-AMBIENT-004'];

  test('every rule with an admission form is covered', () => {
    expect(AGREEMENT.map(([id]) => id).sort())
      .toEqual(MESH_RULES.filter((r) => r.admission && !KIND_ONLY.includes(r.id) && !NAMESPACE_DECIDED.includes(r.id)).map((r) => r.id).sort());
  });

  test.each(AGREEMENT)('%s', (id, arbitrary) => {
    const r = rule(id);
    let rejected = 0;
    fc.assert(fc.property(arbitrary, (o) => {
      const object = o as RuleObject;
      // MESH-MTLS-002's admission cannot see the root namespace and treats every namespace as the root (stricter on UNSET).
      const c = id === 'MESH-MTLS-002' ? ruleContext(ctx.objects, { rootNamespace: object.metadata?.namespace }) : ctx;
      const ok = r.check(object, c).length === 0;
      if (!ok) rejected++;
      expect(admits(r.admission!, object)).toBe(ok);
    }), { numRuns: 400 });
    // The generators must exercise both outcomes.
    expect(rejected).toBeGreaterThan(10);
    expect(rejected).toBeLessThan(390);
  });
});
