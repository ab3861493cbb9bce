import * as fc from 'fast-check';
import { IMeshPeer } from '../../src/mesh/mesh-peer';
import { checkTrustDomain, Principal } from '../../src/mesh/principal';

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const shortLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/);
/** Up to 4 labels of at most 32 characters: always within the 253-character limit. */
const dnsSubdomain = fc.array(shortLabel, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));

describe('Principal (AUTHZ-2)', () => {
  describe('serviceAccount', () => {
    test('names one ServiceAccount in the mesh trust domain', () => {
      const p = Principal.serviceAccount('bookinfo', 'reviews');
      expect(p.namespace).toBe('bookinfo');
      expect(p.serviceAccountName).toBe('reviews');
      expect(p.trustDomain).toBeUndefined();
      expect(p.principalIn('cluster.local')).toBe('cluster.local/ns/bookinfo/sa/reviews');
      expect(p.principalIn('my-project.svc.id.goog')).toBe('my-project.svc.id.goog/ns/bookinfo/sa/reviews');
    });

    test('a fixed trust domain wins over the mesh one', () => {
      const p = Principal.serviceAccount('bookinfo', 'reviews', 'other.example');
      expect(p.trustDomain).toBe('other.example');
      expect(p.principalIn('cluster.local')).toBe('other.example/ns/bookinfo/sa/reviews');
    });

    test('ServiceAccount names may be DNS subdomains (dots allowed)', () => {
      expect(Principal.serviceAccount('ns', 'my.sa-1').serviceAccountName).toBe('my.sa-1');
    });

    test.each([
      ['*', 'reviews', /namespace "\*"/],
      ['bookinfo', '*', /serviceAccount "\*"/],
      ['Bookinfo', 'reviews', /namespace "Bookinfo".*lower case/],
      ['bookinfo', 'Reviews', /serviceAccount "Reviews".*lower case/],
      ['', 'reviews', /namespace ""/],
      ['bookinfo', '', /serviceAccount ""/],
      ['book.info', 'reviews', /namespace "book.info".*RFC 1123 label/],
      ['a'.repeat(64), 'reviews', /no more than 63 characters/],
      ['bookinfo', 'a/b', /serviceAccount "a\/b"/],
    ])('rejects namespace %j / serviceAccount %j', (ns, sa, message) => {
      expect(() => Principal.serviceAccount(ns, sa)).toThrow(message);
      expect(() => Principal.serviceAccount(ns, sa)).toThrow(/A principal names one ServiceAccount exactly: no wildcards, lower-case DNS names/);
    });

    test('the message names the principal, with <mesh> for an unset trust domain', () => {
      expect(() => Principal.serviceAccount('*', 'reviews')).toThrow(/^Principal <mesh>\/ns\/\*\/sa\/reviews: /);
      expect(() => Principal.serviceAccount('*', 'reviews', 'cluster.local')).toThrow(/^Principal cluster\.local\/ns\/\*\/sa\/reviews: /);
    });

    test('reports every problem at once', () => {
      let message = '';
      try {
        Principal.serviceAccount('*', 'Bad', '*');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/namespace "\*"/);
      expect(message).toMatch(/serviceAccount "Bad"/);
      expect(message).toMatch(/trust domain "\*" must not contain "\*"/);
    });

    test.each([
      ['*', /trust domain "\*" must not contain "\*"/],
      ['*.local', /trust domain "\*\.local" must not contain "\*"/],
      ['', /trust domain ""/],
      ['Cluster.local', /trust domain "Cluster.local".*lower case/],
      ['cluster.local/ns', /trust domain "cluster.local\/ns"/],
      ['-cluster.local', /trust domain "-cluster.local"/],
      ['cluster_local', /trust domain "cluster_local"/],
    ])('rejects trust domain %j', (td, message) => {
      expect(() => Principal.serviceAccount('bookinfo', 'reviews', td)).toThrow(message);
    });
  });

  describe('checkTrustDomain', () => {
    test('accepts DNS-like names', () => {
      expect(checkTrustDomain('cluster.local')).toEqual([]);
      expect(checkTrustDomain('my-project.svc.id.goog')).toEqual([]);
      expect(checkTrustDomain('td')).toEqual([]);
    });

    test('a "*" is reported on its own, with a clear message', () => {
      expect(checkTrustDomain('*')).toEqual(['trust domain "*" must not contain "*"']);
    });

    test('other problems come from the DNS subdomain rule', () => {
      expect(checkTrustDomain('UPPER').join()).toMatch(/^trust domain "UPPER" a lowercase RFC 1123 subdomain/);
      expect(checkTrustDomain('a'.repeat(254)).join()).toMatch(/no more than 253 characters/);
    });
  });

  describe('fromSpiffeId', () => {
    test('parses the Istio form', () => {
      const p = Principal.fromSpiffeId('cluster.local/ns/bookinfo/sa/reviews');
      expect(p.trustDomain).toBe('cluster.local');
      expect(p.namespace).toBe('bookinfo');
      expect(p.serviceAccountName).toBe('reviews');
    });

    test('accepts the spiffe:// scheme', () => {
      const p = Principal.fromSpiffeId('spiffe://cluster.local/ns/bookinfo/sa/reviews');
      expect(p.sameIdentityAs(Principal.serviceAccount('bookinfo', 'reviews', 'cluster.local'))).toBe(true);
    });

    test.each([
      '',
      '*',
      'cluster.local',
      'bookinfo/reviews',
      '/ns/bookinfo/sa/reviews',
      'cluster.local/ns/bookinfo',
      'cluster.local/ns/bookinfo/sa/',
      'cluster.local/ns//sa/reviews',
      'cluster.local/sa/reviews/ns/bookinfo',
      'cluster.local/ns/bookinfo/sa/reviews/extra',
      'spiffe:///ns/bookinfo/sa/reviews',
      'http://cluster.local/ns/bookinfo/sa/reviews',
    ])('rejects %j as not a SPIFFE identity, showing the expected form', (id) => {
      expect(() => Principal.fromSpiffeId(id)).toThrow(`Principal.fromSpiffeId("${id}"): not a SPIFFE identity`);
      expect(() => Principal.fromSpiffeId(id)).toThrow('Use "<trustDomain>/ns/<namespace>/sa/<serviceAccount>", e.g. "cluster.local/ns/bookinfo/sa/reviews"');
    });

    test.each([
      ['cluster.local/ns/*/sa/reviews', /namespace "\*"/],
      ['cluster.local/ns/bookinfo/sa/*', /serviceAccount "\*"/],
      ['*/ns/bookinfo/sa/reviews', /trust domain "\*" must not contain "\*"/],
      ['cluster.local/ns/Bookinfo/sa/reviews', /namespace "Bookinfo"/],
      ['CLUSTER.LOCAL/ns/bookinfo/sa/reviews', /trust domain "CLUSTER.LOCAL"/],
    ])('well-formed but invalid %j is rejected by the principal rules', (id, message) => {
      expect(() => Principal.fromSpiffeId(id)).toThrow(message);
      expect(() => Principal.fromSpiffeId(id)).toThrow(/no wildcards, lower-case DNS names/);
    });
  });

  describe('sameIdentityAs', () => {
    const p = Principal.serviceAccount('bookinfo', 'reviews', 'cluster.local');

    test('same namespace, ServiceAccount and trust domain', () => {
      expect(p.sameIdentityAs(Principal.fromSpiffeId('cluster.local/ns/bookinfo/sa/reviews'))).toBe(true);
      expect(Principal.serviceAccount('a', 'b').sameIdentityAs(Principal.serviceAccount('a', 'b'))).toBe(true);
    });

    test('any differing part makes a different identity', () => {
      expect(p.sameIdentityAs(Principal.serviceAccount('other', 'reviews', 'cluster.local'))).toBe(false);
      expect(p.sameIdentityAs(Principal.serviceAccount('bookinfo', 'ratings', 'cluster.local'))).toBe(false);
      expect(p.sameIdentityAs(Principal.serviceAccount('bookinfo', 'reviews', 'other.local'))).toBe(false);
    });

    test('an unset trust domain is not assumed to be a given one', () => {
      expect(p.sameIdentityAs(Principal.serviceAccount('bookinfo', 'reviews'))).toBe(false);
      expect(Principal.serviceAccount('bookinfo', 'reviews').sameIdentityAs(p)).toBe(false);
    });
  });

  describe('toString', () => {
    test('shows the fixed trust domain', () => {
      expect(Principal.serviceAccount('bookinfo', 'reviews', 'cluster.local').toString()).toBe('cluster.local/ns/bookinfo/sa/reviews');
    });

    test('shows a placeholder for the mesh trust domain', () => {
      expect(Principal.serviceAccount('bookinfo', 'reviews').toString()).toBe('<trust-domain>/ns/bookinfo/sa/reviews');
      expect(`${Principal.serviceAccount('bookinfo', 'reviews')}`).toBe('<trust-domain>/ns/bookinfo/sa/reviews');
    });
  });

  describe('as a mesh peer', () => {
    test('is its own principal, in its namespace, with no pod labels', () => {
      const p = Principal.serviceAccount('bookinfo', 'reviews');
      expect(p.peerPrincipal).toBe(p);
      expect(p.peerNamespace).toBe('bookinfo');
      expect((p as IMeshPeer).peerPodLabels).toBeUndefined();
    });
  });

  describe('properties', () => {
    test('any valid ns/sa round-trips through principalIn and fromSpiffeId', () => {
      fc.assert(fc.property(dnsLabel, dnsSubdomain, dnsSubdomain, (ns, sa, td) => {
        const p = Principal.serviceAccount(ns, sa);
        const id = p.principalIn(td);
        expect(id).toBe(`${td}/ns/${ns}/sa/${sa}`);
        const parsed = Principal.fromSpiffeId(id);
        expect(parsed.namespace).toBe(ns);
        expect(parsed.serviceAccountName).toBe(sa);
        expect(parsed.trustDomain).toBe(td);
        expect(parsed.sameIdentityAs(Principal.serviceAccount(ns, sa, td))).toBe(true);
        expect(parsed.principalIn('ignored.local')).toBe(id);
        expect(Principal.fromSpiffeId(`spiffe://${id}`).sameIdentityAs(parsed)).toBe(true);
      }));
    });

    test('a "*" anywhere in the namespace, ServiceAccount or trust domain is rejected', () => {
      const withStar = (s: fc.Arbitrary<string>) => fc.tuple(s, fc.nat()).map(([v, i]) => {
        const at = i % (v.length + 1);
        return `${v.slice(0, at)}*${v.slice(at)}`;
      });
      fc.assert(fc.property(withStar(dnsLabel), dnsSubdomain, (ns, sa) => {
        expect(() => Principal.serviceAccount(ns, sa)).toThrow(/namespace/);
      }));
      fc.assert(fc.property(dnsLabel, withStar(dnsSubdomain), (ns, sa) => {
        expect(() => Principal.serviceAccount(ns, sa)).toThrow(/serviceAccount/);
      }));
      fc.assert(fc.property(dnsLabel, dnsSubdomain, withStar(dnsSubdomain), (ns, sa, td) => {
        expect(() => Principal.serviceAccount(ns, sa, td)).toThrow(/must not contain "\*"/);
      }));
    });
  });
});
