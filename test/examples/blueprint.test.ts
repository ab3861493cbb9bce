import { App, Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { PolicyRules } from '../../src';
import { findObject, ofKind, synthValidated } from '../helpers';

/** Bookinfo's call graph: caller -> target, GET on one path prefix, port 9080 (reference/bookinfo-graph.json). */
const CALL_GRAPH = [
  { from: 'productpage', to: 'details', path: '/details/*' },
  { from: 'productpage', to: 'reviews', path: '/reviews/*' },
  { from: 'reviews', to: 'ratings', path: '/ratings/*' },
];
const SERVICES = ['productpage', 'details', 'reviews', 'ratings'];
/** The workloads the example adds around Bookinfo: caller (ServiceAccount) -> target, port, GET path if HTTP (loadgen runs in probes). */
const ADDED_GRAPH = [
  { from: 'loadgen', to: 'details', port: 9080, path: '/details/*' },
  { from: 'mongodb-seed', to: 'mongodb', port: 27017 },
  { from: 'mongodb-compact', to: 'mongodb', port: 27017 },
];
const WORKLOADS = [...SERVICES, 'loadgen', 'mongodb', 'mongodb-seed', 'mongodb-compact'];
/** The namespace of a workload: the platform SRE team's probe runs in its own. */
const namespaceOf = (name: string) => (name === 'loadgen' ? 'probes' : 'bookinfo');

function synthBlueprint(): any[] {
  return synthValidated(new BlueprintChart(Testing.app(), 'blueprint'));
}

describe('examples/blueprint (Bookinfo)', () => {
  test('shape', () => {
    expect(synthBlueprint()).toMatchSnapshot();
  });

  test('MTLS-1: STRICT mesh-wide and in bookinfo and probes, ISTIO_MUTUAL to every service, no PERMISSIVE anywhere', () => {
    const objects = synthBlueprint();
    expect(ofKind(objects, 'PeerAuthentication').map((p) => [p.metadata.namespace, p.spec.mtls.mode]))
      .toEqual([['istio-system', 'STRICT'], ['bookinfo', 'STRICT'], ['probes', 'STRICT']]);
    // One DestinationRule per Service (the four services and the database; loadgen and the jobs serve nothing).
    expect(ofKind(objects, 'DestinationRule', 'bookinfo').map((d) => [d.metadata.name, d.spec.trafficPolicy.tls.mode]))
      .toEqual(ofKind(objects, 'Service', 'bookinfo').map((svc) => [svc.metadata.name, 'ISTIO_MUTUAL']));
    expect(ofKind(objects, 'Service', 'bookinfo').map((svc) => svc.metadata.name).sort()).toEqual([...SERVICES, 'mongodb'].sort());
    // The sidecar -> egress gateway hop is mTLS too.
    expect(findObject(objects, 'DestinationRule', 'istio-egressgateway', 'istio-system').spec.subsets.map((s: any) => s.trafficPolicy.tls.mode)).toEqual(['ISTIO_MUTUAL']);
    expect(JSON.stringify(objects)).not.toMatch(/PERMISSIVE|DISABLE/);
  });

  test('AUTHZ-2/3: the ALLOW rules are exactly the call graph: caller principal, port, GET and its path on HTTP', () => {
    const objects = synthBlueprint();
    const allowed = ofKind(objects, 'AuthorizationPolicy', 'bookinfo')
      .flatMap((p) => (p.spec.rules ?? []).map((r: any) => ({ to: p.metadata.name, rule: r })))
      .filter(({ to }) => to !== 'productpage');
    const key = (e: { from: string; to: string; port: number; path?: string }) => `${e.from}->${e.to}:${e.port}${e.path ?? ''}`;
    expect(allowed.map(({ to, rule }) => key({
      from: rule.from[0].source.principals[0].replace(/^cluster\.local\/ns\/(bookinfo|probes)\/sa\/(bookinfo-)?/, ''),
      to,
      port: Number(rule.to[0].operation.ports[0]),
      path: rule.to[0].operation.paths?.[0],
    })).sort()).toEqual([...CALL_GRAPH.map((e) => ({ ...e, port: 9080 })), ...ADDED_GRAPH].map(key).sort());
    for (const { rule } of allowed) {
      expect(rule.from).toHaveLength(1);
      expect(rule.from[0].source.principals).toHaveLength(1);
      expect(rule.to).toHaveLength(1);
      expect(rule.to[0].operation.ports).toHaveLength(1);
      // HTTP grants name GET; the database's TCP grants cannot name methods.
      if (rule.to[0].operation.ports[0] === '9080') expect(rule.to[0].operation.methods).toEqual(['GET']);
      else expect(rule.to[0].operation).toEqual({ ports: ['27017'] });
    }
    // Nothing may call the workloads that only call.
    for (const name of ['loadgen', 'mongodb-seed', 'mongodb-compact']) {
      expect(findObject(objects, 'AuthorizationPolicy', name, namespaceOf(name)).spec.rules).toBeUndefined();
      expect(findObject(objects, 'NetworkPolicy', `${name}-ingress`, namespaceOf(name)).spec.ingress).toEqual([]);
    }
    // "the only ALLOW rule on ratings names reviews' principal on port 9080"
    expect(findObject(objects, 'AuthorizationPolicy', 'ratings', 'bookinfo').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-reviews'] } }],
      to: [{ operation: { ports: ['9080'], methods: ['GET'], paths: ['/ratings/*'] } }],
    }]);
    // productpage: only the ingress gateway's identity, and only with an internal (exchanged) token.
    const edge = findObject(objects, 'AuthorizationPolicy', 'productpage', 'bookinfo').spec.rules;
    expect(edge.map((r: any) => r.from)).toEqual(edge.map(() => [{
      source: {
        principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'],
        requestPrincipals: ['https://sts.mesh.example.com/*'],
      },
    }]));
  });

  test('INGRESS-1/TOKEN-1: HTTPS only (port 80 closed), sign-in at the edge, the external token never enters the mesh', () => {
    const objects = synthBlueprint();
    const servers = findObject(objects, 'Gateway', 'bookinfo-gateway', 'istio-system').spec.servers;
    expect(servers).toEqual([
      expect.objectContaining({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'bookinfo-example-com-tls', minProtocolVersion: 'TLSV1_2' } }),
    ]);
    const edgeRules = findObject(objects, 'AuthorizationPolicy', 'bookinfo-gateway', 'istio-system').spec.rules;
    for (const rule of edgeRules) expect(rule.from).toEqual([{ source: { requestPrincipals: ['https://login.example.com/*'] } }]);
    const jwt = ofKind(objects, 'RequestAuthentication');
    expect(jwt.map((r) => [r.metadata.namespace, r.spec.jwtRules[0].issuer, r.spec.jwtRules[0].forwardOriginalToken])).toEqual([
      ['bookinfo', 'https://sts.mesh.example.com', false],
      ['istio-system', 'https://login.example.com', false],
    ]);
    expect(JSON.stringify(ofKind(objects, 'RequestAuthentication', 'bookinfo'))).not.toContain('login.example.com');
    expect(findObject(objects, 'AuthorizationPolicy', 'bookinfo-gateway-token-exchange', 'istio-system').spec).toMatchObject({ action: 'CUSTOM', provider: { name: 'token-exchange' } });
  });

  test('AUTHZ-4: NetworkPolicy edges are exactly the call graph, both sides', () => {
    const objects = synthBlueprint();
    const ingressEdges = WORKLOADS.flatMap((to) => findObject(objects, 'NetworkPolicy', `${to}-ingress`, namespaceOf(to)).spec.ingress
      .map((r: any) => `${r.from[0].podSelector.matchLabels.app ?? r.from[0].podSelector.matchLabels.istio}->${to}:${r.ports.map((p: any) => p.port).join(',')}`));
    const egressEdges = [...ofKind(objects, 'NetworkPolicy', 'bookinfo'), ...ofKind(objects, 'NetworkPolicy', 'probes')].filter((p) => p.metadata.name.endsWith('-egress'))
      .flatMap((p) => p.spec.egress.map((r: any) => {
        const to = r.to[0].podSelector.matchLabels;
        return `${p.spec.podSelector.matchLabels.app}->${to.app ?? to.istio}:${r.ports.map((x: any) => x.port).join(',')}`;
      }));
    const expected = [...CALL_GRAPH.map((e) => `${e.from}->${e.to}:9080`), ...ADDED_GRAPH.map((e) => `${e.from}->${e.to}:${e.port}`)].sort();
    expect(ingressEdges.sort()).toEqual([...expected, 'ingressgateway->productpage:9080'].sort());
    expect(egressEdges.sort()).toEqual([...expected, 'details->egressgateway:8443'].sort());
    // "no NetworkPolicy admits ratings traffic from anyone but reviews"
    // (apart from the monitoring namespace's scrape of the sidecar's own metrics ports, 15020 and 15090, which every pod allows)
    const selectsRatings = (p: any) => p.spec.ingress && (Object.keys(p.spec.podSelector).length === 0 || p.spec.podSelector.matchLabels?.app === 'ratings');
    const ratingsIngress = ofKind(objects, 'NetworkPolicy', 'bookinfo').filter(selectsRatings).flatMap((p) => p.spec.ingress);
    expect(ratingsIngress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 15090 }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bookinfo' } }, podSelector: { matchLabels: { app: 'reviews' } } }], ports: [{ protocol: 'TCP', port: 9080 }] },
    ]);
  });

  test('EGRESS-1: www.googleapis.com is reachable only by details, only through the egress gateway', () => {
    const objects = synthBlueprint();
    // Nothing leaves the mesh unregistered.
    expect(findObject(objects, 'Sidecar', 'default', 'istio-system').spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(findObject(objects, 'Sidecar', 'default', 'bookinfo').spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    // The one ServiceEntry lives with the gateway and is visible to bookinfo only.
    const entries = ofKind(objects, 'ServiceEntry');
    expect(entries.map((e) => [e.metadata.namespace, e.spec.hosts, e.spec.exportTo])).toEqual([['istio-system', ['www.googleapis.com'], ['.', 'bookinfo']]]);
    // Only details' principal is allowed on the egress gateway, for that SNI.
    expect(findObject(objects, 'AuthorizationPolicy', 'istio-egressgateway', 'istio-system').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/bookinfo/sa/bookinfo-details'] } }],
      to: [{ operation: { ports: ['8443'] } }],
      when: [{ key: 'connection.sni', values: ['www.googleapis.com'] }],
    }]);
    // No NetworkPolicy in bookinfo lets a pod out of the cluster (no ipBlock); the gateway's own policy is the only way out.
    const bookinfoEgress = ofKind(objects, 'NetworkPolicy', 'bookinfo').flatMap((p) => p.spec.egress ?? []).flatMap((r: any) => r.to);
    expect(bookinfoEgress.every((peer: any) => peer.namespaceSelector && !peer.ipBlock)).toBe(true);
    const outOfCluster = ofKind(objects, 'NetworkPolicy').filter((p) => JSON.stringify(p.spec.egress ?? []).includes('ipBlock'));
    expect(outOfCluster.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['istio-system/istio-egressgateway-egress']);
  });

  test('OPS-1/RBAC-1: admission guardrails for every rule with a CEL form, operators by role, and no exception anywhere', () => {
    const objects = synthBlueprint();
    const policies = ofKind(objects, 'ValidatingAdmissionPolicy');
    // One policy per rule with an admission form (three of them invariants by name), plus the registries' guard.
    expect(policies.length).toBe(PolicyRules.list().filter((r) => r.admission).length + 1);
    const bindings = ofKind(objects, 'ValidatingAdmissionPolicyBinding');
    // Error rules deny; warning rules (and only they) warn and audit.
    const warnings = PolicyRules.list().filter((r) => r.admission && r.severity === 'warning').map((r) => `secure-mesh-${r.id.toLowerCase()}`);
    expect(warnings.length).toBeGreaterThan(0);
    for (const b of bindings) {
      const warns = warnings.some((w) => b.metadata.name.startsWith(`${w}-`));
      expect([b.metadata.name, b.spec.validationActions]).toEqual([b.metadata.name, warns ? ['Warn', 'Audit'] : ['Deny']]);
    }
    // Every binding that reads a registry fails closed without it; only the registry guard reads none.
    expect(bindings.filter((b) => !b.spec.paramRef).map((b) => b.metadata.name)).toEqual(['secure-mesh-exception-registries']);
    for (const b of bindings.filter((x) => x.spec.paramRef)) expect(b.spec.paramRef.parameterNotFoundAction).toBe('Deny');
    expect(findObject(objects, 'ConfigMap', 'secure-mesh-exceptions', 'bookinfo').data).toBeUndefined();
    expect(findObject(objects, 'ClusterRoleBinding', 'security-admins').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'security-admins' }]);
    expect(JSON.stringify(objects)).not.toContain('secure-mesh.cdk8s.io/exceptions');
    expect(findObject(objects, 'ConfigMap', 'secure-mesh-exceptions', 'istio-system').data).toBeUndefined();
  });

  test('IMG-1: every image pinned by digest from the allowed registries', () => {
    const objects = synthBlueprint();
    const pods = [
      ...['Deployment', 'StatefulSet', 'Job'].flatMap((kind) => ofKind(objects, kind).map((o) => o.spec.template.spec)),
      ...ofKind(objects, 'CronJob').map((o) => o.spec.jobTemplate.spec.template.spec),
    ];
    const images = pods.flatMap((pod) => pod.containers.map((c: any) => c.image));
    expect(images).toHaveLength(WORKLOADS.length);
    for (const image of images) {
      expect(image).toMatch(/^docker\.io\/(istio\/examples-bookinfo-[a-z]+-v1|library\/mongo|library\/busybox)@sha256:[0-9a-f]{64}$/);
    }
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
