import { Chart, Testing } from 'cdk8s';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { DataPlane } from '../../../src/mesh/data-plane';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits, admitsExpression } from '../../../src/policy/admission-cel';
import { AdmissionGuardrails } from '../../../src/policy/admission-guardrails';
import { invariantPolicies } from '../../../src/policy/admission-invariants';
import { AdmissionSimulator, ClusterState } from '../../../src/policy/admission-simulator';
import { CLOCK_CONTEXT_KEY } from '../../../src/policy/policy-exception';
import { RuleObject, kindKeyOf } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INJ_001 } from '../../../src/policy/rules/mesh-inj-001';
import { NET_AMBIENT_001 } from '../../../src/policy/rules/network-ambient-probes';
import { NET_DENY_001, defaultDenyAdmission } from '../../../src/policy/rules/network-default-deny';
import { NET_L4_001 } from '../../../src/policy/rules/network-l4-counterpart';
import { MeshRoleSets } from '../../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

/**
 * The ambient output of the library (HardenedNamespace with `dataPlane: DataPlane.AMBIENT`,
 * SecureServices granted at L4, at L7 through the waypoint, and with a JWT requirement) passes the
 * rules that pair L7 and L4 and scope the guardrails (NET-L4-001, NET-AMBIENT-001, NET-DENY-001,
 * MESH-INJ-001, the admission scope and MESH-INJ-002's invariant), and the broken variants of that
 * output are findings.
 */

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const JWT = { issuer: 'https://auth.acme.example', jwksUri: 'https://auth.acme.example/.well-known/jwks.json', audiences: ['orders'] };

/** An ambient `shop` (web calls cart at L4, orders at L7 with a JWT), an ambient `front` caller, and a sidecar `ledger` namespace on both sides of ambient. */
function ambientApp(guardrails = false): Chart {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, '2030-01-15');
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh', { ambient: true });
  if (guardrails) {
    new MeshRoleSets(chart, 'roles', { meshAdmins: [RbacSubject.group('mesh-admins')] });
    new AdmissionGuardrails(chart, 'guardrails');
  }
  const shop = new HardenedNamespace(chart, 'ns', { name: 'shop', dataPlane: DataPlane.AMBIENT });
  const front = new HardenedNamespace(chart, 'front', { name: 'front', dataPlane: DataPlane.AMBIENT });
  const ledger = new HardenedNamespace(chart, 'ledger', { name: 'ledger' });
  const svc = (id: string, ns: HardenedNamespace) => new SecureService(chart, id, {
    namespace: ns, image: IMAGE, ports: HTTP, readinessProbe: { port: 9080, path: '/ready' }, livenessProbe: { port: 9080, path: '/live' },
  });
  const web = svc('web', front);
  const cart = svc('cart', shop);
  const orders = svc('orders', shop);
  const payments = svc('payments', shop);
  const books = svc('books', ledger);
  const audit = svc('audit', ledger);
  cart.allowFrom(web, { ports: [9080] });
  orders.allowFrom(web, { ports: [9080], paths: ['/api/*'], methods: ['GET'] });
  orders.allowFrom(cart, { ports: [9080], paths: ['/internal/*'] });
  payments.requireJwt(JWT);
  payments.allowFrom(cart, { ports: [9080] });
  books.allowFrom(cart, { ports: [9080] });
  cart.allowFrom(audit, { ports: [9080] });
  return chart;
}

const objectsOf = (chart = ambientApp()) => synthValidated(chart) as RuleObject[];
const ref = (o: RuleObject | undefined) => `${o?.kind}/${o?.metadata?.namespace ?? ''}/${o?.metadata?.name}`;

/** Every finding of the rules this file is about, as `RULE Kind/ns/name path`. */
function findings(objects: RuleObject[]): string[] {
  const ctx = ruleContext(objects);
  const out: string[] = [];
  for (const rule of [NET_L4_001, NET_AMBIENT_001, NET_DENY_001]) {
    for (const r of rule.checkAll!(ctx)) out.push(`${rule.id} ${ref(r.object)} ${r.violation.path}`);
  }
  for (const rule of [NET_DENY_001, MESH_INJ_001]) {
    for (const o of objects) {
      if (rule.kinds && !rule.kinds.includes(kindKeyOf(o))) continue;
      for (const v of rule.check(o, ctx)) out.push(`${rule.id} ${ref(o)} ${v.path}`);
    }
  }
  return out;
}

/** A deep copy of the objects with `edit` applied to the one `Kind/namespace/name`, or without it when `edit` returns undefined. */
function variant(objects: RuleObject[], target: string, edit: (o: any) => any): RuleObject[] {
  expect(objects.map(ref)).toContain(target);
  return objects.flatMap((o) => {
    if (ref(o) !== target) return [o];
    const changed = edit(JSON.parse(JSON.stringify(o)));
    return changed === undefined ? [] : [changed];
  });
}

describe('the ambient output of HardenedNamespace and SecureService', () => {
  test('is what these tests assume: waypoint, waypointed Service, HBONE ingress, probe allowance', () => {
    const objects = objectsOf();
    const names = objects.map(ref);
    expect(names).toEqual(expect.arrayContaining([
      'Gateway/shop/waypoint', 'NetworkPolicy/shop/waypoint', 'AuthorizationPolicy/shop/orders-waypoint', 'AuthorizationPolicy/shop/orders',
      'NetworkPolicy/shop/cart-ingress', 'NetworkPolicy/shop/orders-ingress', 'RequestAuthentication/shop/payments-jwt',
    ]));
    const service = objects.find((o) => ref(o) === 'Service/shop/orders')!;
    expect(service.metadata?.labels?.['istio.io/use-waypoint']).toBe('waypoint');
    expect(objects.find((o) => ref(o) === 'Namespace//shop')?.metadata?.labels?.['istio.io/dataplane-mode']).toBe('ambient');
  });

  test('zero findings of NET-L4-001, NET-AMBIENT-001, NET-DENY-001 and MESH-INJ-001', () => {
    expect(findings(objectsOf())).toEqual([]);
  });

  test('the admission forms of MESH-INJ-001 and NET-DENY-001 admit every object, and MESH-INJ-002 lets the ambient namespace be re-applied', () => {
    const objects = objectsOf();
    const ctx = ruleContext(objects);
    const deny = defaultDenyAdmission(ctx);
    for (const o of objects) {
      expect([ref(o), admits(MESH_INJ_001.admission!, o)]).toEqual([ref(o), true]);
      expect([ref(o), admits(deny, o)]).toEqual([ref(o), true]);
    }
    const inj002 = invariantPolicies({
      rootNamespace: 'istio-system',
      controlPlaneNamespace: 'istio-system',
      meshWidePeerAuthentications: [],
      allowNothingPolicies: [],
      excludedNamespaces: ['kube-system'],
      meshAdminGroups: [],
      registryWriters: [],
    }).find((p) => p.name === 'secure-mesh-mesh-inj-002')!;
    const shop = objects.find((o) => ref(o) === 'Namespace//shop')!;
    const request = { operation: 'UPDATE', userInfo: { username: 'alice', groups: [] } };
    expect(admitsExpression(inj002.expression, shop, null, { oldObject: shop, request })).toBe(true);
    const out = { ...shop, metadata: { ...shop.metadata, labels: { ...shop.metadata!.labels, 'istio.io/dataplane-mode': 'none' } } };
    expect(admitsExpression(inj002.expression, out, null, { oldObject: shop, request })).toBe(false);
  });

  test('the guardrails judge the ambient namespace: the app is admitted, a privileged Pod in it refused', () => {
    const objects = synthValidated(ambientApp(true));
    const cluster: ClusterState = {
      namespaces: [...objects.filter((o) => o.kind === 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } }],
      params: objects.filter((o) => o.kind === 'ConfigMap'),
    };
    const simulator = new AdmissionSimulator(objects);
    const admin = { username: 'gitops', groups: ['mesh-admins', 'system:authenticated'] };
    const refused = objects.map((o) => [ref(o), simulator.decide({ operation: 'CREATE', object: o, userInfo: admin }, cluster)] as const)
      .filter(([, d]) => !d.allowed || d.errors.length > 0).map(([name, d]) => `${name}: ${d.denials.map((x) => x.message).join('; ')}`);
    expect(refused).toEqual([]);
    const template = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'shop').spec.template;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'by-hand', namespace: 'shop' }, spec: template.spec };
    const alice = { username: 'alice', groups: ['system:authenticated'] };
    expect(simulator.decide({ operation: 'CREATE', object: pod, userInfo: alice }, cluster).allowed).toBe(true);
    const privileged = JSON.parse(JSON.stringify(pod));
    privileged.spec.containers[0].securityContext.privileged = true;
    const d = simulator.decide({ operation: 'CREATE', object: privileged, userInfo: alice }, cluster);
    expect(d.allowed).toBe(false);
    expect(d.denials.map((x) => x.binding)).toEqual(expect.arrayContaining([expect.stringMatching(/-ambient$/)]));
  });

  describe('broken variants are findings', () => {
    const INGRESS_15008 = (o: any) => o.spec.ingress.find((r: any) => r.ports?.some((p: any) => p.port === 15008));

    test('an L4 grant whose ingress admits the app port instead of 15008 (NET-L4-001, on the ztunnel policy)', () => {
      const broken = variant(objectsOf(), 'NetworkPolicy/shop/cart-ingress', (o) => {
        INGRESS_15008(o).ports = [{ protocol: 'TCP', port: 9080 }];
        return o;
      });
      expect(findings(broken)).toEqual(expect.arrayContaining(['NET-L4-001 AuthorizationPolicy/shop/cart spec.rules[0].to[0].operation.ports[0]']));
      expect(findings(broken).every((f) => f.startsWith('NET-L4-001 AuthorizationPolicy/shop/cart '))).toBe(true);
    });

    test('the waypoint\'s NetworkPolicy missing: callers cannot reach the waypoint (NET-L4-001, on the waypoint policy)', () => {
      const broken = variant(objectsOf(), 'NetworkPolicy/shop/waypoint', () => undefined);
      expect(findings(broken)).toEqual([
        'NET-L4-001 AuthorizationPolicy/shop/orders-waypoint spec.rules[0].from[0].source.principals[0]',
        'NET-L4-001 AuthorizationPolicy/shop/orders-waypoint spec.rules[1].from[0].source.principals[0]',
        'NET-L4-001 AuthorizationPolicy/shop/payments-waypoint spec.rules[0].from[0].source.principals[0]',
      ]);
    });

    test('an ambient caller admitted on the app port by a sidecar target (NET-L4-001: ambient clients reach sidecars on 15008 too)', () => {
      const broken = variant(objectsOf(), 'NetworkPolicy/ledger/books-ingress', (o) => {
        INGRESS_15008(o).ports = [{ protocol: 'TCP', port: 9080 }];
        return o;
      });
      expect(findings(broken)).toEqual(['NET-L4-001 AuthorizationPolicy/ledger/books spec.rules[0].to[0].operation.ports[0]']);
    });

    test('the Service\'s pods admit the callers instead of the waypoint (NET-L4-001, on the policy naming the waypoint)', () => {
      const broken = variant(objectsOf(), 'NetworkPolicy/shop/orders-ingress', (o) => {
        INGRESS_15008(o).from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'front' } }, podSelector: { matchLabels: { app: 'web' } } }];
        return o;
      });
      expect(findings(broken)).toEqual(['NET-L4-001 AuthorizationPolicy/shop/orders spec.rules[0].to[0].operation.ports[0]']);
    });

    test('the kubelet probe allowance missing (NET-AMBIENT-001, per workload)', () => {
      const objects = objectsOf();
      const withoutProbes = objects.flatMap((o) => {
        if (o.kind !== 'NetworkPolicy' || o.metadata?.namespace !== 'shop') return [o];
        const copy = JSON.parse(JSON.stringify(o));
        if (Array.isArray(copy.spec.ingress)) {
          copy.spec.ingress = copy.spec.ingress.filter((r: any) => !r.from?.some((p: any) => p.ipBlock?.cidr === '169.254.7.127/32'));
        }
        return copy.metadata.name === 'allow-kubelet-probes' ? [] : [copy];
      });
      expect(findings(withoutProbes).filter((f) => f.startsWith('NET-AMBIENT-001')).sort()).toEqual([
        'NET-AMBIENT-001 Deployment/shop/cart spec.template.spec.containers[0].readinessProbe',
        'NET-AMBIENT-001 Deployment/shop/orders spec.template.spec.containers[0].readinessProbe',
        'NET-AMBIENT-001 Deployment/shop/payments spec.template.spec.containers[0].readinessProbe',
      ]);
    });

    test('the namespace taken out of ambient (MESH-INJ-001)', () => {
      const broken = variant(objectsOf(), 'Namespace//shop', (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'istio.io/dataplane-mode': 'none' } } }));
      expect(findings(broken)).toEqual(expect.arrayContaining(['MESH-INJ-001 Namespace//shop metadata.labels["istio.io/dataplane-mode"]']));
    });
  });
});
