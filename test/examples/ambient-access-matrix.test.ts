import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { BOOKINFO_MESH_CALLS, EGRESS_GATEWAY, INGRESS_GATEWAY } from './bookinfo-calls';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { DataPlane, EgressGateway } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer } from '../../src/audit/access-types';

/**
 * The Bookinfo blueprint on both data planes (examples/blueprint and examples/blueprint-ambient):
 * the same grants yield the same call graph, equal to the intended one (AUTHZ-1..4, EGRESS-1,
 * INGRESS-1). On sidecar the edge out of the mesh ends at the egress gateway workload; on ambient
 * at the external host behind the egress waypoint. The graph compares the logical calls: the
 * sidecar egress gateway's edge stands for the host it serves to that caller.
 * examples/blueprint-ambient/README.md is generated from the ambient matrix (UPDATE_ACCESS_MD=1).
 */

/** Caller -> target:port, the calls the blueprint intends, with the external host as the egress target. */
const INTENDED_CALLS = [...BOOKINFO_MESH_CALLS, 'bookinfo/details -> www.googleapis.com:443'];

function variant(dataPlane: DataPlane): { chart: BlueprintChart; matrix: AccessMatrix } {
  const chart = new BlueprintChart(Testing.app(), 'blueprint', { dataPlane });
  const workloads = dataPlane === DataPlane.SIDECAR ? [INGRESS_GATEWAY, EGRESS_GATEWAY] : [INGRESS_GATEWAY];
  return { chart, matrix: AccessMatrix.fromManifests(Testing.synth(chart), { workloads }) };
}

/** The matrix's calls, with an edge to the sidecar egress gateway read as the call to the host it serves that caller. */
function logicalCalls(chart: BlueprintChart, matrix: AccessMatrix): string[] {
  const gatewayId = `${EGRESS_GATEWAY.namespace}/${EGRESS_GATEWAY.name}`;
  return matrix.edges().flatMap((e) => {
    if (e.to !== gatewayId) return [`${e.from} -> ${e.to}:${e.port}`];
    const egress = chart.egress as EgressGateway;
    return egress.externalHosts.filter((h) => egress.accessGrants.some((g) => g.target.endsWith(h.host) && g.callerPrincipal.endsWith(`/sa/bookinfo-${e.from.split('/')[1]}`)))
      .map((h) => `${e.from} -> ${h.host}:${h.port}`);
  }).sort();
}

const ACCESS_MD = path.join(__dirname, '..', '..', 'examples', 'blueprint-ambient', 'README.md');

function renderAmbientDoc(matrix: AccessMatrix): string {
  return [
    '# Example blueprint on Istio ambient: Bookinfo, zero trust, no sidecars',
    '',
    'The blueprint of [examples/blueprint](../blueprint) with `dataPlane: DataPlane.AMBIENT`: the same grants,',
    'rendered for ztunnel (L4: mongodb\'s grants) and the `bookinfo` namespace\'s waypoint (L7: the Bookinfo',
    'services\' paths and methods, and productpage\'s token), and egress through a waypoint in `istio-egress`',
    '(`AmbientEgressGateway`). See [main.ts](main.ts). Synthesize it with `npx cdk8s synth` here, or',
    '`npm run synth:example` at the repository root (writes `examples/blueprint-ambient/dist/`).',
    '',
    '## Access matrix',
    '',
    '<!-- Generated from examples/blueprint/blueprint.ts (ambient) by AccessMatrix (test/examples/ambient-access-matrix.test.ts).',
    '     Do not edit: regenerate with `UPDATE_ACCESS_MD=1 npx jest test/examples/ambient-access-matrix`. -->',
    '',
    'The same call graph as the sidecar blueprint, evaluated where ambient enforces it: for a Service',
    'behind the waypoint, NetworkPolicy on HBONE (15008) from the caller to the waypoint, the',
    'waypoint\'s AuthorizationPolicies (attached with `targetRefs`) with the caller\'s identity, then',
    'NetworkPolicy from the waypoint to the pods and ztunnel\'s policy with the waypoint\'s identity;',
    'for mongodb, ztunnel alone with the caller\'s identity. The egress edge ends at the external host',
    'behind the egress waypoint. The ingress gateway is declared (Istio installs it):',
    '`istio-system/istio-ingressgateway` (service account `istio-ingressgateway-service-account`).',
    '',
    matrix.toMarkdown(),
  ].join('\n');
}

describe('the Bookinfo blueprint on sidecar and on ambient: one call graph', () => {
  const sidecar = variant(DataPlane.SIDECAR);
  const ambient = variant(DataPlane.AMBIENT);

  test('both matrices are exactly the intended calls, no edge more, no edge less', () => {
    expect(logicalCalls(sidecar.chart, sidecar.matrix)).toEqual([...INTENDED_CALLS].sort());
    expect(logicalCalls(ambient.chart, ambient.matrix)).toEqual([...INTENDED_CALLS].sort());
    for (const { matrix } of [sidecar, ambient]) {
      for (const e of matrix.edges()) {
        expect([`${e.from} -> ${e.to}`, e.allowed, e.allowedBy.length > 0, e.mtlsMode]).toEqual([`${e.from} -> ${e.to}`, true, true, 'STRICT']);
      }
      expect(matrix.warnings()).toEqual([]);
    }
  });

  test('ambient: L7 is decided at the waypoint with the caller\'s identity, L4 at ztunnel', () => {
    const get = ambient.matrix.check({ from: 'bookinfo/reviews', to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/1' });
    expect(get).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/bookinfo/ratings-waypoint' });
    const post = ambient.matrix.check({ from: 'bookinfo/reviews', to: 'bookinfo/ratings', port: 9080, method: 'POST', path: '/ratings/1' });
    expect(post).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.WAYPOINT });
    const mongo = ambient.matrix.check({ from: 'bookinfo/mongodb-seed', to: 'bookinfo/mongodb', port: 27017 });
    expect(mongo).toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/bookinfo/mongodb', layer: AccessLayer.ZTUNNEL });
    // Nothing else reaches the database, nor the host outside the mesh.
    expect(ambient.matrix.check({ from: 'bookinfo/ratings', to: 'bookinfo/mongodb', port: 27017 }).allowed).toBe(false);
    expect(ambient.matrix.check({ from: 'bookinfo/reviews', to: 'www.googleapis.com', port: 443 }).allowed).toBe(false);
  });

  test('every call the sidecar blueprint refuses, the ambient one refuses too', () => {
    const ids = ambient.matrix.workloads().map((w) => w.id);
    expect(sidecar.matrix.workloads().map((w) => w.id).filter((id) => id !== `${EGRESS_GATEWAY.namespace}/${EGRESS_GATEWAY.name}`).sort()).toEqual([...ids].sort());
    let refused = 0;
    for (const caller of ambient.matrix.workloads()) {
      for (const target of ambient.matrix.workloads()) {
        for (const port of target.ports) {
          if (caller.id === target.id || INTENDED_CALLS.includes(`${caller.id} -> ${target.id}:${port}`)) continue;
          for (const { matrix } of [ambient, sidecar]) {
            const call = [caller.id, target.id, port];
            expect([...call, matrix.check({ from: caller.id, to: target.id, port }).allowed]).toEqual([...call, false]);
          }
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(20);
  });

  test('examples/blueprint-ambient/README.md is the generated matrix (regenerate with UPDATE_ACCESS_MD=1)', () => {
    const text = renderAmbientDoc(ambient.matrix);
    if (process.env.UPDATE_ACCESS_MD) fs.writeFileSync(ACCESS_MD, text);
    expect(fs.existsSync(ACCESS_MD)).toBe(true);
    expect(fs.readFileSync(ACCESS_MD, 'utf-8')).toBe(text);
  });
});
