import { validateDestinationRule } from '../../../src/validation/webhook/destination-rule';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const dr = (spec: any) => validateDestinationRule({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'd', namespace: 'default' }, spec });
const tp = (trafficPolicy: any) => dr({ host: 'reviews', trafficPolicy });

describeWithShared(ISTIO_TESTDATA, 'DestinationRule: Istio testdata', () => {
  // bookinfo-ratings-http2-ping uses http2KeepAlive (newer than 1.30.3): the schema layer rejects it, the webhook ignores it.
  test.each(istioTestdata('destinationrule-valid.yaml').map((d, i) => [`${i}`, d.doc]))('valid #%s', (_n, doc) => {
    expect(validateDestinationRule(doc)).toEqual([]);
  });
  // all three invalid warmup docs are webhook errors too (DR-8)
  test.each(istioTestdata('destinationrule-invalid.yaml').map((d) => [d.err!, d.doc]))('invalid: %s', (_e, doc) => {
    expect(validateDestinationRule(doc).map((v) => v.rule)).toContain('DR-8');
  });
});

describe('DestinationRule rules', () => {
  test.each([
    ['short host', { host: 'reviews' }],
    ['wildcard host', { host: '*.example.com', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
    ['mutual with credential', { host: 'a.com', trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'cred' } } }],
    ['mutual with files', { host: 'a.com', trafficPolicy: { tls: { mode: 'MUTUAL', clientCertificate: '/c', privateKey: '/k', caCertificates: '/ca' } } }],
    ['subsets', { host: 'a', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }] }],
    ['port level', { host: 'a', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, connectionPool: { tcp: { connectTimeout: '1s' } } }] } }],
    ['tunnel', { host: 'a', trafficPolicy: { tunnel: { protocol: 'CONNECT', targetHost: '10.0.0.1', targetPort: 8080 } } }],
    ['maglev', { host: 'a', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', maglev: { tableSize: 65537 } } } } }],
    ['tcp idle 0s', { host: 'a', trafficPolicy: { connectionPool: { tcp: { idleTimeout: '0s' } } } }],
    ['configmap in own namespace', { host: 'a', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'configmap://ca' } } }],
    ['selector + local export', { host: 'a', workloadSelector: { matchLabels: { app: 'x' } }, exportTo: ['.'] }],
  ])('known-good: %s', (_n, spec) => {
    expect(dr(spec)).toEqual([]);
  });

  test.each([
    ['DR-1', 'bad host', dr({ host: 'foo.*.com' }), ['spec', 'host']],
    ['DR-1', 'missing host', dr({}), ['spec', 'host']],
    ['DR-2', 'empty traffic policy', tp({}), ['spec', 'trafficPolicy']],
    ['DR-2', 'tunnel + proxyProtocol', tp({ tunnel: { targetHost: 'a.com', targetPort: 1 }, proxyProtocol: { version: 'V1' } }), ['spec', 'trafficPolicy']],
    ['DR-2', 'bad tunnel protocol', tp({ tunnel: { protocol: 'GET', targetHost: 'a.com', targetPort: 1 } }), ['spec', 'trafficPolicy', 'tunnel', 'protocol']],
    ['DR-2', 'bad tunnel port', tp({ tunnel: { targetHost: 'a.com', targetPort: 0 } }), ['spec', 'trafficPolicy', 'tunnel', 'targetPort']],
    ['DR-3', 'null subset', dr({ host: 'a', subsets: [null] }), ['spec', 'subsets', 0]],
    ['DR-3', 'duplicate subset', dr({ host: 'a', subsets: [{ name: 'v1' }, { name: 'v1' }] }), ['spec', 'subsets', 1, 'name']],
    ['DR-3', 'bad subset name', dr({ host: 'a', subsets: [{ name: 'v1.0' }] }), ['spec', 'subsets', 0, 'name']],
    ['DR-3', 'bad subset label', dr({ host: 'a', subsets: [{ name: 'v1', labels: { 'bad key!': 'x' } }] }), ['spec', 'subsets', 0, 'labels']],
    ['DR-2', 'empty subset traffic policy', dr({ host: 'a', subsets: [{ name: 'v1', trafficPolicy: {} }] }), ['spec', 'subsets', 0, 'trafficPolicy']],
    ['DR-4', 'insecureSkipVerify with CA', tp({ tls: { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca' } }), ['spec', 'trafficPolicy', 'tls']],
    ['DR-4', 'credentialName with cert files', tp({ tls: { mode: 'MUTUAL', credentialName: 'c', clientCertificate: '/c' } }), ['spec', 'trafficPolicy', 'tls']],
    ['DR-4', 'MUTUAL without client cert', tp({ tls: { mode: 'MUTUAL', privateKey: '/k' } }), ['spec', 'trafficPolicy', 'tls', 'clientCertificate']],
    ['DR-4', 'configmap in other namespace', tp({ tls: { mode: 'SIMPLE', credentialName: 'configmap://other/ca' } }), ['spec', 'trafficPolicy', 'tls', 'credentialName']],
    ['DR-4', 'port-level MUTUAL without key', tp({ portLevelSettings: [{ port: { number: 1 }, tls: { mode: 'MUTUAL', clientCertificate: '/c' } }] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0, 'tls', 'privateKey']],
    ['DR-5', 'null port settings', tp({ portLevelSettings: [null] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0]],
    ['DR-5', 'no port', tp({ portLevelSettings: [{ tls: { mode: 'ISTIO_MUTUAL' } }] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0, 'port']],
    ['DR-5', 'no field', tp({ portLevelSettings: [{ port: { number: 80 } }] }), ['spec', 'trafficPolicy', 'portLevelSettings', 0]],
    ['DR-6', 'empty pool', tp({ connectionPool: {} }), ['spec', 'trafficPolicy', 'connectionPool']],
    ['DR-6', 'negative counter', tp({ connectionPool: { http: { http2MaxRequests: -1 } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'http2MaxRequests']],
    ['DR-6', 'bad duration', tp({ connectionPool: { tcp: { connectTimeout: '0.1ms' } } }), ['spec', 'trafficPolicy', 'connectionPool', 'tcp', 'connectTimeout']],
    ['DR-6', 'UPGRADE + useClientProtocol', tp({ connectionPool: { http: { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true } } }), ['spec', 'trafficPolicy', 'connectionPool', 'http', 'useClientProtocol']],
    ['DR-7', 'local origin without split', tp({ outlierDetection: { consecutiveLocalOriginFailures: 3 } }), ['spec', 'trafficPolicy', 'outlierDetection', 'consecutiveLocalOriginFailures']],
    ['DR-7', 'percent out of range', tp({ outlierDetection: { maxEjectionPercent: 101 } }), ['spec', 'trafficPolicy', 'outlierDetection', 'maxEjectionPercent']],
    ['DR-7', 'bad interval', tp({ outlierDetection: { interval: 'soon' } }), ['spec', 'trafficPolicy', 'outlierDetection', 'interval']],
    ['DR-8', 'cookie without name', tp({ loadBalancer: { consistentHash: { httpCookie: { ttl: '1s' } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'httpCookie', 'name']],
    ['DR-8', 'maglev not prime', tp({ loadBalancer: { consistentHash: { httpHeaderName: 'x', maglev: { tableSize: 1000 } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'maglev', 'tableSize']],
    ['DR-8', 'ring size + maglev', tp({ loadBalancer: { consistentHash: { minimumRingSize: 1024, maglev: { tableSize: 65537 } } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash', 'minimumRingSize']],
    ['DR-8', 'distribute + failover', tp({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'a', to: { b: 100 } }], failover: [{ from: 'a', to: 'b' }] } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting']],
    ['DR-8', 'weights not 100', tp({ loadBalancer: { localityLbSetting: { distribute: [{ from: 'a/*', to: { 'b/*': 60 } }] } } }), ['spec', 'trafficPolicy', 'loadBalancer', 'localityLbSetting', 'distribute', 0, 'to']],
    ['DR-9', 'exportTo ~', dr({ host: 'a', exportTo: ['~'] }), ['spec', 'exportTo']],
    ['DR-9', 'selector exported wide', dr({ host: 'a', workloadSelector: { matchLabels: { app: 'x' } }, exportTo: ['*'] }), ['spec', 'exportTo']],
    ['DR-10', 'wildcard selector', dr({ host: 'a', workloadSelector: { matchLabels: { app: 'x*' } } }), ['spec', 'workloadSelector', 'matchLabels', 'app']],
  ])('%s: %s', (rule, _n, violations, path) => {
    expect(violations).toContainEqual(expect.objectContaining({ rule, path }));
  });
});
