/**
 * istiod webhook rules for networking.istio.io DestinationRule (`ValidateDestinationRule`, DR-1..DR-10).
 * The connection-pool check is shared with Sidecar (SC-6).
 */
import {
  arr, entries, isDns1123Label, isIpAddress, isObject, isSet, len, namespaceOf, parseDurationMs, str,
  validateDuration, validateExportTo, validateFqdn, validateLabels, validatePort, validateSelectorLabels,
  validateWildcardDomain, violation,
} from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

function num(x: unknown): number {
  return typeof x === 'number' ? x : 0;
}

function durationViolations(obj: Record<string, any>, fields: string[], path: Path, rule: string): WebhookViolation[] {
  return fields.flatMap((f) => {
    if (!isSet(obj[f])) return [];
    const err = validateDuration(obj[f]);
    return err ? [violation([...path, f], rule, `${f}: ${err}`)] : [];
  });
}

function nonNegative(obj: Record<string, any>, fields: string[], path: Path, rule: string): WebhookViolation[] {
  return fields.filter((f) => num(obj[f]) < 0)
    .map((f) => violation([...path, f], rule, `${f} must be non-negative`));
}

/** DR-6 / SC-6 (`validateConnectionPool`): http or tcp set, counters ≥ 0, durations ≥ 1ms, no UPGRADE + useClientProtocol. */
export function validateConnectionPool(pool: unknown, path: Path, rule: string): WebhookViolation[] {
  if (!isSet(pool)) return [];
  const cp = isObject(pool) ? pool : {};
  if (!isSet(cp.http) && !isSet(cp.tcp)) {
    return [violation(path, rule, 'connection pool must have at least one field: set http and/or tcp, or remove it')];
  }
  const out: WebhookViolation[] = [];
  if (isObject(cp.http)) {
    const hp = [...path, 'http'];
    out.push(...nonNegative(cp.http, ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection',
      'maxRetries', 'maxConcurrentStreams'], hp, rule));
    out.push(...durationViolations(cp.http, ['idleTimeout'], hp, rule));
    if (cp.http.h2UpgradePolicy === 'UPGRADE' && cp.http.useClientProtocol === true) {
      out.push(violation([...hp, 'useClientProtocol'], rule, 'use client protocol must not be true when h2UpgradePolicy is UPGRADE'));
    }
  }
  if (isObject(cp.tcp)) {
    const tp = [...path, 'tcp'];
    out.push(...nonNegative(cp.tcp, ['maxConnections'], tp, rule));
    out.push(...durationViolations(cp.tcp, ['connectTimeout', 'maxConnectionDuration'], tp, rule));
    if (isSet(cp.tcp.idleTimeout) && parseDurationMs(cp.tcp.idleTimeout) !== 0) {
      out.push(...durationViolations(cp.tcp, ['idleTimeout'], tp, rule));
    }
    if (isObject(cp.tcp.tcpKeepalive)) {
      out.push(...durationViolations(cp.tcp.tcpKeepalive, ['time', 'interval'], [...tp, 'tcpKeepalive'], rule));
    }
  }
  return out;
}

/** DR-7 (`validateOutlierDetection`). */
function validateOutlierDetection(od: unknown, path: Path): WebhookViolation[] {
  if (!isObject(od)) return [];
  const out = durationViolations(od, ['baseEjectionTime', 'interval'], path, 'DR-7');
  if (od.splitExternalLocalOriginErrors !== true && num(od.consecutiveLocalOriginFailures) > 0) {
    out.push(violation([...path, 'consecutiveLocalOriginFailures'], 'DR-7',
      'consecutiveLocalOriginFailures is specified, but splitExternalLocalOriginErrors is not true: set it to true'));
  }
  for (const f of ['maxEjectionPercent', 'minHealthPercent']) {
    if (num(od[f]) < 0 || num(od[f]) > 100) out.push(violation([...path, f], 'DR-7', `${f} ${od[f]} is not in range 0..100`));
  }
  return out;
}

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f <= Math.floor(Math.sqrt(x)); f += 2) if (x % f === 0) return false;
  return true;
}

/** DR-8 consistent hash: cookie name, ring size vs. algorithm, maglev table size. */
function validateConsistentHash(ch: unknown, path: Path): WebhookViolation[] {
  if (!isObject(ch)) return [];
  const out: WebhookViolation[] = [];
  if (isObject(ch.httpCookie) && str(ch.httpCookie.name) === '') {
    out.push(violation([...path, 'httpCookie', 'name'], 'DR-8', 'name required for httpCookie'));
  }
  if (num(ch.minimumRingSize) !== 0 && (isSet(ch.maglev) || isSet(ch.ringHash))) {
    out.push(violation([...path, 'minimumRingSize'], 'DR-8', 'only one of minimumRingSize or maglev/ringHash can be specified'));
  }
  if (isObject(ch.maglev)) {
    const size = num(ch.maglev.tableSize);
    const p = [...path, 'maglev', 'tableSize'];
    if (size === 0) out.push(violation(p, 'DR-8', 'tableSize must be set for maglev'));
    if (size >= 5000011) out.push(violation(p, 'DR-8', 'tableSize must be less than 5000011 for maglev'));
    if (!isPrime(size)) out.push(violation(p, 'DR-8', 'tableSize must be a prime number for maglev'));
  }
  return out;
}

/** DR-8 (`agent.ValidateLocalityLbSetting`, main checks): distribute vs. failover, weights, failover regions. */
function validateLocalityLb(lb: unknown, path: Path): WebhookViolation[] {
  if (!isObject(lb)) return [];
  if (len(lb.distribute) > 0 && len(lb.failover) > 0) {
    return [violation(path, 'DR-8', "can not simultaneously specify 'distribute' and 'failover'")];
  }
  const topo = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];
  const bad = len(lb.failover) > 0 ? arr(lb.failoverPriority).find((l) => topo.includes(str(l))) : undefined;
  if (bad !== undefined) {
    return [violation([...path, 'failoverPriority'], 'DR-8', `can not simultaneously set 'failover' and topology label '${str(bad)}' in 'failoverPriority'`)];
  }
  const out: WebhookViolation[] = [];
  arr(lb.distribute).forEach((d, i) => {
    const weights = entries(isObject(d) ? d.to : undefined).map(([, w]) => num(w));
    if (weights.some((w) => w <= 0 || w > 100)) {
      out.push(violation([...path, 'distribute', i, 'to'], 'DR-8', 'locality weight must be in range [1, 100]'));
    } else if (weights.reduce((a, b) => a + b, 0) !== 100) {
      out.push(violation([...path, 'distribute', i, 'to'], 'DR-8', 'total locality weight must be 100'));
    }
  });
  arr(lb.failover).forEach((f, i) => {
    const from = str(isObject(f) ? f.from : undefined);
    const to = str(isObject(f) ? f.to : undefined);
    if (from === to) out.push(violation([...path, 'failover', i], 'DR-8', 'locality lb failover settings must specify different regions'));
    if (from.includes('/') || to.includes('/')) out.push(violation([...path, 'failover', i], 'DR-8', 'locality lb failover only specify region'));
    if (from.includes('*') || to.includes('*')) out.push(violation([...path, 'failover', i], 'DR-8', "locality lb failover region should not contain '*' wildcard"));
  });
  return out;
}

/** DR-8 (`validateLoadBalancer`). */
function validateLoadBalancer(lb: unknown, path: Path): WebhookViolation[] {
  if (!isObject(lb)) return [];
  const out = [...validateConsistentHash(lb.consistentHash, [...path, 'consistentHash']),
    ...validateLocalityLb(lb.localityLbSetting, [...path, 'localityLbSetting']),
    ...durationViolations(lb, ['warmupDurationSecs'], path, 'DR-8')];
  if (isObject(lb.warmup)) {
    const wp = [...path, 'warmup'];
    if (!isSet(lb.warmup.duration)) out.push(violation([...wp, 'duration'], 'DR-8', 'warmup duration is required'));
    else out.push(...durationViolations(lb.warmup, ['duration'], wp, 'DR-8'));
    if (num(lb.warmup.minimumPercent) > 100) {
      out.push(violation([...wp, 'minimumPercent'], 'DR-8', 'minimumPercent value should be less than or equal to 100'));
    }
    if (isSet(lb.warmup.aggression) && num(lb.warmup.aggression) <= 0) {
      out.push(violation([...wp, 'aggression'], 'DR-8', 'aggression must be greater than 0'));
    }
  }
  return out;
}

/** DR-4 (`agent.ValidateTLS`): client TLS field combinations. */
function validateClientTls(tls: unknown, path: Path, namespace: string): WebhookViolation[] {
  if (!isObject(tls)) return [];
  const out: WebhookViolation[] = [];
  const mode = str(tls.mode);
  const cred = str(tls.credentialName);
  if (tls.insecureSkipVerify === true) {
    if (mode === 'SIMPLE' && (str(tls.caCertificates) !== '' || cred !== '' || len(tls.subjectAltNames) > 0)) {
      out.push(violation(path, 'DR-4', 'cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true'));
    }
    if (mode === 'MUTUAL' && (str(tls.caCertificates) !== '' || len(tls.subjectAltNames) > 0)) {
      out.push(violation(path, 'DR-4', 'cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true'));
    }
  }
  if (cred.startsWith('configmap://') && namespace !== '') {
    const ref = cred.slice('configmap://'.length);
    const ns = ref.includes('/') ? ref.split('/')[0] : namespace;
    if (ns !== namespace) {
      out.push(violation([...path, 'credentialName'], 'DR-4', `credentialName ${cred} must reference a ConfigMap in the DestinationRule's namespace ${namespace}`));
    }
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && cred !== '') {
    if (['clientCertificate', 'caCertificates', 'privateKey', 'caCrl'].some((f) => str(tls[f]) !== '')) {
      out.push(violation(path, 'DR-4', 'cannot specify client certificates or CA certificate or CA CRL if credentialName is set'));
    }
    return out;
  }
  if (mode === 'MUTUAL') {
    if (str(tls.clientCertificate) === '') out.push(violation([...path, 'clientCertificate'], 'DR-4', 'client certificate required for mutual tls (or use credentialName)'));
    if (str(tls.privateKey) === '') out.push(violation([...path, 'privateKey'], 'DR-4', 'private key required for mutual tls (or use credentialName)'));
  }
  return out;
}

/** DR-2 tunnel / proxyProtocol settings. */
function validateTunnelAndProxyProtocol(tp: Record<string, any>, path: Path): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  if (isObject(tp.proxyProtocol) && isSet(tp.proxyProtocol.version) && !['V1', 'V2'].includes(str(tp.proxyProtocol.version))) {
    out.push(violation([...path, 'proxyProtocol', 'version'], 'DR-2', `proxy protocol version is invalid: ${tp.proxyProtocol.version} (use V1 or V2)`));
  }
  if (isObject(tp.tunnel)) {
    const t = tp.tunnel;
    const p = [...path, 'tunnel'];
    if (str(t.protocol) !== '' && t.protocol !== 'CONNECT' && t.protocol !== 'POST') {
      out.push(violation([...p, 'protocol'], 'DR-2', 'tunnel protocol must be "CONNECT" or "POST"'));
    }
    if (validateFqdn(str(t.targetHost)) && !isIpAddress(str(t.targetHost))) {
      out.push(violation([...p, 'targetHost'], 'DR-2', `tunnel target host must be a valid FQDN or IP address, found "${str(t.targetHost)}"`));
    }
    const portErr = validatePort(t.targetPort);
    if (portErr) out.push(violation([...p, 'targetPort'], 'DR-2', `tunnel target port is invalid: ${portErr}`));
  }
  return out;
}

/** DR-5 (`validatePortTrafficPolicies`). */
function validatePortLevelSettings(list: unknown, path: Path, namespace: string): WebhookViolation[] {
  return arr(list).flatMap((pl, i) => {
    const p = [...path, i];
    if (!isObject(pl)) return [violation(p, 'DR-5', 'port traffic policy may not be null')];
    const out: WebhookViolation[] = [];
    if (!isSet(pl.port)) out.push(violation([...p, 'port'], 'DR-5', 'portTrafficPolicy must have valid port: set port.number'));
    if (!['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].some((f) => isSet(pl[f]))) {
      out.push(violation(p, 'DR-5', 'port traffic policy must have at least one field: set outlierDetection, connectionPool, loadBalancer or tls'));
      return out;
    }
    return out.concat(validateOutlierDetection(pl.outlierDetection, [...p, 'outlierDetection']),
      validateConnectionPool(pl.connectionPool, [...p, 'connectionPool'], 'DR-6'),
      validateLoadBalancer(pl.loadBalancer, [...p, 'loadBalancer']),
      validateClientTls(pl.tls, [...p, 'tls'], namespace));
  });
}

const TRAFFIC_POLICY_FIELDS = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings',
  'tunnel', 'proxyProtocol'];

/** DR-2 and the nested DR-4..DR-8 rules of one trafficPolicy. */
function validateTrafficPolicy(tp: unknown, path: Path, namespace: string): WebhookViolation[] {
  if (!isSet(tp)) return [];
  const policy = isObject(tp) ? tp : {};
  if (!TRAFFIC_POLICY_FIELDS.some((f) => isSet(policy[f]))) {
    return [violation(path, 'DR-2', 'traffic policy must have at least one field: set e.g. tls or connectionPool, or remove it')];
  }
  if (isSet(policy.tunnel) && isSet(policy.proxyProtocol)) {
    return [violation(path, 'DR-2', 'tunnel and proxyProtocol must not be set together: keep one of them')];
  }
  return [
    ...validateOutlierDetection(policy.outlierDetection, [...path, 'outlierDetection']),
    ...validateConnectionPool(policy.connectionPool, [...path, 'connectionPool'], 'DR-6'),
    ...validateLoadBalancer(policy.loadBalancer, [...path, 'loadBalancer']),
    ...validateClientTls(policy.tls, [...path, 'tls'], namespace),
    ...validatePortLevelSettings(policy.portLevelSettings, [...path, 'portLevelSettings'], namespace),
    ...validateTunnelAndProxyProtocol(policy, path),
  ];
}

/** DR-3: subsets are non-null, uniquely and DNS-label named, with valid labels and traffic policy. */
function validateSubsets(subsets: unknown, namespace: string): WebhookViolation[] {
  const names = new Set<string>();
  return arr(subsets).flatMap((s, i) => {
    const p: Path = ['spec', 'subsets', i];
    if (!isObject(s)) return [violation(p, 'DR-3', 'subset may not be null')];
    const out: WebhookViolation[] = [];
    const name = str(s.name);
    if (names.has(name)) out.push(violation([...p, 'name'], 'DR-3', `duplicate subset names: ${name}`));
    names.add(name);
    if (!isDns1123Label(name)) {
      out.push(violation([...p, 'name'], 'DR-3', name === '' ? 'subset name cannot be empty' : `subset name is invalid: ${name} (use a DNS-1123 label)`));
    }
    out.push(...validateLabels(s.labels).map((e) => violation([...p, 'labels'], 'DR-3', e)));
    return out.concat(validateTrafficPolicy(s.trafficPolicy, [...p, 'trafficPolicy'], namespace));
  });
}

/** Validates a DestinationRule like `ValidateDestinationRule` (errors only). */
export function validateDestinationRule(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const ns = namespaceOf(obj);
  const out: WebhookViolation[] = [];
  const hostErr = validateWildcardDomain(str(spec.host));
  if (hostErr) out.push(violation(['spec', 'host'], 'DR-1', `${hostErr}: host must be a (wildcard) DNS name`));
  out.push(...validateTrafficPolicy(spec.trafficPolicy, ['spec', 'trafficPolicy'], ns));
  out.push(...validateSubsets(spec.subsets, ns));
  out.push(...validateExportTo(ns, spec.exportTo, false, isSet(spec.workloadSelector))
    .map((e) => violation(['spec', 'exportTo'], 'DR-9', e)));
  if (isObject(spec.workloadSelector)) {
    out.push(...validateSelectorLabels(spec.workloadSelector.matchLabels, ['spec', 'workloadSelector', 'matchLabels'], 'DR-10'));
  }
  return out;
}
