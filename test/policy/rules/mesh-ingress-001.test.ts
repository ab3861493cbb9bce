import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { GatewayTls } from '../../../src/mesh/gateway-tls';
import { IngressGateway } from '../../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyException } from '../../../src/policy/policy-exception';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INGRESS_001 as rule, isWildcardHost } from '../../../src/policy/rules/mesh-ingress-001';
import { inDays, synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function gateway(servers: object[]): RuleObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' }, servers } };
}
const https = (over: object = {}, tls: object = {}) => ({
  port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert', ...tls }, ...over,
});
const http = (tls?: object, hosts = ['shop.example.com']) => ({ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts, ...(tls ? { tls } : {}) });

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['HTTPS, TLS 1.2 by default, and a redirect-only port 80', gateway([https(), http({ httpsRedirect: true })])],
  ['TLS 1.3 minimum, mutual TLS', gateway([https({}, { mode: 'MUTUAL', minProtocolVersion: 'TLSV1_3' })])],
  ['TLS passthrough for a named SNI host', gateway([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['db.example.com'], tls: { mode: 'PASSTHROUGH' } }])],
  ['egress gateway: ISTIO_MUTUAL from the sidecars, named external host', gateway([{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['www.googleapis.com'], tls: { mode: 'ISTIO_MUTUAL' } }])],
  ['namespace-qualified named host', gateway([https({ hosts: ['shop/shop.example.com', './api.example.com'] })])],
  ['lower-case protocol, redirect', gateway([{ ...http({ httpsRedirect: true }), port: { number: 80, name: 'http', protocol: 'http' } }])],
  ['no servers', { ...gateway([]), spec: {} }],
];
const BAD: [string, RuleObject, string[]][] = [
  ['plain HTTP (Istio\'s Bookinfo gateway)', gateway([http(undefined, ['shop.example.com'])]), ['spec.servers[0].port.protocol']],
  ['HTTP with tls but no redirect', gateway([http({ httpsRedirect: false })]), ['spec.servers[0].port.protocol']],
  ['plaintext TCP', gateway([{ port: { number: 5432, name: 'tcp', protocol: 'TCP' }, hosts: ['db.example.com'] }]), ['spec.servers[0].port.protocol']],
  ['plaintext gRPC and HTTP2', gateway([{ port: { number: 8080, name: 'g', protocol: 'grpc' }, hosts: ['a.example.com'] }, { port: { number: 8081, name: 'h2', protocol: 'HTTP2' }, hosts: ['a.example.com'] }]),
    ['spec.servers[0].port.protocol', 'spec.servers[1].port.protocol']],
  ['TLS 1.0 minimum', gateway([https({}, { minProtocolVersion: 'TLSV1_0' })]), ['spec.servers[0].tls.minProtocolVersion']],
  ['TLS 1.1 maximum', gateway([https({}, { maxProtocolVersion: 'TLSV1_1' })]), ['spec.servers[0].tls.maxProtocolVersion']],
  ['* host', gateway([https({ hosts: ['*'] })]), ['spec.servers[0].hosts[0]']],
  ['wildcard subdomain, namespace-qualified wildcard', gateway([https({ hosts: ['a.example.com', '*.example.com', 'shop/*'] })]), ['spec.servers[0].hosts[1]', 'spec.servers[0].hosts[2]']],
  ['the redirect on a * host still accepts any name', gateway([https(), http({ httpsRedirect: true }, ['*'])]), ['spec.servers[1].hosts[0]']],
];

describe('MESH-INGRESS-001 Gateway servers serve TLS 1.2+ for named hosts; plaintext only redirects (INGRESS-1)', () => {
  test('wildcard hosts', () => {
    for (const h of ['*', '*.example.com', './*', 'shop/*', '*/*.example.com']) expect(isWildcardHost(h)).toBe(true);
    for (const h of ['shop.example.com', 'shop/a.example.com', './a.example.com']) expect(isWildcardHost(h)).toBe(false);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('messages and ports', () => {
    expect(rule.check(gateway([http()]), ctx)).toEqual([{
      path: 'spec.servers[0].port.protocol', port: 80, message: 'server 80 listens with HTTP (plaintext) and does not only redirect to HTTPS (tls.httpsRedirect is not true)',
    }]);
    expect(rule.check(gateway([https({ hosts: ['*'] }, { minProtocolVersion: 'TLSV1_1' })]), ctx)).toEqual([
      { path: 'spec.servers[0].tls.minProtocolVersion', port: 443, message: 'tls.minProtocolVersion is TLSV1_1: TLS below 1.2 can be negotiated' },
      { path: 'spec.servers[0].hosts[0]', port: 443, message: 'host "*" is a wildcard: the server accepts any matching name' },
    ]);
  });

  test.each([
    ['servers not a list', { ...gateway([]), spec: { servers: 'x' } }],
    ['odd servers', gateway([null as any, 'x', { port: null, hosts: 'a', tls: 'x' }, { port: { protocol: 7 }, hosts: [1, null] }])],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...gateway([http()]), kind: 'VirtualService' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('every route to a plaintext or wildcard listener fails synthesis', () => {
    function edge() {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const httpsRedirectException = new PolicyException(chart, 'redirect', {
        rules: ['MESH-AUTHZ-004'],
        justification: 'Port 80 only answers with a redirect to HTTPS; it routes nothing, so anonymous clients reach no backend.',
        owner: 'team-edge@acme.example',
        expires: inDays(chart, 30),
        objects: ['AuthorizationPolicy/istio-system/edge-https-redirect'],
      });
      new IngressGateway(chart, 'edge', { hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-tls'), httpsRedirectException });
      return chart;
    }

    test('IngressGateway writes HTTPS and a redirect-only port 80, and synthesizes', () => {
      expect(() => synthValidated(edge())).not.toThrow();
    });

    test('a JSON patch removing the redirect', () => {
      const chart = edge();
      const gw = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Gateway') as ApiObject;
      gw.addJsonPatch(JsonPatch.remove('/spec/servers/1/tls'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-INGRESS-001 \(INGRESS-1\): \[test\/edge\/Gateway\] Gateway\/istio-system\/edge spec\.servers\[1\]\.port\.protocol: server 80 listens with HTTP/);
    });

    test('a JSON patch widening the hosts', () => {
      const chart = edge();
      const gw = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Gateway') as ApiObject;
      gw.addJsonPatch(JsonPatch.replace('/spec/servers/0/hosts', ['*']));
      expect(() => Testing.synth(chart)).toThrow(/MESH-INGRESS-001 \(INGRESS-1\): .*spec\.servers\[0\]\.hosts\[0\]: host "\*" is a wildcard/);
    });

    test('a raw Gateway next to the library\'s', () => {
      const chart = edge();
      new ApiObject(chart, 'raw', gateway([http(undefined, ['*'])]) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-INGRESS-001 \(INGRESS-1\): \[test\/raw\] Gateway\/istio-system\/edge spec\.servers\[0\]\.port\.protocol/);
    });
  });
});

/*
 * Real applications as their authors ship them: Istio's samples expose plaintext HTTP on `*` hosts
 * (a quick start, not a hardened edge). INGRESS-1 is stricter on purpose: TLS at the gateway and
 * named hosts, so the audit reports them.
 */
describeWithShared('external-corpus/apps', 'the external corpus: sample gateways are reported (INGRESS-1 is stricter than a quick start)', (dir) => {
  const gatewaysIn = (file: string) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind === 'Gateway');

  test.each([
    ['bookinfo/bookinfo-gateway.yaml', ['spec.servers[0].port.protocol', 'spec.servers[0].hosts[0]']],
    ['httpbin/httpbin-gateway.yaml', ['spec.servers[0].port.protocol', 'spec.servers[0].hosts[0]']],
  ])('%s: plaintext HTTP on a * host', (file, paths) => {
    const [gw] = gatewaysIn(file);
    expect(rule.check(gw, ctx).map((v) => v.path)).toEqual(paths);
    expect(admits(rule.admission!, gw)).toBe(false);
  });
});
