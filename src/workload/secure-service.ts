import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IService } from 'kubernetes-models/v1/Service';
import { resolveGrant } from './grant-resolution';
import { hardenedDeployment, podDisruptionBudget } from './hardened-deployment';
import { MeshWorkload, nativeIdentity } from './mesh-workload';
import { ServicePort, checkServicePorts } from './service-port';
import { AllowFromOptions, EgressPeer, ISecureService, ServingWorkloadProps } from './workload-props';
import { assertNoProblems, configError } from '../core/errors';
import { claimedBy } from '../core/registry';
import { AccessGrant } from '../mesh/access-grant';
import { DataPlane, GATEWAY_NAME_LABEL, WAYPOINT_NAME } from '../mesh/data-plane';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { checkDns1035Label } from '../validation/kubernetes-names';

/** Cluster DNS suffix of Service FQDNs (`<service>.<namespace>.svc.<clusterDomain>`). */
export const CLUSTER_DOMAIN = 'cluster.local';

/** Props of a SecureService. */
export interface SecureServiceProps extends ServingWorkloadProps {
  /**
   * Number of pod replicas.
   *
   * With more than one, the service also gets a PodDisruptionBudget (policy/v1, `maxUnavailable: 1`,
   * `unhealthyPodEvictionPolicy: AlwaysAllow`), so a node drain or cluster upgrade evicts one pod
   * at a time, and soft topology spread constraints (`whenUnsatisfiable: ScheduleAnyway`, `maxSkew: 1`)
   * over `topology.kubernetes.io/zone` and then `kubernetes.io/hostname`, so the replicas land in
   * different zones and on different nodes when the cluster has them, and still schedule when it
   * does not (a single-zone or single-node cluster). One replica gets neither: a budget of one pod
   * would either block every drain or protect nothing.
   *
   * @default 2 - survives the loss of one pod or node
   */
  readonly replicas?: number;
}

/** Attributes of a service defined in another repository, to grant to or from it. */
export interface SecureServiceAttributes {
  /** Namespace of the service. */
  readonly namespace: string;
  /** Service name. */
  readonly name: string;
  /**
   * Ports of the service (needed to grant access to it); `[]` for a workload that only calls (a
   * load generator, a Job), which can be granted access to services here but never be a target.
   */
  readonly ports: ServicePort[];
  /**
   * Its ServiceAccount.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;
  /**
   * Labels of its pods.
   *
   * @default - `{ app: <name> }`
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Trust domain of its mesh.
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * The data plane of its namespace: callers reach an ambient service on HBONE (15008), so their
   * egress NetworkPolicy opens that port instead of the app's.
   *
   * @default DataPlane.SIDECAR
   */
  readonly dataPlane?: DataPlane;
  /**
   * Whether its Service is served by its namespace's waypoint (`istio.io/use-waypoint: waypoint`,
   * as the library does for an ambient service with L7 grants): callers' egress then goes to the
   * waypoint's pods. Only for an AMBIENT `dataPlane`.
   *
   * @default false
   */
  readonly usesWaypoint?: boolean;
}

/**
 * A stateless workload exposed in the mesh, closed until granted (AUTHZ-1..4, MTLS-1, JWT-1,
 * POD-1, IMG-1, WI-1): the hardened-workload core (see `MeshWorkload`) run by a Deployment, behind
 * a Service whose ports declare their protocol.
 *
 * Until `allowFrom` is called nobody can call it: its AuthorizationPolicy allows nothing and its
 * NetworkPolicy admits nothing. Each `allowFrom(caller, { ports, paths, methods })` admits exactly
 * that caller's identity on those container ports, paths and methods (L7, AuthorizationPolicy),
 * and exactly that caller's pods on those ports (L3/L4, NetworkPolicy on both sides). Traffic to
 * it is mTLS (`ISTIO_MUTUAL`). After `requireJwt`, every allowed request must also carry a valid
 * token of that issuer: a request without a token is denied, not let through.
 */
export class SecureService extends MeshWorkload implements ISecureService {
  /** A service from another repository, to grant access to it (caller side) or from it. */
  public static fromAttributes(scope: Construct, id: string, attrs: SecureServiceAttributes): ISecureService {
    return new ImportedSecureService(scope, id, attrs);
  }

  /** The Kubernetes Service name (the workload's name). */
  public readonly serviceName: string;
  /** The Service FQDN, `<name>.<namespace>.svc.cluster.local`. */
  public readonly host: string;
  /**
   * The Deployment, as a plain ApiObject.
   *
   * Change it with JSON patches: synth-time enforcement checks them like everything else.
   */
  public readonly deployment: ApiObject;

  constructor(scope: Construct, id: string, props: SecureServiceProps) {
    super(scope, id, nativeIdentity(id, props));
    this._hardenPod(props);
    this.serviceName = this.workloadName;
    this.host = `${this.serviceName}.${this.namespaceName}.svc.${CLUSTER_DOMAIN}`;
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw configError(this, 'replicas', `${replicas} is not a positive integer`, 'Run at least one replica');
    }
    this.deployment = hardenedDeployment(this, 'Deployment', { ...this._pod, namespace: this.namespaceName, replicas });
    // Beside the Deployment: at most one pod evicted at a time by a drain (none for one replica).
    if (replicas > 1) podDisruptionBudget(this, 'PodDisruptionBudget', this.serviceName, this.namespaceName, this.serviceName);
    // A workload that only calls (ports: []) has no Service to reach it and no host for clients' DestinationRules.
    if (!this.callsOnly) this._service = writeService(this, this.serviceName, this.namespaceName, this.host, this.ports, false);
  }

  /** @internal */
  protected _asTarget(): ISecureService {
    return this;
  }
}

/**
 * The Service of a workload that serves and the DestinationRule that makes its clients use Istio
 * mTLS (MTLS-1). Headless (`clusterIP: None`) for a StatefulSet: each pod keeps a stable DNS name.
 */
export function writeService(scope: Construct, name: string, namespace: string, host: string, ports: readonly ServicePort[], headless: boolean,
  selector: { [key: string]: string } = { app: name }): ApiObject {
  const service = new ApiObject(scope, 'Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      ...(headless ? { clusterIP: 'None' } : {}),
      selector: { ...selector },
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: 'TCP',
        appProtocol: p.protocol,
      })),
    },
  } satisfies IService);
  new ApiObject(scope, 'DestinationRule', {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
  });
  return service;
}

/**
 * Whether `x` is a service of another repository (`SecureService.fromAttributes`): an identity
 * with pods, whose own repository writes its side of every grant.
 */
export function isImportedService(x: unknown): x is ISecureService {
  return x instanceof ImportedSecureService;
}

/**
 * A service from another repository. As a target, `allowFrom` opens only the caller's side
 * (egress NetworkPolicy and sidecar visibility); the owning repository must grant the caller too.
 */
class ImportedSecureService extends Construct implements ISecureService {
  public readonly serviceName: string;
  /** The Service name (grants name the target by it). */
  public readonly workloadName: string;
  public readonly namespaceName: string;
  public readonly host: string;
  public readonly ports: ServicePort[];
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };
  public readonly peerDataPlane?: DataPlane;
  /** The pods of its waypoint, when it uses one (read by callers' egress). */
  public readonly importedWaypoint?: EgressPeer;

  constructor(scope: Construct, id: string, attrs: SecureServiceAttributes) {
    super(scope, id);
    assertNoProblems(this, 'name', checkDns1035Label(attrs.name).map((p) => `"${attrs.name}" ${p}`), 'Use the Service name of the imported service');
    if (!Array.isArray(attrs.ports) || attrs.ports.length > 0) {
      assertNoProblems(this, 'ports', checkServicePorts(attrs.ports), 'Describe the ports as the owning repository declares them');
    }
    this.serviceName = attrs.name;
    this.workloadName = attrs.name;
    this.namespaceName = attrs.namespace;
    this.ports = attrs.ports.map((p) => ({ ...p }));
    this.host = `${attrs.name}.${attrs.namespace}.svc.${CLUSTER_DOMAIN}`;
    this.peerPrincipal = Principal.serviceAccount(attrs.namespace, attrs.serviceAccountName ?? attrs.name, attrs.trustDomain ?? 'cluster.local');
    this.peerNamespace = attrs.namespace;
    this.peerPodLabels = { ...(attrs.podLabels ?? { app: attrs.name }) };
    const plane = attrs.dataPlane ?? DataPlane.SIDECAR;
    this.peerDataPlane = plane;
    if (!Object.values(DataPlane).includes(plane)) {
      throw configError(this, 'dataPlane', `"${attrs.dataPlane}" is not a data plane`, 'Use DataPlane.SIDECAR or DataPlane.AMBIENT');
    }
    if (attrs.usesWaypoint) {
      if (plane !== DataPlane.AMBIENT) {
        throw configError(this, 'usesWaypoint', 'only an ambient service is served by a waypoint', 'Set dataPlane: DataPlane.AMBIENT, or drop usesWaypoint');
      }
      this.importedWaypoint = { namespace: attrs.namespace, podLabels: { [GATEWAY_NAME_LABEL]: WAYPOINT_NAME } };
    }
    this.node.addValidation({ validate: () => this.dataPlaneProblems() });
  }

  /**
   * When this app defines the service's namespace (a HardenedNamespace, or the AppTeamNamespace a
   * platform gives the service's team), the data plane declared here must be the namespace's: a
   * grant rendered for the other one would open the wrong ports (the app port or HBONE).
   */
  private dataPlaneProblems(): string[] {
    const owner = claimedBy(this, `HardenedNamespace:${this.namespaceName}`) as { dataPlane?: DataPlane; node: { path: string } } | undefined;
    if (owner?.dataPlane === undefined || owner.dataPlane === this.peerDataPlane) return [];
    return [`[${this.node.path}] dataPlane: ${this.namespaceName}/${this.serviceName} is declared ${this.peerDataPlane}, but its namespace (${owner.node.path}) `
      + `is ${owner.dataPlane}. Declare dataPlane: DataPlane.${owner.dataPlane.toUpperCase()}`];
  }

  public allowFrom(caller: IMeshPeer, options: AllowFromOptions = {}): AccessGrant {
    if (this.ports.length === 0) {
      throw configError(this, 'allowFrom', `${this.namespaceName}/${this.serviceName} only calls (ports: []): nothing can call it`,
        'Import it with the ports its repository declares, or grant a service that serves');
    }
    const { targetPorts, paths, methods } = resolveGrant(this, caller, options);
    const objects = caller instanceof MeshWorkload ? caller._allowEgressTo(this, targetPorts) : [];
    return new AccessGrant({
      callerPrincipal: caller.peerPrincipal.principalIn(this.peerPrincipal.trustDomain ?? 'cluster.local'),
      target: `${this.namespaceName}/${this.serviceName}`,
      targetPorts,
      paths,
      methods,
      objects,
    });
  }
}
