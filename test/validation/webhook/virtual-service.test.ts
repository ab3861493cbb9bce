import { hostsMatch, validateVirtualService } from '../../../src/validation/webhook/virtual-service';

const vs = (spec: any) => validateVirtualService({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'v', namespace: 'default' }, spec });
const route = (host = 'reviews', extra: any = {}) => ({ route: [{ destination: { host } }], ...extra });

describe('VirtualService: known-good', () => {
  test.each([
    ['mesh route', { hosts: ['reviews'], http: [route()] }],
    ['gateway wildcard', { hosts: ['*'], gateways: ['istio-system/gw'], http: [route()] }],
    ['weighted', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 80 }, { destination: { host: 'reviews', subset: 'v2', port: { number: 9080 } }, weight: 20 }] }] }],
    ['redirect', { hosts: ['a.com'], http: [{ redirect: { uri: '/x' } }] }],
    ['direct response', { hosts: ['a.com'], http: [{ directResponse: { status: 503 } }] }],
    ['retries + timeout', { hosts: ['a'], http: [route('a', { timeout: '5s', retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure,503' } })] }],
    ['delegate', { http: [route()] }],
    ['tcp', { hosts: ['db'], tcp: [{ route: [{ destination: { host: 'db', port: { number: 5432 } } }] }] }],
    ['tls sni', { hosts: ['*.example.com'], gateways: ['ns/gw'], tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: [{ destination: { host: 'a' } }] }] }],
    ['ip host', { hosts: ['10.0.0.1'], http: [route()] }],
    ['jwt claim on gateway', { hosts: ['a.com'], gateways: ['ns/gw'], http: [route('a', { match: [{ headers: { '@request.auth.claims.group': { exact: 'x' } } }] })] }],
  ])('%s', (_n, spec) => {
    expect(vs(spec)).toEqual([]);
  });
});

describe('VirtualService: known-bad', () => {
  test.each([
    ['VS-1', 'delegate with gateways', { gateways: ['ns/gw'], http: [route()] }, ['spec', 'gateways']],
    ['VS-1', 'delegate with tcp', { tcp: [{ route: [{ destination: { host: 'a' } }] }] }, ['spec', 'tcp']],
    ['VS-2', 'bad gateway namespace', { hosts: ['a'], gateways: ['Bad_NS/gw'], http: [route()] }, ['spec', 'gateways', 0]],
    ['VS-2', 'empty gateway name', { hosts: ['a'], gateways: ['ns/'], http: [route()] }, ['spec', 'gateways', 0]],
    ['VS-3', 'wildcard on mesh', { hosts: ['*'], http: [route()] }, ['spec', 'hosts', 0]],
    ['VS-3', 'wildcard on mesh gateway', { hosts: ['*'], gateways: ['mesh'], http: [route()] }, ['spec', 'hosts', 0]],
    ['VS-3', 'bad host', { hosts: ['foo.*.com'], http: [route()] }, ['spec', 'hosts', 0]],
    ['VS-3', 'overlapping hosts', { hosts: ['*.foo.com', 'a.foo.com'], http: [route()] }, ['spec', 'hosts', 1]],
    ['VS-3', 'jwt claim on mesh', { hosts: ['a'], http: [route('a', { match: [{ headers: { '@request.auth.claims.group': { exact: 'x' } } }] })] }, ['spec', 'http', 0, 'match', 0, 'headers', '@request.auth.claims.group']],
    ['VS-3', 'sni not in hosts', { hosts: ['a.com'], gateways: ['ns/gw'], tls: [{ match: [{ sniHosts: ['b.com'] }], route: [{ destination: { host: 'b' } }] }] }, ['spec', 'tls', 0, 'match', 0, 'sniHosts', 0]],
    ['VS-4', 'no routes', { hosts: ['a'] }, ['spec']],
    ['VS-4', 'null http route', { hosts: ['a'], http: [null] }, ['spec', 'http', 0]],
    ['VS-5', 'route + redirect', { hosts: ['a'], http: [route('a', { redirect: { uri: '/' } })] }, ['spec', 'http', 0, 'route']],
    ['VS-5', 'fault + redirect', { hosts: ['a'], http: [{ redirect: { uri: '/' }, fault: { abort: { httpStatus: 500 } } }] }, ['spec', 'http', 0, 'fault']],
    ['VS-5', 'rewrite + redirect', { hosts: ['a'], http: [{ redirect: { uri: '/' }, rewrite: { uri: '/' } }] }, ['spec', 'http', 0, 'rewrite']],
    ['VS-5', 'directResponse + route', { hosts: ['a'], http: [route('a', { directResponse: { status: 200 } })] }, ['spec', 'http', 0, 'route']],
    ['VS-5', 'mirror + mirrors', { hosts: ['a'], http: [route('a', { mirror: { host: 'b' }, mirrors: [{ destination: { host: 'c' } }] })] }, ['spec', 'http', 0, 'mirror']],
    ['VS-5', 'nothing to do', { hosts: ['a'], http: [{ match: [{ uri: { prefix: '/' } }] }] }, ['spec', 'http', 0]],
    ['VS-5', 'delegate delegating', { http: [{ delegate: { name: 'x' } }] }, ['spec', 'http', 0, 'delegate']],
    ['VS-5', 'root with route', { hosts: ['a'], http: [route('a', { delegate: { name: 'x' } })] }, ['spec', 'http', 0, 'route']],
    ['VS-6', 'destination *', { hosts: ['a'], http: [route('*')] }, ['spec', 'http', 0, 'route', 0, 'destination', 'host']],
    ['VS-6', 'bad subset', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'v1.0' } }] }] }, ['spec', 'http', 0, 'route', 0, 'destination', 'subset']],
    ['VS-6', 'bad port', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', port: { number: 70000 } } }] }] }, ['spec', 'http', 0, 'route', 0, 'destination', 'port']],
    ['VS-6', 'missing destination', { hosts: ['a'], http: [{ route: [{ weight: 100 }] }] }, ['spec', 'http', 0, 'route', 0, 'destination']],
    ['VS-6', 'negative weight', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' }, weight: -1 }] }] }, ['spec', 'http', 0, 'route', 0, 'weight']],
    ['VS-6', 'zero total weight', { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }, { destination: { host: 'b' } }] }] }, ['spec', 'http', 0, 'route']],
    ['VS-6', 'tcp without route', { hosts: ['a'], tcp: [{ match: [{ port: 1 }] }] }, ['spec', 'tcp', 0, 'route']],
    ['VS-6', 'tls without match', { hosts: ['a'], gateways: ['ns/gw'], tls: [{ route: [{ destination: { host: 'a' } }] }] }, ['spec', 'tls', 0, 'match']],
    ['VS-7', 'mirror percentage', { hosts: ['a'], http: [route('a', { mirror: { host: 'b' }, mirrorPercentage: { value: 150 } })] }, ['spec', 'http', 0, 'mirrorPercentage']],
    ['VS-8', 'negative attempts', { hosts: ['a'], http: [route('a', { retries: { attempts: -1 } })] }, ['spec', 'http', 0, 'retries', 'attempts']],
    ['VS-8', 'policy with 0 attempts', { hosts: ['a'], http: [route('a', { retries: { attempts: 0, retryOn: '5xx' } })] }, ['spec', 'http', 0, 'retries']],
    ['VS-8', 'bad retryOn', { hosts: ['a'], http: [route('a', { retries: { attempts: 2, retryOn: '5xx,sometimes' } })] }, ['spec', 'http', 0, 'retries', 'retryOn']],
    ['VS-10', 'bad timeout', { hosts: ['a'], http: [route('a', { timeout: '0s' })] }, ['spec', 'http', 0, 'timeout']],
    ['VS-10', 'exportTo ~', { hosts: ['a'], http: [route()], exportTo: ['~'] }, ['spec', 'exportTo']],
  ])('%s: %s', (rule, _n, spec, path) => {
    expect(vs(spec)).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('host overlap', () => {
    expect(hostsMatch('*.com', '*.foo.com')).toBe(true);
    expect(hostsMatch('a.com', 'b.com')).toBe(false);
    expect(hostsMatch('a.foo.com', '*.foo.com')).toBe(true);
  });
});
