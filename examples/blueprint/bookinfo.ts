import { Cron, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  AllowFromOptions, AppProtocol, EdgeProtection, GatewayTls, HardenedNamespace, HealthProbeType, IngressGatewayProps, MeshWorkload, RouteOptions,
  SecureCronJob, SecureJob, SecureService, SecureStatefulSet, ServicePort,
} from '../../src';

/**
 * Istio's Bookinfo: the workloads of the `bookinfo` namespace and the grants among them, and the
 * edge, probe and egress settings around them. The one-app blueprint (blueprint.ts) and both
 * repositories of the multi-repo example (../multi-repo) build from here, so they describe the
 * same mesh.
 */

/** Images of Istio's Bookinfo sample, pinned by digest (IMG-1); the tag each digest was published as is noted. */
export const IMAGES = {
  productpage: 'docker.io/istio/examples-bookinfo-productpage-v1@sha256:6668bcf42ef0afb89d0ccd378905c761eab0f06919e74e178852b58b4bbb29c5', // 1.17.0
  details: 'docker.io/istio/examples-bookinfo-details-v1@sha256:2b081e3c86dd8105040ea1f2adcc94cb473f41249dc9c91ebc1c2885ddd56c13', // 1.17.0
  reviews: 'docker.io/istio/examples-bookinfo-reviews-v1@sha256:5b3c8ec2cb877b7a3c93fc340bb91633c3e51a6bc43a2da3ae7d72727650ec07', // 1.20.1
  ratings: 'docker.io/istio/examples-bookinfo-ratings-v1@sha256:b6a6b88d35785c19f6dcb6acf055aa585511f2126bb0b5802f3107b7d37ead0b', // 1.17.0
  // Docker official images; the digests are the multi-platform indexes docker-library/repo-info lists for these tags.
  mongo: 'docker.io/library/mongo@sha256:406a4fdca9fc763443268f000218d3849ef8996f66ed9e92ba0b501b446ab822', // 7.0-jammy (7.0.40)
  busybox: 'docker.io/library/busybox@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0', // 1.37.0
};

/** The registries those images come from: the mesh's allowed registries. */
export const REGISTRIES = ['docker.io/istio', 'docker.io/library/mongo', 'docker.io/library/busybox'];

/** Bookinfo's one port: HTTP on 9080. */
export const HTTP_9080: ServicePort[] = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];

/** MongoDB's wire protocol, opaque TCP to the mesh. */
const MONGO_27017: ServicePort[] = [{ name: 'tcp-mongo', port: 27017, protocol: AppProtocol.TCP }];

/** The official mongo image's user and group (`mongodb`, 999). */
const MONGO_ID = 999;

/** The host users reach Bookinfo on, through the ingress gateway. */
export const EDGE_HOST = 'bookinfo.example.com';

/**
 * Bookinfo's edge: HTTPS only on https://bookinfo.example.com, behind Cloud Armor (INGRESS-1),
 * users signed in with the external issuer, whose token the `token-exchange` ext-authz provider
 * swaps for the internal one productpage accepts (TOKEN-1).
 */
export const BOOKINFO_EDGE: IngressGatewayProps = {
  hosts: [EDGE_HOST],
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
};

/** What signed-in users may call on productpage through the ingress gateway. */
export const PRODUCTPAGE_ROUTES: RouteOptions[] = [
  { host: EDGE_HOST, methods: ['GET'], paths: ['/productpage', '/static/*', '/logout', '/api/v1/products/*'] },
  { host: EDGE_HOST, methods: ['GET', 'POST'], paths: ['/login'] },
];

/** What the load generator may call on details. */
export const DETAILS_PROBE: AllowFromOptions = { ports: [9080], methods: ['GET'], paths: ['/details/*'] };

/** The external host details calls, through the egress gateway. */
export const GOOGLE_APIS = 'www.googleapis.com';

/** The Bookinfo services' ServiceAccount: `bookinfo-<name>`. */
export const bookinfoServiceAccount = (name: string) => `bookinfo-${name}`;

/** Bookinfo's workloads. */
export interface BookinfoWorkloads {
  readonly services: {
    readonly productpage: SecureService; readonly details: SecureService; readonly reviews: SecureService; readonly ratings: SecureService;
  };
  /** The database and its batch jobs. */
  readonly workloads: { readonly [name: string]: MeshWorkload };
}

/**
 * The Bookinfo services and its MongoDB in `namespace`, with exactly the calls among them:
 *
 * - productpage -> details  GET /details/*  on 9080
 * - productpage -> reviews  GET /reviews/*  on 9080
 * - reviews     -> ratings  GET /ratings/*  on 9080
 * - mongodb-seed    -> mongodb on 27017 (a Job that loads the initial ratings)
 * - mongodb-compact -> mongodb on 27017 (a CronJob that compacts the collection nightly)
 */
export function bookinfoWorkloads(scope: Construct, namespace: HardenedNamespace): BookinfoWorkloads {
  const service = (name: string, image: string) => new SecureService(scope, name, {
    namespace,
    image,
    ports: HTTP_9080,
    serviceAccountName: bookinfoServiceAccount(name),
    version: 'v1',
  });
  const productpage = service('productpage', IMAGES.productpage);
  const details = service('details', IMAGES.details);
  const reviews = service('reviews', IMAGES.reviews);
  const ratings = service('ratings', IMAGES.ratings);

  details.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/details/*'] });
  reviews.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/reviews/*'] });
  ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });

  // The database: stable identity and its own volume; the root filesystem stays read-only.
  const mongo = {
    namespace,
    image: IMAGES.mongo,
    runAsUser: MONGO_ID,
    runAsGroup: MONGO_ID,
    fsGroup: MONGO_ID,
    env: { HOME: '/tmp' },
    writablePaths: ['/tmp'],
  };
  const mongodb = new SecureStatefulSet(scope, 'mongodb', {
    ...mongo,
    ports: MONGO_27017,
    writablePaths: ['/tmp', '/data/configdb'],
    volumes: [{ name: 'data', mountPath: '/data/db', storage: Size.gibibytes(10) }],
    readinessProbe: { port: 27017, type: HealthProbeType.TCP },
    livenessProbe: { port: 27017, type: HealthProbeType.TCP, periodSeconds: 20 },
    resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) } },
  });
  const mongosh = (script: string) => ['mongosh', '--quiet', 'mongodb://mongodb-0.mongodb:27017/test', '--eval', script];
  const seed = new SecureJob(scope, 'mongodb-seed', {
    ...mongo,
    args: mongosh('db.ratings.insertMany([{ rating: 5 }, { rating: 4 }])'),
    activeDeadline: Duration.minutes(10),
  });
  const compact = new SecureCronJob(scope, 'mongodb-compact', {
    ...mongo,
    schedule: Cron.schedule({ minute: '30', hour: '3' }),
    timeZone: 'Etc/UTC',
    args: mongosh('db.runCommand({ compact: "ratings" })'),
    activeDeadline: Duration.hours(1),
  });
  mongodb.allowFrom(seed);
  mongodb.allowFrom(compact);
  return { services: { productpage, details, reviews, ratings }, workloads: { 'mongodb': mongodb, 'mongodb-seed': seed, 'mongodb-compact': compact } };
}

/**
 * The platform SRE team's synthetic check of the details API, in `namespace` (`probes`): a
 * workload that only calls (its own identity, no Service, nothing may call it). details grants it
 * {@link DETAILS_PROBE}.
 */
export function detailsProbe(scope: Construct, namespace: HardenedNamespace): SecureService {
  return new SecureService(scope, 'loadgen', {
    namespace,
    image: IMAGES.busybox,
    ports: [],
    replicas: 1,
    runAsUser: 65534,
    runAsGroup: 65534,
    args: ['sh', '-c', 'while true; do wget -q -O /dev/null http://details.bookinfo:9080/details/0; sleep 5; done'],
    resources: { cpu: { request: Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) } },
  });
}
