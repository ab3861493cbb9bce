import { Match, TRUE, allOf, anyOf, check, falseBecause, negate, unknownBecause } from './access-logic';
import { Labels, ScopeIndex, Workload, compareStrings, isKindOf, labelPairs, matchLabelsOf, namespaceOf, refOf, selectsWorkload } from './workloads';
import { isRecord } from '../policy/rules/workload-pod-specs';

/**
 * Istio AuthorizationPolicy and RequestAuthentication, evaluated offline (AUTHZ-1, AUTHZ-2,
 * AUTHZ-3, JWT-1), following Istio's reference and the code that turns policies into Envoy RBAC:
 *
 * - scope: a policy applies to the workloads of its namespace (all of them without a selector,
 *   those carrying every `matchLabels` label with one); in the root namespace, to every namespace.
 *   Policies with `targetRef(s)` to a Gateway API gateway apply to the pods Istio deploys for it;
 *   those attached to a Service or to a waypoint (`attached`) are evaluated at the waypoint (see
 *   ambient.ts), and ztunnel reads selector and namespace-wide policies its own way
 *   (ztunnel-authz.ts).
 * - order: CUSTOM (the external authorizer decides: reported as unknown, never guessed), then DENY
 *   (any matching rule denies), then ALLOW (when any ALLOW policy applies, a request must match one
 *   of its rules; when none applies, it is allowed). AUDIT does not decide.
 * - a rule matches when one `from`, one `to` and every `when` match; fields are ANDed, values ORed,
 *   `notX` negated; absent or empty fields match anything; `rules: [{}]` matches everything and no
 *   rules match nothing.
 * - strings: exact, prefix `abc*`, suffix `*abc`, presence `*` (non-empty); hosts case-insensitive;
 *   paths also `{*}` (one segment) and `{**}` (segments) templates; `namespaces` as Istio's regex
 *   on the peer principal; `serviceAccounts` as `name` (the policy's namespace) or `ns/name`.
 * - TCP: HTTP-only fields (methods, paths, hosts, request principals, `request.*` conditions) make
 *   an ALLOW rule never match, and are ignored (match anything) in DENY and CUSTOM rules.
 * - `principals`/`namespaces`/`serviceAccounts` need mTLS: a plaintext request has no principal,
 *   so they do not match it and their `not` forms do.
 */

export type AuthzAction = 'ALLOW' | 'DENY' | 'CUSTOM' | 'AUDIT';

/** An AuthorizationPolicy, as evaluated. */
export interface AuthzPolicy {
  /** `AuthorizationPolicy/namespace/name`. */
  readonly ref: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: AuthzAction;
  /** Extension provider of a CUSTOM policy. */
  readonly provider?: string;
  /** `matchLabels`; undefined when the policy has no selector. */
  readonly selector?: Labels;
  /** `spec.rules` (raw). */
  readonly rules: readonly unknown[];
  /** Attached with targetRef(s) to a gateway: applies in its own namespace only, even in the root namespace. */
  readonly localOnly?: boolean;
  /** `targetRef`/`targetRefs`, when the policy attaches with them (the policies of `attached`). */
  readonly targetRefs?: readonly TargetRef[];
  /**
   * Rules the enforcing proxy never matches, by index, with why (ztunnel drops ALLOW rules that
   * use HTTP attributes: see ztunnel-authz.ts).
   */
  readonly droppedRules?: { readonly [index: number]: string };
}

/** A `targetRef` of a policy (Gateway API policy attachment). */
export interface TargetRef {
  /** API group (`''` for the core group). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** The namespace named by the reference (Istio supports only the policy's own). */
  readonly namespace?: string;
}

/** A request as the target's sidecar sees it. Undefined HTTP attributes are unknown. */
export interface AuthzRequest {
  readonly protocol: 'http' | 'tcp';
  /** Destination (workload) port. */
  readonly port: number;
  /** Peer principal (mTLS); undefined for plaintext. */
  readonly principal?: string;
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  /** The validated JWT (RequestAuthentication accepted it); undefined when the request has none. */
  readonly jwt?: { readonly issuer: string; readonly subject?: string };
  /** TLS server name; undefined when none. */
  readonly sni?: string;
}

/** The authorization outcome of one request at one workload. */
export interface AuthzOutcome {
  readonly value: boolean | 'unknown';
  /** `Kind/namespace/name` of the deciding policy ('' when the default decided). */
  readonly decidedBy: string;
  readonly reason: string;
  /** ALLOW rules that match, as `AuthorizationPolicy/ns/name rules[i]`. */
  readonly allowingRules: string[];
  /** Policies applying to the workload (CUSTOM, DENY, ALLOW), as refs. */
  readonly policies: string[];
  /**
   * Denied only because nothing grants the request: ALLOW policies apply and none of their rules
   * admits it (as opposed to a DENY rule matching it).
   */
  readonly byDefault?: boolean;
  /** For a denial by default: why each ALLOW policy with rules does not admit the request (`AuthorizationPolicy/ns/name: rules[i]: ...`). */
  readonly misses?: string[];
}

/** A RequestAuthentication: which JWT issuers a workload's sidecar validates. */
export interface RequestAuthn {
  readonly ref: string;
  readonly namespace: string;
  readonly selector?: Labels;
  readonly issuers: string[];
  /** Attached with targetRef(s) to a gateway: applies in its own namespace only. */
  readonly localOnly?: boolean;
  /** `targetRef`/`targetRefs`, when it attaches with them (see {@link parseAttachedRequestAuthentications}). */
  readonly targetRefs?: readonly TargetRef[];
}

const HTTP_ONLY_SOURCE = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_ONLY_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const ACTIONS: readonly string[] = ['ALLOW', 'DENY', 'CUSTOM', 'AUDIT'];

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strings(v: unknown): string[] {
  return list(v).filter((x): x is string => typeof x === 'string');
}

function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** The trust domain of the mesh and its aliases (Istio's `meshConfig.trustDomain` and `trustDomainAliases`). */
export interface TrustDomainBundle {
  readonly trustDomain: string;
  readonly aliases: readonly string[];
}

/** The trust domain Istio reads as "the local trust domain, whatever it is" in policy principals. */
const CLUSTER_LOCAL = 'cluster.local';

/**
 * A policy principal as Istio applies it to the workloads of the mesh (trust domain migration): a
 * principal `<td>/ns/<ns>/sa/<sa>` whose trust domain is the mesh's, one of its aliases (either
 * may be a `*suffix` or `prefix*` pattern) or `cluster.local` also matches the identity of that service
 * account in the mesh's trust domain, so it is read as `<trustDomain>/ns/<ns>/sa/<sa>`. Istio
 * migrates only principals of five `/`-separated parts (not `td/ns/a/*`); others are kept as
 * written. `foreign` names the trust domain of a principal that is neither the mesh's nor an
 * alias's, which matches no workload of this mesh (`*` and `*\/sa/x` name none).
 */
export function localPrincipal(value: string, bundle: TrustDomainBundle): { readonly value: string; readonly foreign?: string } {
  const slash = value.indexOf('/');
  // Only `<td>/ns/...` names a trust domain (not `*`, `*\/sa/x`, `spiffe://...`).
  if (slash <= 0 || !value.startsWith('/ns/', slash)) return { value };
  const td = value.slice(0, slash);
  if (td === '*' || td === bundle.trustDomain) return { value };
  // Istio matches the two either way round: a pattern may be in the principal or among the aliases.
  const ours = [bundle.trustDomain, ...bundle.aliases].some((d) => stringMatches(td, d) || stringMatches(d, td));
  if (value.split('/').length === 5 && (ours || td === CLUSTER_LOCAL)) return { value: `${bundle.trustDomain}${value.slice(slash)}` };
  return ours ? { value } : { value, foreign: td };
}

/**
 * A rule with its principals (`source.principals`, `notPrincipals`, `source.principal`
 * conditions) read as Istio applies them in a mesh of `bundle` ({@link localPrincipal}); the
 * foreign trust domains it names are added to `foreign`. The rule itself when nothing changes.
 */
function localizeRule(rule: unknown, bundle: TrustDomainBundle, foreign: Set<string>): unknown {
  if (!isRecord(rule)) return rule;
  let changed = false;
  const map = (values: unknown): unknown => {
    if (!Array.isArray(values)) return values;
    return values.map((v) => {
      if (typeof v !== 'string') return v;
      const l = localPrincipal(v, bundle);
      if (l.foreign !== undefined) foreign.add(l.foreign);
      if (l.value !== v) changed = true;
      return l.value;
    });
  };
  const from = Array.isArray(rule.from) ? rule.from.map((f: unknown) => {
    if (!isRecord(f) || !isRecord(f.source)) return f;
    const source = f.source;
    if (source.principals === undefined && source.notPrincipals === undefined) return f;
    return { ...f, source: { ...source, principals: map(source.principals), notPrincipals: map(source.notPrincipals) } };
  }) : rule.from;
  const when = Array.isArray(rule.when) ? rule.when.map((c: unknown) => (isRecord(c) && c.key === 'source.principal'
    ? { ...c, values: map(c.values), notValues: map(c.notValues) } : c)) : rule.when;
  return changed ? { ...rule, from, when } : rule;
}

/** The label Istio puts on the pods of a Gateway API gateway it deploys (kube-gateway.yaml). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/**
 * The workloads a policy attaches to with `targetRef`/`targetRefs`: a Gateway API `Gateway`
 * (gateway.networking.k8s.io) in the policy's namespace is served by the pods Istio deploys for
 * it, labelled `gateway.networking.k8s.io/gateway-name: <name>`
 * (manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml), and the policy applies
 * to them as a selector would, in its own namespace only (a reference names a Gateway of the
 * policy's namespace, even in the root namespace). References to a Service or a GatewayClass
 * (for a waypoint) are returned in `refs` only; so are references to a ServiceEntry of the
 * policy's namespace for which `servedServiceEntry(name)` is true (an external host behind an
 * egress waypoint, evaluated by the access matrix). Other targets are also returned in `unsupported`.
 */
export function gatewayTargets(spec: { readonly [key: string]: any }, servedServiceEntry?: (name: string) => boolean):
{ selectors: Labels[]; unsupported: string[]; refs: TargetRef[] } {
  const raw = [...(spec.targetRef !== undefined ? [spec.targetRef] : []), ...list(spec.targetRefs)];
  const selectors: Labels[] = [];
  const unsupported: string[] = [];
  const refs: TargetRef[] = [];
  for (const r of raw) {
    if (isRecord(r) && typeof r.kind === 'string' && typeof r.name === 'string' && r.name) {
      refs.push({
        group: typeof r.group === 'string' ? r.group : '',
        kind: r.kind,
        name: r.name,
        ...(typeof r.namespace === 'string' && r.namespace ? { namespace: r.namespace } : {}),
      });
    }
    if (isGatewayRef(r)) {
      selectors.push({ [GATEWAY_NAME_LABEL]: r.name });
    } else if (!isServiceRef(r) && !isGatewayClassRef(r) && !(isServiceEntryRef(r) && servedServiceEntry?.(r.name))) {
      unsupported.push(isRecord(r) ? `${String(r.group ?? '')}/${String(r.kind ?? '?')} ${String(r.name ?? '')}`.replace(/^\//, '') : JSON.stringify(r));
    }
  }
  return { selectors, unsupported, refs };
}

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** A reference to a Gateway API `Gateway` (an ingress gateway or a waypoint). */
export function isGatewayRef(r: unknown): r is TargetRef {
  return isRecord(r) && r.kind === 'Gateway' && r.group === GATEWAY_API_GROUP && typeof r.name === 'string' && r.name.length > 0;
}

/** A reference to a Kubernetes `Service` (group `''` or `core`, as Istio's `CanonicalGroup` reads it). */
export function isServiceRef(r: unknown): boolean {
  return isRecord(r) && r.kind === 'Service' && (r.group === undefined || r.group === '' || r.group === 'core')
    && typeof r.name === 'string' && r.name.length > 0;
}

/** A reference to an Istio `ServiceEntry` (networking.istio.io). */
export function isServiceEntryRef(r: unknown): r is TargetRef {
  return isRecord(r) && r.kind === 'ServiceEntry' && r.group === 'networking.istio.io' && typeof r.name === 'string' && r.name.length > 0;
}

/** A reference to a Gateway API `GatewayClass`. */
export function isGatewayClassRef(r: unknown): boolean {
  return isRecord(r) && r.kind === 'GatewayClass' && r.group === GATEWAY_API_GROUP && typeof r.name === 'string' && r.name.length > 0;
}

/**
 * Parses AuthorizationPolicies; those Istio would not apply to sidecars are reported as warnings.
 * With `bundle`, principals are read as Istio applies them in that mesh ({@link localPrincipal}),
 * and policies naming principals of another trust domain are reported in `trustDomainWarnings`.
 *
 * `policies` are those that select pods (by selector, or by a `targetRef` to a Gateway API
 * gateway, whose pods Istio labels with the gateway's name); `attached` are all the policies with
 * `targetRef(s)`, with their references, for the waypoint (a Service, a Gateway, the
 * `istio-waypoint` GatewayClass, a ServiceEntry for which `servedServiceEntry(namespace, name)`
 * is true). References to other kinds (other ServiceEntries, ...) are warned about.
 */
export function parseAuthorizationPolicies(objects: readonly any[], bundle?: TrustDomainBundle,
  servedServiceEntry?: (namespace: string, name: string) => boolean):
  { policies: AuthzPolicy[]; attached: AuthzPolicy[]; warnings: string[]; trustDomainWarnings: string[] } {
  const policies: AuthzPolicy[] = [];
  const attached: AuthzPolicy[] = [];
  const warnings: string[] = [];
  const trustDomainWarnings: string[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'security.istio.io', 'AuthorizationPolicy') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const ref = refOf(o);
    const targeted = spec.targetRef !== undefined || spec.targetRefs !== undefined;
    const served = servedServiceEntry ? (name: string) => servedServiceEntry(namespaceOf(o), name) : undefined;
    const targets = targeted ? gatewayTargets(spec, served) : undefined;
    if (targets && targets.unsupported.length > 0) {
      warnings.push(`${ref} attaches with targetRef(s) to ${targets.unsupported.join(', ')}, not evaluated`);
    }
    if (targets && targets.refs.length === 0) continue;
    if (o.metadata?.annotations?.['istio.io/dry-run'] === 'true') {
      warnings.push(`${ref} is a dry run (istio.io/dry-run), not enforced`);
      continue;
    }
    const action = spec.action ?? 'ALLOW';
    if (!ACTIONS.includes(action)) {
      warnings.push(`${ref} has an unknown action ${JSON.stringify(action)}, not evaluated`);
      continue;
    }
    const foreign = new Set<string>();
    const rules = bundle ? list(spec.rules).map((r) => localizeRule(r, bundle, foreign)) : list(spec.rules);
    if (bundle && foreign.size > 0) trustDomainWarnings.push(trustDomainWarning(ref, [...foreign].sort(compareStrings), bundle));
    const base = {
      ref,
      namespace: namespaceOf(o),
      name: o.metadata.name,
      action,
      provider: typeof spec.provider?.name === 'string' ? spec.provider.name : undefined,
      rules,
    };
    if (targets) {
      for (const selector of targets.selectors) policies.push({ ...base, selector, localOnly: true });
      attached.push({ ...base, targetRefs: targets.refs });
    } else {
      policies.push({ ...base, selector: matchLabelsOf(o) });
    }
  }
  return { policies, attached, warnings, trustDomainWarnings };
}

/** The note for a policy whose principals name another trust domain than the mesh's: which, and where to set it. */
function trustDomainWarning(ref: string, foreign: readonly string[], bundle: TrustDomainBundle): string {
  const tds = foreign.length === 1 ? `trust domain ${foreign[0]}` : `trust domains ${foreign.join(', ')}`;
  const aliases = bundle.aliases.length > 0 ? ` (aliases: ${bundle.aliases.join(', ')})` : '';
  return `${ref} names principals of ${tds}, but the trust domain evaluated is ${bundle.trustDomain}${aliases}: `
    + `identities here are ${bundle.trustDomain}/ns/<namespace>/sa/<account>, so those principals match no workload. `
    + `If the mesh's trust domain is ${foreign[0]}, set it: trustDomain in secure-mesh.yaml, --trust-domain ${foreign[0]}, `
    + 'or AccessMatrixOptions.trustDomain '
    + `(a former trust domain still in use: trustDomainAliases, --trust-domain-alias ${foreign[0]})`;
}

/**
 * The policies applying to a workload, most specific first: selector in its namespace, its
 * namespace, selector in the root namespace, the root namespace (then by name).
 */
export function policiesFor<T extends { namespace: string; selector?: Labels; ref: string; localOnly?: boolean }>(
  all: readonly T[], w: Workload, rootNamespace: string, index?: ScopeIndex<T>): T[] {
  const rank = (p: T) => (p.namespace === w.namespace ? 0 : 2) + (p.selector === undefined || Object.keys(p.selector).length === 0 ? 1 : 0);
  // With an index, only the policies of the workload's namespace and the root namespace filed under its labels are tested.
  const pool = !index ? all : w.namespace === rootNamespace ? index.candidates(w.namespace, w.labels)
    : [...index.candidates(w.namespace, w.labels), ...index.candidates(rootNamespace, w.labels)];
  return pool.filter((p) => selectsWorkload(p.namespace, p.selector, w, rootNamespace) && (!p.localOnly || p.namespace === w.namespace))
    .sort((a, b) => rank(a) - rank(b) || compareStrings(a.ref, b.ref));
}

/** An index of policies (AuthorizationPolicy, RequestAuthentication) by namespace and selector, for {@link policiesFor}. */
export function indexPolicies<T extends { namespace: string; selector?: Labels }>(all: readonly T[]): ScopeIndex<T> {
  return new ScopeIndex(all, (p) => p.namespace, (p) => labelPairs(p.selector));
}

/**
 * What the peer principal of a request must satisfy for an ALLOW rule to match it (true or
 * unknown): `undefined` when no constraint follows from the rule (no `from`, or a source without
 * `principals`, `namespaces` or `serviceAccounts`: any caller, even plaintext, may match); else
 * one test per source, each with the exact principals it admits when it admits only those. A
 * request whose principal (none for plaintext) passes no test never matches the rule (the rule's
 * `from` is false). Used to find the callers an ALLOW policy can admit without evaluating every pair.
 */
export function allowRulePeerTests(rule: unknown, policy: Pick<AuthzPolicy, 'namespace'>):
{ readonly exact?: readonly string[]; readonly test: (principal: string) => boolean }[] | undefined {
  if (!isRecord(rule)) return [];
  const froms = list(rule.from);
  if (froms.length === 0) return undefined;
  const tests: { exact?: string[]; test: (principal: string) => boolean }[] = [];
  for (const f of froms) {
    const source: { readonly [key: string]: any } = isRecord(f) && isRecord(f.source) ? f.source : {};
    const principals = strings(source.principals);
    const namespaces = strings(source.namespaces);
    const accounts = strings(source.serviceAccounts);
    if (principals.length > 0) {
      const exact = principals.every((v) => !v.startsWith('*') && !v.endsWith('*'));
      tests.push({ exact: exact ? principals : undefined, test: (p) => principals.some((v) => stringMatches(v, p)) });
    } else if (namespaces.length > 0) {
      tests.push({ test: (p) => namespaces.some((v) => namespaceMatches(v, p)) });
    } else if (accounts.length > 0) {
      tests.push({ test: (p) => accounts.some((v) => serviceAccountMatches(v, policy.namespace, p)) });
    } else {
      return undefined;
    }
  }
  return tests;
}

/** Istio's string match: exact, prefix `abc*`, suffix `*abc`, presence `*` (non-empty). */
export function stringMatches(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined || value === '') return false;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return true;
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return p === v;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const TEMPLATE = /\{\*\*?\}/;

/**
 * Path match: Istio's string match, or a path template (`{*}` one segment, `{**}` any number of
 * segments). Istio hands templates to Envoy's uri_template matcher, which turns `{**}` into a
 * regex of path characters and `/` with `*`, so it also matches nothing: `/allow/admin/{**}`
 * admits `/allow/admin/`, and `/store/{**}/cart` admits `/store//cart` (Envoy
 * source/extensions/path/uri_template_lib; Istio's tests/integration/security path template
 * cases), although Istio's reference says "one or more". The query string is not part of the path.
 */
export function pathMatches(pattern: string, rawPath: string | undefined): Match {
  if (rawPath === undefined) return unknownBecause('the path is not known');
  const path = rawPath.replace(/[?#].*$/, '');
  if (!TEMPLATE.test(pattern)) return check(stringMatches(pattern, path), `path ${path} does not match ${pattern}`);
  const parts = pattern.split(/(\{\*\*\}|\{\*\})/);
  const regex = new RegExp(`^${parts.map((x) => (x === '{**}' ? '[^?#]*' : x === '{*}' ? '[^/]+' : escapeRegex(x))).join('')}$`);
  return check(regex.test(path), `path ${path} does not match ${pattern}`);
}

/** `source.namespace`/`namespaces`: Istio matches the regex `.*\/ns/<value, * as .*>/.*` on the peer principal. */
function namespaceMatches(pattern: string, principal: string | undefined): boolean {
  if (!principal) return false;
  const v = escapeRegex(pattern).replace(/\\\*/g, '.*');
  return new RegExp(`^.*/ns/${v}/.*$`).test(principal);
}

/** `serviceAccounts`: `name` (in the policy's namespace) or `namespace/name`, matched literally on the principal. */
function serviceAccountMatches(value: string, policyNamespace: string, principal: string | undefined): boolean {
  if (!principal) return false;
  const i = value.indexOf('/');
  const ns = i < 0 ? policyNamespace : value.slice(0, i);
  const sa = i < 0 ? value : value.slice(i + 1);
  return new RegExp(`^spiffe://.+/ns/${escapeRegex(ns)}/(.+/|)sa/${escapeRegex(sa)}(/.+)?$`).test(`spiffe://${principal}`);
}

/**
 * `requestPrincipals`/`request.auth.principal` (`<iss>/<sub>`, split at the last `/`), the way
 * Istio builds it: `*` any; `*x` suffix of the issuer (or of the subject without `/`); `x*`
 * prefix of the subject (or of the issuer without `/`); else both exact.
 */
export function requestPrincipalMatches(pattern: string, jwt: { issuer: string; subject?: string } | undefined): Match {
  if (!jwt) return falseBecause('the request has no validated JWT');
  const sub = jwt.subject;
  const subjectCheck = (ok: (s: string) => boolean, what: string): Match =>
    sub === undefined ? unknownBecause(`the JWT subject is not known (${what})`) : check(ok(sub), `JWT subject ${sub} does not match ${what}`);
  const issCheck = (ok: boolean): Match => check(ok, `JWT issuer ${jwt.issuer} does not match ${pattern}`);
  const any = (s: string) => s.length > 0;
  const idx = pattern.lastIndexOf('/');
  const found = idx >= 0;
  const iss = found ? pattern.slice(0, idx) : pattern;
  const subP = found ? pattern.slice(idx + 1) : '';
  if (pattern === '*') return allOf([issCheck(any(jwt.issuer)), subjectCheck(any, 'any subject')]);
  if (pattern.startsWith('*')) {
    if (found) return allOf([issCheck(iss === '*' ? any(jwt.issuer) : jwt.issuer.endsWith(iss.slice(1))), subjectCheck((s) => s === subP, subP)]);
    return subjectCheck((s) => s.endsWith(pattern.slice(1)), pattern);
  }
  if (pattern.endsWith('*')) {
    if (found) return allOf([issCheck(jwt.issuer === iss), subjectCheck(subP === '*' ? any : (s) => s.startsWith(subP.slice(0, -1)), subP)]);
    return allOf([issCheck(jwt.issuer.startsWith(pattern.slice(0, -1))), subjectCheck(any, 'any subject')]);
  }
  return allOf([issCheck(jwt.issuer === iss), subjectCheck((s) => s === subP, subP)]);
}

/**
 * The trust domain of a peer principal `<trustDomain>/ns/<ns>/sa/<sa>` (undefined for plaintext),
 * which `source.trustDomains` and the `source.trustDomain` condition match: Istio builds both from
 * the peer certificate's SPIFFE URI `spiffe://<trustDomain>/...` (istio/api security/v1beta1
 * authorization.proto, Source.trust_domains; pilot/pkg/security/authz/model/generator.go).
 */
function trustDomainOf(principal: string | undefined): string | undefined {
  const i = principal?.indexOf('/ns/') ?? -1;
  return i > 0 ? principal!.slice(0, i) : undefined;
}

function ipMatch(values: string[]): Match {
  if (values.some((v) => v === '0.0.0.0/0' || v === '::/0')) return TRUE;
  return unknownBecause(`source IP addresses (${values.join(', ')}) are not known offline`);
}

interface Ctx {
  readonly action: AuthzAction;
  readonly policyNamespace: string;
  /** TCP traffic in a DENY/CUSTOM rule: HTTP-only fields are ignored. */
  readonly ignoreHttp: boolean;
}

/** One field: `values` ORed, `notValues` negated, both ANDed; absent or empty matches. */
function field(values: unknown, notValues: unknown, one: (v: string) => Match, label: string): Match {
  const vs = strings(values);
  const nvs = strings(notValues);
  const parts: Match[] = [];
  if (vs.length > 0) parts.push(anyOf(vs.map(one), `${label} is not one of [${vs.join(', ')}]`));
  if (nvs.length > 0) parts.push(negate(anyOf(nvs.map(one), ''), `${label} is one of [${nvs.join(', ')}] (excluded)`));
  return allOf(parts);
}

function matchSource(source: { readonly [key: string]: any }, req: AuthzRequest, ctx: Ctx): Match {
  const p = req.principal;
  const who = p ? `principal ${p}` : 'a plaintext request (no principal)';
  const parts: Match[] = [
    field(source.principals, source.notPrincipals, (v) => check(stringMatches(v, p), ''), who),
    field(source.namespaces, source.notNamespaces, (v) => check(namespaceMatches(v, p), ''), p ? `namespace of ${p}` : who),
    field(source.serviceAccounts, source.notServiceAccounts, (v) => check(serviceAccountMatches(v, ctx.policyNamespace, p), ''), p ? `service account of ${p}` : who),
  ];
  parts.push(field(source.trustDomains, source.notTrustDomains, (v) => check(stringMatches(v, trustDomainOf(p)), ''), p ? `trust domain of ${p}` : who));
  if (nonEmpty(source.ipBlocks)) parts.push(ipMatch(strings(source.ipBlocks)));
  if (nonEmpty(source.notIpBlocks)) parts.push(negate(ipMatch(strings(source.notIpBlocks)), 'the source IP is excluded by notIpBlocks'));
  if (nonEmpty(source.remoteIpBlocks)) parts.push(ipMatch(strings(source.remoteIpBlocks)));
  if (nonEmpty(source.notRemoteIpBlocks)) parts.push(negate(ipMatch(strings(source.notRemoteIpBlocks)), 'the remote IP is excluded by notRemoteIpBlocks'));
  if (!ctx.ignoreHttp) {
    const jwt = req.jwt ? `request principal ${req.jwt.issuer}/${req.jwt.subject ?? '<subject>'}` : 'a request without a validated JWT';
    parts.push(field(source.requestPrincipals, source.notRequestPrincipals, (v) => requestPrincipalMatches(v, req.jwt), jwt));
  }
  return allOf(parts);
}

/** A port value: the number, or undefined when Istio cannot read it. */
function portValue(v: string): number | undefined {
  return /^[0-9]{1,5}$/.test(v) && Number(v) <= 65535 ? Number(v) : undefined;
}

function portField(values: unknown, notValues: unknown, port: number, label: string): Match {
  // Values Istio cannot read are dropped (they only reach here in DENY/CUSTOM rules).
  const valid = (v: unknown) => strings(v).filter((x) => portValue(x) !== undefined);
  return field(valid(values), valid(notValues), (v) => check(portValue(v) === port, ''), `${label} ${port}`);
}

function matchOperation(op: { readonly [key: string]: any }, req: AuthzRequest, ctx: Ctx): Match {
  const parts: Match[] = [portField(op.ports, op.notPorts, req.port, 'port')];
  if (!ctx.ignoreHttp) {
    const known = (v: string | undefined, what: string, f: (x: string) => Match): Match => (v === undefined ? unknownBecause(`the ${what} is not known`) : f(v));
    if (nonEmpty(op.methods) || nonEmpty(op.notMethods)) {
      parts.push(known(req.method, 'method', (m) => field(op.methods, op.notMethods, (v) => check(stringMatches(v, m), ''), `method ${m}`)));
    }
    if (nonEmpty(op.paths) || nonEmpty(op.notPaths)) {
      parts.push(known(req.path, 'path', (path) => field(op.paths, op.notPaths, (v) => pathMatches(v, path), `path ${path}`)));
    }
    if (nonEmpty(op.hosts) || nonEmpty(op.notHosts)) {
      parts.push(known(req.host, 'host', (h) => field(op.hosts, op.notHosts, (v) => check(stringMatches(v, h, true), ''), `host ${h}`)));
    }
  }
  return allOf(parts);
}

/** Condition keys whose values are only on HTTP requests. */
function isHttpOnlyKey(key: string): boolean {
  return key.startsWith('request.headers') || key.startsWith('request.auth.');
}

function matchCondition(c: unknown, req: AuthzRequest, ctx: Ctx): Match {
  if (!isRecord(c) || typeof c.key !== 'string') return unknownBecause('a condition without a key');
  const key = c.key;
  if (ctx.ignoreHttp && isHttpOnlyKey(key)) return TRUE;
  const f = (one: (v: string) => Match, label: string) => field(c.values, c.notValues, one, label);
  const p = req.principal;
  switch (true) {
    case key === 'source.principal': return f((v) => check(stringMatches(v, p), ''), `source.principal ${p ?? '(none: plaintext)'}`);
    case key === 'source.namespace': return f((v) => check(namespaceMatches(v, p), ''), `source.namespace of ${p ?? '(none: plaintext)'}`);
    case key === 'source.trustDomain': return f((v) => check(stringMatches(v, trustDomainOf(p)), ''), `source.trustDomain of ${p ?? '(none: plaintext)'}`);
    case key === 'destination.port': return portField(c.values, c.notValues, req.port, 'destination.port');
    case key === 'connection.sni': return f((v) => check(stringMatches(v, req.sni), ''), `connection.sni ${req.sni ?? '(none)'}`);
    case key === 'request.auth.principal': {
      const jwt = req.jwt ? `${req.jwt.issuer}/${req.jwt.subject ?? '<subject>'}` : '(no validated JWT)';
      return f((v) => requestPrincipalMatches(v, req.jwt), `request.auth.principal ${jwt}`);
    }
    case key === 'request.auth.claims[iss]':
      return f((v) => check(stringMatches(v, req.jwt?.issuer), ''), `request.auth.claims[iss] ${req.jwt?.issuer ?? '(no validated JWT)'}`);
    case key === 'request.auth.claims[sub]':
      if (req.jwt && req.jwt.subject === undefined) return unknownBecause('the JWT subject is not known');
      return f((v) => check(stringMatches(v, req.jwt?.subject), ''), `request.auth.claims[sub] ${req.jwt?.subject ?? '(no validated JWT)'}`);
    case key.startsWith('request.auth.'):
      // Without a validated token the claim is absent: values never match, notValues always do.
      if (!req.jwt) return f(() => falseBecause(''), `${key} (no validated JWT)`);
      return unknownBecause(`condition ${key} depends on the JWT's claims`);
    case key.startsWith('request.headers'): return unknownBecause(`condition ${key} depends on request headers`);
    case key === 'source.ip' || key === 'remote.ip' || key === 'destination.ip': {
      const vs = strings(c.values);
      const nvs = strings(c.notValues);
      return allOf([...(vs.length > 0 ? [ipMatch(vs)] : []), ...(nvs.length > 0 ? [negate(ipMatch(nvs), `${key} is excluded`)] : [])]);
    }
    default: return unknownBecause(`condition ${key} is not evaluated offline`);
  }
}

/** Whether a rule uses fields that only exist on HTTP requests. */
export function ruleHasHttpOnlyFields(rule: { readonly [key: string]: any }): string[] {
  const found = new Set<string>();
  for (const f of list(rule.from)) for (const k of HTTP_ONLY_SOURCE) if (isRecord(f) && nonEmpty(f.source?.[k])) found.add(k);
  for (const t of list(rule.to)) for (const k of HTTP_ONLY_OPERATION) if (isRecord(t) && nonEmpty(t.operation?.[k])) found.add(k);
  for (const c of list(rule.when)) if (isRecord(c) && typeof c.key === 'string' && isHttpOnlyKey(c.key)) found.add(c.key);
  return [...found].sort(compareStrings);
}

function invalidPorts(rule: { readonly [key: string]: any }): string[] {
  const bad: string[] = [];
  for (const t of list(rule.to)) {
    if (!isRecord(t) || !isRecord(t.operation)) continue;
    for (const v of [...strings(t.operation.ports), ...strings(t.operation.notPorts)]) if (portValue(v) === undefined) bad.push(v);
  }
  for (const c of list(rule.when)) {
    if (isRecord(c) && c.key === 'destination.port') for (const v of [...strings(c.values), ...strings(c.notValues)]) if (portValue(v) === undefined) bad.push(v);
  }
  return bad;
}

/** Whether one rule of a policy matches the request. */
export function matchRule(rule: unknown, req: AuthzRequest, policy: Pick<AuthzPolicy, 'action' | 'namespace'>): Match {
  if (!isRecord(rule)) return falseBecause('the rule is not an object');
  const ignoreHttp = req.protocol === 'tcp' && policy.action !== 'ALLOW';
  if (req.protocol === 'tcp' && policy.action === 'ALLOW') {
    const http = ruleHasHttpOnlyFields(rule);
    if (http.length > 0) return falseBecause(`the port is TCP and the rule uses HTTP-only fields (${http.join(', ')}), so it never matches`);
  }
  if (policy.action === 'ALLOW') {
    const bad = invalidPorts(rule);
    if (bad.length > 0) return falseBecause(`ports ${bad.join(', ')} are not port numbers, so Istio drops the rule`);
  }
  const ctx: Ctx = { action: policy.action, policyNamespace: policy.namespace, ignoreHttp };
  const froms = list(rule.from);
  const tos = list(rule.to);
  const from = froms.length === 0 ? TRUE : anyOf(froms.map((f) => matchSource(isRecord(f) && isRecord(f.source) ? f.source : {}, req, ctx)), 'no source matches');
  const to = tos.length === 0 ? TRUE : anyOf(tos.map((t) => matchOperation(isRecord(t) && isRecord(t.operation) ? t.operation : {}, req, ctx)), 'no operation matches');
  const when = allOf(list(rule.when).map((c) => matchCondition(c, req, ctx)));
  return allOf([from, to, when]);
}

function describeWhy(m: Match): string {
  return m.why.length > 0 ? m.why : 'it does not match';
}

/**
 * Evaluates the AuthorizationPolicies applying to a workload (`applicable`, from
 * {@link policiesFor}) on one request, in Istio's order: CUSTOM, DENY, ALLOW.
 */
export function evaluateAuthorization(applicable: readonly AuthzPolicy[], req: AuthzRequest, target: string): AuthzOutcome {
  const policies = applicable.filter((p) => p.action !== 'AUDIT').map((p) => p.ref);
  const memo = new Map<AuthzPolicy, { i: number; m: Match }[]>();
  const ruleMatches = (p: AuthzPolicy) => {
    if (!memo.has(p)) {
      memo.set(p, p.rules.map((r, i) => {
        const dropped = p.droppedRules?.[i];
        return { i, m: dropped !== undefined ? falseBecause(dropped) : matchRule(r, req, p) };
      }));
    }
    return memo.get(p)!;
  };

  // DENY: any matching rule denies (whatever CUSTOM or ALLOW say).
  const denyUnknown: { ref: string; reason: string }[] = [];
  for (const p of applicable.filter((x) => x.action === 'DENY')) {
    for (const { i, m } of ruleMatches(p)) {
      if (m.value === true) return { value: false, decidedBy: p.ref, reason: `DENY rule rules[${i}] of ${p.ref} matches`, allowingRules: [], policies };
      if (m.value === 'unknown') denyUnknown.push({ ref: p.ref, reason: `DENY rule rules[${i}] of ${p.ref} may match: ${m.why}` });
    }
  }

  // ALLOW: when any applies, a request must match one of their rules.
  const allows = applicable.filter((x) => x.action === 'ALLOW');
  const allowing: { policy: AuthzPolicy; rule: number }[] = [];
  const allowUnknown: { ref: string; reason: string }[] = [];
  for (const p of allows) {
    for (const { i, m } of ruleMatches(p)) {
      if (m.value === true) allowing.push({ policy: p, rule: i });
      else if (m.value === 'unknown') allowUnknown.push({ ref: p.ref, reason: `ALLOW rule rules[${i}] of ${p.ref} may match: ${m.why}` });
    }
  }
  if (allows.length > 0 && allowing.length === 0 && allowUnknown.length === 0) {
    // Denied by default: what makes that a denial is an allow-nothing policy (the most specific),
    // else the ALLOW policies themselves (the most specific named: where a grant belongs).
    const nothing = allows.filter((p) => p.rules.length === 0);
    const decider = nothing[0] ?? allows[0];
    const why = allows.filter((p) => p.rules.length > 0)
      .map((p) => `${p.ref}: ${ruleMatches(p).map(({ i, m }) => `rules[${i}]: ${describeWhy(m)}`).join('; ')}`);
    const refs = nothing.map((p) => p.ref);
    const makesDenial = nothing.length > 0
      ? `${refs.length > 1 ? `${refs.slice(0, -1).join(', ')} and ${refs[refs.length - 1]} allow` : `${refs[0]} allows`} nothing, so what no ALLOW rule admits is denied`
      : `ALLOW policies apply to ${target}, so what none of their rules admits is denied`;
    return {
      value: false,
      decidedBy: decider.ref,
      reason: `no ALLOW rule matches${why.length > 0 ? ` (${why.join('; ')})` : ''}; ${makesDenial}`,
      allowingRules: [],
      policies,
      byDefault: true,
      misses: why,
    };
  }
  if (denyUnknown.length > 0) return { value: 'unknown', decidedBy: denyUnknown[0].ref, reason: denyUnknown[0].reason, allowingRules: [], policies };
  if (allowing.length === 0 && allowUnknown.length > 0) {
    return { value: 'unknown', decidedBy: allowUnknown[0].ref, reason: allowUnknown[0].reason, allowingRules: [], policies };
  }

  // CUSTOM: the external authorizer decides requests its rules match; it cannot override DENY or ALLOW.
  for (const p of applicable.filter((x) => x.action === 'CUSTOM')) {
    for (const { i, m } of ruleMatches(p)) {
      if (m.value === false) continue;
      const provider = p.provider ? `"${p.provider}"` : '(no provider named)';
      return {
        value: 'unknown',
        decidedBy: p.ref,
        allowingRules: allowing.map((a) => `${a.policy.ref} rules[${a.rule}]`),
        policies,
        reason: `${m.value === true ? '' : 'possibly '}delegated by CUSTOM rule rules[${i}] of ${p.ref} to the external authorizer ${provider} (external decision)`,
      };
    }
  }

  if (allows.length === 0) return { value: true, decidedBy: '', reason: `no ALLOW policy applies to ${target}, so Istio allows`, allowingRules: [], policies };
  const first = allowing[0];
  return {
    value: true,
    decidedBy: first.policy.ref,
    policies,
    reason: `ALLOW rule rules[${first.rule}] of ${first.policy.ref} matches`,
    allowingRules: allowing.map((a) => `${a.policy.ref} rules[${a.rule}]`),
  };
}

/** What a rule asks of a request beyond the caller and port (`GET /ratings/*`, `JWT iss/*`), for reports. */
export function describeRule(rule: unknown): string {
  if (!isRecord(rule)) return 'nothing';
  const ops = list(rule.to).map((t) => {
    const op = isRecord(t) && isRecord(t.operation) ? t.operation : {};
    const bits: string[] = [];
    if (nonEmpty(op.methods)) bits.push(strings(op.methods).join(','));
    if (nonEmpty(op.notMethods)) bits.push(`not ${strings(op.notMethods).join(',')}`);
    if (nonEmpty(op.paths)) bits.push(strings(op.paths).join(' '));
    if (nonEmpty(op.notPaths)) bits.push(`not ${strings(op.notPaths).join(' ')}`);
    if (nonEmpty(op.hosts)) bits.push(`host ${strings(op.hosts).join(',')}`);
    if (nonEmpty(op.notHosts)) bits.push(`not host ${strings(op.notHosts).join(',')}`);
    return bits.join(' ');
  }).filter((s) => s.length > 0);
  const out: string[] = [];
  if (ops.length > 0) out.push(ops.join(' | '));
  const jwts = [...new Set(list(rule.from).flatMap((f) => (isRecord(f) && isRecord(f.source) ? strings(f.source.requestPrincipals) : [])))];
  if (jwts.length > 0) out.push(`JWT ${jwts.join(',')}`);
  for (const c of list(rule.when)) {
    if (!isRecord(c) || typeof c.key !== 'string' || c.key === 'source.principal' || c.key === 'source.namespace') continue;
    if (nonEmpty(c.values)) out.push(`${c.key}=${strings(c.values).join(',')}`);
    if (nonEmpty(c.notValues)) out.push(`${c.key}!=${strings(c.notValues).join(',')}`);
  }
  return out.length > 0 ? out.join('; ') : 'any request';
}

/** Parses RequestAuthentications (those with targetRef(s) are left out). */
export function parseRequestAuthentications(objects: readonly any[]): RequestAuthn[] {
  const out: RequestAuthn[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'security.istio.io', 'RequestAuthentication') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    const base = {
      ref: refOf(o),
      namespace: namespaceOf(o),
      issuers: list(spec.jwtRules).flatMap((r) => (isRecord(r) && typeof r.issuer === 'string' ? [r.issuer] : [])),
    };
    if (spec.targetRef !== undefined || spec.targetRefs !== undefined) {
      for (const selector of gatewayTargets(spec).selectors) out.push({ ...base, selector, localOnly: true });
    } else {
      out.push({ ...base, selector: matchLabelsOf(o) });
    }
  }
  return out;
}

/**
 * RequestAuthentications attached with `targetRef(s)` (to a Service, a Gateway, a GatewayClass),
 * with their references: what a waypoint validates (istio.io docs/ambient/usage/waypoint,
 * "Attach L7 policies to waypoint proxies").
 */
export function parseAttachedRequestAuthentications(objects: readonly any[]): RequestAuthn[] {
  const out: RequestAuthn[] = [];
  for (const o of objects) {
    if (!isKindOf(o, 'security.istio.io', 'RequestAuthentication') || typeof o.metadata?.name !== 'string') continue;
    const spec = isRecord(o.spec) ? o.spec : {};
    if (spec.targetRef === undefined && spec.targetRefs === undefined) continue;
    const refs = gatewayTargets(spec).refs;
    if (refs.length === 0) continue;
    out.push({
      ref: refOf(o),
      namespace: namespaceOf(o),
      issuers: list(spec.jwtRules).flatMap((r) => (isRecord(r) && typeof r.issuer === 'string' ? [r.issuer] : [])),
      targetRefs: refs,
    });
  }
  return out;
}

/** What the target's sidecar does with a JWT of `issuer`. */
export interface JwtHandling {
  /**
   * `validated`: a RequestAuthentication of the workload names the issuer (the request principal is set);
   * `ignored`: no RequestAuthentication applies (no JWT filter: the token is just a header);
   * `unknown-issuer`: RequestAuthentications apply but none names the issuer (Istio rejects or
   * ignores such a token; not decided offline).
   */
  readonly state: 'validated' | 'ignored' | 'unknown-issuer';
  readonly by: string[];
}

/** How a workload's RequestAuthentications treat a token of `issuer`. */
export function jwtHandling(ras: readonly RequestAuthn[], w: Workload, rootNamespace: string, issuer: string,
  index?: ScopeIndex<RequestAuthn>): JwtHandling {
  return jwtHandlingOf(policiesFor(ras, w, rootNamespace, index), issuer);
}

/** How the RequestAuthentications that apply at a proxy (`applicable`) treat a token of `issuer`. */
export function jwtHandlingOf(applicable: readonly RequestAuthn[], issuer: string): JwtHandling {
  if (applicable.length === 0) return { state: 'ignored', by: [] };
  const by = applicable.filter((r) => r.issuers.includes(issuer)).map((r) => r.ref);
  return by.length > 0 ? { state: 'validated', by } : { state: 'unknown-issuer', by: applicable.map((r) => r.ref) };
}

/** Issuers the RequestAuthentications of a workload validate, sorted. */
export function acceptedIssuers(ras: readonly RequestAuthn[], w: Workload, rootNamespace: string, index?: ScopeIndex<RequestAuthn>): string[] {
  return issuersOf(policiesFor(ras, w, rootNamespace, index));
}

/** Issuers that the RequestAuthentications applying at a proxy validate, sorted. */
export function issuersOf(applicable: readonly RequestAuthn[]): string[] {
  return [...new Set(applicable.flatMap((r) => r.issuers))].sort(compareStrings);
}

/** The attributes of a request the caller chooses (undefined: not fixed). */
export interface RequestAttributes {
  readonly method?: string;
  readonly path?: string;
  readonly host?: string;
  readonly jwtIssuer?: string;
  readonly jwtSubject?: string;
  readonly sni?: string;
  /** A request without a token, or with an invalid one (only asked questions fix it). */
  readonly token?: 'none' | 'invalid';
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const PATHS = ['/', '/x', '/index.html'];
const MAX_CANDIDATES = 256;

/** A value that matches an Istio string pattern (`*.example.com` -> `x.example.com`). */
function exampleOf(pattern: string): string {
  if (pattern === '*') return 'x';
  if (pattern.startsWith('*')) return `x${pattern.slice(1)}`;
  if (pattern.endsWith('*')) return `${pattern.slice(0, -1)}x`;
  return pattern;
}

/** A path that matches a path pattern (`/ratings/*` -> `/ratings/x`). */
function examplePath(pattern: string): string {
  if (pattern === '*') return '/';
  if (TEMPLATE.test(pattern)) return pattern.replace(/\{\*\*?\}/g, 'x');
  if (pattern.startsWith('*')) return pattern.slice(1).startsWith('/') ? pattern.slice(1) : `/x${pattern.slice(1)}`;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return prefix.endsWith('/') ? `${prefix}x` : prefix;
  }
  return pattern;
}

/** The first of `pool` not excluded by `nots`. */
function notExcluded(pool: readonly string[], nots: string[], matches: (p: string, v: string) => boolean): string {
  return pool.find((v) => !nots.some((n) => matches(n, v))) ?? `${pool[0]}-x`;
}

/** A JWT (issuer, subject) that a request principal pattern matches, preferring issuers the workload validates. */
function exampleJwt(pattern: string, issuers: readonly string[]): { issuer: string; subject: string } {
  const fallback = issuers[0] ?? 'https://issuer.invalid';
  if (pattern === '*') return { issuer: fallback, subject: 'subject' };
  const idx = pattern.lastIndexOf('/');
  if (idx < 0) {
    if (pattern.startsWith('*')) return { issuer: fallback, subject: `x${pattern.slice(1)}` };
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      return { issuer: issuers.find((i) => i.startsWith(prefix)) ?? prefix, subject: 'subject' };
    }
    return { issuer: pattern, subject: 'subject' };
  }
  const iss = pattern.slice(0, idx);
  const sub = pattern.slice(idx + 1);
  const issuer = iss === '*' ? fallback : iss.startsWith('*') ? issuers.find((i) => i.endsWith(iss.slice(1))) ?? `x${iss.slice(1)}` : iss;
  return { issuer, subject: sub === '*' || sub === '' ? 'subject' : sub.endsWith('*') ? `${sub.slice(0, -1)}x` : sub };
}

function whenValues(rule: { readonly [key: string]: any }, key: string): string[] {
  return list(rule.when).flatMap((c) => (isRecord(c) && c.key === key ? strings(c.values) : []));
}

/**
 * Requests worth trying for "is some request allowed?": for every ALLOW rule, requests built from
 * its values (each method, a path matching each path pattern, each host, a JWT for each request
 * principal, each SNI), then a plain default request. Attributes fixed by the caller are kept.
 * Trying them is exact for each request; a request allowed but not among these is missed only
 * when DENY rules exclude every one of them (reported as denied: conservative).
 */
export function candidateRequests(applicable: readonly AuthzPolicy[], http: boolean, fixed: RequestAttributes,
  defaults: { host: string; issuers: readonly string[] }): RequestAttributes[] {
  const out: RequestAttributes[] = [];
  const seen = new Set<string>();
  const add = (c: RequestAttributes) => {
    const key = JSON.stringify([c.method, c.path, c.host, c.jwtIssuer, c.jwtSubject, c.sni]);
    if (seen.has(key) || out.length >= MAX_CANDIDATES) return;
    seen.add(key);
    out.push(c);
  };
  const jwtOptions = (patterns: string[], claimIssuers: string[]): { issuer?: string; subject?: string }[] => {
    if (fixed.jwtIssuer !== undefined) {
      const subjects = patterns.map((p) => exampleJwt(p, [fixed.jwtIssuer!])).filter((j) => j.issuer === fixed.jwtIssuer).map((j) => j.subject);
      return (fixed.jwtSubject !== undefined ? [fixed.jwtSubject] : [...subjects, 'subject']).map((subject) => ({ issuer: fixed.jwtIssuer, subject }));
    }
    const opts = [...patterns.map((p) => exampleJwt(p, defaults.issuers)), ...claimIssuers.map((i) => ({ issuer: exampleOf(i), subject: 'subject' }))];
    return opts.length > 0 ? opts : [{}];
  };
  for (const p of applicable.filter((x) => x.action === 'ALLOW')) {
    for (const rule of p.rules) {
      if (!isRecord(rule)) continue;
      const any: { [key: string]: any } = {};
      const froms = list(rule.from).length > 0 ? list(rule.from).map((f) => (isRecord(f) && isRecord(f.source) ? f.source : any)) : [any];
      const tos = list(rule.to).length > 0 ? list(rule.to).map((t) => (isRecord(t) && isRecord(t.operation) ? t.operation : any)) : [any];
      const snis = fixed.sni !== undefined ? [fixed.sni] : whenValues(rule, 'connection.sni').map(exampleOf);
      for (const source of froms) {
        const jwts = http ? jwtOptions([...strings(source.requestPrincipals), ...whenValues(rule, 'request.auth.principal')], whenValues(rule, 'request.auth.claims[iss]')) : [{}];
        for (const op of tos) {
          const methods = !http ? [undefined] : fixed.method !== undefined ? [fixed.method]
            : nonEmpty(op.methods) ? strings(op.methods).map(exampleOf)
              : [notExcluded(METHODS, strings(op.notMethods), (n, v) => stringMatches(n, v))];
          const paths = !http ? [undefined] : fixed.path !== undefined ? [fixed.path]
            : nonEmpty(op.paths) ? strings(op.paths).map(examplePath)
              : [notExcluded(PATHS, strings(op.notPaths), (n, v) => pathMatches(n, v).value !== false)];
          const hosts = !http ? [undefined] : fixed.host !== undefined ? [fixed.host]
            : nonEmpty(op.hosts) ? strings(op.hosts).map(exampleOf) : [notExcluded([defaults.host, `x-${defaults.host}`], strings(op.notHosts), (n, v) => stringMatches(n, v, true))];
          for (const method of methods) {
            for (const path of paths) {
              for (const host of hosts) {
                for (const jwt of jwts) {
                  for (const sni of snis.length > 0 ? snis : [undefined]) {
                    add({ method, path, host, jwtIssuer: jwt.issuer, jwtSubject: jwt.subject, sni });
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  add({
    method: http ? fixed.method ?? 'GET' : undefined,
    path: http ? fixed.path ?? '/' : undefined,
    host: http ? fixed.host ?? defaults.host : undefined,
    jwtIssuer: http ? fixed.jwtIssuer : undefined,
    jwtSubject: http && fixed.jwtIssuer !== undefined ? fixed.jwtSubject ?? 'subject' : undefined,
    sni: fixed.sni,
  });
  return out;
}
