import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessGrant } from './access-grant';
import { DataPlane, HBONE_PORT, USE_WAYPOINT_LABEL } from './data-plane';
import { AllowExternalOptions, ExternalAccess } from './egress-gateway';
import { ExternalHostLedger, ExternalHostRecord as HostRecord, callerName, checkExternalGrant, contractHostsOf, sortedCallers } from './external-grant';
import { ExternalHost, ExternalHostMode } from './external-host';
import { IMeshPeer } from './mesh-peer';
import type { ContractExternalHost } from '../contract/contract-document';
import { configError } from '../core/errors';
import { objectName } from '../core/names';
import { claimKey } from '../core/registry';
import { NetworkPolicyEgressRule, NetworkPolicyPeer } from '../network/network-policy';
import { podsInNamespace, tcpPorts } from '../network/peers';
import { HardenedNamespace, Waypoint } from '../workload/hardened-namespace';
import { MeshWorkload } from '../workload/mesh-workload';

/** Props of an AmbientEgressGateway. */
export interface AmbientEgressGatewayProps {
  /**
   * The ambient namespace whose waypoint is the egress gateway (DataPlane.AMBIENT; an error
   * otherwise). The ServiceEntries, TLS-origination DestinationRules and AuthorizationPolicies
   * are created here, and CA Secrets for TLS origination (`caCredentialName`) must live here.
   * A namespace of its own is best: its waypoint's pods may connect to the internet on the
   * granted ports, for every Service it serves.
   */
  readonly namespace: HardenedNamespace;
  /**
   * External hosts and their callers, as if `allowExternal(host, { from })` were called for each.
   *
   * @default - none: nothing is granted until `allowExternal` is called
   */
  readonly hosts?: ExternalAccess[];
}

/** Every IPv4 and IPv6 address: what an external DNS name may resolve to (see the class comment). */
function anywhere(): NetworkPolicyPeer[] {
  return [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
}

/**
 * The mesh's way out for ambient workloads (EGRESS-1; with AUTHZ-2, AUTHZ-4 and MTLS-1): the
 * waypoint of an ambient HardenedNamespace acts as the egress gateway (Istio's "Egress gateways"
 * for ambient, istio.io `docs/ambient/usage/egress-gateway`: a ServiceEntry served by a waypoint
 * sends every in-mesh caller of the host through that waypoint, where policies attach to the
 * ServiceEntry and TLS can be originated).
 *
 * Right after construction nothing is allowed and nothing is written: no host is registered, and
 * the ambient callers' default-deny NetworkPolicies let them reach nothing outside the cluster
 * (ztunnel has no REGISTRY_ONLY mode, istio/istio#54281, so NetworkPolicy is what keeps ambient
 * pods in).
 *
 * Each `allowExternal(host, { from: [a, b] })` lets exactly the ambient workloads `a` and `b`
 * reach `host:port`, only through the egress namespace's waypoint, and nobody else:
 * - a ServiceEntry for the host in the egress namespace (MESH_EXTERNAL, resolution DNS) labelled
 *   `istio.io/use-waypoint: waypoint`: ztunnel sends every in-mesh connection to the host to that
 *   waypoint over HBONE (mTLS, the caller's identity), and the waypoint resolves and connects to
 *   the host. Its `exportTo` is the egress namespace alone (`.`), where the waypoint needs it:
 *   ztunnel ignores `exportTo` (istio/istio#55163), so it would not narrow who is sent to the
 *   waypoint, and it keeps every sidecar of the mesh from routing to the host directly;
 * - the waypoint deploys on first use (HardenedNamespace's `waypoint`, with its own
 *   `waypoint-allow-nothing`), and an ALLOW AuthorizationPolicy attached to the ServiceEntry
 *   (`targetRefs` kind ServiceEntry) admits only `a`'s and `b`'s principals, on the host's
 *   service port, and for an `httpsOriginated` host only with its Host header. Every other caller
 *   is denied at the waypoint;
 * - at L3/L4, `a` and `b` may open connections only to the waypoint pods on HBONE (15008) (their
 *   egress NetworkPolicy; never an address outside the cluster: ztunnel runs in the pod's network
 *   namespace, so its connections are the pod's), the waypoint pods accept HBONE only from the
 *   callers of what they serve, and connect out on the granted external ports only;
 * - for `ExternalHost.https`, the application's TLS stream passes through the waypoint unchanged
 *   (a TLS port: no TLS is terminated, so the waypoint authorizes on identity and port; the
 *   policy's attachment to the host's ServiceEntry already names the host); for `ExternalHost.httpsOriginated`, the application sends HTTP to
 *   `http://host:appPort`, the ServiceEntry maps that port to the host's TLS port (`targetPort`),
 *   and a DestinationRule makes the waypoint originate TLS (SIMPLE, SNI `host`), verifying the
 *   host's certificate against the CA Secret and its names against `subjectAltNames`.
 *
 * The waypoint pods' egress is open to `0.0.0.0/0` and `::/0` on the granted external ports, as
 * the EgressGateway's: an external DNS name resolves to addresses that change and NetworkPolicy
 * has no DNS-name peers; the waypoint narrows what it connects to, routing only registered hosts
 * for the granted callers. Restrict the nodes' egress further in the cloud firewall where
 * addresses are known.
 *
 * Callers must be ambient: a sidecar workload's traffic is not captured by ztunnel, and its
 * sidecar would need the host exported and imported to route it here. Grant sidecar workloads
 * through an `EgressGateway`. Each external host leaves through one egress construct of either kind.
 *
 * Operational notes: with Istio's `serviceEntryVisibility` (1.31+) set to NAMESPACE by default,
 * the egress namespace must be given PUBLIC visibility, or the callers do not see the host (their
 * direct connection is then refused by their NetworkPolicy: nothing leaks, nothing works). For TLS
 * origination istiod hands the CA Secret to the waypoint only if the waypoint's ServiceAccount
 * (`waypoint`) may list Secrets in the egress namespace (istiod's SubjectAccessReview,
 * pilot/pkg/credentials/kube/secrets.go); the platform team grants that with a Role there.
 */
export class AmbientEgressGateway extends Construct {
  /** The ambient namespace whose waypoint is the egress gateway. */
  public readonly namespace: HardenedNamespace;
  /** The egress namespace's name. */
  public readonly namespaceName: string;

  private readonly ledger = new ExternalHostLedger();
  private waypoint?: Waypoint;

  constructor(scope: Construct, id: string, props: AmbientEgressGatewayProps) {
    super(scope, id);
    const namespace = props?.namespace;
    if (!(namespace instanceof HardenedNamespace)) {
      throw configError(this, 'namespace', 'no HardenedNamespace was given, so there is no waypoint to send external traffic through',
        'Pass the ambient HardenedNamespace (dataPlane: DataPlane.AMBIENT) that holds the egress waypoint, e.g. "istio-egress"');
    }
    if (namespace.dataPlane !== DataPlane.AMBIENT) {
      throw configError(this, 'namespace', `namespace "${namespace.name}" has dataPlane ${namespace.dataPlane}: only an ambient namespace has a waypoint to act as the egress gateway`,
        'Give the egress namespace dataPlane: DataPlane.AMBIENT (on a MeshBaseline with ambient: true), or use EgressGateway for sidecar workloads');
    }
    this.namespace = namespace;
    this.namespaceName = namespace.name;
    const other = claimKey(this, `AmbientEgressGateway:${this.namespaceName}`);
    if (other) {
      throw configError(this, 'namespace', `namespace "${this.namespaceName}" already is the egress gateway at ${other.node.path}`,
        'Describe each egress namespace once and grant all its hosts on that construct');
    }
    for (const access of props.hosts ?? []) this.allowExternal(access.host, { from: access.from });
  }

  /**
   * Lets exactly the ambient workloads in `options.from` reach `host`, only through the egress
   * namespace's waypoint, and nobody else (see the class comment for every object involved).
   * Returns one grant per caller. Idempotent: granting the same host to the same caller again
   * returns the same grant; granting it to more callers extends the callers. Granting a host
   * again with other settings (mode, ports, CA or names), a caller that is not ambient, or a host
   * another egress construct routes is an error.
   *
   * @param host the external host
   * @param options the callers
   */
  public allowExternal(host: ExternalHost, options: AllowExternalOptions): AccessGrant[] {
    const callers = checkExternalGrant(this, host, options?.from, 'its egress NetworkPolicy');
    callers.forEach((c, i) => {
      if (c.peerDataPlane !== DataPlane.AMBIENT) {
        throw configError(this, `allowExternal.from[${i}]`, `${callerName(c)} is a sidecar workload: ztunnel does not capture its traffic, `
          + 'so the egress waypoint never sees it (its sidecar would need the host exported and imported)',
        'Grant it the host through an EgressGateway, or run it in an ambient namespace (HardenedNamespace dataPlane: DataPlane.AMBIENT)');
      }
    });
    const record = this.recordFor(host);
    return callers.map((caller) => this.grantCaller(record, caller));
  }

  /** The external hosts granted so far, sorted by host. */
  public get externalHosts(): ExternalHost[] {
    return this.ledger.hosts;
  }

  /** The grants made so far, sorted by host then caller. */
  public get accessGrants(): AccessGrant[] {
    return this.ledger.grants;
  }

  /**
   * The hosts granted to services of app teams' repositories, as the platform's mesh contract
   * publishes them (those repositories open their callers' side: HBONE to the waypoint).
   *
   * @internal
   */
  public _contractHosts(): ContractExternalHost[] {
    // The waypoint exists once a host is granted.
    if (!this.waypoint) return [];
    return contractHostsOf(this.ledger, { kind: 'AmbientEgressGateway', namespace: this.namespaceName, podLabels: { ...this.waypoint.podLabels }, port: HBONE_PORT });
  }

  private recordFor(host: ExternalHost): HostRecord {
    return this.ledger.recordFor(this, host, (record) => this.createHostObjects(record, this.useWaypoint()));
  }

  private grantCaller(record: HostRecord, caller: IMeshPeer): AccessGrant {
    const principal = caller.peerPrincipal.principalIn(this.namespace.mesh.trustDomain);
    const key = JSON.stringify([principal, caller.peerNamespace, caller.peerPodLabels ?? {}]);
    const existing = record.callers.get(key);
    if (existing) return existing.grant;
    const waypoint = this.useWaypoint();
    // AUTHZ-4 / NETPOL-1: HBONE to the egress waypoint's pods, nothing else (ztunnel tunnels every
    // connection to the host there; the caller's pods never open one to an external address).
    // A service of another repository opens its side there (MeshContract.allowExternal).
    const toWaypoint = { namespace: this.namespaceName, podLabels: waypoint.podLabels };
    const callerObjects = caller instanceof MeshWorkload ? caller._allowEgress(toWaypoint, [HBONE_PORT]) : [];
    const grant = new AccessGrant({
      callerPrincipal: principal,
      target: record.external.host,
      targetPorts: [record.external.port],
      paths: [],
      methods: [],
      objects: [...this.hostObjects(record, waypoint), ...new Set(callerObjects)],
    });
    record.callers.set(key, { caller, principal, grant });
    return grant;
  }

  /** The namespace's waypoint, serving this gateway's callers and forwarding to the granted ports (registered once). */
  private useWaypoint(): Waypoint {
    if (this.waypoint) return this.waypoint;
    const waypoint = this.namespace._waypoint();
    waypoint.serve({
      callerPods: () => this.callerPods(),
      forwardsTo: () => this.forwardsTo(),
    });
    this.waypoint = waypoint;
    return waypoint;
  }

  /** The objects in the egress namespace that carry a host's grants, as `Kind/namespace/name`. */
  private hostObjects(record: HostRecord, waypoint: Waypoint): string[] {
    const at = (kind: string, name: string) => `${kind}/${this.namespaceName}/${name}`;
    const originated = record.external.mode === ExternalHostMode.HTTPS_ORIGINATED;
    return [
      at('ServiceEntry', this.perHostName(record)),
      ...(originated ? [at('DestinationRule', this.originationName(record))] : []),
      at('AuthorizationPolicy', this.perHostName(record)),
      at('Gateway', waypoint.name),
      at('NetworkPolicy', waypoint.name),
    ];
  }

  private createHostObjects(record: HostRecord, waypoint: Waypoint): void {
    const { external } = record;
    const scope = new Construct(this, external.host);
    const originated = external.mode === ExternalHostMode.HTTPS_ORIGINATED;
    const name = this.perHostName(record);

    // EGRESS-1: the host, served by the waypoint. For TLS origination the app's HTTP port maps to
    // the host's TLS port (istio.io docs/ambient/usage/egress-gateway, "Originate TLS").
    new ApiObject(scope, 'ServiceEntry', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name, namespace: this.namespaceName, labels: { [USE_WAYPOINT_LABEL]: waypoint.name } },
      spec: {
        hosts: [external.host],
        exportTo: ['.'],
        location: 'MESH_EXTERNAL',
        resolution: 'DNS',
        ports: [originated
          ? { number: external.appPort, name: 'http', protocol: 'HTTP', targetPort: external.port }
          : { number: external.port, name: 'tls', protocol: 'TLS' }],
      },
    });

    if (originated) {
      // EGRESS-1 / MTLS-1: TLS is originated at the waypoint, and the server is verified. The hop
      // from the caller to the waypoint is HBONE (mTLS) already.
      new ApiObject(scope, 'OriginateTls', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: this.originationName(record), namespace: this.namespaceName },
        spec: {
          host: external.host,
          exportTo: ['.'],
          trafficPolicy: {
            tls: {
              mode: 'SIMPLE',
              credentialName: external.caCredentialName,
              sni: external.host,
              subjectAltNames: [...external.subjectAltNames],
            },
          },
        },
      });
    }

    // AUTHZ-2: at the waypoint, only the granted callers, for this host (the attachment), on its
    // service port: a waypoint's policy sees the port the caller addressed, its chains being built
    // per service port (istio/istio pilot/pkg/networking/core/waypoint.go, buildWaypointInternal).
    new ApiObject(scope, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name, namespace: this.namespaceName },
      spec: {
        targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name }],
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.renderRules(record) }),
      },
    });
  }

  /** One ALLOW rule: the host's callers' principals, on its service port (and Host header, for HTTP from the app). */
  private renderRules(record: HostRecord): object[] | undefined {
    const principals = [...new Set(sortedCallers(record).map((c) => c.principal))].sort();
    if (principals.length === 0) return undefined;
    const { external } = record;
    const from = [{ source: { principals } }];
    if (external.mode === ExternalHostMode.HTTPS_ORIGINATED) {
      // The Host header, with or without the port the app called.
      const hosts = [external.host, `${external.host}:${external.appPort}`];
      return [{ from, to: [{ operation: { hosts, ports: [String(external.appPort)] } }] }];
    }
    return [{ from, to: [{ operation: { ports: [String(external.port)] } }] }];
  }

  /** The pods of every caller granted so far (the waypoint admits them on HBONE). */
  private callerPods(): NetworkPolicyPeer[] {
    return this.ledger.sorted()
      .flatMap((r) => [...r.callers.values()].map((c) => podsInNamespace(c.caller.peerNamespace, c.caller.peerPodLabels)));
  }

  /** The waypoint's way out: the granted external ports, to any address (see the class comment). */
  private forwardsTo(): NetworkPolicyEgressRule {
    return { to: anywhere(), ports: tcpPorts(this.ledger.sorted().map((r) => r.external.port)) };
  }


  private perHostName(record: HostRecord): string {
    return objectName(['egress', record.slug]);
  }

  private originationName(record: HostRecord): string {
    return objectName(['originate-tls', record.slug]);
  }
}

