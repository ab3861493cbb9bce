import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, Chart, Include, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { synthValidated } from '../helpers';

/**
 * The promise as one table: for each class of weakening the practices forbid, each route
 * a blueprint could take to it (a prop, a JSON patch on the library's object, a raw ApiObject, a
 * cdk8s-plus object, included YAML) fails synthesis naming the rule. The base is the example
 * blueprint (Bookinfo, with ingress, egress, operators and admission), which synthesizes clean.
 */

const DIGEST = `@sha256:${'b'.repeat(64)}`;
type Mutation = (chart: Chart) => void;

function find(chart: Chart, kind: string, name: string, namespace?: string): ApiObject {
  const found = chart.node.findAll().find((c): c is ApiObject => c instanceof ApiObject && c.kind === kind && c.metadata.name === name
    && (namespace === undefined || c.metadata.namespace === namespace));
  if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name} in the blueprint`);
  return found;
}
const patch = (kind: string, name: string, namespace: string | undefined, ...patches: JsonPatch[]): Mutation =>
  (chart) => find(chart, kind, name, namespace).addJsonPatch(...patches);
const raw = (doc: object): Mutation => (chart) => new ApiObject(chart, `raw-${(doc as any).kind}-${(doc as any).metadata.name}`, doc as any);
const included = (yaml: string): Mutation => (chart) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-include-')), 'upstream.yaml');
  fs.writeFileSync(file, yaml);
  new Include(chart, 'upstream', { url: file });
};
const meta = (name: string, namespace = 'bookinfo') => ({ name, namespace });
const netpol = (name: string, spec: object, namespace = 'bookinfo') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(name, namespace), spec });

/** [practice class, route, mutation, the rule that must fail synthesis] */
const ROUTES: [string, string, Mutation, string][] = [
  // MTLS-1
  ['MTLS-1', 'JSON patch', patch('PeerAuthentication', 'default', 'bookinfo', JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE')), 'MESH-MTLS-002'],
  ['MTLS-1', 'included YAML', included('apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: lax, namespace: bookinfo}\nspec: {mtls: {mode: DISABLE}}\n'), 'MESH-MTLS-002'],
  // AUTHZ-1
  ['AUTHZ-1', 'JSON patch', patch('AuthorizationPolicy', 'allow-nothing', 'istio-system', JsonPatch.add('/metadata/annotations', { 'istio.io/dry-run': 'true' })), 'MESH-AUTHZ-008'],
  ['AUTHZ-1', 'raw object', raw({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta('everyone', 'istio-system'),
    spec: { rules: [{ from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-details'] } }] }] },
  }), 'MESH-AUTHZ-007'],
  // EGRESS-1
  ['EGRESS-1', 'JSON patch', patch('Sidecar', 'default', 'bookinfo', JsonPatch.replace('/spec/outboundTrafficPolicy/mode', 'ALLOW_ANY')), 'MESH-EGRESS-001'],
  ['EGRESS-1', 'raw object', raw({
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta('anything'),
    spec: { hosts: ['*.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'NONE', location: 'MESH_EXTERNAL' },
  }), 'MESH-EGRESS-002'],
  ['EGRESS-1', 'raw object', raw({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: meta('skip'),
    spec: { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } },
  }), 'MESH-DR-002'],
  ['EGRESS-1', 'raw object', raw(netpol('internet', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })), 'NET-EGRESS-001'],
  ['EGRESS-1', 'cdk8s-plus object', (chart) => {
    new kplus.NetworkPolicy(chart, 'plus-egress', { metadata: meta('plus-egress'), egress: { default: kplus.NetworkPolicyTrafficDefault.ALLOW } });
  }, 'NET-DENY-001'],
  // INGRESS-1
  ['INGRESS-1', 'JSON patch', patch('Gateway', 'bookinfo-gateway', 'istio-system', JsonPatch.add('/spec/servers/-', { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['bookinfo.example.com'] })), 'MESH-INGRESS-001'],
  ['INGRESS-1', 'JSON patch', patch('VirtualService', 'bookinfo-gateway', 'istio-system', JsonPatch.replace('/spec/hosts', ['*'])), 'MESH-INGRESS-002'],
  // JWT-1, TOKEN-1
  ['TOKEN-1', 'JSON patch', patch('RequestAuthentication', 'bookinfo-gateway-jwt', 'istio-system', JsonPatch.replace('/spec/jwtRules/0/forwardOriginalToken', true)), 'MESH-JWT-003'],
  ['JWT-1', 'JSON patch', patch('RequestAuthentication', 'productpage-jwt', 'bookinfo',
    JsonPatch.replace('/spec/jwtRules/0/jwksUri', 'http://sts.mesh.example.com/.well-known/jwks.json')), 'MESH-JWT-002'],
  ['TOKEN-1', 'raw object', raw({
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: meta('external'),
    spec: { selector: { matchLabels: { app: 'ratings' } }, jwtRules: [{ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json' }] },
  }), 'MESH-TOKEN-001'],
  // EXC-1, OPS-1
  ['EXC-1', 'JSON patch', patch('Namespace', 'bookinfo', undefined, JsonPatch.replace('/metadata/labels/istio-injection', 'disabled')), 'MESH-INJ-001'],
  ['OPS-1', 'JSON patch', patch('Namespace', 'bookinfo', undefined, JsonPatch.replace('/metadata/labels/pod-security.kubernetes.io~1enforce', 'baseline')), 'NS-PSA-001'],
  ['EXC-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo',
    JsonPatch.add('/spec/template/metadata/annotations', { 'sidecar.istio.io/interceptionMode': 'NONE' })), 'MESH-PROXY-001'],
  ['EXC-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.add('/spec/template/spec/securityContext/runAsUser', 1337)), 'POD-UID-001'],
  // AUTHZ-2, IMG-1, OPS-3
  ['AUTHZ-2', 'raw object', raw({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: meta('rbac-off'), spec: { configPatches: [] } }), 'MESH-EXT-001'],
  ['OPS-3', 'JSON patch', patch('Telemetry', 'mesh-default', 'istio-system', JsonPatch.add('/spec/accessLogging/0/disabled', true)), 'MESH-TEL-001'],
  ['IMG-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.replace('/spec/template/spec/containers/0/image', 'docker.io/istio/details:latest')), 'IMG-DIGEST-001'],
  ['IMG-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.replace('/spec/template/spec/containers/0/image', `quay.io/someone/details${DIGEST}`)), 'IMG-REG-001'],
  ['IMG-1', 'prop', (chart) => {
    new SecureService(chart, 'tagged', {
      namespace: chart.node.findAll().find((c): c is HardenedNamespace => c instanceof HardenedNamespace)!,
      image: 'docker.io/istio/tagged:1.0',
      ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
    });
  }, 'image'],
  // POD-1
  ['POD-1', 'raw object', raw({ apiVersion: 'v1', kind: 'Pod', metadata: meta('root'), spec: { containers: [{ name: 'x', image: `docker.io/istio/x${DIGEST}`, securityContext: { privileged: true } }] } }), 'POD-PRIV-001'],
  ['POD-1', 'raw object (custom workload kind)', raw({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: meta('canary'),
    spec: { template: { spec: { containers: [{ name: 'x', image: `docker.io/istio/x${DIGEST}`, securityContext: { capabilities: { add: ['NET_ADMIN'] } } }] } } },
  }), 'POD-CAP-001'],
  ['POD-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.add('/spec/template/spec/hostNetwork', true)), 'POD-HOST-001'],
  ['POD-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.add('/spec/template/spec/shareProcessNamespace', true)), 'POD-PID-001'],
  ['POD-1', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.replace('/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem', false)), 'POD-ROFS-001'],
  ['POD-1', 'cdk8s-plus object', (chart) => {
    new kplus.Deployment(chart, 'plus', { metadata: meta('plus'), containers: [{ image: `docker.io/istio/plus${DIGEST}`, portNumber: 8080 }] });
  }, 'POD-(ESC|SECCOMP)-001'],
  ['POD-1', 'prop', (chart) => {
    new HardenedNamespace(chart, 'old-psa', { name: 'old-psa', podSecurityVersion: 'v1.21' });
  }, 'podSecurityVersion'],
  // RBAC-1, NS-1, CA-1
  ['NS-1', 'JSON patch', patch('RoleBinding', 'app-deployers', 'bookinfo', JsonPatch.replace('/roleRef/name', 'admin'), JsonPatch.replace('/roleRef/kind', 'ClusterRole')), 'RBAC-BUILTIN-001'],
  ['RBAC-1', 'JSON patch', patch('Role', 'app-deployer', 'bookinfo', JsonPatch.add('/rules/-', { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] })), 'RBAC-SENS-001'],
  ['RBAC-1', 'JSON patch', patch('Role', 'app-deployer', 'bookinfo',
    JsonPatch.add('/rules/-', { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: ['update'] })), 'RBAC-POLICY-001'],
  ['NS-1', 'raw object', raw({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta('everyone'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'app-viewer' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
  }), 'RBAC-SUBJ-001'],
  ['NS-1', 'raw object', raw({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'team-wide' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mesh-auditor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'bookinfo-developers' }],
  }), 'RBAC-CRB-001'],
  // NETPOL-1, CP-1
  ['NETPOL-1', 'JSON patch', patch('NetworkPolicy', 'default-deny', 'bookinfo', JsonPatch.add('/spec/ingress', [{}])), 'NET-DENY-001'],
  ['NETPOL-1', 'cdk8s-plus object', (chart) => {
    new kplus.NetworkPolicy(chart, 'plus-ingress', { metadata: meta('plus-ingress'), ingress: { default: kplus.NetworkPolicyTrafficDefault.ALLOW } });
  }, 'NET-DENY-001'],
  ['CP-1', 'JSON patch', patch('NetworkPolicy', 'istiod-ingress', 'istio-system', JsonPatch.add('/spec/ingress/0/ports/-', { protocol: 'TCP', port: 15010 })), 'NET-CP-001'],
  // WI-1, SECRET-1
  ['WI-1', 'raw object', raw({ apiVersion: 'v1', kind: 'Secret', metadata: meta('gcp-key'), data: { 'key.json': Buffer.from('{"type": "service_account", "private_key": "x"}').toString('base64') } }), 'SECRET-DATA-001'],
  // Identity (AUTHZ-2)
  ['AUTHZ-2', 'JSON patch', patch('Deployment', 'details', 'bookinfo', JsonPatch.replace('/spec/template/spec/serviceAccountName', 'bookinfo-ratings')), 'POD-SA-001'],
];

describe('every route to a weakening fails synthesis, naming the rule (the example blueprint as the base)', () => {
  test('the base synthesizes clean', () => {
    expect(() => synthValidated(new BlueprintChart(Testing.app(), 'blueprint'))).not.toThrow();
  });

  test('the table covers every class of the issue in more than one form', () => {
    const classes = new Set(ROUTES.map(([c]) => c));
    for (const c of ['MTLS-1', 'AUTHZ-1', 'AUTHZ-2', 'EGRESS-1', 'INGRESS-1', 'JWT-1', 'TOKEN-1', 'EXC-1', 'OPS-1', 'OPS-3', 'IMG-1', 'POD-1', 'RBAC-1', 'NS-1', 'NETPOL-1', 'CP-1', 'WI-1']) {
      expect([c, classes.has(c)]).toEqual([c, true]);
    }
    expect(new Set(ROUTES.map(([, form]) => form.split(' (')[0]))).toEqual(new Set(['JSON patch', 'raw object', 'cdk8s-plus object', 'included YAML', 'prop']));
  });

  test.each(ROUTES)('%s by %s: %#', (_practice, form, mutate, rule) => {
    const chart = new BlueprintChart(Testing.app(), 'blueprint');
    if (form === 'prop') {
      // A prop that would weaken a practice is refused where it is written, naming the field.
      expect(() => mutate(chart)).toThrow(new RegExp(`\\] ${rule}: `));
      return;
    }
    mutate(chart);
    expect(() => Testing.synth(chart)).toThrow(new RegExp(`${rule} \\(`));
  });
});
