import { PeerAuthn, effectiveMtls, indexPeerAuthentications, parsePeerAuthentications, peerAuthnLevels, ztunnelMtls } from './access-mtls';
import { renderMarkdown, renderTable } from './access-report';
import {
  AccessCheckResult, AccessEdge, AccessExample, AccessLayer, AccessMatrixOptions, AccessRequest, AccessTableOptions, AccessWorkload, TokenState,
} from './access-types';
import { Evaluation, GrantScope, Missing, Verdict, combine, decisionOf, headline, networkVerdict, publicVerdict } from './access-verdict';
import { AmbientModel, ServiceRoute, Waypoint } from './ambient';
import {
  AuthzOutcome, AuthzPolicy, AuthzRequest, RequestAttributes, RequestAuthn, allowRulePeerTests, candidateRequests, describeRule,
  evaluateAuthorization, indexPolicies, issuersOf, jwtHandlingOf, parseAttachedRequestAuthentications, parseAuthorizationPolicies,
  parseRequestAuthentications, policiesFor,
} from './authz-evaluator';
import { ClientTlsRule, clientTlsMode, parseDestinationRules } from './client-tls';
import { ExternalEntry, SidecarScope, exportedTo, parseServiceEntries, parseSidecars, sidecarSees } from './external-hosts';
import { renderMermaid } from './mermaid';
import {
  NetPolicy, NetPolicyIndex, NetworkOutcome, evaluateEgress, evaluateEgressToExternal, evaluateIngress, parseNetworkPolicies,
} from './network-evaluator';
import { DEFAULT_PATH_NORMALIZATION, PathNormalization, normalizeRequestPath } from './path-normalization';
import { proxyPortNotes } from './proxy-port-notes';
import { NamespaceInfo, PortProtocol, ScopeIndex, Workload, capturesInbound, capturesOutbound, compareStrings, discoverWorkloads } from './workloads';
import { forZtunnel } from './ztunnel-authz';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { GATEWAY_NAME_LABEL, HBONE_PORT, INGRESS_USE_WAYPOINT_LABEL, USE_WAYPOINT_LABEL } from '../mesh/data-plane';
import { proxyPortRole } from '../mesh/proxy-ports';
import { objectRef } from '../policy/rule';
import { ruleContext } from '../policy/rule-test-kit';
import { NET_GRANT_001 } from '../policy/rules/network-grant-pairing';

/**
 * One authorizing proxy of a path, as `authorizeAt` evaluates it: a sidecar, a waypoint (hop 1 of
 * a request through it) or a ztunnel (an ambient target's), with the policies that apply there.
 */
interface AuthzScope {
  /** Memo key of what does not depend on the caller. */
  readonly key: string;
  readonly layer: AccessLayer;
  /** Who enforces, in reasons (`shop/api`, `waypoint Gateway/shop/waypoint for Service shop/api`). */
  readonly subject: string;
  readonly applicable: AuthzPolicy[];
  /** The RequestAuthentications that apply there (none at a ztunnel). */
  readonly requestAuthns: RequestAuthn[];
  /** The host of requests (the Service's). */
  readonly host: string;
  /** What the proxy reads (a ztunnel: only TCP); default from the port. */
  readonly protocols?: ('http' | 'grpc' | 'tcp')[];
  /** Prepended to the verdict's reason: where and with which identity. */
  readonly prefix: string;
  readonly grantScope?: GrantScope;
  /** HTTP requests carry `host` as their Host header unless the question fixes one (an external host's requests). */
  readonly fixedHost?: boolean;
}

/**
 * An external host of the matrix: a host that MESH_EXTERNAL ServiceEntries register, at least one
 * of them served by a waypoint (the egress gateway of ambient mode).
 */
interface ExternalTarget {
  /** The host, lower-cased. */
  readonly host: string;
  /** The MESH_EXTERNAL ServiceEntries that register it, sorted by reference. */
  readonly entries: ExternalEntry[];
  /** Those served by a waypoint (or by one that is not in the input). */
  readonly served: ExternalEntry[];
  /** The ports of the served entries, sorted: the ports it is a target on. */
  readonly ports: number[];
  /** The host as the target of messages (`headline`): a workload-shaped node named after it. */
  readonly node: Workload;
}

/** A caller that is not an Istio gateway: the path of the mesh's own callers. */
const ANY_CALLER = { id: '', labels: {}, sidecar: false, origin: 'manifest' } as unknown as Workload;

/** Default width of `toTable()`: a terminal or a code review without scrolling. */
const TABLE_WIDTH = 120;

/**
 * Who can call whom, and why: the access matrix of a set of manifests, evaluated offline from
 * Istio AuthorizationPolicy, RequestAuthentication and PeerAuthentication and Kubernetes
 * NetworkPolicy (AUTHZ-1..4, JWT-1, MTLS-1, NETPOL-1; OPS-3's "see who talks to whom" without a
 * cluster).
 *
 * A call from workload A to workload B on port P is allowed when every layer it meets admits it,
 * in this order: A's egress NetworkPolicies, B's ingress NetworkPolicies, B's sidecar mTLS mode
 * (a plaintext caller is refused by STRICT), and B's authorization (CUSTOM, DENY, ALLOW, in
 * Istio's order). Attributes of the request that are not given (method, path, host, JWT, SNI) are
 * chosen to find an allowed request: the answer is "allowed" when some request is, and names it.
 * Anything the manifests cannot decide (an external authorizer, headers, IP addresses, unknown
 * conditions, namespace labels not in the input) makes the answer `UNKNOWN`, never a guess.
 *
 * A call that nothing grants is denied by default (a default-deny NetworkPolicy, an allow-nothing
 * AuthorizationPolicy): the answer names what is missing at each layer and how to grant it
 * (`missingGrants`). A call some layer refuses outright (a DENY rule, STRICT mTLS refusing a
 * plaintext caller) names that layer's policy. Ports are read with the protocol Istio selects from
 * the Services in front of them (`appProtocol`, else the port name): `http`, `grpc` (every call a
 * `POST`), `tcp`, or `auto` (sniffed).
 *
 * The ports the proxy serves itself in every injected pod, 15020 (pilot-agent: merged metrics,
 * readiness, rewritten app probes), 15021 (Envoy health) and 15090 (Envoy's Prometheus stats), are
 * never captured by the sidecar (Istio's iptables and CNI rules exclude them from inbound
 * redirection): no PeerAuthentication or AuthorizationPolicy governs them, so `check()` answers
 * them from NetworkPolicy alone and names the NetworkPolicy that admits the call. They are not
 * listed in `edges()` (they are not the workload's own ports); ask `check()` about them. Policy principals are read as Istio applies them in a mesh
 * of `trustDomain` and `trustDomainAliases`; principals of another trust domain match no workload,
 * and `warnings()` says which policies use one and how to set the trust domain.
 *
 * Ambient targets (namespace or pod `istio.io/dataplane-mode: ambient`, no sidecar) are evaluated
 * where ambient enforces: an ambient or sidecar caller reaches them over HBONE (mTLS, port 15008
 * for NetworkPolicy). When the Service addressed uses a waypoint (`istio.io/use-waypoint`), the
 * request makes two hops: caller -> waypoint, where the policies attached with `targetRefs` to the
 * Service or the waypoint decide with the caller's identity (L4 and L7, tokens of the
 * RequestAuthentications attached there), then waypoint -> target, where the target's ztunnel
 * applies its selector, namespace-wide and mesh-wide policies to the waypoint's identity. Without
 * a waypoint (or for an Istio gateway that the Service does not opt in with
 * `istio.io/ingress-use-waypoint`), the target's ztunnel applies them to the caller's identity,
 * L4 only: HTTP attributes fail closed as istiod converts them for ztunnel. The layers say
 * `waypoint` and `ztunnel`, and the reasons say which hop. Waypoints are hops, not workloads of
 * the matrix.
 *
 * External hosts behind an egress waypoint are targets too (`to: 'www.googleapis.com'`): a host
 * that a MESH_EXTERNAL ServiceEntry registers, when the ServiceEntry (or its namespace) names a
 * waypoint with `istio.io/use-waypoint` (istio.io docs/ambient/usage/egress-gateway). Every ambient
 * caller is sent to that waypoint (ztunnel ignores `exportTo`), and so is a sidecar caller whose
 * sidecar knows the host (the ServiceEntry exported to its namespace and imported by its Sidecar
 * resource). Hop 1, caller -> waypoint on 15008 (the caller's egress and the waypoint's ingress
 * NetworkPolicies), then the waypoint's authorization with the caller's identity: the policies
 * attached to the ServiceEntry, the waypoint's Gateway or the `istio-waypoint` GatewayClass, on
 * the ServiceEntry port, HTTP requests carrying the host as their Host header. Hop 2, waypoint ->
 * host: the waypoint's egress NetworkPolicies must admit any address (`0.0.0.0/0` or `::/0`) on
 * the port the host is reached on (`targetPort`, else the port): what a DNS name resolves to is
 * not known offline, so a narrower `ipBlock` makes the answer UNKNOWN. A caller whose traffic does
 * not reach the waypoint (outside the mesh, a port its sidecar does not capture) connects to the
 * host directly, and only its egress NetworkPolicies decide; a sidecar that does not know the host
 * (or an Istio gateway the ServiceEntry does not opt in) is denied when its NetworkPolicies refuse
 * a direct connection, and UNKNOWN otherwise (its outboundTrafficPolicy decides). Edges to such
 * hosts are listed as `caller -> host:port`. Istio egress gateways of sidecar mode stay workloads:
 * ask about the gateway.
 *
 * @example
 * const matrix = AccessMatrix.fromManifests(Testing.synth(chart), {
 *   workloads: [{ name: 'istio-ingressgateway', namespace: 'istio-system',
 *     serviceAccount: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway' } }],
 * });
 * matrix.check({ from: 'bookinfo/reviews', to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/1' });
 * // { allowed: true, decidedBy: 'AuthorizationPolicy/bookinfo/ratings', layer: 'authorization', ... }
 */
export class AccessMatrix {
  /**
   * Builds the matrix of `objects` (plain Kubernetes objects: `Testing.synth(chart)` output or
   * loaded YAML).
   */
  public static fromManifests(objects: any[], options: AccessMatrixOptions = {}): AccessMatrix {
    return new AccessMatrix(objects, options);
  }

  private readonly trustDomain: string;
  private readonly trustDomainAliases: string[];
  private readonly pathNormalization: PathNormalization;
  private readonly destinationRules: ClientTlsRule[];
  private readonly rootNamespace: string;
  private readonly all: Workload[];
  private readonly namespaces: Map<string, NamespaceInfo>;
  private readonly authz: AuthzPolicy[];
  /** Policies with targetRefs (enforced by waypoints). */
  private readonly attachedAuthz: AuthzPolicy[];
  private readonly requestAuthns: RequestAuthn[];
  /** RequestAuthentications with targetRefs (validated by waypoints). */
  private readonly attachedRequestAuthns: RequestAuthn[];
  private readonly ambient: AmbientModel;
  /** Sidecar resources (which hosts a sidecar caller imports). */
  private readonly sidecars: SidecarScope[];
  /** Every ServiceEntry of the input, sorted by reference. */
  private readonly serviceEntries: ExternalEntry[];
  /** External hosts behind a waypoint, by host (lower-cased), sorted by host. */
  private readonly externalTargets = new Map<string, ExternalTarget>();
  private readonly peerAuthns: PeerAuthn[];
  private readonly netPolicies: NetPolicy[];
  private readonly authzIndex: ScopeIndex<AuthzPolicy>;
  private readonly requestAuthnIndex: ScopeIndex<RequestAuthn>;
  private readonly peerAuthnIndex: ScopeIndex<PeerAuthn>;
  private readonly netIndex: NetPolicyIndex;
  private readonly policyByRef = new Map<string, AuthzPolicy>();
  /** Workload positions (in `all`) by principal. */
  private readonly byPrincipal = new Map<string, number[]>();
  private readonly notes: string[];
  private readonly trustDomainNotes: string[];
  private edgeCache?: AccessEdge[];
  /** The objects, for the pairing check of `oneSidedGrants`. */
  private readonly objects: readonly any[];
  private oneSidedCache?: string[];
  /** Per-target (and per-port) results that do not depend on the caller. */
  private readonly memo = new Map<string, any>();

  private constructor(objects: any[], options: AccessMatrixOptions) {
    if (!Array.isArray(objects)) throw new Error('AccessMatrix.fromManifests: objects must be an array of Kubernetes objects');
    this.objects = objects;
    const settings = SecureMeshConfig.load(options.config, {
      trustDomain: options.trustDomain,
      trustDomainAliases: options.trustDomainAliases,
      rootNamespace: options.rootNamespace,
    });
    this.trustDomain = settings.trustDomain;
    this.trustDomainAliases = [...new Set(settings.trustDomainAliases)].filter((a) => a !== this.trustDomain);
    this.rootNamespace = settings.rootNamespace;
    this.pathNormalization = options.pathNormalization ?? DEFAULT_PATH_NORMALIZATION;
    if (!Object.values(PathNormalization).includes(this.pathNormalization)) {
      throw new Error(`pathNormalization must be one of ${Object.values(PathNormalization).join(', ')}, got ${JSON.stringify(this.pathNormalization)}`);
    }
    const discovery = discoverWorkloads(objects, {
      trustDomain: this.trustDomain,
      rootNamespace: this.rootNamespace,
      declared: options.workloads ?? [],
      inferGateways: options.inferGateways ?? true,
    });
    this.namespaces = discovery.namespaces;
    this.ambient = new AmbientModel(objects, discovery.workloads, discovery.namespaces,
      { trustDomain: this.trustDomain, rootNamespace: this.rootNamespace });
    // The pods of a waypoint are a hop of the requests it serves, not a workload of the matrix.
    this.all = discovery.workloads.filter((w) => !this.ambient.isWaypointPods(w));
    this.sidecars = parseSidecars(objects);
    this.serviceEntries = parseServiceEntries(objects);
    const entryNotes = this.indexExternalTargets(this.serviceEntries);
    const servedEntries = new Set([...this.externalTargets.values()].flatMap((t) => t.served.map((e) => `${e.namespace}/${e.name}`)));
    const parsed = parseAuthorizationPolicies(objects, { trustDomain: this.trustDomain, aliases: this.trustDomainAliases },
      (namespace, name) => servedEntries.has(`${namespace}/${name}`));
    this.authz = parsed.policies;
    this.attachedAuthz = parsed.attached;
    this.requestAuthns = parseRequestAuthentications(objects);
    this.attachedRequestAuthns = parseAttachedRequestAuthentications(objects);
    this.peerAuthns = parsePeerAuthentications(objects);
    this.netPolicies = parseNetworkPolicies(objects);
    this.destinationRules = parseDestinationRules(objects);
    this.authzIndex = indexPolicies(this.authz);
    this.requestAuthnIndex = indexPolicies(this.requestAuthns);
    this.peerAuthnIndex = indexPeerAuthentications(this.peerAuthns);
    this.netIndex = new NetPolicyIndex(this.netPolicies);
    for (const p of [...this.authz, ...this.attachedAuthz]) if (!this.policyByRef.has(p.ref)) this.policyByRef.set(p.ref, p);
    this.all.forEach((w, i) => {
      const list = this.byPrincipal.get(w.principal);
      if (list) list.push(i); else this.byPrincipal.set(w.principal, [i]);
    });
    this.trustDomainNotes = [...new Set(parsed.trustDomainWarnings)].sort(compareStrings);
    const notes = [...discovery.warnings, ...parsed.warnings, ...parsed.trustDomainWarnings, ...proxyPortNotes(this.authz),
      ...this.ambient.notes, ...this.ambient.attachmentNotes([...this.attachedAuthz, ...this.attachedRequestAuthns], this.rootNamespace),
      ...this.ambientNotes(), ...entryNotes];
    for (const w of this.all) {
      notes.push(...peerAuthnLevels(this.peerAuthns, w, this.rootNamespace, this.peerAuthnIndex).warnings);
      // Unknown ports matter only where a caller could be admitted: not under ALLOW policies that all allow nothing (a workload that only calls).
      const allows = this.applicableAuthz(w).filter((p) => p.action === 'ALLOW');
      const grantable = allows.length === 0 || allows.some((p) => p.rules.length > 0);
      if (w.ports.length === 0 && grantable) {
        notes.push(`${w.id}: no port is known (no container port, Service or policy names one), so nothing can call it in the matrix`);
      }
      if (w.sidecarReason.startsWith('assumed')) notes.push(`${w.id}: sidecar ${w.sidecarReason}`);
    }
    this.notes = [...new Set(notes)].sort(compareStrings);
  }

  /**
   * Files the hosts of the MESH_EXTERNAL ServiceEntries that a waypoint serves as targets; returns
   * notes about those whose waypoint is not in the input.
   */
  private indexExternalTargets(entries: readonly ExternalEntry[]): string[] {
    const notes: string[] = [];
    const byHost = new Map<string, { entries: ExternalEntry[]; served: ExternalEntry[] }>();
    for (const e of entries.filter((x) => x.location === 'MESH_EXTERNAL')) {
      const route = this.ambient.entryRoute(ANY_CALLER, e);
      const served = route.waypoint !== undefined || route.unknown !== undefined;
      if (route.unknown !== undefined) notes.push(`${route.unknown}: requests to ${e.hosts.join(', ')} through it are answered UNKNOWN`);
      // A wildcard host names no host a caller can ask about (and ztunnel needs an address to capture).
      for (const host of e.hosts.filter((h) => !h.startsWith('*'))) {
        const t = byHost.get(host) ?? { entries: [], served: [] };
        t.entries.push(e);
        if (served) t.served.push(e);
        byHost.set(host, t);
      }
    }
    for (const host of [...byHost.keys()].sort(compareStrings)) {
      const t = byHost.get(host)!;
      if (t.served.length === 0) continue;
      const namespace = t.served[0].namespace;
      this.externalTargets.set(host, {
        host,
        entries: t.entries,
        served: t.served,
        ports: [...new Set(t.served.flatMap((e) => e.ports.map((p) => p.number)))].sort((a, b) => a - b),
        node: {
          id: host,
          kind: 'ExternalHost',
          name: host,
          namespace,
          serviceAccount: '',
          principal: '',
          labels: {},
          ports: [],
          sidecar: false,
          sidecarReason: 'an external host',
          dataPlane: 'none',
          dataPlaneReason: 'an external host',
          origin: 'manifest',
          excludeInboundPorts: [],
          excludeOutboundPorts: [],
          excludesOutboundIpRanges: false,
        },
      });
    }
    return notes;
  }

  /** The workloads, sorted by id. */
  public workloads(): AccessWorkload[] {
    return this.all.map((w) => ({
      id: w.id,
      name: w.name,
      namespace: w.namespace,
      kind: w.kind,
      serviceAccount: w.serviceAccount,
      principal: w.principal,
      labels: { ...w.labels },
      ports: w.ports.map((p) => p.port),
      sidecar: w.sidecar,
      dataPlane: w.dataPlane,
      origin: w.origin,
    }));
  }

  /**
   * Grants written on one side only (NET-GRANT-001), as `Kind/namespace/name path: message`, sorted:
   * a target's ALLOW rule for a caller whose egress NetworkPolicy does not open the target, or an
   * egress rule to pods that do not admit the caller. Over several repositories' outputs together,
   * these are the grants whose other half the other repository did not write (or revoked); the
   * matrix shows neither as a call, since neither works.
   */
  public oneSidedGrants(): string[] {
    if (!this.oneSidedCache) {
      const context = ruleContext(this.objects.filter((o) => o && typeof o === 'object'), { rootNamespace: this.rootNamespace });
      this.oneSidedCache = (NET_GRANT_001.checkAll?.(context) ?? [])
        .map(({ object, violation }) => `${object ? objectRef(object) : '(objects)'} ${violation.path}: ${violation.message}`)
        .sort(compareStrings);
    }
    return [...this.oneSidedCache];
  }

  /**
   * What the evaluation assumed or could not use (inferred gateways, ignored policies, ambiguities,
   * policies naming principals of another trust domain), sorted.
   */
  public warnings(): string[] {
    return [...this.notes];
  }

  /**
   * The warnings about policies naming principals of another trust domain than the one evaluated
   * (also in `warnings()`): the CLI prints them with every answer.
   * @internal
   */
  public _trustDomainWarnings(): string[] {
    return [...this.trustDomainNotes];
  }

  /**
   * Every caller -> target:port allowed at both L7 and L4 (`decision: ALLOWED`), and those that
   * may be (`decision: UNKNOWN`), with the policies behind each; sorted by caller, target, port. A
   * workload calling itself is not listed. Targets include the external hosts behind an egress
   * waypoint (`caller -> host:port`, on each port of their ServiceEntries).
   */
  public edges(): AccessEdge[] {
    if (!this.edgeCache) {
      // Targets outer, so that only the callers that can be admitted are evaluated; edges are
      // collected per caller, which keeps the order by caller, target, port.
      const byCaller: AccessEdge[][] = this.all.map(() => []);
      const everyone = this.all.map((_, i) => i);
      for (const target of this.all) {
        for (const p of target.ports) {
          for (const ci of this.candidateCallers(target, p.port) ?? everyone) {
            const edge = this.edgeOf(this.all[ci], target, p.port);
            if (edge) byCaller[ci].push(edge);
          }
        }
      }
      this.edgeCache = byCaller.map((edges, ci) => this.withExternalEdges(this.all[ci], edges)).flat();
    }
    return this.edgeCache.map((e) => ({ ...e }));
  }

  /**
   * The edges by evaluating every caller x target x port (no candidate narrowing): the reference
   * `edges()` must equal (tests).
   * @internal
   */
  public _allPairsEdges(): AccessEdge[] {
    const out: AccessEdge[] = [];
    for (const caller of this.all) {
      const edges: AccessEdge[] = [];
      for (const target of this.all) {
        for (const p of target.ports) {
          const edge = this.edgeOf(caller, target, p.port);
          if (edge) edges.push(edge);
        }
      }
      out.push(...this.withExternalEdges(caller, edges));
    }
    return out;
  }

  /**
   * `edges` of `caller` (to workloads, sorted by target and port) with its edges to the external
   * hosts behind a waypoint, in the same order.
   */
  private withExternalEdges(caller: Workload, edges: AccessEdge[]): AccessEdge[] {
    const external: AccessEdge[] = [];
    for (const target of this.externalTargets.values()) {
      for (const port of target.ports) {
        const edge = this.edgeFrom(caller, target.host, port, this.evaluateExternal(caller, target, port, {}, true));
        if (edge) external.push(edge);
      }
    }
    if (external.length === 0) return edges;
    return [...edges, ...external].sort((a, b) => compareStrings(a.to, b.to) || a.port - b.port);
  }

  /** The edge caller -> target:port, or undefined when it is denied (or the caller is the target). */
  private edgeOf(caller: Workload, target: Workload, port: number): AccessEdge | undefined {
    if (caller.id === target.id) return undefined;
    return this.edgeFrom(caller, target.id, port, this.evaluate(caller, target, port, {}, true));
  }

  /** The edge caller -> `to`:port of an evaluation, or undefined when it is denied. */
  private edgeFrom(caller: Workload, to: string, port: number, ev: Evaluation): AccessEdge | undefined {
    if (ev.value === false) return undefined;
    return {
      from: caller.id,
      to,
      port,
      protocol: ev.protocol,
      allowed: ev.value === true,
      decision: decisionOf(ev.value),
      allowedBy: ev.allowingRules,
      conditions: ev.conditions,
      networkIngress: ev.networkIngress,
      networkEgress: ev.networkEgress,
      mtlsMode: ev.mtlsMode,
      mtlsPolicy: ev.mtlsPolicy,
      plaintextAccepted: ev.plaintextAccepted,
      layers: ev.layers.map(publicVerdict),
      example: ev.example,
    };
  }

  /**
   * Answers one question and names the policy that decided it; when nothing grants the call, what
   * is missing and how to grant it. Throws when `from` or `to` names no workload (or several);
   * `to` may name an external host behind an egress waypoint instead (see the class
   * documentation), and then `port` must be a port of its ServiceEntry.
   */
  public check(request: AccessRequest): AccessCheckResult {
    const caller = this.resolve(request.from, 'from');
    const external = this.externalTargetOf(request.to);
    const target = external ? external.node : this.resolve(request.to, 'to');
    if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
      throw new Error(`check: port must be an integer between 1 and 65535, got ${request.port}`);
    }
    if (external) this.checkExternalPort(external, request.port);
    const { port, note, service } = external ? { port: request.port, note: undefined, service: undefined } : this.targetPort(target, request.port);
    const path = this.normalizedPath(request.path);
    if (request.token !== undefined && !Object.values(TokenState).includes(request.token)) {
      throw new Error(`check: token must be one of ${Object.values(TokenState).join(', ')}, got ${JSON.stringify(request.token)}`);
    }
    if (request.token !== undefined && request.jwtIssuer !== undefined) {
      throw new Error('check: token and jwtIssuer exclude each other (jwtIssuer states a valid token)');
    }
    const fixed: RequestAttributes = {
      token: request.token,
      method: request.method,
      path: path?.normalized,
      host: request.host,
      jwtIssuer: request.jwtIssuer,
      jwtSubject: request.jwtSubject,
      sni: request.sni,
    };
    const ev = external ? this.evaluateExternal(caller, external, port, fixed, false) : this.evaluate(caller, target, port, fixed, false, service);
    const head = headline(ev, caller, target, port, fixed, this.policyByRef);
    const proxyNote = ev.proxyPortNote !== undefined && !head.reason.includes(ev.proxyPortNote) ? `; ${ev.proxyPortNote}` : '';
    return {
      allowed: ev.value === true,
      decision: decisionOf(ev.value),
      decidedBy: head.decidedBy,
      layer: head.layer,
      reason: `${head.reason}${proxyNote}${note ? ` (${note})` : ''}${path?.note ? ` (${path.note})` : ''}`,
      missingGrants: head.missingGrants,
      layers: ev.layers.map(publicVerdict),
      from: caller.id,
      to: target.id,
      port,
      example: ev.example,
      conditions: ev.conditions,
    };
  }

  /**
   * A text table of the edges (for terminals), followed by the number of edges and the warnings.
   * Cells are wrapped so that no line is longer than `maxWidth`.
   */
  public toTable(options: AccessTableOptions = {}): string {
    const maxWidth = options.maxWidth ?? TABLE_WIDTH;
    if (!Number.isInteger(maxWidth) || maxWidth < 0) throw new Error(`toTable: maxWidth must be a whole number of characters (0: no limit), got ${maxWidth}`);
    return renderTable(this.edges(), this.warnings(), maxWidth);
  }

  /** A Markdown table of the edges followed by the Mermaid graph (for READMEs and pull requests). */
  public toMarkdown(): string {
    return renderMarkdown(this.edges(), this.toMermaid());
  }

  /** The matrix as a JSON-ready object: options, workloads, edges and warnings. */
  public toJson(): any {
    return {
      trustDomain: this.trustDomain,
      trustDomainAliases: [...this.trustDomainAliases],
      rootNamespace: this.rootNamespace,
      workloads: this.workloads(),
      edges: this.edges(),
      warnings: this.warnings(),
    };
  }

  /** A Mermaid `graph LR` of the edges: one subgraph per namespace, stable node ids, ports on the edges. */
  public toMermaid(): string {
    return renderMermaid(this.workloads(), this.edges());
  }

  private resolve(ref: string, what: string): Workload {
    if (typeof ref !== 'string' || ref.length === 0) throw new Error(`check: ${what} must name a workload as namespace/name`);
    const exact = this.all.find((w) => w.id === ref);
    if (exact) return exact;
    const slash = ref.indexOf('/');
    const found = slash >= 0
      ? this.all.filter((w) => w.namespace === ref.slice(0, slash) && w.name === ref.slice(slash + 1))
      : this.all.filter((w) => w.name === ref);
    if (found.length === 1) return found[0];
    const wp = this.ambient.waypoint(ref);
    if (wp) throw new Error(`check: ${what} "${ref}" is the waypoint ${wp.ref}, a hop of the requests it serves, not a workload: ask about the workloads behind it`);
    const known = this.all.map((w) => w.id).join(', ');
    if (found.length > 1) throw new Error(`check: ${what} "${ref}" is ambiguous (${found.map((w) => w.id).join(', ')}); use namespace/name`);
    if (what === 'to' && slash < 0 && ref.includes('.')) throw new Error(this.unknownHostMessage(ref, known));
    throw new Error(`check: ${what} "${ref}" is not a workload of the input (known: ${known || 'none'}); declare workloads that are not in the manifests (gateways) with the workloads option`);
  }

  /**
   * The external host `ref` names (a host of a MESH_EXTERNAL ServiceEntry that a waypoint serves),
   * or undefined when it names none (then it must name a workload). A bare name that is both a
   * host and a workload's name is ambiguous.
   */
  private externalTargetOf(ref: string): ExternalTarget | undefined {
    if (typeof ref !== 'string' || ref.includes('/')) return undefined;
    const target = this.externalTargets.get(ref.toLowerCase());
    if (!target) return undefined;
    const same = this.all.filter((w) => w.name === ref);
    if (same.length > 0) {
      throw new Error(`check: to "${ref}" is ambiguous: the external host ${target.host} and ${same.map((w) => w.id).join(', ')}; use namespace/name for a workload`);
    }
    return target;
  }

  /** Why `ref` (a host name) is not a target: no ServiceEntry registers it, or no waypoint serves those that do. */
  private unknownHostMessage(ref: string, known: string): string {
    const host = ref.toLowerCase();
    const hosts = [...this.externalTargets.keys()];
    const registering = this.serviceEntries.filter((e) => e.hosts.includes(host));
    if (registering.length > 0) {
      const why = registering.map((e) => (e.location !== 'MESH_EXTERNAL' ? `${e.ref} is ${e.location}`
        : `${e.ref} uses no waypoint (${this.ambient.entryRoute(ANY_CALLER, e).why})`)).join('; ');
      return `check: to "${ref}" is an external host, but no MESH_EXTERNAL ServiceEntry served by a waypoint registers it: ${why}. `
        + `The access matrix evaluates external hosts behind an egress waypoint (${USE_WAYPOINT_LABEL} on the ServiceEntry or its namespace); `
        + 'for an Istio egress gateway (sidecar mode), ask about the gateway workload';
    }
    return `check: to "${ref}" is not a workload of the input (known: ${known || 'none'}), nor an external host that a MESH_EXTERNAL ServiceEntry `
      + `served by a waypoint registers (external hosts: ${hosts.join(', ') || 'none'})`;
  }

  /** Throws unless `port` is a port of a ServiceEntry of `target` served by a waypoint. */
  private checkExternalPort(target: ExternalTarget, port: number): void {
    if (target.ports.includes(port)) return;
    const ports = (e: ExternalEntry) => e.ports.map((p) => (p.targetPort !== p.number ? `${p.number} (targetPort ${p.targetPort})` : `${p.number}`)).join(', ');
    const other = target.entries.find((e) => !target.served.includes(e) && e.ports.some((p) => p.number === port));
    if (other) {
      throw new Error(`check: port ${port} of ${target.host} is registered by ${other.ref}, which uses no waypoint `
        + `(${this.ambient.entryRoute(ANY_CALLER, other).why}): not evaluated`);
    }
    throw new Error(`check: port ${port} is not a port of ${target.host} (${target.served.map((e) => `${e.ref}: ${ports(e) || 'none'}`).join('; ')}); `
      + 'ask about the port the caller addresses');
  }

  /**
   * The callers (positions in `all`, ascending) that may be admitted at `target`:`port`, or
   * undefined when any may be. Only the authorization layer narrows them: when the target's sidecar
   * enforces policy on the port and ALLOW policies apply, a request must match an ALLOW rule, and a
   * rule whose every source names principals, namespaces or service accounts matches only callers
   * whose principal passes one of them (a plaintext request has none). Every other caller is
   * denied by the ALLOW layer whatever the request, so evaluating it could only yield `false`.
   */
  private candidateCallers(target: Workload, port: number): number[] | undefined {
    // An ambient target's ztunnel may see a waypoint's identity instead of the caller's: every caller is a candidate.
    if (target.dataPlane === 'ambient' || !capturesInbound(target, port)) return undefined;
    const applicable = this.applicableAuthz(target);
    const allows = applicable.filter((p) => p.action === 'ALLOW');
    if (allows.length === 0) return undefined;
    const found = new Set<number>();
    for (const policy of allows) {
      for (const rule of policy.rules) {
        const tests = allowRulePeerTests(rule, policy);
        if (tests === undefined) return undefined;
        for (const t of tests) {
          if (t.exact) {
            for (const principal of t.exact) for (const i of this.byPrincipal.get(principal) ?? []) if (t.test(principal)) found.add(i);
          } else {
            this.all.forEach((w, i) => { if (t.test(w.principal)) found.add(i); });
          }
        }
      }
    }
    return [...found].sort((a, b) => a - b);
  }

  /**
   * The request path as the proxy matches it: Envoy normalizes it (Istio's setting) before the
   * RBAC filter runs, and forwards the normalized path (istio.io reference/config/security/normalization).
   */
  private normalizedPath(path: string | undefined): { normalized: string; note?: string } | undefined {
    if (path === undefined) return undefined;
    const result = normalizeRequestPath(path, this.pathNormalization);
    if ('rejected' in result) throw new Error(`check: the proxy refuses path ${JSON.stringify(path)} before authorization: ${result.rejected}`);
    return result.path === path ? { normalized: path }
      : { normalized: result.path, note: `path ${path} is ${result.path} after Istio's ${this.pathNormalization} path normalization` };
  }

  private applicableAuthz(target: Workload): AuthzPolicy[] {
    return this.cached(`authz:${target.id}`, () => policiesFor(this.authz, target, this.rootNamespace, this.authzIndex));
  }

  /** A container port of the target, or the targetPort of a Service port in front of it (and that Service, `namespace/name:port`). */
  private targetPort(target: Workload, port: number): { port: number; note?: string; service?: string } {
    if (target.ports.some((p) => p.port === port)) return { port };
    const viaService = target.ports.find((p) => p.services.some((s) => s.endsWith(`:${port}`)));
    if (viaService) {
      const svc = viaService.services.find((s) => s.endsWith(`:${port}`));
      return { port: viaService.port, note: `Service port ${svc} targets container port ${viaService.port}`, service: svc };
    }
    return { port };
  }

  private evaluate(caller: Workload, target: Workload, port: number, fixed: RequestAttributes, shortCircuit: boolean, service?: string): Evaluation {
    if (target.dataPlane === 'ambient') return this.evaluateAmbient(caller, target, port, fixed, shortCircuit, service);
    const portInfo = target.ports.find((p) => p.port === port);
    const portProtocol: PortProtocol = portInfo?.protocol ?? 'auto';
    // An ambient caller's ztunnel reaches a sidecar over HBONE: port 15008 of the pod, with the caller's identity.
    const hbone = caller.dataPlane === 'ambient' && target.sidecar;
    const netPort = hbone ? HBONE_PORT : port;
    const egress = evaluateEgress(this.netPolicies, caller, target, netPort, this.namespaces, this.netIndex);
    const ingress = shortCircuit && egress.value === false ? egress
      : evaluateIngress(this.netPolicies, caller, target, netPort, this.namespaces, this.netIndex);
    const networkLayers: Verdict[] = hbone ? this.directNetwork(caller, target, port, egress, ingress) : [
      networkVerdict('caller egress', egress),
      networkVerdict('target ingress', ingress),
    ];
    const empty: AccessExample = { protocol: portProtocol === 'tcp' || portProtocol === 'grpc' ? portProtocol : 'http' };
    if (shortCircuit && (egress.value === false || ingress.value === false)) {
      return combine(networkLayers, portProtocol, empty, [], [], egress, ingress, { mode: 'NONE', policy: '', plaintext: false });
    }

    // mTLS: does the target's sidecar accept the connection, and does the request carry the caller's identity?
    let principal: string | undefined;
    let mtls: Verdict;
    let mtlsInfo: { mode: string; policy: string; plaintext: boolean };
    let authz: Verdict;
    let example = empty;
    let allowingRules: string[] = [];
    let conditions: string[] = [];
    const role = target.sidecar ? proxyPortRole(port) : undefined;
    if (role !== undefined) {
      // The proxy's own port: never captured, so L4 alone decides (see mesh/proxy-ports.ts).
      const bypass = `port ${port} of ${target.id} is ${role}, served by the proxy itself and never captured by the sidecar `
        + '(Istio excludes 15020, 15021 and 15090 from inbound redirection)';
      const only = `AuthorizationPolicy cannot govern port ${port} (${role}) because the sidecar does not capture it: only NetworkPolicy decides`;
      mtls = { layer: AccessLayer.MTLS, value: true, decidedBy: '', reason: `${bypass}: no PeerAuthentication applies, plaintext is accepted`, policies: [] };
      authz = { layer: AccessLayer.AUTHORIZATION, value: true, decidedBy: '', reason: only, policies: [] };
      // Allowed: the NetworkPolicy that admits it at the target is what decided.
      const decider: Verdict = { ...networkLayers[1], reason: `${networkLayers[1].reason}; ${only}` };
      const ev = combine([...networkLayers, mtls, authz], portProtocol, empty, [], ['any request (mesh policy not enforced)'], egress, ingress,
        { mode: 'NONE', policy: '', plaintext: true }, decider);
      return { ...ev, proxyPortNote: only };
    } else if (!capturesInbound(target, port)) {
      const why = target.sidecar
        ? `port ${port} of ${target.id} bypasses its sidecar (traffic.sidecar.istio.io annotations)`
        : `${target.id} has no sidecar (${target.sidecarReason})`;
      mtls = { layer: AccessLayer.MTLS, value: true, decidedBy: '', reason: `${why}: plaintext is accepted`, policies: [] };
      mtlsInfo = { mode: 'NONE', policy: '', plaintext: true };
      authz = { layer: AccessLayer.AUTHORIZATION, value: true, decidedBy: '', reason: `${why}: no authorization policy is enforced`, policies: [] };
      conditions = ['any request (mesh policy not enforced)'];
    } else {
      const eff = this.cached(`mtls:${target.id}:${port}`, () => effectiveMtls(this.peerAuthns, target, port, this.rootNamespace, this.peerAuthnIndex));
      // The caller's DestinationRule can turn Istio mTLS off for this host (tls DISABLE): its sidecar then sends plaintext.
      const clientTls = caller.sidecar ? this.cached(`ctls:${caller.id}:${target.id}:${port}`,
        () => clientTlsMode(this.destinationRules, caller, target, port, this.rootNamespace)) : undefined;
      const disabledByClient = clientTls?.mode === 'DISABLE' ? clientTls : undefined;
      const callerSendsMtls = hbone || (capturesOutbound(caller, port) && !disabledByClient);
      mtlsInfo = { mode: eff.mode, policy: eff.decidedBy, plaintext: eff.mode !== 'STRICT' };
      if (!callerSendsMtls) {
        const why = disabledByClient ? `${disabledByClient.ref} sets tls DISABLE for ${disabledByClient.host} in ${caller.id}'s sidecar`
          : caller.sidecar ? `port ${port} is excluded from ${caller.id}'s sidecar` : `${caller.id} has no sidecar (${caller.sidecarReason})`;
        const clientPolicies = disabledByClient ? [disabledByClient.ref] : [];
        mtls = eff.mode === 'STRICT'
          ? {
            layer: AccessLayer.MTLS,
            value: false,
            decidedBy: eff.decidedBy,
            reason: `${target.id} requires mTLS on port ${port} (${eff.reason}) and ${why}, so it sends plaintext`,
            policies: [eff.decidedBy, ...clientPolicies],
          }
          : {
            layer: AccessLayer.MTLS,
            value: true,
            decidedBy: eff.decidedBy,
            reason: `plaintext accepted (${eff.mode}: ${eff.reason}); ${why}, so the request has no peer identity`,
            policies: [...(eff.decidedBy ? [eff.decidedBy] : []), ...clientPolicies],
          };
      } else if (hbone) {
        principal = caller.principal;
        mtls = {
          layer: AccessLayer.MTLS,
          value: true,
          decidedBy: eff.decidedBy,
          reason: `HBONE (mTLS) from ${caller.id}'s ztunnel with peer identity ${caller.principal} (${eff.mode}: ${eff.reason})`,
          policies: eff.decidedBy ? [eff.decidedBy] : [],
        };
      } else if (eff.mode === 'DISABLE') {
        mtls = { layer: AccessLayer.MTLS, value: true, decidedBy: eff.decidedBy, reason: `mTLS disabled (${eff.reason}): plaintext, the request has no peer identity`, policies: [eff.decidedBy] };
      } else if (caller.excludesOutboundIpRanges) {
        principal = caller.principal;
        mtls = { layer: AccessLayer.MTLS, value: 'unknown', decidedBy: eff.decidedBy, reason: `${caller.id} excludes outbound IP ranges from its sidecar; whether ${target.id}'s addresses are among them is not known`, policies: eff.decidedBy ? [eff.decidedBy] : [] };
      } else {
        principal = caller.principal;
        mtls = { layer: AccessLayer.MTLS, value: true, decidedBy: eff.decidedBy, reason: `mTLS (${eff.mode}: ${eff.reason}) with peer identity ${caller.principal}`, policies: eff.decidedBy ? [eff.decidedBy] : [] };
      }
      if (shortCircuit && mtls.value === false) {
        return combine([...networkLayers, mtls], portProtocol, empty, [], [], egress, ingress, mtlsInfo);
      }
      const r = this.authorizeAt(this.sidecarScope(target, port), port, portProtocol, principal, fixed);
      authz = r.verdict;
      example = r.example;
      allowingRules = r.allowingRules;
      conditions = r.conditions;
    }
    return combine([...networkLayers, mtls, authz], portProtocol, example, allowingRules, conditions, egress, ingress, mtlsInfo);
  }

  /**
   * An ambient target: the caller's traffic goes over HBONE (an ambient or sidecar caller) or in
   * plaintext (a caller outside the mesh), through the waypoint of the Service it addresses or
   * straight to the target's ztunnel (see the class documentation).
   */
  private evaluateAmbient(caller: Workload, target: Workload, port: number, fixed: RequestAttributes, shortCircuit: boolean,
    requestedService?: string): Evaluation {
    const portInfo = target.ports.find((p) => p.port === port);
    const portProtocol: PortProtocol = portInfo?.protocol ?? 'auto';
    // The caller addresses the Service it asks for, else the Service in front of the port (its VIP), else the pod's IP.
    const serviceEntry = requestedService ?? portInfo?.services[0];
    const serviceKey = serviceEntry === undefined ? undefined : serviceEntry.slice(0, serviceEntry.lastIndexOf(':'));
    // Sidecars send HBONE to ambient destinations (istio.io docs/ambient/usage/add-workloads, "Pods inside the mesh in sidecar mode").
    const excluded = caller.sidecar && !capturesOutbound(caller, port);
    const hbone = caller.dataPlane === 'ambient' || (caller.sidecar && !excluded);
    const route = hbone ? this.cached(`route:${caller.id}:${serviceKey}`, () => this.ambient.route(caller, serviceKey)) : undefined;
    const protocolOf = (): AccessExample['protocol'] => (portProtocol === 'tcp' || portProtocol === 'grpc' ? portProtocol : 'http');
    if (route?.unknown !== undefined) {
      const svc = this.ambient.service(route.service ?? '');
      const verdict: Verdict = {
        layer: AccessLayer.WAYPOINT,
        value: 'unknown',
        decidedBy: svc ? `Service/${svc.namespace}/${svc.name}` : '',
        reason: route.unknown,
        policies: [],
      };
      const none: NetworkOutcome = { value: 'unknown', decidedBy: '', reason: route.unknown, policies: [] };
      return combine([verdict], portProtocol, { protocol: protocolOf() }, [], [], none, none, { mode: 'NONE', policy: '', plaintext: false });
    }
    const eff = this.cached(`zmtls:${target.id}:${port}`, () => ztunnelMtls(this.peerAuthns, target, port, this.rootNamespace, this.peerAuthnIndex));
    const mtlsInfo = { mode: eff.mode, policy: eff.decidedBy, plaintext: eff.mode !== 'STRICT' };
    const mtlsPolicies = eff.decidedBy ? [eff.decidedBy] : [];
    const sender = caller.dataPlane === 'ambient' ? `${caller.id}'s ztunnel` : `${caller.id}'s sidecar`;
    // A sidecar that excludes outbound IP ranges may skip itself for the target's (or the waypoint's) address.
    const ipRangesUnknown = caller.sidecar && caller.excludesOutboundIpRanges;

    if (route?.waypoint) {
      const wp = route.waypoint;
      const pods = wp.pods;
      // Hop 1: caller -> waypoint on 15008, authorized by the waypoint with the caller's identity.
      const { egress1, ingress1, layers } = this.hopToWaypoint(caller, wp, shortCircuit);
      const empty: AccessExample = { protocol: protocolOf() };
      if (shortCircuit && (egress1.value === false || ingress1.value === false)) {
        return combine(layers, portProtocol, empty, [], [], egress1, ingress1, mtlsInfo);
      }
      // The waypoint matches the Service port (its filter chains are per Service VIP and port), not the pod's.
      const servicePort = Number(serviceEntry!.slice(serviceEntry!.lastIndexOf(':') + 1));
      const w = this.authorizeAt(this.waypointScope(wp, route.service!, servicePort, caller), servicePort, portProtocol, caller.principal, fixed);
      layers.push(w.verdict);
      if (shortCircuit && w.verdict.value === false) return combine(layers, portProtocol, w.example, [], [], egress1, ingress1, mtlsInfo);
      // Hop 2: waypoint -> target on 15008, authorized by the target's ztunnel with the waypoint's identity.
      const egress2 = evaluateEgress(this.netPolicies, pods, target, HBONE_PORT, this.namespaces, this.netIndex);
      const ingress2 = shortCircuit && egress2.value === false ? egress2
        : evaluateIngress(this.netPolicies, pods, target, HBONE_PORT, this.namespaces, this.netIndex);
      const hop2 = `hop 2 (waypoint ${wp.ref} -> ${target.id}:${HBONE_PORT}, HBONE)`;
      layers.push(
        this.hopNetwork('egress', egress2, pods, target, wp, `${hop2}, waypoint egress`, 'hop 2: waypoint egress'),
        this.hopNetwork('ingress', ingress2, pods, target, wp, `${hop2}, target ingress`, 'hop 2: target ingress'),
      );
      if (shortCircuit && (egress2.value === false || ingress2.value === false)) {
        return combine(layers, portProtocol, w.example, [], [], egress1, ingress2, mtlsInfo);
      }
      const mtls: Verdict = ipRangesUnknown ? {
        layer: AccessLayer.MTLS,
        value: 'unknown',
        decidedBy: eff.decidedBy,
        policies: mtlsPolicies,
        reason: `${caller.id} excludes outbound IP ranges from its sidecar; whether the waypoint's addresses are among them is not known`,
      } : {
        layer: AccessLayer.MTLS,
        value: true,
        decidedBy: eff.decidedBy,
        policies: mtlsPolicies,
        reason: `HBONE (mTLS) from ${sender} to the waypoint with peer identity ${caller.principal}, then from the waypoint to ${target.id}'s ztunnel `
          + `with the waypoint's identity ${pods.principal} (${eff.mode}: ${eff.reason})`,
      };
      layers.push(mtls);
      const z = this.authorizeAt(this.ztunnelScope(target, port, pods.principal, pods.principal, wp), port, portProtocol, pods.principal, fixed);
      layers.push(z.verdict);
      // Allowed: the waypoint's ALLOW policy judged the caller (the ztunnel's admits the waypoint), both named in the reason.
      const decider: Verdict = {
        ...(w.verdict.decidedBy || !z.verdict.decidedBy ? w.verdict : z.verdict),
        reason: `${w.verdict.reason}; then ${z.verdict.reason}`,
      };
      return combine(layers, portProtocol, w.example, [...w.allowingRules, ...z.allowingRules], w.conditions, egress1, ingress2, mtlsInfo, decider);
    }

    // Straight to the target's ztunnel: HBONE on 15008 with the caller's identity, or plaintext on the port.
    const netPort = hbone ? HBONE_PORT : port;
    const egress = evaluateEgress(this.netPolicies, caller, target, netPort, this.namespaces, this.netIndex);
    const ingress = shortCircuit && egress.value === false ? egress
      : evaluateIngress(this.netPolicies, caller, target, netPort, this.namespaces, this.netIndex);
    const layers: Verdict[] = hbone ? this.directNetwork(caller, target, port, egress, ingress) : [
      networkVerdict('caller egress', egress),
      networkVerdict('target ingress', ingress),
    ];
    const empty: AccessExample = { protocol: 'tcp' };
    if (shortCircuit && (egress.value === false || ingress.value === false)) {
      return combine(layers, portProtocol, empty, [], [], egress, ingress, mtlsInfo);
    }
    let principal: string | undefined;
    let mtls: Verdict;
    if (hbone) {
      principal = caller.principal;
      mtls = ipRangesUnknown ? {
        layer: AccessLayer.MTLS,
        value: 'unknown',
        decidedBy: eff.decidedBy,
        policies: mtlsPolicies,
        reason: `${caller.id} excludes outbound IP ranges from its sidecar; whether ${target.id}'s addresses are among them is not known`,
      } : {
        layer: AccessLayer.MTLS,
        value: true,
        decidedBy: eff.decidedBy,
        policies: mtlsPolicies,
        reason: `HBONE (mTLS) from ${sender} to ${target.id}'s ztunnel with peer identity ${caller.principal} (${eff.mode}: ${eff.reason})`,
      };
    } else {
      const why = excluded ? `port ${port} is excluded from ${caller.id}'s sidecar` : `${caller.id} is not in the mesh (${caller.dataPlaneReason})`;
      mtls = eff.mode === 'STRICT'
        ? {
          layer: AccessLayer.MTLS,
          value: false,
          decidedBy: eff.decidedBy,
          policies: mtlsPolicies,
          reason: `${target.id}'s ztunnel requires mTLS on port ${port} (${eff.reason}) and ${why}, so it sends plaintext`,
        }
        : {
          layer: AccessLayer.MTLS,
          value: true,
          decidedBy: eff.decidedBy,
          policies: mtlsPolicies,
          reason: `plaintext accepted by ${target.id}'s ztunnel (${eff.mode}: ${eff.reason}); ${why}, so the request has no peer identity`,
        };
    }
    layers.push(mtls);
    if (shortCircuit && mtls.value === false) return combine(layers, portProtocol, empty, [], [], egress, ingress, mtlsInfo);
    // A gateway that skipped the Service's waypoint: opting it in is the other way to grant it.
    const skipped = route?.skippedWaypoint
      ? `or label Service ${route.service} ${INGRESS_USE_WAYPOINT_LABEL}: "true" so that ${caller.id} goes through the waypoint ${route.skippedWaypoint.ref}` : undefined;
    const routeWhy = route?.why ?? `${caller.id} sends plaintext straight to the pod, through no waypoint`;
    const scope = this.ztunnelScope(target, port, principal, caller.principal, undefined, routeWhy, skipped);
    const z = this.authorizeAt(scope, port, portProtocol, principal, fixed);
    layers.push(z.verdict);
    return combine(layers, portProtocol, z.example, z.allowingRules, z.conditions, egress, ingress, mtlsInfo);
  }

  /**
   * An external host behind a waypoint (see the class documentation): through the waypoint of the
   * ServiceEntry that registers `host`:`port`, or straight out when the caller's traffic does not
   * reach it. `port` is a port of a served ServiceEntry of the target (checked by the callers).
   */
  private evaluateExternal(caller: Workload, target: ExternalTarget, port: number, fixed: RequestAttributes, shortCircuit: boolean): Evaluation {
    const host = target.host;
    const entries = target.served.filter((e) => e.ports.some((p) => p.number === port));
    const entry = entries[0];
    const entryPort = entry.ports.find((p) => p.number === port)!;
    const portProtocol = entryPort.protocol;
    const protocolOf = (): AccessExample['protocol'] => (portProtocol === 'tcp' || portProtocol === 'grpc' ? portProtocol : 'http');
    // The hop to the waypoint is HBONE, always mTLS: the waypoint accepts nothing else.
    const hboneMtls = { mode: 'STRICT', policy: '', plaintext: false };
    const undecided = (decidedBy: string, reason: string): Evaluation => {
      const verdict: Verdict = { layer: AccessLayer.WAYPOINT, value: 'unknown', decidedBy, reason, policies: [] };
      const none: NetworkOutcome = { value: 'unknown', decidedBy: '', reason, policies: [] };
      return combine([verdict], portProtocol, { protocol: protocolOf() }, [], [], none, none, hboneMtls);
    };
    if (entries.length > 1) {
      return undecided(entry.ref, `${entries.map((e) => e.ref).join(', ')} all register ${host}:${port}, and which of them ztunnel and the waypoint apply is not decided offline`);
    }
    // Who reaches the waypoint: ambient callers (ztunnel ignores exportTo, istio/istio#55163), and
    // proxies that know the host and capture the port. The others connect to the host directly.
    const excluded = caller.sidecar && !capturesOutbound(caller, port);
    if (caller.dataPlane !== 'ambient' && (!caller.sidecar || excluded)) {
      const why = excluded ? `port ${port} is excluded from ${caller.id}'s sidecar, so the connection leaves the pod directly, through no waypoint`
        : `${caller.id} is not in the mesh (${caller.dataPlaneReason}), so it connects to ${host} directly, through no waypoint`;
      return this.externalDirect(caller, target, entry, port, portProtocol, {
        why,
        grant: `${caller.id} in ambient mode (or a sidecar capturing port ${port}), so that its connections to ${host} go through the waypoint of ${entry.ref}, `
          + `with the grants there (its egress opened to the waypoint's pods on TCP port ${HBONE_PORT}, not to the internet)`,
      }, shortCircuit);
    }
    // A refusal by the caller's own proxy, before any waypoint: nothing there grants the host.
    const refused = (decidedBy: string, reason: string, missing: Missing): Evaluation => {
      const verdict: Verdict = { layer: AccessLayer.WAYPOINT, value: false, decidedBy, reason, policies: [decidedBy], byDefault: true, missing };
      const none: NetworkOutcome = { value: false, decidedBy: '', reason, policies: [] };
      return combine([verdict], portProtocol, { protocol: protocolOf() }, [], [], none, none, hboneMtls);
    };
    const router = this.ambient.isRouter(caller);
    if (router && !exportedTo(entry, caller.namespace)) {
      // A gateway's proxy knows the services exported to its namespace (pilot's DefaultSidecarScopeForGateway), and routes only to those.
      const what = `${caller.id} is an Istio gateway, which routes only to hosts exported to its namespace, and ${entry.ref} is not exported to ${caller.namespace} `
        + `(exportTo [${(entry.exportTo ?? []).join(', ')}])`;
      return refused(entry.ref, what, {
        where: `${caller.id}'s proxy`,
        what,
        grant: `${entry.ref} exported to namespace ${caller.namespace} (exportTo) with ${INGRESS_USE_WAYPOINT_LABEL}: "true", so that ${caller.id} sends requests for ${host} to the waypoint`,
      });
    }
    if (caller.sidecar && !router) {
      const seen = this.cached(`sees:${caller.id}:${entry.ref}:${host}`, () => sidecarSees(this.sidecars, caller, entry, host, this.rootNamespace));
      if (!seen.sees) {
        const grant = `${entry.ref} exported to namespace ${caller.namespace} (exportTo)${seen.scope?.egressHosts !== undefined ? ` and imported by ${seen.scope.ref} (egress hosts)` : ''}, `
          + `so that ${caller.id}'s sidecar sends its requests for ${host} to the waypoint`;
        const unseen = `${caller.id}'s sidecar does not know ${host} (${seen.why}), so it does not send the request to the waypoint`;
        const mode = seen.scope?.outboundMode;
        if (mode === 'REGISTRY_ONLY') {
          const what = `${unseen}, and ${seen.scope!.ref} sets outboundTrafficPolicy REGISTRY_ONLY, so the sidecar refuses it`;
          return refused(seen.scope!.ref, what, { where: `${caller.id}'s sidecar`, what, grant });
        }
        return this.externalDirect(caller, target, entry, port, portProtocol, {
          why: mode === 'ALLOW_ANY' ? `${unseen}; ${seen.scope!.ref} sets outboundTrafficPolicy ALLOW_ANY, so the sidecar passes it through` : unseen,
          ...(mode === 'ALLOW_ANY' ? {} : {
            unknown: `${unseen}: whether the sidecar passes it through depends on the mesh's outboundTrafficPolicy (meshConfig, Istio's default ALLOW_ANY; `
              + 'REGISTRY_ONLY refuses it), which is not in the input',
          }),
          grant,
        }, shortCircuit);
      }
    }
    const route: ServiceRoute = this.cached(`eroute:${caller.id}:${entry.ref}`, () => this.ambient.entryRoute(caller, entry));
    if (route.unknown !== undefined) return undecided(entry.ref, route.unknown);
    if (!route.waypoint) {
      // A served entry routes every caller through its waypoint but an Istio gateway it does not opt in.
      return this.externalDirect(caller, target, entry, port, portProtocol, {
        why: route.why,
        unknown: `${route.why}: whether it sends requests to ${host} depends on its own routes, which are not evaluated`,
        grant: `${INGRESS_USE_WAYPOINT_LABEL}: "true" on ${entry.ref}, so that ${caller.id} goes through the waypoint ${route.skippedWaypoint?.ref ?? ''}`.trimEnd(),
      }, shortCircuit);
    }
    if (!exportedTo(entry, route.waypoint.namespace)) {
      return undecided(entry.ref, `waypoint ${route.waypoint.ref} knows only the services exported to its namespace (pilot's DefaultSidecarScopeForGateway), `
        + `and ${entry.ref} is not exported to ${route.waypoint.namespace}: what it does with ${host} is not evaluated`);
    }
    const wp = route.waypoint;
    const pods = wp.pods;
    // Hop 1: caller -> waypoint on 15008, authorized by the waypoint with the caller's identity.
    const { egress1, ingress1, layers } = this.hopToWaypoint(caller, wp, shortCircuit);
    const empty: AccessExample = { protocol: protocolOf() };
    if (shortCircuit && (egress1.value === false || ingress1.value === false)) {
      return combine(layers, portProtocol, empty, [], [], egress1, ingress1, hboneMtls);
    }
    const sender = caller.dataPlane === 'ambient' ? `${caller.id}'s ztunnel` : `${caller.id}'s sidecar`;
    layers.push(caller.sidecar && caller.excludesOutboundIpRanges ? {
      layer: AccessLayer.MTLS,
      value: 'unknown',
      decidedBy: '',
      policies: [],
      reason: `${caller.id} excludes outbound IP ranges from its sidecar; whether the address of ${host} is among them is not known`,
    } : {
      layer: AccessLayer.MTLS,
      value: true,
      decidedBy: '',
      policies: [],
      reason: `HBONE (mTLS) from ${sender} to the waypoint ${wp.ref} with peer identity ${caller.principal} (a waypoint accepts only HBONE)`,
    });
    const w = this.authorizeAt(this.entryWaypointScope(wp, entry, host, port, caller), port, portProtocol, caller.principal, fixed);
    layers.push(w.verdict);
    if (shortCircuit && w.verdict.value === false) return combine(layers, portProtocol, w.example, [], [], egress1, ingress1, hboneMtls);
    // Hop 2: waypoint -> the host, on the port the ServiceEntry targets (TLS is originated there when a DestinationRule says so).
    const hostPort = entryPort.targetPort;
    const egress2 = evaluateEgressToExternal(this.netPolicies, pods, host, hostPort, this.netIndex);
    const mapped = hostPort !== port ? `, ServiceEntry port ${port} targets ${hostPort}` : '';
    layers.push(networkVerdict(`hop 2 (waypoint ${wp.ref} -> ${host}:${hostPort}${mapped}), waypoint egress`, egress2, {
      where: 'hop 2: waypoint egress',
      what: `no Egress rule of the waypoint ${wp.ref}'s NetworkPolicies admits ${host} on TCP port ${hostPort} (${egress2.decidedBy} isolates the waypoint's pods)`,
      grant: `an Egress rule in a NetworkPolicy selecting the waypoint's pods (${GATEWAY_NAME_LABEL}: ${wp.name}, namespace ${wp.namespace}) that admits `
        + `ipBlock 0.0.0.0/0 and ::/0 on TCP port ${hostPort} (the addresses ${host} resolves to are not known in advance)`,
    }));
    // The waypoint's side: its NetworkPolicies admitting hop 1 and letting hop 2 out.
    const out = egress2.value !== false ? egress2.policies : [];
    const waypointSide: NetworkOutcome = { ...ingress1, policies: [...new Set([...ingress1.policies, ...out])] };
    return combine(layers, portProtocol, w.example, w.allowingRules, w.conditions, egress1, waypointSide, hboneMtls, w.verdict);
  }

  /**
   * A caller whose connection to an external host does not reach the ServiceEntry's waypoint: its
   * egress NetworkPolicies decide a direct connection (to an address outside the cluster); with
   * `path.unknown`, what happens when they admit it is not decided offline (outboundTrafficPolicy,
   * an Istio gateway's routes).
   */
  private externalDirect(caller: Workload, target: ExternalTarget, entry: ExternalEntry, port: number, portProtocol: PortProtocol,
    path: { readonly why: string; readonly unknown?: string; readonly grant: string }, shortCircuit: boolean): Evaluation {
    const host = target.host;
    const egress = evaluateEgressToExternal(this.netPolicies, caller, host, port, this.netIndex);
    const layers: Verdict[] = [networkVerdict(`caller egress (${caller.id} -> ${host}:${port} directly: ${path.why})`, egress, {
      where: 'caller egress',
      what: `${path.why}, and no Egress rule of ${caller.id}'s NetworkPolicies admits a direct connection to ${host}:${port} (${egress.decidedBy} isolates ${caller.id})`,
      grant: path.grant,
    })];
    const admitted: NetworkOutcome = { value: true, decidedBy: '', reason: '', policies: [] };
    const directMtls = { mode: 'NONE', policy: '', plaintext: true };
    const example: AccessExample = { protocol: 'tcp' };
    if (path.unknown !== undefined && !(shortCircuit && egress.value === false)) {
      layers.push({ layer: AccessLayer.WAYPOINT, value: 'unknown', decidedBy: entry.ref, reason: path.unknown, policies: [] });
      return combine(layers, portProtocol, example, [], [], egress, admitted, directMtls);
    }
    return combine(layers, portProtocol, example, [], egress.value === true ? ['any request (mesh policy not enforced)'] : [], egress, admitted, directMtls);
  }

  /** The NetworkPolicy layers of an HBONE connection from `caller` straight to `target` (port 15008 of its pod). */
  private directNetwork(caller: Workload, target: Workload, port: number, egress: NetworkOutcome, ingress: NetworkOutcome): Verdict[] {
    const path = `HBONE ${caller.id} -> ${target.id}:${HBONE_PORT}, carrying port ${port}`;
    return [
      this.hopNetwork('egress', egress, caller, target, undefined, `caller egress (${path})`, 'caller egress'),
      this.hopNetwork('ingress', ingress, caller, target, undefined, `target ingress (${path})`, 'target ingress'),
    ];
  }

  /**
   * A NetworkPolicy layer of an HBONE hop (`from` -> `to` on 15008), with what grants it when it
   * refuses. `wp`: the waypoint whose pods are one end of the hop.
   */
  /** Hop 1 through a waypoint at L3/L4: the caller's egress and the waypoint's ingress on HBONE (15008). */
  private hopToWaypoint(caller: Workload, wp: Waypoint,
    shortCircuit: boolean): { egress1: NetworkOutcome; ingress1: NetworkOutcome; layers: Verdict[] } {
    const pods = wp.pods;
    const egress1 = evaluateEgress(this.netPolicies, caller, pods, HBONE_PORT, this.namespaces, this.netIndex);
    const ingress1 = shortCircuit && egress1.value === false ? egress1
      : evaluateIngress(this.netPolicies, caller, pods, HBONE_PORT, this.namespaces, this.netIndex);
    const hop1 = `hop 1 (${caller.id} -> waypoint ${wp.ref}:${HBONE_PORT}, HBONE)`;
    return {
      egress1,
      ingress1,
      layers: [
        this.hopNetwork('egress', egress1, caller, pods, wp, `${hop1}, caller egress`, 'hop 1: caller egress to the waypoint'),
        this.hopNetwork('ingress', ingress1, caller, pods, wp, `${hop1}, waypoint ingress`, 'hop 1: waypoint ingress'),
      ],
    };
  }

  private hopNetwork(direction: 'egress' | 'ingress', o: NetworkOutcome, from: Workload, to: Workload, wp: Waypoint | undefined,
    side: string, where: string): Verdict {
    const isWaypoint = (w: Workload) => wp !== undefined && w === wp.pods;
    const name = (w: Workload) => (isWaypoint(w) ? `the waypoint ${wp!.ref}` : w.id);
    const pods = (w: Workload) => (isWaypoint(w) ? `the waypoint's pods (${wp!.ref})` : `the pods of ${w.id}`);
    const selected = (w: Workload) => (isWaypoint(w) ? `the waypoint's pods (${GATEWAY_NAME_LABEL}: ${wp!.name}, namespace ${wp!.namespace})` : `${w.id} (namespace ${w.namespace})`);
    const isolates = (w: Workload) => (isWaypoint(w) ? 'the waypoint\'s pods' : w.id);
    const hbone = `TCP port ${HBONE_PORT} (HBONE)`;
    const missing: Missing = direction === 'egress' ? {
      where,
      what: `no Egress rule of ${name(from)}'s NetworkPolicies admits ${pods(to)} on ${hbone} (${o.decidedBy} isolates ${isolates(from)})`,
      grant: `an Egress rule in a NetworkPolicy selecting ${selected(from)} that admits ${pods(to)} on ${hbone}`,
    } : {
      where,
      what: `no Ingress rule of ${name(to)}'s NetworkPolicies admits ${pods(from)} on ${hbone} (${o.decidedBy} isolates ${isolates(to)})`,
      grant: `an Ingress rule in a NetworkPolicy selecting ${selected(to)} that admits ${pods(from)} on ${hbone}`,
    };
    return networkVerdict(side, o, missing);
  }

  /** The host of requests to `target` on `port`: its Service's, else a name after the workload. */
  private hostOf(target: Workload, port: number): string {
    const service = target.ports.find((p) => p.port === port)?.services[0];
    return service ? `${service.split('/')[1].split(':')[0]}.${target.namespace}.svc.cluster.local` : `${target.name}.${target.namespace}.svc.cluster.local`;
  }

  /** A sidecar target's authorization: its AuthorizationPolicies and RequestAuthentications (selector, namespace, mesh). */
  private sidecarScope(target: Workload, port: number): AuthzScope {
    return {
      key: target.id,
      layer: AccessLayer.AUTHORIZATION,
      subject: target.id,
      applicable: this.applicableAuthz(target),
      requestAuthns: this.cached(`ras:${target.id}`, () => policiesFor(this.requestAuthns, target, this.rootNamespace, this.requestAuthnIndex)),
      host: this.hostOf(target, port),
      prefix: '',
    };
  }

  /**
   * The ztunnel of an ambient target: its selector, namespace-wide and mesh-wide policies as istiod
   * converts them for ztunnel (ztunnel-authz.ts), L4 only, no RequestAuthentication. `principal` is
   * the identity it sees (the waypoint's at hop 2; undefined: plaintext), `grantPrincipal` the one
   * a missing ALLOW rule must name.
   */
  private ztunnelScope(target: Workload, port: number, principal: string | undefined, grantPrincipal: string, wp?: Waypoint, routeWhy?: string,
    note?: string): AuthzScope {
    const applicable = this.cached(`zauthz:${target.id}`, () => this.applicableAuthz(target)
      .map((p) => forZtunnel(p).policy).filter((p): p is AuthzPolicy => p !== undefined));
    const who = principal === undefined ? 'no peer identity (plaintext)' : wp ? `the waypoint's identity ${principal}` : `identity ${principal}`;
    const l7Note = `ztunnel cannot match methods or paths: to grant by method or path, put the Service behind a waypoint (${USE_WAYPOINT_LABEL}) `
      + 'and attach the rule to the Service with targetRefs';
    return {
      key: `ztunnel:${target.id}`,
      layer: AccessLayer.ZTUNNEL,
      subject: `${target.id} (at its ztunnel)`,
      applicable,
      requestAuthns: [],
      host: this.hostOf(target, port),
      protocols: ['tcp'],
      prefix: wp ? `hop 2, at ${target.id}'s ztunnel (L4, ${who}): ` : `at ${target.id}'s ztunnel (L4, ${who}${routeWhy ? `; ${routeWhy}` : ''}): `,
      grantScope: {
        where: wp ? `hop 2: the ztunnel of ${target.id}` : `the ztunnel of ${target.id}${routeWhy ? ` (${routeWhy})` : ''}`,
        of: `of ${target.id} at its ztunnel`,
        attach: `selecting ${target.id} (namespace ${target.namespace})`,
        principal,
        grantPrincipal,
        l4Only: true,
        ...(wp ? {} : { l7Note }),
        ...(note ? { note } : {}),
        identityHint: 'ambient mode or a sidecar for the caller',
      },
    };
  }

  /**
   * The waypoint `wp` serving `service` (`namespace/name`) on `servicePort`: the policies attached to
   * the Service or the waypoint. A waypoint has one filter chain per Service VIP and port, so its
   * policies' `ports` name the Service port (istio/istio pilot/pkg/networking/core/listener_waypoint.go,
   * `buildWaypointInternal`).
   */
  private waypointScope(wp: Waypoint, service: string, servicePort: number, caller: Workload): AuthzScope {
    const [ns, name] = service.split('/');
    return {
      key: `waypoint:${wp.ref}:${service}`,
      layer: AccessLayer.WAYPOINT,
      subject: `waypoint ${wp.ref} for Service ${service}`,
      applicable: this.cached(`wpauthz:${wp.ref}:${service}`, () => this.ambient.policiesAt(this.attachedAuthz, wp, service, this.rootNamespace)),
      requestAuthns: this.cached(`wpras:${wp.ref}:${service}`, () => this.ambient.policiesAt(this.attachedRequestAuthns, wp, service, this.rootNamespace)),
      host: `${name}.${ns}.svc.cluster.local`,
      prefix: `hop 1, at waypoint ${wp.ref} (identity ${caller.principal} of ${caller.id}, Service port ${servicePort}): `,
      grantScope: {
        where: `hop 1: the waypoint ${wp.ref}`,
        of: `at waypoint ${wp.ref} for Service ${service}`,
        attach: `with targetRefs [Service ${name}] (namespace ${ns})`,
        principal: caller.principal,
        grantPrincipal: caller.principal,
        port: servicePort,
        identityHint: 'ambient mode or a sidecar for the caller',
      },
    };
  }

  /**
   * The waypoint `wp` serving the ServiceEntry `entry` for `host` on the ServiceEntry port
   * `entryPort`: the policies attached to the ServiceEntry or the waypoint (policyattachment.go),
   * matched on the ServiceEntry port; HTTP requests carry the host as their Host header.
   */
  private entryWaypointScope(wp: Waypoint, entry: ExternalEntry, host: string, entryPort: number, caller: Workload): AuthzScope {
    const key = `${entry.namespace}/${entry.name}`;
    return {
      key: `waypoint:${wp.ref}:${entry.ref}:${host}`,
      layer: AccessLayer.WAYPOINT,
      subject: `waypoint ${wp.ref} for ServiceEntry ${key} (${host})`,
      applicable: this.cached(`wpauthz:${wp.ref}:${entry.ref}`, () => this.ambient.policiesAt(this.attachedAuthz, wp, undefined, this.rootNamespace, key)),
      requestAuthns: this.cached(`wpras:${wp.ref}:${entry.ref}`, () => this.ambient.policiesAt(this.attachedRequestAuthns, wp, undefined, this.rootNamespace, key)),
      host,
      fixedHost: true,
      prefix: `hop 1, at waypoint ${wp.ref} (identity ${caller.principal} of ${caller.id}, ServiceEntry ${key} port ${entryPort}): `,
      grantScope: {
        where: `hop 1: the waypoint ${wp.ref}`,
        of: `at waypoint ${wp.ref} for ServiceEntry ${key}`,
        attach: `with targetRefs [ServiceEntry ${entry.name} (group networking.istio.io)] (namespace ${entry.namespace})`,
        principal: caller.principal,
        grantPrincipal: caller.principal,
        port: entryPort,
        identityHint: 'ambient mode or a sidecar for the caller',
      },
    };
  }

  /**
   * Notes about policies that do not do at ambient workloads what they do at sidecars: a ztunnel
   * ignores CUSTOM, cannot see HTTP attributes (they fail closed) and validates no JWT.
   */
  private ambientNotes(): string[] {
    const byPolicy = new Map<string, { text: string; ids: string[] }>();
    const add = (ref: string, text: string, id: string) => {
      const e = byPolicy.get(`${ref}\u0000${text}`);
      if (e) e.ids.push(id); else byPolicy.set(`${ref}\u0000${text}`, { text, ids: [id] });
    };
    for (const w of this.all.filter((x) => x.dataPlane === 'ambient')) {
      for (const p of this.applicableAuthz(w).filter((x) => !x.localOnly)) {
        const z = forZtunnel(p);
        if (z.ignored && p.action === 'CUSTOM') {
          add(p.ref, `${p.ref} (CUSTOM) is not enforced for ambient workloads: ${z.ignored}; attach it to a waypoint with targetRefs`, w.id);
        } else if (z.http.length > 0) {
          const effect = p.action === 'ALLOW' ? 'its ALLOW rules that use them never match there'
            : 'its DENY rules apply there without them, denying more than written';
          add(p.ref, `${p.ref} uses HTTP attributes (${z.http.join(', ')}) that the ztunnel of ambient workloads cannot see: ${effect} `
            + '(istiod\'s conversion for ztunnel); attach L7 rules to a waypoint with targetRefs', w.id);
        }
      }
      for (const ra of policiesFor(this.requestAuthns, w, this.rootNamespace, this.requestAuthnIndex).filter((x) => !x.localOnly)) {
        add(ra.ref, `${ra.ref} validates no token for ambient workloads (ztunnel reads no JWT): attach it to their Service's waypoint with targetRefs`, w.id);
      }
    }
    return [...byPolicy.values()].map((e) => `${e.text} (${e.ids.sort(compareStrings).join(', ')})`);
  }

  /** Authorization at one proxy: tries the candidate requests, returns the first allowed (else unknown, else denied). */
  private authorizeAt(scope: AuthzScope, port: number, portProtocol: PortProtocol, principal: string | undefined, fixed: RequestAttributes) {
    const applicable = scope.applicable;
    const httpGiven = fixed.method !== undefined || fixed.path !== undefined || fixed.host !== undefined || fixed.jwtIssuer !== undefined
      || fixed.token !== undefined;
    // A sniffed port sees TCP or HTTP, whichever the client speaks; TCP first, so an example claims no HTTP it does not need.
    // A gRPC port sees HTTP/2 requests, every call a POST (unless a question fixes another method).
    const protocols: ('http' | 'grpc' | 'tcp')[] = scope.protocols ?? (portProtocol === 'tcp' || portProtocol === 'grpc' ? [portProtocol]
      : portProtocol === 'http' || httpGiven ? ['http'] : ['tcp', 'http']);
    const host = scope.host;
    const issuers = this.cached(`issuers:${scope.key}`, () => issuersOf(scope.requestAuthns));
    const free = Object.values(fixed).every((v) => v === undefined);
    const tried: { outcome: AuthzOutcome; example: AccessExample }[] = [];
    for (const protocol of protocols) {
      const http = protocol !== 'tcp';
      // An external host's HTTP requests name it in their Host header (unless the question names another).
      const base = scope.fixedHost && http && fixed.host === undefined ? { ...fixed, host } : fixed;
      const asked = protocol === 'grpc' ? { ...base, method: base.method ?? 'POST' } : base;
      const all = free
        ? this.cached(`candidates:${scope.key}:${port}:${protocol}`, () => candidateRequests(applicable, http, asked, { host, issuers }))
        : candidateRequests(applicable, http, asked, { host, issuers });
      // Without a (valid) token, only the token-less requests are the question.
      const tokenless = all.filter((c) => c.jwtIssuer === undefined);
      const candidates = fixed.token === undefined ? all
        : tokenless.length > 0 ? tokenless : [{ ...asked, host: asked.host ?? host, jwtIssuer: undefined }];
      if (http && fixed.token === 'invalid') {
        // jwt_authn runs before RBAC: a RequestAuthentication of the target answers 401 to a token it cannot validate.
        const ras = [...new Set(scope.requestAuthns.map((r) => r.ref))];
        if (ras.length > 0) {
          const c = candidates[0];
          tried.push({
            outcome: {
              value: false,
              decidedBy: ras[0],
              policies: ras,
              allowingRules: [],
              reason: `${ras.join(', ')} rejects a token that fails validation (401), before any AuthorizationPolicy is evaluated`,
            },
            example: { protocol, method: c.method, path: c.path, host: c.host, sni: c.sni, principal },
          });
          continue;
        }
      }
      for (const c of candidates) {
        let jwt: AuthzRequest['jwt'];
        let issuerUnknown: string | undefined;
        if (http && c.jwtIssuer !== undefined) {
          const issuer = c.jwtIssuer;
          const h = this.cached(`jwt:${scope.key}:${issuer}`, () => jwtHandlingOf(scope.requestAuthns, issuer));
          if (h.state === 'validated') jwt = { issuer: c.jwtIssuer, subject: c.jwtSubject };
          else if (h.state === 'unknown-issuer') issuerUnknown = `no RequestAuthentication of ${scope.subject} (${h.by.join(', ')}) names issuer ${c.jwtIssuer}: Istio rejects or ignores such a token, not decided offline`;
        }
        const req: AuthzRequest = { protocol: http ? 'http' : 'tcp', port, principal, method: c.method, path: c.path, host: c.host, jwt, sni: c.sni };
        let outcome = evaluateAuthorization(applicable, req, scope.subject);
        if (issuerUnknown && outcome.value !== false) outcome = { ...outcome, value: 'unknown', decidedBy: scope.requestAuthns[0]?.ref ?? '', reason: issuerUnknown, allowingRules: [] };
        const example: AccessExample = {
          protocol,
          method: c.method,
          path: c.path,
          host: c.host,
          sni: c.sni,
          principal,
          requestPrincipal: jwt ? `${jwt.issuer}/${jwt.subject ?? 'subject'}` : undefined,
        };
        tried.push({ outcome, example });
      }
    }
    const allowed = tried.filter((t) => t.outcome.value === true);
    const chosen = allowed[0] ?? tried.find((t) => t.outcome.value === 'unknown') ?? tried[0];
    const allowingRules = [...new Set(allowed.flatMap((t) => t.outcome.allowingRules))].sort(compareStrings);
    const conditions = allowed.length === 0 ? []
      : allowingRules.length === 0 ? ['any request (no ALLOW policy applies)']
        : allowingRules.map((ref) => `${describeRule(this.ruleOf(ref))}`);
    // Only the example shown keeps its defined attributes (stable JSON, no undefined keys).
    const example = Object.fromEntries(Object.entries(chosen.example).filter(([, v]) => v !== undefined)) as AccessExample;
    const verdict: Verdict = {
      layer: scope.layer,
      value: chosen.outcome.value,
      decidedBy: chosen.outcome.decidedBy,
      reason: `${scope.prefix}${chosen.outcome.reason}`,
      policies: chosen.outcome.value === true && allowingRules.length > 0 ? [...new Set(allowingRules.map((r) => r.split(' ')[0]))] : chosen.outcome.policies,
      // A denial only because no ALLOW rule admits the request, with why each rule does not.
      byDefault: chosen.outcome.byDefault,
      misses: chosen.outcome.misses,
      ...(scope.grantScope ? { grantScope: scope.grantScope } : {}),
    };
    return { verdict, example, allowingRules, conditions: [...new Set(conditions)] };
  }

  private cached<T>(key: string, make: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key);
  }

  /** The rule behind `AuthorizationPolicy/ns/name rules[i]`. */
  private ruleOf(ref: string): unknown {
    const m = /^(.*) rules\[(\d+)\]$/.exec(ref);
    const policy = m ? this.policyByRef.get(m[1]) : undefined;
    return policy && m ? policy.rules[Number(m[2])] : undefined;
  }
}
