import { AccessGrant, AccessGrantProps } from '../../src/mesh/access-grant';

const BASE: AccessGrantProps = {
  callerPrincipal: 'cluster.local/ns/bookinfo/sa/productpage',
  target: 'bookinfo/reviews',
  targetPorts: [9080],
  paths: [],
  methods: [],
  objects: ['AuthorizationPolicy/bookinfo/reviews-allow', 'NetworkPolicy/bookinfo/reviews-ingress'],
};

describe('AccessGrant', () => {
  test('exposes every field it was given', () => {
    const grant = new AccessGrant({ ...BASE, paths: ['/reviews/*'], methods: ['GET'] });
    expect(grant.callerPrincipal).toBe('cluster.local/ns/bookinfo/sa/productpage');
    expect(grant.target).toBe('bookinfo/reviews');
    expect(grant.targetPorts).toEqual([9080]);
    expect(grant.paths).toEqual(['/reviews/*']);
    expect(grant.methods).toEqual(['GET']);
    expect(grant.objects).toEqual(['AuthorizationPolicy/bookinfo/reviews-allow', 'NetworkPolicy/bookinfo/reviews-ingress']);
  });

  describe('toString', () => {
    test('caller and ports only when any path and method is admitted', () => {
      expect(new AccessGrant(BASE).toString()).toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:9080');
    });

    test('several ports are comma-separated', () => {
      expect(new AccessGrant({ ...BASE, targetPorts: [8080, 9090] }).toString())
        .toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:8080,9090');
    });

    test('methods come before paths', () => {
      expect(new AccessGrant({ ...BASE, methods: ['GET', 'HEAD'], paths: ['/reviews/*', '/health'] }).toString())
        .toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:9080 GET,HEAD /reviews/*,/health');
    });

    test('methods only', () => {
      expect(new AccessGrant({ ...BASE, methods: ['POST'] }).toString())
        .toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:9080 POST');
    });

    test('paths only', () => {
      expect(new AccessGrant({ ...BASE, paths: ['/admin'] }).toString())
        .toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:9080 /admin');
    });

    test('template literals use it', () => {
      expect(`${new AccessGrant(BASE)}`).toBe('cluster.local/ns/bookinfo/sa/productpage -> bookinfo/reviews:9080');
    });
  });
});
