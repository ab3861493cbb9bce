import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { GatewayTls } from '../../../src/mesh/gateway-tls';
import { IngressGateway } from '../../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyException } from '../../../src/policy/policy-exception';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INGRESS_002 as rule } from '../../../src/policy/rules/mesh-ingress-002';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { inDays, synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function vs(hosts: unknown, gateways?: unknown): RuleObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'route', namespace: 'shop' },
    spec: { hosts, ...(gateways === undefined ? {} : { gateways }), http: [{ route: [{ destination: { host: 'web' } }] }] },
  };
}

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['named host on a gateway', vs(['shop.example.com'], ['istio-system/edge'])],
  ['wildcard for sidecars only (no gateways)', vs(['*'])],
  ['wildcard for sidecars only (mesh)', vs(['*.shop.svc.cluster.local'], ['mesh'])],
  ['several named hosts, gateway and mesh', vs(['shop.example.com', 'web'], ['edge', 'mesh'])],
];
const BAD: [string, RuleObject, string[]][] = [
  ['* on a gateway', vs(['*'], ['istio-system/edge']), ['spec.hosts[0]']],
  ['wildcard domain on a gateway (Kyverno\'s badvs)', vs(['*.com'], ['bookinfo-gateway']), ['spec.hosts[0]']],
  ['wildcard among named hosts, gateway and mesh', vs(['shop.example.com', '*.example.com'], ['mesh', 'edge']), ['spec.hosts[1]']],
];

describe('MESH-INGRESS-002 VirtualServices bound to a gateway name their hosts (INGRESS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, paths) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('the message names the host and the gateway', () => {
    expect(rule.check(vs(['*'], ['mesh', 'istio-system/edge']), ctx)).toEqual([{
      path: 'spec.hosts[0]', message: 'host "*" is a wildcard on a VirtualService bound to gateway istio-system/edge: it routes any matching name',
    }]);
  });

  test.each([
    ['hosts a string', vs('*', ['edge'])],
    ['gateways a string', vs(['*'], 'edge')],
    ['items of other types', vs([1, null], [null, 2])],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object, ctx)).not.toThrow();
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...vs(['*'], ['edge']), kind: 'DestinationRule' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('synthesis', () => {
    function edge() {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const web = new SecureService(chart, 'web', {
        namespace: ns, image: `gcr.io/acme/web@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
      });
      const gw = new IngressGateway(chart, 'edge', { hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-tls') });
      const exception = new PolicyException(gw, 'public', {
        rules: ['MESH-AUTHZ-004'], justification: 'The shop front page is public by design and carries no customer data.', owner: 'team-shop@example.com', expires: inDays(gw, 60), objects: ['AuthorizationPolicy/istio-system/edge'],
      });
      gw.route(web, { host: 'shop.example.com', paths: ['/'], methods: ['GET'], publicAccess: exception });
      return chart;
    }

    test('IngressGateway.route writes a VirtualService per named host, and synthesizes', () => {
      const routes = synthValidated(edge()).filter((o) => o.kind === 'VirtualService');
      expect(routes.map((o) => o.spec.hosts)).toEqual([['shop.example.com']]);
    });

    test('a JSON patch widening the route\'s hosts fails', () => {
      const chart = edge();
      const route = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'VirtualService') as ApiObject;
      route.addJsonPatch(JsonPatch.replace('/spec/hosts/0', '*'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-INGRESS-002 \(INGRESS-1\): \[.*\] VirtualService\/istio-system\/.* spec\.hosts\[0\]: host "\*" is a wildcard/);
    });

    test('a raw VirtualService bound to the gateway fails', () => {
      const chart = edge();
      new ApiObject(chart, 'catch-all', vs(['*'], ['istio-system/edge']) as any);
      expect(() => Testing.synth(chart)).toThrow(/MESH-INGRESS-002 \(INGRESS-1\): \[test\/catch-all\] VirtualService\/shop\/route spec\.hosts\[0\]/);
    });
  });
});

/* Kyverno's restrict-virtual-service-wildcard: its authors' good and bad resources, read as they ship. */
describeWithShared('external-corpus/kyverno/istio/restrict-virtual-service-wildcard', 'the external corpus agrees (Kyverno restrict-virtual-service-wildcard)', (dir) => {
  const load = (file: string) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS())[0];

  test('badvs (a *.com host on bookinfo-gateway) is reported, at synth, audit and admission alike', () => {
    const bad = load('resources--badvs.yaml');
    expect(rule.check(bad, ctx).map((v) => v.path)).toEqual(['spec.hosts[0]']);
    expect(admits(rule.admission!, bad)).toBe(false);
  });

  test('goodvs (foo.com) passes', () => {
    const good = load('resources--goodvs.yaml');
    expect(rule.check(good, ctx)).toEqual([]);
    expect(admits(rule.admission!, good)).toBe(true);
  });
});
