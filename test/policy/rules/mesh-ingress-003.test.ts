import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { objectsOfKindUnder } from './mesh-authz-proxy-port-fixtures';
import { libraryApps } from './network-fixtures';
import {
  CLOUD_ARMOR_POLICY_ANNOTATION, EDGE_PROTECTION_ANNOTATION, EDGE_PROTECTION_REASON_ANNOTATION, EdgeProtection,
  EDGE_PROTECTION_UNDECLARED,
} from '../../../src/mesh/edge-protection';
import { GatewayTls } from '../../../src/mesh/gateway-tls';
import { IngressGateway, IngressGatewayProps } from '../../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INGRESS_003 as rule } from '../../../src/policy/rules/mesh-ingress-003';
import { Validation } from '../../../src/validation/validation';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const REASON = 'The gateway sits behind another provider\'s WAF and DDoS scrubbing service.';

const EDGE = 'metadata.annotations["secure-mesh.cdk8s.io/edge-protection"]';
const WHY = 'metadata.annotations["secure-mesh.cdk8s.io/edge-protection-reason"]';
const ARMOR = 'metadata.annotations["secure-mesh.cdk8s.io/cloud-armor-policy"]';

function gateway(annotations?: { [key: string]: unknown }): RuleObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'istio-system', ...(annotations ? { annotations: annotations as any } : {}) },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-tls' } }] },
  };
}

const GOOD: [string, RuleObject][] = [
  ['a hand-written Gateway without the annotation', gateway()],
  ['other annotations only', gateway({ 'team': 'edge', 'secure-mesh.cdk8s.io/cloud-armor-policy': 'x' })],
  ['Cloud Armor through a GKE Ingress', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'gke-ingress-backend-config', [CLOUD_ARMOR_POLICY_ANNOTATION]: 'edge-waf' })],
  ['Cloud Armor through a GKE Gateway', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'gke-gateway-backend-policy', [CLOUD_ARMOR_POLICY_ANNOTATION]: 'edge-waf' })],
  ['none, with its reason', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'none', [EDGE_PROTECTION_REASON_ANNOTATION]: REASON })],
];
const BAD: [string, RuleObject, string][] = [
  ['undeclared (IngressGateway without edgeProtection)', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'undeclared' }), EDGE],
  ['undeclared, even with a policy name beside it', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'undeclared', [CLOUD_ARMOR_POLICY_ANNOTATION]: 'edge-waf' }), EDGE],
  ['an unknown kind', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'cloud-armor' }), EDGE],
  ['a known kind in another case', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'None', [EDGE_PROTECTION_REASON_ANNOTATION]: REASON }), EDGE],
  ['an empty value', gateway({ [EDGE_PROTECTION_ANNOTATION]: '' }), EDGE],
  ['none without a reason', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'none' }), WHY],
  ['none with a blank reason', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'none', [EDGE_PROTECTION_REASON_ANNOTATION]: ' \t' }), WHY],
  ['a GKE Ingress without the Cloud Armor policy name', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'gke-ingress-backend-config' }), ARMOR],
  ['a GKE Gateway with an empty policy name', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'gke-gateway-backend-policy', [CLOUD_ARMOR_POLICY_ANNOTATION]: '' }), ARMOR],
];

function world(props: Partial<IngressGatewayProps> = {}) {
  const chart = new Chart(Testing.app(), 'test');
  new MeshBaseline(chart, 'mesh');
  new IngressGateway(chart, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), httpsRedirect: false, ...props });
  return chart;
}

/** Synthesizes (rules enforced) and validates what the harness knows: the pinned CRDs do not serve the GKE kinds. */
function synthWithGkeKinds(chart: Chart): RuleObject[] {
  const objects = Testing.synth(chart);
  Validation.assertValid(objects.filter((o) => !['BackendConfig', 'GCPBackendPolicy', 'HealthCheckPolicy'].includes(o.kind)));
  return objects;
}

const findings = (objects: RuleObject[]) => objects.flatMap((o) => rule.check(o, ruleContext(objects)).map((v) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name} ${v.path}`));

describe('MESH-INGRESS-003 ingress gateways declare their WAF/DDoS protection at the edge (INGRESS-1)', () => {
  test('metadata: a WARNING of rule set 2, for Istio Gateways; the marker is the one IngressGateway writes', () => {
    expect([rule.severity, rule.since, rule.practices, rule.kinds]).toEqual([RuleSeverity.WARNING, '2', ['INGRESS-1'], ['networking.istio.io/Gateway']]);
    expect([EDGE_PROTECTION_ANNOTATION, EDGE_PROTECTION_UNDECLARED]).toEqual(['secure-mesh.cdk8s.io/edge-protection', 'undeclared']);
  });

  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, path) => {
    expect(rule.check(object, ctx).map((v) => v.path)).toEqual([path]);
  });

  test('the messages say what is missing', () => {
    const message = (annotations: { [key: string]: unknown }) => rule.check(gateway(annotations), ctx).map((v) => v.message);
    expect(message({ [EDGE_PROTECTION_ANNOTATION]: 'undeclared' })).toEqual(['the gateway declares no WAF/DDoS protection at the edge (edgeProtection was not given)']);
    expect(message({ [EDGE_PROTECTION_ANNOTATION]: 'cloud-armor' })).toEqual([
      '"cloud-armor" is not a known edge protection (gke-ingress-backend-config, gke-gateway-backend-policy, none), so none is declared',
    ]);
    expect(message({ [EDGE_PROTECTION_ANNOTATION]: 'none' })).toEqual(['the gateway declares no edge protection (none) without saying why']);
    expect(message({ [EDGE_PROTECTION_ANNOTATION]: 'gke-ingress-backend-config' })).toEqual([
      'the gateway declares gke-ingress-backend-config but names no Cloud Armor security policy',
    ]);
  });

  test('the fix names the three declarations', () => {
    expect(rule.fix).toContain('EdgeProtection.gkeIngressBackendConfig(');
    expect(rule.fix).toContain('EdgeProtection.gkeGatewayBackendPolicy(');
    expect(rule.fix).toContain('EdgeProtection.none(\'reason\')');
  });

  test.each([
    ['annotations a list', { ...gateway(), metadata: { name: 'edge', annotations: ['undeclared'] as any } }],
    ['metadata a string', { ...gateway(), metadata: 'undeclared' as any }],
    ['no metadata', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway' }],
    ['a value of another type', gateway({ [EDGE_PROTECTION_ANNOTATION]: { kind: 'none' } })],
    ['a reason of another type', gateway({ [EDGE_PROTECTION_ANNOTATION]: 'none', [EDGE_PROTECTION_REASON_ANNOTATION]: 42 })],
    ['annotation values null', gateway({ [EDGE_PROTECTION_ANNOTATION]: null, [CLOUD_ARMOR_POLICY_ANNOTATION]: null })],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('wrong-typed values are findings, not silence', () => {
    expect(rule.check(gateway({ [EDGE_PROTECTION_ANNOTATION]: { kind: 'none' } }), ctx).map((v) => v.path)).toEqual([EDGE]);
    expect(rule.check(gateway({ [EDGE_PROTECTION_ANNOTATION]: 'none', [EDGE_PROTECTION_REASON_ANNOTATION]: 42 }), ctx).map((v) => v.path)).toEqual([WHY]);
  });

  test('other kinds are ignored: a Gateway API Gateway, a VirtualService', () => {
    const marked = gateway({ [EDGE_PROTECTION_ANNOTATION]: 'undeclared' });
    expect(rule.check({ ...marked, apiVersion: 'gateway.networking.k8s.io/v1' }, ctx)).toEqual([]);
    expect(rule.check({ ...marked, kind: 'VirtualService' }, ctx)).toEqual([]);
    expect(admits(rule.admission!, { ...marked, apiVersion: 'gateway.networking.k8s.io/v1' })).toBe(true);
    expect(admits(rule.admission!, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBe(true);
  });

  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  describe('what the library synthesizes', () => {
    test('EdgeProtection.none(reason) passes', () => {
      expect(findings(synthValidated(world({ edgeProtection: EdgeProtection.none(REASON) })))).toEqual([]);
    });

    test('Cloud Armor through a GKE Ingress or a GKE Gateway passes', () => {
      expect(findings(synthWithGkeKinds(world({ edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf' }) })))).toEqual([]);
      expect(findings(synthWithGkeKinds(world({ edgeProtection: EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'edge-waf' }) })))).toEqual([]);
    });

    test('an IngressGateway without edgeProtection is reported (by design: the gap stays visible)', () => {
      expect(findings(synthValidated(world()))).toEqual([`Gateway/istio-system/edge ${EDGE}`]);
    });

    const apps = libraryApps();
    test.each(apps.map((a) => [a.name, a] as const))('%s: only the undeclared marker of IngressGateway is reported', (_name, app) => {
      for (const o of app.objects) {
        for (const v of rule.check(o, app.ctx)) {
          expect([o.metadata?.annotations?.[EDGE_PROTECTION_ANNOTATION], v.path]).toEqual([EDGE_PROTECTION_UNDECLARED, EDGE]);
        }
      }
    });

    test('the EgressGateway\'s Gateway carries no annotation and is not reported', () => {
      const egress = apps.flatMap((a) => a.objects).filter((o) => o.kind === 'Gateway' && !o.metadata?.annotations?.[EDGE_PROTECTION_ANNOTATION]);
      expect(egress.length).toBeGreaterThan(0);
      expect(egress.flatMap((o) => rule.check(o, ctx))).toEqual([]);
    });
  });

  describe('in synthesis', () => {
    const warnings = (chart: Chart) => PolicyEnforcement.of(chart).report.findings
      .filter((f) => f.ruleId === 'MESH-INGRESS-003').map((f) => [f.severity, f.object, f.path]);

    test('an IngressGateway without edgeProtection synthesizes, with a warning on its Gateway', () => {
      const chart = world();
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(warnings(chart)).toEqual([['warning', 'Gateway/istio-system/edge', EDGE]]);
    });

    test('with EdgeProtection.none(reason) there is no warning', () => {
      const chart = world({ edgeProtection: EdgeProtection.none(REASON) });
      Testing.synth(chart);
      expect(warnings(chart)).toEqual([]);
    });

    test('a JSON patch removing the reason of none is reported', () => {
      const chart = world({ edgeProtection: EdgeProtection.none(REASON) });
      const gw = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Gateway') as ApiObject;
      gw.addJsonPatch(JsonPatch.remove('/metadata/annotations/secure-mesh.cdk8s.io~1edge-protection-reason'));
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(warnings(chart)).toEqual([['warning', 'Gateway/istio-system/edge', WHY]]);
    });

    test('a hand-written Gateway next to the library\'s is not reported', () => {
      const chart = world({ edgeProtection: EdgeProtection.none(REASON) });
      new ApiObject(chart, 'internal', { ...gateway(), metadata: { name: 'internal', namespace: 'istio-system' } } as any);
      Testing.synth(chart);
      expect(warnings(chart)).toEqual([]);
    });
  });
});

/*
 * The Istio Gateways of other projects (bookinfo, httpbin, Online Boutique) carry no
 * edge-protection annotation: they are not reported, because the rule cannot tell from a Gateway
 * whether it faces the internet or what protects it, and flagging every one would be noise.
 */
describeWithShared('external-corpus', 'the external corpus: hand-written Gateways are not reported', (dir) => {
  const gateways = objectsOfKindUnder(dir, 'Gateway').filter((g) => String(g.object.apiVersion).startsWith('networking.istio.io/'));

  test('the corpus has Istio Gateways, none with the annotation', () => {
    expect(gateways.map((g) => g.file).sort()).toEqual([
      'apps/bookinfo/bookinfo-gateway.yaml', 'apps/boutique/istio-manifests/frontend-gateway.yaml', 'apps/httpbin/httpbin-gateway.yaml',
    ]);
  });

  test.each(gateways.map((g) => [g.file, g.object] as const))('%s passes, at synth, audit and admission alike', (_file, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
    expect(admits(rule.admission!, object)).toBe(true);
  });
});
