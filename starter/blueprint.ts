import { Chart, ChartProps } from 'cdk8s';
import {
  AppProtocol, HardenedNamespace, MeshBaseline, MeshRoleSets, RbacSubject, SecureService, ServicePort,
} from 'cdk8s-secure-mesh';
import { Construct } from 'constructs';

/**
 * Images pinned by digest (IMG-1), from the registries MeshBaseline allows. These are Istio's
 * Bookinfo sample images (the tag each digest was published as is noted); replace them with yours.
 */
const IMAGES = {
  productpage: 'docker.io/istio/examples-bookinfo-productpage-v1@sha256:6668bcf42ef0afb89d0ccd378905c761eab0f06919e74e178852b58b4bbb29c5', // 1.17.0
  reviews: 'docker.io/istio/examples-bookinfo-reviews-v1@sha256:5b3c8ec2cb877b7a3c93fc340bb91633c3e51a6bc43a2da3ae7d72727650ec07', // 1.20.1
  ratings: 'docker.io/istio/examples-bookinfo-ratings-v1@sha256:b6a6b88d35785c19f6dcb6acf055aa585511f2126bb0b5802f3107b7d37ead0b', // 1.17.0
};

/** One HTTP port on 9080: the container port the grants below refer to. */
const HTTP_9080: ServicePort[] = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];

/**
 * The platform blueprint: a mesh baseline, the operators' roles, one hardened namespace and
 * three services with exactly the calls they need:
 *
 * - productpage -> reviews  GET /reviews/*  on 9080
 * - reviews     -> ratings  GET /ratings/*  on 9080
 *
 * Everything else is denied: by the mesh-wide and namespace allow-nothing AuthorizationPolicies
 * at L7 and by the default-deny NetworkPolicies at L3/L4. test/blueprint.test.ts asserts that the
 * access matrix of the synthesized YAML is exactly this list.
 */
export class BlueprintChart extends Chart {
  /** The services, by name. */
  public readonly services: { [name: string]: SecureService };

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });

    // Mesh-wide STRICT mTLS, allow-nothing, REGISTRY_ONLY egress; images only from these registries.
    new MeshBaseline(this, 'mesh', {
      allowedRegistries: ['docker.io/istio'],
    });

    // RBAC-1: who operates the mesh. Only security admins write security policy; auditors read.
    // These groups are also in secure-mesh.yaml (the test keeps the two equal).
    new MeshRoleSets(this, 'operators', {
      meshAdmins: [RbacSubject.group('mesh-admins')],
      securityAdmins: [RbacSubject.group('security-admins')],
      auditors: [RbacSubject.group('auditors')],
    });

    // A namespace for one team: PSA restricted, default-deny NetworkPolicies, STRICT mTLS,
    // allow-nothing; the team deploys workloads but cannot touch security policy.
    const bookinfo = new HardenedNamespace(this, 'bookinfo', {
      name: 'bookinfo',
      deployers: [RbacSubject.group('bookinfo-developers')],
    });

    const service = (name: string, image: string) => new SecureService(this, name, {
      namespace: bookinfo,
      image,
      ports: HTTP_9080,
      version: 'v1',
    });
    const productpage = service('productpage', IMAGES.productpage);
    const reviews = service('reviews', IMAGES.reviews);
    const ratings = service('ratings', IMAGES.ratings);

    // The call graph: each grant writes the ALLOW rule for the caller's identity and the
    // NetworkPolicy edge on both sides. Nothing else can call these services.
    reviews.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/reviews/*'] });
    ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });

    this.services = { productpage, reviews, ratings };
  }
}
