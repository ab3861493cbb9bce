import { validateGateway, validateTlsOptions } from '../../../src/validation/webhook/gateway';

const gw = (servers: any, name = 'gw') => validateGateway({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name, namespace: 'istio-system' }, spec: { servers } });
const http = (extra: any = {}) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'], ...extra });
const https = (tls: any, extra: any = {}) => ({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*'], tls, ...extra });

describe('Gateway: known-good', () => {
  test.each([
    ['http', [http()]],
    ['http with redirect', [http({ tls: { httpsRedirect: true } })]],
    ['https credential', [https({ mode: 'SIMPLE', credentialName: 'cert' })]],
    ['https files', [https({ mode: 'MUTUAL', serverCertificate: '/c', privateKey: '/k', caCertificates: '/ca' })]],
    ['https tlsCertificates', [https({ mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/c', privateKey: '/k' }] })]],
    ['istio mutual', [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, hosts: ['ns/*.local'], tls: { mode: 'ISTIO_MUTUAL' } }]],
    ['passthrough', [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*/a.example.com'], tls: { mode: 'PASSTHROUGH' } }]],
    ['ip host and bind', [http({ hosts: ['10.0.0.1'], bind: '0.0.0.0' })]],
    ['uds bind', [{ port: { number: 0, name: 'uds', protocol: 'HTTP' }, hosts: ['*'], bind: 'unix:///var/run/gw.sock' }]],
  ])('%s', (_n, servers) => {
    expect(gw(servers)).toEqual([]);
  });
});

describe('Gateway: known-bad', () => {
  test.each([
    ['GW-1', 'dotted name', gw([http()], 'my.gateway'), ['metadata', 'name']],
    ['GW-2', 'no servers', gw([]), ['spec', 'servers']],
    ['GW-2', 'null server', gw([null]), ['spec', 'servers', 0]],
    ['GW-3', 'no hosts', gw([http({ hosts: [] })]), ['spec', 'servers', 0, 'hosts']],
    ['GW-3', 'short host', gw([http({ hosts: ['foo'] })]), ['spec', 'servers', 0, 'hosts', 0]],
    ['GW-3', 'partial wildcard', gw([http({ hosts: ['*foo.com'] })]), ['spec', 'servers', 0, 'hosts', 0]],
    ['GW-3', 'bad namespace', gw([http({ hosts: ['~/foo.com'] })]), ['spec', 'servers', 0, 'hosts', 0]],
    ['GW-4', 'no port', gw([{ hosts: ['*'] }]), ['spec', 'servers', 0, 'port']],
    ['GW-4', 'bad protocol', gw([http({ port: { number: 80, name: 'x', protocol: 'FTP' } })]), ['spec', 'servers', 0, 'port', 'protocol']],
    ['GW-4', 'port 0', gw([http({ port: { number: 0, name: 'x', protocol: 'HTTP' } })]), ['spec', 'servers', 0, 'port', 'number']],
    ['GW-4', 'targetPort', gw([http({ port: { number: 80, name: 'x', protocol: 'HTTP', targetPort: 8080 } })]), ['spec', 'servers', 0, 'port', 'targetPort']],
    ['GW-4', 'no port name', gw([http({ port: { number: 80, protocol: 'HTTP' } })]), ['spec', 'servers', 0, 'port', 'name']],
    ['GW-4', 'duplicate port name', gw([http(), http({ port: { number: 8080, name: 'http', protocol: 'HTTP' } })]), ['spec', 'servers', 1, 'port', 'name']],
    ['GW-4', 'bad bind', gw([http({ bind: 'localhost' })]), ['spec', 'servers', 0, 'bind']],
    ['GW-4', 'uds with port', gw([http({ bind: 'unix:///x.sock' })]), ['spec', 'servers', 0, 'port', 'number']],
    ['GW-5', 'https without tls', gw([https(undefined)]), ['spec', 'servers', 0, 'tls']],
    ['GW-5', 'http with certs', gw([http({ tls: { mode: 'SIMPLE', credentialName: 'c' } })]), ['spec', 'servers', 0, 'tls']],
    ['GW-5', 'tcp with tls', gw([{ port: { number: 9000, name: 'tcp', protocol: 'TCP' }, hosts: ['*'], tls: { httpsRedirect: true } }]), ['spec', 'servers', 0, 'tls']],
    ['GW-6', 'istio mutual with credential', gw([https({ mode: 'ISTIO_MUTUAL', credentialName: 'c' })]), ['spec', 'servers', 0, 'tls', 'credentialName']],
    ['GW-6', 'two cert sources', gw([https({ mode: 'SIMPLE', credentialName: 'c', serverCertificate: '/c', privateKey: '/k' })]), ['spec', 'servers', 0, 'tls']],
    ['GW-6', 'simple without cert', gw([https({ mode: 'SIMPLE' })]), ['spec', 'servers', 0, 'tls']],
    ['GW-6', 'mutual without CA', gw([https({ mode: 'MUTUAL', serverCertificate: '/c', privateKey: '/k' })]), ['spec', 'servers', 0, 'tls', 'caCertificates']],
    ['GW-6', 'CRL with SIMPLE', gw([https({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k', caCrl: '/crl' })]), ['spec', 'servers', 0, 'tls', 'caCrl']],
  ])('%s: %s', (rule, _n, violations, path) => {
    expect(violations).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('TLS options helper ignores non-objects', () => {
    expect(validateTlsOptions(undefined, [], 'X')).toEqual([]);
    expect(validateTlsOptions({ mode: 'PASSTHROUGH', credentialName: 'ignored' }, [], 'X')).toEqual([]);
  });
});
