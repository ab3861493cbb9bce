import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { IMAGE, admitsIn, findingsOver } from './ambient-fixtures';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { DataPlane } from '../../../src/mesh/data-plane';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { PolicyEnforcement } from '../../../src/policy/policy-enforcement';
import { PolicyRule } from '../../../src/policy/rule';
import { isAmbientNamespace } from '../../../src/policy/rules/ambient-namespaces';
import { MESH_AMBIENT_001 } from '../../../src/policy/rules/mesh-ambient-001';
import { MESH_AMBIENT_002 } from '../../../src/policy/rules/mesh-ambient-002';
import { MESH_AMBIENT_003 } from '../../../src/policy/rules/mesh-ambient-003';
import { MESH_AMBIENT_004 } from '../../../src/policy/rules/mesh-ambient-004';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

const RULES: PolicyRule[] = [MESH_AMBIENT_001, MESH_AMBIENT_002, MESH_AMBIENT_003, MESH_AMBIENT_004];

/**
 * An ambient namespace as the library renders it: `web` calls `api` on a path (an L7 grant: the
 * waypoint), `api` requires a JWT (the waypoint validates it), and `worker` takes an L4 grant
 * from `web` (ztunnel only).
 */
function ambientShop(): { chart: Chart; shop: HardenedNamespace; api: SecureService } {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', { ambient: true });
  const shop = new HardenedNamespace(chart, 'ns', { name: 'shop', dataPlane: DataPlane.AMBIENT });
  const svc = (id: string, port: number) => new SecureService(chart, id, { namespace: shop, image: IMAGE, ports: [{ name: 'http', port, protocol: AppProtocol.HTTP }] });
  const web = svc('web', 8080);
  const api = svc('api', 9080);
  const worker = svc('worker', 7070);
  api.allowFrom(web, { paths: ['/orders', '/orders/*'], methods: ['GET'] });
  api.requireJwt({ issuer: 'https://sts.example.com', jwksUri: 'https://sts.example.com/jwks', audiences: ['api'] });
  worker.allowFrom(web, { ports: [7070] });
  return { chart, shop, api };
}

describe('the library\'s ambient output', () => {
  test('the namespace is ambient, its L7 policy and JWT attach with targetRefs, and no ambient rule reports anything', () => {
    const objects = synthValidated(ambientShop().chart);
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === 'shop');
    expect(isAmbientNamespace(ns?.metadata?.labels)).toBe(true);
    const attached = objects.filter((o) => ['AuthorizationPolicy', 'RequestAuthentication'].includes(o.kind) && o.spec?.targetRefs).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(attached).toEqual(expect.arrayContaining(['AuthorizationPolicy/api-waypoint', 'RequestAuthentication/api-jwt']));
    expect(objects.filter((o) => o.kind === 'Sidecar' && o.metadata?.namespace === 'shop')).toEqual([]);
    for (const rule of RULES) expect([rule.id, findingsOver(rule, objects)]).toEqual([rule.id, []]);
  });

  test('the example blueprint on the ambient data plane (examples/blueprint-ambient): no finding, nothing refused at admission', () => {
    const objects = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint', { dataPlane: DataPlane.AMBIENT }));
    expect(objects.filter((o) => o.kind === 'Namespace' && isAmbientNamespace(o.metadata?.labels)).map((o) => o.metadata.name)).toEqual(['bookinfo', 'probes', 'istio-egress']);
    for (const rule of RULES) {
      expect([rule.id, findingsOver(rule, objects)]).toEqual([rule.id, []]);
      const ns = (o: any) => objects.find((n) => n.kind === 'Namespace' && n.metadata?.name === o.metadata?.namespace);
      expect([rule.id, objects.filter((o) => !admitsIn(rule, o, ns(o))).map((o) => `${o.kind}/${o.metadata?.name}`)]).toEqual([rule.id, []]);
    }
  });

  describe('in synthesis', () => {
    test('a raw selector AuthorizationPolicy with paths next to the library\'s fails synthesis', () => {
      const { chart } = ambientShop();
      new ApiObject(chart, 'admin', {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'admin', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'api' } }, action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] },
      });
      expect(() => Testing.synth(chart)).toThrow(
        /MESH-AMBIENT-001 \(AUTHZ-1, AUTHZ-3\): \[test\/admin\] AuthorizationPolicy\/shop\/admin spec\.rules\[0\]\.to\[0\]\.operation\.paths: DENY policy/);
    });

    test('a JSON patch dropping the targetRefs of the library\'s RequestAuthentication fails synthesis', () => {
      const { chart, api } = ambientShop();
      const ra = api.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'RequestAuthentication') as ApiObject;
      ra.addJsonPatch(JsonPatch.remove('/spec/targetRefs'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-AMBIENT-002 \(JWT-1\): \[test\/api\/[^\]]*\] RequestAuthentication\/shop\/api-jwt: RequestAuthentication in ambient namespace shop is namespace-wide/);
    });

    test('a raw Sidecar in the ambient namespace synthesizes, with a warning', () => {
      const { chart } = ambientShop();
      new ApiObject(chart, 'sidecar', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'Sidecar',
        metadata: { name: 'default', namespace: 'shop' },
        spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
      });
      expect(() => Testing.synth(chart)).not.toThrow();
      expect(PolicyEnforcement.of(chart).report.findings.filter((f) => f.ruleId === 'MESH-AMBIENT-003').map((f) => [f.severity, f.object, f.path]))
        .toEqual([['warning', 'Sidecar/shop/default', '']]);
    });

    test('a JSON patch opting a library workload out of ambient fails synthesis', () => {
      const { chart, api } = ambientShop();
      const deployment = api.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Deployment') as ApiObject;
      deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/labels/istio.io~1dataplane-mode', 'none'));
      expect(() => Testing.synth(chart)).toThrow(/MESH-AMBIENT-004 \(MTLS-1, EXC-1\): \[test\/api\/[^\]]*\] Deployment\/shop\/api spec\.template\.metadata\.labels\["istio\.io\/dataplane-mode"\]/);
    });
  });
});
