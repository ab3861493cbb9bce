import { defaultEndpointError, validateSidecar } from '../../../src/validation/webhook/sidecar';

const sc = (spec: any) => validateSidecar({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'ns1' }, spec });
const egress = (...hosts: string[]) => ({ egress: [{ hosts }] });

describe('Sidecar: known-good', () => {
  test.each([
    ['*/*', egress('*/*')],
    ['./*', egress('./*')],
    ['./foo.com', egress('./foo.com')],
    ['~/*', egress('~/*')],
    ['*/* and ~ns1/*-free combo', egress('*/*', 'istio-system/*')],
    ['istio-system/*', egress('istio-system/*', './cartservice.onlineboutique.svc.cluster.local')],
    ['outbound policy only', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }],
    ['egress proxy', { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'proxy.example.com', port: { number: 3128 } } } }],
    ['ingress', {
      ingress: [{ port: { number: 8080, protocol: 'HTTP', name: 'http' }, defaultEndpoint: '127.0.0.1:8080' },
        { port: { number: 9090, protocol: 'HTTPS', name: 'https' }, defaultEndpoint: 'unix:///var/run/app.sock', tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }],
    }],
    ['uds egress + catch-all', { egress: [{ port: { number: 0, protocol: 'HTTP', name: 'uds' }, bind: 'unix:///var/run/x.sock', hosts: ['./*'] }, { hosts: ['*/*'] }] }],
    ['inbound pool only', { inboundConnectionPool: { tcp: { maxConnections: 10 } } }],
    ['selector', { workloadSelector: { labels: { app: 'x' } }, egress: [{ hosts: ['./*'] }] }],
  ])('%s', (_n, spec) => {
    expect(sc(spec)).toEqual([]);
  });
});

describe('Sidecar: known-bad', () => {
  test.each([
    ['SC-1', 'wildcard selector', { workloadSelector: { labels: { app: '*' } }, egress: [{ hosts: ['./*'] }] }, ['spec', 'workloadSelector', 'labels', 'app']],
    ['SC-2', 'empty', {}, ['spec']],
    ['SC-3', 'null ingress', { ingress: [null] }, ['spec', 'ingress', 0]],
    ['SC-3', 'ingress without port', { ingress: [{ defaultEndpoint: '127.0.0.1:80' }] }, ['spec', 'ingress', 0, 'port']],
    ['SC-3', 'ingress targetPort', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'h', targetPort: 8080 } }] }, ['spec', 'ingress', 0, 'port', 'targetPort']],
    ['SC-3', 'ingress bad protocol', { ingress: [{ port: { number: 80, protocol: 'FOO', name: 'h' } }] }, ['spec', 'ingress', 0, 'port', 'protocol']],
    ['SC-3', 'ingress port 0', { ingress: [{ port: { number: 0, protocol: 'HTTP', name: 'h' } }] }, ['spec', 'ingress', 0, 'port', 'number']],
    ['SC-3', 'ingress bad name', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'Bad_Name' } }] }, ['spec', 'ingress', 0, 'port', 'name']],
    ['SC-3', 'ingress bad bind', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'h' }, bind: 'localhost' }] }, ['spec', 'ingress', 0, 'bind']],
    ['SC-3', 'duplicate ingress port', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'a' } }, { port: { number: 80, protocol: 'HTTP', name: 'b' } }] }, ['spec', 'ingress', 1, 'port', 'number']],
    ['SC-4', 'default endpoint host', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'h' }, defaultEndpoint: '10.0.0.1:80' }] }, ['spec', 'ingress', 0, 'defaultEndpoint']],
    ['SC-5', 'ingress tls credentialName', { ingress: [{ port: { number: 443, protocol: 'HTTPS', name: 'h' }, tls: { mode: 'SIMPLE', credentialName: 'c' } }] }, ['spec', 'ingress', 0, 'tls', 'credentialName']],
    ['SC-5', 'ingress tls ISTIO_MUTUAL', { ingress: [{ port: { number: 443, protocol: 'HTTPS', name: 'h' }, tls: { mode: 'ISTIO_MUTUAL' } }] }, ['spec', 'ingress', 0, 'tls', 'mode']],
    ['SC-5', 'ingress tls on HTTP port', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'h' }, tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } }] }, ['spec', 'ingress', 0, 'tls']],
    ['SC-5', 'ingress tls SIMPLE without cert', { ingress: [{ port: { number: 443, protocol: 'HTTPS', name: 'h' }, tls: { mode: 'SIMPLE' } }] }, ['spec', 'ingress', 0, 'tls']],
    ['SC-6', 'empty connection pool', { inboundConnectionPool: {} }, ['spec', 'inboundConnectionPool']],
    ['SC-6', 'negative counter', { ingress: [{ port: { number: 80, protocol: 'HTTP', name: 'h' }, connectionPool: { tcp: { maxConnections: -1 } } }] }, ['spec', 'ingress', 0, 'connectionPool', 'tcp', 'maxConnections']],
    ['SC-7', 'null egress', { egress: [null] }, ['spec', 'egress', 0]],
    ['SC-7', 'catch-all not last', { egress: [{ hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP', name: 'h' }, hosts: ['./*'] }] }, ['spec', 'egress', 0]],
    ['SC-7', 'port 0 without uds', { egress: [{ port: { number: 0, protocol: 'HTTP', name: 'h' }, hosts: ['./*'] }] }, ['spec', 'egress', 0, 'bind']],
    ['SC-7', 'uds with IPTABLES', { egress: [{ port: { number: 0, protocol: 'HTTP', name: 'h' }, bind: 'unix:///x.sock', captureMode: 'IPTABLES', hosts: ['./*'] }] }, ['spec', 'egress', 0, 'captureMode']],
    ['SC-7', 'egress bad bind', { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'h' }, bind: 'nope', hosts: ['./*'] }] }, ['spec', 'egress', 0, 'bind']],
    ['SC-7', 'duplicate egress port', { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'a' }, hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP', name: 'b' }, hosts: ['./*'] }] }, ['spec', 'egress', 1, 'port']],
    ['SC-7', 'egress targetPort', { egress: [{ port: { number: 80, protocol: 'HTTP', name: 'a', targetPort: 1 }, hosts: ['./*'] }] }, ['spec', 'egress', 0, 'port', 'targetPort']],
    ['SC-8', 'no hosts', { egress: [{ hosts: [] }] }, ['spec', 'egress', 0, 'hosts']],
    ['SC-8', 'bare *', egress('*'), ['spec', 'egress', 0, 'hosts', 0]],
    ['SC-8', 'short name', egress('foo'), ['spec', 'egress', 0, 'hosts', 0]],
    ['SC-8', 'partial wildcard', egress('test/*a.com'), ['spec', 'egress', 0, 'hosts', 0]],
    ['SC-8', 'slash only', egress('/'), ['spec', 'egress', 0, 'hosts', 0]],
    ['SC-10', 'egressProxy with REGISTRY_ONLY', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'p.example.com', port: { number: 1 } } } }, ['spec', 'outboundTrafficPolicy', 'egressProxy']],
    ['SC-10', 'egressProxy without port', { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'p.example.com' } } }, ['spec', 'outboundTrafficPolicy', 'egressProxy', 'port']],
    ['SC-10', 'egressProxy bad host', { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: '*.example.com', port: { number: 1 } } } }, ['spec', 'outboundTrafficPolicy', 'egressProxy', 'host']],
  ])('%s: %s', (rule, _n, spec, path) => {
    expect(sc(spec)).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('SC-1 stops further checks, as in Istio', () => {
    expect(sc({ workloadSelector: { labels: { '': 'x' } } }).map((v) => v.rule)).toEqual(['SC-1']);
  });

  test('default endpoint forms', () => {
    for (const ep of ['127.0.0.1:80', '0.0.0.0:80', '[::1]:80', '[::]:80', ':80', 'unix:///var/x.sock', 'unix://@abs']) expect(defaultEndpointError(ep)).toBeUndefined();
    for (const ep of ['127.0.0.1', '127.0.0.1:http', 'unix://rel', '127.0.0.1:0']) expect(defaultEndpointError(ep)).toBeDefined();
  });
});
