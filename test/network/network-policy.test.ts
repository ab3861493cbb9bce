import { Chart, Testing } from 'cdk8s';
import { Validation } from '../../src';
import { networkPolicy } from '../../src/network/network-policy';
import { podsInNamespace, tcpPorts } from '../../src/network/peers';

describe('networkPolicy', () => {
  test('a plain networking.k8s.io/v1 NetworkPolicy with numeric ports that passes the harness', () => {
    const chart = new Chart(Testing.app(), 'c');
    networkPolicy(chart, 'np', 'cart-ingress', 'shop', {
      podSelector: { matchLabels: { app: 'cart' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [podsInNamespace('web', { app: 'web' })], ports: tcpPorts([9080, 80, 80]) }],
    });
    const [np] = Testing.synth(chart);
    Validation.assertValid([np]);
    expect(np).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'cart-ingress', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'cart' } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } }, podSelector: { matchLabels: { app: 'web' } } }],
          ports: [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 9080 }],
        }],
      },
    });
  });

  test('rules given as a function are produced at synthesis (grants added later)', () => {
    const chart = new Chart(Testing.app(), 'c');
    const rules: { ports: ReturnType<typeof tcpPorts> }[] = [];
    networkPolicy(chart, 'np', 'egress', 'shop', { podSelector: {}, policyTypes: ['Egress'], egress: () => rules });
    rules.push({ ports: tcpPorts([443]) });
    expect(Testing.synth(chart)[0].spec.egress).toEqual([{ ports: [{ protocol: 'TCP', port: 443 }] }]);
  });

  test('an empty podSelector selects every pod and stays in the output; absent rule lists stay absent', () => {
    const chart = new Chart(Testing.app(), 'c');
    networkPolicy(chart, 'np', 'default-deny', 'shop', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const [np] = Testing.synth(chart);
    Validation.assertValid([np]);
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });
});
