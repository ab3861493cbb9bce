import { NAMESPACE_NAME_LABEL } from '../../network/peers';
import { AdmissionCheck, PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, kindKey } from '../rule';
import { isSet } from './mesh-shared';
import { Labels, selectorMayOverlap } from './network-label-selector';
import {
  NETWORK_POLICY_GROUP, celGoverns, celInNamespace, celSingleTcpPort, governs, isNetworkPolicy, npSpec, selectorReach, tcpPortNumber,
} from './network-policy-shape';
import { celIsKind, celString, isRecord } from './workload-pod-specs';

/** istiod's xDS and CA port (mTLS): every sidecar and gateway of the mesh connects here. */
export const ISTIOD_XDS_PORT = 15012;
/** istiod's webhook port (TLS): the API server calls the injection and validation webhooks here. */
export const ISTIOD_WEBHOOK_PORT = 15017;
/** istiod's monitoring port (plaintext HTTP metrics of the whole mesh). */
export const ISTIOD_MONITORING_PORT = 15014;

/** Ports istiod serves that must stay closed, and why. */
const CLOSED_PORTS: { readonly [port: number]: string } = {
  15010: 'plaintext xDS: anyone reaching it reads the configuration of the whole mesh, with no client identity',
  8080: 'the debug interface: it dumps the configuration, endpoints and certificates state of the whole mesh',
};

/**
 * The labels every istiod pod carries (Istio's charts set `app: istiod` and `istio: pilot` on the
 * pod template, with `istio.io/rev` and more). A selector that does not contradict them may select
 * istiod.
 */
export const ISTIOD_POD_LABELS: Labels = { app: 'istiod', istio: 'pilot' };

/** The namespace labels that put a namespace in the mesh: injection, a revision, or ambient mode. */
export function isMeshNamespaceLabels(labels: unknown): boolean {
  if (!isRecord(labels)) return false;
  const rev: unknown = labels['istio.io/rev'];
  return labels['istio-injection'] === 'enabled' || (typeof rev === 'string' && rev !== '') || labels['istio.io/dataplane-mode'] === 'ambient';
}

/**
 * Whether the NetworkPolicy's podSelector may select istiod: it does not contradict
 * {@link ISTIOD_POD_LABELS} (`{}`, `app: istiod`, `istio.io/rev: canary`, a label istiod might
 * also carry...). A malformed selector is read as selecting every pod.
 */
export function mayselectIstiod(np: RuleObject): boolean {
  const selector: unknown = npSpec(np).podSelector;
  if (!isSet(selector) || selectorReach(selector, false) === 'malformed') return true;
  return selectorMayOverlap(selector, ISTIOD_POD_LABELS);
}

/** Whether the NetworkPolicy's podSelector requires an istiod label (`app: istiod` or `istio: pilot`): it selects istiod alone. */
export function selectsOnlyIstiod(np: RuleObject): boolean {
  const selector: unknown = npSpec(np).podSelector;
  if (!isRecord(selector) || !isRecord(selector.matchLabels)) return false;
  return Object.entries(ISTIOD_POD_LABELS).some(([k, v]) => selector.matchLabels[k] === v);
}

/** CEL twin of {@link selectsOnlyIstiod} for the NetworkPolicy `object`. */
export function celSelectsOnlyIstiod(): string {
  const ml = 'object.spec.podSelector.matchLabels';
  const any = Object.entries(ISTIOD_POD_LABELS).map(([k, v]) => `(${celString(k)} in ${ml} && ${ml}[${celString(k)}] == ${celString(v)})`);
  return `(has(object.spec.podSelector) && has(${ml}) && (${any.join(' || ')}))`;
}

/** CEL twin of {@link mayselectIstiod} over the (present) selector at `s`. */
function celMayselectIstiod(s: string): string {
  const holds = (v: string) => `((e.operator == 'In' && has(e.values) && ${v} in e.values) || (e.operator == 'NotIn' && (!has(e.values) || !(${v} in e.values))) || e.operator == 'Exists')`;
  const labels = Object.entries(ISTIOD_POD_LABELS);
  const matchLabels = labels.map(([k, v]) => `(!(${celString(k)} in ${s}.matchLabels) || ${s}.matchLabels[${celString(k)}] == ${celString(v)})`).join(' && ');
  let byKey = `(has(${s}.matchLabels) && e.key in ${s}.matchLabels ? ${holds(`${s}.matchLabels[e.key]`)} : (e.operator != 'In' || (has(e.values) && size(e.values) > 0)))`;
  for (const [k, v] of [...labels].reverse()) byKey = `(e.key == ${celString(k)} ? ${holds(celString(v))} : ${byKey})`;
  return `((!has(${s}.matchLabels) || (${matchLabels})) && (!has(${s}.matchExpressions) || ${s}.matchExpressions.all(e, ${byKey})))`;
}

/** Whether a namespace selector requires a mesh label (`istio-injection: enabled`, a non-empty `istio.io/rev`, ambient mode). */
function requiresMeshLabel(selector: unknown): boolean {
  return isRecord(selector) && isMeshNamespaceLabels(selector.matchLabels);
}

/** The one namespace a namespace selector names by `kubernetes.io/metadata.name`, or undefined. */
function namedNamespace(selector: unknown): string | undefined {
  if (!isRecord(selector) || !isRecord(selector.matchLabels)) return undefined;
  const name: unknown = selector.matchLabels[NAMESPACE_NAME_LABEL];
  return typeof name === 'string' ? name : undefined;
}

/** A podSelector-only peer: pods of the policy's own namespace (the control-plane namespace). */
function isOwnNamespacePeer(peer: { readonly [key: string]: any }): boolean {
  return !isSet(peer.ipBlock) && !isSet(peer.namespaceSelector) && isRecord(peer.podSelector);
}

/** Whether `peer` may reach istiod's xDS/CA port: pods of mesh namespaces, or of the control-plane namespace. */
function isMeshPeer(peer: unknown, ctx: RuleContext): boolean {
  if (!isRecord(peer) || isSet(peer.ipBlock)) return false;
  if (isOwnNamespacePeer(peer)) return true;
  const selector: unknown = peer.namespaceSelector;
  return isSet(selector) && (requiresMeshLabel(selector) || namedNamespace(selector) === ctx.controlPlaneNamespace);
}

/** Whether `peer` may reach istiod's monitoring port: pods of one namespace named by its name label (or of the control-plane namespace). */
function isNamedNamespacePeer(peer: unknown): boolean {
  if (!isRecord(peer) || isSet(peer.ipBlock)) return false;
  return isOwnNamespacePeer(peer) || (isSet(peer.namespaceSelector) && namedNamespace(peer.namespaceSelector) !== undefined);
}

function badEntry(entry: unknown, j: number): RuleViolation['message'] {
  if (!isRecord(entry)) return `port entry ${j} is not a port object`;
  const protocol = isSet(entry.protocol) ? String(entry.protocol) : 'TCP';
  if (protocol !== 'TCP') return `port entry ${j} opens ${protocol} ${isSet(entry.port) ? entry.port : '(every port)'}: istiod serves its mesh ports on TCP only`;
  if (!isSet(entry.port)) return `port entry ${j} names no port, so it opens every TCP port of istiod (15010 plaintext xDS and 8080 debug included)`;
  if (typeof entry.port === 'string') return `port entry ${j} names the port "${entry.port}", which cannot be checked against istiod's ports: name 15012, 15017 or 15014 by number`;
  if (isSet(entry.endPort)) return `port entry ${j} opens the range ${entry.port}-${entry.endPort}: list istiod's ports one by one (15012, 15017, 15014)`;
  return `port entry ${j} is not a TCP port number`;
}

/**
 * NET-CP-001 (CP-1): NetworkPolicies that may select istiod admit only what MeshBaseline opens.
 *
 * Applies to NetworkPolicies in the control-plane namespace that govern ingress and whose
 * podSelector may select istiod's pods: it does not contradict `app: istiod` / `istio: pilot`
 * (`{}`, `app: istiod`, a revision label, a label istiod could also carry). NetworkPolicies add
 * up, so every one of them widens istiod's exposure. Each of their ingress rules must list its
 * ports, and each port must be a single TCP port among:
 * - 15012 (xDS and CA) from mesh namespaces only: peers whose namespaceSelector requires
 *   `istio-injection: enabled`, a non-empty `istio.io/rev` or `istio.io/dataplane-mode: ambient`,
 *   or names the control-plane namespace, or podSelector-only peers (pods of the control-plane
 *   namespace, e.g. the gateways);
 * - 15017 (webhooks) from any source: the API server calls it, from an address the manifests may
 *   not know (MeshBaseline.apiServerCidrs narrows it);
 * - 15014 (monitoring) from namespaces named one by one (`kubernetes.io/metadata.name`), or pods
 *   of the control-plane namespace.
 * Never 15010 (plaintext xDS), 8080 (debug), any other port, a range, a named port, or a rule
 * without ports. One violation per offending port entry (or peer, for a port whose sources are
 * too wide), with `port`.
 *
 * Not covered: egress of istiod; an istiod whose pods lack `app: istiod` / `istio: pilot` (a
 * policy selecting it by labels that contradict those is not seen); the namespace's default deny
 * (NET-DENY-001). The other way round, a policy for another pod of the control-plane namespace
 * selected only by labels istiod might also carry (e.g. `gateway: edge`, no `app`/`istio`) is
 * judged as istiod's: select such pods by `app` or `istio` (Istio's gateway charts set both). No `admission` on the rule
 * itself: the control-plane namespace is the cluster's setting; `controlPlaneAdmission(ctx)`
 * renders the same check with it inlined.
 */
export const NET_CP_001: PolicyRule = {
  id: 'NET-CP-001',
  practices: ['CP-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(NETWORK_POLICY_GROUP, 'NetworkPolicy')],
  title: 'NetworkPolicies selecting istiod open only 15012 to mesh namespaces, 15017 to the API server and 15014 to a named namespace',
  explanation:
    'istiod holds the configuration and the certificate authority of the whole mesh. Its plaintext xDS port 15010 and its '
    + 'debug port 8080 serve that configuration to anyone who connects, with no client identity; its monitoring port 15014 '
    + 'describes every workload. NetworkPolicies add up: any policy in the control-plane namespace that selects istiod and '
    + 'admits more (another port, a rule without ports, 15012 from outside the mesh) opens the control plane to every pod '
    + 'or address it names, whatever the other policies say.',
  fix:
    'Keep MeshBaseline\'s istiod-ingress policy as the only policy that opens istiod, and change what it opens through its props '
    + '(monitoringNamespace, apiServerCidrs, revision). Select other pods of the control-plane namespace by labels that exclude '
    + 'istiod (e.g. app: <their app>). A PolicyException is right only for a documented, temporary need (e.g. a debugging '
    + 'session on 8080 from one named namespace), scoped to the port.',
  admissionFor: (ctx) => controlPlaneAdmission(ctx),
  check(object, ctx) {
    if (!isNetworkPolicy(object) || object.metadata?.namespace !== ctx.controlPlaneNamespace) return [];
    if (!governs(object, 'ingress') || !mayselectIstiod(object)) return [];
    const ingress: unknown = npSpec(object).ingress;
    if (!isSet(ingress)) return [];
    if (!Array.isArray(ingress)) return [{ path: 'spec.ingress', message: 'spec.ingress is not a list of rules, for a policy that selects istiod' }];
    const out: RuleViolation[] = [];
    ingress.forEach((rule: unknown, i: number) => {
      const at = `spec.ingress[${i}]`;
      if (!isRecord(rule)) {
        out.push({ path: at, message: `ingress rule ${i} is not a rule object, for a policy that selects istiod` });
        return;
      }
      const ports: unknown = rule.ports;
      if (!isSet(ports) || (Array.isArray(ports) && ports.length === 0)) {
        out.push({ path: at, message: `ingress rule ${i} lists no ports, so it opens every port of istiod (15010 plaintext xDS and 8080 debug included)` });
        return;
      }
      if (!Array.isArray(ports)) {
        out.push({ path: `${at}.ports`, message: `ingress rule ${i}: ports is not a list, read as every port of istiod` });
        return;
      }
      ports.forEach((entry: unknown, j: number) => {
        const where = `${at}.ports[${j}]`;
        const port = tcpPortNumber(entry);
        if (port === undefined) {
          const n: unknown = isRecord(entry) ? entry.port : undefined;
          out.push({ path: where, message: badEntry(entry, j), ...(typeof n === 'number' ? { port: n } : {}) });
          return;
        }
        if (port === ISTIOD_WEBHOOK_PORT) return;
        if (port !== ISTIOD_XDS_PORT && port !== ISTIOD_MONITORING_PORT) {
          const why = CLOSED_PORTS[port] ?? 'not one of the ports the mesh needs (15012 xDS/CA, 15017 webhooks, 15014 monitoring)';
          out.push({ path: where, port, message: `ingress rule ${i} opens istiod's port ${port}: ${why}` });
          return;
        }
        const wanted = port === ISTIOD_XDS_PORT ? 'only mesh namespaces (and the control-plane namespace)' : 'only namespaces named one by one';
        const from: unknown = rule.from;
        if (!isSet(from) || (Array.isArray(from) && from.length === 0)) {
          out.push({ path: isSet(from) ? `${at}.from` : at, port, message: `ingress rule ${i} admits every source on istiod's port ${port}; ${wanted} may connect` });
          return;
        }
        if (!Array.isArray(from)) {
          out.push({ path: `${at}.from`, port, message: `ingress rule ${i}: from is not a list of peers, read as every source on istiod's port ${port}` });
          return;
        }
        from.forEach((peer: unknown, k: number) => {
          const ok = port === ISTIOD_XDS_PORT ? isMeshPeer(peer, ctx) : isNamedNamespacePeer(peer);
          if (ok) return;
          out.push({ path: `${at}.from[${k}]`, port, message: `ingress rule ${i} admits ${peerText(peer)} on istiod's port ${port}; ${wanted} may connect` });
        });
      });
    });
    return out;
  },
};

function peerText(peer: unknown): string {
  if (!isRecord(peer)) return 'a peer that is not a peer object';
  if (isSet(peer.ipBlock)) return `the addresses ${isRecord(peer.ipBlock) ? JSON.stringify(peer.ipBlock.cidr) : '(malformed ipBlock)'}`;
  if (isSet(peer.namespaceSelector)) return `the namespaces selected by ${JSON.stringify(peer.namespaceSelector)}`;
  return 'a peer that names nothing';
}

/**
 * NET-CP-001 as an admission check for one cluster: the same test as `check()`, with the
 * control-plane namespace written into the CEL.
 */
export function controlPlaneAdmission(ctx: RuleContext): AdmissionCheck {
  const cp = ctx.controlPlaneNamespace;
  const ns = (s: string) => `${s}.matchLabels`;
  const meshLabels = (s: string) => `(has(${ns(s)}) && (`
    + `('istio-injection' in ${ns(s)} && ${ns(s)}['istio-injection'] == 'enabled') `
    + `|| ('istio.io/rev' in ${ns(s)} && ${ns(s)}['istio.io/rev'] != '') `
    + `|| ('istio.io/dataplane-mode' in ${ns(s)} && ${ns(s)}['istio.io/dataplane-mode'] == 'ambient')))`;
  const names = (s: string, name?: string) => `(has(${ns(s)}) && ${celString(NAMESPACE_NAME_LABEL)} in ${ns(s)}`
    + `${name === undefined ? '' : ` && ${ns(s)}[${celString(NAMESPACE_NAME_LABEL)}] == ${celString(name)}`})`;
  const own = '(!has(q.namespaceSelector) && has(q.podSelector))';
  const meshPeer = `(!has(q.ipBlock) && (${own} || (has(q.namespaceSelector) && (${meshLabels('q.namespaceSelector')} || ${names('q.namespaceSelector', cp)}))))`;
  const namedPeer = `(!has(q.ipBlock) && (${own} || (has(q.namespaceSelector) && ${names('q.namespaceSelector')})))`;
  const fromAll = (peer: string) => `(has(r.from) && size(r.from) > 0 && r.from.all(q, ${peer}))`;
  const portOk = `(${celSingleTcpPort('p')} && (p.port == ${ISTIOD_WEBHOOK_PORT} `
    + `|| (p.port == ${ISTIOD_XDS_PORT} && ${fromAll(meshPeer)}) || (p.port == ${ISTIOD_MONITORING_PORT} && ${fromAll(namedPeer)})))`;
  const rulesOk = `(!has(object.spec.ingress) || object.spec.ingress.all(r, has(r.ports) && size(r.ports) > 0 && r.ports.all(p, ${portOk})))`;
  const selects = `(!has(object.spec.podSelector) || ${celMayselectIstiod('object.spec.podSelector')})`;
  return {
    resources: [{ apiGroups: [NETWORK_POLICY_GROUP], apiVersions: ['*'], resources: ['networkpolicies'] }],
    expression: `!${celIsKind(NETWORK_POLICY_GROUP, ['NetworkPolicy'])} || !has(object.spec) || !${celInNamespace(cp)} `
      + `|| !${celGoverns('ingress')} || !${selects} || ${rulesOk}`,
    message: `NET-CP-001 (CP-1): a NetworkPolicy in "${cp}" that may select istiod opens only TCP 15012 to mesh namespaces, 15017, `
      + 'and 15014 to named namespaces; never 15010, 8080, other ports or a rule without ports',
  };
}
