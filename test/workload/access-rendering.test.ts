import * as fc from 'fast-check';
import { DataPlane } from '../../src/mesh/data-plane';
import { Principal } from '../../src/mesh/principal';
import { GrantIntent, carriedOnHbone, renderAccess } from '../../src/workload/access-rendering';

const caller = (name: string, plane?: DataPlane) => ({
  peerPrincipal: Principal.serviceAccount('shop', name), peerNamespace: 'shop', peerPodLabels: { app: name }, peerDataPlane: plane,
});
const grant = (name: string, ports: number[], paths: string[] = [], methods: string[] = [], plane?: DataPlane): GrantIntent => ({
  key: JSON.stringify([name, ports, paths, methods]), caller: caller(name, plane), principal: `cluster.local/ns/shop/sa/${name}`, targetPorts: ports, paths, methods,
});
const WAYPOINT = { principal: Principal.serviceAccount('shop', 'waypoint', 'cluster.local'), podLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } };

describe('renderAccess: one grant model, one renderer per data plane', () => {
  test('no grant: allow nothing at every enforcement point, admit nothing at L3/L4', () => {
    for (const dataPlane of [DataPlane.SIDECAR, DataPlane.AMBIENT]) {
      for (const waypoint of [undefined, WAYPOINT]) {
        const r = renderAccess({ namespace: 'shop', dataPlane, grants: [], requestPrincipals: [], waypoint, probePorts: [] });
        expect(r.podPolicyRules).toBeUndefined();
        expect(r.waypointPolicyRules).toBeUndefined();
        expect(r.ingress).toEqual([]);
      }
    }
  });

  test('sidecar: every grant at the pod, app ports at L3/L4 (HBONE for an ambient caller)', () => {
    const r = renderAccess({
      namespace: 'shop',
      dataPlane: DataPlane.SIDECAR,
      requestPrincipals: ['https://i/*'],
      probePorts: [8080],
      grants: [grant('web', [8080], ['/a'], ['GET']), grant('job', [8080], [], [], DataPlane.AMBIENT)],
    });
    expect(r.podPolicyRules).toHaveLength(2);
    expect(JSON.stringify(r.podPolicyRules)).toContain('"requestPrincipals":["https://i/*"]');
    expect(r.ingress.map((i) => i.ports)).toEqual([[{ port: 15008, protocol: 'TCP' }], [{ port: 8080, protocol: 'TCP' }]]);
  });

  test('ambient with a waypoint: the pod admits only the waypoint, the waypoint holds every grant', () => {
    const r = renderAccess({ namespace: 'shop', dataPlane: DataPlane.AMBIENT, requestPrincipals: [], probePorts: [], waypoint: WAYPOINT, grants: [grant('web', [9080], ['/x']), grant('ops', [9090])] });
    expect(r.podPolicyRules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['9080', '9090'] } }] }]);
    expect(r.waypointPolicyRules).toHaveLength(2);
  });

  test('property: in ambient no L7 attribute reaches the pod policy, and L3/L4 only ever opens HBONE', () => {
    const name = fc.constantFrom('a', 'b', 'c');
    const g = fc.record({ n: name, ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 3 }), paths: fc.constantFrom([], ['/x'], ['/y/*']) });
    fc.assert(fc.property(fc.array(g, { maxLength: 5 }), fc.boolean(), (grants, jwt) => {
      const intents = grants.map((x) => grant(x.n, x.ports, [...x.paths]));
      const needsWaypoint = jwt || intents.some((i) => i.paths.length > 0);
      const r = renderAccess({
        namespace: 'shop', dataPlane: DataPlane.AMBIENT, grants: intents, requestPrincipals: jwt ? ['https://i/*'] : [], waypoint: needsWaypoint ? WAYPOINT : undefined, probePorts: [],
      });
      expect(JSON.stringify(r.podPolicyRules ?? [])).not.toMatch(/paths|methods|requestPrincipals/);
      for (const rule of r.ingress) expect(rule.ports).toEqual([{ port: 15008, protocol: 'TCP' }]);
      if (needsWaypoint) expect(r.waypointPolicyRules?.length ?? 0).toBe(intents.length);
    }));
  });

  test('HBONE on the wire when either side is ambient', () => {
    expect(carriedOnHbone(undefined, DataPlane.SIDECAR)).toBe(false);
    expect(carriedOnHbone(DataPlane.SIDECAR, DataPlane.SIDECAR)).toBe(false);
    expect(carriedOnHbone(DataPlane.AMBIENT, DataPlane.SIDECAR)).toBe(true);
    expect(carriedOnHbone(undefined, DataPlane.AMBIENT)).toBe(true);
  });
});

describe('renderAccess: kubelet probes', () => {
  test('ambient admits the probe SNAT address on the probed ports only; sidecar needs no rule (kubelet is not pod traffic there)', () => {
    const ambient = renderAccess({ namespace: 'shop', dataPlane: DataPlane.AMBIENT, grants: [], requestPrincipals: [], probePorts: [8080, 9090] });
    expect(ambient.ingress).toEqual([{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ port: 8080, protocol: 'TCP' }, { port: 9090, protocol: 'TCP' }] }]);
    expect(ambient.podPolicyRules).toBeUndefined();
    expect(renderAccess({ namespace: 'shop', dataPlane: DataPlane.SIDECAR, grants: [], requestPrincipals: [], probePorts: [8080] }).ingress).toEqual([]);
  });
});
