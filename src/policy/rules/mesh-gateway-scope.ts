/**
 * Which workloads an Istio security policy (RequestAuthentication, AuthorizationPolicy) applies
 * to, seen from the gateways of the output: shared by the token rules (MESH-JWT-003,
 * MESH-TOKEN-001, TOKEN-1). Not a rule itself.
 *
 * The gateway pods are rarely in the output (istioctl or the gateway chart deploys them), so they
 * are known from the objects that bind to them:
 * - an Istio `Gateway` applies to the pods carrying its `spec.selector` labels; they are assumed
 *   to run in the Gateway's namespace, and workloads of the output whose pod labels carry the
 *   selector count as its pods too (with all their labels, in their namespace);
 * - a Kubernetes Gateway API `Gateway` is served by pods labelled
 *   `gateway.networking.k8s.io/gateway-name: <name>` in its namespace.
 *
 * A gateway is at the edge when it accepts clients without a mesh identity: an Istio Gateway with
 * a server that is not `ISTIO_MUTUAL` or `AUTO_PASSTHROUGH` (a plaintext, SIMPLE, MUTUAL,
 * OPTIONAL_MUTUAL or PASSTHROUGH server), or a Gateway API Gateway whose class is not Istio's
 * waypoint or east-west class. EgressGateway's Gateway (only ISTIO_MUTUAL servers) is not at the
 * edge: only mesh workloads can connect to it.
 */
import { RuleContext, RuleObject, isKind, objectRef } from '../rule';
import { NETWORKING_GROUP, asList, asMap, asString, podMetadata, specOf } from './mesh-shared';
import { Labels, selectorSelectsAllWith } from './network-label-selector';

/** API group of the Kubernetes Gateway API. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The pod label Istio's Gateway API deployments carry: the Gateway's name. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
/** Gateway server TLS modes that accept only mesh workloads (mesh mTLS, SNI-routed mTLS). */
export const MESH_ONLY_SERVER_MODES = ['ISTIO_MUTUAL', 'AUTO_PASSTHROUGH'];
/** Gateway API classes Istio uses for in-mesh proxies, not for the edge. */
export const IN_MESH_GATEWAY_CLASSES = ['istio-waypoint', 'istio-east-west'];

/** The pods of one gateway: the labels they carry at least, and their namespace. */
export interface GatewayPods {
  /** The Gateway object (Istio or Gateway API) the pods serve. */
  readonly gateway: RuleObject;
  /** Namespace of the pods. */
  readonly namespace: string | undefined;
  /** Labels every pod of the gateway carries. */
  readonly labels: Labels;
  /** Whether the gateway accepts clients without a mesh identity. */
  readonly edge: boolean;
}

function stringLabels(value: unknown): Labels {
  const map = asMap(value);
  if (!map) return {};
  const out: { [key: string]: string } = {};
  for (const [k, v] of Object.entries(map)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Whether an Istio Gateway has a server that clients without a mesh identity can connect to. */
function istioGatewayIsEdge(gateway: RuleObject): boolean {
  const servers = asList(specOf(gateway).servers).map(asMap).filter((s) => s !== undefined);
  if (servers.length === 0) return true;
  return servers.some((s) => !MESH_ONLY_SERVER_MODES.includes(asString(asMap(s!.tls)?.mode) ?? ''));
}

/** The pods of every gateway in the context (see the file comment). */
export function gatewayPods(context: RuleContext): GatewayPods[] {
  const out: GatewayPods[] = [];
  const workloads = context.objects
    .map((o) => ({ o, meta: podMetadata(o) }))
    .filter((w) => w.meta !== undefined);
  for (const gateway of context.objects) {
    if (isKind(gateway, NETWORKING_GROUP, 'Gateway')) {
      const labels = stringLabels(specOf(gateway).selector);
      const edge = istioGatewayIsEdge(gateway);
      out.push({ gateway, namespace: gateway.metadata?.namespace, labels, edge });
      for (const { o, meta } of workloads) {
        const podLabels = stringLabels(meta!.metadata?.labels);
        if (Object.entries(labels).every(([k, v]) => podLabels[k] === v)) {
          out.push({ gateway, namespace: o.metadata?.namespace, labels: podLabels, edge });
        }
      }
    } else if (isKind(gateway, GATEWAY_API_GROUP, 'Gateway')) {
      const name = gateway.metadata?.name;
      if (typeof name !== 'string') continue;
      const edge = !IN_MESH_GATEWAY_CLASSES.includes(asString(specOf(gateway).gatewayClassName) ?? '');
      out.push({ gateway, namespace: gateway.metadata?.namespace, labels: { [GATEWAY_NAME_LABEL]: name }, edge });
    }
  }
  return out;
}

/** Where a RequestAuthentication or AuthorizationPolicy applies. */
export interface PolicyScope {
  /** The edge gateways whose pods it applies to. */
  readonly edgeGateways: readonly RuleObject[];
  /** Whether it may also apply to workloads that are not edge gateways (in-mesh services). */
  readonly inMesh: boolean;
  /** How it applies, for messages: `namespace-wide: no selector in "shop"`, `selector app=web`, ... */
  readonly how: string;
}

function uniqueGateways(pods: readonly GatewayPods[]): RuleObject[] {
  return [...new Set(pods.map((p) => p.gateway))];
}

/**
 * Where `policy` (a RequestAuthentication or AuthorizationPolicy) applies, given `pods`:
 * - `targetRef`/`targetRefs` to a Gateway API `Gateway` (or `GatewayClass`): that gateway only;
 *   to a Service or ServiceEntry: in-mesh workloads (their waypoint);
 * - no selector: every workload of its namespace, or of the mesh in the root namespace; in a
 *   namespace that holds edge gateway pods (other than the root) it counts as the gateway's;
 * - a selector: the gateway pods that carry its labels (in its namespace, or anywhere from the
 *   root namespace); when it matches no edge gateway it applies to in-mesh workloads.
 */
export function policyScope(policy: RuleObject, pods: readonly GatewayPods[], context: RuleContext): PolicyScope {
  const spec = specOf(policy);
  const namespace = policy.metadata?.namespace;
  const inRoot = namespace === context.rootNamespace;
  const refs = [...asList(spec.targetRefs), ...(asMap(spec.targetRef) ? [spec.targetRef] : [])].map(asMap).filter((r) => r !== undefined);
  if (refs.length > 0) {
    const edge: GatewayPods[] = [];
    let inMesh = false;
    for (const ref of refs) {
      const kind = asString(ref!.kind);
      const name = asString(ref!.name);
      if (kind === 'Gateway' || kind === 'GatewayClass') {
        const matched = pods.filter((p) => isKind(p.gateway, GATEWAY_API_GROUP, 'Gateway') && (kind === 'Gateway'
          ? p.gateway.metadata?.name === name && p.namespace === namespace
          : specOf(p.gateway).gatewayClassName === name));
        edge.push(...matched.filter((p) => p.edge));
        if (matched.some((p) => !p.edge)) inMesh = true;
      } else {
        inMesh = true;
      }
    }
    return { edgeGateways: uniqueGateways(edge), inMesh, how: 'targetRefs' };
  }
  const selector = asMap(spec.selector);
  const labels = stringLabels(selector?.matchLabels);
  if (Object.keys(labels).length === 0) {
    const here = pods.filter((p) => p.edge && (inRoot || p.namespace === namespace));
    return {
      edgeGateways: uniqueGateways(here),
      inMesh: inRoot || here.length === 0,
      how: inRoot ? `mesh-wide: no selector in the root namespace "${namespace}"` : `namespace-wide: no selector in "${namespace ?? ''}"`,
    };
  }
  const matched = pods.filter((p) => (inRoot || p.namespace === namespace) && selectorSelectsAllWith({ matchLabels: labels }, p.labels));
  const edge = matched.filter((p) => p.edge);
  const selected = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  return {
    edgeGateways: uniqueGateways(edge),
    inMesh: edge.length === 0,
    how: `selector ${selected}${inRoot ? ' in every namespace, from the root namespace' : ''}`,
  };
}

/** `Kind/namespace/name` of each gateway, joined for messages. */
export function gatewayRefs(gateways: readonly RuleObject[]): string {
  return gateways.map(objectRef).join(', ');
}
