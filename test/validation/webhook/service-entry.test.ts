import { validateServiceEntry } from '../../../src/validation/webhook/service-entry';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const se = (spec: any, labels?: Record<string, string>) =>
  validateServiceEntry({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se', namespace: 'default', labels }, spec });

describeWithShared(ISTIO_TESTDATA, 'ServiceEntry: Istio testdata', () => {
  const docs = istioTestdata('serviceentry-valid.yaml');
  test.each(docs.filter((d) => d.doc.metadata.name !== 'full').map((d) => [d.doc.metadata.name, d.doc]))('valid %s', (_n, doc) => {
    expect(validateServiceEntry(doc)).toEqual([]);
  });

  test('valid "full": its address `001:db8::` parses as a YAML map, a type error, so SE-3 rejects it (expected against 1.30.3)', () => {
    const full = docs.find((d) => d.doc.metadata.name === 'full')!.doc;
    expect(validateServiceEntry(full)).toEqual([expect.objectContaining({ rule: 'SE-3', path: ['spec', 'addresses', 1] })]);
    expect(validateServiceEntry({ ...full, spec: { ...full.spec, addresses: ['1.2.3.4', '2001:db8::'] } })).toEqual([]);
  });

  // Every invalid document is also a webhook error (no-spec/missing-host: "at least one host", the rest listed below).
  const expected: Record<string, string> = {
    'no-spec': 'SE-2',
    'missing-host': 'SE-2',
    'bad-selector-value': 'SE-1',
    'selector-and-endpoints': 'SE-1',
    'bad-host-wildcard': 'SE-2',
    'bad-cidr-resolution': 'SE-3',
    'duplicate-ports-name': 'SE-4',
    'duplicate-ports-number': 'SE-4',
    'bad-port': 'SE-4',
    'bad-port-target': 'SE-4',
    'none-with-endpoints': 'SE-6',
    'dns-rr-with-multiple-endpoints': 'SE-6',
  };
  test.each(istioTestdata('serviceentry-invalid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('invalid %s', (name, doc) => {
    expect(validateServiceEntry(doc).map((v) => v.rule)).toContain(expected[name]);
  });
});

describe('ServiceEntry rules', () => {
  test.each([
    ['wildcard host', { hosts: ['*.foo.com'] }],
    ['DNS with wildcard host', { hosts: ['*.foo.com'], resolution: 'DNS', ports: [{ name: 'https', number: 443, protocol: 'TLS' }] }],
    ['static', {
      hosts: ['db.internal'],
      addresses: ['10.0.0.0/24'],
      resolution: 'STATIC',
      ports: [{ name: 'tcp', number: 5432, protocol: 'TCP' }],
      endpoints: [{ address: '10.0.0.1', ports: { tcp: 5433 }, labels: { app: 'db' } }],
    }],
    ['two hosts with HTTP', { hosts: ['a.com', 'b.com'], resolution: 'DNS', ports: [{ name: 'http', number: 80, protocol: 'HTTP' }] }],
    ['exportTo ~', { hosts: ['a.com'], exportTo: ['~'] }],
    ['dynamic dns', { hosts: ['*.example.com'], resolution: 'DYNAMIC_DNS', ports: [{ name: 'tls', number: 443, protocol: 'TLS' }] }],
  ])('known-good: %s', (_n, spec) => {
    expect(se(spec)).toEqual([]);
  });

  test.each([
    ['SE-1', 'selector + endpoints', { hosts: ['a.com'], workloadSelector: { labels: { a: 'b' } }, endpoints: [{ address: '1.1.1.1' }], resolution: 'STATIC' }, ['spec', 'endpoints']],
    ['SE-2', 'no hosts', { hosts: [] }, ['spec', 'hosts']],
    ['SE-2', 'host *', { hosts: ['*'] }, ['spec', 'hosts', 0]],
    ['SE-2', 'inner wildcard', { hosts: ['foo.*.com'] }, ['spec', 'hosts', 0]],
    ['SE-2', 'numeric TLD', { hosts: ['foo.123'] }, ['spec', 'hosts', 0]],
    ['SE-3', 'bad address', { hosts: ['a.com'], addresses: ['1.2.3.4/99'] }, ['spec', 'addresses', 0]],
    ['SE-3', 'CIDR with DNS', { hosts: ['a.com'], addresses: ['10.0.0.0/8'], resolution: 'DNS' }, ['spec', 'addresses']],
    ['SE-4', 'null port', { hosts: ['a.com'], ports: [null] }, ['spec', 'ports', 0]],
    ['SE-4', 'bad port name', { hosts: ['a.com'], ports: [{ name: 'Bad_Name', number: 80 }] }, ['spec', 'ports', 0, 'name']],
    ['SE-4', 'bad protocol', { hosts: ['a.com'], ports: [{ name: 'p', number: 80, protocol: 'QUIC' }] }, ['spec', 'ports', 0, 'protocol']],
    ['SE-6', 'NONE with endpoints', { hosts: ['a.com'], endpoints: [{ address: '1.1.1.1' }] }, ['spec', 'endpoints']],
    ['SE-6', 'STATIC with hostname endpoint', { hosts: ['a.com'], resolution: 'STATIC', endpoints: [{ address: 'b.com' }] }, ['spec', 'endpoints', 0, 'address']],
    ['SE-6', 'endpoint port not in ports', { hosts: ['a.com'], resolution: 'STATIC', ports: [{ name: 'http', number: 80 }], endpoints: [{ address: '1.1.1.1', ports: { grpc: 81 } }] }, ['spec', 'endpoints', 0, 'ports', 'grpc']],
    ['SE-6', 'DNS short host without endpoints', { hosts: ['foo-'], resolution: 'DNS' }, ['spec', 'hosts', 0]],
    ['SE-6', 'DNS bad endpoint address', { hosts: ['a.com'], resolution: 'DNS', endpoints: [{ address: 'bad_host!' }] }, ['spec', 'endpoints', 0, 'address']],
    ['SE-6', 'DYNAMIC_DNS exact host', { hosts: ['a.com'], resolution: 'DYNAMIC_DNS' }, ['spec', 'hosts', 0]],
    ['SE-6', 'DYNAMIC_DNS TCP port', { hosts: ['*.a.com'], resolution: 'DYNAMIC_DNS', ports: [{ name: 't', number: 1, protocol: 'TCP' }] }, ['spec', 'ports', 0, 'protocol']],
    ['SE-2', 'DYNAMIC_DNS partial wildcard', { hosts: ['*x.com'], resolution: 'DYNAMIC_DNS' }, ['spec', 'hosts', 0]],
    ['SE-6', 'unknown resolution', { hosts: ['a.com'], resolution: 'MAGIC' }, ['spec', 'resolution']],
    ['SE-7', 'two hosts with TCP', { hosts: ['a.com', 'b.com'], resolution: 'DNS', ports: [{ name: 't', number: 1, protocol: 'TCP' }] }, ['spec', 'ports', 0, 'protocol']],
    ['SE-8', 'exportTo * and ns', { hosts: ['a.com'], exportTo: ['*', 'ns'] }, ['spec', 'exportTo']],
    ['SE-8', 'exportTo ~ and ns', { hosts: ['a.com'], exportTo: ['~', 'ns'] }, ['spec', 'exportTo']],
    ['SE-8', 'exportTo duplicate', { hosts: ['a.com'], exportTo: ['default', '.'] }, ['spec', 'exportTo']],
  ])('%s: %s', (rule, _n, spec, path) => {
    expect(se(spec)).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('DYNAMIC_DNS MESH_INTERNAL with waypoint label', () => {
    expect(se({ hosts: ['*.a.com'], resolution: 'DYNAMIC_DNS', location: 'MESH_INTERNAL' }, { 'istio.io/use-waypoint': 'wp' }))
      .toContainEqual(expect.objectContaining({ rule: 'SE-6', path: ['spec', 'location'] }));
  });
});
