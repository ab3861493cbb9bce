import { readdirSync } from 'fs';
import { pinnedCrdCatalog, pinnedGatewayApiCatalog } from '../../src/validation/crd-catalog';
import { ValidationFinding } from '../../src/validation/finding';
import { gkeCrdCatalog } from '../../src/validation/gke-crds';
import { harnessCrdCatalog, validateObjects } from '../../src/validation/manifest-validator';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../shared';

interface IstioDocument { readonly file: string; readonly name: string; readonly err?: string; readonly obj: any }

function istioDocuments(dir: string): IstioDocument[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().flatMap((file) =>
    istioTestdata(file).map(({ doc, err }) => ({ file, name: `${file} ${doc.metadata?.name}`, err, obj: doc })));
}

// Istio's test documents come from master; these valid ones use fields that 1.30.3 does not have,
// so the pinned CRDs rightly reject them (see ../shared/reference/istio-testdata/README.md).
const NEWER_THAN_PINNED: Record<string, RegExp> = {
  'destinationrule-valid.yaml bookinfo-ratings-http2-ping': /unknown field "spec\.trafficPolicy\.connectionPool\.http\.http2KeepAlive"/,
  'reqauth-valid.yaml full': /unknown field "spec\.jwtRules\[0\]\.presence"/,
  'serviceentry-valid.yaml full': /spec\.addresses\[1\] in body must be of type string/,
};

// Invalid documents whose expected error text comes from a layer we word differently; each is
// still rejected, for the same reason, by the layer named here.
const WORDED_DIFFERENTLY: Record<string, RegExp> = {
  // Go's jsonpb conversion error; the CRD's CEL rule cannot evaluate int("acd") either.
  'peerauth-invalid.yaml bad-port': /type conversion error|could not be evaluated/,
  // A control character makes url() fail; Go's webhook words it as a scheme error.
  'reqauth-invalid.yaml invalid-jwks': /invalid control character/,
  // duration("apple") cannot be evaluated; the API server reports the same rule.
  'reqauth-invalid.yaml bad-timeout': /could not be evaluated.*duration|invalid duration/,
  // `value` is absent, so the UPSERT rule cannot be evaluated; the webhook rejects it too.
  'telemetry-invalid.yaml bad-tag-upsert': /could not be evaluated|value/,
  // 1.30.3 has no `presence` field at all.
  'reqauth-invalid.yaml invalid-presence-value': /unknown field "spec\.jwtRules\[0\]\.presence"/,
};

const messages = (findings: ValidationFinding[]) => findings.map((f) => `${f.path}: ${f.message}`).join('\n');

describeWithShared(ISTIO_TESTDATA, "Istio's own validation documents (external test suite)", (dir) => {
  const documents = istioDocuments(dir);
  const valid = documents.filter((d) => d.file.endsWith('-valid.yaml'));
  const invalid = documents.filter((d) => d.file.endsWith('-invalid.yaml'));

  test('the whole suite is read: 17 valid and 47 invalid documents', () => {
    expect(valid.length).toBe(17);
    expect(invalid.length).toBe(47);
  });

  test.each(valid.filter((d) => !NEWER_THAN_PINNED[d.name]).map((d) => [d.name, d]))('valid: %s is accepted', (_name, doc) => {
    expect(messages(validateObjects([(doc as IstioDocument).obj]))).toBe('');
  });

  test.each(Object.entries(NEWER_THAN_PINNED))('valid on master but newer than 1.30.3: %s is rejected for the newer field', (name, reason) => {
    const doc = documents.find((d) => d.name === name)!;
    expect(doc).toBeDefined();
    expect(messages(validateObjects([doc.obj]))).toMatch(reason);
  });

  test.each(invalid.map((d) => [d.name, d]))('invalid: %s is rejected with the expected error', (name, doc) => {
    const findings = validateObjects([(doc as IstioDocument).obj]);
    expect(findings.length).toBeGreaterThan(0);
    const text = messages(findings);
    const reason = WORDED_DIFFERENTLY[name as string];
    if (reason) expect(text).toMatch(reason);
    else expect(text.toLowerCase()).toContain(String((doc as IstioDocument).err).toLowerCase().replace(/^spec(\.[^:]*)?: /, ''));
  });
});

describe('validateObjects', () => {
  const ap = (spec: unknown, metadata: object = { name: 'p', namespace: 'bookinfo' }) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata, spec });

  test('each finding names the object, the JSON path, the rule and the layer', () => {
    const [finding] = validateObjects([ap({ action: 'CUSTOM', rules: [{}] })]).filter((f) => f.layer === 'webhook');
    expect(finding).toMatchObject({ object: 'AuthorizationPolicy/bookinfo/p', path: expect.stringMatching(/^spec/), rule: expect.stringMatching(/^AP-/), documentIndex: 0 });
  });

  test('an apiVersion the pinned CRDs do not serve is an error that lists the served ones', () => {
    const [f] = validateObjects([{ ...ap({}), apiVersion: 'security.istio.io/v2' }]);
    expect(f).toMatchObject({ layer: 'api-server', path: 'apiVersion', rule: 'served version' });
    expect(f.message).toMatch(/use one of: security\.istio\.io\/v1, security\.istio\.io\/v1beta1/);
  });

  test('an unknown kind is an error', () => {
    expect(validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])[0].message)
      .toMatch(/^no API serves example\.com\/v1 Widget: it is neither a Kubernetes built-in kind nor served by the pinned Istio or Gateway API CRDs or the GKE schemas \(BackendConfig/);
    expect(validateObjects([{ apiVersion: 'v1', kind: 'ConfigMapp', metadata: { name: 'w' } }])[0].rule).toBe('served kind');
  });

  test('by default the harness serves the pinned Istio and Gateway API CRDs and the hand-written GKE schemas', () => {
    expect(harnessCrdCatalog().versions())
      .toEqual([...pinnedCrdCatalog().versions(), ...pinnedGatewayApiCatalog().versions(), ...gkeCrdCatalog().versions()]);
    expect(harnessCrdCatalog()).toBe(harnessCrdCatalog());
    const policy = { apiVersion: 'networking.gke.io/v1', kind: 'GCPBackendPolicy', metadata: { name: 'p', namespace: 'edge' }, spec: { targetRef: { group: '', kind: 'Service', name: 'gw' } } };
    expect(validateObjects([policy])).toEqual([]);
    // An explicit catalog replaces the default: with the Istio CRDs alone, GKE kinds are not served.
    expect(validateObjects([policy], pinnedCrdCatalog())[0]).toMatchObject({ path: 'apiVersion', rule: 'served kind' });
  });

  test('Gateway API objects are validated after the schema\'s defaults are applied, as the API server does, without changing the input', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
    };
    const before = JSON.stringify(route);
    expect(validateObjects([route])).toEqual([]);
    expect(JSON.stringify(route)).toBe(before);
    const bad = { ...route, spec: { ...route.spec, rules: [{ backendRefs: [{ name: 'web' }] }] } };
    expect(validateObjects([bad]).map((f) => f.message).join('\n')).toMatch(/Must have port for Service reference/);
  });

  test('unknown fields of a GKE kind name the hand-written schema; those of Istio kinds the CRD', () => {
    const [gke] = validateObjects([{ apiVersion: 'cloud.google.com/v1', kind: 'BackendConfig', metadata: { name: 'b', namespace: 'edge' }, spec: { securityPolicyy: {} } }]);
    expect(gke).toMatchObject({ path: 'spec.securityPolicyy', rule: 'unknown field' });
    expect(gke.message).toMatch(/the hand-written cloud\.google\.com\/v1 BackendConfig schema \(schemas\/gke-crds\.json\) does not declare it/);
    const [istio] = validateObjects([ap({ actionn: 'DENY' })]);
    expect(istio.message).toMatch(/the security\.istio\.io\/v1 AuthorizationPolicy CRD schema does not declare it/);
  });

  test('a GKE version the schemas do not cover lists the covered ones', () => {
    const [f] = validateObjects([{ apiVersion: 'cloud.google.com/v2', kind: 'BackendConfig', metadata: { name: 'b' } }]);
    expect(f).toMatchObject({ path: 'apiVersion', rule: 'served version' });
    expect(f.message).toBe('cloud.google.com/v2 BackendConfig is not a served version (pinned Istio CRDs, GKE schemas); use one of: cloud.google.com/v1, cloud.google.com/v1beta1');
  });

  test('not an object, or no apiVersion/kind', () => {
    expect(validateObjects([42])[0].message).toMatch(/must be a mapping/);
    expect(validateObjects([{ kind: 'X' }])[0]).toMatchObject({ path: 'apiVersion', rule: 'type meta' });
    expect(validateObjects([{ apiVersion: 'v1' }])[0]).toMatchObject({ path: 'kind' });
  });

  test('names follow the API server rules for the kind (custom resources: DNS-1123 subdomain)', () => {
    const [f] = validateObjects([ap({}, { name: 'Allow_Nothing', namespace: 'bookinfo' })]);
    expect(f).toMatchObject({ layer: 'api-server', path: 'metadata.name', rule: 'metadata.name' });
    expect(validateObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }])[0].path).toBe('metadata.name');
  });

  test('cluster-scoped kinds cannot carry a namespace', () => {
    expect(validateObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', namespace: 'b' } }])[0].rule).toBe('cluster-scoped');
  });

  test('core kinds are checked against the Kubernetes OpenAPI schema', () => {
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', namespace: 'bookinfo' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ ports: [{ port: 9080, protocol: 'TCP' }] }] },
    };
    expect(validateObjects([np])).toEqual([]);
    const bad = { ...np, spec: { ...np.spec, podSelector: undefined, ingress: [{ ports: [{ port: { n: 1 } }] }] } };
    const findings = validateObjects([bad]);
    expect(findings.map((f) => f.path)).toEqual(expect.arrayContaining(['spec.podSelector', 'spec.ingress[0].ports[0].port']));
    expect(findings.every((f) => f.object === 'NetworkPolicy/bookinfo/deny')).toBe(true);
  });

  test('documentIndex points at the object in the list', () => {
    const findings = validateObjects([ap({}), ap({ action: 'NOPE' })]);
    expect(findings.map((f) => f.documentIndex)).toEqual([1]);
  });
});
