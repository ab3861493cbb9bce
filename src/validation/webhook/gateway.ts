/**
 * istiod webhook rules for networking.istio.io Gateway (`ValidateGateway`, `validateServer`,
 * `validateServerPort`, `validateTLSOptions`; GW-1..GW-6). The TLS options check is shared with Sidecar (SC-5).
 */
import {
  arr, isDns1123Label, isIpAddress, isHttpProtocol, isObject, isSet, isTlsProtocol, len, parseProtocol, portNumber,
  str, UNIX_PREFIX, validateNamespaceSlashWildcardHostname, validatePort, validateUnixAddress, violation,
} from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

function set(tls: Record<string, any>, f: string): boolean {
  return Array.isArray(tls[f]) ? tls[f].length > 0 : str(tls[f]) !== '';
}

/** GW-6 / SC-5 (`validateTLSOptions`): server TLS certificate sources per mode (warnings skipped). */
export function validateTlsOptions(tls: unknown, path: Path, rule: string): WebhookViolation[] {
  if (!isObject(tls)) return [];
  const mode = str(tls.mode) || 'PASSTHROUGH';
  if (mode === 'ISTIO_MUTUAL') {
    return ['serverCertificate', 'privateKey', 'caCertificates', 'tlsCertificates', 'credentialName', 'credentialNames']
      .filter((f) => set(tls, f))
      .map((f) => violation([...path, f], rule, `ISTIO_MUTUAL TLS cannot have associated ${f}: remove it (Istio provides the certificates)`));
  }
  const out: WebhookViolation[] = [];
  const sources = [set(tls, 'serverCertificate') && set(tls, 'privateKey'), set(tls, 'credentialName'),
    set(tls, 'credentialNames'), set(tls, 'tlsCertificates')].filter(Boolean).length;
  if (sources > 1) {
    out.push(violation(path, rule, 'only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified'));
  }
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (terminating && (set(tls, 'credentialName') || set(tls, 'credentialNames'))) return out;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !set(tls, 'caCertificates')) {
      out.push(violation([...path, 'caCertificates'], rule, `${prefix} requires a client CA bundle (caCertificates) or a credentialName`));
    }
    const certs = set(tls, 'tlsCertificates') ? arr(tls.tlsCertificates).map((c) => (isObject(c) ? c : {})) : [tls];
    for (const c of certs) {
      if (str(c.serverCertificate) === '') out.push(violation(path, rule, `${prefix} requires a server certificate (or a credentialName)`));
      if (str(c.privateKey) === '') out.push(violation(path, rule, `${prefix} requires a private key (or a credentialName)`));
    }
  }
  if (set(tls, 'caCrl')) {
    if (set(tls, 'credentialName')) out.push(violation([...path, 'caCrl'], rule, 'CRL is not supported with credentialName: put the CRL in the credential'));
    if (mode === 'SIMPLE') out.push(violation([...path, 'caCrl'], rule, 'CRL is not supported with SIMPLE TLS'));
  }
  return out;
}

/** GW-4 (`validateServerPort` + `validateServerBind`); returns whether the port itself is valid. */
function validateServerPort(server: Record<string, any>, path: Path): { out: WebhookViolation[]; ok: boolean } {
  const port = server.port;
  const bind = str(server.bind);
  const pp = [...path, 'port'];
  if (!isObject(port)) return { out: [violation(pp, 'GW-4', 'port is required: set number, protocol and name')], ok: false };
  const portErrs: WebhookViolation[] = [];
  if (!parseProtocol(port.protocol)) {
    portErrs.push(violation([...pp, 'protocol'], 'GW-4',
      `invalid protocol "${str(port.protocol)}", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP (and HTTPS, TLS)`));
  }
  if (portNumber(port.number) > 0 || !bind.startsWith(UNIX_PREFIX)) {
    const err = validatePort(port.number);
    if (err) portErrs.push(violation([...pp, 'number'], 'GW-4', err));
  }
  if (portNumber(port.targetPort) > 0) portErrs.push(violation([...pp, 'targetPort'], 'GW-4', 'targetPort has no impact on Gateways: remove it'));
  if (str(port.name) === '') portErrs.push(violation([...pp, 'name'], 'GW-4', 'port name must be set'));
  const out = [...portErrs];
  if (bind.startsWith(UNIX_PREFIX)) {
    const err = validateUnixAddress(bind.slice(UNIX_PREFIX.length));
    if (err) out.push(violation([...path, 'bind'], 'GW-4', err));
    if (portNumber(port.number) !== 0) out.push(violation([...pp, 'number'], 'GW-4', 'port number must be 0 for unix domain socket binds'));
  } else if (bind !== '' && !isIpAddress(bind)) {
    out.push(violation([...path, 'bind'], 'GW-4', `${bind} is not a valid IP: bind must be an IP address or unix://path`));
  }
  return { out, ok: portErrs.length === 0 };
}

/** GW-5: TLS settings must match the port protocol. */
function validateServerTlsProtocol(server: Record<string, any>, path: Path): WebhookViolation[] {
  const p = parseProtocol(server.port.protocol);
  const tls = server.tls;
  if (isTlsProtocol(p) && !isSet(tls)) {
    return [violation([...path, 'tls'], 'GW-5', 'server must have TLS settings for HTTPS/TLS protocols: add tls')];
  }
  if (isTlsProtocol(p) || !isSet(tls)) return [];
  if (!isHttpProtocol(p)) {
    return [violation([...path, 'tls'], 'GW-5', 'server cannot have TLS settings for non HTTPS/TLS ports: remove tls or use HTTPS/TLS')];
  }
  const t = isObject(tls) ? tls : {};
  const passthrough = (str(t.mode) || 'PASSTHROUGH') === 'PASSTHROUGH' || t.mode === 'AUTO_PASSTHROUGH';
  if (!passthrough || str(t.caCertificates) !== '' || str(t.privateKey) !== '' || str(t.serverCertificate) !== '') {
    return [violation([...path, 'tls'], 'GW-5', 'server cannot have TLS settings for plain text HTTP ports: only tls.httpsRedirect is allowed')];
  }
  return [];
}

/** GW-2..GW-6 for one server. */
function validateServer(server: unknown, path: Path): WebhookViolation[] {
  if (!isObject(server)) return [violation(path, 'GW-2', 'server may not be null')];
  const out: WebhookViolation[] = [];
  if (len(server.hosts) === 0) out.push(violation([...path, 'hosts'], 'GW-3', 'server config must contain at least one host'));
  arr(server.hosts).forEach((h, i) => {
    for (const e of validateNamespaceSlashWildcardHostname(str(h), true)) {
      out.push(violation([...path, 'hosts', i], 'GW-3', `${e}: use [namespace/]dnsName, e.g. "*/foo.example.com" or "foo.example.com"`));
    }
  });
  const port = validateServerPort(server, path);
  out.push(...port.out, ...validateTlsOptions(server.tls, [...path, 'tls'], 'GW-6'));
  if (port.ok) out.push(...validateServerTlsProtocol(server, path));
  return out;
}

/** Validates a networking.istio.io Gateway like `ValidateGateway` (errors only). */
export function validateGateway(obj: KubeObject): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  const name = str(obj.metadata?.name);
  if (!isDns1123Label(name)) {
    out.push(violation(['metadata', 'name'], 'GW-1', `invalid gateway name: "${name}": use a DNS-1123 label (no dots)`));
  }
  const spec = isObject(obj.spec) ? obj.spec : {};
  const servers = arr(spec.servers);
  if (servers.length === 0) out.push(violation(['spec', 'servers'], 'GW-2', 'gateway must have at least one server'));
  servers.forEach((s, i) => out.push(...validateServer(s, ['spec', 'servers', i])));
  const names = new Set<string>();
  servers.forEach((s, i) => {
    if (!isObject(s) || !isObject(s.port)) return;
    const n = str(s.port.name);
    if (names.has(n)) {
      out.push(violation(['spec', 'servers', i, 'port', 'name'], 'GW-4', `port names in servers must be unique: duplicate name ${n}`));
    }
    names.add(n);
  });
  return out;
}
