import { AuthzPolicy, RequestAuthn, TargetRef, isGatewayClassRef, isGatewayRef, isServiceEntryRef, isServiceRef } from './authz-evaluator';
import { Labels, NamespaceInfo, ServiceInfo, Workload, compareStrings, isKindOf, labelsSubset, namespaceOf, principalOf, refOf, servicesOf, stringMap } from './workloads';
import {
  GATEWAY_NAME_LABEL, HBONE_PORT, INGRESS_USE_WAYPOINT_LABEL, USE_WAYPOINT_LABEL, USE_WAYPOINT_NAMESPACE_LABEL, WAYPOINT_FOR_LABEL,
  WAYPOINT_GATEWAY_CLASS,
} from '../mesh/data-plane';
import { selectorMatches } from '../policy/rules/network-label-selector';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * Who is on the path of a request to an ambient pod (MTLS-1, AUTHZ-1..4, NETPOL-1): the waypoints
 * of the manifests (Gateway API Gateways of class `istio-waypoint`), which Service uses which
 * waypoint, and which callers go through it. Sources (istio/istio and istio.io):
 *
 * - pilot/pkg/serviceregistry/kube/controller/ambient/waypoints.go: a Service (else its
 *   namespace) names its waypoint with `istio.io/use-waypoint` (`none` opts out; the namespace
 *   of the waypoint is `istio.io/use-waypoint-namespace`, else the Service's); the waypoint must
 *   take `service` traffic (`istio.io/waypoint-for` on the Gateway, else on its GatewayClass,
 *   default `service`; `all` too), and its HBONE listener's `allowedRoutes.namespaces` must admit
 *   the Service's namespace (default: the waypoint's own). A waypoint's pods carry
 *   `gateway.networking.k8s.io/gateway-name: <gateway>`, and its service account is named after
 *   the Gateway, so its identity is `<trustDomain>/ns/<namespace>/sa/<gateway>`.
 * - istio.io docs/ambient/usage/waypoint: Istio ingress gateways send to a Service's waypoint only
 *   with `istio.io/ingress-use-waypoint: "true"` on the Service (or, since 1.25, its namespace);
 *   otherwise they reach the pods directly. A headless Service has no virtual IP, and traffic
 *   to a pod's IP skips a `service` waypoint.
 * - pilot/pkg/model/policyattachment.go (`WorkloadPolicyMatcher.ShouldAttachPolicy`): a waypoint
 *   enforces only policies with targetRefs: to a Service (or a ServiceEntry) of the policy's
 *   namespace that it serves, to its own Gateway (policy in its namespace), or to the
 *   `istio-waypoint` GatewayClass from the root namespace; selector and namespace-wide policies
 *   never apply at a waypoint.
 * - pilot/pkg/serviceregistry/kube/controller/ambient/services.go: a ServiceEntry is bound to its
 *   waypoint by the same labels as a Service (`fetchWaypointForService`): the egress gateway of
 *   ambient mode (istio.io docs/ambient/usage/egress-gateway).
 */

/** A waypoint of the manifests: a Gateway of class `istio-waypoint` and the pods Istio deploys for it. */
export interface Waypoint {
  /** `Gateway/namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  readonly name: string;
  /** `service`, `workload`, `all` or `none`: what it takes traffic for. */
  readonly trafficFor: string;
  /**
   * Its pods, as a workload (a Deployment of the manifests labelled with the gateway's name, else
   * the pods Istio deploys: service account named after the Gateway, port 15008).
   */
  readonly pods: Workload;
  /** `allowedRoutes.namespaces` of its HBONE listener: which namespaces' Services may use it. */
  readonly allowedFrom: { readonly from: string; readonly selector?: unknown };
}

/** The path of a request to an ambient target's Service: through a waypoint, or not, and why. */
export interface ServiceRoute {
  /** `namespace/name` of the Service the caller addresses (undefined: the pod's IP). */
  readonly service?: string;
  /** The waypoint the request goes through; undefined: straight to the destination's ztunnel. */
  readonly waypoint?: Waypoint;
  /** Why, in one clause. */
  readonly why: string;
  /** Set when the path cannot be decided offline (a waypoint that is not in the input): why. */
  readonly unknown?: string;
  /** The waypoint of the Service that this caller (an Istio gateway) skips. */
  readonly skippedWaypoint?: Waypoint;
}

/** Istio's `strconv.ParseBool` truth values (the way pilot reads `istio.io/ingress-use-waypoint`). */
const TRUE_VALUES = ['1', 't', 'T', 'TRUE', 'true', 'True'];

/** The waypoint named by `istio.io/use-waypoint` on an object (`none`: opted out). */
function useWaypoint(labels: { readonly [key: string]: string }, fallbackNamespace: string): { name: string; namespace: string } | 'none' | undefined {
  const name = labels[USE_WAYPOINT_LABEL];
  if (name === undefined) return undefined;
  if (name === 'none') return 'none';
  // `istio.io/use-waypoint-namespace` names the waypoint's namespace (waypoints.go `getUseWaypoint`).
  return { name, namespace: labels[USE_WAYPOINT_NAMESPACE_LABEL] ?? fallbackNamespace };
}

/** The waypoints, Services and gateways of a set of manifests, and the path of a request to an ambient pod. */
export class AmbientModel {
  private readonly waypointsByKey = new Map<string, Waypoint>();
  private readonly otherGateways = new Map<string, string>();
  private readonly services = new Map<string, ServiceInfo>();
  private readonly istioGatewaySelectors: { readonly [key: string]: string }[] = [];
  /** What the reader should know (waypoint instances found, ...). */
  public readonly notes: string[] = [];

  public constructor(objects: readonly any[], workloads: readonly Workload[], private readonly namespaces: Map<string, NamespaceInfo>,
    options: { readonly trustDomain: string; readonly rootNamespace: string }) {
    const classLabels = new Map<string, { readonly [key: string]: string }>();
    for (const o of objects) {
      if (isKindOf(o, 'gateway.networking.k8s.io', 'GatewayClass') && typeof o.metadata?.name === 'string') {
        classLabels.set(o.metadata.name, stringMap(o.metadata.labels));
      }
    }
    const gateways = objects.filter((o) => isKindOf(o, 'gateway.networking.k8s.io', 'Gateway') && typeof o.metadata?.name === 'string')
      .sort((a, b) => compareStrings(refOf(a), refOf(b)));
    for (const g of gateways) {
      const ns = namespaceOf(g);
      const name: string = g.metadata.name;
      const className = isRecord(g.spec) && typeof g.spec.gatewayClassName === 'string' ? g.spec.gatewayClassName : '';
      if (className !== WAYPOINT_GATEWAY_CLASS) {
        this.otherGateways.set(`${ns}/${name}`, className);
        continue;
      }
      const labels = stringMap(g.metadata.labels);
      const trafficFor = labels[WAYPOINT_FOR_LABEL] ?? classLabels.get(className)?.[WAYPOINT_FOR_LABEL] ?? 'service';
      const instance = workloads.find((w) => w.namespace === ns && w.labels[GATEWAY_NAME_LABEL] === name);
      const pods: Workload = instance ?? {
        id: `${ns}/${name}`,
        kind: 'Waypoint',
        name,
        namespace: ns,
        serviceAccount: name,
        principal: principalOf(options.trustDomain, ns, name),
        labels: { [GATEWAY_NAME_LABEL]: name },
        ports: [{ port: HBONE_PORT, protocol: 'tcp', services: [] }],
        sidecar: false,
        sidecarReason: 'a waypoint proxy',
        dataPlane: 'none',
        dataPlaneReason: 'a waypoint proxy (not captured by ztunnel)',
        origin: 'inferred',
        excludeInboundPorts: [],
        excludeOutboundPorts: [],
        excludesOutboundIpRanges: false,
      };
      if (instance) this.notes.push(`${instance.id} runs the waypoint ${refOf(g)} (${GATEWAY_NAME_LABEL}: ${name}): it is a hop of the requests it serves, not a workload of the matrix`);
      const listeners = isRecord(g.spec) && Array.isArray(g.spec.listeners) ? g.spec.listeners.filter(isRecord) : [];
      const hbone = listeners.find((l: any) => l.protocol === 'HBONE' && l.port === HBONE_PORT);
      const namespacesRule = isRecord(hbone?.allowedRoutes) && isRecord(hbone.allowedRoutes.namespaces) ? hbone.allowedRoutes.namespaces : {};
      this.waypointsByKey.set(`${ns}/${name}`, {
        ref: refOf(g),
        namespace: ns,
        name,
        trafficFor,
        pods,
        allowedFrom: { from: typeof namespacesRule.from === 'string' ? namespacesRule.from : 'Same', selector: namespacesRule.selector },
      });
    }
    for (const s of servicesOf(objects)) this.services.set(`${s.namespace}/${s.name}`, s);
    for (const o of objects) {
      if (isKindOf(o, 'networking.istio.io', 'Gateway')) {
        const selector = stringMap(o.spec?.selector);
        if (Object.keys(selector).length > 0) this.istioGatewaySelectors.push(selector);
      }
    }
    // A Service whose waypoint is not in the input: requests to it are not decided offline.
    const anyone = { id: '', labels: {}, sidecar: false, origin: 'manifest' } as unknown as Workload;
    for (const key of [...this.services.keys()].sort(compareStrings)) {
      const route = this.route(anyone, key);
      if (route.unknown !== undefined) this.notes.push(`${route.unknown}: requests through it are answered UNKNOWN`);
    }
  }

  /** The waypoints, sorted by reference. */
  public waypoints(): Waypoint[] {
    return [...this.waypointsByKey.values()];
  }

  /** The waypoint `namespace/name`, when it is in the input. */
  public waypoint(key: string): Waypoint | undefined {
    return this.waypointsByKey.get(key);
  }

  /** Whether `w` is the pods of a waypoint (a hop, not a workload of the matrix). */
  public isWaypointPods(w: Workload): boolean {
    return [...this.waypointsByKey.values()].some((wp) => wp.pods === w);
  }

  /** The Service `namespace/name`, when it is in the input (with a selector). */
  public service(key: string): ServiceInfo | undefined {
    return this.services.get(key);
  }

  /**
   * Whether `w` is an Istio gateway (a router: ingress or egress gateway), which reaches a
   * Service's pods directly unless the Service opts it into the waypoint: a proxy whose pods carry
   * `istio: ingressgateway`/`egressgateway` (Istio's charts), are selected by an Istio `Gateway`,
   * or are deployed for a Gateway API gateway (`gateway.networking.k8s.io/gateway-name`).
   */
  public isRouter(w: Workload): boolean {
    if (!w.sidecar) return false;
    if (w.origin === 'inferred') return true;
    if (w.labels.istio === 'ingressgateway' || w.labels.istio === 'egressgateway') return true;
    if (w.labels[GATEWAY_NAME_LABEL] !== undefined && !this.waypointsByKey.has(`${w.namespace}/${w.labels[GATEWAY_NAME_LABEL]}`)) return true;
    return this.istioGatewaySelectors.some((s) => labelsSubset(s, w.labels));
  }

  /**
   * The path of a request from `caller` to the Service `serviceKey` (`namespace/name`): through
   * its waypoint or straight to the pods, and why. `serviceKey` undefined: the caller addresses
   * the pod's IP (no Service in front of the port).
   */
  public route(caller: Workload, serviceKey: string | undefined): ServiceRoute {
    if (serviceKey === undefined) return { why: 'no Service is in front of the port, so the caller addresses the pod\'s IP, which skips any service waypoint' };
    const svc = this.services.get(serviceKey);
    if (!svc) return { service: serviceKey, why: `Service ${serviceKey} is not in the input, so no waypoint is known for it` };
    if (svc.headless) return { service: serviceKey, why: `Service ${serviceKey} is headless (clusterIP: None): callers reach the pods' IPs, with no waypoint` };
    return this.routeTo(caller, { key: serviceKey, noun: 'Service', namespace: svc.namespace, labels: svc.labels, direct: 'the pods' });
  }

  /**
   * The path of a request from `caller` to a host of the ServiceEntry `entry`: through the
   * waypoint the ServiceEntry (else its namespace) names, as for a Service (istio/istio
   * pilot/pkg/serviceregistry/kube/controller/ambient/services.go binds a ServiceEntry to its
   * waypoint with the same labels, `fetchWaypointForService`), or straight to the host.
   */
  public entryRoute(caller: Workload, entry: { readonly namespace: string; readonly name: string; readonly labels: Labels }): ServiceRoute {
    return this.routeTo(caller, { key: `${entry.namespace}/${entry.name}`, noun: 'ServiceEntry', namespace: entry.namespace, labels: entry.labels, direct: 'the host' });
  }

  /** The waypoint of a Service or ServiceEntry (`target.noun`), for `caller`, and why (waypoints.go). */
  private routeTo(caller: Workload, target: { key: string; noun: string; namespace: string; labels: Labels; direct: string }): ServiceRoute {
    const { key: serviceKey, noun } = target;
    const nsInfo = this.namespaces.get(target.namespace);
    const own = useWaypoint(target.labels, target.namespace);
    const fromNs = own === undefined && nsInfo?.known ? useWaypoint(nsInfo.labels, target.namespace) : undefined;
    const chosen = own ?? fromNs;
    const where = own !== undefined ? `on ${noun} ${serviceKey}` : `on namespace ${target.namespace}`;
    if (chosen === 'none') return { service: serviceKey, why: `${USE_WAYPOINT_LABEL}: none ${where} opts it out of waypoints` };
    if (chosen === undefined) {
      return { service: serviceKey, why: `neither ${noun} ${serviceKey} nor namespace ${target.namespace} has ${USE_WAYPOINT_LABEL}, so no waypoint serves it` };
    }
    const key = `${chosen.namespace}/${chosen.name}`;
    const wp = this.waypointsByKey.get(key);
    // An Istio gateway goes through the Service's waypoint only when the Service (or namespace) opts it in.
    const ingress = target.labels[INGRESS_USE_WAYPOINT_LABEL] ?? (nsInfo?.known ? nsInfo.labels[INGRESS_USE_WAYPOINT_LABEL] : undefined);
    const routerSkips = this.isRouter(caller) && (ingress === undefined || !TRUE_VALUES.includes(ingress));
    const skipped = (): ServiceRoute => ({
      service: serviceKey,
      ...(wp ? { skippedWaypoint: wp } : {}),
      why: `${caller.id} is an Istio gateway, which skips the waypoint ${wp?.ref ?? key} of ${noun} ${serviceKey} unless the ${noun} (or its namespace) `
        + `has ${INGRESS_USE_WAYPOINT_LABEL}: "true", and reaches ${target.direct} directly with its own identity`,
    });
    if (!wp) {
      if (routerSkips) return skipped();
      const cls = this.otherGateways.get(key);
      const what = cls !== undefined ? `Gateway ${key} of class "${cls}", not ${WAYPOINT_GATEWAY_CLASS}` : `waypoint ${key}, which is not in the input`;
      return {
        service: serviceKey,
        why: `${USE_WAYPOINT_LABEL}: ${chosen.name} ${where} names ${what}`,
        unknown: `${USE_WAYPOINT_LABEL}: ${chosen.name} ${where} names ${what}: what it enforces is not evaluated offline`,
      };
    }
    if (wp.trafficFor !== 'service' && wp.trafficFor !== 'all') {
      return { service: serviceKey, why: `waypoint ${wp.ref} takes ${wp.trafficFor} traffic (${WAYPOINT_FOR_LABEL}), not service traffic, so Istio does not bind ${noun} ${serviceKey} to it` };
    }
    if (wp.namespace !== target.namespace) {
      const admitted = wp.allowedFrom.from === 'All' ? true
        : wp.allowedFrom.from === 'Selector' ? (nsInfo?.known ? selectorMatches(wp.allowedFrom.selector, nsInfo.labels) : 'unknown') : false;
      if (admitted === 'unknown') {
        return {
          service: serviceKey,
          why: `waypoint ${wp.ref} admits Services of the namespaces its HBONE listener selects`,
          unknown: `whether waypoint ${wp.ref} admits Services of namespace ${target.namespace} depends on its labels, which are not in the input`,
        };
      }
      if (!admitted) {
        return { service: serviceKey, why: `waypoint ${wp.ref} admits only Services of the namespaces its HBONE listener allows (allowedRoutes ${wp.allowedFrom.from}), so ${noun} ${serviceKey} uses none` };
      }
    }
    if (routerSkips) return skipped();
    return { service: serviceKey, waypoint: wp, why: `${noun} ${serviceKey} uses waypoint ${wp.ref} (${USE_WAYPOINT_LABEL} ${where})` };
  }

  /**
   * Whether the waypoint `wp` enforces a policy with `targetRefs`, for a request to `service`
   * (`namespace/name`; undefined: none) or to a host of the ServiceEntry `serviceEntry`
   * (`namespace/name`): its Service or ServiceEntry (policy in its namespace), its Gateway
   * (policy in the waypoint's namespace, no other namespace named), or the `istio-waypoint`
   * GatewayClass from the root namespace (policyattachment.go, `ShouldAttachPolicy`).
   */
  public attachesAt(p: { readonly namespace: string; readonly targetRefs?: readonly TargetRef[] }, wp: Waypoint, service: string | undefined,
    rootNamespace: string, serviceEntry?: string): 'service' | 'gateway' | 'class' | undefined {
    for (const r of p.targetRefs ?? []) {
      if (isServiceRef(r) && service !== undefined && `${p.namespace}/${r.name}` === service) return 'service';
      if (isServiceEntryRef(r) && serviceEntry !== undefined && `${p.namespace}/${r.name}` === serviceEntry) return 'service';
    }
    for (const r of p.targetRefs ?? []) {
      if (isGatewayRef(r) && p.namespace === wp.namespace && (r.namespace === undefined || r.namespace === wp.namespace) && r.name === wp.name) return 'gateway';
    }
    for (const r of p.targetRefs ?? []) {
      if (isGatewayClassRef(r) && r.name === WAYPOINT_GATEWAY_CLASS && p.namespace === rootNamespace) return 'class';
    }
    return undefined;
  }

  /**
   * The policies with targetRefs that the waypoint enforces for a request to `service` (or to a
   * host of `serviceEntry`): Service- or ServiceEntry-attached first, then Gateway, then GatewayClass.
   */
  public policiesAt<T extends { readonly ref: string; readonly namespace: string; readonly targetRefs?: readonly TargetRef[] }>(
    attached: readonly T[], wp: Waypoint, service: string | undefined, rootNamespace: string, serviceEntry?: string): T[] {
    const rank = { service: 0, gateway: 1, class: 2 };
    return attached.map((p) => ({ p, how: this.attachesAt(p, wp, service, rootNamespace, serviceEntry) }))
      .filter((x): x is { p: T; how: 'service' | 'gateway' | 'class' } => x.how !== undefined)
      .sort((a, b) => rank[a.how] - rank[b.how] || compareStrings(a.p.ref, b.p.ref))
      .map((x) => x.p);
  }

  /**
   * Notes about policies with targetRefs that Istio enforces nowhere: a Service that uses no
   * waypoint (ztunnel ignores targetRefs), a Service that is not in the input, a GatewayClass
   * other than `istio-waypoint` or outside the root namespace.
   */
  public attachmentNotes(attached: readonly (AuthzPolicy | RequestAuthn)[], rootNamespace: string): string[] {
    const notes: string[] = [];
    // A caller that is not an Istio gateway: the path of the mesh's own callers.
    const anyone = { id: '', labels: {}, sidecar: false, origin: 'manifest' } as unknown as Workload;
    for (const p of attached) {
      for (const r of p.targetRefs ?? []) {
        if (isServiceRef(r)) {
          const key = `${p.namespace}/${r.name}`;
          if (!this.services.has(key)) {
            notes.push(`${p.ref} attaches to Service ${key}, which is not in the input: not evaluated`);
            continue;
          }
          const route = this.route(anyone, key);
          if (!route.waypoint && !route.unknown) {
            notes.push(`${p.ref} attaches to Service ${key}, which uses no waypoint (${route.why}): ztunnel ignores targetRefs, so Istio enforces it nowhere`);
          }
        } else if (isGatewayClassRef(r) && (r.name !== WAYPOINT_GATEWAY_CLASS || p.namespace !== rootNamespace)) {
          notes.push(`${p.ref} attaches to GatewayClass ${r.name}: Istio binds a GatewayClass reference only for ${WAYPOINT_GATEWAY_CLASS}, `
            + `from the root namespace ${rootNamespace}, so it applies to nothing`);
        }
      }
    }
    return notes;
  }
}
