/**
 * istiod webhook rules for networking.istio.io ServiceEntry (`ValidateServiceEntry`, SE-1..SE-8; SE-5 is warning-only).
 */
import {
  arr, entries, isDns1123Label, isHttpProtocol, isIpAddress, isObject, isTlsProtocol, len, namespaceOf,
  parseProtocol, str, UNIX_PREFIX, validateExportTo, validateFqdn, validateIpSubnet, validateLabels,
  validatePartialWildcard, validatePort, validateProtocol, validateSelectorLabels, validateUnixAddress,
  validateWildcardDomain, violation,
} from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

/** SE-2: at least one host, not `*`, a wildcard domain; partial wildcards only rejected for DYNAMIC_DNS. */
function validateHosts(spec: Record<string, any>, resolution: string): WebhookViolation[] {
  const hosts = arr(spec.hosts);
  if (hosts.length === 0) return [violation(['spec', 'hosts'], 'SE-2', 'service entry must have at least one host')];
  return hosts.flatMap((h, i) => {
    const host = str(h);
    const p = ['spec', 'hosts', i];
    if (host === '*') return [violation(p, 'SE-2', 'invalid host *: a ServiceEntry host cannot be the full wildcard, use e.g. *.example.com')];
    const err = validateWildcardDomain(host) ?? (resolution === 'DYNAMIC_DNS' ? validatePartialWildcard(host) : undefined);
    return err ? [violation(p, 'SE-2', `${err}: hosts must be DNS names, optionally with a leading "*." wildcard`)] : [];
  });
}

/** SE-3: addresses are IPs or CIDRs, CIDRs only with resolution NONE or STATIC. */
function validateAddresses(spec: Record<string, any>, resolution: string): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  let cidr = false;
  arr(spec.addresses).forEach((a, i) => {
    cidr = cidr || str(a).includes('/');
    const err = typeof a === 'string' ? validateIpSubnet(a) : `address must be an IP or CIDR string, found ${JSON.stringify(a)}`;
    if (err) out.push(violation(['spec', 'addresses', i], 'SE-3', err));
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') {
    out.push(violation(['spec', 'addresses'], 'SE-3', 'CIDR addresses are allowed only for NONE/STATIC resolution types'));
  }
  return out;
}

/** SE-4: ports non-null, unique DNS-label names, unique numbers in range, valid targetPort and protocol. */
function validatePorts(spec: Record<string, any>): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  const names = new Set<string>();
  const numbers = new Set<unknown>();
  arr(spec.ports).forEach((port, i) => {
    const p: Path = ['spec', 'ports', i];
    if (!isObject(port)) return out.push(violation(p, 'SE-4', 'service entry port may not be null'));
    const name = str(port.name);
    if (names.has(name)) out.push(violation([...p, 'name'], 'SE-4', `service entry port name "${name}" already defined: port names must be unique`));
    names.add(name);
    if (numbers.has(port.number)) out.push(violation([...p, 'number'], 'SE-4', `service entry port ${port.number} already defined: port numbers must be unique`));
    numbers.add(port.number);
    if (!isDns1123Label(name)) out.push(violation([...p, 'name'], 'SE-4', `invalid port name: ${name} (use a DNS-1123 label)`));
    const protoErr = validateProtocol(port.protocol);
    if (protoErr) out.push(violation([...p, 'protocol'], 'SE-4', protoErr));
    const numErr = validatePort(port.number);
    if (numErr) out.push(violation([...p, 'number'], 'SE-4', numErr));
    const target = port.targetPort;
    const targetErr = target === undefined || target === null || target === 0 ? undefined : validatePort(target);
    if (targetErr) out.push(violation([...p, 'targetPort'], 'SE-4', `targetPort: ${targetErr}`));
    return undefined;
  });
  return out;
}

/** Endpoint port names must be SE port names, valid port names, with valid numbers. */
function endpointPortViolations(ep: Record<string, any>, path: Path, portNames: Set<string>): WebhookViolation[] {
  return entries(ep.ports).flatMap(([name, num]) => {
    const p = [...path, 'ports', name];
    const out: WebhookViolation[] = [];
    if (!portNames.has(name)) out.push(violation(p, 'SE-6', `endpoint port ${name} is not defined by the service entry ports`));
    if (!isDns1123Label(name)) out.push(violation(p, 'SE-6', `invalid port name: ${name}`));
    const err = validatePort(num);
    if (err) out.push(violation(p, 'SE-6', err));
    return out;
  });
}

/** SE-6 STATIC (`validateWorkloadEntry` without FQDN addresses). */
function validateStaticEndpoint(ep: Record<string, any>, path: Path, portNames: Set<string>): WebhookViolation[] {
  const addr = str(ep.address);
  if (addr === '' && str(ep.network) === '') return [violation([...path, 'address'], 'SE-6', 'endpoint address is required')];
  const out: WebhookViolation[] = [];
  if (addr.startsWith(UNIX_PREFIX)) {
    const err = validateUnixAddress(addr.slice(UNIX_PREFIX.length));
    if (err) out.push(violation([...path, 'address'], 'SE-6', err));
    if (entries(ep.ports).length > 0) out.push(violation([...path, 'ports'], 'SE-6', `unix endpoint ${addr} must not include ports`));
    if (portNames.size !== 1) out.push(violation([...path, 'address'], 'SE-6', 'exactly 1 service port required for unix endpoints'));
  } else if (addr !== '' && !isIpAddress(addr)) {
    out.push(violation([...path, 'address'], 'SE-6', `endpoint address "${addr}" is not a valid IP address (resolution STATIC needs IPs)`));
  }
  return out.concat(endpointPortViolations(ep, path, portNames),
    validateLabels(ep.labels).map((e) => violation([...path, 'labels'], 'SE-6', e)));
}

/** SE-6 DNS / DNS_ROUND_ROBIN endpoints: IP or FQDN addresses, valid labels and ports. */
function validateDnsEndpoint(ep: Record<string, any>, path: Path, portNames: Set<string>): WebhookViolation[] {
  const addr = str(ep.address);
  const out: WebhookViolation[] = [];
  if (!isIpAddress(addr) && validateFqdn(addr)) {
    out.push(violation([...path, 'address'], 'SE-6', `endpoint address "${addr}" is not a valid FQDN or an IP address`));
  }
  return out.concat(validateLabels(ep.labels).map((e) => violation([...path, 'labels'], 'SE-6', e)),
    endpointPortViolations(ep, path, portNames));
}

/** SE-6: rules specific to the resolution mode. */
function validateResolution(obj: KubeObject, spec: Record<string, any>, resolution: string): WebhookViolation[] {
  const portNames = new Set(arr(spec.ports).filter(isObject).map((p) => str(p.name)));
  const endpoints = arr(spec.endpoints);
  const eps = (fn: (ep: Record<string, any>, p: Path) => WebhookViolation[]): WebhookViolation[] =>
    endpoints.flatMap((ep, i) => (isObject(ep) ? fn(ep, ['spec', 'endpoints', i])
      : [violation(['spec', 'endpoints', i], 'SE-6', 'endpoint cannot be null')]));
  switch (resolution) {
    case 'NONE':
      return endpoints.length > 0 ? [violation(['spec', 'endpoints'], 'SE-6', 'no endpoints should be provided for resolution type NONE: use STATIC or DNS')] : [];
    case 'STATIC':
      return eps((ep, p) => validateStaticEndpoint(ep, p, portNames));
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      const out: WebhookViolation[] = [];
      if (endpoints.length === 0) {
        arr(spec.hosts).forEach((h, i) => {
          if (str(h) !== '*' && validateFqdn(str(h)) && validateFqdn(str(h).replace(/^\*\./, ''))) {
            out.push(violation(['spec', 'hosts', i], 'SE-6', `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`));
          }
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        out.push(violation(['spec', 'endpoints'], 'SE-6', 'there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN'));
      }
      return out.concat(eps((ep, p) => validateDnsEndpoint(ep, p, portNames)));
    }
    case 'DYNAMIC_DNS':
      return validateDynamicDns(obj, spec);
    default:
      return [violation(['spec', 'resolution'], 'SE-6', `unsupported resolution type ${resolution}`)];
  }
}

/** SE-6 DYNAMIC_DNS: wildcard hosts only, no addresses/endpoints, HTTP/TLS-family ports, location rules. */
function validateDynamicDns(obj: KubeObject, spec: Record<string, any>): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  arr(spec.hosts).forEach((h, i) => {
    if (!str(h).startsWith('*')) out.push(violation(['spec', 'hosts', i], 'SE-6', 'hosts must be wildcarded (e.g. *.example.com) for resolution mode DYNAMIC_DNS'));
  });
  if (len(spec.addresses) > 0) out.push(violation(['spec', 'addresses'], 'SE-6', 'addresses are not allowed for resolution mode DYNAMIC_DNS'));
  if (len(spec.endpoints) > 0) out.push(violation(['spec', 'endpoints'], 'SE-6', 'endpoints are not allowed for resolution mode DYNAMIC_DNS'));
  arr(spec.ports).forEach((port, i) => {
    const proto = isObject(port) ? parseProtocol(port.protocol) : undefined;
    if (proto && !['HTTP', 'TLS', 'GRPC', 'HTTP2'].includes(proto)) {
      out.push(violation(['spec', 'ports', i, 'protocol'], 'SE-6', `protocol ${proto} is not supported for resolution mode DYNAMIC_DNS: use HTTP or TLS`));
    }
  });
  if (spec.location === 'MESH_INTERNAL' && isObject(obj.metadata?.labels) && 'istio.io/use-waypoint' in obj.metadata.labels) {
    out.push(violation(['spec', 'location'], 'SE-6', 'location MESH_INTERNAL is not allowed for DYNAMIC_DNS with the istio.io/use-waypoint label'));
  }
  return out;
}

/** SE-7: with resolution other than NONE and several hosts, every port must be HTTP- or TLS-family. */
function validateMultiHostPorts(spec: Record<string, any>, resolution: string): WebhookViolation[] {
  if (resolution === 'NONE' || len(spec.hosts) <= 1) return [];
  const i = arr(spec.ports).findIndex((port) => {
    const p = isObject(port) ? parseProtocol(port.protocol) : undefined;
    return isObject(port) && !isHttpProtocol(p) && !isTlsProtocol(p);
  });
  return i < 0 ? [] : [violation(['spec', 'ports', i, 'protocol'], 'SE-7',
    'multiple hosts provided with non-HTTP, non-TLS ports: use one host per ServiceEntry or an HTTP/TLS protocol')];
}

/** Validates a ServiceEntry like `ValidateServiceEntry` (errors only). */
export function validateServiceEntry(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const ws = isObject(spec.workloadSelector) ? spec.workloadSelector.labels : undefined;
  const selectorErrs = validateSelectorLabels(ws, ['spec', 'workloadSelector', 'labels'], 'SE-1');
  if (selectorErrs.length > 0) return selectorErrs;
  const resolution = str(spec.resolution) || 'NONE';
  const out: WebhookViolation[] = [];
  if (isObject(spec.workloadSelector) && len(spec.endpoints) > 0) {
    out.push(violation(['spec', 'endpoints'], 'SE-1', 'only one of workloadSelector or endpoints is allowed in a ServiceEntry'));
  }
  return out.concat(validateHosts(spec, resolution), validateAddresses(spec, resolution), validatePorts(spec),
    validateResolution(obj, spec, resolution), validateMultiHostPorts(spec, resolution),
    validateExportTo(namespaceOf(obj), spec.exportTo, true, false).map((e) => violation(['spec', 'exportTo'], 'SE-8', e)));
}
