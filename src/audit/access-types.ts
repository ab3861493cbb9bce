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
  /** Kubernetes NetworkPolicy (L3/L4): egress of the caller, then ingress of the target. */
  NETWORK = 'network',
  /** Istio PeerAuthentication: whether the target's sidecar accepts the connection (plaintext or mTLS). */
  MTLS = 'mtls',
  /** Istio RequestAuthentication and AuthorizationPolicy (CUSTOM, DENY, ALLOW) at the target's sidecar. */
  AUTHORIZATION = 'authorization',
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
   * Whether it runs an Istio proxy (gateways do).
   * @default true
   */
  readonly sidecar?: boolean;
}

/** Options of {@link AccessMatrix.fromManifests}. */
export interface AccessMatrixOptions {
  /**
   * Trust domain of the mesh: identities are `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * Mesh root namespace: AuthorizationPolicies, RequestAuthentications and PeerAuthentications
   * there apply to every namespace.
   * @default "istio-system"
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
}

/** One question: may `from` call `to` on `port` (with this request)? */
export interface AccessRequest {
  /** The caller: `namespace/name` of a workload (or its bare name when unique). */
  readonly from: string;
  /** The target: `namespace/name` of a workload (or its bare name when unique). */
  readonly to: string;
  /** Port on the target: a container port, or a port of a Service in front of it (mapped to its targetPort). */
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
  /** `http` or `tcp`: the filter chain Istio applies at the target port. */
  readonly protocol: string;
  /** HTTP method, when HTTP. */
  readonly method?: string;
  /** HTTP path, when HTTP. */
  readonly path?: string;
  /** HTTP host, when HTTP. */
  readonly host?: string;
  /** Request principal `<iss>/<sub>` of a validated JWT, when the request carries one. */
  readonly requestPrincipal?: string;
  /** TLS server name, when the example needs one. */
  readonly sni?: string;
  /** Peer principal (mTLS identity of the caller); absent for plaintext. */
  readonly principal?: string;
}

/** The verdict of one layer. */
export interface AccessLayerVerdict {
  readonly layer: AccessLayer;
  readonly decision: AccessDecision;
  /** `true`, `false` or `'unknown'` (the same as `decision`). */
  readonly allowed: boolean | 'unknown';
  /** The policy that decided, as `Kind/namespace/name` (empty when no policy did: the default applied). */
  readonly decidedBy: string;
  /** Why, in one sentence. */
  readonly reason: string;
  /** Every policy of this layer that took part (allowing rules, selecting policies), as `Kind/namespace/name`. */
  readonly policies: string[];
}

/** The answer to an {@link AccessRequest}. */
export interface AccessCheckResult {
  /** `true`, `false`, or `'unknown'` when it depends on something the manifests do not say. */
  readonly allowed: boolean | 'unknown';
  /** The same as `allowed`, as an enum. */
  readonly decision: AccessDecision;
  /**
   * The policy that decided, as `Kind/namespace/name`: the first layer that denies (in the order
   * traffic meets them: caller egress, target ingress, mTLS, authorization), or, when allowed, the
   * AuthorizationPolicy that allowed it (empty when none applies and Istio allows by default).
   */
  readonly decidedBy: string;
  /** The layer of `decidedBy`. */
  readonly layer: AccessLayer;
  /** Why, in one sentence. */
  readonly reason: string;
  /** Every layer's verdict, in traffic order: network egress, network ingress, mTLS, authorization. */
  readonly layers: AccessLayerVerdict[];
  /** Workload id of the caller (`namespace/name`). */
  readonly from: string;
  /** Workload id of the target. */
  readonly to: string;
  /** Target (container) port evaluated. */
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
  /** Workload id of the target. */
  readonly to: string;
  /** Target (container) port. */
  readonly port: number;
  /** `http`, `tcp` or `auto` (protocol sniffing): how Istio reads the port. */
  readonly protocol: string;
  /** `true`, or `'unknown'` when some layer cannot be decided offline. */
  readonly allowed: boolean | 'unknown';
  /** The same as `allowed`, as an enum. */
  readonly decision: AccessDecision;
  /** AuthorizationPolicy rules that allow it (`AuthorizationPolicy/ns/name rules[i]`); empty when no ALLOW policy applies. */
  readonly allowedBy: string[];
  /** What those rules require of a request, one entry per rule. */
  readonly conditions: string[];
  /** NetworkPolicies admitting it at the target (empty: the target is not isolated for ingress). */
  readonly networkIngress: string[];
  /** NetworkPolicies letting it out of the caller (empty: the caller is not isolated for egress). */
  readonly networkEgress: string[];
  /** Effective mTLS mode at the target port: STRICT, PERMISSIVE, DISABLE, or NONE (no sidecar / port bypasses it). */
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
  readonly name: string;
  readonly namespace: string;
  /** Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod; `Workload` when declared or inferred. */
  readonly kind: string;
  readonly serviceAccount: string;
  /** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  readonly principal: string;
  /** Pod labels. */
  readonly labels: { [key: string]: string };
  /** TCP ports evaluated as targets, sorted. */
  readonly ports: number[];
  /** Whether it runs an Istio sidecar (proxy). */
  readonly sidecar: boolean;
  /** `manifest`, `declared` or `inferred`. */
  readonly origin: string;
}
