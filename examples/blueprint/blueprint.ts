import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AdmissionGuardrails, AppProtocol, EgressGateway, ExternalHost, GatewayTls, HardenedNamespace, IngressGateway, MeshBaseline,
  MeshRoleSets, RbacSubject, SecureService, ServicePort,
} from '../../src';

/** Images of Istio's Bookinfo sample, pinned by digest (IMG-1); the tag each digest was published as is noted. */
const IMAGES = {
  productpage: 'docker.io/istio/examples-bookinfo-productpage-v1@sha256:6668bcf42ef0afb89d0ccd378905c761eab0f06919e74e178852b58b4bbb29c5', // 1.17.0
  details: 'docker.io/istio/examples-bookinfo-details-v1@sha256:2b081e3c86dd8105040ea1f2adcc94cb473f41249dc9c91ebc1c2885ddd56c13', // 1.17.0
  reviews: 'docker.io/istio/examples-bookinfo-reviews-v1@sha256:5b3c8ec2cb877b7a3c93fc340bb91633c3e51a6bc43a2da3ae7d72727650ec07', // 1.20.1
  ratings: 'docker.io/istio/examples-bookinfo-ratings-v1@sha256:b6a6b88d35785c19f6dcb6acf055aa585511f2126bb0b5802f3107b7d37ead0b', // 1.17.0
};

/** Bookinfo's one port: HTTP on 9080. */
const HTTP_9080: ServicePort[] = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];

/**
 * The example platform blueprint: Istio's Bookinfo in a hardened namespace on a mesh baseline,
 * with exactly the call graph Bookinfo needs and nothing more:
 *
 * - productpage -> details  GET /details/*  on 9080
 * - productpage -> reviews  GET /reviews/*  on 9080
 * - reviews     -> ratings  GET /ratings/*  on 9080
 *
 * and at the edge, through the ingress gateway on https://bookinfo.example.com:
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
export class BlueprintChart extends Chart {
  public readonly services: { [name: string]: SecureService };
  public readonly gateway: IngressGateway;
  public readonly egress: EgressGateway;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });

    new MeshBaseline(this, 'mesh', {
      allowedRegistries: ['docker.io/istio'],
      monitoringNamespace: 'monitoring',
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

    const gateway = new IngressGateway(this, 'bookinfo-gateway', {
      hosts: ['bookinfo.example.com'],
      tls: GatewayTls.simple('bookinfo-example-com-tls'),
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

    const egress = new EgressGateway(this, 'egress');
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
    this.gateway = gateway;
    this.egress = egress;
  }
}
