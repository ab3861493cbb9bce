/**
 * istiod webhook rules for networking.istio.io Sidecar (`ValidateSidecar`, SC-1..SC-10; SC-9 is warning-only).
 */
import {
  arr, isDns1123Label, isIpAddress, isObject, isSet, isTlsProtocol, len, parseProtocol, portNumber, str,
  UNIX_PREFIX, validateFqdn, validateNamespaceSlashWildcardHostname, validatePort, validateProtocol,
  validateSelectorLabels, validateUnixAddress, violation,
} from './common';
import { validateConnectionPool } from './destination-rule';
import { validateTlsOptions } from './gateway';
import { KubeObject, PathSegment, WebhookViolation } from './types';
import { destinationErrors } from './virtual-service';

type Path = PathSegment[];

/** Port name (optional, DNS label), protocol and number checks of a Sidecar listener port. */
function validateListenerPort(port: Record<string, any>, path: Path, rule: string, checkNumber: boolean): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  const name = str(port.name);
  if (name !== '' && !isDns1123Label(name)) out.push(violation([...path, 'name'], rule, `invalid port name: ${name} (use a DNS-1123 label)`));
  const protoErr = validateProtocol(port.protocol);
  if (protoErr) out.push(violation([...path, 'protocol'], rule, protoErr));
  const numErr = checkNumber ? validatePort(port.number) : undefined;
  if (numErr) out.push(violation([...path, 'number'], rule, numErr));
  if (portNumber(port.targetPort) > 0) out.push(violation([...path, 'targetPort'], rule, 'targetPort has no impact on Sidecars: remove it'));
  return out;
}

/** SC-4: `defaultEndpoint` is `unix://path` or `[127.0.0.1|0.0.0.0|::1|::]:port`. */
export function defaultEndpointError(ep: string): string | undefined {
  if (ep.startsWith(UNIX_PREFIX)) return validateUnixAddress(ep.slice(UNIX_PREFIX.length));
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(ep);
  if (!m) return `sidecar: defaultEndpoint "${ep}" must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port> or unix://filepath`;
  const host = m[1] ?? m[2];
  if (!['', '127.0.0.1', '0.0.0.0', '::1', '::'].includes(host)) {
    return 'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, unix://filepath or unset';
  }
  if (!/^[+-]?\d+$/.test(m[3])) return `sidecar: defaultEndpoint port (${m[3]}) is not a number`;
  return validatePort(Number(m[3]));
}

/** SC-5: ingress TLS restrictions, then the server TLS options rules. */
function validateIngressTls(tls: unknown, protocol: unknown, path: Path): WebhookViolation[] {
  if (!isObject(tls)) return [];
  const out: WebhookViolation[] = [];
  for (const f of ['subjectAltNames', 'credentialName', 'credentialNames', 'tlsCertificates']) {
    if (Array.isArray(tls[f]) ? tls[f].length > 0 : str(tls[f]) !== '') {
      out.push(violation([...path, f], 'SC-5', `sidecar: ${f} is not supported in ingress tls: use serverCertificate/privateKey files`));
    }
  }
  if (tls.httpsRedirect === true) out.push(violation([...path, 'httpsRedirect'], 'SC-5', 'sidecar: httpsRedirect is not supported'));
  if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
    out.push(violation([...path, 'mode'], 'SC-5', `cannot set mode to ${tls.mode} in sidecar ingress tls: use SIMPLE or MUTUAL`));
  }
  if (!isTlsProtocol(parseProtocol(protocol))) {
    out.push(violation(path, 'SC-5', 'server cannot have TLS settings for non HTTPS/TLS ports: set the port protocol to HTTPS or TLS'));
  }
  return out.concat(validateTlsOptions(tls, path, 'SC-5'));
}

/** SC-3..SC-6 for the ingress listeners. */
function validateIngress(ingress: unknown): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  const ports = new Set<number>();
  arr(ingress).forEach((l, i) => {
    const p: Path = ['spec', 'ingress', i];
    if (!isObject(l)) return out.push(violation(p, 'SC-3', 'sidecar: ingress may not be null'));
    if (!isObject(l.port)) return out.push(violation([...p, 'port'], 'SC-3', 'sidecar: port is required for ingress listeners'));
    out.push(...validateListenerPort(l.port, [...p, 'port'], 'SC-3', true));
    if (str(l.bind) !== '' && !isIpAddress(str(l.bind))) out.push(violation([...p, 'bind'], 'SC-3', `${str(l.bind)} is not a valid IP`));
    const num = portNumber(l.port.number);
    if (ports.has(num)) out.push(violation([...p, 'port', 'number'], 'SC-3', 'sidecar: ports on IP bound listeners must be unique'));
    ports.add(num);
    const epErr = str(l.defaultEndpoint) === '' ? undefined : defaultEndpointError(str(l.defaultEndpoint));
    if (epErr) out.push(violation([...p, 'defaultEndpoint'], 'SC-4', epErr));
    out.push(...validateIngressTls(l.tls, l.port.protocol, [...p, 'tls']));
    out.push(...validateConnectionPool(l.connectionPool, [...p, 'connectionPool'], 'SC-6'));
    return undefined;
  });
  return out;
}

/** SC-7 port/bind/captureMode checks of one egress listener with a port. */
function validateEgressPort(l: Record<string, any>, p: Path): WebhookViolation[] {
  const bind = str(l.bind);
  const zero = portNumber(l.port.number) === 0;
  const out = validateListenerPort(l.port, [...p, 'port'], 'SC-7', !zero);
  if (zero) {
    if (!bind.startsWith(UNIX_PREFIX)) {out.push(violation([...p, 'bind'], 'SC-7', 'sidecar: ports with 0 value must have a unix domain socket bind address'));} else {
      const err = validateUnixAddress(bind.slice(UNIX_PREFIX.length));
      if (err) out.push(violation([...p, 'bind'], 'SC-7', err));
    }
    if (!['', 'DEFAULT', 'NONE'].includes(str(l.captureMode))) {
      out.push(violation([...p, 'captureMode'], 'SC-7', 'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners'));
    }
  } else if (bind !== '' && !isIpAddress(bind)) {
    out.push(violation([...p, 'bind'], 'SC-7', `${bind} is not a valid IP`));
  }
  return out;
}

/** SC-7, SC-8 for the egress listeners. */
function validateEgress(egress: unknown): WebhookViolation[] {
  const list = arr(egress);
  const out: WebhookViolation[] = [];
  const ports = new Set<number>();
  const binds = new Set<string>();
  let catchAll = false;
  list.forEach((l, i) => {
    const p: Path = ['spec', 'egress', i];
    if (!isObject(l)) return out.push(violation(p, 'SC-7', 'egress listener may not be null'));
    if (!isSet(l.port)) {
      if (catchAll) return out.push(violation(p, 'SC-7', 'sidecar: egress can have only one listener with empty port'));
      if (i === list.length - 1) catchAll = true;
      else out.push(violation(p, 'SC-7', 'sidecar: the egress listener with empty port should be the last listener in the list'));
    } else if (isObject(l.port)) {
      out.push(...validateEgressPort(l, p));
      const num = portNumber(l.port.number);
      const dup = num === 0 ? binds.has(str(l.bind)) : ports.has(num);
      if (dup) out.push(violation([...p, 'port'], 'SC-7', `sidecar: ${num === 0 ? 'unix domain socket values' : 'ports on IP bound listeners'} for listeners must be unique`));
      if (num === 0) binds.add(str(l.bind));
      else ports.add(num);
    }
    out.push(...validateEgressHosts(l.hosts, [...p, 'hosts']));
    return undefined;
  });
  return out;
}

/** SC-8: ≥1 host, each `namespace/dnsName`. */
function validateEgressHosts(hosts: unknown, path: Path): WebhookViolation[] {
  if (len(hosts) === 0) return [violation(path, 'SC-8', 'sidecar: egress listener must contain at least one host (e.g. "./*" or "istio-system/*")')];
  return arr(hosts).flatMap((h, i) => validateNamespaceSlashWildcardHostname(str(h), false)
    .map((e) => violation([...path, i], 'SC-8', `${e}: egress hosts must be namespace/dnsName, e.g. "./*", "*/foo.example.com"`)));
}

/** SC-10: egressProxy only with ALLOW_ANY, an FQDN host and a valid port. */
function validateOutboundTrafficPolicy(tp: unknown): WebhookViolation[] {
  if (!isObject(tp) || !isSet(tp.egressProxy)) return [];
  const path = ['spec', 'outboundTrafficPolicy', 'egressProxy'];
  if (tp.mode !== 'ALLOW_ANY') {
    return [violation(path, 'SC-10', 'sidecar: egressProxy must be set only with ALLOW_ANY outboundTrafficPolicy mode')];
  }
  const proxy = isObject(tp.egressProxy) ? tp.egressProxy : {};
  const out: WebhookViolation[] = [];
  const fqdnErr = validateFqdn(str(proxy.host));
  if (fqdnErr) out.push(violation([...path, 'host'], 'SC-10', fqdnErr));
  if (!isSet(proxy.port)) return out.concat(violation([...path, 'port'], 'SC-10', 'sidecar: egressProxy port must be set'));
  return out.concat(destinationErrors(proxy).map((e) => violation([...path, e.field], 'SC-10', e.message)));
}

/** Validates a Sidecar like `ValidateSidecar` (errors only). */
export function validateSidecar(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const ws = isObject(spec.workloadSelector) ? spec.workloadSelector.labels : undefined;
  const selectorErrs = validateSelectorLabels(ws, ['spec', 'workloadSelector', 'labels'], 'SC-1');
  if (selectorErrs.length > 0) return selectorErrs;
  if (len(spec.egress) === 0 && len(spec.ingress) === 0 && !isSet(spec.outboundTrafficPolicy) && !isSet(spec.inboundConnectionPool)) {
    return [violation(['spec'], 'SC-2', 'sidecar: empty configuration provided: set egress, ingress, outboundTrafficPolicy or inboundConnectionPool')];
  }
  return [...validateIngress(spec.ingress),
    ...validateConnectionPool(spec.inboundConnectionPool, ['spec', 'inboundConnectionPool'], 'SC-6'),
    ...validateEgress(spec.egress),
    ...validateOutboundTrafficPolicy(spec.outboundTrafficPolicy)];
}
