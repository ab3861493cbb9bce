import { Labels, ScopeIndex, Workload, compareStrings, isKindOf, labelPairs, matchLabelsOf, namespaceOf, refOf } from './workloads';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * Istio PeerAuthentication, evaluated offline (MTLS-1): the mTLS mode a workload's sidecar applies
 * on a port. Precedence, per Istio's reference: a workload policy (selector, in the workload's
 * namespace; its `portLevelMtls` for the port first) over the namespace policy (no selector) over
 * the mesh policy (no selector, root namespace); `UNSET` inherits from the next level; with no
 * policy at all Istio's default is PERMISSIVE. Policies with a selector in the root namespace are
 * ignored (Istio ignores them). Several policies at one level: Istio takes the oldest; offline the
 * first by creation timestamp, else by name, is taken and a warning is reported.
 */

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** A PeerAuthentication, as evaluated. */
export interface PeerAuthn {
  readonly ref: string;
  readonly namespace: string;
  readonly selector?: Labels;
  /** `spec.mtls.mode`; undefined or UNSET inherits. */
  readonly mode?: string;
  /** `spec.portLevelMtls`: port -> mode. */
  readonly portModes: { readonly [port: string]: string };
  readonly created?: string;
}

/** The effective mode at a port and the policy that set it ('' for Istio's default). */
export interface MtlsOutcome {
  readonly mode: MtlsMode;
  readonly decidedBy: string;
  readonly reason: string;
}

const MODES = ['STRICT', 'PERMISSIVE', 'DISABLE'];

export function parsePeerAuthentications(objects: readonly any[]): PeerAuthn[] {
  const out: PeerAuthn[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'security.istio.io', 'PeerAuthentication') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const portModes: { [port: string]: string } = {};
    if (isRecord(spec.portLevelMtls)) {
      for (const [port, v] of Object.entries(spec.portLevelMtls)) if (isRecord(v) && typeof v.mode === 'string') portModes[port] = v.mode;
    }
    out.push({
      ref: refOf(o),
      namespace: namespaceOf(o),
      selector: matchLabelsOf(o),
      mode: typeof spec.mtls?.mode === 'string' ? spec.mtls.mode : undefined,
      portModes,
      created: typeof o.metadata.creationTimestamp === 'string' ? o.metadata.creationTimestamp : undefined,
    });
  }
  return out;
}

function oldestFirst(a: PeerAuthn, b: PeerAuthn): number {
  if (a.created && b.created && a.created !== b.created) return compareStrings(a.created, b.created);
  return compareStrings(a.ref, b.ref);
}

function hasSelector(p: PeerAuthn): boolean {
  return p.selector !== undefined && Object.keys(p.selector).length > 0;
}

/** Which policy of each level applies to a workload, with warnings when a level has several. */
export function peerAuthnLevels(all: readonly PeerAuthn[], w: Workload, rootNamespace: string,
  index?: ScopeIndex<PeerAuthn>): { levels: PeerAuthn[]; warnings: string[] } {
  const warnings: string[] = [];
  // With an index, only the workload's namespace (filed under its labels) and the root namespace are looked at.
  const inNamespace = index ? index.candidates(w.namespace, w.labels) : all;
  const inRoot = index ? index.candidates(rootNamespace, {}) : all;
  const pick = (candidates: PeerAuthn[], what: string): PeerAuthn[] => {
    const sorted = [...candidates].sort(oldestFirst);
    if (sorted.length > 1) warnings.push(`${sorted.length} ${what} PeerAuthentications apply to ${w.id} (${sorted.map((p) => p.ref).join(', ')}); Istio uses the oldest, ${sorted[0].ref} is assumed`);
    return sorted.slice(0, 1);
  };
  const workload = pick(inNamespace.filter((p) => p.namespace === w.namespace && w.namespace !== rootNamespace && hasSelector(p)
    && Object.entries(p.selector ?? {}).every(([k, v]) => w.labels[k] === v)), 'workload-level');
  const namespace = w.namespace === rootNamespace ? [] : pick(inNamespace.filter((p) => p.namespace === w.namespace && !hasSelector(p)), 'namespace-level');
  const mesh = pick(inRoot.filter((p) => p.namespace === rootNamespace && !hasSelector(p)), 'mesh-level');
  return { levels: [...workload, ...namespace, ...mesh], warnings };
}

/** The effective mTLS mode of a workload's sidecar on `port`. */
export function effectiveMtls(all: readonly PeerAuthn[], w: Workload, port: number, rootNamespace: string,
  index?: ScopeIndex<PeerAuthn>): MtlsOutcome {
  const { levels } = peerAuthnLevels(all, w, rootNamespace, index);
  for (const p of levels) {
    const portMode = hasSelector(p) ? p.portModes[String(port)] : undefined;
    if (portMode !== undefined && MODES.includes(portMode)) {
      return { mode: portMode as MtlsMode, decidedBy: p.ref, reason: `portLevelMtls ${port} of ${p.ref} is ${portMode}` };
    }
    if (p.mode !== undefined && MODES.includes(p.mode)) {
      return { mode: p.mode as MtlsMode, decidedBy: p.ref, reason: `${p.ref} sets ${p.mode}` };
    }
  }
  return { mode: 'PERMISSIVE', decidedBy: '', reason: 'no PeerAuthentication sets a mode: Istio defaults to PERMISSIVE' };
}

/** An index of PeerAuthentications by namespace and selector, for {@link peerAuthnLevels} and {@link effectiveMtls}. */
export function indexPeerAuthentications(all: readonly PeerAuthn[]): ScopeIndex<PeerAuthn> {
  return new ScopeIndex(all, (p) => p.namespace, (p) => labelPairs(p.selector));
}

/**
 * The mTLS mode the ztunnel of an ambient workload applies on `port`: the same precedence, but
 * `DISABLE` is ignored, since HBONE is always mTLS (istio.io docs/ambient/usage/l4-policy, "Peer
 * authentication"): istiod sends ztunnel its STRICT policy only where the effective mode is STRICT
 * (istio/istio pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go,
 * `convertedSelectorPeerAuthentications`, where DISABLE counts as not STRICT), so a DISABLE
 * acts as PERMISSIVE: plaintext is accepted, and mesh callers still arrive over mTLS.
 */
export function ztunnelMtls(all: readonly PeerAuthn[], w: Workload, port: number, rootNamespace: string,
  index?: ScopeIndex<PeerAuthn>): MtlsOutcome {
  const eff = effectiveMtls(all, w, port, rootNamespace, index);
  if (eff.mode !== 'DISABLE') return eff;
  return { mode: 'PERMISSIVE', decidedBy: eff.decidedBy, reason: `${eff.reason}, which ztunnel ignores (HBONE is always mTLS): as PERMISSIVE, plaintext is accepted` };
}
