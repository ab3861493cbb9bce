/**
 * Helpers shared by the istiod webhook validators: loose spec access, hostname / DNS / IP / port /
 * duration / label / exportTo checks and the selector + targetRef rules common to several kinds.
 * Each `validate*` helper returns an error text (or a list of them), never throws.
 */
import { isIP } from 'net';
import { PathSegment, WebhookViolation } from './types';

/** Builds one violation. */
export function violation(path: PathSegment[], rule: string, message: string): WebhookViolation {
  return { path, rule, message };
}

/** True for a plain (non-null, non-array) object. */
export function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The array, or `[]` when the value is not an array. */
export function arr(x: unknown): any[] {
  return Array.isArray(x) ? x : [];
}

/** The string, or `''` when the value is not a string (Go's zero value). */
export function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** The object's entries, or `[]` when the value is not an object. */
export function entries(x: unknown): [string, any][] {
  return isObject(x) ? Object.entries(x) : [];
}

/** Number of elements of an array-valued field (0 when absent or not an array). */
export function len(x: unknown): number {
  return Array.isArray(x) ? x.length : 0;
}

/** Go's `x != nil` for a message or list field: present and not null. */
export function isSet(x: unknown): boolean {
  return x !== undefined && x !== null;
}

/** The namespace of the object (`''` when unknown). */
export function namespaceOf(obj: { metadata?: { namespace?: string } }): string {
  return str(obj.metadata?.namespace);
}

// ---------------------------------------------------------------------------------------------
// DNS names (labels.IsDNS1123Label, agent.ValidateFQDN, agent.ValidateWildcardDomain, ...)

const DNS1123_LABEL = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?';
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
const WILDCARD_LABEL_RE = new RegExp(`^(\\*|(\\*|\\*-)?${DNS1123_LABEL})$`);

/** `labels.IsDNS1123Label`: at most 63 chars of `[a-zA-Z0-9-]`, alphanumeric at both ends. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL_RE.test(value);
}

/** `labels.IsWildcardDNS1123Label`: a DNS label, `*`, or a label with a leading `*` / `*-`. */
export function isWildcardDns1123Label(value: string): boolean {
  return value.length <= 63 && WILDCARD_LABEL_RE.test(value);
}

function checkDnsPreconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

function validateDns1123Labels(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1];
  if (/^[+-]?\d+$/.test(tld)) {
    return `domain name "${domain}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  }
  for (let i = 0; i < parts.length; i++) {
    // a trailing dot (empty last label) is allowed, as in `istio.io.`
    if (i === parts.length - 1 && parts[i] === '') return undefined;
    if (!isDns1123Label(parts[i])) return `domain name "${domain}" invalid (label "${parts[i]}" invalid)`;
  }
  return undefined;
}

/** `agent.ValidateFQDN`: 1..255 chars of DNS-1123 labels, TLD not all-numeric. */
export function validateFqdn(fqdn: string): string | undefined {
  return checkDnsPreconditions(fqdn) ?? validateDns1123Labels(fqdn);
}

/** `agent.ValidateWildcardDomain`: like an FQDN, but the first label may be `*`, `*foo` or `*-foo`. */
export function validateWildcardDomain(domain: string): string | undefined {
  const pre = checkDnsPreconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardDns1123Label(first)) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : validateDns1123Labels(domain.slice(dot + 1));
}

/** `agent.ValidatePartialWildCard`: a `*` is only allowed as `*` alone or a leading `*.` label. */
export function validatePartialWildcard(host: string): string | undefined {
  if (host.includes('*') && host.length !== 1 && !host.startsWith('*.')) {
    return `partial wildcard "${host}" not allowed`;
  }
  return undefined;
}

function validateSidecarOrGatewayHostnamePart(hostname: string, isGateway: boolean): string[] {
  const errs: string[] = [];
  if (hostname !== '*' && !hostname.includes('.')) errs.push('short names (non FQDN) are not allowed');
  const err = validateWildcardDomain(hostname);
  if (err && !(isGateway && isIpAddress(hostname))) errs.push(err);
  const partial = validatePartialWildcard(hostname);
  if (partial) errs.push(partial);
  return errs;
}

/**
 * `agent.ValidateNamespaceSlashWildcardHostname`: `namespace/dnsName` (Sidecar egress hosts) or,
 * for a Gateway, also a bare `dnsName` or IP. The namespace is `*`, `.`, `~` (Sidecar only) or a DNS label.
 */
export function validateNamespaceSlashWildcardHostname(hostname: string, isGateway: boolean): string[] {
  const slash = hostname.indexOf('/');
  if (slash < 0) {
    return isGateway ? validateSidecarOrGatewayHostnamePart(hostname, true) : ['host must be of form namespace/dnsName'];
  }
  const ns = hostname.slice(0, slash);
  const dnsName = hostname.slice(slash + 1);
  const errs: string[] = [];
  if (ns === '' || dnsName === '') errs.push('config namespace and dnsName in host entry cannot be empty');
  const special = isGateway ? ['*', '.'] : ['*', '.', '~'];
  if (!special.includes(ns) && !isDns1123Label(ns)) {
    errs.push(`invalid namespace value "${ns}" in ${isGateway ? 'gateway' : 'sidecar'}`);
  }
  return errs.concat(validateSidecarOrGatewayHostnamePart(dnsName, isGateway));
}

// ---------------------------------------------------------------------------------------------
// IP addresses, CIDRs and ports

/** `netip.ParseAddr` (approximated by Node's `net.isIP`, zones allowed on IPv6). */
export function isIpAddress(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const pct = value.indexOf('%');
  return pct > 0 && pct < value.length - 1 && isIP(value.slice(0, pct)) === 6;
}

/** `netip.ParsePrefix`: `ip/bits`, no zone, decimal bits without leading zeros, in range. */
export function isCidr(value: string): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** `security.ValidateIPs`: each value is an IP, or a CIDR when it contains `/`. */
export function validateIpOrCidr(value: string): string | undefined {
  if (value.includes('/')) return isCidr(value) ? undefined : `bad CIDR range (${value})`;
  return isIpAddress(value) ? undefined : `bad IP address (${value})`;
}

/** `agent.ValidateIPSubnet`: a CIDR when it holds exactly one `/`, otherwise an IP. */
export function validateIpSubnet(value: string): string | undefined {
  if (value.split('/').length === 2) return isCidr(value) ? undefined : `${value} is not a valid CIDR block`;
  return isIpAddress(value) ? undefined : `${value} is not a valid IP`;
}

/** `agent.ValidatePort`: an integer in 1..65535. */
export function validatePort(port: unknown): string | undefined {
  if (typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535) return undefined;
  return `port number ${String(port)} must be in the range 1..65535`;
}

/** A port number field as Go sees it (0 when unset or not a number). */
export function portNumber(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
}

/** `security.ValidatePorts`: each string parses as an unsigned decimal integer ≤ 65535. */
export function validatePortString(value: string): string | undefined {
  if (/^\d+$/.test(value) && Number(value) <= 65535) return undefined;
  return `bad port (${value})`;
}

/** `ValidateUnixAddress`: an absolute file path (not ending in `/`) or an abstract socket `@name`. */
export function validateUnixAddress(addr: string): string | undefined {
  if (addr.length === 0) return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  if (!addr.startsWith('/') || addr.endsWith('/')) return `${addr} is not an absolute path to a file`;
  return undefined;
}

/** The `unix://` prefix of UDS binds and endpoints. */
export const UNIX_PREFIX = 'unix://';

// ---------------------------------------------------------------------------------------------
// Protocols (protocol.Parse)

const PROTOCOLS: Record<string, string> = {
  'tcp': 'TCP',
  'udp': 'UDP',
  'grpc': 'GRPC',
  'grpc-web': 'GRPC-Web',
  'http': 'HTTP',
  'http_proxy': 'HTTP_PROXY',
  'http2': 'HTTP2',
  'https': 'HTTPS',
  'tls': 'TLS',
  'mongo': 'Mongo',
  'redis': 'Redis',
  'mysql': 'MySQL',
};

/** `protocol.Parse`: the canonical protocol name, or `undefined` when unsupported. */
export function parseProtocol(value: unknown): string | undefined {
  return PROTOCOLS[str(value).toLowerCase()];
}

/** `Instance.IsHTTP`. */
export function isHttpProtocol(p: string | undefined): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-Web';
}

/** `Instance.IsTLS`. */
export function isTlsProtocol(p: string | undefined): boolean {
  return p === 'HTTPS' || p === 'TLS';
}

/** `ValidateProtocol`: empty (sniffing) or a known protocol. */
export function validateProtocol(value: unknown): string | undefined {
  const s = str(value);
  if (s === '' || parseProtocol(s)) return undefined;
  return `unsupported protocol: ${s} (use one of HTTP, HTTPS, HTTP2, GRPC, GRPC-Web, HTTP_PROXY, TCP, TLS, UDP, Mongo, Redis, MySQL)`;
}

// ---------------------------------------------------------------------------------------------
// Durations (agent.ValidateDuration)

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Parses a duration string (`5s`, `0.5s`, `1m30s`, `250ms`) to milliseconds; `undefined` if invalid. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(value);
  if (!m) return value === '0' ? 0 : undefined;
  let total = 0;
  for (const part of value.slice(m[1].length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]];
  }
  return m[1] === '-' ? -total : total;
}

/** `agent.ValidateDuration`: a duration of at least 1ms with millisecond precision. */
export function validateDuration(value: unknown): string | undefined {
  const ms = parseDurationMs(value);
  if (ms === undefined) return `invalid duration ${JSON.stringify(value)}: use a duration string such as "5s" or "250ms"`;
  if (ms < 1) return 'duration must be greater than 1ms';
  if (Math.abs(ms - Math.round(ms)) > 1e-6) return 'only durations to ms precision are supported';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Labels (labels.Instance.Validate)

const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_KEY_RE = new RegExp(`^(${DNS1123_LABEL}(?:\\.${DNS1123_LABEL})*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE_RE = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** `labels.Instance.Validate`: Kubernetes label keys (optional DNS prefix) and values. */
export function validateLabels(labels: unknown): string[] {
  const errs: string[] = [];
  for (const [k, v] of entries(labels)) {
    const m = LABEL_KEY_RE.exec(k);
    if (!m || (m[1] && m[1].length - 1 > 253) || m[2].length > 63) errs.push(`invalid label key: "${k}"`);
    if (!LABEL_VALUE_RE.test(str(v))) errs.push(`invalid label value: "${str(v)}"`);
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// exportTo (validateExportTo + visibility.Instance.Validate)

/** `validateExportTo`: no duplicates, valid entries, `*` and `~` alone; DR with selector stays local. */
export function validateExportTo(
  namespace: string, exportTo: unknown, isServiceEntry: boolean, isDrWithSelector: boolean,
): string[] {
  const list = arr(exportTo).map(str);
  if (list.length === 0) return [];
  const errs: string[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      errs.push(key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}`
        : `duplicate entries in exportTo for entry ${e}`);
    } else if (isServiceEntry && e === '~') {
      seen.add(key);
    } else if (key === '~') {
      errs.push('exportTo ~ (none) is not allowed for Istio configuration objects other than ServiceEntry');
    } else if (e !== '.' && key !== '*' && !isDns1123Label(key)) {
      errs.push(`invalid exportTo entry "${e}": only ., * or a valid DNS 1123 label is allowed`);
    } else {
      seen.add(key);
    }
  }
  if (isDrWithSelector && seen.size > 0) {
    if (!seen.has(namespace)) errs.push('destination rule with workload selector cannot have exportTo beyond current namespace');
    else if (seen.size > 1) errs.push('destination rule with workload selector cannot have multiple entries in exportTo');
  }
  if (seen.has('*') && list.length > 1) errs.push('cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && list.length > 1) errs.push('cannot export service entry to no one (~) and someone');
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Selectors and targetRefs (validateWorkloadSelector, validateOneOfSelectorType, validatePolicyTargetReference)

/** Labels of a selector map: no empty key and no `*` in keys or values (empty selector is only a warning). */
export function validateSelectorLabels(labels: unknown, path: PathSegment[], rule: string): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  for (const [k, v] of entries(labels)) {
    if (k === '') {
      out.push(violation([...path, k], rule, `empty key is not supported in selector: "${k}=${str(v)}"; use a real label key`));
    }
    if (k.includes('*') || str(v).includes('*')) {
      out.push(violation([...path, k], rule, `wildcard is not supported in selector: "${k}=${str(v)}"; list exact label values`));
    }
  }
  return out;
}

/** At most one of `selector`, `targetRef`, `targetRefs` (non-empty) may be set. */
export function validateOneOfSelectorType(spec: any, rule: string): WebhookViolation[] {
  const set = [isSet(spec.selector), isSet(spec.targetRef), len(spec.targetRefs) > 0].filter(Boolean).length;
  if (set <= 1) return [];
  return [violation(['spec'], rule,
    'only one of targetRefs or workloadSelector can be set: keep either selector, targetRef or targetRefs')];
}

const ALLOWED_TARGET_REFS = ['core/Service', 'networking.istio.io/ServiceEntry',
  'gateway.networking.k8s.io/Gateway', 'gateway.networking.k8s.io/GatewayClass'];

/** One policy targetRef: name set, no namespace, and an allowed group/kind. */
export function validatePolicyTargetReference(ref: unknown, path: PathSegment[], rule: string): WebhookViolation[] {
  if (!isObject(ref)) return [];
  const out: WebhookViolation[] = [];
  if (str(ref.name) === '') out.push(violation([...path, 'name'], rule, 'targetRef name must be set'));
  if (str(ref.namespace) !== '') {
    out.push(violation([...path, 'namespace'], rule,
      'targetRef namespace must not be set; cross namespace referencing is not supported (put the policy in the target\'s namespace)'));
  }
  const group = str(ref.group) === '' ? 'core' : str(ref.group);
  if (!ALLOWED_TARGET_REFS.includes(`${group}/${str(ref.kind)}`)) {
    out.push(violation(path, rule,
      `targetRef must be to one of Service (group ""), networking.istio.io ServiceEntry, gateway.networking.k8s.io Gateway or GatewayClass but was ${str(ref.group)}/${str(ref.kind)}`));
  }
  return out;
}

/** Selector + targetRef(s) rules shared by AuthorizationPolicy, RequestAuthentication and Telemetry. */
export function validatePolicyTargeting(
  spec: any, rules: { oneOf: string; selector: string; targetRef: string },
): WebhookViolation[] {
  const out = validateOneOfSelectorType(spec, rules.oneOf);
  if (isObject(spec.selector)) {
    out.push(...validateSelectorLabels(spec.selector.matchLabels, ['spec', 'selector', 'matchLabels'], rules.selector));
  }
  out.push(...validatePolicyTargetReference(spec.targetRef, ['spec', 'targetRef'], rules.targetRef));
  arr(spec.targetRefs).forEach((r, i) =>
    out.push(...validatePolicyTargetReference(r, ['spec', 'targetRefs', i], rules.targetRef)));
  return out;
}
