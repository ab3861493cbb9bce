import { PathNormalization } from './path-normalization';
/**
 * The public shapes of the access matrix ("who can call whom, and why"; AUTHZ-1..4, MTLS-1,
 * NETPOL-1, OPS-3): what a question looks like and what an answer says.
 */

/** The outcome of one question, or of one layer of it. */
export enum AccessDecision {
  /** Every layer admits the traffic. */
  ALLOWED = 'allowed',
  /** A layer refuses it; `decidedBy` names the policy. */
  DENIED = 'denied',
  /**
   * The answer depends on something the manifests do not say (an external authorizer of a CUSTOM
   * policy, a request header, an IP address, an unknown condition key). Never guessed.
   */
  UNKNOWN = 'unknown',
}

/** Where the traffic is decided, in the order it meets the layers. */
export enum AccessLayer {
  /**
   * Kubernetes NetworkPolicy (L3/L4): egress of the caller, then ingress of the target (for an
   * external host: the egress of whoever connects to it, the waypoint or the caller).
   */
  NETWORK = 'network',
  /** Istio PeerAuthentication: whether the target's sidecar accepts the connection (plaintext or mTLS). */
  MTLS = 'mtls',
  /** Istio RequestAuthentication and AuthorizationPolicy (CUSTOM, DENY, ALLOW) at the target's sidecar. */
  AUTHORIZATION = 'authorization',
  /**
   * Ambient: the waypoint a Service or a ServiceEntry uses (hop 1 of a request through it), which
   * enforces the AuthorizationPolicies and RequestAuthentications attached to the Service or
   * ServiceEntry or to the waypoint with `targetRefs`, L4 and L7, with the caller's identity. For
   * an external host, also whether the caller's proxy sends the request there at all (a sidecar
   * or an Istio gateway that does not know the host).
   */
  WAYPOINT = 'waypoint',
  /**
   * Ambient: the ztunnel of the target's node, which enforces the selector, namespace-wide and
   * mesh-wide AuthorizationPolicies at L4 (ALLOW and DENY; HTTP attributes fail closed) with the
   * identity that reaches it: the caller's, or the waypoint's when the request went through one.
   */
  ZTUNNEL = 'ztunnel',
}

/**
 * A workload that is not in the manifests but takes part in the traffic, typically a gateway
 * installed by Istio itself (`istio-ingressgateway`, `istio-egressgateway`).
 */
export interface DeclaredWorkload {
  /** Name of the workload (its Deployment). */
  readonly name: string;
  /** Namespace it runs in. */
  readonly namespace: string;
  /**
   * Service account its pods run as (its identity is `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`).
   * @default "default"
   */
  readonly serviceAccount?: string;
  /**
   * Labels of its pods (what AuthorizationPolicy, PeerAuthentication and NetworkPolicy selectors see).
   * @default - no labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Ports its containers listen on (TCP).
   * @default - the ports the policies selecting it name (NetworkPolicy ingress ports, AuthorizationPolicy ports)
   */
  readonly ports?: number[];
  /**
   * Whether it runs an Istio proxy (gateways do). Without one, it is in ambient mode when its
   * namespace (a Namespace object of the input) or its labels say `istio.io/dataplane-mode: ambient`.
   * @default true
   */
  readonly sidecar?: boolean;
}

/** Options of {@link AccessMatrix.fromManifests}. */
export interface AccessMatrixOptions {
  /**
   * The mesh settings file (SecureMeshConfig) whose trust domain, aliases and root namespace the
   * evaluation uses; `trustDomain`, `trustDomainAliases` and `rootNamespace` given here override
   * it. The settings are never read from the manifests themselves.
   * @default - ./secure-mesh.yaml when it exists, else Istio's defaults
   */
  readonly config?: string;
  /**
   * Trust domain of the mesh (Istio's `meshConfig.trustDomain`): workload identities are
   * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. Policy principals of this trust domain,
   * of an alias, or of `cluster.local` (which Istio reads as the local trust domain) match them;
   * principals of any other trust domain match no workload, and `warnings()` names the policies
   * that use one.
   * @default - the config file's, else "cluster.local" (Istio's default)
   */
  readonly trustDomain?: string;
  /**
   * Former or other names of the trust domain (Istio's `meshConfig.trustDomainAliases`, used while
   * migrating from one trust domain to another): a policy principal `<alias>/ns/<ns>/sa/<sa>`
   * matches the workload `<trustDomain>/ns/<ns>/sa/<sa>`, as Istio rewrites it.
   * @default - the config file's, else none
   */
  readonly trustDomainAliases?: string[];
  /**
   * Mesh root namespace: AuthorizationPolicies, RequestAuthentications and PeerAuthentications
   * there apply to every namespace.
   * @default - the config file's, else "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * Workloads that are not in the manifests (gateways installed with Istio).
   * @default - none
   */
  readonly workloads?: DeclaredWorkload[];
  /**
   * Infer a gateway workload for each Istio `Gateway` selector that no workload carries
   * (`istio: ingressgateway` gives `istio-ingressgateway` with service account
   * `istio-ingressgateway-service-account`, Istio's installation defaults). Inferred workloads are
   * reported in `warnings()`; declare them in `workloads` to be exact.
   * @default true
   */
  readonly inferGateways?: boolean;
  /**
   * How Istio normalizes request paths before AuthorizationPolicy `paths` and `notPaths` are
   * matched (`meshConfig.pathNormalization.normalization`): a request path given to `check()` is
   * normalized this way first, as the proxy does, so `/public/../private` is judged as `/private`.
   * @default PathNormalization.BASE - Istio's default (RFC 3986 dot segments, unreserved %XX decoded, `\` as `/`)
   */
  readonly pathNormalization?: PathNormalization;
}

/** A request's token, when it is not a valid one (see `AccessRequest.token`). */
export enum TokenState {
  /**
   * No token: no request principal. A RequestAuthentication lets such a request through (only an
   * AuthorizationPolicy that requires a request principal refuses it).
   */
  NONE = 'none',
  /**
   * A token that fails validation: a RequestAuthentication of the target rejects the request with
   * 401 before authorization; where none applies, the token is only a header (as NONE).
   */
  INVALID = 'invalid',
}

/** One question: may `from` call `to` on `port` (with this request)? */
export interface AccessRequest {
  /** The caller: `namespace/name` of a workload (or its bare name when unique). */
  readonly from: string;
  /**
   * The target: `namespace/name` of a workload (or its bare name when unique), or an external host
   * that a MESH_EXTERNAL ServiceEntry served by a waypoint registers (`www.googleapis.com`).
   */
  readonly to: string;
  /**
   * Port on the target: a container port, or a port of a Service in front of it (mapped to its
   * targetPort). For an external host: a port of its ServiceEntry, the one the caller addresses.
   */
  readonly port: number;
  /**
   * HTTP method.
   * @default - any: the answer is "allowed" when some method is allowed, and names one
   */
  readonly method?: string;
  /**
   * HTTP path (as sent, after normalization; a query string is ignored).
   * @default - any: the answer is "allowed" when some path is allowed, and names one
   */
  readonly path?: string;
  /**
   * HTTP host (authority).
   * @default - any
   */
  readonly host?: string;
  /**
   * Issuer (`iss`) of a valid JWT the request carries.
   * @default - with or without a token, whichever is allowed
   */
  readonly jwtIssuer?: string;
  /**
   * A request without a token (`TokenState.NONE`) or with one that fails validation
   * (`TokenState.INVALID`: malformed, expired, wrong signature or audience). Not with `jwtIssuer`,
   * which states a valid token.
   * @default - with or without a token, whichever is allowed (or the valid token `jwtIssuer` names)
   */
  readonly token?: TokenState;
  /**
   * Subject (`sub`) of that JWT.
   * @default - any subject
   */
  readonly jwtSubject?: string;
  /**
   * TLS server name of the connection (`connection.sni`).
   * @default - any
   */
  readonly sni?: string;
}

/** A concrete request the evaluator found allowed (or tried last): the example behind an answer. */
export interface AccessExample {
  /**
   * How Istio reads the request at the target port: `http`, `grpc` (HTTP/2; every gRPC call is a
   * `POST`) or `tcp` (opaque: no method, path or host).
   */
  readonly protocol: string;
  /**
   * HTTP method, when HTTP or gRPC.
   * @default - none (a TCP request)
   */
  readonly method?: string;
  /**
   * HTTP path, when HTTP or gRPC.
   * @default - none (a TCP request)
   */
  readonly path?: string;
  /**
   * HTTP host, when HTTP or gRPC.
   * @default - none (a TCP request)
   */
  readonly host?: string;
  /**
   * Request principal `<iss>/<sub>` of a validated JWT, when the request carries one.
   * @default - none (no validated JWT)
   */
  readonly requestPrincipal?: string;
  /**
   * TLS server name, when the example needs one.
   * @default - none
   */
  readonly sni?: string;
  /**
   * Peer principal (mTLS identity of the caller).
   * @default - none (plaintext: the request has no peer identity)
   */
  readonly principal?: string;
}

/** The verdict of one layer. */
export interface AccessLayerVerdict {
  /** The layer. */
  readonly layer: AccessLayer;
  /** What this layer does with the traffic: allowed, denied, or unknown (not decidable offline). */
  readonly decision: AccessDecision;
  /**
   * Whether this layer admits the traffic: `true` only when `decision` is `ALLOWED`. `false` when
   * it is `DENIED` or `UNKNOWN`: read `decision` to tell them apart.
   */
  readonly allowed: boolean;
  /**
   * The policy that decided, as `Kind/namespace/name` (empty when no policy did: the default
   * applied). When the layer refuses only because nothing grants the traffic, the policy that
   * makes that a denial: a default-deny NetworkPolicy, an allow-nothing AuthorizationPolicy.
   */
  readonly decidedBy: string;
  /** Why, in one sentence. */
  readonly reason: string;
  /** Every policy of this layer that took part (allowing rules, selecting policies), as `Kind/namespace/name`. */
  readonly policies: string[];
}

/** The answer to an {@link AccessRequest}. */
export interface AccessCheckResult {
  /**
   * Whether the call is allowed: `true` only when `decision` is `ALLOWED`. `false` both when it is
   * denied and when it depends on something the manifests do not say (`decision` is `UNKNOWN`):
   * read `decision` to tell them apart.
   */
  readonly allowed: boolean;
  /** The answer: allowed, denied, or unknown (it depends on something the manifests do not say). */
  readonly decision: AccessDecision;
  /**
   * The policy that decided, as `Kind/namespace/name`.
   *
   * - Allowed: the AuthorizationPolicy that allowed it (empty when none applies and Istio allows by default).
   *   On a port the proxy serves itself (15020, 15021, 15090), which the sidecar never captures: the
   *   NetworkPolicy that admitted it at the target (`layer` NETWORK; empty when none isolates the
   *   target), since no AuthorizationPolicy or PeerAuthentication governs such a port.
   * - Denied by a layer that refuses it outright (a DENY rule, STRICT mTLS refusing a plaintext
   *   caller): the first such layer in the order traffic meets them (caller egress, target
   *   ingress, mTLS, authorization).
   * - Denied only because nothing grants it (default deny; see `missingGrants`): the policy that
   *   makes the missing ALLOW rule a denial (the target's allow-nothing AuthorizationPolicy, or
   *   its most specific ALLOW policy), or, when authorization admits the call, the default-deny
   *   NetworkPolicy of the first refusing side.
   * - Unknown: the first layer that cannot be decided offline.
   */
  readonly decidedBy: string;
  /** The layer of `decidedBy`. */
  readonly layer: AccessLayer;
  /**
   * Why, in one sentence. For a default-deny refusal it names what is missing at each refusing
   * layer (and says so when several refuse by default).
   */
  readonly reason: string;
  /**
   * What would grant the call when it is refused only because nothing grants it: one entry per
   * refusing layer, in traffic order (an Egress rule for the caller, an Ingress rule for the
   * target, an ALLOW rule for the caller's principal on the port). Empty when the call is allowed
   * or unknown, or when a layer refuses it outright (a DENY rule, STRICT mTLS refusing
   * plaintext), which no grant overrides.
   */
  readonly missingGrants: string[];
  /**
   * Every layer's verdict, in traffic order: network egress, network ingress, mTLS, authorization
   * (a sidecar target). An ambient target: network egress and ingress (on 15008 for HBONE), mTLS,
   * ztunnel; through a waypoint: hop 1 (network egress to the waypoint, the waypoint's ingress,
   * waypoint), then hop 2 (network egress of the waypoint, the target's ingress, mTLS, ztunnel).
   * An external host through its waypoint: hop 1 (network egress to the waypoint, the waypoint's
   * ingress, mTLS, waypoint), then hop 2 (network egress of the waypoint to the host).
   */
  readonly layers: AccessLayerVerdict[];
  /** Workload id of the caller (`namespace/name`). */
  readonly from: string;
  /** Workload id of the target, or the external host. */
  readonly to: string;
  /** Target (container) port evaluated; for an external host, its ServiceEntry port. */
  readonly port: number;
  /** The request behind the answer (the allowed one, or the last one tried). */
  readonly example: AccessExample;
  /** What the allowing rules require of a request (e.g. `GET /ratings/*`), one entry per rule. */
  readonly conditions: string[];
}

/** One allowed (or possibly allowed) caller -> target:port edge of the matrix, with the policies behind it. */
export interface AccessEdge {
  /** Workload id of the caller (`namespace/name`). */
  readonly from: string;
  /** Workload id of the target, or an external host behind an egress waypoint (`www.googleapis.com`). */
  readonly to: string;
  /** Target (container) port; for an external host, the ServiceEntry port the caller addresses. */
  readonly port: number;
  /**
   * How Istio reads the port, from the Services in front of it (`appProtocol`, else the port
   * name): `http`, `grpc` (gRPC calls are HTTP/2 `POST`s), `tcp`, or `auto` (protocol sniffing).
   */
  readonly protocol: string;
  /**
   * Whether every layer admits the call: `true` only when `decision` is `ALLOWED`. An edge that
   * may be allowed (`decision` is `UNKNOWN`: some layer cannot be decided offline) has `false`.
   */
  readonly allowed: boolean;
  /** `ALLOWED`, or `UNKNOWN` when some layer cannot be decided offline (denied calls are not edges). */
  readonly decision: AccessDecision;
  /** AuthorizationPolicy rules that allow it (`AuthorizationPolicy/ns/name rules[i]`); empty when no ALLOW policy applies. */
  readonly allowedBy: string[];
  /** What those rules require of a request, one entry per rule. */
  readonly conditions: string[];
  /**
   * NetworkPolicies admitting it at the target (empty: the target is not isolated for ingress).
   * For an external host: the waypoint's, admitting the caller (hop 1) and letting it out to the
   * host (hop 2).
   */
  readonly networkIngress: string[];
  /** NetworkPolicies letting it out of the caller (empty: the caller is not isolated for egress). */
  readonly networkEgress: string[];
  /**
   * Effective mTLS mode at the target port: STRICT, PERMISSIVE, DISABLE, or NONE (no sidecar / port
   * bypasses it). An ambient target's is its ztunnel's: STRICT or PERMISSIVE (ztunnel ignores DISABLE).
   * An external host's: STRICT through its waypoint (HBONE, always mTLS), NONE for a direct connection.
   */
  readonly mtlsMode: string;
  /** The PeerAuthentication that sets it (empty: Istio's default, PERMISSIVE). */
  readonly mtlsPolicy: string;
  /** Whether a plaintext caller (no sidecar) would be admitted at the target port. */
  readonly plaintextAccepted: boolean;
  /** Every layer's verdict. */
  readonly layers: AccessLayerVerdict[];
  /** An allowed request (the example behind the edge). */
  readonly example: AccessExample;
}

/** A workload of the matrix. */
export interface AccessWorkload {
  /** `namespace/name` (or `namespace/kind/name` when two kinds share a name). */
  readonly id: string;
  /** Name of the workload (its Deployment, StatefulSet, ... or Pod). */
  readonly name: string;
  /** Namespace it runs in. */
  readonly namespace: string;
  /** Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod; `Workload` when declared or inferred. */
  readonly kind: string;
  /** Service account its pods run as. */
  readonly serviceAccount: string;
  /** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  readonly principal: string;
  /** Pod labels. */
  readonly labels: { [key: string]: string };
  /** TCP ports evaluated as targets, sorted. */
  readonly ports: number[];
  /** Whether it runs an Istio sidecar (proxy). */
  readonly sidecar: boolean;
  /**
   * Its data plane: `sidecar`, `ambient` (ztunnel at L4, a waypoint for L7: the namespace or pod
   * has `istio.io/dataplane-mode: ambient` and the pod no sidecar) or `none` (not in the mesh).
   */
  readonly dataPlane: string;
  /** `manifest`, `declared` or `inferred`. */
  readonly origin: string;
}

/** Options of {@link AccessMatrix.toTable}. */
export interface AccessTableOptions {
  /**
   * Longest line of the table, in characters: cells are wrapped (at spaces and after `/` and `,`
   * where possible) so that no line is longer. 0: no limit, each cell line on one line (as wide as
   * its content).
   * @default 120 (fits a terminal or a code review without scrolling)
   */
  readonly maxWidth?: number;
}
