import { Chart, ChartProps, Cron, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  AdmissionGuardrails, AmbientEgressGateway, AppProtocol, DataPlane, EdgeProtection, EgressGateway, ExternalHost, GatewayTls, HardenedNamespace,
  HealthProbeType, IngressGateway,
  MeshBaseline, MeshRoleSets, MeshWorkload, RbacSubject, SecureCronJob, SecureJob, SecureService, SecureStatefulSet, ServicePort,
} from '../../src';

/** Images of Istio's Bookinfo sample, pinned by digest (IMG-1); the tag each digest was published as is noted. */
const IMAGES = {
  productpage: 'docker.io/istio/examples-bookinfo-productpage-v1@sha256:6668bcf42ef0afb89d0ccd378905c761eab0f06919e74e178852b58b4bbb29c5', // 1.17.0
  details: 'docker.io/istio/examples-bookinfo-details-v1@sha256:2b081e3c86dd8105040ea1f2adcc94cb473f41249dc9c91ebc1c2885ddd56c13', // 1.17.0
  reviews: 'docker.io/istio/examples-bookinfo-reviews-v1@sha256:5b3c8ec2cb877b7a3c93fc340bb91633c3e51a6bc43a2da3ae7d72727650ec07', // 1.20.1
  ratings: 'docker.io/istio/examples-bookinfo-ratings-v1@sha256:b6a6b88d35785c19f6dcb6acf055aa585511f2126bb0b5802f3107b7d37ead0b', // 1.17.0
  // Docker official images; the digests are the multi-platform indexes docker-library/repo-info lists for these tags.
  mongo: 'docker.io/library/mongo@sha256:406a4fdca9fc763443268f000218d3849ef8996f66ed9e92ba0b501b446ab822', // 7.0-jammy (7.0.40)
  busybox: 'docker.io/library/busybox@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0', // 1.37.0
};

/** Bookinfo's one port: HTTP on 9080. */
const HTTP_9080: ServicePort[] = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];

/** MongoDB's wire protocol, opaque TCP to the mesh. */
const MONGO_27017: ServicePort[] = [{ name: 'tcp-mongo', port: 27017, protocol: AppProtocol.TCP }];

/** The official mongo image's user and group (`mongodb`, 999). */
const MONGO_ID = 999;

/**
 * The example platform blueprint: Istio's Bookinfo in a hardened namespace on a mesh baseline,
 * with exactly the call graph Bookinfo needs and nothing more:
 *
 * - productpage -> details  GET /details/*  on 9080
 * - productpage -> reviews  GET /reviews/*  on 9080
 * - reviews     -> ratings  GET /ratings/*  on 9080
 * - loadgen     -> details  GET /details/*  on 9080 (a workload that only calls: a synthetic
 *                                          check of the details API)
 *
 * and Bookinfo's MongoDB (the store ratings v2 reads), as a StatefulSet with its own volume,
 * reached on 27017 only by the two batch workloads that maintain it:
 *
 * - mongodb-seed    -> mongodb  (a Job that loads the initial ratings)
 * - mongodb-compact -> mongodb  (a CronJob that compacts the collection nightly)
 *
 * and at the edge, through the ingress gateway on https://bookinfo.example.com (HTTPS only, behind
 * a Cloud Armor policy at the GKE load balancer):
 *
 * - signed-in users -> productpage  GET /productpage, /static/*, /logout, /api/v1/products/*;
 *                                    GET and POST /login
 *
 * and out of the mesh, through the egress gateway only:
 *
 * - details -> www.googleapis.com:443 (details speaks TLS itself; the gateway admits only
 *   details' identity for that host, and nothing else in the mesh can reach it)
 *
 * Users sign in at the edge: the gateway requires a valid token of the external issuer, and the
 * ext-authz provider `token-exchange` swaps it for an internal one, the only token productpage
 * accepts. The external token never enters the mesh.
 *
 * Everything else is denied: by the mesh-wide and namespace allow-nothing policies at L7 and by
 * the default-deny NetworkPolicies at L3/L4.
 */
/** Props of the blueprint. */
export interface BlueprintProps extends ChartProps {
  /**
   * The data plane of the app namespace. The same grants render for either: on SIDECAR every pod's
   * sidecar enforces them; on AMBIENT ztunnel enforces the L4 grants (mongodb's) and the
   * namespace's waypoint the L7 ones (the Bookinfo services'), and egress leaves through a waypoint
   * in `istio-egress`. The access matrix is the same call graph either way.
   *
   * @default DataPlane.SIDECAR
   */
  readonly dataPlane?: DataPlane;
}

export class BlueprintChart extends Chart {
  public readonly services: { [name: string]: SecureService };
  /** The workloads that are not plain services: the load generator, the database and its batch jobs. */
  public readonly workloads: { [name: string]: MeshWorkload };
  public readonly gateway: IngressGateway;
  public readonly egress: EgressGateway | AmbientEgressGateway;

  constructor(scope: Construct, id: string, props: BlueprintProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    const dataPlane = props.dataPlane ?? DataPlane.SIDECAR;

    new MeshBaseline(this, 'mesh', {
      allowedRegistries: ['docker.io/istio', 'docker.io/library/mongo', 'docker.io/library/busybox'],
      monitoringNamespace: 'monitoring',
      defaultDataPlane: dataPlane,
    });

    const bookinfo = new HardenedNamespace(this, 'bookinfo', {
      name: 'bookinfo',
      deployers: [RbacSubject.group('bookinfo-developers')],
      viewers: [RbacSubject.group('bookinfo-sre')],
    });

    const service = (name: string, image: string) => new SecureService(this, name, {
      namespace: bookinfo,
      image,
      ports: HTTP_9080,
      serviceAccountName: `bookinfo-${name}`,
      version: 'v1',
    });
    const productpage = service('productpage', IMAGES.productpage);
    const details = service('details', IMAGES.details);
    const reviews = service('reviews', IMAGES.reviews);
    const ratings = service('ratings', IMAGES.ratings);

    details.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/details/*'] });
    reviews.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/reviews/*'] });
    ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });

    // A workload that only calls: its own identity, no Service, nothing may call it.
    const loadgen = new SecureService(this, 'loadgen', {
      namespace: bookinfo,
      image: IMAGES.busybox,
      ports: [],
      replicas: 1,
      runAsUser: 65534,
      runAsGroup: 65534,
      args: ['sh', '-c', 'while true; do wget -q -O /dev/null http://details:9080/details/0; sleep 5; done'],
      resources: { cpu: { request: Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) } },
    });
    details.allowFrom(loadgen, { ports: [9080], methods: ['GET'], paths: ['/details/*'] });

    // The database: stable identity and its own volume; the root filesystem stays read-only.
    const mongo = {
      namespace: bookinfo,
      image: IMAGES.mongo,
      runAsUser: MONGO_ID,
      runAsGroup: MONGO_ID,
      fsGroup: MONGO_ID,
      env: { HOME: '/tmp' },
      writablePaths: ['/tmp'],
    };
    const mongodb = new SecureStatefulSet(this, 'mongodb', {
      ...mongo,
      ports: MONGO_27017,
      writablePaths: ['/tmp', '/data/configdb'],
      volumes: [{ name: 'data', mountPath: '/data/db', storage: Size.gibibytes(10) }],
      readinessProbe: { port: 27017, type: HealthProbeType.TCP },
      livenessProbe: { port: 27017, type: HealthProbeType.TCP, periodSeconds: 20 },
      resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) } },
    });
    const mongosh = (script: string) => ['mongosh', '--quiet', 'mongodb://mongodb-0.mongodb:27017/test', '--eval', script];
    const seed = new SecureJob(this, 'mongodb-seed', {
      ...mongo,
      args: mongosh('db.ratings.insertMany([{ rating: 5 }, { rating: 4 }])'),
      activeDeadline: Duration.minutes(10),
    });
    const compact = new SecureCronJob(this, 'mongodb-compact', {
      ...mongo,
      schedule: Cron.schedule({ minute: '30', hour: '3' }),
      timeZone: 'Etc/UTC',
      args: mongosh('db.runCommand({ compact: "ratings" })'),
      activeDeadline: Duration.hours(1),
    });
    mongodb.allowFrom(seed);
    mongodb.allowFrom(compact);

    const gateway = new IngressGateway(this, 'bookinfo-gateway', {
      hosts: ['bookinfo.example.com'],
      tls: GatewayTls.simple('bookinfo-example-com-tls'),
      // INGRESS-1: Cloud Armor at the GKE load balancer in front of the gateway (a GKE Ingress with NEGs).
      edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'bookinfo-edge' }),
      externalIssuers: [{
        issuer: 'https://login.example.com',
        jwksUri: 'https://login.example.com/.well-known/jwks.json',
        audiences: ['bookinfo'],
      }],
      tokenExchange: {
        provider: 'token-exchange',
        internalIssuer: {
          issuer: 'https://sts.mesh.example.com',
          jwksUri: 'https://sts.mesh.example.com/.well-known/jwks.json',
          audiences: ['bookinfo-productpage'],
        },
      },
    });
    const host = 'bookinfo.example.com';
    gateway.route(productpage, { host, methods: ['GET'], paths: ['/productpage', '/static/*', '/logout', '/api/v1/products/*'] });
    gateway.route(productpage, { host, methods: ['GET', 'POST'], paths: ['/login'] });

    // The way out: the sidecar mesh's egress gateway, or on ambient a waypoint in its own namespace.
    const egress = dataPlane === DataPlane.AMBIENT
      ? new AmbientEgressGateway(this, 'egress', { namespace: new HardenedNamespace(this, 'istio-egress', { name: 'istio-egress' }) })
      : new EgressGateway(this, 'egress');
    egress.allowExternal(ExternalHost.https('www.googleapis.com'), { from: [details] });

    // RBAC-1: operators by role; only security admins write security policy.
    new MeshRoleSets(this, 'operators', {
      meshAdmins: [RbacSubject.group('mesh-admins')],
      securityAdmins: [RbacSubject.group('security-admins')],
      auditors: [RbacSubject.group('auditors')],
    });
    // OPS-1: the cluster refuses what synthesis refuses, also for YAML applied by other tools.
    new AdmissionGuardrails(this, 'guardrails');

    this.services = { productpage, details, reviews, ratings };
    this.workloads = { loadgen, mongodb, 'mongodb-seed': seed, 'mongodb-compact': compact };
    this.gateway = gateway;
    this.egress = egress;
  }
}
