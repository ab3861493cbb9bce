import { ApiObject, Lazy, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { hardenedDeployment, podDisruptionBudget } from './hardened-deployment';
import { HardenedNamespace, SENSITIVE_DATA_LABEL } from './hardened-namespace';
import { checkImage } from './image-policy';
import { HealthProbe, ProbeRole, checkHealthPorts, checkHealthProbe, checkPodId, checkWritablePaths, renderProbe } from './pod-settings';
import { ServicePort, checkServicePorts } from './service-port';
import { assertNoProblems, configError } from '../core/errors';
import { objectName } from '../core/names';
import { claimKey } from '../core/registry';
import { AccessGrant } from '../mesh/access-grant';
import { isHttpProtocol } from '../mesh/app-protocol';
import { checkHttpMethod, checkPathFor } from '../mesh/http-match';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, networkPolicy } from '../network/network-policy';
import { podsInNamespace, sortedLabels, tcpPorts } from '../network/peers';
import { PolicyException } from '../policy/policy-exception';
import { checkDns1035Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

/** Cluster DNS suffix of Service FQDNs (`<service>.<namespace>.svc.<clusterDomain>`). */
const CLUSTER_DOMAIN = 'cluster.local';

/** What a caller may do on the target: which ports, paths and methods (AUTHZ-3). */
export interface AllowFromOptions {
  /**
   * Service ports the caller may call. The policies use the matching container ports, since
   * Istio and NetworkPolicy see the traffic at the pod.
   *
   * @default - every port of the service
   */
  readonly ports?: number[];
  /**
   * Paths the caller may request: exact (`/api/v1/items`) or prefix (`/api/*`), normalized. On a
   * gRPC port, methods as `/package.Service/Method`. Only on HTTP, HTTP2 and gRPC ports.
   *
   * @default - any path on the granted ports
   */
  readonly paths?: string[];
  /**
   * Upper-case HTTP methods the caller may use (`GET`, `POST`, ...). Only on HTTP-family ports.
   *
   * @default - any method
   */
  readonly methods?: string[];
}

/** End-user authentication with JWTs (JWT-1). */
export interface JwtRequirement {
  /** The issuer (`iss` claim) accepted. */
  readonly issuer: string;
  /** Where the issuer publishes its signing keys; must be https. */
  readonly jwksUri: string;
  /** Accepted audiences (`aud` claim): a token minted for another service is rejected. */
  readonly audiences: string[];
}

/** A mesh service that can be granted to callers: one of ours, or one imported from another repo. */
export interface ISecureService extends IMeshPeer, IConstruct {
  /** The Kubernetes Service name. */
  readonly serviceName: string;
  /** The namespace of the service. */
  readonly namespaceName: string;
  /** The Service FQDN, `<name>.<namespace>.svc.cluster.local`. */
  readonly host: string;
  /** The ports of the service. */
  readonly ports: ServicePort[];
  /**
   * Lets `caller` call this service on the given ports, paths and methods, and nothing else.
   * Idempotent: the same call twice creates one grant.
   */
  allowFrom(caller: IMeshPeer, options?: AllowFromOptions): AccessGrant;
}

/** Props of a SecureService. */
export interface SecureServiceProps {
  /** The hardened namespace the service runs in. */
  readonly namespace: HardenedNamespace;
  /**
   * Name of the Service, Deployment and pods (`app` label); a DNS-1035 label.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /** Container image, pinned by digest (`repo@sha256:...`), from an allowed registry (IMG-1). */
  readonly image: string;
  /**
   * Ports the service exposes; each has a name, a port, an optional container port and a protocol.
   *
   * `[]` declares a workload that only calls (a load generator, a client, a worker): it gets its
   * own identity, the hardened pod and egress to what it is granted, but no Service and no
   * DestinationRule, and it accepts no traffic at all (its AuthorizationPolicy and ingress
   * NetworkPolicy admit nothing, and `allowFrom` and gateway routes to it are refused).
   */
  readonly ports: ServicePort[];
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
  /**
   * Name of the dedicated ServiceAccount, whose SPIFFE identity is the service's principal.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;
  /**
   * Google service account to impersonate through GKE Workload Identity (WI-1); written as the
   * `iam.gke.io/gcp-service-account` annotation. Never store service-account keys in Secrets.
   *
   * @default - no cloud identity
   */
  readonly workloadIdentity?: string;
  /**
   * Mount the Kubernetes API token into the pods. Only for workloads that call the API server.
   *
   * @default false - a stolen token cannot be used against the API server
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Container resource requests and limits (of the app container; Istio sets the sidecar's).
   *
   * The default is small, for a typical mesh microservice; size it from measured usage. Requests
   * are what the scheduler reserves; a limit is enforced by the kernel: memory over its limit is
   * OOM-killed, CPU over its limit is throttled (Kubernetes, "Resource Management for Pods and
   * Containers"). So memory is capped (a leak kills this container, not its neighbours on the
   * node), and CPU is not: CPU is compressible, a container may use idle CPU beyond its request
   * and yields it back under contention in proportion to requests, while a CPU limit would
   * throttle it (latency spikes) even on an idle node. The pod is in the Burstable QoS class.
   *
   * @default - requests cpu 100m and memory 128Mi; limit memory 256Mi; no CPU limit
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The readiness probe: until it passes, the pod receives no traffic from the Service.
   *
   * Istio rewrites it to the sidecar agent's status port 15020, so it works under STRICT mTLS
   * with no NetworkPolicy or AuthorizationPolicy opening for the kubelet (see `HealthProbe`).
   *
   * @default - no readiness probe: the pod is ready as soon as its containers run
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * The liveness probe: when it fails `failureThreshold` times, the kubelet restarts the
   * container. Check only what a restart fixes (not dependencies: their outage would restart
   * every replica). Rewritten by Istio like the readiness probe.
   *
   * @default - no liveness probe: the container restarts only when its process exits
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * The startup probe: liveness and readiness probes wait until it passes once, so a slow start
   * is not taken for a hang. Rewritten by Istio like the readiness probe.
   *
   * @default - no startup probe
   */
  readonly startupProbe?: HealthProbe;
  /**
   * Container ports that only serve health checks (e.g. a management port 8081): probes may use
   * them. They are not Service ports, and no caller can be granted them; the kubelet reaches them
   * through the sidecar agent. Never one of Istio's own ports (15000-15090 range listeners).
   *
   * @default - probes use the service's container ports only
   */
  readonly healthPorts?: number[];
  /**
   * The numeric user the pod's containers run as (pod securityContext `runAsUser`). An integer
   * ≥ 1, never 0 (root) nor 1337 (Istio's proxy UID, whose traffic bypasses the sidecar).
   * `runAsNonRoot: true` stays, so an image whose user is root is refused by the kubelet either way.
   *
   * @default - the image's user (its `USER`, which must be non-root)
   */
  readonly runAsUser?: number;
  /**
   * The primary group of the pod's processes (pod securityContext `runAsGroup`): ≥ 1, never 0
   * (root's group) nor 1337 (Istio's proxy GID).
   *
   * @default - the image's group
   */
  readonly runAsGroup?: number;
  /**
   * The group that owns the pod's volumes and is added to its processes (pod securityContext
   * `fsGroup`): ≥ 1, never 0 nor 1337 (it would give every container the proxy's group).
   *
   * @default - no fsGroup: volumes keep their default ownership
   */
  readonly fsGroup?: number;
  /**
   * Directories the app may write to, each an `emptyDir` volume (on the node's disk, deleted with
   * the pod) mounted at that absolute path, e.g. `['/tmp']`. The root filesystem stays read-only
   * (POD-ROFS-001); emptyDir is a volume type the restricted profile allows.
   *
   * @default - no writable directory
   */
  readonly writablePaths?: string[];
  /**
   * The most each writable directory may hold (emptyDir `sizeLimit`); the kubelet evicts the pod
   * when one grows past it.
   *
   * @default - no size limit (bounded only by the node's ephemeral storage)
   */
  readonly writablePathSizeLimit?: Size;
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly env?: { [name: string]: string };
  /**
   * Arguments of the container entrypoint.
   *
   * @default - the image's
   */
  readonly args?: string[];
  /**
   * Value of the `version` pod label (Istio telemetry).
   *
   * @default - no version label
   */
  readonly version?: string;
  /**
   * An exception allowing an image that is not pinned by digest (rule IMG-DIGEST-001). The
   * registry allow-list still applies.
   *
   * @default - images must be pinned by digest
   */
  readonly imageException?: PolicyException;
  /**
   * Secrets from a secret manager, mounted read-only through the Secrets Store CSI driver
   * (SECRET-1): the `SecretProviderClass` (managed with the secret manager's provider) and where
   * to mount it. Kubernetes Secrets are never needed.
   *
   * @default - no secrets
   */
  readonly secretStore?: SecretStoreMount;
}

/** A SecretProviderClass mounted through the Secrets Store CSI driver. */
export interface SecretStoreMount {
  /** Name of the SecretProviderClass in the service's namespace. */
  readonly secretProviderClass: string;
  /** Absolute path to mount the secrets at, e.g. `/mnt/secrets`. */
  readonly mountPath: string;
}

/** Options of a sidecar bypass: the exception that allows it and who may still reach the port. */
export interface BypassOptions {
  /** The PolicyException relaxing the rule (it must name it and cover this service). */
  readonly exception: PolicyException;
  /**
   * Peers allowed to reach the bypassed port (compensating NetworkPolicy).
   *
   * @default - only pods of the service's own namespace
   */
  readonly from?: IMeshPeer[];
}

/** Options of an outbound IP-range bypass. */
export interface OutboundBypassOptions {
  /** The PolicyException relaxing MESH-EXC-001 (it must name it and cover this service). */
  readonly exception: PolicyException;
  /** The only TCP ports the pods may reach in those ranges (compensating NetworkPolicy). */
  readonly ports: number[];
}

/** Attributes of a service defined in another repository, to grant to or from it. */
export interface SecureServiceAttributes {
  /** Namespace of the service. */
  readonly namespace: string;
  /** Service name. */
  readonly name: string;
  /** Ports of the service (needed to grant access to it). */
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
}

/** Pods a service may open connections to. */
export interface EgressPeer {
  /** Namespace of the pods. */
  readonly namespace: string;
  /**
   * Labels of the pods.
   *
   * @default - every pod of the namespace
   */
  readonly podLabels?: { [key: string]: string };
}

interface GrantRecord {
  readonly key: string;
  readonly caller: IMeshPeer;
  readonly principal: string;
  readonly targetPorts: number[];
  readonly paths: string[];
  readonly methods: string[];
  readonly grant: AccessGrant;
}

/** What an allowFrom call resolves to: container ports, paths and methods, sorted. */
interface ResolvedGrant {
  readonly targetPorts: number[];
  readonly paths: string[];
  readonly methods: string[];
}

/** Checks an allowFrom call against the caller and the target's ports. */
function resolveGrant(target: ISecureService, caller: IMeshPeer, options: AllowFromOptions): ResolvedGrant {
  const where = `${target.namespaceName}/${target.serviceName}`;
  if (!(caller?.peerPrincipal instanceof Principal)) {
    throw configError(target, 'allowFrom.caller', 'the caller has no mesh identity, and access is only ever granted to an authenticated identity (AUTHZ-2)',
      'Pass a SecureService, an imported service, or Principal.serviceAccount(namespace, serviceAccount)');
  }
  for (const [field, list] of [['ports', options.ports], ['paths', options.paths], ['methods', options.methods]] as const) {
    if (list !== undefined && list.length === 0) {
      throw configError(target, `allowFrom.${field}`, `an empty ${field} list grants nothing`, `Omit ${field} to allow every ${field.slice(0, -1)}, or name at least one`);
    }
  }
  const requested = options.ports ?? target.ports.map((p) => p.port);
  const ports = requested.map((number) => {
    const port = target.ports.find((p) => p.port === number);
    if (!port) {
      throw configError(target, 'allowFrom.ports', `${where} does not expose port ${number}`,
        `Grant one of its Service ports: ${target.ports.map((p) => `${p.port} (${p.name})`).join(', ')}`);
    }
    return port;
  });
  const paths = [...new Set(options.paths ?? [])].sort();
  const methods = [...new Set(options.methods ?? [])].sort();
  if (paths.length > 0 || methods.length > 0) {
    const opaque = ports.filter((p) => !isHttpProtocol(p.protocol));
    if (opaque.length > 0) {
      throw configError(target, 'allowFrom', `paths/methods on ${opaque.map((p) => `${p.protocol} port ${p.port}`).join(', ')} would never match (Istio sees no HTTP there), so the rule would silently deny`,
        'Grant paths and methods only on http, http2 or grpc ports, and grant TCP/TLS ports in a separate allowFrom without paths or methods');
    }
  }
  for (const path of paths) {
    for (const port of ports) assertNoProblems(target, 'allowFrom.paths', checkPathFor(port.protocol, path), 'Write exact paths or "/prefix/*", normalized');
  }
  for (const method of methods) assertNoProblems(target, 'allowFrom.methods', checkHttpMethod(method), 'Use upper-case HTTP methods');
  const targetPorts = [...new Set(ports.map((p) => p.targetPort ?? p.port))].sort((a, b) => a - b);
  return { targetPorts, paths, methods };
}

/**
 * A workload exposed in the mesh, closed until granted (AUTHZ-1..4, MTLS-1, JWT-1, POD-1, IMG-1, WI-1).
 *
 * It runs as its own ServiceAccount, whose SPIFFE identity `<trustDomain>/ns/<ns>/sa/<sa>` is its
 * principal, in a hardened Deployment (non-root, read-only root filesystem, no privilege
 * escalation, all capabilities dropped, seccomp RuntimeDefault, no host namespaces, no API token
 * by default) behind a Service whose ports declare their protocol.
 *
 * Until `allowFrom` is called nobody can call it: its AuthorizationPolicy allows nothing and its
 * NetworkPolicy admits nothing. Each `allowFrom(caller, { ports, paths, methods })` admits exactly
 * that caller's identity on those container ports, paths and methods (L7, AuthorizationPolicy),
 * and exactly that caller's pods on those ports (L3/L4, NetworkPolicy on both sides). Traffic to
 * it is mTLS (`ISTIO_MUTUAL`). After `requireJwt`, every allowed request must also carry a valid
 * token of that issuer: a request without a token is denied, not let through.
 */
export class SecureService extends Construct implements ISecureService {
  /** A service from another repository, to grant access to it (caller side) or from it. */
  public static fromAttributes(scope: Construct, id: string, attrs: SecureServiceAttributes): ISecureService {
    return new ImportedSecureService(scope, id, attrs);
  }

  public readonly serviceName: string;
  public readonly namespaceName: string;
  public readonly host: string;
  public readonly ports: ServicePort[];
  /** The hardened namespace the service runs in. */
  public readonly namespace: HardenedNamespace;
  /** The ServiceAccount name. */
  public readonly serviceAccountName: string;
  /** The service's identity. */
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };
  /**
   * The Deployment, as a plain ApiObject.
   *
   * Change it with JSON patches: synth-time enforcement checks them like everything else.
   */
  public readonly deployment: ApiObject;

  private readonly podAnnotations: { [key: string]: string } = {};
  private readonly grants: GrantRecord[] = [];
  private readonly egress = new Map<string, { to: EgressPeer; ports: Set<number> }>();
  private readonly jwtRules: JwtRequirement[] = [];
  private requestAuthentication?: ApiObject;

  constructor(scope: Construct, id: string, props: SecureServiceProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.namespaceName = props.namespace.name;
    this.serviceName = props.name ?? id;
    assertNoProblems(this, 'name', checkDns1035Label(this.serviceName).map((p) => `"${this.serviceName}" ${p}`),
      'Service names are DNS-1035 labels: lower-case letters, digits and "-", starting with a letter');
    this.serviceAccountName = props.serviceAccountName ?? this.serviceName;
    assertNoProblems(this, 'serviceAccountName', checkDns1123Subdomain(this.serviceAccountName).map((p) => `"${this.serviceAccountName}" ${p}`), 'Use a DNS-1123 name');
    assertNoProblems(this, 'ports', checkServicePorts(props.ports, true),
      'Give each port a unique IANA-style name (at most 15 characters), a unique number and a protocol, or [] for a workload that only calls');
    const imageProblems = checkImage(props.image, props.namespace.allowedRegistries)
      .filter((p) => !(props.imageException && /not pinned by digest/.test(p)));
    if (props.imageException) requireException(this, 'imageException', props.imageException, 'IMG-DIGEST-001');
    assertNoProblems(this, 'image', imageProblems,
      'Pin the image by digest (repo@sha256:<64 hex>) from an allowed registry; an exception comes only through PolicyException (imageException)');
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw configError(this, 'replicas', `${replicas} is not a positive integer`, 'Run at least one replica');
    }
    if (props.workloadIdentity !== undefined && !/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9.]+\.iam\.gserviceaccount\.com$/.test(props.workloadIdentity)) {
      throw configError(this, 'workloadIdentity', `"${props.workloadIdentity}" is not a Google service account email`,
        'Use "<name>@<project>.iam.gserviceaccount.com"');
    }
    this.checkUnique();

    this.ports = props.ports.map((p) => ({ ...p }));
    this.host = `${this.serviceName}.${this.namespaceName}.svc.${CLUSTER_DOMAIN}`;
    this.peerNamespace = this.namespaceName;
    this.peerPodLabels = { app: this.serviceName };
    this.peerPrincipal = Principal.serviceAccount(this.namespaceName, this.serviceAccountName, props.namespace.mesh.trustDomain);
    // The sensitive-data marker says the pods rely on their namespace's sensitive profile (NS-SENS-001).
    const podLabels = sortedLabels({
      ...this.peerPodLabels,
      ...(props.version ? { version: props.version } : {}),
      ...(props.namespace.sensitiveData ? { [SENSITIVE_DATA_LABEL]: 'true' } : {}),
    });
    const meta = (name: string) => ({ name, namespace: this.namespaceName });

    // Plain manifests throughout: a blueprint has thousands of these, and the generated bindings
    // cost several times as much to build and render for the same document.
    new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        ...meta(this.serviceAccountName),
        ...(props.workloadIdentity ? { annotations: { 'iam.gke.io/gcp-service-account': props.workloadIdentity } } : {}),
      },
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    } satisfies IServiceAccount);

    if (props.secretStore) this.checkSecretStore(props.secretStore);
    const probes = this.checkPodSettings(props);
    this.deployment = hardenedDeployment(this, 'Deployment', {
      name: this.serviceName,
      namespace: this.namespaceName,
      replicas,
      podLabels,
      serviceAccountName: this.serviceAccountName,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      image: props.image,
      args: props.args,
      env: props.env,
      containerPorts: this.ports.map((p) => ({ name: p.name, containerPort: p.targetPort ?? p.port })),
      resources: props.resources,
      secretStore: props.secretStore,
      podAnnotations: this.podAnnotations,
      ...probes,
      runAsUser: props.runAsUser,
      runAsGroup: props.runAsGroup,
      fsGroup: props.fsGroup,
      writablePaths: props.writablePaths,
      writablePathSizeLimit: props.writablePathSizeLimit,
    });
    // Beside the Deployment: at most one pod evicted at a time by a drain (none for one replica).
    if (replicas > 1) podDisruptionBudget(this, 'PodDisruptionBudget', this.serviceName, this.namespaceName, this.serviceName);

    // A workload that only calls (ports: []) has no Service to reach it and no host for clients' DestinationRules.
    if (!this.callsOnly) {
      new ApiObject(this, 'Service', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta(this.serviceName), labels: { app: this.serviceName } },
        spec: {
          selector: { app: this.serviceName },
          ports: this.ports.map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.targetPort ?? p.port,
            protocol: 'TCP',
            appProtocol: p.protocol,
          })),
        },
      } satisfies IService);
    }

    // AUTHZ-1..3: ALLOW only what was granted; with no grant (always, for a workload that only calls) the policy matches nothing.
    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: meta(this.serviceName),
      spec: {
        selector: { matchLabels: { app: this.serviceName } },
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.renderRules() }),
      },
    });

    // MTLS-1: clients of this host always use Istio mTLS.
    if (!this.callsOnly) {
      new ApiObject(this, 'DestinationRule', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: meta(this.serviceName),
        spec: { host: this.host, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
      });
    }

    // AUTHZ-4: the same callers, on the same container ports, at L3/L4 (none for a workload that only calls).
    networkPolicy(this, 'IngressPolicy', objectName([this.serviceName, 'ingress']), this.namespaceName, {
      podSelector: { matchLabels: { app: this.serviceName } },
      policyTypes: ['Ingress'],
      ingress: () => this.renderIngress(),
    });
  }

  /** Whether the workload only calls (`ports: []`): it accepts no traffic. */
  public get callsOnly(): boolean {
    return this.ports.length === 0;
  }

  public allowFrom(caller: IMeshPeer, options: AllowFromOptions = {}): AccessGrant {
    if (this.callsOnly) {
      throw configError(this, 'allowFrom', `${this.namespaceName}/${this.serviceName} only calls (ports: []): it accepts no traffic`,
        'Give it the ports it serves, or grant the caller another service');
    }
    const { targetPorts, paths, methods } = resolveGrant(this, caller, options);
    if (this.namespace.sensitiveData && caller.peerNamespace !== this.namespaceName && !caller.peerPodLabels) {
      throw configError(this, 'allowFrom.caller', `${caller.peerPrincipal} would admit every pod of namespace ${caller.peerNamespace} at L3/L4 into a sensitive-data namespace (SECRET-1)`,
        'Grant a SecureService (or an imported service with its pod labels) instead of a bare Principal');
    }
    const principal = caller.peerPrincipal.principalIn(this.namespace.mesh.trustDomain);
    const key = JSON.stringify([principal, caller.peerNamespace, caller.peerPodLabels ?? {}, targetPorts, paths, methods]);
    const existing = this.grants.find((g) => g.key === key);
    if (existing) return existing.grant;

    const objects = [
      `AuthorizationPolicy/${this.namespaceName}/${this.serviceName}`,
      `NetworkPolicy/${this.namespaceName}/${objectName([this.serviceName, 'ingress'])}`,
    ];
    if (caller instanceof SecureService) objects.push(...caller._allowEgressTo(this, targetPorts));
    const grant = new AccessGrant({ callerPrincipal: principal, target: `${this.namespaceName}/${this.serviceName}`, targetPorts, paths, methods, objects });
    this.grants.push({ key, caller, principal, targetPorts, paths, methods, grant });
    return grant;
  }

  /**
   * Requires a valid JWT of `issuer` on every request this service allows (JWT-1). Emits the
   * RequestAuthentication that validates tokens, and makes each ALLOW rule also require a
   * request principal of a required issuer, so a request without a token is denied.
   */
  public requireJwt(requirement: JwtRequirement): void {
    this.checkJwt(requirement);
    if (this.jwtRules.some((r) => r.issuer === requirement.issuer)) {
      throw configError(this, 'requireJwt.issuer', `issuer "${requirement.issuer}" is already required`, 'Require each issuer once');
    }
    this.jwtRules.push({ issuer: requirement.issuer, jwksUri: requirement.jwksUri, audiences: [...requirement.audiences] });
    // A plain ApiObject: the generated binding renders jwksUri as the deprecated jwks_uri alias.
    this.requestAuthentication ??= new ApiObject(this, 'RequestAuthentication', {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: objectName([this.serviceName, 'jwt']), namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: { app: this.serviceName } },
        jwtRules: Lazy.any({
          produce: () => this.jwtRules.map((r) => ({ issuer: r.issuer, jwksUri: r.jwksUri, audiences: r.audiences, forwardOriginalToken: false })),
        }),
      },
    });
  }

  /**
   * Accepts plaintext (PERMISSIVE mTLS) on one container port, for a client that cannot do mTLS
   * (EXC-1). Plaintext carries no identity, so the port is also authorized without one. Needs a
   * PolicyException for MESH-MTLS-002 and MESH-AUTHZ-004. Compensating control: a NetworkPolicy
   * lets only the service's namespace (or `from`) reach that port.
   */
  public allowPlaintextPort(containerPort: number, options: BypassOptions): void {
    requireException(this, 'allowPlaintextPort.exception', options.exception, 'MESH-MTLS-002');
    requireException(this, 'allowPlaintextPort.exception', options.exception, 'MESH-AUTHZ-004');
    this.checkContainerPort('allowPlaintextPort', containerPort);
    new ApiObject(this, `Plaintext${containerPort}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: objectName([this.serviceName, 'plaintext', String(containerPort)]), namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: { app: this.serviceName } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { [String(containerPort)]: { mode: 'PERMISSIVE' } },
      },
    });
    new ApiObject(this, `PlaintextAuthz${containerPort}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: objectName([this.serviceName, 'plaintext', String(containerPort)]), namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: { app: this.serviceName } },
        action: 'ALLOW',
        rules: [{ to: [{ operation: { ports: [String(containerPort)] } }] }],
      },
    });
    this.compensatingIngress(`plaintext-${containerPort}`, [containerPort], options.from);
  }

  /**
   * Lets inbound traffic on container ports bypass the sidecar (EXC-1): no mTLS, no
   * authorization on them. Needs a PolicyException for MESH-EXC-001 (scoped to the ports).
   * Compensating control: a NetworkPolicy lets only the service's namespace (or `from`) reach them.
   */
  public excludeInboundPorts(containerPorts: number[], options: BypassOptions): void {
    requireException(this, 'excludeInboundPorts.exception', options.exception, 'MESH-EXC-001');
    if (containerPorts.length === 0) throw configError(this, 'excludeInboundPorts', 'no port', 'Name the container ports to exclude');
    containerPorts.forEach((p) => this.checkContainerPort('excludeInboundPorts', p));
    const ports = [...new Set(containerPorts)].sort((a, b) => a - b);
    this.podAnnotations['traffic.sidecar.istio.io/excludeInboundPorts'] = ports.join(',');
    this.compensatingIngress('bypass-inbound', ports, options.from);
  }

  /**
   * Lets outbound traffic to IP ranges bypass the sidecar (EXC-1), e.g. a database the mesh
   * cannot reach. Needs a PolicyException for MESH-EXC-001. Compensating control: a NetworkPolicy
   * lets the pods reach only those ranges on `ports`; the app must encrypt and authenticate itself.
   */
  public excludeOutboundIpRanges(cidrs: string[], options: OutboundBypassOptions): void {
    requireException(this, 'excludeOutboundIpRanges.exception', options.exception, 'MESH-EXC-001');
    if (cidrs.length === 0) throw configError(this, 'excludeOutboundIpRanges', 'no range', 'Name the CIDRs to exclude');
    for (const cidr of cidrs) {
      const [ip, prefix] = cidr.split('/');
      const bits = ip?.includes(':') ? 128 : 32;
      if (!/^[0-9a-f.:]+$/i.test(ip ?? '') || !/^\d+$/.test(prefix ?? '') || Number(prefix) > bits || (bits === 32 && Number(prefix) < 8) || (bits === 128 && Number(prefix) < 16)) {
        throw configError(this, 'excludeOutboundIpRanges', `"${cidr}" is not a CIDR of at most a /8 (IPv4) or /16 (IPv6)`, 'Name the narrowest range, e.g. "10.20.0.5/32"');
      }
    }
    if (options.ports.length === 0) throw configError(this, 'excludeOutboundIpRanges.ports', 'no port', 'Name the ports the pods need in those ranges');
    options.ports.forEach((p) => {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw configError(this, 'excludeOutboundIpRanges.ports', `${p} is not a port`, 'Use ports 1-65535');
    });
    const ranges = [...new Set(cidrs)].sort();
    this.podAnnotations['traffic.sidecar.istio.io/excludeOutboundIPRanges'] = ranges.join(',');
    networkPolicy(this, 'BypassOutbound', objectName([this.serviceName, 'bypass-outbound']), this.namespaceName, {
      podSelector: { matchLabels: { app: this.serviceName } },
      policyTypes: ['Egress'],
      egress: [{ to: ranges.map((cidr) => ({ ipBlock: { cidr } })), ports: tcpPorts(options.ports) }],
    });
  }

  /** Issuers whose tokens this service requires (see `requireJwt`). */
  public get requiredJwtIssuers(): string[] {
    return this.jwtRules.map((r) => r.issuer);
  }

  /** The grants made so far. */
  public get accessGrants(): AccessGrant[] {
    return this.grants.map((g) => g.grant);
  }

  /**
   * Opens this service's egress to `target` on `targetPorts` (NetworkPolicy) and makes the
   * target's host visible to this namespace's sidecars. Called by the target's allowFrom.
   *
   * @internal
   */
  public _allowEgressTo(target: ISecureService, targetPorts: number[]): string[] {
    const sidecarHost = target.namespaceName !== this.namespaceName ? `${target.namespaceName}/${target.host}` : undefined;
    return this._allowEgress({ namespace: target.peerNamespace, podLabels: target.peerPodLabels }, targetPorts, sidecarHost);
  }

  /**
   * Opens this service's egress to the pods `to` on `ports` (NetworkPolicy, one rule per peer)
   * and, when given, makes `sidecarHost` (`namespace/host`) visible to this namespace's sidecars.
   * Returns the objects that carry it. Idempotent.
   *
   * @internal
   */
  public _allowEgress(to: EgressPeer, ports: number[], sidecarHost?: string): string[] {
    const key = JSON.stringify(podsInNamespace(to.namespace, to.podLabels));
    const entry = this.egress.get(key) ?? { to, ports: new Set<number>() };
    ports.forEach((p) => entry.ports.add(p));
    this.egress.set(key, entry);
    const policyName = objectName([this.serviceName, 'egress']);
    if (!this.node.tryFindChild('EgressPolicy')) {
      networkPolicy(this, 'EgressPolicy', policyName, this.namespaceName, {
        podSelector: { matchLabels: { app: this.serviceName } },
        policyTypes: ['Egress'],
        egress: () => this.renderEgress(),
      });
    }
    const objects = [`NetworkPolicy/${this.namespaceName}/${policyName}`];
    if (sidecarHost) {
      this.namespace._addEgressHost(sidecarHost);
      objects.push(`Sidecar/${this.namespaceName}/default`);
    }
    return objects;
  }

  /** The ALLOW rules, one per grant; undefined (no rules: allow nothing) before the first grant. */
  private renderRules(): any[] | undefined {
    if (this.grants.length === 0) return undefined;
    const requestPrincipals = this.jwtRules.map((r) => `${r.issuer}/*`).sort();
    return [...this.grants]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((g) => ({
        from: [{ source: { principals: [g.principal], ...(requestPrincipals.length ? { requestPrincipals } : {}) } }],
        to: [{
          operation: {
            ports: g.targetPorts.map(String),
            ...(g.methods.length ? { methods: g.methods } : {}),
            ...(g.paths.length ? { paths: g.paths } : {}),
          },
        }],
      }));
  }

  private renderIngress(): NetworkPolicyIngressRule[] {
    const byPeer = new Map<string, { peer: NetworkPolicyPeer; ports: Set<number> }>();
    for (const g of this.grants) {
      const peer = podsInNamespace(g.caller.peerNamespace, g.caller.peerPodLabels);
      const key = JSON.stringify(peer);
      const entry = byPeer.get(key) ?? { peer, ports: new Set<number>() };
      g.targetPorts.forEach((p) => entry.ports.add(p));
      byPeer.set(key, entry);
    }
    return [...byPeer.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => ({ from: [e.peer], ports: tcpPorts([...e.ports]) }));
  }

  private renderEgress(): NetworkPolicyEgressRule[] {
    return [...this.egress.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => ({
      to: [podsInNamespace(e.to.namespace, e.to.podLabels)],
      ports: tcpPorts([...e.ports]),
    }));
  }

  private checkSecretStore(mount: SecretStoreMount): void {
    assertNoProblems(this, 'secretStore.secretProviderClass', checkDns1123Subdomain(mount.secretProviderClass ?? '').map((p) => `"${mount.secretProviderClass}" ${p}`),
      'Name the SecretProviderClass of this namespace');
    if (!/^\/[^\s]*$/.test(mount.mountPath ?? '') || mount.mountPath.split('/').includes('..')) {
      throw configError(this, 'secretStore.mountPath', `"${mount.mountPath}" is not an absolute path`, 'Use a path such as "/mnt/secrets"');
    }
  }

  /** Checks the probes, user and groups, and writable paths; returns the rendered probes. */
  private checkPodSettings(props: SecureServiceProps): { readinessProbe?: object; livenessProbe?: object; startupProbe?: object } {
    const containerPorts = this.ports.map((p) => p.targetPort ?? p.port);
    const healthPorts = props.healthPorts ?? [];
    assertNoProblems(this, 'healthPorts', checkHealthPorts(healthPorts, containerPorts),
      'List the distinct ports the app serves health checks on, other than its service ports and Istio\'s');
    const out: { [role: string]: object } = {};
    for (const role of ['readinessProbe', 'livenessProbe', 'startupProbe'] as ProbeRole[]) {
      const probe = props[role];
      if (probe === undefined) continue;
      assertNoProblems(this, role, checkHealthProbe(role, probe, [...containerPorts, ...healthPorts]),
        'Probe one of the service\'s container ports (or list a dedicated port in healthPorts), with a path for HTTP probes and positive timings');
      out[role] = renderProbe(role, probe);
    }
    for (const field of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const value = props[field];
      if (value !== undefined) {
        assertNoProblems(this, field, checkPodId(field, value),
          'Use the image\'s own non-root ID (an integer ≥ 1 other than 1337), or leave it unset to keep the image\'s user');
      }
    }
    if (props.writablePaths !== undefined) {
      assertNoProblems(this, 'writablePaths', checkWritablePaths(props.writablePaths, props.secretStore ? [props.secretStore.mountPath] : []),
        'List distinct absolute directories such as "/tmp" or "/var/cache/app"; the root filesystem stays read-only');
    }
    if (props.writablePathSizeLimit !== undefined) {
      if (props.writablePaths === undefined) {
        throw configError(this, 'writablePathSizeLimit', 'there is no writable path to limit', 'Set writablePaths, or remove writablePathSizeLimit');
      }
      const mib = props.writablePathSizeLimit.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
      if (!Number.isInteger(mib) || mib < 1) {
        throw configError(this, 'writablePathSizeLimit', `${mib}Mi is not a whole number of mebibytes ≥ 1`, 'Use e.g. Size.mebibytes(64) or Size.gibibytes(1)');
      }
    }
    return out;
  }

  private checkContainerPort(field: string, port: number): void {
    if (!this.ports.some((p) => (p.targetPort ?? p.port) === port)) {
      throw configError(this, field, `${port} is not a container port of ${this.serviceName}`,
        `Use one of ${this.ports.map((p) => p.targetPort ?? p.port).join(', ')}`);
    }
  }

  /** EXC-1 compensating control: only the namespace (or the named peers) may reach `ports`. */
  private compensatingIngress(suffix: string, ports: number[], from?: IMeshPeer[]): void {
    const peers = from?.length
      ? from.map((p) => podsInNamespace(p.peerNamespace, p.peerPodLabels))
      : [podsInNamespace(this.namespaceName)];
    networkPolicy(this, `Compensating-${suffix}`, objectName([this.serviceName, suffix]), this.namespaceName, {
      podSelector: { matchLabels: { app: this.serviceName } },
      policyTypes: ['Ingress'],
      ingress: [{ from: peers, ports: tcpPorts(ports) }],
    });
  }

  private checkJwt(r: JwtRequirement): void {
    if (!r.issuer || /\s/.test(r.issuer)) throw configError(this, 'requireJwt.issuer', `"${r.issuer}" is not an issuer`, 'Use the exact iss claim of the tokens');
    if (!/^https:\/\/[^/\s]+(\/\S*)?$/.test(r.jwksUri)) {
      throw configError(this, 'requireJwt.jwksUri', `"${r.jwksUri}" is not an https URL`, 'Fetch signing keys over https only, e.g. "https://issuer.example.com/.well-known/jwks.json"');
    }
    if (!Array.isArray(r.audiences) || r.audiences.length === 0 || r.audiences.some((a) => !a)) {
      throw configError(this, 'requireJwt.audiences', 'at least one non-empty audience is required', 'Name the audience tokens for this service carry, so tokens minted for other services are rejected');
    }
  }

  private checkUnique(): void {
    const other = claimKey(this, `SecureService:${this.namespaceName}/${this.serviceName}`);
    if (other) {
      throw configError(this, 'name', `service "${this.namespaceName}/${this.serviceName}" is already defined at ${other.node.path}`, 'Give each service in a namespace a unique name');
    }
  }

}

/** Throws unless `exception` relaxes `ruleId` (the knob it unlocks). */
function requireException(scope: IConstruct, field: string, exception: PolicyException | undefined, ruleId: string): void {
  if (!(exception instanceof PolicyException)) {
    throw configError(scope, field, `a PolicyException for ${ruleId} is required`, 'Create one with a justification, an owner and an expiry date');
  }
  if (!exception.rules.includes(ruleId)) {
    throw configError(scope, field, `the exception at ${exception.node.path} does not relax ${ruleId} (it relaxes ${exception.rules.join(', ')})`,
      `Add ${ruleId} to its rules, or use an exception made for this bypass`);
  }
}

/**
 * A service from another repository. As a target, `allowFrom` opens only the caller's side
 * (egress NetworkPolicy and sidecar visibility); the owning repository must grant the caller too.
 */
class ImportedSecureService extends Construct implements ISecureService {
  public readonly serviceName: string;
  public readonly namespaceName: string;
  public readonly host: string;
  public readonly ports: ServicePort[];
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };

  constructor(scope: Construct, id: string, attrs: SecureServiceAttributes) {
    super(scope, id);
    assertNoProblems(this, 'name', checkDns1035Label(attrs.name).map((p) => `"${attrs.name}" ${p}`), 'Use the Service name of the imported service');
    assertNoProblems(this, 'ports', checkServicePorts(attrs.ports), 'Describe the ports as the owning repository declares them');
    this.serviceName = attrs.name;
    this.namespaceName = attrs.namespace;
    this.ports = attrs.ports.map((p) => ({ ...p }));
    this.host = `${attrs.name}.${attrs.namespace}.svc.${CLUSTER_DOMAIN}`;
    this.peerPrincipal = Principal.serviceAccount(attrs.namespace, attrs.serviceAccountName ?? attrs.name, attrs.trustDomain ?? 'cluster.local');
    this.peerNamespace = attrs.namespace;
    this.peerPodLabels = { ...(attrs.podLabels ?? { app: attrs.name }) };
  }

  public allowFrom(caller: IMeshPeer, options: AllowFromOptions = {}): AccessGrant {
    const { targetPorts, paths, methods } = resolveGrant(this, caller, options);
    const objects = caller instanceof SecureService ? caller._allowEgressTo(this, targetPorts) : [];
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
