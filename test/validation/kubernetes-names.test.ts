import * as fc from 'fast-check';
import {
  checkDns1035Label, checkDns1123Label, checkDns1123Subdomain, checkIanaServiceName, checkLabelValue,
  checkPathSegmentName, checkQualifiedName, nameRuleFor,
} from '../../src/validation/kubernetes-names';

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);

describe('Kubernetes name rules', () => {
  test('DNS-1123 label', () => {
    expect(checkDns1123Label('bookinfo')).toEqual([]);
    expect(checkDns1123Label('Bookinfo').join()).toMatch(/RFC 1123 label/);
    expect(checkDns1123Label('-x').join()).toMatch(/RFC 1123 label/);
    expect(checkDns1123Label('a.b').join()).toMatch(/RFC 1123 label/);
    expect(checkDns1123Label('a'.repeat(64)).join()).toMatch(/no more than 63/);
  });

  test('DNS-1123 subdomain', () => {
    expect(checkDns1123Subdomain('reviews.bookinfo.svc')).toEqual([]);
    expect(checkDns1123Subdomain('x_y').join()).toMatch(/subdomain/);
    expect(checkDns1123Subdomain('a'.repeat(254)).join()).toMatch(/no more than 253/);
  });

  test('DNS-1035 label (Service names) must start with a letter', () => {
    expect(checkDns1035Label('ratings')).toEqual([]);
    expect(checkDns1035Label('9ratings').join()).toMatch(/start with an alphabetic/);
  });

  test('path segment names (RBAC)', () => {
    expect(checkPathSegmentName('system:mesh-admin')).toEqual([]);
    expect(checkPathSegmentName('..')).toEqual(["may not be '..'"]);
    expect(checkPathSegmentName('a/b%')).toEqual(["may not contain '/'", "may not contain '%'"]);
  });

  test('qualified names (label and annotation keys)', () => {
    expect(checkQualifiedName('app.kubernetes.io/name')).toEqual([]);
    expect(checkQualifiedName('sidecar.istio.io/inject')).toEqual([]);
    expect(checkQualifiedName('Upper.Case/x').join()).toMatch(/prefix part/);
    expect(checkQualifiedName('a/b/c').join()).toMatch(/qualified name/);
    expect(checkQualifiedName('/x').join()).toMatch(/prefix part must be non-empty/);
    expect(checkQualifiedName('x/').join()).toMatch(/name part must be non-empty/);
    expect(checkQualifiedName('-x').join()).toMatch(/name part must consist/);
    expect(checkQualifiedName('a'.repeat(64)).join()).toMatch(/no more than 63/);
  });

  test('label values', () => {
    expect(checkLabelValue('')).toEqual([]);
    expect(checkLabelValue('v1.2_3')).toEqual([]);
    expect(checkLabelValue('a b').join()).toMatch(/valid label/);
    expect(checkLabelValue('x'.repeat(64)).join()).toMatch(/no more than 63/);
  });

  test('IANA service names (port names)', () => {
    expect(checkIanaServiceName('http-web')).toEqual([]);
    expect(checkIanaServiceName('a--b').join()).toMatch(/consecutive/);
    expect(checkIanaServiceName('sixteen-chars-xx').join()).toMatch(/15/);
    expect(checkIanaServiceName('9080').join()).toMatch(/at least one letter/);
    expect(checkIanaServiceName('-a').join()).toMatch(/begin or end/);
    expect(checkIanaServiceName('A').join()).toMatch(/only alpha-numeric/);
  });

  test('name rule by kind', () => {
    expect(nameRuleFor('', 'Namespace')).toBe(checkDns1123Label);
    expect(nameRuleFor('', 'Service')).toBe(checkDns1035Label);
    expect(nameRuleFor('rbac.authorization.k8s.io', 'ClusterRole')).toBe(checkPathSegmentName);
    expect(nameRuleFor('security.istio.io', 'AuthorizationPolicy')).toBe(checkDns1123Subdomain);
    expect(nameRuleFor('apps', 'Deployment')).toBe(checkDns1123Subdomain);
  });

  test('property: every DNS-1123 label is a valid subdomain and a valid label value', () => {
    fc.assert(fc.property(dnsLabel, (name) => {
      expect(checkDns1123Label(name)).toEqual([]);
      expect(checkDns1123Subdomain(name)).toEqual([]);
      expect(checkLabelValue(name)).toEqual([]);
    }));
  });

  test('property: an upper-case letter anywhere makes a DNS-1123 label invalid', () => {
    fc.assert(fc.property(dnsLabel, fc.nat(), fc.constantFrom('A', 'Z', 'Q'), (name, at, upper) => {
      const i = at % (name.length + 1);
      expect(checkDns1123Label(name.slice(0, i) + upper + name.slice(i))).not.toEqual([]);
    }));
  });
});
