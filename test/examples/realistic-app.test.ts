import { Cron, Size, Testing } from 'cdk8s';
import {
  AppProtocol, EdgeProtection, GatewayTls, HardenedNamespace, HealthProbeType, IngressGateway, MeshBaseline, SecureCronJob, SecureJob,
  SecureService, SecureStatefulSet,
} from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { auditManifests } from '../../src/audit/audit';
import { synthValidated } from '../helpers';

/**
 * Issue 15's "done when": a realistic application written with the public API alone (the package
 * root's exports): HTTP and gRPC services, a load generator, a stateful database, a batch job and
 * a scheduled one, behind an HTTPS edge. It synthesizes with zero findings, passes the validation
 * harness, and its access matrix equals its intended call graph.
 */
const image = (name: string, digit: string) => `registry.example.com/shop/${name}@sha256:${digit.repeat(64)}`;

function shop() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', { allowedRegistries: ['registry.example.com/shop'] });
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const http = (port: number) => [{ name: 'http', port, protocol: AppProtocol.HTTP }];
  const frontend = new SecureService(chart, 'frontend', {
    namespace: ns, image: image('frontend', 'a'), ports: http(8080), readinessProbe: { port: 8080, path: '/healthz' }, runAsUser: 10001,
  });
  const cart = new SecureService(chart, 'cart', {
    namespace: ns,
    image: image('cart', 'b'),
    ports: [{ name: 'grpc', port: 7070, protocol: AppProtocol.GRPC }],
    readinessProbe: { port: 7070, type: HealthProbeType.GRPC },
    runAsUser: 10001,
  });
  const catalog = new SecureService(chart, 'catalog', { namespace: ns, image: image('catalog', 'c'), ports: http(3550), runAsUser: 10001, writablePaths: ['/tmp'] });
  const db = new SecureStatefulSet(chart, 'db', {
    namespace: ns,
    image: image('postgres', 'd'),
    ports: [{ name: 'tcp-postgres', port: 5432, protocol: AppProtocol.TCP }],
    runAsUser: 70,
    runAsGroup: 70,
    fsGroup: 70,
    writablePaths: ['/tmp', '/var/run/postgresql'],
    volumes: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(20) }],
  });
  const loadgen = new SecureService(chart, 'loadgen', { namespace: ns, image: image('loadgen', 'e'), ports: [], replicas: 1, runAsUser: 10001 });
  const migrate = new SecureJob(chart, 'migrate', { namespace: ns, image: image('migrate', 'f'), runAsUser: 10001 });
  const report = new SecureCronJob(chart, 'report', { namespace: ns, image: image('report', '1'), runAsUser: 10001, schedule: Cron.daily() });

  cart.allowFrom(frontend, { ports: [7070], paths: ['/hipstershop.CartService/*'] });
  catalog.allowFrom(frontend, { ports: [3550], methods: ['GET'], paths: ['/products/*'] });
  frontend.allowFrom(loadgen, { methods: ['GET'], paths: ['/', '/product/*'] });
  db.allowFrom(cart, { ports: [5432] });
  db.allowFrom(migrate);
  db.allowFrom(report);
  catalog.allowFrom(report, { methods: ['GET'], paths: ['/products/*'] });

  const edge = new IngressGateway(chart, 'edge', {
    hosts: ['shop.example.com'],
    tls: GatewayTls.simple('shop-tls'),
    edgeProtection: EdgeProtection.none('The shop runs on an internal network behind the corporate WAF; no public load balancer fronts it.'),
    externalIssuers: [{ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['shop'] }],
  });
  edge.route(frontend, { host: 'shop.example.com', methods: ['GET', 'POST'] });
  return chart;
}

const INTENDED = [
  'istio-system/istio-ingressgateway -> shop/frontend:8080',
  'shop/loadgen -> shop/frontend:8080',
  'shop/frontend -> shop/cart:7070',
  'shop/frontend -> shop/catalog:3550',
  'shop/cart -> shop/db:5432',
  'shop/migrate -> shop/db:5432',
  'shop/report -> shop/db:5432',
  'shop/report -> shop/catalog:3550',
];

describe('a realistic application on the public API (issue 15)', () => {
  const objects = synthValidated(shop());

  test('it synthesizes (the rules run at synthesis), passes the validation harness, and the audit finds nothing', () => {
    const result = auditManifests(objects.map((object, i) => ({ object, file: 'shop.k8s.yaml', line: i + 1, documentIndex: i })));
    expect(result.findings.map((f) => `${f.ruleId} ${f.object} ${f.message}`)).toEqual([]);
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'StatefulSet', 'Job', 'CronJob']));
  });

  test('its access matrix equals the intended call graph: no edge more, no edge less', () => {
    const matrix = AccessMatrix.fromManifests(objects, {
      workloads: [{ name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway' }, ports: [8443] }],
    });
    expect(matrix.edges().map((e) => `${e.from} -> ${e.to}:${e.port}`).sort()).toEqual([...INTENDED].sort());
    expect(matrix.warnings()).toEqual([]);
    // gRPC is authorized by method path; a caller outside the graph is refused at both layers.
    expect(matrix.check({ from: 'shop/frontend', to: 'shop/cart', port: 7070, method: 'POST', path: '/hipstershop.CartService/AddItem' }).allowed).toBe(true);
    expect(matrix.check({ from: 'shop/frontend', to: 'shop/cart', port: 7070, method: 'POST', path: '/hipstershop.AdminService/Drop' }).allowed).toBe(false);
    expect(matrix.check({ from: 'shop/loadgen', to: 'shop/db', port: 5432 }).allowed).toBe(false);
  });
});
