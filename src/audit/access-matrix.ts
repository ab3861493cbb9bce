import { PeerAuthn, effectiveMtls, indexPeerAuthentications, parsePeerAuthentications, peerAuthnLevels } from './access-mtls';
import { renderMarkdown, renderTable } from './access-report';
import {
  AccessCheckResult, AccessEdge, AccessExample, AccessLayer, AccessMatrixOptions, AccessRequest, AccessTableOptions, AccessWorkload, TokenState,
} from './access-types';
import { Evaluation, Verdict, combine, decisionOf, headline, networkVerdict, publicVerdict } from './access-verdict';
import {
  AuthzOutcome, AuthzPolicy, AuthzRequest, RequestAttributes, RequestAuthn, acceptedIssuers, allowRulePeerTests, candidateRequests, describeRule,
  evaluateAuthorization, indexPolicies, jwtHandling, parseAuthorizationPolicies, parseRequestAuthentications, policiesFor,
} from './authz-evaluator';
import { ClientTlsRule, clientTlsMode, parseDestinationRules } from './client-tls';
import { renderMermaid } from './mermaid';
import { NetPolicy, NetPolicyIndex, evaluateEgress, evaluateIngress, parseNetworkPolicies } from './network-evaluator';
import { DEFAULT_PATH_NORMALIZATION, PathNormalization, normalizeRequestPath } from './path-normalization';
import { proxyPortNotes } from './proxy-port-notes';
import { NamespaceInfo, PortProtocol, ScopeIndex, Workload, capturesInbound, capturesOutbound, compareStrings, discoverWorkloads } from './workloads';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { proxyPortRole } from '../mesh/proxy-ports';

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
  private readonly requestAuthns: RequestAuthn[];
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
  /** Per-target (and per-port) results that do not depend on the caller. */
  private readonly memo = new Map<string, any>();

  private constructor(objects: any[], options: AccessMatrixOptions) {
    if (!Array.isArray(objects)) throw new Error('AccessMatrix.fromManifests: objects must be an array of Kubernetes objects');
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
    this.all = discovery.workloads;
    this.namespaces = discovery.namespaces;
    const parsed = parseAuthorizationPolicies(objects, { trustDomain: this.trustDomain, aliases: this.trustDomainAliases });
    this.authz = parsed.policies;
    this.requestAuthns = parseRequestAuthentications(objects);
    this.peerAuthns = parsePeerAuthentications(objects);
    this.netPolicies = parseNetworkPolicies(objects);
    this.destinationRules = parseDestinationRules(objects);
    this.authzIndex = indexPolicies(this.authz);
    this.requestAuthnIndex = indexPolicies(this.requestAuthns);
    this.peerAuthnIndex = indexPeerAuthentications(this.peerAuthns);
    this.netIndex = new NetPolicyIndex(this.netPolicies);
    for (const p of this.authz) if (!this.policyByRef.has(p.ref)) this.policyByRef.set(p.ref, p);
    this.all.forEach((w, i) => {
      const list = this.byPrincipal.get(w.principal);
      if (list) list.push(i); else this.byPrincipal.set(w.principal, [i]);
    });
    this.trustDomainNotes = [...new Set(parsed.trustDomainWarnings)].sort(compareStrings);
    const notes = [...discovery.warnings, ...parsed.warnings, ...parsed.trustDomainWarnings, ...proxyPortNotes(this.authz)];
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
      origin: w.origin,
    }));
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
   * workload calling itself is not listed.
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
      this.edgeCache = byCaller.flat();
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
      for (const target of this.all) {
        for (const p of target.ports) {
          const edge = this.edgeOf(caller, target, p.port);
          if (edge) out.push(edge);
        }
      }
    }
    return out;
  }

  /** The edge caller -> target:port, or undefined when it is denied (or the caller is the target). */
  private edgeOf(caller: Workload, target: Workload, port: number): AccessEdge | undefined {
    if (caller.id === target.id) return undefined;
    const ev = this.evaluate(caller, target, port, {}, true);
    if (ev.value === false) return undefined;
    return {
      from: caller.id,
      to: target.id,
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
   * is missing and how to grant it. Throws when `from` or `to` names no workload (or several).
   */
  public check(request: AccessRequest): AccessCheckResult {
    const caller = this.resolve(request.from, 'from');
    const target = this.resolve(request.to, 'to');
    if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
      throw new Error(`check: port must be an integer between 1 and 65535, got ${request.port}`);
    }
    const { port, note } = this.targetPort(target, request.port);
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
    const ev = this.evaluate(caller, target, port, fixed, false);
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
    const known = this.all.map((w) => w.id).join(', ');
    if (found.length > 1) throw new Error(`check: ${what} "${ref}" is ambiguous (${found.map((w) => w.id).join(', ')}); use namespace/name`);
    throw new Error(`check: ${what} "${ref}" is not a workload of the input (known: ${known || 'none'}); declare workloads that are not in the manifests (gateways) with the workloads option`);
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
    if (!capturesInbound(target, port)) return undefined;
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

  /** A container port of the target, or the targetPort of a Service port in front of it. */
  private targetPort(target: Workload, port: number): { port: number; note?: string } {
    if (target.ports.some((p) => p.port === port)) return { port };
    const viaService = target.ports.find((p) => p.services.some((s) => s.endsWith(`:${port}`)));
    if (viaService) {
      const svc = viaService.services.find((s) => s.endsWith(`:${port}`));
      return { port: viaService.port, note: `Service port ${svc} targets container port ${viaService.port}` };
    }
    return { port };
  }

  private evaluate(caller: Workload, target: Workload, port: number, fixed: RequestAttributes, shortCircuit: boolean): Evaluation {
    const portInfo = target.ports.find((p) => p.port === port);
    const portProtocol: PortProtocol = portInfo?.protocol ?? 'auto';
    const egress = evaluateEgress(this.netPolicies, caller, target, port, this.namespaces, this.netIndex);
    const ingress = shortCircuit && egress.value === false ? egress
      : evaluateIngress(this.netPolicies, caller, target, port, this.namespaces, this.netIndex);
    const networkLayers: Verdict[] = [
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
      const decider: Verdict = { ...networkVerdict('target ingress', ingress), reason: `target ingress: ${ingress.reason}; ${only}` };
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
      const callerSendsMtls = capturesOutbound(caller, port) && !disabledByClient;
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
      const r = this.authorize(target, port, portProtocol, principal, fixed);
      authz = r.verdict;
      example = r.example;
      allowingRules = r.allowingRules;
      conditions = r.conditions;
    }
    return combine([...networkLayers, mtls, authz], portProtocol, example, allowingRules, conditions, egress, ingress, mtlsInfo);
  }


  /** Authorization at the target: tries the candidate requests, returns the first allowed (else unknown, else denied). */
  private authorize(target: Workload, port: number, portProtocol: PortProtocol, principal: string | undefined, fixed: RequestAttributes) {
    const applicable = this.applicableAuthz(target);
    const httpGiven = fixed.method !== undefined || fixed.path !== undefined || fixed.host !== undefined || fixed.jwtIssuer !== undefined
      || fixed.token !== undefined;
    // A sniffed port sees TCP or HTTP, whichever the client speaks; TCP first, so an example claims no HTTP it does not need.
    // A gRPC port sees HTTP/2 requests, every call a POST (unless a question fixes another method).
    const protocols: ('http' | 'grpc' | 'tcp')[] = portProtocol === 'tcp' || portProtocol === 'grpc' ? [portProtocol]
      : portProtocol === 'http' || httpGiven ? ['http'] : ['tcp', 'http'];
    const service = target.ports.find((p) => p.port === port)?.services[0];
    const host = service ? `${service.split('/')[1].split(':')[0]}.${target.namespace}.svc.cluster.local` : `${target.name}.${target.namespace}.svc.cluster.local`;
    const issuers = this.cached(`issuers:${target.id}`, () => acceptedIssuers(this.requestAuthns, target, this.rootNamespace, this.requestAuthnIndex));
    const free = Object.values(fixed).every((v) => v === undefined);
    const tried: { outcome: AuthzOutcome; example: AccessExample }[] = [];
    for (const protocol of protocols) {
      const http = protocol !== 'tcp';
      const asked = protocol === 'grpc' ? { ...fixed, method: fixed.method ?? 'POST' } : fixed;
      const all = free
        ? this.cached(`candidates:${target.id}:${port}:${protocol}`, () => candidateRequests(applicable, http, asked, { host, issuers }))
        : candidateRequests(applicable, http, asked, { host, issuers });
      // Without a (valid) token, only the token-less requests are the question.
      const tokenless = all.filter((c) => c.jwtIssuer === undefined);
      const candidates = fixed.token === undefined ? all
        : tokenless.length > 0 ? tokenless : [{ ...asked, host: asked.host ?? host, jwtIssuer: undefined }];
      if (http && fixed.token === 'invalid') {
        // jwt_authn runs before RBAC: a RequestAuthentication of the target answers 401 to a token it cannot validate.
        const ras = [...new Set(policiesFor(this.requestAuthns, target, this.rootNamespace, this.requestAuthnIndex).map((r) => r.ref))];
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
          const h = this.cached(`jwt:${target.id}:${issuer}`, () => jwtHandling(this.requestAuthns, target, this.rootNamespace, issuer, this.requestAuthnIndex));
          if (h.state === 'validated') jwt = { issuer: c.jwtIssuer, subject: c.jwtSubject };
          else if (h.state === 'unknown-issuer') issuerUnknown = `no RequestAuthentication of ${target.id} (${h.by.join(', ')}) names issuer ${c.jwtIssuer}: Istio rejects or ignores such a token, not decided offline`;
        }
        const req: AuthzRequest = { protocol: http ? 'http' : 'tcp', port, principal, method: c.method, path: c.path, host: c.host, jwt, sni: c.sni };
        let outcome = evaluateAuthorization(applicable, req, target.id);
        if (issuerUnknown && outcome.value !== false) outcome = { ...outcome, value: 'unknown', decidedBy: this.requestAuthnRef(target), reason: issuerUnknown, allowingRules: [] };
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
      layer: AccessLayer.AUTHORIZATION,
      value: chosen.outcome.value,
      decidedBy: chosen.outcome.decidedBy,
      reason: chosen.outcome.reason,
      policies: chosen.outcome.value === true && allowingRules.length > 0 ? [...new Set(allowingRules.map((r) => r.split(' ')[0]))] : chosen.outcome.policies,
      // A denial only because no ALLOW rule admits the request, with why each rule does not.
      byDefault: chosen.outcome.byDefault,
      misses: chosen.outcome.misses,
    };
    return { verdict, example, allowingRules, conditions: [...new Set(conditions)] };
  }

  private cached<T>(key: string, make: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key);
  }

  private requestAuthnRef(target: Workload): string {
    return policiesFor(this.requestAuthns, target, this.rootNamespace, this.requestAuthnIndex)[0]?.ref ?? '';
  }

  /** The rule behind `AuthorizationPolicy/ns/name rules[i]`. */
  private ruleOf(ref: string): unknown {
    const m = /^(.*) rules\[(\d+)\]$/.exec(ref);
    const policy = m ? this.policyByRef.get(m[1]) : undefined;
    return policy && m ? policy.rules[Number(m[2])] : undefined;
  }
}
