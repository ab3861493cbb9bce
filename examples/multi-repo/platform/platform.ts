import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AdmissionGuardrails, AppTeamNamespace, EgressGateway, ExternalHost, HardenedNamespace, IngressGateway, MeshBaseline,
  MeshRoleSets, RbacSubject, SecureService,
} from '../../../src';
import {
  BOOKINFO_EDGE, DETAILS_PROBE, GOOGLE_APIS, HTTP_9080, PRODUCTPAGE_ROUTES, REGISTRIES, bookinfoServiceAccount, detailsProbe,
} from '../../blueprint/bookinfo';

/**
 * The platform team's repository: the mesh and everything cluster-wide, the namespaces it gives app
 * teams, the gateways, and its own probe. Its `mesh-contract.yaml` (MeshContract.yamlOf) is what
 * app teams' repositories build on.
 *
 * - MeshBaseline: STRICT mTLS, allow-nothing, REGISTRY_ONLY, access logs, istiod's NetworkPolicies.
 * - AppTeamNamespace `bookinfo`: the Namespace object (sidecar injection, Pod Security
 *   `restricted`) and the Bookinfo team's roles; the team's repository (../app-bookinfo) writes
 *   everything in it.
 * - The ingress gateway for https://bookinfo.example.com, routing to productpage, a service of the
 *   Bookinfo team's repository declared here by its attributes; that repository grants the
 *   gateway the same routes (MeshContract.ingressGateway(...).route).
 * - The egress gateway, admitting details (also declared by attributes) to www.googleapis.com;
 *   the Bookinfo repository opens details' side (MeshContract.allowExternal).
 * - `probes/loadgen`, the SRE team's synthetic check of the details API: its egress to details is
 *   written here (`details.allowFrom(loadgen)` on the imported details), the grant in details'
 *   repository. NET-GRANT-001 over both outputs reports either half without the other.
 * - Operator roles and the admission guardrails.
 */
export class PlatformChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });

    new MeshBaseline(this, 'mesh', { allowedRegistries: REGISTRIES, monitoringNamespace: 'monitoring' });

    // The Bookinfo team's namespace: created here, filled by its repository.
    new AppTeamNamespace(this, 'bookinfo', {
      name: 'bookinfo',
      deployers: [RbacSubject.group('bookinfo-developers')],
      viewers: [RbacSubject.group('bookinfo-sre')],
    });
    // The Bookinfo services the platform routes to or lets out, as that repository declares them.
    const bookinfoService = (name: string) => SecureService.fromAttributes(this, name, {
      namespace: 'bookinfo', name, ports: HTTP_9080, serviceAccountName: bookinfoServiceAccount(name),
    });
    const productpage = bookinfoService('productpage');
    const details = bookinfoService('details');

    // The SRE team's synthetic check, from the platform's own namespace: the caller's side here.
    const probes = new HardenedNamespace(this, 'probes', { name: 'probes' });
    details.allowFrom(detailsProbe(this, probes), DETAILS_PROBE);

    const gateway = new IngressGateway(this, 'bookinfo-gateway', BOOKINFO_EDGE);
    PRODUCTPAGE_ROUTES.forEach((route) => gateway.route(productpage, route));

    new EgressGateway(this, 'egress').allowExternal(ExternalHost.https(GOOGLE_APIS), { from: [details] });

    // RBAC-1: operators by role; only security admins write security policy.
    new MeshRoleSets(this, 'operators', {
      meshAdmins: [RbacSubject.group('mesh-admins')],
      securityAdmins: [RbacSubject.group('security-admins')],
      auditors: [RbacSubject.group('auditors')],
    });
    // OPS-1: the cluster refuses what synthesis refuses, also for YAML applied by the app teams' syncs.
    new AdmissionGuardrails(this, 'guardrails');
  }
}
