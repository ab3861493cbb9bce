import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshContract, SecureService } from '../../../src';
import { BookinfoWorkloads, DETAILS_PROBE, GOOGLE_APIS, PRODUCTPAGE_ROUTES, bookinfoWorkloads } from '../../blueprint/bookinfo';

/** Props of the Bookinfo team's app. */
export interface BookinfoAppProps extends ChartProps {
  /** The platform's mesh contract (MeshContract.fromFile of the version this repository pins). */
  readonly contract: MeshContract;
}

/**
 * The Bookinfo team's repository: everything in the `bookinfo` namespace and nothing else, applied
 * by a namespace-scoped sync (REPO-SCOPE-001 holds it to that). The platform's contract gives it
 * the mesh, the namespace (created by the platform, with its data plane and profile), the ingress
 * gateway and the external host it may use.
 *
 * - The namespace's policies (STRICT mTLS, allow-nothing, default-deny NetworkPolicies, the
 *   Sidecar, this repository's exception registry) and Bookinfo's workloads with their grants.
 * - The service's side of the platform's edge routes: productpage admits the gateway's identity on
 *   exactly the routed paths and methods, with the internal token of the gateway's exchange.
 * - details' side of the platform's egress grant: egress to the egress gateway, the host in the Sidecar.
 * - details admits the platform SRE team's probe (`probes/loadgen`, declared by its attributes);
 *   the probe's egress is written in the platform's repository.
 */
export class BookinfoAppChart extends Chart {
  public readonly bookinfo: BookinfoWorkloads;

  constructor(scope: Construct, id: string, props: BookinfoAppProps) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    const contract = props.contract;

    const namespace = contract.namespace(this, 'bookinfo', 'bookinfo');
    this.bookinfo = bookinfoWorkloads(this, namespace);
    const { productpage, details } = this.bookinfo.services;

    const gateway = contract.ingressGateway('istio-system/bookinfo-gateway');
    PRODUCTPAGE_ROUTES.forEach((route) => gateway.route(productpage, route));

    contract.allowExternal(GOOGLE_APIS, { from: [details] });

    const probe = SecureService.fromAttributes(this, 'loadgen', { namespace: 'probes', name: 'loadgen', ports: [] });
    details.allowFrom(probe, DETAILS_PROBE);
  }
}
