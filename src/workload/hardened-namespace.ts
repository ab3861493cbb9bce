import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  SENSITIVE_DATA_LABEL, allowIstiod, allowMetricsScraping, resolveNamespaceProfile, writeDefaultServiceAccount, writeNamespaceIsolation,
  writeNamespaceObject,
} from './namespace-baseline';
import { configError } from '../core/errors';
import { objectName } from '../core/names';
import { claimKey } from '../core/registry';
import {
  DataPlane, GATEWAY_NAME_LABEL, HBONE_PORT, WAYPOINT_FOR_LABEL, WAYPOINT_GATEWAY_CLASS, WAYPOINT_NAME,
} from '../mesh/data-plane';
import { IMesh } from '../mesh/mesh';
import { MeshBaseline } from '../mesh/mesh-baseline';
import { Principal } from '../mesh/principal';
import { NetworkPolicyEgressRule, NetworkPolicyPeer, networkPolicy } from '../network/network-policy';
import { tcpPorts } from '../network/peers';
import { ExceptionRegistry } from '../policy/exception-registry';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { NamespaceTeamRoles } from '../rbac/namespace-team-roles';
import { RbacSubject } from '../rbac/rbac-subject';

export { SENSITIVE_DATA_LABEL };

/** Props of a HardenedNamespace. */
export interface HardenedNamespaceProps {
  /** The namespace name (a DNS-1123 label). */
  readonly name: string;
  /**
   * The mesh the namespace joins.
   *
   * @default - the MeshBaseline of this app (an error when there is none)
   */
  readonly mesh?: IMesh;
  /**
   * Kubernetes minor version the Pod Security Admission `restricted` profile is pinned to, so an
   * upgrade of the cluster cannot silently change what the profile allows. Must be `latest` or
   * v1.23 or later: older restricted profiles lack checks POD-1 relies on (NS-PSA-001).
   *
   * @default 'v1.30'
   */
  readonly podSecurityVersion?: string;
  /**
   * Registries images in this namespace may come from (IMG-1); replaces the mesh's list here, and
   * may only narrow it (a registry or path within the mesh's list): IMG-REG-001 enforces the
   * mesh's list on the final objects.
   *
   * @default - the mesh's allowedRegistries
   */
  readonly allowedRegistries?: string[];
  /**
   * Groups, users or service accounts that deploy apps here (namespace-bound `app-deployer` role:
   * workloads yes, security policy no).
   *
   * @default - nobody
   */
  readonly deployers?: RbacSubject[];
  /**
   * Who may read everything in the namespace except Secrets (`app-viewer` role).
   *
   * @default - nobody
   */
  readonly viewers?: RbacSubject[];
  /**
   * The namespace runs workloads that touch sensitive data (SECRET-1): its services get secrets
   * only from a secret manager through the Secrets Store CSI driver (never Kubernetes Secrets),
   * callers from other namespaces must be named services (not whole namespaces), and no viewer
   * role exists: only the namespace's own deployers get in.
   *
   * @default false
   */
  readonly sensitiveData?: boolean;
  /**
   * The proxy ports the mesh's monitoring namespace (MeshBaseline `monitoringNamespace`, narrowed
   * to its `monitoringPodLabels` pods) may scrape on every pod of this namespace (OPS-3):
   * - 15020, pilot-agent's status port: `/stats/prometheus` merges the agent's, Envoy's and, with
   *   Istio's metrics merging (on by default: the injector points `prometheus.io/*` at it), the
   *   app's own metrics; it also answers `/healthz/ready` and the rewritten app probes and
   *   lifecycle hooks (`/app-health/...`, `/app-lifecycle/...`, by calling the app, with no
   *   authentication). `/quitquitquit` and `/drain` answer only localhost.
   * - 15090, Envoy's Prometheus listener: Envoy's own stats (the Istio standard metrics), nothing else.
   *
   * The sidecar does not capture these ports, so no AuthorizationPolicy or PeerAuthentication
   * governs them: the `allow-metrics-scraping` NetworkPolicy written here is their only control.
   * `[]` opens neither. Only 15020 and 15090 may be listed: app ports are granted with
   * `SecureService.allowFrom`, and 15021 (health) is for the kubelet, which NetworkPolicy does not
   * govern on common CNIs.
   *
   * @default - nothing when the mesh names no monitoring namespace; else [15020, 15090], or
   * [15090] in a `sensitiveData` namespace (the app's merged metrics and probe endpoints on 15020
   * stay in the namespace, SECRET-1; scrape Envoy's `http-envoy-prom` port with a PodMonitor)
   */
  readonly metricsScrapingPorts?: number[];
  /**
   * The data plane of the namespace's pods (see `DataPlane` for who enforces what):
   * - SIDECAR: the injection label; every pod gets an Envoy sidecar that enforces mTLS, L4 and L7
   *   authorization and JWTs, and a namespace `Sidecar` limits what its proxies see.
   * - AMBIENT: `istio.io/dataplane-mode: ambient`; ztunnel enforces mTLS and L4 authorization, and
   *   the namespace deploys a waypoint (`Gateway` `waypoint`, class `istio-waypoint`) as soon as
   *   one of its services is granted paths or methods or requires a JWT, with its own default
   *   deny (`waypoint-allow-nothing`). NetworkPolicies admit HBONE (15008) instead of app ports,
   *   and kubelet probes from 169.254.7.127. The mesh must run ambient (MeshBaseline `ambient`).
   *
   * @default - the mesh's defaultDataPlane (SIDECAR unless the MeshBaseline says otherwise)
   */
  readonly dataPlane?: DataPlane;
}

/** A destination a waypoint serves: the callers' pods it admits, and where it forwards to. */
export interface WaypointServed {
  /** The pods of the callers granted the destination (admitted on HBONE). */
  callerPods(): NetworkPolicyPeer[];
  /** Where the waypoint forwards: the destination's pods on HBONE, or an external host's addresses and ports. */
  forwardsTo(): NetworkPolicyEgressRule;
}

/** The namespace's waypoint, as services use it. */
export interface Waypoint {
  /** The Gateway's name (the value of `istio.io/use-waypoint`). */
  readonly name: string;
  /** The waypoint's identity, as the destination ztunnel sees it. */
  readonly principal: Principal;
  /** The labels of its pods. */
  readonly podLabels: { [key: string]: string };
  /** Registers a service it serves, for its NetworkPolicy. */
  serve(served: WaypointServed): void;
}

function uniquePeers(peers: NetworkPolicyPeer[]): NetworkPolicyPeer[] {
  const byKey = new Map(peers.map((p) => [JSON.stringify(p), p]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, p]) => p);
}

/**
 * Claims the namespace `name` for `owner` in its app: a namespace is defined once, by a
 * HardenedNamespace or an AppTeamNamespace.
 */
export function claimNamespace(owner: IConstruct, name: string): void {
  const other = claimKey(owner, `HardenedNamespace:${name}`);
  if (other) {
    throw configError(owner, 'name', `namespace "${name}" is already defined at ${other.node.path}`,
      'Define each namespace once and pass that HardenedNamespace to every service in it');
  }
}

/**
 * A namespace that is part of the mesh and closed by default (MTLS-1, AUTHZ-1, NETPOL-1, NS-1,
 * RBAC-1).
 *
 * After this construct, and until a service grants something:
 * - every pod gets an Istio sidecar (injection label; use the Istio CNI plugin, since Pod Security
 *   Admission `restricted` forbids the NET_ADMIN init container), and must satisfy `restricted`;
 * - no workload accepts plaintext (namespace STRICT PeerAuthentication) and no request is
 *   authorized (namespace allow-nothing AuthorizationPolicy), even if the mesh baseline is
 *   managed elsewhere;
 * - no pod can receive any connection or open any connection (default-deny NetworkPolicy for
 *   ingress and egress) except DNS to kube-dns and xDS/CA (15012) to istiod, and, when the mesh
 *   names a monitoring namespace, that namespace's (Prometheus) pods reaching the proxy's metrics
 *   ports 15020 and 15090 (`allow-metrics-scraping`; `metricsScrapingPorts`) and nothing else;
 * - sidecars only see services of this namespace, the control plane, and hosts its services were
 *   granted (namespace `Sidecar`, outbound REGISTRY_ONLY);
 * - the `default` ServiceAccount mounts no token;
 * - the app team gets namespace-bound roles only, never a ClusterRoleBinding.
 *
 * With `dataPlane: DataPlane.AMBIENT` the same holds with ztunnel in place of the sidecars: the
 * namespace is labelled `istio.io/dataplane-mode: ambient` instead of the injection label; the
 * STRICT PeerAuthentication and the allow-nothing policy bind to ztunnel; there is no `Sidecar`
 * (ztunnel has no registry filter: the default-deny egress NetworkPolicy is what keeps pods in);
 * no pod may reach istiod (only the waypoint, when there is one, may); and L7 grants are enforced
 * by the namespace's waypoint (see `_waypoint`), which is itself closed until granted.
 */
export class HardenedNamespace extends Construct {
  /** The namespace label that marks the sensitive-data profile (SECRET-1). */
  public static readonly SENSITIVE_DATA_LABEL = SENSITIVE_DATA_LABEL;

  /** The namespace name. */
  public readonly name: string;
  /** The mesh the namespace is part of. */
  public readonly mesh: IMesh;
  /** Registries images here may come from (empty: any, still pinned by digest). */
  public readonly allowedRegistries: string[];
  /** The team roles of the namespace; undefined where the platform writes them (MeshContract.namespace). */
  public readonly teamRoles?: NamespaceTeamRoles;
  /** Whether the namespace holds sensitive data (SECRET-1). */
  public readonly sensitiveData: boolean;
  /** The proxy ports the monitoring namespace may scrape here, sorted (empty: none). */
  public readonly metricsScrapingPorts: number[];

  /** The namespace's data plane. */
  public readonly dataPlane: DataPlane;

  private readonly egressHosts = new Set<string>();
  private readonly namespaceObject?: ApiObject;
  private waypoint?: Waypoint;

  constructor(scope: Construct, id: string, props: HardenedNamespaceProps) {
    super(scope, id);
    this.mesh = props.mesh ?? MeshBaseline.of(this);
    PolicyEnforcement.of(this)._useMesh(this.mesh, false);
    const profile = resolveNamespaceProfile(this, this.mesh, props);
    this.name = profile.name;
    claimNamespace(this, this.name);
    this.allowedRegistries = profile.allowedRegistries;
    this.sensitiveData = profile.sensitiveData;
    this.metricsScrapingPorts = profile.metricsScrapingPorts;
    this.dataPlane = profile.dataPlane;
    const ambient = this.dataPlane === DataPlane.AMBIENT;

    // The platform's repository writes the Namespace object, its isolation, the default
    // ServiceAccount and the team's roles of a namespace it gives an app team (AppTeamNamespace);
    // the team's repository writes the rest (MeshContract.namespace).
    const createdByPlatform = this._createdByPlatform();
    if (createdByPlatform && ((props.deployers ?? []).length > 0 || (props.viewers ?? []).length > 0)) {
      throw configError(this, props.deployers?.length ? 'deployers' : 'viewers', `the platform writes the team roles of namespace ${this.name} (AppTeamNamespace)`,
        'Declare deployers and viewers on the platform\'s AppTeamNamespace');
    }
    const namespace = createdByPlatform ? undefined : writeNamespaceObject(this, 'Resource', this.mesh, profile);
    this.namespaceObject = namespace;
    // The baseline (MTLS-1, AUTHZ-1, NETPOL-1): the platform's repository writes it for a namespace it gives an app team.
    if (!createdByPlatform) writeNamespaceIsolation(this, this.mesh, profile);
    // Sidecars see only this namespace, the control plane and granted hosts; nothing unregistered.
    // Ambient has no Sidecar: ztunnel has no registry filter, the default-deny egress keeps pods in.
    if (!ambient) {
      new ApiObject(this, 'Sidecar', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: { name: 'default', namespace: this.name },
        spec: {
          egress: [{ hosts: Lazy.any({ produce: () => this.sidecarEgressHosts() }) }],
          outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
        },
      });
    }
    if (!createdByPlatform) writeDefaultServiceAccount(this, this.name);

    this.teamRoles = createdByPlatform ? undefined : new NamespaceTeamRoles(this, 'TeamRoles', {
      namespace: this.name,
      deployers: props.deployers,
      viewers: props.viewers,
    });

    // EXC-1: the namespace's exception registry, written by the repository that owns the namespace.
    new ExceptionRegistry(this, 'Exceptions', { namespace: this.name });

    // Everything in the namespace is applied after the namespace itself.
    for (const child of this.node.findAll()) {
      if (namespace && child instanceof ApiObject && child !== namespace) child.addDependency(namespace);
    }
  }

  /**
   * Whether the platform's repository writes the namespace's baseline: the Namespace object, its
   * isolation (STRICT, allow-nothing, default-deny, DNS, istiod, scraping), the `default`
   * ServiceAccount and the team roles (AppTeamNamespace; see MeshContract.namespace).
   *
   * @internal
   */
  protected _createdByPlatform(): boolean {
    return false;
  }

  /**
   * Makes `host` (a service of another namespace, as `namespace/fqdn`) visible to the sidecars of
   * this namespace. Called by grants; idempotent.
   *
   * @internal
   */
  public _addEgressHost(host: string): string | undefined {
    if (this.dataPlane === DataPlane.AMBIENT) return undefined;
    this.egressHosts.add(host);
    return `Sidecar/${this.name}/default`;
  }

  /**
   * The namespace's waypoint (AUTHZ-2..3 in ambient), deployed on first use: the Gateway Istio
   * turns into the waypoint's Deployment, Service and ServiceAccount, its own default deny
   * (`waypoint-allow-nothing`: an ALLOW policy without rules attached to the Gateway, so traffic
   * through the waypoint is denied unless a Service's policy allows it), and NetworkPolicies that
   * let its pods reach istiod, be scraped, take HBONE from the callers of the services it serves
   * and reach those services' pods on HBONE, and nothing else.
   *
   * @internal
   */
  public _waypoint(): Waypoint {
    if (this.dataPlane !== DataPlane.AMBIENT) throw new Error(`namespace ${this.name} is not ambient: it has no waypoint`);
    if (this.waypoint) return this.waypoint;
    const podLabels = { [GATEWAY_NAME_LABEL]: WAYPOINT_NAME };
    const before = new Set(this.node.children);
    new ApiObject(this, 'Waypoint', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: WAYPOINT_NAME, namespace: this.name, labels: { [WAYPOINT_FOR_LABEL]: 'service' } },
      spec: {
        gatewayClassName: WAYPOINT_GATEWAY_CLASS,
        listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }],
      },
    });
    new ApiObject(this, 'WaypointAllowNothing', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: objectName([WAYPOINT_NAME, 'allow-nothing']), namespace: this.name },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: WAYPOINT_NAME }] },
    });
    const served: WaypointServed[] = [];
    networkPolicy(this, 'WaypointPolicy', WAYPOINT_NAME, this.name, {
      podSelector: { matchLabels: { ...podLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: () => {
        const from = uniquePeers(served.flatMap((s) => s.callerPods()));
        return from.length ? [{ from, ports: tcpPorts([HBONE_PORT]) }] : [];
      },
      egress: () => {
        const rules = new Map(served.map((s) => s.forwardsTo()).map((r) => [JSON.stringify(r), r]));
        return [...rules.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
      },
    });
    allowIstiod(this, 'WaypointAllowIstiod', objectName([WAYPOINT_NAME, 'allow-istiod']), this.name, this.mesh, podLabels);
    allowMetricsScraping(this, 'WaypointAllowMetricsScraping', objectName([WAYPOINT_NAME, 'allow-metrics-scraping']), this.name, this.mesh,
      this.metricsScrapingPorts, podLabels);
    // Applied after the namespace, as everything else in it.
    for (const child of this.node.children) {
      if (this.namespaceObject && !before.has(child) && child instanceof ApiObject) child.addDependency(this.namespaceObject);
    }
    this.waypoint = {
      name: WAYPOINT_NAME,
      principal: Principal.serviceAccount(this.name, WAYPOINT_NAME, this.mesh.trustDomain),
      podLabels,
      serve: (s: WaypointServed) => served.push(s),
    };
    return this.waypoint;
  }

  private sidecarEgressHosts(): string[] {
    const base = ['./*', `${this.mesh.controlPlaneNamespace}/*`];
    return [...base, ...[...this.egressHosts].filter((h) => !base.includes(h)).sort()];
  }
}
