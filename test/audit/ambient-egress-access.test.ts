import { Testing } from 'cdk8s';
import { AMBIENT_NS, PLAIN_NS, SIDECAR_NS, TO_GATEWAY, ap, deploy, netpol, principal, ra, waypoint } from './ambient-fixtures';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { DataPlane } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AccessDecision, AccessLayer, AccessRequest, TokenState } from '../../src/audit/access-types';

/*
 * External hosts behind an egress waypoint (istio.io docs/ambient/usage/egress-gateway): a
 * MESH_EXTERNAL ServiceEntry labelled istio.io/use-waypoint sends in-mesh callers to the waypoint,
 * where the policies attached to the ServiceEntry (and the waypoint) judge the caller's identity;
 * then the waypoint connects to the host. Hop 1 and hop 2 each need their NetworkPolicies.
 */

const EG = 'istio-egress';
const HTTPBIN = 'httpbin.org';
const API = 'api.example.com';
const WEB = principal('shop', 'web');
const HBONE = [{ port: 15008, protocol: 'TCP' }];
const WAYPOINT_PODS = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': EG } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } };
const podsOf = (ns: string, app: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { app } } });
const ANYWHERE = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
const TO_ENTRY = (name: string) => [{ group: 'networking.istio.io', kind: 'ServiceEntry', name }];

function serviceEntry(name: string, hosts: string[], ports: any[], extra: { labels?: any; spec?: any; namespace?: string } = {}): any {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: extra.namespace ?? EG, labels: extra.labels ?? { 'istio.io/use-waypoint': 'waypoint' } },
    spec: { hosts, location: 'MESH_EXTERNAL', resolution: 'DNS', ports, ...(extra.spec ?? {}) },
  };
}

/** httpbin.org: the app sends HTTP to port 80, the waypoint originates TLS to 443. */
const HTTPBIN_ENTRY = (extra = {}) => serviceEntry('httpbin', [HTTPBIN], [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 }], extra);
/** api.example.com: TLS from the app, through the waypoint unchanged. */
const API_ENTRY = (extra = {}) => serviceEntry('api', [API], [{ number: 443, name: 'tls', protocol: 'TLS' }], extra);

const HTTPBIN_POLICY = (principals = [WEB], op: any = { hosts: [HTTPBIN, `${HTTPBIN}:80`], ports: ['80'] }) =>
  ap(EG, 'httpbin', { targetRefs: TO_ENTRY('httpbin'), action: 'ALLOW', rules: [{ from: [{ source: { principals } }], to: [{ operation: op }] }] });

/** What AmbientEgressGateway writes, by hand: shop/web granted httpbin.org; shop/api reaches the waypoint but is granted nothing. */
function world(options: { callerEgress?: boolean; waypointIngress?: boolean; waypointEgress?: any[]; policy?: any; entries?: any[] } = {}): any[] {
  const grantedPods = [podsOf('shop', 'api'), podsOf('shop', 'web')];
  return [
    AMBIENT_NS('shop'), AMBIENT_NS(EG), SIDECAR_NS('legacy'), PLAIN_NS('outside'), PLAIN_NS('istio-system'),
    deploy('shop', 'web'), deploy('shop', 'api'), deploy('legacy', 'client'), deploy('outside', 'curl'),
    waypoint(EG),
    ...(options.entries ?? [HTTPBIN_ENTRY(), API_ENTRY()]),
    options.policy ?? HTTPBIN_POLICY(),
    ap(EG, 'waypoint-allow-nothing', { targetRefs: TO_GATEWAY('waypoint') }),
    netpol('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    ...(options.callerEgress === false ? [] : ['web', 'api'].map((app) => netpol('shop', `${app}-egress`, {
      podSelector: { matchLabels: { app } }, policyTypes: ['Egress'], egress: [{ to: [WAYPOINT_PODS], ports: HBONE }],
    }))),
    netpol(EG, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    netpol(EG, 'waypoint', {
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: options.waypointIngress === false ? [] : [{ from: grantedPods, ports: HBONE }],
      egress: options.waypointEgress ?? [{ to: ANYWHERE, ports: [{ protocol: 'TCP', port: 443 }] }],
    }),
  ];
}

const matrixOf = (objects: any[]) => AccessMatrix.fromManifests(objects);
const ask = (objects: any[], request: AccessRequest) => matrixOf(objects).check(request);

describe('an external host behind an egress waypoint is a target', () => {
  test('the granted caller: hop 1 to the waypoint, the policy attached to the ServiceEntry, hop 2 out on the targetPort', () => {
    const r = ask(world(), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({
      allowed: true,
      decision: AccessDecision.ALLOWED,
      decidedBy: `AuthorizationPolicy/${EG}/httpbin`,
      layer: AccessLayer.WAYPOINT,
      from: 'shop/web',
      to: HTTPBIN,
      port: 80,
      // HTTP on the ServiceEntry port: the request names the host in its Host header.
      example: { protocol: 'http', host: HTTPBIN, principal: WEB },
      missingGrants: [],
    });
    expect(r.layers.map((l) => [l.layer, l.decision])).toEqual([
      [AccessLayer.NETWORK, 'allowed'], [AccessLayer.NETWORK, 'allowed'], [AccessLayer.MTLS, 'allowed'], [AccessLayer.WAYPOINT, 'allowed'], [AccessLayer.NETWORK, 'allowed'],
    ]);
    expect(r.layers[0].reason).toMatch(/^hop 1 \(shop\/web -> waypoint Gateway\/istio-egress\/waypoint:15008, HBONE\), caller egress: NetworkPolicy\/shop\/web-egress admits/);
    expect(r.layers[1].decidedBy).toBe(`NetworkPolicy/${EG}/waypoint`);
    expect(r.layers[3].reason).toContain(`identity ${WEB} of shop/web, ServiceEntry ${EG}/httpbin port 80`);
    expect(r.layers[4].reason).toBe(`hop 2 (waypoint Gateway/${EG}/waypoint -> ${HTTPBIN}:443, ServiceEntry port 80 targets 443), waypoint egress: `
      + `NetworkPolicy/${EG}/waypoint admits ${EG}/waypoint -> ${HTTPBIN}:443 (any address)`);
    // The host name is case-insensitive.
    expect(ask(world(), { from: 'shop/web', to: 'HTTPBIN.org', port: 80 })).toMatchObject({ allowed: true, to: HTTPBIN });
  });

  test('the brief\'s example: the ambient blueprint\'s details reaches www.googleapis.com through istio-egress, and no one else does', () => {
    const m = AccessMatrix.fromManifests(Testing.synth(new BlueprintChart(Testing.app(), 'blueprint', { dataPlane: DataPlane.AMBIENT })));
    expect(m.check({ from: 'bookinfo/details', to: 'www.googleapis.com', port: 443 }))
      .toMatchObject({ allowed: true, decidedBy: 'AuthorizationPolicy/istio-egress/egress-www-googleapis-com', layer: AccessLayer.WAYPOINT });
    expect(m.check({ from: 'bookinfo/reviews', to: 'www.googleapis.com', port: 443 })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    expect(m.edges().filter((e) => e.to === 'www.googleapis.com').map((e) => `${e.from} -> ${e.to}:${e.port} ${e.decision}`))
      .toEqual(['bookinfo/details -> www.googleapis.com:443 allowed']);
    expect(m.warnings().filter((w) => /ServiceEntry/.test(w))).toEqual([]);
  });

  test('another caller that reaches the waypoint is denied there: decidedBy names the policy, the missing rule targets the ServiceEntry', () => {
    const r = ask(world(), { from: 'shop/api', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.WAYPOINT, decidedBy: `AuthorizationPolicy/${EG}/waypoint-allow-nothing` });
    expect(r.reason).toContain(`no ALLOW rule at waypoint Gateway/${EG}/waypoint for ServiceEntry ${EG}/httpbin admits principal ${principal('shop', 'api')} on port 80`);
    expect(r.reason).toContain(`AuthorizationPolicy/${EG}/httpbin: rules[0]: principal ${principal('shop', 'api')} is not one of [${WEB}]`);
    expect(r.missingGrants).toEqual([`an ALLOW rule in an AuthorizationPolicy with targetRefs [ServiceEntry httpbin (group networking.istio.io)] (namespace ${EG}) `
      + `with from.source.principals [${principal('shop', 'api')}] and to.operation.ports [80]`]);
    // Only the attached policy names the caller: without the Gateway's allow-nothing, it is the ALLOW policy that decides.
    const noDefault = world().filter((o) => o.metadata.name !== 'waypoint-allow-nothing');
    expect(ask(noDefault, { from: 'shop/api', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: false, decidedBy: `AuthorizationPolicy/${EG}/httpbin` });
  });

  test('the Host header: a rule naming the host matches requests to it; one naming another host does not', () => {
    const other = HTTPBIN_POLICY([WEB], { hosts: ['evil.example.com'], ports: ['80'] });
    expect(ask(world({ policy: other }), { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    // A question may still name another Host header (the request reaches the host's address all the same).
    expect(ask(world({ policy: other }), { from: 'shop/web', to: HTTPBIN, port: 80, host: 'evil.example.com' })).toMatchObject({ allowed: true });
    expect(ask(world(), { from: 'shop/web', to: HTTPBIN, port: 80, host: 'evil.example.com' })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
  });

  test('a TLS port: the waypoint authorizes on identity and the ServiceEntry port (no HTTP)', () => {
    const policy = ap(EG, 'api', { targetRefs: TO_ENTRY('api'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { ports: ['443'] } }] }] });
    const objects = [...world(), policy];
    expect(ask(objects, { from: 'shop/web', to: API, port: 443 })).toMatchObject({ allowed: true, decidedBy: `AuthorizationPolicy/${EG}/api`, example: { protocol: 'tcp' } });
    expect(ask(objects, { from: 'shop/api', to: API, port: 443 })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    // HTTP attributes never match a TLS stream.
    const l7 = ap(EG, 'api', { targetRefs: TO_ENTRY('api'), rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { methods: ['GET'] } }] }] });
    expect(ask([...world(), l7], { from: 'shop/web', to: API, port: 443 })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
  });

  test('a DENY attached to the ServiceEntry refuses outright: nothing to grant', () => {
    const deny = ap(EG, 'no-web', { targetRefs: TO_ENTRY('httpbin'), action: 'DENY', rules: [{ from: [{ source: { principals: [WEB] } }] }] });
    const r = ask([...world(), deny], { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, decidedBy: `AuthorizationPolicy/${EG}/no-web`, layer: AccessLayer.WAYPOINT, missingGrants: [] });
    // A DENY on a path leaves other paths allowed.
    const admin = ap(EG, 'no-admin', { targetRefs: TO_ENTRY('httpbin'), action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] });
    expect(ask([...world(), admin], { from: 'shop/web', to: HTTPBIN, port: 80, path: '/admin/x' })).toMatchObject({ allowed: false, decidedBy: `AuthorizationPolicy/${EG}/no-admin` });
    expect(ask([...world(), admin], { from: 'shop/web', to: HTTPBIN, port: 80, path: '/get' })).toMatchObject({ allowed: true });
    // Attached to another ServiceEntry, or from another namespace: not for this host.
    const elsewhere = ap(EG, 'no-web-api', { targetRefs: TO_ENTRY('api'), action: 'DENY', rules: [{}] });
    const otherNs = ap('shop', 'no-web', { targetRefs: TO_ENTRY('httpbin'), action: 'DENY', rules: [{}] });
    expect(ask([...world(), elsewhere, otherNs], { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: true });
  });

  test('a RequestAuthentication attached to the ServiceEntry validates tokens at the waypoint', () => {
    const issuer = 'https://issuer.example.com';
    const jwt = ra(EG, 'httpbin-jwt', { targetRefs: TO_ENTRY('httpbin'), jwtRules: [{ issuer }] });
    const policy = HTTPBIN_POLICY([WEB], { hosts: [HTTPBIN], ports: ['80'] });
    const withToken = ap(EG, 'httpbin', {
      targetRefs: TO_ENTRY('httpbin'), rules: [{ from: [{ source: { principals: [WEB], requestPrincipals: [`${issuer}/*`] } }], to: policy.spec.rules[0].to }],
    });
    const objects = [...world({ policy: withToken }), jwt];
    expect(ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80, jwtIssuer: issuer })).toMatchObject({ allowed: true, example: { requestPrincipal: `${issuer}/subject` } });
    expect(ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80, token: TokenState.NONE })).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT });
    expect(ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80, token: TokenState.INVALID }))
      .toMatchObject({ allowed: false, decidedBy: `RequestAuthentication/${EG}/httpbin-jwt`, layer: AccessLayer.WAYPOINT });
  });

  test('a policy attached to the istio-waypoint GatewayClass from the root namespace applies too', () => {
    const deny = ap('istio-system', 'no-web', {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }], action: 'DENY', rules: [{ from: [{ source: { principals: [WEB] } }] }],
    });
    expect(ask([...world(), deny], { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: false, decidedBy: 'AuthorizationPolicy/istio-system/no-web' });
  });
});

describe('NetworkPolicy on both hops', () => {
  test('hop 1, the caller\'s egress to the waypoint', () => {
    const r = ask(world({ callerEgress: false }), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/shop/default-deny' });
    expect(r.reason).toBe(`nothing grants shop/web -> ${HTTPBIN}:80 at hop 1: caller egress to the waypoint: no Egress rule of shop/web's NetworkPolicies admits `
      + `the waypoint's pods (Gateway/${EG}/waypoint) on TCP port 15008 (HBONE) (NetworkPolicy/shop/default-deny isolates shop/web)`);
    expect(r.missingGrants).toEqual([`an Egress rule in a NetworkPolicy selecting shop/web (namespace shop) that admits the waypoint's pods (Gateway/${EG}/waypoint) on TCP port 15008 (HBONE)`]);
  });

  test('hop 1, the waypoint\'s ingress', () => {
    const r = ask(world({ waypointIngress: false }), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK, decidedBy: `NetworkPolicy/${EG}/waypoint` });
    expect(r.reason).toContain('at hop 1: waypoint ingress: no Ingress rule of the waypoint');
  });

  test('hop 2, the waypoint\'s egress to the host, on the targetPort (443, not the ServiceEntry port 80)', () => {
    const r = ask(world({ waypointEgress: [{ to: ANYWHERE, ports: [{ protocol: 'TCP', port: 80 }] }] }), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK, decidedBy: `NetworkPolicy/${EG}/default-deny` });
    expect(r.reason).toBe(`nothing grants shop/web -> ${HTTPBIN}:80 at hop 2: waypoint egress: no Egress rule of the waypoint Gateway/${EG}/waypoint's NetworkPolicies admits `
      + `${HTTPBIN} on TCP port 443 (NetworkPolicy/${EG}/default-deny isolates the waypoint's pods)`);
    expect(r.missingGrants).toEqual([`an Egress rule in a NetworkPolicy selecting the waypoint's pods (gateway.networking.k8s.io/gateway-name: waypoint, namespace ${EG}) `
      + `that admits ipBlock 0.0.0.0/0 and ::/0 on TCP port 443 (the addresses ${HTTPBIN} resolves to are not known in advance)`]);
    // Pod and namespace selectors never name an external address.
    const pods = ask(world({ waypointEgress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 443 }] }] }), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(pods).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK });
    // An egress rule without peers admits any address.
    expect(ask(world({ waypointEgress: [{ ports: [{ protocol: 'TCP', port: 443 }] }] }), { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: true });
  });

  test('hop 2 to a narrower ipBlock: the host\'s address is not known offline', () => {
    const r = ask(world({ waypointEgress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] }] }), { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, decision: AccessDecision.UNKNOWN, layer: AccessLayer.NETWORK, decidedBy: `NetworkPolicy/${EG}/waypoint` });
    expect(r.reason).toContain(`ipBlock 203.0.113.0/24 may or may not contain the addresses ${HTTPBIN} resolves to, which are not known offline`);
    const except = ask(world({ waypointEgress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ protocol: 'TCP', port: 443 }] }] }),
      { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(except).toMatchObject({ decision: AccessDecision.UNKNOWN });
  });

  test('every hop refusing by default: each named, in traffic order after the missing ALLOW rule', () => {
    const r = ask(world({ callerEgress: false, waypointIngress: false }), { from: 'shop/api', to: HTTPBIN, port: 80 });
    expect(r.missingGrants).toHaveLength(3);
    expect(r.reason).toMatch(/^nothing grants shop\/api -> httpbin.org:80, and 3 layers refuse it by default\. hop 1: the waypoint .*\. hop 1: caller egress to the waypoint: .*\. hop 1: waypoint ingress: /);
  });
});

describe('callers whose traffic does not reach the waypoint', () => {
  test('ztunnel ignores exportTo: an ambient caller goes through the waypoint whatever the ServiceEntry exports', () => {
    const objects = world({ entries: [HTTPBIN_ENTRY({ spec: { exportTo: ['.'] } })] });
    expect(ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: true, layer: AccessLayer.WAYPOINT });
  });

  test('a sidecar that knows the host goes through the waypoint with its own identity', () => {
    const objects = [...world(), netpol(EG, 'legacy', {
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } }, ingress: [{ from: [podsOf('legacy', 'client')], ports: HBONE }],
    })];
    const r = ask(objects, { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT, decidedBy: `AuthorizationPolicy/${EG}/waypoint-allow-nothing` });
    expect(r.layers[2].reason).toContain('from legacy/client\'s sidecar to the waypoint');
    const granted = [...objects.filter((o) => o.metadata.name !== 'httpbin' || o.kind !== 'AuthorizationPolicy'), HTTPBIN_POLICY([principal('legacy', 'client')])];
    expect(ask(granted, { from: 'legacy/client', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: true, decidedBy: `AuthorizationPolicy/${EG}/httpbin` });
  });

  test('a sidecar that does not know the host: REGISTRY_ONLY refuses it, ALLOW_ANY sends it out directly, the mesh default is unknown', () => {
    const hidden = world({ entries: [HTTPBIN_ENTRY({ spec: { exportTo: ['.'] } })] });
    const unknown = ask(hidden, { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(unknown).toMatchObject({ decision: AccessDecision.UNKNOWN, layer: AccessLayer.WAYPOINT, decidedBy: `ServiceEntry/${EG}/httpbin` });
    expect(unknown.reason).toContain(`legacy/client's sidecar does not know ${HTTPBIN} (ServiceEntry/${EG}/httpbin is not exported to namespace legacy (exportTo [.]))`);
    expect(unknown.reason).toContain('outboundTrafficPolicy');

    const sidecar = (mode: string, egress?: any) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: 'legacy' },
      spec: { outboundTrafficPolicy: { mode }, ...(egress ? { egress } : {}) },
    });
    const registryOnly = ask([...hidden, sidecar('REGISTRY_ONLY')], { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(registryOnly).toMatchObject({ allowed: false, decision: AccessDecision.DENIED, layer: AccessLayer.WAYPOINT, decidedBy: 'Sidecar/legacy/default' });
    expect(registryOnly.missingGrants).toEqual([`ServiceEntry/${EG}/httpbin exported to namespace legacy (exportTo), so that legacy/client's sidecar sends its requests for ${HTTPBIN} to the waypoint`]);

    const allowAny = ask([...hidden, sidecar('ALLOW_ANY')], { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(allowAny).toMatchObject({ allowed: true, layer: AccessLayer.NETWORK, decidedBy: '', example: { protocol: 'tcp' } });
    // ... unless its NetworkPolicies keep it in.
    const isolated = [...hidden, sidecar('ALLOW_ANY'), netpol('legacy', 'default-deny', { podSelector: {}, policyTypes: ['Egress'] })];
    expect(ask(isolated, { from: 'legacy/client', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/legacy/default-deny' });

    // Exported, but its Sidecar imports other hosts only.
    const notImported = ask([...world(), sidecar('REGISTRY_ONLY', [{ hosts: ['./*', 'istio-system/*'] }])], { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(notImported).toMatchObject({ allowed: false, decidedBy: 'Sidecar/legacy/default' });
    expect(notImported.reason).toContain(`Sidecar/legacy/default does not import ${EG}/${HTTPBIN} (egress hosts [./*, istio-system/*])`);
    const imported = ask([...world(), sidecar('REGISTRY_ONLY', [{ hosts: [`${EG}/${HTTPBIN}`] }])], { from: 'legacy/client', to: HTTPBIN, port: 80 });
    expect(imported.layers.map((l) => l.layer)).toContain(AccessLayer.MTLS);
  });

  test('a caller outside the mesh connects directly: only its NetworkPolicies decide', () => {
    const open = ask(world(), { from: 'outside/curl', to: HTTPBIN, port: 80 });
    expect(open).toMatchObject({ allowed: true, layer: AccessLayer.NETWORK, conditions: ['any request (mesh policy not enforced)'] });
    expect(open.layers).toHaveLength(1);
    expect(open.layers[0].reason).toContain('outside/curl is not in the mesh');
    const closed = ask([...world(), netpol('outside', 'default-deny', { podSelector: {}, policyTypes: ['Egress'] })], { from: 'outside/curl', to: HTTPBIN, port: 80 });
    expect(closed).toMatchObject({ allowed: false, layer: AccessLayer.NETWORK, decidedBy: 'NetworkPolicy/outside/default-deny' });
    expect(closed.missingGrants[0]).toMatch(/^outside\/curl in ambient mode .*through the waypoint of ServiceEntry\/istio-egress\/httpbin/);
  });

  test('an Istio gateway goes through the waypoint only when the ServiceEntry opts it in; it routes only to hosts exported to its namespace', () => {
    const gateway = { name: 'istio-egressgateway', namespace: 'istio-system', serviceAccount: 'egress-sa', labels: { istio: 'egressgateway' }, ports: [8443] };
    const m = (entries: any[]) => AccessMatrix.fromManifests(world({ entries }), { workloads: [gateway] });
    expect(m([HTTPBIN_ENTRY({ spec: { exportTo: ['.'] } })]).check({ from: 'istio-system/istio-egressgateway', to: HTTPBIN, port: 80 }))
      .toMatchObject({ allowed: false, decidedBy: `ServiceEntry/${EG}/httpbin`, layer: AccessLayer.WAYPOINT });
    const skipped = m([HTTPBIN_ENTRY()]).check({ from: 'istio-system/istio-egressgateway', to: HTTPBIN, port: 80 });
    expect(skipped).toMatchObject({ decision: AccessDecision.UNKNOWN, layer: AccessLayer.WAYPOINT });
    expect(skipped.reason).toContain('is an Istio gateway, which skips the waypoint Gateway/istio-egress/waypoint of ServiceEntry istio-egress/httpbin');
    const optedIn = m([HTTPBIN_ENTRY({ labels: { 'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true' } })])
      .check({ from: 'istio-system/istio-egressgateway', to: HTTPBIN, port: 80 });
    expect(optedIn).toMatchObject({ allowed: false, layer: AccessLayer.WAYPOINT, decidedBy: `AuthorizationPolicy/${EG}/waypoint-allow-nothing` });
  });
});

describe('which ServiceEntries make targets', () => {
  test('the waypoint named by the ServiceEntry\'s namespace, as for a Service', () => {
    const objects = world({ entries: [HTTPBIN_ENTRY({ labels: {} })] }).map((o) => (o.kind === 'Namespace' && o.metadata.name === EG
      ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'istio.io/use-waypoint': 'waypoint' } } } : o));
    expect(ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ allowed: true });
  });

  test('a waypoint that is not in the input: UNKNOWN, and said so in the warnings', () => {
    const objects = world().filter((o) => o.kind !== 'Gateway');
    const m = matrixOf(objects);
    expect(m.check({ from: 'shop/web', to: HTTPBIN, port: 80 })).toMatchObject({ decision: AccessDecision.UNKNOWN, layer: AccessLayer.WAYPOINT });
    expect(m.warnings()).toContain(`istio.io/use-waypoint: waypoint on ServiceEntry ${EG}/httpbin names waypoint ${EG}/waypoint, which is not in the input: `
      + `what it enforces is not evaluated offline: requests to ${HTTPBIN} through it are answered UNKNOWN`);
  });

  test('two ServiceEntries registering the same host and port: UNKNOWN', () => {
    const objects = world({ entries: [HTTPBIN_ENTRY(), serviceEntry('httpbin-again', [HTTPBIN], [{ number: 80, name: 'http', protocol: 'HTTP' }])] });
    const r = ask(objects, { from: 'shop/web', to: HTTPBIN, port: 80 });
    expect(r).toMatchObject({ decision: AccessDecision.UNKNOWN, decidedBy: `ServiceEntry/${EG}/httpbin` });
    expect(r.reason).toContain(`ServiceEntry/${EG}/httpbin, ServiceEntry/${EG}/httpbin-again all register ${HTTPBIN}:80`);
  });

  test('a host no ServiceEntry served by a waypoint registers, a wrong port, a wildcard: clear errors', () => {
    const m = matrixOf([...world(), serviceEntry('plain', ['plain.example.com'], [{ number: 443, name: 'tls', protocol: 'TLS' }], { labels: {} }),
      serviceEntry('internal', ['internal.example.com'], [{ number: 80, name: 'http', protocol: 'HTTP' }], { spec: { location: 'MESH_INTERNAL' } }),
      serviceEntry('wild', ['*.wild.example.com'], [{ number: 443, name: 'tls', protocol: 'TLS' }])]);
    expect(() => m.check({ from: 'shop/web', to: 'www.unknown.example', port: 443 }))
      .toThrow('check: to "www.unknown.example" is not a workload of the input (known: legacy/client, outside/curl, shop/api, shop/web), nor an external host '
        + `that a MESH_EXTERNAL ServiceEntry served by a waypoint registers (external hosts: ${API}, ${HTTPBIN})`);
    expect(() => m.check({ from: 'shop/web', to: 'plain.example.com', port: 443 }))
      .toThrow(/to "plain.example.com" is an external host, but no MESH_EXTERNAL ServiceEntry served by a waypoint registers it: ServiceEntry\/istio-egress\/plain uses no waypoint \(neither ServiceEntry istio-egress\/plain nor namespace istio-egress has istio.io\/use-waypoint/);
    expect(() => m.check({ from: 'shop/web', to: 'internal.example.com', port: 80 })).toThrow(/ServiceEntry\/istio-egress\/internal is MESH_INTERNAL/);
    expect(() => m.check({ from: 'shop/web', to: 'a.wild.example.com', port: 443 })).toThrow(/nor an external host/);
    expect(() => m.check({ from: 'shop/web', to: HTTPBIN, port: 443 }))
      .toThrow(`check: port 443 is not a port of ${HTTPBIN} (ServiceEntry/${EG}/httpbin: 80 (targetPort 443)); ask about the port the caller addresses`);
    // A host is never a caller; a workload named by its id is still one.
    expect(() => m.check({ from: HTTPBIN, to: 'shop/web', port: 8080 })).toThrow(/check: from "httpbin.org" is not a workload of the input/);
    expect(() => m.check({ from: 'shop/web', to: 'nope', port: 8080 })).toThrow(/check: to "nope" is not a workload of the input \(known: .*\); declare workloads/);
  });

  test('the "not evaluated" warning goes away for ServiceEntries served by a waypoint, and stays for the others', () => {
    const plain = serviceEntry('plain', ['plain.example.com'], [{ number: 443, name: 'tls', protocol: 'TLS' }], { labels: {} });
    const onPlain = ap(EG, 'plain', { targetRefs: TO_ENTRY('plain'), rules: [{}] });
    const warnings = matrixOf([...world(), plain, onPlain]).warnings();
    expect(warnings.filter((w) => /not evaluated/.test(w))).toEqual([
      `AuthorizationPolicy/${EG}/plain attaches with targetRef(s) to networking.istio.io/ServiceEntry plain, not evaluated`,
    ]);
  });
});

describe('edges and renderings', () => {
  test('edges() lists caller -> host:port with the attached policy, sorted with the workload edges; equal to every pair evaluated', () => {
    const api = ap(EG, 'api', { targetRefs: TO_ENTRY('api'), rules: [{ from: [{ source: { principals: [WEB, principal('shop', 'api')] } }], to: [{ operation: { ports: ['443'] } }] }] });
    const m = matrixOf([...world(), api]);
    const edges = m.edges();
    // (legacy and outside are not isolated: they call each other; curl, outside the mesh, goes straight out.)
    expect(edges.map((e) => `${e.from} -> ${e.to}:${e.port} ${e.decision}`)).toEqual([
      'legacy/client -> outside/curl:8080 allowed',
      `outside/curl -> ${API}:443 allowed`,
      `outside/curl -> ${HTTPBIN}:80 allowed`,
      'outside/curl -> legacy/client:8080 allowed',
      `shop/api -> ${API}:443 allowed`,
      `shop/web -> ${API}:443 allowed`,
      `shop/web -> ${HTTPBIN}:80 allowed`,
    ]);
    const web = edges.find((e) => e.from === 'shop/web' && e.to === HTTPBIN)!;
    expect(web).toMatchObject({
      protocol: 'http',
      allowedBy: [`AuthorizationPolicy/${EG}/httpbin rules[0]`],
      networkEgress: ['NetworkPolicy/shop/web-egress'],
      networkIngress: [`NetworkPolicy/${EG}/waypoint`],
      mtlsMode: 'STRICT',
      plaintextAccepted: false,
    });
    expect(edges.find((e) => e.from === 'outside/curl' && e.to === HTTPBIN)).toMatchObject({ allowedBy: [], mtlsMode: 'NONE' });
    expect(m._allPairsEdges()).toEqual(edges);
    // Every edge agrees with check().
    for (const e of edges) expect(m.check({ from: e.from, to: e.to, port: e.port }).decision).toBe(e.decision);
  });

  test('Mermaid: the hosts are nodes of an "external hosts" subgraph; the table and Markdown list them', () => {
    const m = matrixOf(world());
    const mermaid = m.toMermaid();
    expect(mermaid).toContain('  end\n  subgraph external_hosts["external hosts"]\n    host_api_example_com["api.example.com"]\n    host_httpbin_org["httpbin.org"]\n  end\n');
    expect(mermaid).toContain('  shop__web -->|"80"| host_httpbin_org\n');
    expect(m.toMarkdown()).toContain(`| shop/web | ${HTTPBIN} | 80/http | ${EG}/httpbin rules[0] |`);
    expect(m.toTable({ maxWidth: 0 })).toContain(HTTPBIN);
  });

  test('inputs without a ServiceEntry served by a waypoint render as before (no external hosts)', () => {
    const objects = world().filter((o) => o.kind !== 'ServiceEntry');
    const m = matrixOf(objects);
    expect(m.toMermaid()).not.toContain('external hosts');
    expect(m.edges().every((e) => e.to.includes('/'))).toBe(true);
  });
});
