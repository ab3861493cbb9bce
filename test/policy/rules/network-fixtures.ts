import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { GatewayTls } from '../../../src/mesh/gateway-tls';
import { IngressGateway } from '../../../src/mesh/ingress-gateway';
import { MeshBaseline, MeshBaselineProps } from '../../../src/mesh/mesh-baseline';
import { Principal } from '../../../src/mesh/principal';
import { ExceptionRegistry } from '../../../src/policy/exception-registry';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { PolicyException } from '../../../src/policy/policy-exception';
import { RuleContext, RuleObject, objectRef } from '../../../src/policy/rule';
import { ALL_RULES } from '../../../src/policy/rule-pack';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { inDays, synthValidated } from '../../helpers';

/**
 * Fixtures of the NetworkPolicy rule tests (NET-DENY-001, NET-EGRESS-001, NET-CP-001): object
 * builders, and what the library itself synthesizes in realistic apps.
 */

export const NS_LABEL = 'kubernetes.io/metadata.name';

export function netpol(name: string, spec: object | undefined, ns = 'shop'): RuleObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, ...(spec === undefined ? {} : { spec }) };
}

export function namespace(name: string, labels?: { [key: string]: string }): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}

export function gateway(name: string, selector: { [key: string]: string }, namespaceName = 'istio-system', hosts: string[] = ['shop.example.com']): RuleObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: namespaceName },
    spec: { selector, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName: 'cert' } }] },
  };
}

export function serviceEntry(name: string, host: string, ports: number[], namespaceName = 'istio-system', location = 'MESH_EXTERNAL'): RuleObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: namespaceName },
    spec: { hosts: [host], location, resolution: 'DNS', exportTo: ['.'], ports: ports.map((number) => ({ number, name: `tls-${number}`, protocol: 'TLS' })) },
  };
}

export const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
export const fromNs = (ns: string, podLabels?: { [key: string]: string }) => ({
  namespaceSelector: { matchLabels: { [NS_LABEL]: ns } }, ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
});

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const ISSUER = { issuer: 'https://login.acme.example', jwksUri: 'https://login.acme.example/jwks.json', audiences: ['shop'] };

/** A synthesized app and the rule context it is checked with. */
export interface LibraryApp {
  readonly name: string;
  readonly objects: RuleObject[];
  readonly ctx: RuleContext;
}

function exception(scope: SecureService, rules: string[], objects: string[], ports?: number[]): PolicyException {
  return new PolicyException(scope, `ex-${rules.join('-').toLowerCase()}`, {
    rules, justification: 'A legacy client that cannot speak mTLS, until its replacement ships.', owner: 'team-shop', expires: inDays(scope, 60), objects, ports,
  });
}


/**
 * A full app: mesh baseline (with `props`), two hardened namespaces, services with grants across
 * namespaces, a bare-principal grant, the sidecar bypass knobs with their compensating policies,
 * an ingress gateway with routes and an egress gateway with both kinds of external host.
 */
function fullApp(props: MeshBaselineProps, gatewayNamespace?: string): Chart {
  const chart = new Chart(Testing.app(), 'test');
  new MeshBaseline(chart, 'mesh', props);
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const front = new HardenedNamespace(chart, 'front', { name: 'front' });
  const svc = (id: string, ns: HardenedNamespace, ports = HTTP) => new SecureService(chart, id, { namespace: ns, image: IMAGE, ports });
  const web = svc('web', front);
  const cart = svc('cart', shop, [...HTTP, { name: 'legacy', port: 9090, protocol: AppProtocol.HTTP }]);
  const orders = svc('orders', shop);
  cart.allowFrom(web, { ports: [9080], methods: ['GET'] });
  orders.allowFrom(cart, { ports: [9080] });
  orders.allowFrom(Principal.serviceAccount('batch', 'nightly'), { ports: [9080] });
  cart.excludeInboundPorts([9090], { exception: exception(cart, ['MESH-EXC-001'], ['Deployment/shop/cart'], [9090]), from: [web] });
  orders.excludeOutboundIpRanges(['10.0.0.0/8', 'fd00::/16'], { exception: exception(orders, ['MESH-EXC-001'], ['Deployment/shop/orders'], [5432]), ports: [5432] });
  const gw = new IngressGateway(chart, 'edge', {
    hosts: ['shop.acme.example'],
    tls: GatewayTls.simple('shop-tls'),
    externalIssuers: [ISSUER],
    ...(gatewayNamespace ? { namespace: gatewayNamespace, selector: { app: 'edge', istio: 'edge' } } : {}),
  });
  gw.route(web, { host: 'shop.acme.example', methods: ['GET'] });
  const egress = new EgressGateway(chart, 'egress', gatewayNamespace ? { namespace: gatewayNamespace, selector: { app: 'egress', istio: 'egress' } } : {});
  egress.allowExternal(ExternalHost.https('api.example.com'), { from: [cart] });
  egress.allowExternal(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'books-ca' }), { from: [orders, web] });
  return chart;
}

/** What the library synthesizes, in the variants the rules must accept. */
export function libraryApps(): LibraryApp[] {
  const app = (name: string, chart: Chart, overrides: Partial<RuleContext> = {}) => {
    const objects = synthValidated(chart) as RuleObject[];
    return { name, objects, ctx: ruleContext(objects, overrides) };
  };
  const baselineOnly = new Chart(Testing.app(), 'test');
  new MeshBaseline(baselineOnly, 'mesh');
  const unusedGateways = new Chart(Testing.app(), 'test');
  new MeshBaseline(unusedGateways, 'mesh');
  new HardenedNamespace(unusedGateways, 'shop', { name: 'shop' });
  new IngressGateway(unusedGateways, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), httpsRedirect: false });
  new EgressGateway(unusedGateways, 'egress');
  return [
    app('MeshBaseline alone', baselineOnly),
    app('gateways without routes or hosts', unusedGateways),
    app('full app, MeshBaseline defaults (15017 from any source, 15014 closed)', fullApp({})),
    app('full app, monitoringNamespace and apiServerCidrs', fullApp({ monitoringNamespace: 'monitoring', apiServerCidrs: ['172.16.0.2/32', 'fd00::2/128'] })),
    app('full app, a revision and a separate control-plane namespace, gateways in their own namespace',
      fullApp({ revision: 'canary', controlPlaneNamespace: 'istio-cp', monitoringNamespace: 'monitoring' }, 'istio-gateways'), { controlPlaneNamespace: 'istio-cp' }),
    app('examples/blueprint', new BlueprintChart(Testing.app(), 'blueprint')),
  ];
}

/** The objects of YAML files in `dir` (every document with a kind). */
export function loadYaml(dir: string, files: readonly string[]): RuleObject[] {
  return files.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()).filter((o) => o && o.kind));
}

/**
 * The objects of a chart that breaks `ruleId`: asserts that synthesis fails naming the rule (it is
 * registered: the JSON patch or raw object cannot reach the YAML), then renders the same chart
 * under a test-only PolicyException for every rule, so the test can read what the rule reads.
 */
export function synthBreaking(chart: Chart, ruleId: string): RuleObject[] {
  expect(() => Testing.synth(chart)).toThrow(new RegExp(`${ruleId} \\(`));
  const apiObjects = chart.node.root.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  const objects = [...new Set(apiObjects.map((o) => objectRef({ kind: o.kind, metadata: { name: o.name, namespace: o.metadata.namespace } })))];
  const enforcement = PolicyEnforcement.of(chart);
  const registries = new Set(chart.node.root.node.findAll().filter((c): c is ExceptionRegistry => c instanceof ExceptionRegistry)
    .map((r) => r.namespace));
  for (const ns of new Set(objects.map((o) => enforcement._registryNamespaceOf(o)))) {
    if (!registries.has(ns)) new ExceptionRegistry(chart, `registry-for-the-test-${ns}`, { namespace: ns });
  }
  new PolicyException(chart, 'rendered-for-the-test', {
    rules: ALL_RULES.map((r) => r.id),
    justification: 'The rule tests read the rendered objects of a chart that deliberately breaks the rules, to assert the paths the rule reports.',
    meshWideReason: 'A test fixture: every object of the chart, in every namespace, is rendered so the rule test can read it.',
    owner: 'tests@example.com',
    expires: inDays(chart, 30),
    objects,
    ports: Array.from({ length: 65535 }, (_, i) => i + 1),
  });
  return Testing.synth(chart);
}
