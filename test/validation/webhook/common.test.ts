import {
  isCidr, isDns1123Label, isIpAddress, isWildcardDns1123Label, parseDurationMs, parseProtocol, validateDuration,
  validateExportTo, validateFqdn, validateIpOrCidr, validateIpSubnet, validateLabels,
  validateNamespaceSlashWildcardHostname, validatePartialWildcard, validatePolicyTargeting, validatePort,
  validatePortString, validateSelectorLabels, validateUnixAddress, validateWildcardDomain,
} from '../../../src/validation/webhook/common';

describe('DNS helpers', () => {
  test('DNS-1123 labels', () => {
    expect(isDns1123Label('foo-1')).toBe(true);
    expect(isDns1123Label('a'.repeat(63))).toBe(true);
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(isDns1123Label('-foo')).toBe(false);
    expect(isDns1123Label('foo.bar')).toBe(false);
    expect(isDns1123Label('')).toBe(false);
  });

  test('wildcard labels', () => {
    for (const l of ['*', '*foo', '*-foo', 'foo']) expect(isWildcardDns1123Label(l)).toBe(true);
    for (const l of ['foo*', 'f*o', '**']) expect(isWildcardDns1123Label(l)).toBe(false);
  });

  test('FQDN', () => {
    expect(validateFqdn('foo.example.com')).toBeUndefined();
    expect(validateFqdn('istio.io.')).toBeUndefined();
    expect(validateFqdn('reviews')).toBeUndefined();
    expect(validateFqdn('')).toMatch(/empty/);
    expect(validateFqdn('foo.123')).toMatch(/all-numeric/);
    expect(validateFqdn('*.example.com')).toMatch(/invalid/);
    expect(validateFqdn('a'.repeat(256))).toMatch(/too long/);
  });

  test('wildcard domains', () => {
    for (const d of ['*.foo.com', '*', 'reviews', '*x', '*-x.foo.com', 'foo.com']) expect(validateWildcardDomain(d)).toBeUndefined();
    for (const d of ['foo.*.com', 'foo*.com', '', '1.2.3.4', 'foo..com']) expect(validateWildcardDomain(d)).toBeDefined();
  });

  test('partial wildcards', () => {
    expect(validatePartialWildcard('*.foo.com')).toBeUndefined();
    expect(validatePartialWildcard('*')).toBeUndefined();
    expect(validatePartialWildcard('*x.com')).toMatch(/partial wildcard/);
  });

  test('namespace/dnsName hosts (Sidecar)', () => {
    for (const h of ['*/*', './*', './foo.com', '~/*', 'istio-system/*', 'ns1/*.example.com', './cartservice.onlineboutique.svc.cluster.local']) {
      expect(validateNamespaceSlashWildcardHostname(h, false)).toEqual([]);
    }
    expect(validateNamespaceSlashWildcardHostname('*', false)).toEqual(['host must be of form namespace/dnsName']);
    expect(validateNamespaceSlashWildcardHostname('/', false).join()).toMatch(/cannot be empty/);
    expect(validateNamespaceSlashWildcardHostname('foo/bar', false).join()).toMatch(/short names/);
    expect(validateNamespaceSlashWildcardHostname('test/*a.com', false).join()).toMatch(/partial wildcard/);
    expect(validateNamespaceSlashWildcardHostname('Bad_NS/foo.com', false).join()).toMatch(/invalid namespace/);
  });

  test('namespace/dnsName hosts (Gateway)', () => {
    for (const h of ['foo.example.com', '*', '*.example.com', 'ns/foo.com', './*', '1.2.3.4']) {
      expect(validateNamespaceSlashWildcardHostname(h, true)).toEqual([]);
    }
    expect(validateNamespaceSlashWildcardHostname('~/foo.com', true).join()).toMatch(/invalid namespace/);
    expect(validateNamespaceSlashWildcardHostname('foo', true).join()).toMatch(/short names/);
  });
});

describe('IP, port and duration helpers', () => {
  test('IPs and CIDRs', () => {
    expect(isIpAddress('1.2.3.4')).toBe(true);
    expect(isIpAddress('::1')).toBe(true);
    expect(isIpAddress('1.2.3')).toBe(false);
    expect(isCidr('10.0.0.0/8')).toBe(true);
    expect(isCidr('2001:db8::/32')).toBe(true);
    expect(isCidr('1.2.3.4/33')).toBe(false);
    expect(isCidr('1.2.3.4/08')).toBe(false);
    expect(validateIpOrCidr('1.2.3.4/99')).toMatch(/bad CIDR/);
    expect(validateIpOrCidr('foo')).toMatch(/bad IP/);
    expect(validateIpSubnet('1.2.3.4/16')).toBeUndefined();
    expect(validateIpSubnet('1.2.3.4/16/2')).toMatch(/not a valid IP/);
  });

  test('ports', () => {
    expect(validatePort(1)).toBeUndefined();
    expect(validatePort(65535)).toBeUndefined();
    expect(validatePort(0)).toBeDefined();
    expect(validatePort(65536)).toBeDefined();
    expect(validatePort('80')).toBeDefined();
    expect(validatePortString('0')).toBeUndefined();
    expect(validatePortString('65536')).toMatch(/bad port/);
    expect(validatePortString('-1')).toMatch(/bad port/);
    expect(validatePortString('http')).toMatch(/bad port/);
  });

  test('durations', () => {
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('1m30s')).toBe(90000);
    expect(parseDurationMs('0.5s')).toBe(500);
    expect(parseDurationMs('apple')).toBeUndefined();
    expect(validateDuration('1ms')).toBeUndefined();
    expect(validateDuration('0.5ms')).toMatch(/greater than 1ms/);
    expect(validateDuration('1.0005s')).toMatch(/ms precision/);
    expect(validateDuration('apple')).toMatch(/invalid duration/);
  });

  test('unix addresses and protocols', () => {
    expect(validateUnixAddress('/var/run/x.sock')).toBeUndefined();
    expect(validateUnixAddress('@abstract')).toBeUndefined();
    expect(validateUnixAddress('relative')).toBeDefined();
    expect(validateUnixAddress('/dir/')).toBeDefined();
    expect(parseProtocol('grpc-web')).toBe('GRPC-Web');
    expect(parseProtocol('foo')).toBeUndefined();
  });
});

describe('labels, exportTo and selectors', () => {
  test('label validation', () => {
    expect(validateLabels({ 'app': 'x', 'example.com/ver': 'v1.2_3', 'empty': '' })).toEqual([]);
    expect(validateLabels({ 'bad key': 'x' })).toHaveLength(1);
    expect(validateLabels({ k: '-bad' })).toHaveLength(1);
  });

  test('exportTo', () => {
    expect(validateExportTo('default', ['.', 'foo'], false, false)).toEqual([]);
    expect(validateExportTo('default', ['~'], true, false)).toEqual([]);
    expect(validateExportTo('default', ['default', '.'], false, false).join()).toMatch(/\. and current namespace/);
    expect(validateExportTo('', ['.'], false, false)).toEqual([]);
    expect(validateExportTo('default', ['a', 'a'], false, false).join()).toMatch(/duplicate/);
    expect(validateExportTo('default', ['*', 'a'], false, false).join()).toMatch(/public/);
    expect(validateExportTo('default', ['~', 'a'], true, false).join()).toMatch(/no one/);
    expect(validateExportTo('default', ['~'], false, false).join()).toMatch(/not allowed/);
    expect(validateExportTo('default', ['Bad_NS'], false, false).join()).toMatch(/DNS 1123/);
    expect(validateExportTo('default', ['other'], false, true).join()).toMatch(/beyond current namespace/);
    expect(validateExportTo('default', ['.', 'other'], false, true).join()).toMatch(/multiple entries/);
  });

  test('selector labels', () => {
    expect(validateSelectorLabels({ app: 'x' }, ['p'], 'R')).toEqual([]);
    expect(validateSelectorLabels({ app: '*' }, ['p'], 'R')).toEqual([expect.objectContaining({ rule: 'R', path: ['p', 'app'] })]);
    expect(validateSelectorLabels({ '': 'x' }, ['p'], 'R')).toHaveLength(1);
  });

  test('policy targeting', () => {
    const rules = { oneOf: 'O', selector: 'S', targetRef: 'T' };
    expect(validatePolicyTargeting({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }, rules)).toEqual([]);
    expect(validatePolicyTargeting({ targetRef: { kind: 'ServiceEntry', group: 'networking.istio.io', name: 'se' } }, rules)).toEqual([]);
    expect(validatePolicyTargeting({ selector: {}, targetRefs: [{ kind: 'Service', name: 'a' }] }, rules).map((v) => v.rule)).toEqual(['O']);
    expect(validatePolicyTargeting({ targetRef: { kind: 'Pod', name: 'a' } }, rules).map((v) => v.rule)).toEqual(['T']);
  });
});
