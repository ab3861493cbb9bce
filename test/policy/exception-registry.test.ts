import { ApiObject, Chart, Testing } from 'cdk8s';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { CLOCK_OVERRIDE_ANNOTATION, ExceptionRegistry } from '../../src/policy/exception-registry';
import { recordsFromYaml } from '../../src/policy/exception-registry-format';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const REASON = 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.';

function world(today = '2027-01-15') {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, today);
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const billing = new HardenedNamespace(chart, 'billing', { name: 'billing' });
  const cart = new SecureService(chart, 'cart', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  return { app, chart, shop, billing, cart };
}

const registries = (objects: any[]) => Object.fromEntries(ofKind(objects, 'ConfigMap').filter((c) => c.metadata.name === 'secure-mesh-exceptions').map((c) => [c.metadata.namespace, c]));

describe('ExceptionRegistry', () => {
  test('one registry per namespace: MeshBaseline writes the control plane\'s, HardenedNamespace its own; labelled, empty without exceptions', () => {
    const { chart } = world();
    const regs = registries(synthValidated(chart));
    expect(Object.keys(regs).sort()).toEqual(['billing', 'istio-system', 'shop']);
    for (const r of Object.values(regs) as any[]) {
      expect(r.metadata.labels).toEqual({ 'secure-mesh.cdk8s.io/registry': 'exceptions' });
      expect(r.data).toBeUndefined();
    }
  });

  test('an exception is recorded only in the registry of the namespace it covers, with its record', () => {
    const { chart, cart } = world();
    const ex = new PolicyException(cart, 'scraper', {
      rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'],
      justification: REASON,
      owner: 'team-observability',
      expires: '2027-03-31',
      objects: ['PeerAuthentication/shop/cart-plaintext-8080', 'AuthorizationPolicy/shop/cart-plaintext-8080'],
      ports: [8080],
    });
    cart.allowPlaintextPort(8080, { exception: ex });
    const regs = registries(synthValidated(chart));
    expect(regs.billing.data).toBeUndefined();
    expect(regs['istio-system'].data).toBeUndefined();
    expect(Object.keys(regs.shop.data)).toEqual(['AuthorizationPolicy.cart-plaintext-8080', 'PeerAuthentication.cart-plaintext-8080', 'exceptions.yaml']);
    const { records } = recordsFromYaml(regs.shop.data['exceptions.yaml']);
    expect(records).toEqual([{
      id: 'test/cart/scraper',
      rules: ['MESH-AUTHZ-004', 'MESH-MTLS-002'],
      owner: 'team-observability',
      justification: REASON,
      expires: '2027-03-31',
      objects: ['AuthorizationPolicy/shop/cart-plaintext-8080', 'PeerAuthentication/shop/cart-plaintext-8080'],
      ports: [8080],
    }]);
  });

  test('a mesh-wide exception is recorded in each namespace\'s registry with only that namespace\'s objects; cluster-scoped objects go to the control plane\'s', () => {
    const { chart } = world();
    const lenient = (ns: string) => new ApiObject(chart, `lenient-${ns}`, {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'legacy', namespace: ns },
      spec: { selector: { matchLabels: { app: 'legacy' } }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } } },
    });
    lenient('shop');
    lenient('billing');
    new ApiObject(chart, 'crb', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'team-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', name: 'team', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    new PolicyException(chart, 'vendor', {
      rules: ['MESH-MTLS-002', 'RBAC-CRB-001'],
      justification: REASON,
      owner: 'platform',
      expires: '2027-02-28',
      ports: [9090],
      objects: ['PeerAuthentication/shop/legacy', 'PeerAuthentication/billing/legacy', 'ClusterRoleBinding/team-view'],
      meshWideReason: 'The same vendor scraper runs in both namespaces and is replaced in one change next quarter.',
    });
    const regs = registries(synthValidated(chart));
    expect(regs.shop.data['PeerAuthentication.legacy']).toBe('MESH-MTLS-002@2027-02-28');
    expect(regs.billing.data['PeerAuthentication.legacy']).toBe('MESH-MTLS-002@2027-02-28');
    expect(regs['istio-system'].data['ClusterRoleBinding.team-view']).toBe('RBAC-CRB-001@2027-02-28');
    expect(recordsFromYaml(regs.shop.data['exceptions.yaml']).records[0].objects).toEqual(['PeerAuthentication/shop/legacy']);
    expect(recordsFromYaml(regs['istio-system'].data['exceptions.yaml']).records[0]).toMatchObject({ objects: ['ClusterRoleBinding/team-view'], meshWideReason: expect.stringMatching(/^The same vendor/) });
  });

  test('a moved clock is written on every registry; the real clock writes nothing', () => {
    const { chart } = world();
    for (const r of Object.values(registries(synthValidated(chart))) as any[]) {
      expect(r.metadata.annotations).toEqual({ [CLOCK_OVERRIDE_ANNOTATION]: '2027-01-15 (context cdk8s-secure-mesh:today)' });
    }
    const real = new Chart(Testing.app(), 'real');
    new MeshBaseline(real, 'mesh');
    expect(findObject(synthValidated(real), 'ConfigMap', 'secure-mesh-exceptions', 'istio-system').metadata.annotations).toBeUndefined();
  });

  test('a second root namespace registry when the root is not the control plane', () => {
    const chart = new Chart(Testing.app(), 'split');
    new MeshBaseline(chart, 'mesh', { rootNamespace: 'mesh-root', controlPlaneNamespace: 'istio-cp' });
    expect(Object.keys(registries(synthValidated(chart))).sort()).toEqual(['istio-cp', 'mesh-root']);
  });

  test.each(['Shop', '', 'a_b'])('namespace %j is refused', (namespace) => {
    expect(() => new ExceptionRegistry(Testing.chart(), 'r', { namespace })).toThrow(/namespace/);
  });

  test('ExceptionRegistry.NAME is the ConfigMap name the guardrails read', () => {
    expect(ExceptionRegistry.NAME).toBe('secure-mesh-exceptions');
  });
});
