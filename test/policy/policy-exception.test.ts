import { Testing } from 'cdk8s';
import { CLOCK_CONTEXT_KEY, PolicyException, PolicyExceptionProps } from '../../src/policy/policy-exception';

const VALID: PolicyExceptionProps = {
  rules: ['MESH-EXC-001'],
  justification: 'The legacy metrics agent cannot speak mTLS until its upgrade in Q1; only the namespace can reach the port.',
  owner: 'team-observability@example.com',
  expires: '2027-01-31',
  objects: ['Deployment/shop/cart'],
};

describe('PolicyException', () => {
  test('records rules (sorted, unique), justification, owner, expiry, scope, objects and ports', () => {
    const chart = Testing.chart();
    const ex = new PolicyException(chart, 'metrics', { ...VALID, rules: ['MESH-EXC-001', 'IMG-DIGEST-001', 'MESH-EXC-001'], objects: ['Deployment/shop/cart'], ports: [9090] });
    expect(ex.rules).toEqual(['IMG-DIGEST-001', 'MESH-EXC-001']);
    expect(ex.coveredScope).toBeUndefined();
    expect(ex.objects).toEqual(['Deployment/shop/cart']);
    expect(ex.ports).toEqual([9090]);
    expect(ex.stamp('MESH-EXC-001')).toBe('MESH-EXC-001@2027-01-31');
  });

  test('words that only look like placeholders are reasons (no false alarm)', () => {
    for (const justification of [
      'The todo-list service keeps its legacy metrics port until the Q2 rewrite; only monitoring reaches it.',
      'Tested with the vendor: their agent cannot run without NET_BIND_SERVICE on port 80 until v4 ships.',
      'The N/A-region replica is read-only and reached only from the batch namespace over a NetworkPolicy.',
    ]) {
      expect(() => new PolicyException(Testing.chart(), 'x', { ...VALID, justification })).not.toThrow();
    }
  });

  test('expiry arithmetic', () => {
    const ex = new PolicyException(Testing.chart(), 'x', VALID);
    expect(ex.isExpired('2027-01-31')).toBe(false);
    expect(ex.isExpired('2027-02-01')).toBe(true);
    expect(ex.daysLeft('2027-01-21')).toBe(10);
  });

  test('the clock is injectable through context, never silently: clockOverride says so, and a malformed override is an error', () => {
    const app = Testing.app();
    app.node.setContext(CLOCK_CONTEXT_KEY, '2030-05-01');
    expect(PolicyException.today(app)).toBe('2030-05-01');
    expect(PolicyException.clockOverride(app)).toBe('2030-05-01');
    expect(PolicyException.today(Testing.app())).toBe(new Date().toISOString().slice(0, 10));
    expect(PolicyException.clockOverride(Testing.app())).toBeUndefined();
    for (const bad of ['tomorrow', '2030-02-30', 20300501]) {
      const other = Testing.app();
      other.node.setContext(CLOCK_CONTEXT_KEY, bad);
      expect(() => PolicyException.today(other)).toThrow(/context cdk8s-secure-mesh:today: .* is not a date/);
    }
  });

  test('an explicit scope: the objects are required, and more than one namespace needs a mesh-wide reason', () => {
    const chart = Testing.chart();
    const { objects: _omitted, ...withoutObjects } = VALID;
    expect(() => new PolicyException(chart, 'none', withoutObjects as PolicyExceptionProps)).toThrow(/objects: an exception must list the objects it covers/);
    expect(() => new PolicyException(chart, 'empty', { ...VALID, objects: [] })).toThrow(/objects: an exception must list/);
    expect(() => new PolicyException(chart, 'two', { ...VALID, objects: ['Deployment/shop/cart', 'Deployment/billing/ledger'] }))
      .toThrow(/meshWideReason: the objects span 2 namespaces \(billing, shop\)/);
    expect(() => new PolicyException(chart, 'cluster', { ...VALID, objects: ['Deployment/shop/cart', 'ClusterRole/ops'] }))
      .toThrow(/meshWideReason: the objects span 2 namespaces \(<cluster>, shop\)/);
    expect(() => new PolicyException(chart, 'lazy', { ...VALID, objects: ['Deployment/shop/cart', 'Deployment/billing/ledger'], meshWideReason: 'TODO later' }))
      .toThrow(/meshWideReason: "TODO later" contains the placeholder "TODO"/);
    const wide = new PolicyException(chart, 'wide', {
      ...VALID,
      objects: ['Deployment/shop/cart', 'Deployment/billing/ledger'],
      meshWideReason: 'The same vendor agent runs in both namespaces and is replaced in one change next quarter.',
    });
    expect(wide.objects).toEqual(['Deployment/billing/ledger', 'Deployment/shop/cart']);
    expect(new PolicyException(chart, 'cluster-only', { ...VALID, objects: ['ClusterRole/system:ops'] }).objects).toEqual(['ClusterRole/system:ops']);
  });

  describe('bad input', () => {
    test.each([
      ['no rules', { rules: [] }, /rules: an exception must name the rules it relaxes/],
      ['no justification', { justification: '' }, /justification: "" is not a justification/],
      ['a one-word justification', { justification: 'needed' }, /is not a justification/],
      ['a placeholder', { justification: 'TODO explain why this is needed here later on' }, /contains the placeholder "TODO"/],
      ['a placeholder anywhere, not only at the start', { justification: 'Justification: TODO - fill this in before the release' }, /justification: ".*" contains the placeholder "TODO"/],
      ['"fill this in" with nothing filled in', { justification: 'The legacy scraper needs this; owner to fill this in with the compensating control' }, /contains the placeholder "fill this in"/],
      ['lorem ipsum', { justification: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod' }, /contains the placeholder "Lorem ipsum"/],
      ['n/a as the reason', { justification: 'Compensating control: n/a, we accept the risk for the quarter' }, /contains the placeholder "n\/a/],
      ['no owner', { owner: ' ' }, /owner: an exception needs an owner/],
      ['no expiry', { expires: '' }, /expires: "" is not a date/],
      ['a malformed expiry', { expires: '31/01/2027' }, /is not a date/],
      ['an impossible date', { expires: '2027-02-30' }, /is not a date/],
      ['a bad port', { ports: [0] }, /ports\[0\]: 0 is not a port/],
      ['a bad object reference', { objects: ['cart'] }, /objects\[0\]: "cart" is not an object reference/],
    ])('%s', (_what, override, error) => {
      expect(() => new PolicyException(Testing.chart(), 'x', { ...VALID, ...override } as PolicyExceptionProps)).toThrow(error);
    });
  });
});
