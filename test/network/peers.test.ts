import * as fc from 'fast-check';
import { dnsEgressRule, NAMESPACE_NAME_LABEL, podsInNamespace, sortedLabels, tcpPorts } from '../../src/network/peers';

describe('NetworkPolicy peers (AUTHZ-4)', () => {
  test('namespaces are selected by the immutable kubernetes.io/metadata.name label', () => {
    expect(NAMESPACE_NAME_LABEL).toBe('kubernetes.io/metadata.name');
  });

  describe('podsInNamespace', () => {
    test('without labels: every pod of the namespace', () => {
      expect(podsInNamespace('bookinfo')).toEqual({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } },
      });
    });

    test('empty labels are the same as none (no empty podSelector)', () => {
      const peer = podsInNamespace('bookinfo', {});
      expect(peer).toEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } } });
      expect(peer.podSelector).toBeUndefined();
    });

    test('with labels: those pods in that namespace only, in one peer (AND, not OR)', () => {
      const peer = podsInNamespace('bookinfo', { version: 'v1', app: 'reviews' });
      expect(peer).toEqual({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } },
        podSelector: { matchLabels: { app: 'reviews', version: 'v1' } },
      });
      expect(Object.keys(peer.podSelector!.matchLabels!)).toEqual(['app', 'version']);
      expect(peer.ipBlock).toBeUndefined();
    });

    test('does not keep a reference to the caller\'s labels', () => {
      const labels: { [key: string]: string } = { app: 'reviews' };
      const peer = podsInNamespace('bookinfo', labels);
      labels.app = 'evil';
      expect(peer.podSelector!.matchLabels).toEqual({ app: 'reviews' });
    });
  });

  describe('tcpPorts', () => {
    test('TCP ports, sorted numerically and de-duplicated', () => {
      const ports = tcpPorts([9080, 443, 80, 443, 10000]);
      expect(ports.map((p) => p.protocol)).toEqual(['TCP', 'TCP', 'TCP', 'TCP']);
      expect(ports.map((p) => p.port)).toEqual([80, 443, 9080, 10000]);
      expect(ports.every((p) => Object.keys(p).sort().join() === 'port,protocol')).toBe(true);
    });

    test('no ports: no entries', () => {
      expect(tcpPorts([])).toEqual([]);
    });

    test('does not reorder the caller\'s array', () => {
      const input = [9080, 80];
      tcpPorts(input);
      expect(input).toEqual([9080, 80]);
    });

    test('property: the ports are exactly the distinct inputs, ascending', () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 20 }), (input) => {
        const out = tcpPorts(input).map((p) => p.port);
        expect(new Set(out)).toEqual(new Set(input));
        expect(out).toHaveLength(new Set(input).size);
        out.slice(1).forEach((p, i) => expect(p).toBeGreaterThan(out[i]));
      }));
    });
  });

  describe('sortedLabels', () => {
    test('same labels, keys in sorted order', () => {
      const sorted = sortedLabels({ 'version': 'v1', 'app': 'reviews', 'app.kubernetes.io/name': 'reviews', 'B': 'x' });
      expect(Object.keys(sorted)).toEqual(['B', 'app', 'app.kubernetes.io/name', 'version']);
      expect(sorted).toEqual({ 'version': 'v1', 'app': 'reviews', 'app.kubernetes.io/name': 'reviews', 'B': 'x' });
    });

    test('empty stays empty', () => {
      expect(sortedLabels({})).toEqual({});
    });

    test('returns a copy', () => {
      const input = { b: '2', a: '1' };
      const out = sortedLabels(input);
      expect(out).not.toBe(input);
      expect(Object.keys(input)).toEqual(['b', 'a']);
    });

    test('property: a sorted copy of any labels', () => {
      const key = fc.stringMatching(/^[a-z][a-z0-9.\/-]{0,10}$/);
      fc.assert(fc.property(fc.dictionary(key, fc.string({ maxLength: 5 })), (labels) => {
        const out = sortedLabels(labels);
        expect(out).toEqual(labels);
        expect(Object.keys(out)).toEqual(Object.keys(labels).sort());
      }));
    });
  });

  describe('dnsEgressRule', () => {
    test('only kube-dns pods in kube-system, UDP and TCP 53', () => {
      const rule = dnsEgressRule();
      expect(rule.to).toEqual([{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      }]);
      expect(rule.ports!.map((p) => [p.protocol, p.port])).toEqual([['UDP', 53], ['TCP', 53]]);
    });
  });
});
