import { Testing } from 'cdk8s';
import { GOOGLE_CLOUD_HEALTH_CHECK_RANGES, healthCheckRangeProblems } from '../../src/mesh/edge-health-checks';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { IngressGateway, IngressGatewayProps } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { findObject, ofKind, synthValidated } from '../helpers';

function world(props: Partial<IngressGatewayProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const gw = new IngressGateway(chart, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), ...props });
  return { chart, gw };
}

describe('load-balancer health checks on the gateway status port', () => {
  test('default: Google Cloud\'s Application Load Balancer health-check ranges, on TCP 15021 only, to the gateway pods only', () => {
    const { chart, gw } = world();
    expect(IngressGateway.GOOGLE_CLOUD_HEALTH_CHECK_RANGES).toEqual(['35.191.0.0/16', '130.211.0.0/22']);
    expect(gw.healthCheckSourceRanges).toEqual(['35.191.0.0/16', '130.211.0.0/22']);
    const policy = findObject(synthValidated(chart), 'NetworkPolicy', 'edge-lb-health-checks', 'istio-system');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { istio: 'ingressgateway' } },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [{ ipBlock: { cidr: '35.191.0.0/16' } }, { ipBlock: { cidr: '130.211.0.0/22' } }],
        ports: [{ protocol: 'TCP', port: 15021 }],
      }],
    });
  });

  test('the other gateway policies still open only the HTTPS target port (to anyone), never 15021', () => {
    const objects = synthValidated(world().chart);
    expect(findObject(objects, 'NetworkPolicy', 'edge-ingress', 'istio-system').spec.ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 8443 }] },
    ]);
    const opening15021 = ofKind(objects, 'NetworkPolicy').filter((p) => JSON.stringify(p.spec.ingress ?? []).includes('15021'));
    expect(opening15021.map((p) => p.metadata.name)).toEqual(['edge-lb-health-checks']);
  });

  test('custom ranges (IPv6 too), a moved status port, custom pod labels', () => {
    const { chart } = world({
      healthCheckSourceRanges: ['35.191.0.0/16', '2600:2d00:1:b029::/64'], statusPort: 15030, selector: { app: 'edge', istio: 'edge' },
    });
    expect(findObject(synthValidated(chart), 'NetworkPolicy', 'edge-lb-health-checks', 'istio-system').spec).toEqual({
      podSelector: { matchLabels: { app: 'edge', istio: 'edge' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '35.191.0.0/16' } }, { ipBlock: { cidr: '2600:2d00:1:b029::/64' } }], ports: [{ protocol: 'TCP', port: 15030 }] }],
    });
  });

  test('[] opens nothing', () => {
    const { chart, gw } = world({ healthCheckSourceRanges: [] });
    expect(gw.healthCheckSourceRanges).toEqual([]);
    expect(ofKind(synthValidated(chart), 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('edge-lb-health-checks');
  });

  test('the exported default is not shared mutable state', () => {
    IngressGateway.GOOGLE_CLOUD_HEALTH_CHECK_RANGES.push('10.0.0.0/8');
    try {
      expect(world().gw.healthCheckSourceRanges).toEqual([...GOOGLE_CLOUD_HEALTH_CHECK_RANGES]);
    } finally {
      IngressGateway.GOOGLE_CLOUD_HEALTH_CHECK_RANGES.pop();
    }
  });

  describe('healthCheckRangeProblems', () => {
    test.each([
      [['35.191.0.0/16', '130.211.0.0/22'], []],
      [[], []],
      [['2600:2d00:1:1::/64'], []],
      [['10.0.0.1/32'], []],
      [['35.191.0.0'], ['[0] "35.191.0.0" has no valid prefix length. Did you mean "35.191.0.0/32"?']],
      [['35.191.0.1/16'], ['[0] "35.191.0.1/16" has host bits set: the network is 35.191.0.0/16']],
      [['0.0.0.0/0'], ['[0] "0.0.0.0/0" is wider than a /8: it would open the status port to most of the internet, not to health checkers']],
      [['::/0'], ['[0] "::/0" is wider than a /16: it would open the status port to most of the internet, not to health checkers']],
      [['35.191.0.0/33'], ['[0] "35.191.0.0/33": the prefix length must be at most 32']],
      [['health-checkers'], ['[0] "health-checkers" is not a CIDR']],
      [['300.1.1.0/24'], ['[0] "300.1.1.0/24": "300.1.1.0" is not an IPv4 or IPv6 address']],
      [[42], ['[0] 42 is not a CIDR']],
      [['35.191.0.0/16', '35.191.0.0/16'], ['"35.191.0.0/16" listed twice']],
    ])('%j -> %j', (ranges, problems) => {
      expect(healthCheckRangeProblems(ranges)).toEqual(problems);
    });

    test('not a list', () => {
      expect(healthCheckRangeProblems('35.191.0.0/16')).toEqual(['must be a list of CIDRs']);
    });
  });

  describe('guards', () => {
    test.each([
      ['a range with host bits', { healthCheckSourceRanges: ['130.211.1.0/22'] }, /\[test\/edge\] healthCheckSourceRanges: \[0\] "130.211.1.0\/22" has host bits set: the network is 130.211.0.0\/22/],
      ['the whole internet', { healthCheckSourceRanges: ['0.0.0.0/0'] }, /healthCheckSourceRanges: \[0\] "0.0.0.0\/0" is wider than a \/8/],
      ['a bare address', { healthCheckSourceRanges: ['35.191.0.0'] }, /Did you mean "35.191.0.0\/32"\?/],
      ['a string instead of a list', { healthCheckSourceRanges: '35.191.0.0/16' as any }, /healthCheckSourceRanges: must be a list of CIDRs/],
      ['status port 0', { statusPort: 0 }, /statusPort: 0 is not a valid port/],
      ['status port on the HTTP port', { statusPort: 8080 }, /statusPort: the HTTPS \(8443\), HTTP \(8080\) and status \(8080\) ports must differ/],
    ])('%s', (_what, props, error) => {
      expect(() => world(props as Partial<IngressGatewayProps>)).toThrow(error);
    });
  });
});
