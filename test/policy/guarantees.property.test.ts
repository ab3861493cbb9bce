import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { synthValidated } from '../helpers';

/**
 * Property-based guarantees (issue: "secure defaults that can't be turned off by accident"):
 * random valid blueprints satisfy every rule; random weakening mutations through JSON patches or
 * raw objects fail synthesis naming the rule, unless a matching, unexpired PolicyException covers it.
 */

const IMAGE = `gcr.io/acme/app@sha256:${'b'.repeat(64)}`;

interface Blueprint {
  readonly services: number;
  readonly edges: [number, number][];
  readonly paths: boolean;
}

const blueprints = fc.record({
  services: fc.integer({ min: 2, max: 4 }),
  edges: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 6 }),
  paths: fc.boolean(),
});

function build(bp: Blueprint) {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, '2026-11-29');
  const chart = new Chart(app, 'bp');
  new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'ns', { name: 'shop' });
  const services = Array.from({ length: bp.services }, (_, i) =>
    new SecureService(chart, `s${i}`, { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] }));
  const edges = bp.edges.map(([a, b]) => [a % bp.services, b % bp.services] as [number, number]);
  for (const [from, to] of edges) {
    services[to].allowFrom(services[from], bp.paths ? { methods: ['GET'], paths: ['/api/*'] } : {});
  }
  return { app, chart, services, edges };
}

const apiObject = (scope: SecureService, kind: string) =>
  scope.node.findAll().find((c) => c instanceof ApiObject && c.kind === kind) as ApiObject;

interface Mutation {
  readonly rule: string;
  /** Applies the mutation; returns the object it weakened, as an exception names it. */
  apply(world: ReturnType<typeof build>): string;
}

/** Adds a JSON patch to `o` and returns its reference. */
const patched = (o: ApiObject, patch: JsonPatch): string => {
  o.addJsonPatch(patch);
  return `${o.kind}/${o.metadata.namespace}/${o.name}`;
};

const MUTATIONS: Mutation[] = [
  { rule: 'MESH-MTLS-002', apply: (w) => patched((w.chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'PeerAuthentication' && c.metadata.namespace === 'shop') as ApiObject), JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE')) },
  { rule: 'POD-PRIV-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.add('/spec/template/spec/containers/0/securityContext/privileged', true)) },
  { rule: 'POD-CAP-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities/add', ['NET_ADMIN'])) },
  { rule: 'POD-HOST-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.replace('/spec/template/spec/hostNetwork', true)) },
  { rule: 'IMG-DIGEST-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.replace('/spec/template/spec/containers/0/image', 'gcr.io/acme/app:latest')) },
  { rule: 'MESH-INJ-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.add('/spec/template/metadata/annotations', { 'sidecar.istio.io/inject': 'false' })) },
  { rule: 'MESH-EXC-001', apply: (w) => patched(apiObject(w.services[0], 'Deployment'), JsonPatch.add('/spec/template/metadata/annotations', { 'traffic.sidecar.istio.io/excludeInboundPorts': '8080' })) },
  { rule: 'MESH-DR-001', apply: (w) => patched(apiObject(w.services[0], 'DestinationRule'), JsonPatch.replace('/spec/trafficPolicy/tls/mode', 'DISABLE')) },
  { rule: 'MESH-AUTHZ-004', apply: (w) => patched(apiObject(w.services[0], 'AuthorizationPolicy'), JsonPatch.add('/spec/rules', [{ to: [{ operation: { ports: ['8080'] } }] }])) },
  { rule: 'MESH-AUTHZ-005', apply: (w) => patched(apiObject(w.services[0], 'AuthorizationPolicy'), JsonPatch.add('/spec/rules', [{ from: [{ source: { principals: ['*'] } }] }])) },
  {
    rule: 'RBAC-CRB-001',
    apply: (w) => {
      new ApiObject(w.chart, 'rogue-crb', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'shop-team-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'shop-developers' }],
      });
      return 'ClusterRoleBinding/shop-team-view';
    },
  },
  {
    rule: 'RBAC-WILD-001',
    apply: (w) => {
      new ApiObject(w.chart, 'rogue-role', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'everything', namespace: 'shop' },
        rules: [{ apiGroups: ['apps'], resources: ['*'], verbs: ['get', 'list'] }],
      });
      return 'Role/shop/everything';
    },
  },
];

describe('guarantees (property-based)', () => {
  test('random valid blueprints: every object passes the harness and no rule fires', () => {
    fc.assert(fc.property(blueprints, (bp) => {
      const w = build(bp);
      synthValidated(w.chart);
      const errors = PolicyEnforcement.of(w.app).report.findings.filter((f) => f.severity === 'error');
      expect(errors).toEqual([]);
    }), { numRuns: 12 });
  });

  test('random weakening mutations fail synthesis naming the rule', () => {
    fc.assert(fc.property(blueprints, fc.constantFrom(...MUTATIONS), (bp, mutation) => {
      const w = build(bp);
      mutation.apply(w);
      expect(() => Testing.synth(w.chart)).toThrow(new RegExp(`${mutation.rule} \\(`));
    }), { numRuns: 30 });
  });

  test('the same mutations pass when a matching, unexpired PolicyException covers them', () => {
    fc.assert(fc.property(blueprints, fc.constantFrom(...MUTATIONS), (bp, mutation) => {
      const w = build(bp);
      const object = mutation.apply(w);
      new PolicyException(w.chart, 'accepted-risk', {
        rules: [mutation.rule],
        justification: 'A property test accepts this risk explicitly to prove exceptions work.',
        owner: 'security-team',
        expires: '2026-12-31',
        objects: [object],
        ports: [8080],
      });
      const objects = Testing.synth(w.chart);
      expect(JSON.stringify(objects)).toContain(`${mutation.rule}@2026-12-31`);
    }), { numRuns: 30 });
  });

  test('an expired exception no longer covers: synthesis fails', () => {
    const w = build({ services: 2, edges: [[0, 1]], paths: true });
    const object = MUTATIONS[0].apply(w);
    new PolicyException(w.chart, 'old', {
      rules: [MUTATIONS[0].rule], justification: 'This exception expired last month and must not cover anything.', owner: 'x', expires: '2026-10-31', objects: [object],
    });
    expect(() => Testing.synth(w.chart)).toThrow(/expired on 2026-10-31/);
  });
});
