import { readFileSync } from 'fs';
import { Testing } from 'cdk8s';
import { EdgeProtection } from '../../src/mesh/edge-protection';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { IngressGateway } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { pinnedCrdCatalog, pinnedGatewayApiCatalog } from '../../src/validation/crd-catalog';
import { GKE_SCHEMAS, gkeCrdCatalog, gkeCrdProvenance } from '../../src/validation/gke-crds';
import { harnessCrdCatalog, validateObjects } from '../../src/validation/manifest-validator';

const catalog = gkeCrdCatalog();

const SERVED = [
  'cloud.google.com/v1 BackendConfig backendconfigs',
  'cloud.google.com/v1beta1 BackendConfig backendconfigs',
  'networking.gke.io/v1 GCPBackendPolicy gcpbackendpolicies',
  'networking.gke.io/v1 HealthCheckPolicy healthcheckpolicies',
];

/** What the library writes for each GKE edge protection (a gateway in `shop-edge`, serving Service `shop-gateway`). */
function libraryObjects(protection: EdgeProtection): any[] {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  new IngressGateway(chart, 'edge', { namespace: 'shop-edge', hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), edgeProtection: protection });
  return Testing.synth(chart).filter((o) => catalog.hasKind(o.apiVersion.split('/')[0], o.kind));
}

const ingressOutput = () => libraryObjects(EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf', serviceName: 'shop-gateway' }));
const gatewayOutput = () => libraryObjects(EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'edge-waf', serviceName: 'shop-gateway' }));

const meta = { name: 'edge', namespace: 'shop-edge' };
const backendConfig = (spec: unknown, apiVersion = 'cloud.google.com/v1') => ({ apiVersion, kind: 'BackendConfig', metadata: meta, spec });
const serviceRef = { group: '', kind: 'Service', name: 'shop-gateway' };
const backendPolicy = (spec: unknown) => ({ apiVersion: 'networking.gke.io/v1', kind: 'GCPBackendPolicy', metadata: meta, spec });
const healthCheckPolicy = (spec: unknown) => ({ apiVersion: 'networking.gke.io/v1', kind: 'HealthCheckPolicy', metadata: meta, spec });
const httpCheck = (httpHealthCheck: unknown, more: object = {}) => healthCheckPolicy({ targetRef: serviceRef, default: { config: { type: 'HTTP', httpHealthCheck }, ...more } });

/** `path rule` of every finding (the harness's JSON paths). */
const refusals = (o: unknown) => validateObjects([o]).map((f) => `${f.path} ${f.rule}`);

/** Every object node of a schema with its dotted path. */
function objectNodes(schema: any, path = '<root>'): { path: string; node: any }[] {
  const own = schema?.type === 'object' ? [{ path, node: schema }] : [];
  const children = Object.entries(schema?.properties ?? {}).flatMap(([name, child]) => objectNodes(child, path === '<root>' ? name : `${path}.${name}`));
  return [...own, ...children, ...(schema?.items ? objectNodes(schema.items, `${path}[]`) : [])];
}

describe('the hand-written GKE schemas (schemas/gke-crds.json)', () => {
  test('serve BackendConfig (v1, v1beta1), GCPBackendPolicy and HealthCheckPolicy (v1): namespaced, with their plurals', () => {
    expect(catalog.versions().map((v) => `${v.group}/${v.version} ${v.kind} ${v.plural}`)).toEqual(SERVED);
    expect(catalog.versions().every((v) => v.namespaced)).toBe(true);
    expect(catalog.servedVersions('cloud.google.com', 'BackendConfig')).toEqual(['v1', 'v1beta1']);
    expect(catalog.lookup('networking.gke.io', 'v1beta1', 'GCPBackendPolicy')).toBeUndefined();
  });

  test('say they are hand-written, and cite the upstream repository, files, commits and docs of each served version', () => {
    const provenance = gkeCrdProvenance();
    expect(provenance.note).toMatch(/^Hand-written by cdk8s-secure-mesh, not generated/);
    expect(provenance.notChecked).toEqual(expect.arrayContaining([expect.stringMatching(/^HealthCheckPolicy: the protocol field set/)]));
    expect(provenance.sources.map((s) => `${s.apiVersion} ${s.kind}`)).toEqual(SERVED.map((s) => s.split(' ').slice(0, 2).join(' ')));
    for (const source of provenance.sources) {
      expect(source.repository).toMatch(source.kind === 'BackendConfig' ? 'kubernetes/ingress-gce' : 'GoogleCloudPlatform/gke-gateway-api');
      expect(source.files.length).toBeGreaterThan(0);
      expect(source.commits).toEqual(source.files.map(() => expect.stringMatching(/^[0-9a-f]{40}$/)));
      expect(source.docs).toEqual(expect.arrayContaining([expect.stringMatching(/^https:\/\/cloud\.google\.com\/kubernetes-engine\/docs\//)]));
    }
    // Nothing in the file claims to be generated from a pin.
    expect(JSON.parse(readFileSync(GKE_SCHEMAS, 'utf8')).generatedFrom).toBeUndefined();
  });

  test('are strict: every object declares its fields (only the controller-written policy status is open)', () => {
    const open = catalog.versions().flatMap((v) => objectNodes(v.schema)
      .filter(({ node }) => node.properties === undefined)
      .map(({ path, node }) => `${v.kind} ${path}${node['x-kubernetes-preserve-unknown-fields'] ? ' (preserve-unknown-fields)' : ''}`));
    expect(open).toEqual(['GCPBackendPolicy status (preserve-unknown-fields)', 'HealthCheckPolicy status (preserve-unknown-fields)']);
  });

  test('the GCP policies require spec and spec.targetRef; BackendConfig requires nothing at the top', () => {
    const required = (kind: string) => catalog.versions().find((v) => v.kind === kind)!.schema as any;
    expect(required('GCPBackendPolicy').required).toEqual(['spec']);
    expect(required('HealthCheckPolicy').properties.spec.required).toEqual(['targetRef']);
    expect(required('BackendConfig').required).toBeUndefined();
  });

  test('no overlap with the pinned Istio CRDs; the harness serves both, the pinned catalog stays Istio only', () => {
    const istio = new Set(pinnedCrdCatalog().versions().map((v) => v.group));
    expect(catalog.versions().filter((v) => istio.has(v.group))).toEqual([]);
    const pinned = pinnedCrdCatalog().versions().length + pinnedGatewayApiCatalog().versions().length;
    expect(harnessCrdCatalog().versions().length).toBe(pinned + catalog.versions().length);
    expect(pinnedCrdCatalog().hasKind('networking.gke.io', 'GCPBackendPolicy')).toBe(false);
    expect(harnessCrdCatalog().hasKind('networking.gke.io', 'GCPBackendPolicy')).toBe(true);
  });
});

describe('BackendConfig', () => {
  test('what gkeIngressBackendConfig writes is valid', () => {
    const objects = ingressOutput();
    expect(objects.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(['cloud.google.com/v1 BackendConfig']);
    expect(validateObjects(objects)).toEqual([]);
    const crd = catalog.lookup('cloud.google.com', 'v1', 'BackendConfig')!;
    expect(catalog.validate(crd, objects[0])).toEqual([]);
  });

  test('every documented v1 section, written as GKE documents it, is valid', () => {
    expect(validateObjects([backendConfig({
      iap: { enabled: true, oauthclientCredentials: { secretName: 'iap-oauth' } },
      securityPolicy: { name: 'edge-waf' },
      timeoutSec: 40,
      connectionDraining: { drainingTimeoutSec: 60 },
      sessionAffinity: { affinityType: 'GENERATED_COOKIE', affinityCookieTtlSec: 50 },
      customRequestHeaders: { headers: ['X-Client-Region:{client_region}'] },
      customResponseHeaders: { headers: ['Strict-Transport-Security: max-age=31536000'] },
      healthCheck: { checkIntervalSec: 15, timeoutSec: 5, healthyThreshold: 2, unhealthyThreshold: 2, type: 'HTTPS', requestPath: '/healthz', port: 8443 },
      logging: { enable: true, sampleRate: 0.5 },
    }), backendConfig({
      cdn: {
        enabled: true,
        cacheMode: 'CACHE_ALL_STATIC',
        cachePolicy: { includeHost: true, includeProtocol: true, includeQueryString: false, queryStringWhitelist: ['page'] },
        bypassCacheOnRequestHeaders: [{ headerName: 'X-Bypass' }],
        defaultTtl: 3600,
        clientTtl: 3600,
        maxTtl: 86400,
        serveWhileStale: 86400,
        requestCoalescing: true,
        negativeCaching: true,
        negativeCachingPolicy: [{ code: 404, ttl: 120 }],
        signedUrlCacheMaxAgeSec: 7200,
        signedUrlKeys: [{ keyName: 'key-1', secretName: 'cdn-key' }],
      },
      iap: { enabled: false },
    })])).toEqual([]);
  });

  test('v1beta1 (still served by GKE) keeps its smaller field set and requires the IAP credentials', () => {
    expect(validateObjects([backendConfig({ securityPolicy: { name: 'edge-waf' }, timeoutSec: 40, healthCheck: { type: 'HTTP', port: 15021 } }, 'cloud.google.com/v1beta1')])).toEqual([]);
    expect(refusals(backendConfig({ logging: { enable: true }, iap: { enabled: true } }, 'cloud.google.com/v1beta1')))
      .toEqual(['spec.logging unknown field', 'spec.iap.oauthclientCredentials required']);
  });

  test.each<[string, unknown, string[]]>([
    ['a misspelt field', { healthCheck: { type: 'HTTP', requestpath: '/healthz/ready' } }, ['spec.healthCheck.requestpath unknown field']],
    ['a misspelt section', { securityPolicies: { name: 'edge-waf' } }, ['spec.securityPolicies unknown field']],
    ['the Gateway policy shape (a string) where BackendConfig wants an object', { securityPolicy: 'edge-waf' }, ['spec.securityPolicy type']],
    ['a port as a string', { healthCheck: { port: '15021' } }, ['spec.healthCheck.port type']],
    ['a security policy without its name', { securityPolicy: {} }, ['spec.securityPolicy.name required']],
    ['CDN without enabled', { cdn: { cachePolicy: { includeHost: true } } }, ['spec.cdn.enabled required']],
    ['a secret reference without secretName', { iap: { enabled: true, oauthclientCredentials: { clientID: 'x' } } }, ['spec.iap.oauthclientCredentials.secretName required']],
    ['a TCP health check (not a documented type)', { healthCheck: { type: 'TCP' } }, ['spec.healthCheck.type enum']],
    ['port 0', { healthCheck: { port: 0 } }, ['spec.healthCheck.port minimum']],
    ['a log sample rate above 1', { logging: { enable: true, sampleRate: 1.5 } }, ['spec.logging.sampleRate maximum']],
    ['an unknown cache mode', { cdn: { enabled: true, cacheMode: 'CACHE_EVERYTHING' } }, ['spec.cdn.cacheMode enum']],
  ])('refused: %s', (_what, spec, expected) => {
    expect(refusals(backendConfig(spec))).toEqual(expected);
  });

  test('status has no fields; the refusal names the hand-written schema', () => {
    const [finding] = validateObjects([{ ...backendConfig({}), status: { ready: true } }]);
    expect(finding).toMatchObject({ path: 'status.ready', rule: 'unknown field', layer: 'schema' });
    expect(finding.message).toMatch(/the hand-written cloud\.google\.com\/v1 BackendConfig schema \(schemas\/gke-crds\.json\) does not declare it/);
  });
});

describe('GCPBackendPolicy', () => {
  test('what gkeGatewayBackendPolicy writes is valid', () => {
    const [policy] = gatewayOutput().filter((o) => o.kind === 'GCPBackendPolicy');
    expect(policy.spec).toEqual({ targetRef: serviceRef, default: { securityPolicy: 'edge-waf' } });
    expect(validateObjects([policy])).toEqual([]);
  });

  test('every documented setting is valid, for a Service and for a multi-cluster ServiceImport', () => {
    expect(validateObjects([backendPolicy({
      targetRef: serviceRef,
      default: {
        logging: { enabled: true, sampleRate: 500000 },
        sessionAffinity: { type: 'GENERATED_COOKIE', cookieTtlSec: 50 },
        connectionDraining: { drainingTimeoutSec: 60 },
        timeoutSec: 40,
        securityPolicy: 'edge-waf',
        iap: { enabled: true, clientID: 'client-id', oauth2ClientSecret: { name: 'iap-secret' } },
        maxRatePerEndpoint: 10,
      },
    }), backendPolicy({
      targetRef: { group: 'net.gke.io', kind: 'ServiceImport', name: 'shop-gateway', namespace: 'shop-edge' },
      default: { backendPreference: 'PREFERRED', iap: { enabled: true } },
    })])).toEqual([]);
  });

  test.each<[string, unknown, string[]]>([
    ['a misspelt field', { targetRef: serviceRef, default: { securityPolicyName: 'edge-waf' } }, ['spec.default.securityPolicyName unknown field']],
    ['the BackendConfig shape (an object) where the policy wants a name', { targetRef: serviceRef, default: { securityPolicy: { name: 'edge-waf' } } },
      ['spec.default.securityPolicy type']],
    ['a log sample rate as a fraction (it counts millionths)', { targetRef: serviceRef, default: { logging: { enabled: true, sampleRate: 0.5 } } },
      ['spec.default.logging.sampleRate type', 'spec.default.logging.sampleRate format']],
    ['no targetRef', { default: { securityPolicy: 'edge-waf' } }, ['spec.targetRef required']],
    ['a targetRef without its name', { targetRef: { group: '', kind: 'Service' } }, ['spec.targetRef.name required']],
    ['an empty target kind', { targetRef: { ...serviceRef, kind: '' } }, ['spec.targetRef.kind minLength', 'spec.targetRef.kind pattern']],
    ['an unknown affinity type', { targetRef: serviceRef, default: { sessionAffinity: { type: 'COOKIE' } } }, ['spec.default.sessionAffinity.type enum']],
    ['a zero timeout', { targetRef: serviceRef, default: { timeoutSec: 0 } }, ['spec.default.timeoutSec minimum']],
    ['draining longer than an hour', { targetRef: serviceRef, default: { connectionDraining: { drainingTimeoutSec: 3601 } } },
      ['spec.default.connectionDraining.drainingTimeoutSec maximum']],
  ])('refused: %s', (_what, spec, expected) => {
    expect(refusals(backendPolicy(spec))).toEqual(expected);
  });

  test('spec is required', () => {
    expect(refusals({ apiVersion: 'networking.gke.io/v1', kind: 'GCPBackendPolicy', metadata: meta })).toEqual(['spec required']);
  });

  test('status, written by the controller, is accepted as it is (the API server drops it on create)', () => {
    expect(validateObjects([{ ...backendPolicy({ targetRef: serviceRef }), status: { conditions: [{ type: 'Attached', status: 'True' }] } }])).toEqual([]);
  });
});

describe('HealthCheckPolicy', () => {
  test('what gkeGatewayBackendPolicy writes is valid', () => {
    const [policy] = gatewayOutput().filter((o) => o.kind === 'HealthCheckPolicy');
    expect(policy.spec.default.config).toEqual({ type: 'HTTP', httpHealthCheck: { portSpecification: 'USE_FIXED_PORT', port: 15021, requestPath: '/healthz/ready' } });
    expect(validateObjects([policy])).toEqual([]);
  });

  test('each protocol, with the documented settings, is valid', () => {
    const policy = (config: unknown) => healthCheckPolicy({
      targetRef: serviceRef,
      default: { checkIntervalSec: 15, timeoutSec: 15, healthyThreshold: 1, unhealthyThreshold: 2, logConfig: { enabled: true }, config },
    });
    expect(validateObjects([
      policy({ type: 'HTTP', httpHealthCheck: { portSpecification: 'USE_SERVING_PORT', host: 'shop.acme.example', requestPath: '/healthz?full=1', response: 'OK', proxyHeader: 'NONE' } }),
      policy({ type: 'HTTPS', httpsHealthCheck: { portSpecification: 'USE_NAMED_PORT', portName: 'status' } }),
      policy({ type: 'HTTP2', http2HealthCheck: { port: 15021, requestPath: '/healthz/ready' } }),
      policy({ type: 'TCP', tcpHealthCheck: { port: 15021, request: 'PING', response: 'PONG', proxyHeader: 'PROXY_V1' } }),
      policy({ type: 'GRPC', grpcHealthCheck: { port: 15012, grpcServiceName: 'grpc.health.v1.Health' } }),
    ])).toEqual([]);
  });

  test.each<[string, unknown, string[]]>([
    ['a misspelt field', httpCheck({ port: 15021, requestpath: '/healthz/ready' }), ['spec.default.config.httpHealthCheck.requestpath unknown field']],
    ['a port as a string', httpCheck({ port: '15021' }), ['spec.default.config.httpHealthCheck.port type']],
    ['no targetRef', healthCheckPolicy({ default: {} }), ['spec.targetRef required']],
    ['a type without its protocol settings', healthCheckPolicy({ targetRef: serviceRef, default: { config: { type: 'HTTP' } } }), ['spec.default.config minProperties']],
    ['two protocols', healthCheckPolicy({ targetRef: serviceRef, default: { config: { type: 'HTTP', httpHealthCheck: {}, tcpHealthCheck: {} } } }),
      ['spec.default.config maxProperties']],
    ['an unknown port specification', httpCheck({ portSpecification: 'FIXED_PORT' }), ['spec.default.config.httpHealthCheck.portSpecification enum']],
    ['a request path without a slash', httpCheck({ requestPath: 'healthz' }), ['spec.default.config.httpHealthCheck.requestPath pattern']],
    ['an IP address as the Host header', httpCheck({ host: '10.0.0.1:80' }), ['spec.default.config.httpHealthCheck.host pattern']],
    ['a port out of range', httpCheck({ port: 70000 }), ['spec.default.config.httpHealthCheck.port maximum']],
    ['an 11-failure threshold', httpCheck({}, { unhealthyThreshold: 11 }), ['spec.default.unhealthyThreshold maximum']],
  ])('refused: %s', (_what, object, expected) => {
    expect(refusals(object)).toEqual(expected);
  });

  describe('the timeout rules upstream declares in CEL (timeoutSec <= checkIntervalSec, both defaulting to 5)', () => {
    const timing = (settings: object) => healthCheckPolicy({ targetRef: serviceRef, default: settings });
    const ADMITTED = [{}, { checkIntervalSec: 10, timeoutSec: 10 }, { checkIntervalSec: 30, timeoutSec: 5 }, { timeoutSec: 5 }, { timeoutSec: 1 },
      { checkIntervalSec: 5 }, { checkIntervalSec: 300 }];

    test.each(ADMITTED)('admitted: %j', (t) => {
      expect(validateObjects([timing(t)])).toEqual([]);
    });

    test.each<[object, string]>([
      [{ checkIntervalSec: 10, timeoutSec: 11 }, 'timeoutSec must not exceed checkIntervalSec (5 seconds when checkIntervalSec is not set)'],
      [{ timeoutSec: 6 }, 'timeoutSec must not exceed checkIntervalSec (5 seconds when checkIntervalSec is not set)'],
      [{ checkIntervalSec: 4 }, 'checkIntervalSec must be at least 5 when timeoutSec is not set (timeoutSec defaults to 5 seconds)'],
    ])('refused: %j', (t, message) => {
      expect(validateObjects([timing(t)])).toEqual([expect.objectContaining({ path: 'spec.default', layer: 'cel', message: `Invalid value: ${message}` })]);
    });
  });
});
