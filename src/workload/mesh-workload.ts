import { ApiObject, Lazy, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { requireException, resolveGrant } from './grant-resolution';
import { HardenedNamespace, SENSITIVE_DATA_LABEL } from './hardened-namespace';
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
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, networkPolicy } from '../network/network-policy';
import { podsInNamespace, sortedLabels, tcpPorts } from '../network/peers';
import { checkDns1035Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

interface GrantRecord {
  readonly key: string;
  readonly caller: IMeshPeer;
  readonly principal: string;
  readonly targetPorts: number[];
  readonly paths: string[];
  readonly methods: string[];
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

  /**
   * The hardened pod, for the kind to wrap in its Deployment, StatefulSet or Job (set by `_hardenPod`).
   *
   * @internal
   */
  protected _pod!: HardenedPodSpec;
  private readonly podAnnotations: { [key: string]: string } = {};
  private readonly grants: GrantRecord[] = [];
  private readonly egress = new Map<string, { to: EgressPeer; ports: Set<number> }>();
  private readonly jwtRules: JwtRequirement[] = [];
  private requestAuthentication?: ApiObject;

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

    // AUTHZ-1..3: ALLOW only what was granted; with no grant (always, for a workload that only calls) the policy matches nothing.
    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: this.workloadName, namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: this.podSelector() },
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.renderRules() }),
      },
    });

    // AUTHZ-4: the same callers, on the same container ports, at L3/L4 (none for a workload that only calls).
    networkPolicy(this, 'IngressPolicy', objectName([this.workloadName, 'ingress']), this.namespaceName, {
      podSelector: { matchLabels: this.podSelector() },
      policyTypes: ['Ingress'],
      ingress: () => this.renderIngress(),
    });
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

    const objects = [
      `AuthorizationPolicy/${this.namespaceName}/${this.workloadName}`,
      `NetworkPolicy/${this.namespaceName}/${objectName([this.workloadName, 'ingress'])}`,
    ];
    if (caller instanceof MeshWorkload) objects.push(...caller._allowEgressTo(this._asTarget(), targetPorts));
    const grant = new AccessGrant({ callerPrincipal: principal, target: `${this.namespaceName}/${this.workloadName}`, targetPorts, paths, methods, objects });
    this.grants.push({ key, caller, principal, targetPorts, paths, methods, grant });
    return grant;
  }

  /**
   * Requires a valid JWT of `issuer` on every request this workload allows (JWT-1). Emits the
   * RequestAuthentication that validates tokens, and makes each ALLOW rule also require a
   * request principal of a required issuer, so a request without a token is denied.
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
    this.jwtRules.push({ issuer: requirement.issuer, jwksUri: requirement.jwksUri, audiences: [...requirement.audiences] });
    // A plain ApiObject: the generated binding renders jwksUri as the deprecated jwks_uri alias.
    this.requestAuthentication ??= new ApiObject(this, 'RequestAuthentication', {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: objectName([this.workloadName, 'jwt']), namespace: this.namespaceName },
      spec: {
        selector: { matchLabels: this.podSelector() },
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
    const sidecarHost = target.namespaceName !== this.namespaceName ? `${target.namespaceName}/${target.host}` : undefined;
    return this._allowEgress({ namespace: target.peerNamespace, podLabels: target.peerPodLabels }, targetPorts, sidecarHost);
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
    const policyName = objectName([this.workloadName, 'egress']);
    if (!this.node.tryFindChild('EgressPolicy')) {
      networkPolicy(this, 'EgressPolicy', policyName, this.namespaceName, {
        podSelector: { matchLabels: this.podSelector() },
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
   * Adds a pod template annotation (read at synthesis).
   *
   * @internal
   */
  protected _annotatePods(key: string, value: string): void {
    this.podAnnotations[key] = value;
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
