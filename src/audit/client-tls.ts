import { Labels, Workload, isKindOf, labelsSubset, namespaceOf, refOf, stringMap } from './workloads';

/** Cluster DNS suffix of Service hosts. */
const CLUSTER_DOMAIN = 'svc.cluster.local';

/** What a DestinationRule says about the TLS a client sidecar uses towards its host. */
export interface ClientTlsRule {
  /** `DestinationRule/namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  /** The host as Istio reads it: a short name is completed with the rule's namespace. */
  readonly host: string;
  /** `exportTo` (undefined: every namespace). */
  readonly exportTo?: readonly string[];
  /** `workloadSelector.matchLabels`: the client workloads it applies to (undefined: all). */
  readonly workloadSelector?: Labels;
  /** `trafficPolicy.tls.mode`. */
  readonly mode?: string;
  /** `trafficPolicy.portLevelSettings[].tls.mode` by Service port. */
  readonly portModes: ReadonlyMap<number, string>;
}

/** The DestinationRules (networking.istio.io) of the input, as client TLS rules. */
export function parseDestinationRules(objects: readonly any[]): ClientTlsRule[] {
  return objects.filter((o) => isKindOf(o, 'networking.istio.io', 'DestinationRule') && typeof o.spec?.host === 'string').map((o) => {
    const namespace = namespaceOf(o);
    const raw: string = o.spec.host;
    const host = raw.includes('.') || raw === '*' ? raw : `${raw}.${namespace}.${CLUSTER_DOMAIN}`;
    const portModes = new Map<number, string>();
    for (const s of Array.isArray(o.spec.trafficPolicy?.portLevelSettings) ? o.spec.trafficPolicy.portLevelSettings : []) {
      if (typeof s?.port?.number === 'number' && typeof s?.tls?.mode === 'string') portModes.set(s.port.number, s.tls.mode);
    }
    const selector = stringMap(o.spec.workloadSelector?.matchLabels);
    return {
      ref: refOf(o),
      namespace,
      host,
      exportTo: Array.isArray(o.spec.exportTo) ? o.spec.exportTo.map(String) : undefined,
      workloadSelector: Object.keys(selector).length > 0 ? selector : undefined,
      mode: typeof o.spec.trafficPolicy?.tls?.mode === 'string' ? o.spec.trafficPolicy.tls.mode : undefined,
      portModes,
    };
  });
}

/** How specifically a DestinationRule host names `host`: exact beats the longest wildcard; undefined when it does not. */
function hostSpecificity(pattern: string, host: string): number | undefined {
  if (pattern === host) return Number.MAX_SAFE_INTEGER;
  if (pattern === '*') return 0;
  if (pattern.startsWith('*.') && host.endsWith(pattern.slice(1))) return pattern.length;
  return undefined;
}

function visibleFrom(rule: ClientTlsRule, namespace: string): boolean {
  const to = rule.exportTo ?? ['*'];
  return to.includes('*') || to.includes(namespace) || (to.includes('.') && rule.namespace === namespace);
}

/**
 * The TLS mode `caller`'s sidecar uses when it calls `target` on container port `port` through a
 * Service, and the DestinationRule that sets it; undefined when none does (Istio then uses
 * auto mTLS). As Istio picks one DestinationRule for a client and a host (pilot/pkg/model
 * push_context.go `destinationRule`): the most specific match among the rules of the client's own
 * namespace, else those of the Service's namespace exported to it, else those of the root
 * namespace; a rule with a `workloadSelector` applies only to the clients it selects. A
 * `portLevelSettings` entry for the Service port overrides the rule's `tls`.
 */
export function clientTlsMode(rules: readonly ClientTlsRule[], caller: Workload, target: Workload, port: number, rootNamespace: string):
{ mode: string; ref: string; host: string } | undefined {
  const service = target.ports.find((p) => p.port === port)?.services[0];
  if (!service) return undefined;
  const match = /^([^/]+)\/([^:]+):(\d+)$/.exec(service);
  if (!match) return undefined;
  const [, serviceNamespace, serviceName, servicePort] = match;
  const host = `${serviceName}.${serviceNamespace}.${CLUSTER_DOMAIN}`;
  const applies = (r: ClientTlsRule) => hostSpecificity(r.host, host) !== undefined
    && (r.workloadSelector === undefined || (r.namespace === caller.namespace && labelsSubset(r.workloadSelector, caller.labels)));
  for (const ns of [caller.namespace, serviceNamespace, rootNamespace]) {
    const candidates = rules.filter((r) => r.namespace === ns && applies(r) && (ns === caller.namespace || visibleFrom(r, caller.namespace)))
      .sort((a, b) => (hostSpecificity(b.host, host)! - hostSpecificity(a.host, host)!) || (a.ref < b.ref ? -1 : 1));
    const rule = candidates[0];
    if (!rule) continue;
    const mode = rule.portModes.get(Number(servicePort)) ?? rule.mode;
    return mode === undefined ? undefined : { mode, ref: rule.ref, host };
  }
  return undefined;
}
