import { injectionLabelsFor, istiodPodLabelsFor } from '../../src/mesh/mesh';
import { METRICS_PORTS, UNCAPTURED_PROXY_PORTS, monitoringProblems, proxyPortRole } from '../../src/mesh/proxy-ports';

describe('injectionLabelsFor', () => {
  test('default revision: istio-injection enabled', () => {
    expect(injectionLabelsFor(undefined)).toEqual({ 'istio-injection': 'enabled' });
  });

  test('an empty revision is the default revision', () => {
    expect(injectionLabelsFor('')).toEqual({ 'istio-injection': 'enabled' });
  });

  test('a revision: istio.io/rev only (istio-injection would override the revision label)', () => {
    expect(injectionLabelsFor('canary-1-30')).toEqual({ 'istio.io/rev': 'canary-1-30' });
  });

  test('returns a fresh object each time', () => {
    const a = injectionLabelsFor(undefined);
    a.extra = 'x';
    expect(injectionLabelsFor(undefined)).toEqual({ 'istio-injection': 'enabled' });
  });
});

describe('istiodPodLabelsFor', () => {
  test('default revision: app istiod', () => {
    expect(istiodPodLabelsFor(undefined)).toEqual({ app: 'istiod' });
  });

  test('an empty revision is the default revision', () => {
    expect(istiodPodLabelsFor('')).toEqual({ app: 'istiod' });
  });

  test('a revision: app istiod and istio.io/rev', () => {
    expect(istiodPodLabelsFor('canary-1-30')).toEqual({ 'app': 'istiod', 'istio.io/rev': 'canary-1-30' });
  });
});

describe('the proxy\'s own ports (mesh/proxy-ports)', () => {
  test('15020, 15021 and 15090 are the ports the proxy serves itself; each has a role', () => {
    expect(UNCAPTURED_PROXY_PORTS).toEqual([15020, 15021, 15090]);
    expect(METRICS_PORTS).toEqual([15020, 15090]);
    expect(proxyPortRole(15020)).toMatch(/^pilot-agent's status port \(merged Prometheus metrics/);
    expect(proxyPortRole(15021)).toMatch(/^Envoy's health-check port/);
    expect(proxyPortRole(15090)).toBe('Envoy\'s Prometheus stats port (/stats/prometheus)');
    // Captured proxy ports (15001, 15006 are iptables targets) and app ports have no role here.
    for (const port of [15000, 15001, 15006, 15012, 15014, 8080]) expect(proxyPortRole(port)).toBeUndefined();
  });

  test('monitoringProblems: labels need a namespace, and must be valid and non-empty', () => {
    expect(monitoringProblems(undefined, undefined)).toEqual([]);
    expect(monitoringProblems('monitoring', undefined)).toEqual([]);
    expect(monitoringProblems('monitoring', { 'app.kubernetes.io/name': 'prometheus' })).toEqual([]);
    expect(monitoringProblems(undefined, { app: 'prometheus' })).toEqual(['monitoringPodLabels is set but monitoringNamespace is not: the labels select pods of that namespace']);
    expect(monitoringProblems('monitoring', {})).toEqual([expect.stringMatching(/^monitoringPodLabels is empty/)]);
    expect(monitoringProblems('monitoring', { '-bad': 'x', 'ok': 'bad value' })).toEqual([
      expect.stringMatching(/^monitoringPodLabels key "-bad" /),
      expect.stringMatching(/^monitoringPodLabels value "bad value" of "ok" /),
    ]);
    expect(monitoringProblems('monitoring', { app: 1 as any })).toEqual(['monitoringPodLabels value "1" of "app" is not a string']);
  });
});
