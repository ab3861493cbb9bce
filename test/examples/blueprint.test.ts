import { App, Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { findObject, ofKind, synthValidated } from '../helpers';

/** Bookinfo's call graph: caller -> target, GET on one path prefix, port 9080 (reference/bookinfo-graph.json). */
const CALL_GRAPH = [
  { from: 'productpage', to: 'details', path: '/details/*' },
  { from: 'productpage', to: 'reviews', path: '/reviews/*' },
  { from: 'reviews', to: 'ratings', path: '/ratings/*' },
];
const SERVICES = ['productpage', 'details', 'reviews', 'ratings'];

function synthBlueprint(): any[] {
  return synthValidated(new BlueprintChart(Testing.app(), 'blueprint'));
}

describe('examples/blueprint (Bookinfo)', () => {
  test('shape', () => {
    expect(synthBlueprint()).toMatchSnapshot();
  });

  test('MTLS-1: STRICT mesh-wide and in bookinfo, ISTIO_MUTUAL to every service, no PERMISSIVE anywhere', () => {
    const objects = synthBlueprint();
    expect(ofKind(objects, 'PeerAuthentication').map((p) => [p.metadata.namespace, p.spec.mtls.mode])).toEqual([['istio-system', 'STRICT'], ['bookinfo', 'STRICT']]);
    expect(ofKind(objects, 'DestinationRule').map((d) => d.spec.trafficPolicy.tls.mode)).toEqual(SERVICES.map(() => 'ISTIO_MUTUAL'));
    expect(JSON.stringify(objects)).not.toMatch(/PERMISSIVE|DISABLE/);
  });

  test('AUTHZ-2/3: the ALLOW rules are exactly the call graph: caller principal, port 9080, GET, its path', () => {
    const objects = synthBlueprint();
    const allowed = ofKind(objects, 'AuthorizationPolicy', 'bookinfo')
      .flatMap((p) => (p.spec.rules ?? []).map((r: any) => ({ to: p.metadata.name, rule: r })));
    expect(allowed.map(({ to, rule }) => ({
      from: rule.from[0].source.principals[0].replace('cluster.local/ns/bookinfo/sa/bookinfo-', ''),
      to,
      path: rule.to[0].operation.paths[0],
    })).sort((a, b) => (a.to + a.from < b.to + b.from ? -1 : 1))).toEqual([...CALL_GRAPH].sort((a, b) => (a.to + a.from < b.to + b.from ? -1 : 1)));
    for (const { rule } of allowed) {
      expect(rule.from).toHaveLength(1);
      expect(rule.from[0].source.principals).toHaveLength(1);
      expect(rule.to[0].operation).toMatchObject({ ports: ['9080'], methods: ['GET'] });
    }
    // "the only ALLOW rule on ratings names reviews' principal on port 9080"
    expect(findObject(objects, 'AuthorizationPolicy', 'ratings', 'bookinfo').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-reviews'] } }],
      to: [{ operation: { ports: ['9080'], methods: ['GET'], paths: ['/ratings/*'] } }],
    }]);
    // productpage is reachable from nobody until an ingress gateway is granted.
    expect(findObject(objects, 'AuthorizationPolicy', 'productpage', 'bookinfo').spec.rules).toBeUndefined();
  });

  test('AUTHZ-4: NetworkPolicy edges are exactly the call graph, both sides', () => {
    const objects = synthBlueprint();
    const ingressEdges = SERVICES.flatMap((to) => findObject(objects, 'NetworkPolicy', `${to}-ingress`, 'bookinfo').spec.ingress
      .map((r: any) => `${r.from[0].podSelector.matchLabels.app}->${to}:${r.ports.map((p: any) => p.port).join(',')}`));
    const egressEdges = ofKind(objects, 'NetworkPolicy', 'bookinfo').filter((p) => p.metadata.name.endsWith('-egress'))
      .flatMap((p) => p.spec.egress.map((r: any) => `${p.spec.podSelector.matchLabels.app}->${r.to[0].podSelector.matchLabels.app}:${r.ports.map((x: any) => x.port).join(',')}`));
    const expected = CALL_GRAPH.map((e) => `${e.from}->${e.to}:9080`).sort();
    expect(ingressEdges.sort()).toEqual(expected);
    expect(egressEdges.sort()).toEqual(expected);
    // "no NetworkPolicy admits ratings traffic from anyone but reviews"
    const ratingsIngress = ofKind(objects, 'NetworkPolicy', 'bookinfo')
      .filter((p) => p.spec.ingress && (Object.keys(p.spec.podSelector).length === 0 || p.spec.podSelector.matchLabels?.app === 'ratings'))
      .flatMap((p) => p.spec.ingress.flatMap((r: any) => r.from));
    expect(ratingsIngress).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } }, podSelector: { matchLabels: { app: 'reviews' } } }]);
  });

  test('IMG-1: every image pinned by digest from the allowed registry', () => {
    const images = ofKind(synthBlueprint(), 'Deployment').flatMap((d) => d.spec.template.spec.containers.map((c: any) => c.image));
    expect(images).toHaveLength(4);
    for (const image of images) expect(image).toMatch(/^docker\.io\/istio\/examples-bookinfo-[a-z]+-v1@sha256:[0-9a-f]{64}$/);
  });

  test('OPS-2: synthesizing the same blueprint twice gives byte-identical YAML', () => {
    const yaml = () => {
      const app = new App({ outdir: '/tmp/unused' });
      new BlueprintChart(app, 'blueprint');
      return app.synthYaml();
    };
    const first = yaml();
    expect(first.length).toBeGreaterThan(0);
    expect(yaml()).toBe(first);
  });
});
