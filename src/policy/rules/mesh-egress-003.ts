import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, objectRef } from '../rule';
import { ORIGINATING_TLS_MODES } from './mesh-dr-003';
import { GATEWAY_API_GROUP } from './mesh-gateway-scope';
import { JsonMap, NETWORKING_GROUP, asList, asMap, asString, specOf, stringItems } from './mesh-shared';
import { GATEWAY_NAME_LABEL, USE_WAYPOINT_LABEL, WAYPOINT_FOR_LABEL, WAYPOINT_GATEWAY_CLASS } from '../../mesh/data-plane';

/** ServiceEntry port protocols whose traffic is TLS from the application (Istio routes it by SNI). */
export const APP_TLS_PROTOCOLS = ['HTTPS', 'TLS'];
/** ServiceEntry port protocols routed by the `http` section of a VirtualService. */
const HTTP_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'];
/** The gateway name that binds a VirtualService (or one of its matches) to every sidecar. */
const MESH = 'mesh';

type Section = 'http' | 'tls' | 'tcp';

/** Which VirtualService sections route a ServiceEntry port of `protocol` (upper case, '' when unset). */
function sectionsFor(protocol: string): Section[] {
  if (HTTP_PROTOCOLS.includes(protocol)) return ['http'];
  if (APP_TLS_PROTOCOLS.includes(protocol)) return ['tls', 'tcp'];
  // Unset: Istio sniffs HTTP, else TCP.
  if (protocol === '') return ['http', 'tcp'];
  return ['tcp'];
}

/** The namespaces an `exportTo` makes an object visible in: every namespace, or a set. */
interface Visibility {
  readonly all: boolean;
  readonly namespaces: ReadonlySet<string>;
}

function visibilityOf(object: RuleObject): Visibility {
  const own = object.metadata?.namespace ?? '';
  const list = stringItems(specOf(object).exportTo).map((e) => e.value);
  if (list.length === 0 || list.includes('*')) return { all: true, namespaces: new Set() };
  return { all: false, namespaces: new Set(list.filter((e) => e !== '~').map((e) => (e === '.' ? own : e))) };
}

function visibleIn(v: Visibility, namespace: string | undefined): boolean {
  return v.all || (namespace !== undefined && v.namespaces.has(namespace));
}

function overlaps(a: Visibility, b: Visibility): boolean {
  if (a.all) return b.all || b.namespaces.size > 0;
  if (b.all) return a.namespaces.size > 0;
  return [...a.namespaces].some((n) => b.namespaces.has(n));
}

/** `need` minus the union of `have`: what is not covered (`all` when every namespace is needed and none covers all). */
function uncovered(need: Visibility, have: readonly Visibility[]): Visibility {
  if (have.some((h) => h.all)) return { all: false, namespaces: new Set() };
  if (need.all) return need;
  return { all: false, namespaces: new Set([...need.namespaces].filter((n) => !have.some((h) => h.namespaces.has(n)))) };
}

function describeVisibility(v: Visibility): string {
  return v.all ? 'every namespace' : `namespace${v.namespaces.size > 1 ? 's' : ''} ${[...v.namespaces].sort().join(', ')}`;
}

/** Whether a host pattern of a VirtualService, Gateway server or DestinationRule (`*`, `*.example.com`, exact) covers `host`. */
export function hostCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  if (p === '*' || p === host) return true;
  return p.startsWith('*.') && host.endsWith(p.slice(1));
}

function hostsOf(object: RuleObject): string[] {
  return stringItems(specOf(object).hosts).map((h) => h.value);
}

/** A route destination of a VirtualService rule, with its path. */
interface Destination {
  readonly host: string;
  readonly port?: number;
  readonly subset?: string;
  readonly path: string;
}

function destinationOf(value: unknown, path: string): Destination | undefined {
  const d = asMap(value);
  const host = asString(d?.host);
  if (host === undefined) return undefined;
  const number = asMap(d!.port)?.number;
  return {
    host: host.toLowerCase(),
    path: `${path}.host`,
    ...(typeof number === 'number' && Number.isInteger(number) ? { port: number } : {}),
    ...(typeof d!.subset === 'string' ? { subset: d!.subset } : {}),
  };
}

/** Every destination a rule sends traffic to: routes, and for HTTP the mirrors. */
function destinationsOf(rule: JsonMap, path: string): Destination[] {
  const out: Destination[] = [];
  asList(rule.route).forEach((r, i) => {
    const d = destinationOf(asMap(r)?.destination, `${path}.route[${i}].destination`);
    if (d) out.push(d);
  });
  const mirror = destinationOf(rule.mirror, `${path}.mirror`);
  if (mirror) out.push(mirror);
  asList(rule.mirrors).forEach((m, i) => {
    const d = destinationOf(asMap(m)?.destination, `${path}.mirrors[${i}].destination`);
    if (d) out.push(d);
  });
  return out;
}

/** One rule of a VirtualService section, with how it applies to the traffic considered. */
interface RouteRule {
  readonly vs: RuleObject;
  readonly path: string;
  readonly destinations: Destination[];
  /** Whether it takes every connection (or request) it may take: no condition beyond gateway, port and SNI. */
  readonly unconditional: boolean;
}

const NEUTRAL_MATCH_FIELDS = ['gateways', 'port', 'sniHosts', 'name'];

/**
 * The rules of `vs` (for `host`) that may take traffic arriving through `gateway` (a `mesh`, or
 * a Gateway reference test) on `port` (undefined: any), in `sections`.
 */
function rulesFor(vs: RuleObject, host: string, sections: readonly Section[], port: number | undefined,
  boundTo: (gateways: readonly string[]) => boolean): RouteRule[] {
  const spec = specOf(vs);
  const vsGateways = stringItems(spec.gateways).map((g) => g.value);
  const defaultGateways = vsGateways.length > 0 ? vsGateways : [MESH];
  const out: RouteRule[] = [];
  for (const section of sections) {
    asList(spec[section]).forEach((r, k) => {
      const rule = asMap(r);
      if (!rule) return;
      const path = `spec.${section}[${k}]`;
      const matches = asList(rule.match).map(asMap).filter((m): m is JsonMap => m !== undefined);
      const applicable = matches.length === 0
        ? (boundTo(defaultGateways) ? [{} as JsonMap] : [])
        : matches.filter((m) => {
          const own = stringItems(m.gateways).map((g) => g.value);
          if (!boundTo(own.length > 0 ? own : defaultGateways)) return false;
          if (port !== undefined && typeof m.port === 'number' && m.port !== port) return false;
          const sni = stringItems(m.sniHosts).map((s) => s.value);
          return sni.length === 0 || sni.some((s) => hostCovers(s, host));
        });
      if (applicable.length === 0) return;
      out.push({
        vs,
        path,
        destinations: destinationsOf(rule, path),
        unconditional: applicable.some((m) => Object.keys(m).every((key) => NEUTRAL_MATCH_FIELDS.includes(key))),
      });
    });
  }
  return out;
}

/** The namespace of an in-cluster Service host (`name.ns.svc[.domain]`, or a bare `name` in the VirtualService's namespace). */
function serviceNamespace(host: string, vsNamespace: string | undefined): string | undefined {
  const m = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\..+)?$/.exec(host);
  if (m) return m[2];
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host) ? vsNamespace : undefined;
}

/** Whether a `gateways` reference (`ns/name`, or `name` in the VirtualService's namespace) names `gateway`. */
function refersTo(ref: string, vsNamespace: string | undefined, gateway: RuleObject): boolean {
  const name = gateway.metadata?.name;
  const namespace = gateway.metadata?.namespace;
  if (ref.includes('/')) return ref === `${namespace}/${name}`;
  return ref === name && vsNamespace === namespace;
}

/** Whether a server host of `gateway` (`[ns/]host`) admits VirtualServices of `vsNamespace` for `host`. */
function serverAdmits(gateway: RuleObject, vsNamespace: string | undefined, host: string): boolean {
  return asList(specOf(gateway).servers).some((s) => stringItems(asMap(s)?.hosts).some(({ value }) => {
    const slash = value.indexOf('/');
    const ns = slash < 0 ? '*' : value.slice(0, slash);
    const h = slash < 0 ? value : value.slice(slash + 1);
    const nsOk = ns === '*' || (ns === '.' ? vsNamespace === gateway.metadata?.namespace : ns === vsNamespace);
    return nsOk && hostCovers(h, host);
  }));
}

/** One way out through an egress gateway: the Gateway, and the rules that send `host` onwards. */
interface EgressExit {
  readonly gateway: RuleObject;
  /** Rules bound to the Gateway that forward to the external host (destination host = the host). */
  readonly exits: RouteRule[];
}

/** The model of the routing objects the rule reads. */
class EgressModel {
  private readonly gateways: RuleObject[];
  private readonly virtualServices: RuleObject[];
  private readonly destinationRules: RuleObject[];
  private readonly exitCache = new Map<string, EgressExit[]>();

  private readonly waypoints: RuleObject[];
  private readonly namespaces: RuleObject[];

  constructor(context: RuleContext) {
    this.gateways = context.objects.filter((o) => isKind(o, NETWORKING_GROUP, 'Gateway'));
    this.waypoints = context.objects.filter((o) => isKind(o, GATEWAY_API_GROUP, 'Gateway') && specOf(o).gatewayClassName === WAYPOINT_GATEWAY_CLASS);
    this.namespaces = context.objects.filter((o) => isKind(o, '', 'Namespace'));
    this.virtualServices = context.objects.filter((o) => isKind(o, NETWORKING_GROUP, 'VirtualService'));
    this.destinationRules = context.objects.filter((o) => isKind(o, NETWORKING_GROUP, 'DestinationRule'));
  }

  /**
   * The ambient egress waypoint serving a ServiceEntry: the entry (or, failing that, its
   * namespace) names with `istio.io/use-waypoint` a Gateway of class `istio-waypoint` in the
   * entry's namespace that serves services (`istio.io/waypoint-for` unset, `service` or `all`).
   * ztunnel then sends every in-mesh connection to the host through that waypoint, whatever
   * VirtualServices say, as Istio's ambient egress gateway does. Returned as a stand-in Istio
   * Gateway (its namespace and the waypoint's pod labels) for `originatesTls`.
   */
  public egressWaypoint(entry: RuleObject): RuleObject | undefined {
    const namespace = entry.metadata?.namespace;
    const nsLabels = asMap(asMap(this.namespaces.find((n) => n.metadata?.name === namespace)?.metadata)?.labels);
    const name = asString(asMap(entry.metadata?.labels)?.[USE_WAYPOINT_LABEL]) ?? asString(nsLabels?.[USE_WAYPOINT_LABEL]);
    if (name === undefined || name === 'none') return undefined;
    const waypoint = this.waypoints.find((w) => w.metadata?.namespace === namespace && w.metadata?.name === name);
    const serves = asString(asMap(waypoint?.metadata?.labels)?.[WAYPOINT_FOR_LABEL]) ?? 'service';
    if (!waypoint || !['service', 'all'].includes(serves)) return undefined;
    return { apiVersion: `${NETWORKING_GROUP}/v1`, kind: 'Gateway', metadata: { name, namespace }, spec: { selector: { [GATEWAY_NAME_LABEL]: name } } };
  }

  /** VirtualServices whose hosts cover `host`. */
  public virtualServicesFor(host: string): RuleObject[] {
    return this.virtualServices.filter((vs) => hostsOf(vs).some((h) => hostCovers(h, host)));
  }

  /**
   * The egress Gateways for `host` in `namespace`: an Istio Gateway there with a server for the
   * host, and a VirtualService bound to it, visible there, that forwards the host to the host
   * itself (on port `port` of the Gateway when given).
   */
  public egressExits(host: string, namespace: string, port: number | undefined): EgressExit[] {
    const key = JSON.stringify([host, namespace, port ?? null]);
    const cached = this.exitCache.get(key);
    if (cached) return cached;
    const found: EgressExit[] = [];
    for (const gateway of this.gateways.filter((g) => g.metadata?.namespace === namespace)) {
      const exits: RouteRule[] = [];
      for (const vs of this.virtualServicesFor(host)) {
        const vsNamespace = vs.metadata?.namespace;
        if (!visibleIn(visibilityOf(vs), namespace) || !serverAdmits(gateway, vsNamespace, host)) continue;
        const bound = (gateways: readonly string[]) => gateways.some((g) => refersTo(g, vsNamespace, gateway));
        for (const rule of rulesFor(vs, host, ['http', 'tls', 'tcp'], port, bound)) {
          if (rule.destinations.length > 0 && rule.destinations.every((d) => d.host === host)) exits.push(rule);
        }
      }
      if (exits.length > 0) found.push({ gateway, exits });
    }
    this.exitCache.set(key, found);
    return found;
  }

  /** The namespaces holding an egress Gateway for `host` (see `egressExits`). */
  public egressNamespaces(host: string): Set<string> {
    const namespaces = new Set<string>();
    for (const gateway of this.gateways) {
      const namespace = gateway.metadata?.namespace;
      if (namespace !== undefined && !namespaces.has(namespace) && this.egressExits(host, namespace, undefined).length > 0) namespaces.add(namespace);
    }
    return namespaces;
  }

  /**
   * Whether a DestinationRule visible at `gateway`'s pods originates TLS (SIMPLE or MUTUAL) for
   * `host` on `port` (subset settings first, then port-level, then the top level, as Istio merges).
   */
  public originatesTls(gateway: RuleObject, host: string, port: number, subset: string | undefined): boolean {
    const namespace = gateway.metadata?.namespace;
    const gatewayLabels = asMap(specOf(gateway).selector) ?? {};
    return this.destinationRules.some((dr) => {
      const spec = specOf(dr);
      const drHost = asString(spec.host);
      if (drHost === undefined || !hostCovers(drHost, host) || !visibleIn(visibilityOf(dr), namespace)) return false;
      const selector = asMap(asMap(spec.workloadSelector)?.matchLabels);
      if (selector && !Object.entries(selector).every(([k, v]) => gatewayLabels[k] === v)) return false;
      const policies: (JsonMap | undefined)[] = [];
      if (subset !== undefined) {
        const s = asList(spec.subsets).map(asMap).find((x) => x?.name === subset);
        policies.push(asMap(s?.trafficPolicy));
      }
      policies.push(asMap(spec.trafficPolicy));
      for (const policy of policies) {
        if (!policy) continue;
        const portTls = asList(policy.portLevelSettings).map(asMap)
          .find((p) => asMap(p?.port)?.number === port && asMap(p?.tls) !== undefined);
        const tls = asMap(portTls?.tls) ?? asMap(policy.tls);
        if (tls) return ORIGINATING_TLS_MODES.includes(asString(tls.mode) ?? '');
      }
      return false;
    });
  }
}

/** One violation with the object it is about. */
type Finding = { readonly object: RuleObject; readonly violation: RuleViolation };

/**
 * MESH-EGRESS-003 (EGRESS-1): external hosts are reached only through an egress gateway, and
 * plaintext never leaves the mesh.
 *
 * For every ServiceEntry outside the mesh (`location` MESH_EXTERNAL, or unset: Istio's default),
 * each host and port, judged from the routing objects of the output (not from names or labels):
 *
 * (b) Routed through an egress gateway. Every rule of a VirtualService bound to `mesh` (no
 * `gateways`, or `mesh` among them, also per match) that covers the host, is visible where the
 * ServiceEntry is, and may take traffic on that port (its section for the port's protocol: `http`
 * for HTTP/HTTP2/GRPC, `tls` and `tcp` for TLS/HTTPS, `tcp` otherwise, `http` and `tcp` when the
 * protocol is unset) sends it (routes and mirrors) only to an egress gateway Service: an in-cluster
 * Service host (`<name>.<ns>.svc...`) whose namespace holds an Istio `Gateway` with a server for the
 * host and a VirtualService bound to that Gateway that forwards the host to itself. A rule that
 * sends it anywhere else is reported on the VirtualService. And in every namespace the ServiceEntry
 * is exported to, such a gateway route takes all of the port's traffic (for TLS and TCP a rule
 * without conditions beyond gateway, port and SNI, since unmatched connections would go straight
 * to the host; for HTTP any rule, since unmatched requests get a 404); otherwise the port is
 * reported on the ServiceEntry (`spec.hosts[i]`). The egress gateway's own namespace (one holding
 * such a Gateway and forwarding route for the host) needs no mesh route: the gateway itself uses
 * the entry there, so the host's TLS port can be exported to that namespace alone.
 *
 * (a) No plaintext leaves the mesh. A port whose protocol is not TLS or HTTPS (HTTP, HTTP2, GRPC,
 * MONGO, REDIS, MYSQL, TCP, unset...) carries what the application sends in the clear, so its
 * traffic must reach an egress gateway whose route forwards the host to a port for which a
 * DestinationRule visible at the gateway (its namespace, exportTo, workloadSelector within the
 * Gateway's selector) originates TLS (SIMPLE or MUTUAL); otherwise `spec.ports[i].protocol` is
 * reported. TCP counts as plaintext: it is opaque, the proxies forward any bytes, including
 * plaintext, whereas on a TLS or HTTPS port they route only a TLS ClientHello by its SNI.
 * Protocols that start in plaintext and upgrade (Postgres, MySQL, SMTP STARTTLS) cannot be declared
 * TLS: they need a PolicyException, and the client must require verified TLS itself.
 *
 * What EgressGateway writes passes. For `ExternalHost.https`: a ServiceEntry exported to the gateway
 * and caller namespaces, a VirtualService with the same exportTo whose `mesh` rule sends the host to
 * the gateway Service and whose gateway rule forwards it to the host, and the Gateway. For
 * `httpsOriginated`: the callers' ServiceEntry has the application's HTTP port only (routed to the
 * gateway, TLS originated there by a DestinationRule of the gateway namespace), and the host's TLS
 * port is in a second entry exported to the gateway namespace alone. Before that, the TLS port sat
 * in the callers' entry without a mesh route (reported here: the callers' sidecars could open it
 * straight to the host). The rule judges routes, not how Istio merges two entries of one host seen
 * in one namespace (only with equal exportTo), so such layouts are not checked for that.
 *
 * Not covered (the output does not say): whether the Service the sidecars are sent to really
 * selects the gateway's pods (the gateway's Service and Deployment are usually installed by
 * istioctl or a chart, so the rule trusts a Gateway and its routes in the Service's namespace;
 * RBAC-1 keeps app teams from writing there); mesh config that changes default exportTo; Sidecar
 * resources that hide hosts (they only narrow what is reported). No admission form: the routing
 * lives in other objects, and a per-object check of ports would refuse EgressGateway's own
 * ServiceEntries (the HTTP port of a TLS-originated host).
 */
export const MESH_EGRESS_003: PolicyRule = {
  id: 'MESH-EGRESS-003',
  practices: ['EGRESS-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'External hosts are routed through an egress gateway, and plaintext ports leave only with TLS originated there',
  explanation:
    'A MESH_EXTERNAL ServiceEntry lets the sidecars of every namespace it is exported to connect to the host. Without a mesh '
    + 'route to an egress gateway they connect directly, from the application pods: past the gateway\'s per-host authorization '
    + 'of callers and its audit point. A port that is not TLS or HTTPS (HTTP, TCP, MONGO...) sends what the application writes '
    + 'in the clear unless the egress gateway originates TLS for it: credentials and data cross networks the mesh does not '
    + 'control, readable and changeable on the way.',
  fix:
    'Register external hosts with EgressGateway.allowExternal(ExternalHost.https(...) or ExternalHost.httpsOriginated(...), '
    + '{ from }), which writes the routes through the gateway and, for plain HTTP from the application, TLS origination at the '
    + 'gateway. By hand: a VirtualService bound to mesh, exported like the ServiceEntry, sending the host to the egress gateway '
    + 'Service; a Gateway and a VirtualService bound to it forwarding the host; declare TLS (or HTTPS) ports, or originate TLS '
    + 'at the gateway with a DestinationRule. A protocol that upgrades to TLS in-band (STARTTLS) needs a PolicyException.',
  check() {
    return [];
  },
  checkAll(context) {
    const model = new EgressModel(context);
    const findings: Finding[] = [];
    const reportedRoutes = new Set<string>();
    for (const entry of context.objects) {
      if (!isKind(entry, NETWORKING_GROUP, 'ServiceEntry')) continue;
      const spec = specOf(entry);
      if (spec.location === 'MESH_INTERNAL') continue;
      const seen = visibilityOf(entry);
      if (!seen.all && seen.namespaces.size === 0) continue;
      const ports = asList(spec.ports).map((p, i) => ({ port: asMap(p), index: i }))
        .filter((p): p is { port: JsonMap; index: number } => p.port !== undefined && typeof p.port.number === 'number' && Number.isInteger(p.port.number));
      const waypoint = model.egressWaypoint(entry);
      if (waypoint) {
        findings.push(...waypointPlaintext(model, entry, waypoint, ports));
        continue;
      }
      for (const { value: rawHost, index: hostIndex } of stringItems(spec.hosts)) {
        const host = rawHost.toLowerCase();
        let gatewayNamespaceCache: Set<string> | undefined;
        const gatewayNamespaces = () => (gatewayNamespaceCache ??= model.egressNamespaces(host));
        for (const { port: servicePort, index } of ports) {
          const port = servicePort.number as number;
          const protocol = (asString(servicePort.protocol) ?? '').toUpperCase();
          const meshRules = model.virtualServicesFor(host)
            .filter((vs) => overlaps(visibilityOf(vs), seen))
            .flatMap((vs) => rulesFor(vs, host, sectionsFor(protocol), port, (g) => g.includes(MESH)));
          const throughGateway: RouteRule[] = [];
          const exits: { gateway: RuleObject; rule: RouteRule }[] = [];
          let bypassed = false;
          for (const rule of meshRules) {
            let allToGateway = rule.destinations.length > 0;
            for (const d of rule.destinations) {
              const namespace = d.host === host ? undefined : serviceNamespace(d.host, rule.vs.metadata?.namespace);
              const found = namespace === undefined ? [] : model.egressExits(host, namespace, d.port);
              if (found.length === 0) {
                allToGateway = false;
                bypassed = true;
                const key = `${objectRef(rule.vs)}|${d.path}`;
                if (reportedRoutes.has(key)) continue;
                reportedRoutes.add(key);
                findings.push({
                  object: rule.vs,
                  violation: {
                    path: d.path,
                    message: `sends the external host ${host} (port ${port}) from sidecars to ${d.host}, which is not an egress gateway for it `
                      + '(no Gateway for the host in its namespace with a VirtualService forwarding it): the traffic bypasses the egress gateway',
                    port,
                  },
                });
                continue;
              }
              for (const f of found) for (const r of f.exits) exits.push({ gateway: f.gateway, rule: r });
            }
            if (allToGateway) throughGateway.push(rule);
          }
          const taking = throughGateway.filter((r) => r.unconditional || sectionOf(r) === 'http');
          // The egress gateway's own namespace needs no mesh route: the gateway itself uses the entry.
          const missing = uncovered(seen, [...taking.map((r) => visibilityOf(r.vs)), { all: false, namespaces: gatewayNamespaces() }]);
          if (missing.all || missing.namespaces.size > 0) {
            findings.push({
              object: entry,
              violation: {
                path: `spec.hosts[${hostIndex}]`,
                message: `${host} port ${port} (${protocol || 'protocol unset'}) is reached directly from ${describeVisibility(missing)}: `
                  + 'no VirtualService bound to mesh sends all of its traffic there to an egress gateway',
                port,
              },
            });
          }
          if (APP_TLS_PROTOCOLS.includes(protocol)) continue;
          const unencrypted = exits.filter(({ gateway, rule }) => rule.destinations
            .some((d) => !model.originatesTls(gateway, host, d.port ?? port, d.subset)));
          const direct = exits.length === 0 || bypassed || missing.all || missing.namespaces.size > 0;
          if (direct || unencrypted.length > 0) {
            const where = direct
              ? 'not all of its traffic leaves through an egress gateway that originates TLS'
              : `the egress gateway ${[...new Set(unencrypted.map((e) => objectRef(e.gateway)))].join(', ')} forwards it without originating TLS `
                + '(no DestinationRule with tls mode SIMPLE or MUTUAL for the host and port, visible at the gateway)';
            findings.push({
              object: entry,
              violation: {
                path: asString(servicePort.protocol) !== undefined ? `spec.ports[${index}].protocol` : `spec.ports[${index}]`,
                message: `port ${port} of ${host} is ${protocol || 'of unset protocol'}, not TLS or HTTPS, and ${where}: `
                  + 'the application\'s plaintext would leave the mesh',
                port,
              },
            });
          }
        }
      }
    }
    return findings;
  },
};

/**
 * (a) for a ServiceEntry behind an ambient egress waypoint (every in-mesh connection goes through
 * it, so (b) holds): a port that is not TLS or HTTPS leaves only if a DestinationRule visible at the
 * waypoint originates TLS for the host on that port (or its targetPort).
 */
function waypointPlaintext(model: EgressModel, entry: RuleObject, waypoint: RuleObject,
  ports: readonly { port: JsonMap; index: number }[]): Finding[] {
  const findings: Finding[] = [];
  for (const { value: rawHost } of stringItems(specOf(entry).hosts)) {
    const host = rawHost.toLowerCase();
    for (const { port: servicePort, index } of ports) {
      const protocol = (asString(servicePort.protocol) ?? '').toUpperCase();
      if (APP_TLS_PROTOCOLS.includes(protocol)) continue;
      const port = servicePort.number as number;
      const target = typeof servicePort.targetPort === 'number' ? servicePort.targetPort : port;
      if (model.originatesTls(waypoint, host, port, undefined) || model.originatesTls(waypoint, host, target, undefined)) continue;
      findings.push({
        object: entry,
        violation: {
          path: asString(servicePort.protocol) !== undefined ? `spec.ports[${index}].protocol` : `spec.ports[${index}]`,
          message: `port ${port} of ${host} is ${protocol || 'of unset protocol'}, not TLS or HTTPS, and the egress waypoint `
            + `${waypoint.metadata?.namespace}/${waypoint.metadata?.name} forwards it without originating TLS (no DestinationRule with tls mode `
            + 'SIMPLE or MUTUAL for the host, visible at the waypoint): the application\'s plaintext would leave the mesh',
          port,
        },
      });
    }
  }
  return findings;
}

function sectionOf(rule: RouteRule): Section {
  return rule.path.slice('spec.'.length, rule.path.indexOf('[')) as Section;
}
