import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { BOOKINFO_EDGE, DETAILS_PROBE, GOOGLE_APIS, PRODUCTPAGE_ROUTES, REGISTRIES, bookinfoWorkloads, detailsProbe } from './bookinfo';
import {
  AdmissionGuardrails, AmbientEgressGateway, DataPlane, EgressGateway, ExternalHost, HardenedNamespace, IngressGateway,
  MeshBaseline, MeshRoleSets, MeshWorkload, RbacSubject, SecureService,
} from '../../src';

/**
 * The example platform blueprint: Istio's Bookinfo in a hardened namespace on a mesh baseline,
 * with exactly the call graph Bookinfo needs and nothing more:
 *
 * - productpage -> details  GET /details/*  on 9080
 * - productpage -> reviews  GET /reviews/*  on 9080
 * - reviews     -> ratings  GET /ratings/*  on 9080
 * - probes/loadgen -> details  GET /details/*  on 9080 (the platform SRE team's synthetic check
 *                                             of the details API, from its own namespace)
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
   * The data plane of the app namespaces (bookinfo, probes). The same grants render for either: on SIDECAR every pod's
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
      allowedRegistries: REGISTRIES,
      monitoringNamespace: 'monitoring',
      defaultDataPlane: dataPlane,
    });

    const bookinfo = new HardenedNamespace(this, 'bookinfo', {
      name: 'bookinfo',
      deployers: [RbacSubject.group('bookinfo-developers')],
      viewers: [RbacSubject.group('bookinfo-sre')],
    });

    const { services, workloads } = bookinfoWorkloads(this, bookinfo);
    const { productpage, details } = services;

    // The platform SRE team's synthetic check, from its own namespace.
    const probes = new HardenedNamespace(this, 'probes', { name: 'probes' });
    const loadgen = detailsProbe(this, probes);
    details.allowFrom(loadgen, DETAILS_PROBE);

    const gateway = new IngressGateway(this, 'bookinfo-gateway', BOOKINFO_EDGE);
    PRODUCTPAGE_ROUTES.forEach((route) => gateway.route(productpage, route));

    // The way out: the sidecar mesh's egress gateway, or on ambient a waypoint in its own namespace.
    const egress = dataPlane === DataPlane.AMBIENT
      ? new AmbientEgressGateway(this, 'egress', { namespace: new HardenedNamespace(this, 'istio-egress', { name: 'istio-egress' }) })
      : new EgressGateway(this, 'egress');
    egress.allowExternal(ExternalHost.https(GOOGLE_APIS), { from: [details] });

    // RBAC-1: operators by role; only security admins write security policy.
    new MeshRoleSets(this, 'operators', {
      meshAdmins: [RbacSubject.group('mesh-admins')],
      securityAdmins: [RbacSubject.group('security-admins')],
      auditors: [RbacSubject.group('auditors')],
    });
    // OPS-1: the cluster refuses what synthesis refuses, also for YAML applied by other tools.
    new AdmissionGuardrails(this, 'guardrails');

    this.services = { ...services };
    this.workloads = { loadgen, ...workloads };
    this.gateway = gateway;
    this.egress = egress;
  }
}
