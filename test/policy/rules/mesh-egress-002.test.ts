import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_EGRESS_002 as rule } from '../../../src/policy/rules/mesh-egress-002';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function se(spec: object): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'external', namespace: 'shop' }, spec };
}
const TLS_PORT = { ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] };
const ok = { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', exportTo: ['.'], ...TLS_PORT };

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['one host, DNS, exported to its own namespace', se(ok)],
  ['default location, STATIC with addresses, exported to named namespaces', se({ ...ok, location: undefined, resolution: 'STATIC', endpoints: [{ address: '203.0.113.7' }], exportTo: ['.', 'payments'] })],
  ['hidden (~)', se({ ...ok, exportTo: ['~'] })],
  ['MESH_INTERNAL (a VM in the mesh): another rule\'s concern', se({ hosts: ['*.corp.internal'], location: 'MESH_INTERNAL', resolution: 'NONE' })],
];
const BAD: [string, RuleObject, string[]][] = [
  ['wildcard host', se({ ...ok, hosts: ['*.example.com'], resolution: 'DYNAMIC_DNS' }), ['spec.hosts[0]']],
  ['resolution NONE', se({ ...ok, resolution: 'NONE' }), ['spec.resolution']],
  ['resolution unset (NONE)', se({ ...ok, resolution: undefined }), ['spec.resolution']],
  ['exported to every namespace', se({ ...ok, exportTo: ['.', '*'] }), ['spec.exportTo[1]']],
  ['no exportTo (every namespace)', se({ ...ok, exportTo: undefined }), ['spec.exportTo']],
  ['all at once', se({ hosts: ['a.example.com', '*'] }), ['spec.hosts[1]', 'spec.resolution', 'spec.exportTo']],
];

describe('MESH-EGRESS-002 external ServiceEntries name, resolve and scope their hosts (EGRESS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('messages say what the setting does', () => {
    expect(rule.check(se({ ...ok, resolution: undefined, exportTo: undefined }), ctx).map((v) => v.message)).toEqual([
      'resolution is unset (NONE): traffic goes to whatever address the application connected to',
      'no exportTo: the host is visible to every namespace (Istio\'s default)',
    ]);
  });

  test.each([
    ['hosts a string', se({ ...ok, hosts: '*' })],
    ['exportTo a string', se({ ...ok, exportTo: '*' })],
    ['no spec', { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'x' } }],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('synthesis', () => {
    function world() {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const details = new SecureService(chart, 'details', {
        namespace: shop, image: `gcr.io/acme/app@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
      });
      new EgressGateway(chart, 'egress').allowExternal(ExternalHost.https('books.example.com'), { from: [details] });
      return chart;
    }

    test('EgressGateway writes one host, DNS, exported only to the callers\' namespaces, and synthesizes', () => {
      const entries = synthValidated(world()).filter((o) => o.kind === 'ServiceEntry');
      expect(entries.map((e) => [e.spec.hosts, e.spec.resolution, e.spec.exportTo])).toEqual([[['books.example.com'], 'DNS', ['.', 'shop']]]);
    });

    test('a JSON patch exporting the entry everywhere fails', () => {
      const chart = world();
      const entry = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'ServiceEntry') as ApiObject;
      entry.addJsonPatch(JsonPatch.replace('/spec/exportTo', ['*']));
      expect(() => Testing.synth(chart)).toThrow(/MESH-EGRESS-002 \(EGRESS-1\): .*ServiceEntry\/istio-system\/.* spec\.exportTo\[0\]: exportTo "\*"/);
    });

    test('a raw ServiceEntry for a wildcard domain fails', () => {
      const chart = world();
      new ApiObject(chart, 'open', se({ hosts: ['*.amazonaws.com'], resolution: 'NONE', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] }) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-EGRESS-002 \(EGRESS-1\): \[test\/open\] ServiceEntry\/shop\/external spec\.hosts\[0\]/);
    });
  });
});

/* Istio's Bookinfo sample registers www.googleapis.com with DNS but without exportTo: reported (EGRESS-1 is stricter). */
describeWithShared('external-corpus/apps/bookinfo/egress-rule-google-apis.yaml', 'the external corpus: Bookinfo\'s egress rule', (file) => {
  test('is reported for its missing exportTo only', () => {
    const [entry] = parseAllDocuments(fs.readFileSync(path.resolve(file), 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'ServiceEntry');
    expect(rule.check(entry, ctx).map((v) => v.path)).toEqual(['spec.exportTo']);
  });
});
