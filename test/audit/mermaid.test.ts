import { AccessDecision, AccessEdge, AccessWorkload } from '../../src/audit/access-types';
import { mermaidId, nodeIds, renderMermaid } from '../../src/audit/mermaid';

function workload(id: string): AccessWorkload {
  const [namespace, name] = id.split('/');
  return { id, name, namespace, kind: 'Deployment', serviceAccount: name, principal: `cluster.local/ns/${namespace}/sa/${name}`, labels: {}, ports: [80], sidecar: true, dataPlane: 'sidecar', origin: 'manifest' };
}

function edge(from: string, to: string, port: number, decision = AccessDecision.ALLOWED): AccessEdge {
  return {
    from,
    to,
    port,
    protocol: 'http',
    allowed: decision === AccessDecision.ALLOWED,
    decision,
    allowedBy: [],
    conditions: [],
    networkIngress: [],
    networkEgress: [],
    mtlsMode: 'STRICT',
    mtlsPolicy: '',
    plaintextAccepted: false,
    layers: [],
    example: { protocol: 'http' },
  };
}

describe('Mermaid graph of the access matrix', () => {
  test('ids: readable, Mermaid-safe, stable, collision-free', () => {
    expect(mermaidId('istio-system/istio-ingressgateway')).toBe('istio_system__istio_ingressgateway');
    expect(mermaidId('a.b/c')).toBe('a_b__c');
    const ids = nodeIds(['x/a-b', 'x/a.b', 'x/a_b']);
    expect([...ids.entries()]).toEqual([['x/a-b', 'x__a_b'], ['x/a.b', 'x__a_b_2'], ['x/a_b', 'x__a_b_3']]);
    // Another workload does not change existing ids.
    expect(nodeIds(['x/a-b', 'y/z']).get('x/a-b')).toBe('x__a_b');
  });

  test('graph LR with a subgraph per namespace, one arrow per pair with its ports, unknown edges dotted', () => {
    const text = renderMermaid(
      [workload('shop/web'), workload('shop/api'), workload('data/db')],
      [edge('shop/web', 'shop/api', 8443), edge('shop/web', 'shop/api', 8080), edge('shop/api', 'data/db', 5432, AccessDecision.UNKNOWN), edge('shop/api', 'data/db', 5433)],
    );
    expect(text).toBe([
      'graph LR',
      '  subgraph ns_data["data"]',
      '    data__db["db"]',
      '  end',
      '  subgraph ns_shop["shop"]',
      '    shop__api["api"]',
      '    shop__web["web"]',
      '  end',
      '  shop__api -->|"5433"| data__db',
      '  shop__api -.->|"5432 ?"| data__db',
      '  shop__web -->|"8080, 8443"| shop__api',
      '',
    ].join('\n'));
  });

  test('labels are quoted and kind-qualified ids keep their kind; subgraph ids never clash with node ids', () => {
    const text = renderMermaid([workload('ns/"odd"'), { ...workload('ns/deployment/a'), name: 'a' }, workload('ns_x/y'), workload('x/y')], []);
    expect(text).toContain('ns___odd_["#quot;odd#quot;"]');
    expect(text).toContain('ns__deployment__a["deployment/a"]');
    expect(text).toContain('subgraph ns_ns["ns"]');
    expect(text).toContain('subgraph ns_ns_x["ns_x"]');
  });

  test('subgraph ids move aside when a workload id takes theirs', () => {
    const text = renderMermaid([workload('ns/a'), { ...workload('ns/a'), id: 'ns_a', namespace: 'a', name: 'x' }], []);
    expect(text).toContain('subgraph ns_a_ns["a"]');
  });
});
