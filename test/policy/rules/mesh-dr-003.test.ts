import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { libraryApps } from './network-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_DR_003 as rule } from '../../../src/policy/rules/mesh-dr-003';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared, sharedPath } from '../../shared';

function dr(spec: object, kind = 'DestinationRule'): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind, metadata: { name: 'originate', namespace: 'istio-system' }, spec: { host: 'api.example.com', ...spec } };
}
const top = (tls: object) => dr({ trafficPolicy: { tls } });
const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['SIMPLE, sni and subjectAltNames with a CA Secret (what EgressGateway writes)',
    dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'SIMPLE', credentialName: 'api-ca', sni: 'api.example.com', subjectAltNames: ['api.example.com'] } }] } })],
  ['SIMPLE without sni or subjectAltNames (auto SNI and auto SAN validation)', top({ mode: 'SIMPLE' })],
  ['SIMPLE with caCertificates and no sni (Istio\'s best-practice example)', top({ mode: 'SIMPLE', caCertificates: '/etc/ssl/certs/ca-certificates.crt' })],
  ['SIMPLE with subjectAltNames and no sni', top({ mode: 'SIMPLE', subjectAltNames: ['api.example.com'] })],
  ['MUTUAL with sni and subjectAltNames', top({ mode: 'MUTUAL', credentialName: 'client-cert', sni: 'api.example.com', subjectAltNames: ['api.example.com'] })],
  ['empty sni (auto SNI)', top({ mode: 'SIMPLE', sni: '' })],
  ['ISTIO_MUTUAL with sni (mesh mTLS: the peer identity is verified)', top({ mode: 'ISTIO_MUTUAL', sni: 'api.example.com' })],
  ['DISABLE', top({ mode: 'DISABLE', sni: 'api.example.com' })],
  ['no mode (DISABLE)', top({ sni: 'api.example.com' })],
  ['insecureSkipVerify true (MESH-DR-002 reports it)', top({ mode: 'SIMPLE', sni: 'api.example.com', insecureSkipVerify: true })],
  ['no TLS settings', dr({})],
];
const BAD: [string, RuleObject, string[], (number | undefined)[]][] = [
  ['SIMPLE with sni, system roots', top({ mode: 'SIMPLE', sni: 'api.example.com' }), ['spec.trafficPolicy.tls.subjectAltNames'], [undefined]],
  ['SIMPLE with sni and an empty subjectAltNames list', top({ mode: 'SIMPLE', sni: 'api.example.com', subjectAltNames: [] }), ['spec.trafficPolicy.tls.subjectAltNames'], [undefined]],
  ['SIMPLE with sni and a CA Secret', dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 80 } }, { port: { number: 443 }, tls: { mode: 'SIMPLE', credentialName: 'api-ca', sni: 'api.example.com' } }] } }),
    ['spec.trafficPolicy.portLevelSettings[1].tls.subjectAltNames'], [443]],
  ['MUTUAL with sni in a subset', dr({ subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'client', sni: 'api.example.com' } } }] }),
    ['spec.subsets[0].trafficPolicy.tls.subjectAltNames'], [undefined]],
  ['insecureSkipVerify false does not help', top({ mode: 'SIMPLE', sni: 'api.example.com', insecureSkipVerify: false }), ['spec.trafficPolicy.tls.subjectAltNames'], [undefined]],
  ['several blocks', dr({
    trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'a.example.com' }, portLevelSettings: [{ port: { number: 8443 }, tls: { mode: 'SIMPLE', sni: 'b.example.com' } }] },
    subsets: [{ name: 'ok', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'c.example.com', subjectAltNames: ['c.example.com'] } } }, { name: 'bad', trafficPolicy: { tls: { mode: 'MUTUAL', sni: 'd.example.com' } } }],
  }), ['spec.trafficPolicy.tls.subjectAltNames', 'spec.trafficPolicy.portLevelSettings[0].tls.subjectAltNames', 'spec.subsets[1].trafficPolicy.tls.subjectAltNames'],
  [undefined, 8443, undefined]],
];

function egressChart() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const details = new SecureService(chart, 'details', {
    namespace: shop, image: `gcr.io/acme/app@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
  });
  const egress = new EgressGateway(chart, 'egress');
  egress.allowExternal(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'books-ca' }), { from: [details] });
  egress.allowExternal(ExternalHost.httpsOriginated('maps.example.com', { caCredentialName: 'maps-ca', subjectAltNames: ['*.maps.example.com'], port: 8443, appPort: 8080 }), { from: [details] });
  egress.allowExternal(ExternalHost.https('api.example.com'), { from: [details] });
  return chart;
}

describe('MESH-DR-003 TLS originated by a proxy checks the server name (EGRESS-1)', () => {
  test('metadata', () => {
    expect(rule.id).toBe('MESH-DR-003');
    expect(rule.practices).toEqual(['EGRESS-1']);
    expect(rule.severity).toBe(RuleSeverity.ERROR);
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['networking.istio.io/DestinationRule']);
  });

  test.each(GOOD)('passes: %s', (_n, o) => expect(rule.check(o, ctx)).toEqual([]));

  test.each(BAD)('fails: %s', (_n, o, paths, ports) => {
    const found = rule.check(o, ctx);
    expect(found.map((v) => v.path)).toEqual(paths);
    expect(found.map((v) => v.port)).toEqual(ports);
  });

  test('the message names the sni and what the chain is checked against', () => {
    expect(rule.check(top({ mode: 'SIMPLE', sni: 'api.example.com' }), ctx)[0].message).toBe(
      'tls mode SIMPLE sets sni "api.example.com" without subjectAltNames: the proxy checks the certificate chain against the proxy\'s system roots '
      + 'but not the server name, so a certificate issued for any other name is accepted');
    expect(rule.check(top({ mode: 'MUTUAL', sni: 'api.example.com', credentialName: 'api-ca' }), ctx)[0].message).toContain('against the CA of Secret "api-ca"');
    expect(rule.check(top({ mode: 'SIMPLE', sni: 'api.example.com', caCertificates: '/etc/ca.pem' }), ctx)[0].message).toContain('against the CA file /etc/ca.pem');
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_n, o) => {
    expect(admits(rule.admission!, o)).toBe(rule.check(o, ctx).length === 0);
  });

  test.each([
    ['tls a string', dr({ trafficPolicy: { tls: 'SIMPLE' } })],
    ['null entries', dr({ trafficPolicy: { portLevelSettings: [null, { tls: null }, 'x'] }, subsets: [null, { trafficPolicy: null }] })],
    ['mode and sni of other types', top({ mode: 1, sni: ['a'], subjectAltNames: 'api.example.com' })],
    ['spec null', { ...dr({}), spec: null }],
  ])('odd shape does not throw: %s', (_n, o) => {
    expect(() => rule.check(o as RuleObject, ctx)).not.toThrow();
  });

  test('other kinds are ignored, also by the admission expression', () => {
    const other = top({ mode: 'SIMPLE', sni: 'api.example.com' });
    const gateway = { ...other, kind: 'Gateway' };
    expect(rule.check(gateway, ctx)).toEqual([]);
    expect(admits(rule.admission!, gateway)).toBe(true);
    expect(rule.check({ ...other, apiVersion: 'example.com/v1' }, ctx)).toEqual([]);
  });

  test('EgressGateway\'s TLS origination sets sni with subjectAltNames, and what the library writes passes', () => {
    const objects = synthValidated(egressChart());
    const originated = objects.filter((o) => o.kind === 'DestinationRule' && o.metadata.name.startsWith('originate-tls'));
    expect(originated.map((o) => o.spec.trafficPolicy.portLevelSettings[0].tls)).toEqual([
      { mode: 'SIMPLE', credentialName: 'books-ca', sni: 'books.example.com', subjectAltNames: ['books.example.com'] },
      { mode: 'SIMPLE', credentialName: 'maps-ca', sni: 'maps.example.com', subjectAltNames: ['*.maps.example.com'] },
    ]);
    const context = ruleContext(objects);
    expect(objects.flatMap((o) => rule.check(o, context))).toEqual([]);
    for (const app of libraryApps()) expect(app.objects.flatMap((o) => rule.check(o, app.ctx))).toEqual([]);
  });

  describe('in synthesis', () => {
    test('a JSON patch removing the subjectAltNames of EgressGateway\'s origination fails', () => {
      const chart = egressChart();
      const originate = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'DestinationRule'
        && c.metadata.name === 'originate-tls-books-example-com') as ApiObject;
      originate.addJsonPatch(JsonPatch.remove('/spec/trafficPolicy/portLevelSettings/0/tls/subjectAltNames'));
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-DR-003 \(EGRESS-1\): \[.*\] DestinationRule\/istio-system\/originate-tls-books-example-com spec\.trafficPolicy\.portLevelSettings\[0\]\.tls\.subjectAltNames: tls mode SIMPLE sets sni "books\.example\.com" without subjectAltNames/);
    });

    test('a raw DestinationRule with sni and no subjectAltNames fails', () => {
      const chart = egressChart();
      new ApiObject(chart, 'raw-origination', top({ mode: 'SIMPLE', sni: 'api.example.com' }) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-DR-003 \(EGRESS-1\): \[test\/raw-origination\] DestinationRule\/istio-system\/originate spec\.trafficPolicy\.tls\.subjectAltNames/);
    });
  });
});

/*
 * Agreement with the external corpus where it labels TLS origination:
 * - Istio's security best practices page recommends SIMPLE with caCertificates and no sni: passes
 *   (the name is checked by auto SAN validation);
 * - Kyverno's enforce-tls-hosts-host-subnets calls SIMPLE, MUTUAL and ISTIO_MUTUAL without sni good:
 *   they pass (its bad ones disable TLS, MESH-DR-001's concern, and set no sni: not reported here);
 * - the ASM bundle's traffic-policy samples and Bookinfo's sidecar origination set no sni: pass.
 */
describeWithShared('external-corpus', 'the external corpus: DestinationRules that originate TLS', (corpus) => {
  function load(relative: string): RuleObject[] {
    const file = path.join(corpus, relative);
    return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'DestinationRule');
  }
  test.each([
    'istio-docs/security-best-practices/google-tls.yaml',
    'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr01.yaml',
    'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr02.yaml',
    'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr03.yaml',
    'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr04.yaml',
    'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr05.yaml',
    'asm/traffic-policy/example--dr-subset-tls-disable.yaml',
    'apps/bookinfo/egress-rule-google-apis.yaml',
  ])('passes, with admission agreeing: %s', (relative) => {
    expect(sharedPath(path.join('external-corpus', relative))).toBeDefined();
    const objects = load(relative);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(rule.check(o, ctx)).toEqual([]);
      expect(admits(rule.admission!, o)).toBe(true);
    }
  });
});
