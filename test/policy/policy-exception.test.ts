import { Testing } from 'cdk8s';
import { CLOCK_CONTEXT_KEY, PolicyException, PolicyExceptionProps } from '../../src/policy/policy-exception';

const VALID: PolicyExceptionProps = {
  rules: ['MESH-EXC-001'],
  justification: 'The legacy metrics agent cannot speak mTLS until its upgrade in Q1; only the namespace can reach the port.',
  owner: 'team-observability@example.com',
  expires: '2027-01-31',
};

describe('PolicyException', () => {
  test('records rules (sorted, unique), justification, owner, expiry, scope, objects and ports', () => {
    const chart = Testing.chart();
    const ex = new PolicyException(chart, 'metrics', { ...VALID, rules: ['MESH-EXC-001', 'IMG-DIGEST-001', 'MESH-EXC-001'], objects: ['Deployment/shop/cart'], ports: [9090] });
    expect(ex.rules).toEqual(['IMG-DIGEST-001', 'MESH-EXC-001']);
    expect(ex.coveredScope).toBe(chart);
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

  test('the clock is injectable through context', () => {
    const app = Testing.app();
    app.node.setContext(CLOCK_CONTEXT_KEY, '2030-05-01');
    expect(PolicyException.today(app)).toBe('2030-05-01');
    expect(PolicyException.today(Testing.app())).toBe(new Date().toISOString().slice(0, 10));
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
