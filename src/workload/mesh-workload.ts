import { ApiObject, Lazy, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { GrantIntent, RenderedAccess, carriedOnHbone, renderAccess } from './access-rendering';
import { requireException, resolveGrant } from './grant-resolution';
import { HardenedNamespace, SENSITIVE_DATA_LABEL, Waypoint } from './hardened-namespace';
import { checkImage } from './image-policy';
import { ISTIO_RESERVED_PORTS, ProbeRole, checkHealthPorts, checkHealthProbe, checkPodId, checkWritablePaths, renderProbe } from './pod-settings';
import { HardenedPodSpec } from './pod-template';
import { ServicePort, checkServicePorts } from './service-port';
import {
  AllowFromOptions, BypassOptions, EgressPeer, ISecureService, JwtRequirement, OutboundBypassOptions, SecretStoreMount, ServingWorkloadProps,
} from './workload-props';
import { assertNoProblems, configError } from '../core/errors';
import { objectName } from '../core/names';
import { claimKey } from '../core/registry';
import { AccessGrant } from '../mesh/access-grant';
import { DataPlane, HBONE_PORT, INGRESS_USE_WAYPOINT_LABEL, USE_WAYPOINT_LABEL } from '../mesh/data-plane';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { NetworkPolicyEgressRule, networkPolicy } from '../network/network-policy';
import { podsInNamespace, sortedLabels, tcpPorts } from '../network/peers';
import { checkDns1035Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

interface GrantRecord extends GrantIntent {
  readonly grant: AccessGrant;
}

/** Who a mesh workload is, whoever writes its pods: what the core's identity and policies need. */
export interface MeshWorkloadIdentity {
  /** The hardened namespace the workload runs in. */
  readonly namespace: HardenedNamespace;
  /** The workload's name (a DNS-1035 label): its policies' names, and its Service's when it serves. */
  readonly name: string;
  /** The ServiceAccount its pods run as: its identity. */
  readonly serviceAccountName: string;
  /** The ports it serves; `[]` for a workload that only calls. */
  readonly ports: ServicePort[];
  /** Labels that select exactly the workload's pods (its policies' selector). */
  readonly podSelector: { [key: string]: string };
}

/** The pods of the waypoint serving `target`, while one does (ours, or an imported service's). */
function waypointPodsOf(target: ISecureService): EgressPeer | undefined {
  if (target instanceof MeshWorkload) return target._waypointPods();
  const imported = (target as { readonly importedWaypoint?: EgressPeer }).importedWaypoint;
  return imported;
}

/**
 * The first hop of a call from a caller of `callerPlane` to `target` on `targetPorts`, as the
 * caller's egress NetworkPolicy must open it: HBONE (15008) to the target's waypoint when it has
 * one, else to its pods, when either side is ambient; the container ports of its pods otherwise.
 * Read at synthesis: a later L7 grant can still put the target behind its waypoint.
 */
export function egressHop(callerPlane: DataPlane | undefined, target: ISecureService,
  targetPorts: Iterable<number>): { to: EgressPeer; ports: number[] } {
  const pods = { namespace: target.peerNamespace, podLabels: target.peerPodLabels };
  if (!carriedOnHbone(callerPlane, target.peerDataPlane)) return { to: pods, ports: [...targetPorts] };
  return { to: waypointPodsOf(target) ?? pods, ports: [HBONE_PORT] };
}

/** The identity of a kind the library writes: named by `name` or the construct id, pods labelled `app: <name>`. */
export function nativeIdentity(id: string, props: ServingWorkloadProps): MeshWorkloadIdentity {
  const name = props.name ?? id;
  return { namespace: props.namespace, name, serviceAccountName: props.serviceAccountName ?? name, ports: props.ports, podSelector: { app: name } };
}

/**
 * The hardened-workload core every mesh workload kind shares (AUTHZ-1..4, MTLS-1, JWT-1, POD-1,
 * IMG-1, WI-1, EXC-1): a SecureService (Deployment), a SecureStatefulSet, a SecureJob and a
 * SecureCronJob are this core plus the object that runs the pods.
 *
 * The core gives the workload its own ServiceAccount, whose SPIFFE identity
 * `<trustDomain>/ns/<ns>/sa/<sa>` is its principal, checks and renders the hardened pod
 * (non-root, read-only root filesystem, no privilege escalation, all capabilities dropped, seccomp
 * RuntimeDefault, no host namespaces, no API token by default), and writes its policies: until
 * `allowFrom` is called nobody can call it (its AuthorizationPolicy allows nothing and its ingress
 * NetworkPolicy admits nothing), and it reaches only what it has been granted (its egress
 * NetworkPolicy and its namespace's Sidecar hosts grow with each grant made to it).
 */
export abstract class MeshWorkload extends Construct implements IMeshPeer {
  /** The workload's name: of its pods (`app` label), its policies and, when it serves, its Service. */
  public readonly workloadName: string;
  /** The hardened namespace the workload runs in. */
  public readonly namespace: HardenedNamespace;
  /** The namespace name. */
  public readonly namespaceName: string;
  /** The ServiceAccount name. */
  public readonly serviceAccountName: string;
  /** The ports the workload serves (none for a workload that only calls). */
  public readonly ports: ServicePort[];
  /** The workload's identity. */
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };
  /** The workload's data plane (its namespace's; always set). */
  public readonly peerDataPlane?: DataPlane;

  /**
   * The hardened pod, for the kind to wrap in its Deployment, StatefulSet or Job (set by `_hardenPod`).
   *
   * @internal
   */
  protected _pod!: HardenedPodSpec;
  private readonly podAnnotations: { [key: string]: string } = {};
  private readonly grants: GrantRecord[] = [];
  private readonly egress = new Map<string, { to: EgressPeer; ports: Set<number> }>();
  private readonly egressTargets = new Map<ISecureService, Set<number>>();
  private readonly jwtRules: JwtRequirement[] = [];
  private requestAuthentication?: ApiObject;
  private waypoint?: Waypoint;
  /**
   * The workload's Service, set by kinds that serve (the waypoint labels go on it in ambient).
   *
   * @internal
   */
  protected _service?: ApiObject;
  /**
   * Whether the Service is headless (no VIP, so no waypoint can serve it).
   *
   * @internal
   */
  protected _headless = false;
  private probePorts: number[] = [];
  private renderedCache?: { readonly key: string; readonly value: RenderedAccess };

  protected constructor(scope: Construct, id: string, identity: MeshWorkloadIdentity) {
    super(scope, id);
    if (!(identity.namespace instanceof HardenedNamespace)) {
      throw configError(this, 'namespace', 'the workload has no hardened namespace', 'Pass the HardenedNamespace it runs in');
    }
    this.namespace = identity.namespace;
    this.namespaceName = identity.namespace.name;
    this.workloadName = identity.name;
    assertNoProblems(this, 'name', checkDns1035Label(this.workloadName).map((p) => `"${this.workloadName}" ${p}`),
      'Workload names are DNS-1035 labels: lower-case letters, digits and "-", starting with a letter');
    this.serviceAccountName = identity.serviceAccountName;
    assertNoProblems(this, 'serviceAccountName', checkDns1123Subdomain(this.serviceAccountName).map((p) => `"${this.serviceAccountName}" ${p}`), 'Use a DNS-1123 name');
    assertNoProblems(this, 'ports', checkServicePorts(identity.ports, true),
      'Give each port a unique IANA-style name (at most 15 characters), a unique number and a protocol, or [] for a workload that only calls');
    if (Object.keys(identity.podSelector ?? {}).length === 0) {
      throw configError(this, 'podSelector', 'no label selects the workload\'s pods, so its policies would select every pod of the namespace', 'Select the pods by their labels');
    }
    // One name per namespace across kinds: the policies' names (and a native kind's `app` label) are the workload's name.
    const other = claimKey(this, `MeshWorkload:${this.namespaceName}/${this.workloadName}`);
    if (other) {
      throw configError(this, 'name', `workload "${this.namespaceName}/${this.workloadName}" is already defined at ${other.node.path}`,
        'Give each workload in a namespace a unique name');
    }

    this.ports = identity.ports.map((p) => ({ ...p }));
    this.peerNamespace = this.namespaceName;
    this.peerPodLabels = sortedLabels(identity.podSelector);
    this.peerPrincipal = Principal.serviceAccount(this.namespaceName, this.serviceAccountName, identity.namespace.mesh.trustDomain);
    this.peerDataPlane = identity.namespace.dataPlane;

    // AUTHZ-1..3: ALLOW only what was granted; with no grant (always, for a workload that only
    // calls) the policy matches nothing. In ambient it binds to ztunnel (L4 only; see renderAccess).
    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: this.workloadName, namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: this.podSelector() },
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.rendered().podPolicyRules }),
      },
    });

    // AUTHZ-4: the same callers, on the same container ports (HBONE in ambient), at L3/L4 (none for a workload that only calls).
    networkPolicy(this, 'IngressPolicy', objectName([this.workloadName, 'ingress']), this.namespaceName, {
      podSelector: { matchLabels: this.podSelector() },
      policyTypes: ['Ingress'],
      ingress: () => this.rendered().ingress,
    });
  }

  /** Whether the workload's Service is served by its namespace's waypoint (ambient, after an L7 grant or a JWT requirement). */
  public get usesWaypoint(): boolean {
    return this.waypoint !== undefined;
  }

  /** Whether the workload only calls (no ports): it accepts no traffic. */
  public get callsOnly(): boolean {
    return this.ports.length === 0;
  }

  /** Issuers whose tokens this workload requires (see `requireJwt`). */
  public get requiredJwtIssuers(): string[] {
    return this.jwtRules.map((r) => r.issuer);
  }

  /** The grants made so far. */
  public get accessGrants(): AccessGrant[] {
    return this.grants.map((g) => g.grant);
  }

  /**
   * Lets `caller` call this workload on the given ports, paths and methods, and nothing else:
   * exactly that caller's identity on those container ports, paths and methods (L7,
   * AuthorizationPolicy), and exactly that caller's pods on those ports (L3/L4, NetworkPolicy on
   * both sides). Idempotent: the same call twice creates one grant.
   *
   * In an ambient namespace the same grant is enforced where ambient can enforce it: a grant of
   * whole ports binds to ztunnel (the caller's principal on the ports; NetworkPolicy admits the
   * caller's pods on HBONE, 15008). The first grant with paths or methods (or `requireJwt`) puts
   * the workload's Service behind its namespace's waypoint for good: from then on every grant is
   * enforced there (AuthorizationPolicy `<name>-waypoint`, attached to the Service), ztunnel
   * admits only the waypoint's identity, and NetworkPolicy only the waypoint's pods, so no caller
   * can bypass the L7 check. A headless Service (StatefulSet) cannot take such a grant.
   */
  public allowFrom(caller: IMeshPeer, options: AllowFromOptions = {}): AccessGrant {
    if (this.callsOnly) {
      throw configError(this, 'allowFrom', `${this.namespaceName}/${this.workloadName} only calls (${this._callsOnlyBecause()}): it accepts no traffic`,
        'Give it the ports it serves, or grant the caller another workload');
    }
    const { targetPorts, paths, methods } = resolveGrant(this, caller, options);
    if (this.namespace.sensitiveData && caller.peerNamespace !== this.namespaceName && !caller.peerPodLabels) {
      throw configError(this, 'allowFrom.caller', `${caller.peerPrincipal} would admit every pod of namespace ${caller.peerNamespace} at L3/L4 into a sensitive-data namespace (SECRET-1)`,
        'Grant a mesh workload (or an imported service with its pod labels) instead of a bare Principal');
    }
    const principal = caller.peerPrincipal.principalIn(this.namespace.mesh.trustDomain);
    const key = JSON.stringify([principal, caller.peerNamespace, caller.peerPodLabels ?? {}, targetPorts, paths, methods]);
    const existing = this.grants.find((g) => g.key === key);
    if (existing) return existing.grant;

    // Ambient: ztunnel cannot see paths or methods, so an L7 grant puts the Service behind the waypoint.
    if (this.namespace.dataPlane === DataPlane.AMBIENT && (paths.length > 0 || methods.length > 0)) this.useWaypoint('allowFrom');
    const objects = [
      `AuthorizationPolicy/${this.namespaceName}/${this.workloadName}`,
      `NetworkPolicy/${this.namespaceName}/${objectName([this.workloadName, 'ingress'])}`,
      ...this.waypointObjects(),
    ];
    if (caller instanceof MeshWorkload) objects.push(...caller._allowEgressTo(this._asTarget(), targetPorts));
    const grant = new AccessGrant({ callerPrincipal: principal, target: `${this.namespaceName}/${this.workloadName}`, targetPorts, paths, methods, objects });
    this.grants.push({ key, caller, principal, targetPorts, paths, methods, grant });
    return grant;
  }

  /**
   * Requires a valid JWT of `issuer` on every request this workload allows (JWT-1). Emits the
   * RequestAuthentication that validates tokens, and makes each ALLOW rule also require a
   * request principal of a required issuer, so a request without a token is denied. In an
   * ambient namespace both are attached to the Service at its waypoint (ztunnel cannot read a
   * token), as for an L7 grant.
   */
  public requireJwt(requirement: JwtRequirement): void {
    if (this.callsOnly) {
      throw configError(this, 'requireJwt', `${this.namespaceName}/${this.workloadName} only calls (${this._callsOnlyBecause()}): no request reaches it`,
        'Require tokens on the workloads it calls');
    }
    this.checkJwt(requirement);
    if (this.jwtRules.some((r) => r.issuer === requirement.issuer)) {
      throw configError(this, 'requireJwt.issuer', `issuer "${requirement.issuer}" is already required`, 'Require each issuer once');
    }
    // Ambient: only a waypoint validates tokens, attached to the Service (ztunnel would ignore a selector).
    if (this.namespace.dataPlane === DataPlane.AMBIENT) this.useWaypoint('requireJwt');
    this.jwtRules.push({ issuer: requirement.issuer, jwksUri: requirement.jwksUri, audiences: [...requirement.audiences] });
    // A plain ApiObject: the generated binding renders jwksUri as the deprecated jwks_uri alias.
    this.requestAuthentication ??= new ApiObject(this, 'RequestAuthentication', {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: objectName([this.workloadName, 'jwt']), namespace: this.namespaceName },
      spec: {
        ...this.policyAttachment(),
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
   * lets only the workload's namespace (or `from`) reach that port.
   */
  public allowPlaintextPort(containerPort: number, options: BypassOptions): void {
    requireException(this, 'allowPlaintextPort.exception', options.exception, 'MESH-MTLS-002');
    requireException(this, 'allowPlaintextPort.exception', options.exception, 'MESH-AUTHZ-004');
    this.checkContainerPort('allowPlaintextPort', containerPort);
    const name = objectName([this.workloadName, 'plaintext', String(containerPort)]);
    new ApiObject(this, `Plaintext${containerPort}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name, namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: this.podSelector() },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { [String(containerPort)]: { mode: 'PERMISSIVE' } },
      },
    });
    new ApiObject(this, `PlaintextAuthz${containerPort}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name, namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: this.podSelector() },
        action: 'ALLOW',
        rules: [{ to: [{ operation: { ports: [String(containerPort)] } }] }],
      },
    });
    this.compensatingIngress(`plaintext-${containerPort}`, [containerPort], options.from);
  }

  /**
   * Lets inbound traffic on container ports bypass the sidecar (EXC-1): no mTLS, no
   * authorization on them. Needs a PolicyException for MESH-EXC-001 (scoped to the ports).
   * Compensating control: a NetworkPolicy lets only the workload's namespace (or `from`) reach them.
   */
  public excludeInboundPorts(containerPorts: number[], options: BypassOptions): void {
    this.sidecarOnly('excludeInboundPorts', 'the traffic.sidecar.istio.io annotations it writes');
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
    this.sidecarOnly('excludeOutboundIpRanges', 'the traffic.sidecar.istio.io annotations it writes');
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
    networkPolicy(this, 'BypassOutbound', objectName([this.workloadName, 'bypass-outbound']), this.namespaceName, {
      podSelector: { matchLabels: this.podSelector() },
      policyTypes: ['Egress'],
      egress: [{ to: ranges.map((cidr) => ({ ipBlock: { cidr } })), ports: tcpPorts(options.ports) }],
    });
  }

  /**
   * Opens this workload's egress to `target` on `targetPorts` (NetworkPolicy) and makes the
   * target's host visible to this namespace's sidecars. Called by the target's allowFrom.
   *
   * @internal
   */
  public _allowEgressTo(target: ISecureService, targetPorts: number[]): string[] {
    // The hop (target pods on the app port, target pods on HBONE, or its waypoint on HBONE) is
    // decided at synthesis: a later L7 grant can still put the target behind its waypoint.
    const ports = this.egressTargets.get(target) ?? new Set<number>();
    targetPorts.forEach((p) => ports.add(p));
    this.egressTargets.set(target, ports);
    const objects = [`NetworkPolicy/${this.namespaceName}/${this.ensureEgressPolicy()}`];
    if (target.namespaceName !== this.namespaceName) {
      const sidecar = this.namespace._addEgressHost(`${target.namespaceName}/${target.host}`);
      if (sidecar) objects.push(sidecar);
    }
    return objects;
  }

  /**
   * Opens this workload's egress to the pods `to` on `ports` (NetworkPolicy, one rule per peer)
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
    const objects = [`NetworkPolicy/${this.namespaceName}/${this.ensureEgressPolicy()}`];
    if (sidecarHost) {
      const sidecar = this.namespace._addEgressHost(sidecarHost);
      if (sidecar) objects.push(sidecar);
    }
    return objects;
  }

  /**
   * The waypoint serving this workload's Service, while one does (for callers' egress).
   *
   * @internal
   */
  public _waypointPods(): EgressPeer | undefined {
    return this.waypoint ? { namespace: this.namespaceName, podLabels: this.waypoint.podLabels } : undefined;
  }

  /**
   * Gives a kind the library writes its ServiceAccount and checks and renders its hardened pod
   * (see `_pod`).
   *
   * @internal
   */
  protected _hardenPod(props: ServingWorkloadProps): void {
    const imageProblems = checkImage(props.image, props.namespace.allowedRegistries)
      .filter((p) => !(props.imageException && /not pinned by digest/.test(p)));
    if (props.imageException) requireException(this, 'imageException', props.imageException, 'IMG-DIGEST-001');
    assertNoProblems(this, 'image', imageProblems,
      'Pin the image by digest (repo@sha256:<64 hex>) from an allowed registry; an exception comes only through PolicyException (imageException)');
    if (props.workloadIdentity !== undefined && !/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9.]+\.iam\.gserviceaccount\.com$/.test(props.workloadIdentity)) {
      throw configError(this, 'workloadIdentity', `"${props.workloadIdentity}" is not a Google service account email`,
        'Use "<name>@<project>.iam.gserviceaccount.com"');
    }
    const automount = props.automountServiceAccountToken ?? false;
    // Plain manifests throughout: a blueprint has thousands of these, and the generated bindings
    // cost several times as much to build and render for the same document.
    new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: this.serviceAccountName,
        namespace: this.namespaceName,
        ...(props.workloadIdentity ? { annotations: { 'iam.gke.io/gcp-service-account': props.workloadIdentity } } : {}),
      },
      automountServiceAccountToken: automount,
    } satisfies IServiceAccount);

    if (props.secretStore) this.checkSecretStore(props.secretStore);
    const probes = this.checkPodSettings(props);
    this._pod = {
      name: this.workloadName,
      // The sensitive-data marker says the pods rely on their namespace's sensitive profile (NS-SENS-001).
      podLabels: sortedLabels({
        ...this.peerPodLabels,
        ...(props.version ? { version: props.version } : {}),
        ...(props.namespace.sensitiveData ? { [SENSITIVE_DATA_LABEL]: 'true' } : {}),
      }),
      serviceAccountName: this.serviceAccountName,
      automountServiceAccountToken: automount,
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
    };
  }

  /**
   * Why the workload accepts no traffic, for errors (`ports: []`, or its kind).
   *
   * @internal
   */
  protected _callsOnlyBecause(): string {
    return 'ports: []';
  }

  /**
   * The workload as a grant target (its Service host); only kinds that serve are targets.
   *
   * @internal
   */
  protected _asTarget(): ISecureService {
    throw configError(this, 'allowFrom', `${this.namespaceName}/${this.workloadName} has no Service to call`, 'Grant a workload that serves');
  }

  /**
   * The container ports kubelet probes, read at synthesis (those of the probes `_hardenPod` rendered).
   *
   * @internal
   */
  protected _kubeletProbePorts(): number[] {
    return this.probePorts;
  }

  /**
   * Adds a pod template annotation (read at synthesis).
   *
   * @internal
   */
  protected _annotatePods(key: string, value: string): void {
    this.podAnnotations[key] = value;
  }

  /** The workload's grants rendered for its data plane (once per synthesis: both policies read it). */
  private rendered(): RenderedAccess {
    // Grants and token requirements only grow and the waypoint is set once, so this key changes with any input.
    const probePorts = this._kubeletProbePorts();
    const key = `${this.grants.length}|${this.jwtRules.length}|${this.waypoint !== undefined}|${probePorts.join(',')}`;
    if (this.renderedCache?.key === key) return this.renderedCache.value;
    const value = renderAccess({
      namespace: this.namespaceName,
      dataPlane: this.namespace.dataPlane,
      grants: this.grants,
      requestPrincipals: this.jwtRules.map((r) => `${r.issuer}/*`).sort(),
      waypoint: this.waypoint,
      probePorts,
    });
    this.renderedCache = { key, value };
    return value;
  }

  private renderEgress(): NetworkPolicyEgressRule[] {
    const entries = new Map<string, { to: EgressPeer; ports: Set<number> }>();
    const add = (to: EgressPeer, ports: Iterable<number>) => {
      const key = JSON.stringify(podsInNamespace(to.namespace, to.podLabels));
      const entry = entries.get(key) ?? { to, ports: new Set<number>() };
      for (const p of ports) entry.ports.add(p);
      entries.set(key, entry);
    };
    for (const e of this.egress.values()) add(e.to, e.ports);
    for (const [target, ports] of this.egressTargets) {
      const hop = egressHop(this.peerDataPlane, target, ports);
      add(hop.to, hop.ports);
    }
    return [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => ({
      to: [podsInNamespace(e.to.namespace, e.to.podLabels)],
      ports: tcpPorts([...e.ports]),
    }));
  }

  private ensureEgressPolicy(): string {
    const policyName = objectName([this.workloadName, 'egress']);
    if (!this.node.tryFindChild('EgressPolicy')) {
      networkPolicy(this, 'EgressPolicy', policyName, this.namespaceName, {
        podSelector: { matchLabels: this.podSelector() },
        policyTypes: ['Egress'],
        egress: () => this.renderEgress(),
      });
    }
    return policyName;
  }

  /**
   * Puts the workload's Service behind its namespace's waypoint (ambient L7, once): the Service
   * labels that send every in-mesh caller and Istio gateway through it, and the policy attached to
   * the Service there. The pod policy then admits only the waypoint (see renderAccess).
   */
  private useWaypoint(field: string): void {
    if (this.waypoint) return;
    if (!this._service || this._headless) {
      throw configError(this, field, `${this.namespaceName}/${this.workloadName} is in an ambient namespace and has ${this._headless ? 'a headless Service (no virtual IP)' : 'no Service'}, `
        + 'so no waypoint can serve it, and ztunnel cannot enforce paths, methods or tokens (it would deny everything)',
      'Grant whole ports (no paths or methods) and require tokens on the services in front of it, or run it in a sidecar namespace');
    }
    const remapped = this.ports.filter((p) => p.targetPort !== undefined && p.targetPort !== p.port);
    if (remapped.length > 0) {
      throw configError(this, field, `port ${remapped.map((p) => `${p.port} → ${p.targetPort}`).join(', ')} differs from its container port, and the waypoint's `
        + 'policy and ztunnel\'s must name the same port for the grant to mean one thing',
      'Serve the Service port on the same container port (drop targetPort) for workloads that take L7 grants in ambient');
    }
    const waypoint = this.namespace._waypoint();
    this.waypoint = waypoint;
    waypoint.serve({
      callerPods: () => this.grants.map((g) => podsInNamespace(g.caller.peerNamespace, g.caller.peerPodLabels)),
      forwardsTo: () => ({ to: [podsInNamespace(this.namespaceName, this.podSelector())], ports: tcpPorts([HBONE_PORT]) }),
    });
    this._service.metadata.addLabel(USE_WAYPOINT_LABEL, waypoint.name);
    // Istio gateways skip a Service's waypoint unless the Service opts in: without this the edge
    // would reach the pods directly and ztunnel (admitting only the waypoint) would refuse it.
    this._service.metadata.addLabel(INGRESS_USE_WAYPOINT_LABEL, 'true');
    new ApiObject(this, 'WaypointAuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: objectName([this.workloadName, 'waypoint']), namespace: this.namespaceName },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: this.workloadName }],
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.rendered().waypointPolicyRules }),
      },
    });
  }

  private waypointObjects(): string[] {
    if (!this.waypoint) return [];
    return [
      `AuthorizationPolicy/${this.namespaceName}/${objectName([this.workloadName, 'waypoint'])}`,
      `Service/${this.namespaceName}/${this.workloadName}`,
    ];
  }

  /** How a policy of the workload attaches: to its Service at the waypoint in ambient, else to its pods. */
  private policyAttachment(): object {
    return this.waypoint
      ? { targetRefs: [{ group: '', kind: 'Service', name: this.workloadName }] }
      : { selector: { matchLabels: this.podSelector() } };
  }

  private sidecarOnly(field: string, what: string): void {
    if (this.namespace.dataPlane !== DataPlane.SIDECAR) {
      throw configError(this, field, `${this.namespaceName} is an ambient namespace: its pods have no sidecar, so ${what} would do nothing`,
        'Run the workload in a sidecar namespace (HardenedNamespace dataPlane: DataPlane.SIDECAR) if it needs this bypass');
    }
  }

  /** A fresh copy of the labels that select the workload's pods. */
  private podSelector(): { [key: string]: string } {
    return { ...this.peerPodLabels };
  }

  private checkSecretStore(mount: SecretStoreMount): void {
    assertNoProblems(this, 'secretStore.secretProviderClass', checkDns1123Subdomain(mount.secretProviderClass ?? '').map((p) => `"${mount.secretProviderClass}" ${p}`),
      'Name the SecretProviderClass of this namespace');
    if (!/^\/[^\s]*$/.test(mount.mountPath ?? '') || mount.mountPath.split('/').includes('..')) {
      throw configError(this, 'secretStore.mountPath', `"${mount.mountPath}" is not an absolute path`, 'Use a path such as "/mnt/secrets"');
    }
  }

  /** Checks the probes, metrics, user and groups, and writable paths; returns the rendered probes. */
  private checkPodSettings(props: ServingWorkloadProps): { readinessProbe?: object; livenessProbe?: object; startupProbe?: object } {
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
      if (!this.probePorts.includes(probe.port)) this.probePorts = [...this.probePorts, probe.port].sort((a, b) => a - b);
    }
    if (props.metrics !== undefined) this.useMetrics(props.metrics.port, props.metrics.path ?? '/metrics');
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

  /** The app's metrics, merged by the sidecar agent into port 15020 (see ServingWorkloadProps.metrics). */
  private useMetrics(port: number, path: string): void {
    if (this.namespace.dataPlane === DataPlane.AMBIENT) {
      throw configError(this, 'metrics', `${this.namespaceName} is an ambient namespace: no sidecar merges the app's metrics into 15020`,
        'Grant the monitoring workload the app\'s metrics port with allowFrom (it must be in the mesh to pass STRICT mTLS), or run the workload in a sidecar namespace');
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535 || ISTIO_RESERVED_PORTS.includes(port)) {
      throw configError(this, 'metrics.port', `${port} is not a port the app can serve metrics on (1-65535, none of Istio's own listeners)`,
        'Name the container port the app serves /metrics on, e.g. 9090');
    }
    if (!/^\/[\x21-\x7e]*$/.test(path) || path.split('/').some((s) => s === '..' || s === '.')) {
      throw configError(this, 'metrics.path', `"${path}" is not an absolute, normalized HTTP path`, 'Use a path such as "/metrics"');
    }
    this.podAnnotations['prometheus.io/scrape'] = 'true';
    this.podAnnotations['prometheus.io/port'] = String(port);
    this.podAnnotations['prometheus.io/path'] = path;
  }

  private checkContainerPort(field: string, port: number): void {
    if (!this.ports.some((p) => (p.targetPort ?? p.port) === port)) {
      throw configError(this, field, `${port} is not a container port of ${this.workloadName}`,
        this.callsOnly ? 'A workload that only calls has no container port' : `Use one of ${this.ports.map((p) => p.targetPort ?? p.port).join(', ')}`);
    }
  }

  /** EXC-1 compensating control: only the namespace (or the named peers) may reach `ports`. */
  private compensatingIngress(suffix: string, ports: number[], from?: IMeshPeer[]): void {
    const peers = from?.length
      ? from.map((p) => podsInNamespace(p.peerNamespace, p.peerPodLabels))
      : [podsInNamespace(this.namespaceName)];
    networkPolicy(this, `Compensating-${suffix}`, objectName([this.workloadName, suffix]), this.namespaceName, {
      podSelector: { matchLabels: this.podSelector() },
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
}
