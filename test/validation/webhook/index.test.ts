import { WEBHOOK_KINDS, webhookValidatorFor } from '../../../src/validation/webhook';

describe('webhookValidatorFor', () => {
  test('lists the nine kinds', () => {
    expect(WEBHOOK_KINDS).toEqual(expect.arrayContaining([
      'security.istio.io/AuthorizationPolicy', 'security.istio.io/PeerAuthentication', 'security.istio.io/RequestAuthentication',
      'networking.istio.io/Sidecar', 'networking.istio.io/ServiceEntry', 'networking.istio.io/DestinationRule',
      'networking.istio.io/VirtualService', 'networking.istio.io/Gateway', 'telemetry.istio.io/Telemetry',
    ]));
    expect(WEBHOOK_KINDS).toHaveLength(9);
  });

  test('every listed kind has a validator; unknown kinds have none', () => {
    for (const k of WEBHOOK_KINDS) {
      const [group, kind] = k.split('/');
      expect(webhookValidatorFor(group, kind)).toBeDefined();
    }
    expect(webhookValidatorFor('networking.istio.io', 'EnvoyFilter')).toBeUndefined();
    expect(webhookValidatorFor('gateway.networking.k8s.io', 'Gateway')).toBeUndefined();
  });

  test('includes the metadata rules', () => {
    const v = webhookValidatorFor('networking.istio.io', 'Sidecar')!;
    const rules = v({ metadata: { name: 's', annotations: { 'istio.io/dry-run': 'true' } }, spec: { egress: [{ hosts: ['./*'] }] } }).map((x) => x.rule);
    expect(rules).toEqual(['M-1']);
  });

  test('never throws on odd input', () => {
    const odd: any[] = [{}, { spec: null }, { spec: 'x' }, { spec: [] }, { metadata: null, spec: { rules: 'x', servers: 5 } },
      { spec: { rules: [null, 1, 'a'], hosts: [1, null], ports: [null], egress: [null, 5], http: [null], tls: [null], tcp: [1] } },
      { metadata: 'x', spec: { selector: 'x', targetRefs: [null, 'x'], workloadSelector: { labels: 'x' }, servers: [null, { port: 'x', hosts: 'x', tls: 'x' }] } },
      { metadata: { annotations: 'x', labels: 5 }, spec: { trafficPolicy: { tls: 5, connectionPool: 'x', portLevelSettings: [{}] }, subsets: [{}], endpoints: [null], resolution: 'STATIC' } },
      { spec: { ingress: [{ port: {}, tls: {} }], outboundTrafficPolicy: { egressProxy: 'x', mode: 'ALLOW_ANY' }, metrics: [{ overrides: [{ tagOverrides: 'x', match: 'x' }] }], tracing: [{ customTags: { a: 'x' } }], accessLogging: [{ filter: {} }] } }];
    for (const k of WEBHOOK_KINDS) {
      const [group, kind] = k.split('/');
      const v = webhookValidatorFor(group, kind)!;
      for (const o of odd) expect(() => v(o)).not.toThrow();
    }
  });
});
