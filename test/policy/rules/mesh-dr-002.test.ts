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
import { MESH_DR_002 as rule } from '../../../src/policy/rules/mesh-dr-002';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function dr(spec: object): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'originate', namespace: 'istio-system' }, spec: { host: 'api.example.com', ...spec } };
}
const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['SIMPLE against the system roots', dr({ trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com' } } })],
  ['SIMPLE with a CA and SANs', dr({ trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'api-ca', subjectAltNames: ['api.example.com'] } } })],
  ['insecureSkipVerify false', dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'SIMPLE', insecureSkipVerify: false } }] } })],
  ['no TLS settings', dr({})],
];
const BAD: [string, RuleObject, string[]][] = [
  ['top level', dr({ trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } }), ['spec.trafficPolicy.tls.insecureSkipVerify']],
  ['per port', dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 80 } }, { port: { number: 443 }, tls: { mode: 'MUTUAL', insecureSkipVerify: true } }] } }),
    ['spec.trafficPolicy.portLevelSettings[1].tls.insecureSkipVerify']],
  ['in a subset', dr({ subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } }] }), ['spec.subsets[0].trafficPolicy.tls.insecureSkipVerify']],
];

describe('MESH-DR-002 TLS originated by a proxy verifies the server (EGRESS-1)', () => {
  test.each(GOOD)('passes: %s', (_n, o) => expect(rule.check(o, ctx)).toEqual([]));
  test.each(BAD)('fails: %s', (_n, o, paths) => expect(rule.check(o, ctx).map((v) => v.path)).toEqual(paths));
  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('admission agrees: %s', (_n, o) => {
    expect(admits(rule.admission!, o)).toBe(rule.check(o, ctx).length === 0);
  });
  test('odd shapes do not throw', () => {
    expect(() => rule.check(dr({ trafficPolicy: { tls: 'x', portLevelSettings: [null, { tls: null }] }, subsets: [null] }), ctx)).not.toThrow();
  });

  test('EgressGateway originates TLS with verification; a JSON patch skipping it fails synthesis', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh');
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const details = new SecureService(chart, 'details', {
      namespace: shop, image: `gcr.io/acme/app@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
    });
    new EgressGateway(chart, 'egress').allowExternal(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'books-ca' }), { from: [details] });
    expect(() => synthValidated(chart)).not.toThrow();
    const originate = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'DestinationRule'
      && JSON.stringify(c.toJson()).includes('"mode":"SIMPLE"')) as ApiObject;
    expect(originate).toBeDefined();
    expect(originate.toJson().spec.trafficPolicy.portLevelSettings[0].tls).toMatchObject({ mode: 'SIMPLE', credentialName: 'books-ca' });
    originate.addJsonPatch(JsonPatch.add('/spec/trafficPolicy/portLevelSettings/0/tls/insecureSkipVerify', true));
    expect(() => Testing.synth(chart)).toThrow(/MESH-DR-002 \(EGRESS-1\): .*DestinationRule\/istio-system\/originate-tls-books-example-com spec\.trafficPolicy\.portLevelSettings\[0\]\.tls\.insecureSkipVerify: insecureSkipVerify is true/);
  });
});

/* The DestinationRule Istio's security best practices page recommends for TLS origination passes. */
describeWithShared('external-corpus/istio-docs/security-best-practices/google-tls.yaml', 'the external corpus: Istio\'s recommended TLS origination', (file) => {
  test('passes', () => {
    const object = parseAllDocuments(fs.readFileSync(path.resolve(file), 'utf8')).map((d) => d.toJS()).find((o) => o?.kind) as RuleObject;
    expect(rule.check(object, ctx)).toEqual([]);
    expect(admits(rule.admission!, object)).toBe(true);
  });
});
