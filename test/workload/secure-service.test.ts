import { Chart, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane } from '../../src/mesh/data-plane';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { IngressGateway } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { Principal } from '../../src/mesh/principal';
import { PolicyException } from '../../src/policy/policy-exception';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService, SecureServiceProps } from '../../src/workload/secure-service';
import { findObject, inDays, ofKind, synthValidated } from '../helpers';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const IMAGE = `gcr.io/acme/app@${DIGEST}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];

function world(baseline = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', baseline);
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const svc = (id: string, props: Partial<SecureServiceProps> = {}) =>
    new SecureService(chart, id, { namespace: ns, image: IMAGE, ports: HTTP, ...props });
  return { chart, ns, svc };
}

const policyOf = (objects: any[], name: string, ns = 'shop') => findObject(objects, 'AuthorizationPolicy', name, ns);
const ingressOf = (objects: any[], name: string, ns = 'shop') => findObject(objects, 'NetworkPolicy', `${name}-ingress`, ns);

describe('SecureService', () => {
  describe('a workload that only calls (ports: [])', () => {
    function loadgen() {
      const { chart, ns, svc } = world();
      const web = svc('web');
      const gen = svc('loadgen', { ports: [] });
      web.allowFrom(gen, { ports: [9080], methods: ['GET'] });
      return { chart, ns, web, gen, objects: synthValidated(chart) };
    }

    test('its own identity and hardened pod, no Service, no DestinationRule, no container port', () => {
      const { objects, gen } = loadgen();
      expect(gen.callsOnly).toBe(true);
      expect(findObject(objects, 'ServiceAccount', 'loadgen', 'shop')).toBeDefined();
      const deployment = findObject(objects, 'Deployment', 'loadgen', 'shop');
      expect(deployment.spec.template.spec.serviceAccountName).toBe('loadgen');
      expect(deployment.spec.template.spec.containers[0].ports).toBeUndefined();
      expect(objects.filter((o) => ['Service', 'DestinationRule'].includes(o.kind) && o.metadata.name === 'loadgen')).toEqual([]);
    });

    test('no inbound at all: its AuthorizationPolicy and ingress NetworkPolicy admit nothing', () => {
      const { objects } = loadgen();
      expect(policyOf(objects, 'loadgen').spec).toEqual({ selector: { matchLabels: { app: 'loadgen' } }, action: 'ALLOW' });
      expect(ingressOf(objects, 'loadgen').spec).toEqual({ podSelector: { matchLabels: { app: 'loadgen' } }, policyTypes: ['Ingress'], ingress: [] });
    });

    test('egress only for its grants: the target admits its identity on the granted port, its own egress reaches only the target', () => {
      const { objects } = loadgen();
      expect(policyOf(objects, 'web').spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/loadgen'] } }],
        to: [{ operation: { ports: ['9080'], methods: ['GET'] } }],
      }]);
      const egress = findObject(objects, 'NetworkPolicy', 'loadgen-egress', 'shop');
      expect(egress.spec.egress).toEqual([{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } }],
        ports: [{ protocol: 'TCP', port: 9080 }],
      }]);
    });

    test('the access matrix: loadgen may call web; nothing may call loadgen', () => {
      const { objects } = loadgen();
      const matrix = AccessMatrix.fromManifests(objects);
      expect(matrix.check({ from: 'shop/loadgen', to: 'shop/web', port: 9080, method: 'GET', path: '/' }).allowed).toBe(true);
      expect(matrix.check({ from: 'shop/loadgen', to: 'shop/web', port: 9080, method: 'POST', path: '/' }).allowed).toBe(false);
      expect(matrix.check({ from: 'shop/web', to: 'shop/loadgen', port: 9080 }).allowed).toBe(false);
    });

    test('guards: granting it, or routing to it, is refused with a clear error', () => {
      const { web, gen, chart } = loadgen();
      expect(() => gen.allowFrom(web)).toThrow(/allowFrom: shop\/loadgen only calls \(ports: \[\]\): it accepts no traffic/);
      const gw = new IngressGateway(chart, 'edge', { hosts: ['shop.example.com'], tls: GatewayTls.simple('shop-tls') });
      expect(() => gw.route(gen, { host: 'shop.example.com' })).toThrow(/route.service: shop\/loadgen only calls \(ports: \[\]\)/);
    });
  });

  test('shape of an ungranted service', () => {
    const { chart, svc } = world();
    svc('cart', { workloadIdentity: 'cart-sa@acme-prod.iam.gserviceaccount.com' });
    expect(synthValidated(chart).filter((o) => o.metadata.name?.startsWith('cart'))).toMatchSnapshot();
  });

  test('closed until granted: the ALLOW policy has no rules and the NetworkPolicy admits nobody', () => {
    const { chart, svc } = world();
    svc('cart');
    const objects = synthValidated(chart);
    expect(policyOf(objects, 'cart').spec).toEqual({ action: 'ALLOW', selector: { matchLabels: { app: 'cart' } } });
    expect(ingressOf(objects, 'cart').spec.ingress).toEqual([]);
    expect(ofKind(objects, 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('cart-egress');
  });

  test('identity: dedicated ServiceAccount without token, SPIFFE principal, workload identity annotation (WI-1)', () => {
    const { chart, svc } = world({ trustDomain: 'acme.example' });
    const cart = svc('cart', { serviceAccountName: 'cart-runtime', workloadIdentity: 'cart-sa@acme-prod.iam.gserviceaccount.com' });
    const objects = synthValidated(chart);
    const sa = findObject(objects, 'ServiceAccount', 'cart-runtime', 'shop');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(sa.metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'cart-sa@acme-prod.iam.gserviceaccount.com' });
    expect(cart.peerPrincipal.principalIn('ignored')).toBe('acme.example/ns/shop/sa/cart-runtime');
    expect(findObject(objects, 'Deployment', 'cart', 'shop').spec.template.spec.serviceAccountName).toBe('cart-runtime');
  });

  test('POD-1: the pod cannot be weakened: non-root, read-only, no escalation, no capabilities, seccomp, no host namespaces', () => {
    const { chart, svc } = world();
    svc('cart');
    const pod = findObject(synthValidated(chart), 'Deployment', 'cart', 'shop').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.hostNetwork).toBe(false);
    expect(pod.hostPID).toBeUndefined();
    expect(pod.hostIPC).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers).toHaveLength(1);
    const sc = pod.containers[0].securityContext;
    expect(sc).toEqual({
      allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(JSON.stringify(pod)).not.toMatch(/NET_ADMIN|NET_RAW|"add"/);
    expect(pod.containers[0].resources.limits).toBeDefined();
    expect(pod.containers[0].resources.requests).toBeDefined();
  });

  test('Service: named ports with appProtocol; container ports match targetPort', () => {
    const { chart, svc } = world();
    svc('api', { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }, { name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }, { name: 'db', port: 5432, protocol: AppProtocol.TCP }] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Service', 'api', 'shop').spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' },
      { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'db', port: 5432, targetPort: 5432, protocol: 'TCP', appProtocol: 'tcp' },
    ]);
    expect(findObject(objects, 'Deployment', 'api', 'shop').spec.template.spec.containers[0].ports.map((p: any) => p.containerPort)).toEqual([8080, 9090, 5432]);
  });

  test('MTLS-1: DestinationRule ISTIO_MUTUAL for the service host', () => {
    const { chart, svc } = world();
    svc('cart');
    expect(findObject(synthValidated(chart), 'DestinationRule', 'cart', 'shop').spec).toEqual({
      host: 'cart.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
    });
  });

  describe('allowFrom', () => {
    test('the only ALLOW rule names the caller principal on the container port, path and method (AUTHZ-2, AUTHZ-3)', () => {
      const { chart, svc } = world();
      const reviews = svc('reviews');
      const ratings = svc('ratings');
      const grant = ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
      const objects = synthValidated(chart);
      expect(policyOf(objects, 'ratings').spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/reviews'] } }],
        to: [{ operation: { ports: ['9080'], methods: ['GET'], paths: ['/ratings/*'] } }],
      }]);
      expect(grant.toString()).toBe('cluster.local/ns/shop/sa/reviews -> shop/ratings:9080 GET /ratings/*');
      expect(grant.objects).toEqual(['AuthorizationPolicy/shop/ratings', 'NetworkPolicy/shop/ratings-ingress', 'NetworkPolicy/shop/reviews-egress']);
      expect(JSON.stringify(policyOf(objects, 'ratings'))).not.toMatch(/"\*"|notPaths|notMethods|notPrincipals|namespaces|ipBlocks/);
    });

    test('AUTHZ-4: NetworkPolicy admits only the caller pods on the container port, and the caller may only egress there', () => {
      const { chart, svc } = world();
      const reviews = svc('reviews');
      const ratings = svc('ratings');
      svc('details');
      ratings.allowFrom(reviews);
      const objects = synthValidated(chart);
      const callerPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'reviews' } } };
      expect(ingressOf(objects, 'ratings').spec).toEqual({
        podSelector: { matchLabels: { app: 'ratings' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [callerPeer], ports: [{ protocol: 'TCP', port: 9080 }] }],
      });
      expect(findObject(objects, 'NetworkPolicy', 'reviews-egress', 'shop').spec).toEqual({
        podSelector: { matchLabels: { app: 'reviews' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'ratings' } } }], ports: [{ protocol: 'TCP', port: 9080 }] }],
      });
      expect(ingressOf(objects, 'details').spec.ingress).toEqual([]);
    });

    test('policies use container ports, not Service ports', () => {
      const { chart, svc } = world();
      const web = svc('web');
      const api = svc('api', { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }] });
      const grant = api.allowFrom(web, { ports: [80] });
      const objects = synthValidated(chart);
      expect(grant.targetPorts).toEqual([8080]);
      expect(policyOf(objects, 'api').spec.rules[0].to[0].operation.ports).toEqual(['8080']);
      expect(ingressOf(objects, 'api').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
      expect(JSON.stringify([policyOf(objects, 'api'), ingressOf(objects, 'api')])).not.toMatch(/\b80\b(?!80)/);
    });

    test('default: every port of the target', () => {
      const { chart, svc } = world();
      const a = svc('a');
      const b = svc('b', { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }, { name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }] });
      expect(b.allowFrom(a).targetPorts).toEqual([8080, 9090]);
      synthValidated(chart);
    });

    test('idempotent: the same grant twice is one rule and the same AccessGrant', () => {
      const { chart, svc } = world();
      const a = svc('a');
      const b = svc('b');
      const first = b.allowFrom(a, { methods: ['GET', 'GET'] });
      expect(b.allowFrom(a, { methods: ['GET'] })).toBe(first);
      const objects = synthValidated(chart);
      expect(policyOf(objects, 'b').spec.rules).toHaveLength(1);
      expect(b.accessGrants).toEqual([first]);
    });

    test('cross-namespace: caller namespace sidecar sees the target host; peers name the namespace', () => {
      const { chart, ns: shop, svc } = world();
      const payments = new HardenedNamespace(chart, 'payments', { name: 'payments' });
      const ledger = new SecureService(chart, 'ledger', { namespace: payments, image: IMAGE, ports: HTTP });
      const cart = svc('cart');
      const grant = ledger.allowFrom(cart, { methods: ['POST'], paths: ['/ledger/entries'] });
      expect(grant.objects).toContain('Sidecar/shop/default');
      const objects = synthValidated(chart);
      expect(findObject(objects, 'Sidecar', 'default', 'shop').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*', 'payments/ledger.payments.svc.cluster.local']);
      expect(findObject(objects, 'Sidecar', 'default', 'payments').spec.egress[0].hosts).toEqual(['./*', 'istio-system/*']);
      expect(ingressOf(objects, 'ledger', 'payments').spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('shop');
      expect(shop.name).toBe('shop');
    });

    test('an explicit Principal caller: identity at L7, its namespace at L3/L4, no egress side', () => {
      const { chart, svc } = world();
      const cart = svc('cart');
      const grant = cart.allowFrom(Principal.serviceAccount('batch', 'nightly-report'), { ports: [9080], methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(policyOf(objects, 'cart').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/batch/sa/nightly-report']);
      expect(ingressOf(objects, 'cart').spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } }]);
      expect(grant.objects).toEqual(['AuthorizationPolicy/shop/cart', 'NetworkPolicy/shop/cart-ingress']);
    });

    test('gRPC methods can be granted per method', () => {
      const { chart, svc } = world();
      const a = svc('a');
      const b = svc('b', { ports: [{ name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }] });
      b.allowFrom(a, { paths: ['/acme.Inventory/Reserve'] });
      expect(policyOf(synthValidated(chart), 'b').spec.rules[0].to[0].operation.paths).toEqual(['/acme.Inventory/Reserve']);
      expect(() => b.allowFrom(a, { paths: ['/inventory/items/*'] })).toThrow(/gRPC method "\/inventory\/items\/\*" must look like/);
    });

    test('fromAttributes: grant to a service of another repo opens only our egress side', () => {
      const { chart, svc } = world();
      const cart = svc('cart');
      const ext = SecureService.fromAttributes(chart, 'search', { namespace: 'search', name: 'search', ports: HTTP, serviceAccountName: 'search-api' });
      const grant = ext.allowFrom(cart, { methods: ['GET'], paths: ['/search'] });
      expect(grant.target).toBe('search/search');
      expect(grant.objects).toEqual(['NetworkPolicy/shop/cart-egress', 'Sidecar/shop/default']);
      const objects = synthValidated(chart);
      expect(ofKind(objects, 'AuthorizationPolicy', 'search')).toEqual([]);
      expect(findObject(objects, 'NetworkPolicy', 'cart-egress', 'shop').spec.egress[0].to[0].podSelector.matchLabels).toEqual({ app: 'search' });
      expect(ext.peerPrincipal.principalIn('x')).toBe('cluster.local/ns/search/sa/search-api');
    });

    test('fromAttributes: a workload of another repo that only calls (ports: []) is a caller, never a target', () => {
      const { chart, svc } = world();
      const cart = svc('cart');
      const probe = SecureService.fromAttributes(chart, 'probe', { namespace: 'probes', name: 'probe', ports: [] });
      cart.allowFrom(probe, { methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(policyOf(objects, 'cart').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/probes/sa/probe']);
      expect(() => probe.allowFrom(cart)).toThrow(/\[test\/probe\] allowFrom: probes\/probe only calls \(ports: \[\]\): nothing can call it/);
    });

    test('fromAttributes: a data plane that is not its namespace\'s (defined in this app) fails synthesis', () => {
      const { chart, svc } = world();
      const cart = svc('cart');
      cart.allowFrom(SecureService.fromAttributes(chart, 'peer', { namespace: 'shop', name: 'peer', ports: HTTP, dataPlane: DataPlane.AMBIENT }));
      expect(() => Testing.synth(chart)).toThrow(/\[test\/peer\] dataPlane: shop\/peer is declared ambient, but its namespace \(test\/shop\) is sidecar\. Declare dataPlane: DataPlane\.SIDECAR/);
    });

    test('fromAttributes: grant from a service of another repo', () => {
      const { chart, svc } = world();
      const cart = svc('cart');
      const ext = SecureService.fromAttributes(chart, 'frontend', { namespace: 'web', name: 'frontend', ports: HTTP, podLabels: { 'app.kubernetes.io/name': 'frontend' } });
      cart.allowFrom(ext, { methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(policyOf(objects, 'cart').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/web/sa/frontend']);
      expect(ingressOf(objects, 'cart').spec.ingress[0].from[0].podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'frontend' });
    });
  });

  describe('SECRET-1: sensitive data', () => {
    test('secretStore mounts a SecretProviderClass read-only through the Secrets Store CSI driver', () => {
      const { chart, svc } = world();
      svc('ledger', { secretStore: { secretProviderClass: 'ledger-db', mountPath: '/mnt/secrets' } });
      const pod = findObject(synthValidated(chart), 'Deployment', 'ledger', 'shop').spec.template.spec;
      expect(pod.volumes).toEqual([{ name: 'secret-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'ledger-db' } } }]);
      expect(pod.containers[0].volumeMounts).toEqual([{ name: 'secret-store', mountPath: '/mnt/secrets', readOnly: true }]);
      expect(JSON.stringify(pod)).not.toMatch(/secretKeyRef|secretName/);
    });

    test('secretStore guards', () => {
      const { svc } = world();
      expect(() => svc('a', { secretStore: { secretProviderClass: 'Bad_Name', mountPath: '/mnt' } })).toThrow(/secretStore.secretProviderClass/);
      expect(() => svc('b', { secretStore: { secretProviderClass: 'db', mountPath: 'relative' } })).toThrow(/secretStore.mountPath: "relative" is not an absolute path/);
    });

    test('a Kubernetes Secret patched into a sensitive-data namespace fails synthesis (SECRET-K8S-001)', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const vault = new HardenedNamespace(chart, 'vault', { name: 'vault', sensitiveData: true });
      const ledger = new SecureService(chart, 'ledger', { namespace: vault, image: IMAGE, ports: HTTP });
      ledger.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/env', [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }]));
      expect(() => Testing.synth(chart)).toThrow(/SECRET-K8S-001 \(SECRET-1\): \[test\/ledger\/Deployment\] Deployment\/vault\/ledger/);
    });

    test('callers from other namespaces must be named services, not whole namespaces', () => {
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh');
      const vault = new HardenedNamespace(chart, 'vault', { name: 'vault', sensitiveData: true });
      const ledger = new SecureService(chart, 'ledger', { namespace: vault, image: IMAGE, ports: HTTP });
      expect(() => ledger.allowFrom(Principal.serviceAccount('batch', 'job'))).toThrow(/allowFrom.caller: .* would admit every pod of namespace batch at L3\/L4 into a sensitive-data namespace \(SECRET-1\)/);
      const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const cart = new SecureService(chart, 'cart', { namespace: shop, image: IMAGE, ports: HTTP });
      expect(() => ledger.allowFrom(cart, { methods: ['POST'] })).not.toThrow();
      synthValidated(chart);
    });
  });

  describe('requireJwt (JWT-1)', () => {
    const jwt = { issuer: 'https://auth.acme.example', jwksUri: 'https://auth.acme.example/.well-known/jwks.json', audiences: ['cart'] };

    test('RequestAuthentication validates tokens, never forwards them, and every ALLOW rule requires a request principal', () => {
      const { chart, svc } = world();
      const web = svc('web');
      const cart = svc('cart');
      cart.allowFrom(web, { methods: ['GET'] });
      cart.requireJwt(jwt);
      cart.allowFrom(Principal.serviceAccount('batch', 'job'));
      const objects = synthValidated(chart);
      expect(findObject(objects, 'RequestAuthentication', 'cart-jwt', 'shop').spec).toEqual({
        selector: { matchLabels: { app: 'cart' } },
        jwtRules: [{ issuer: jwt.issuer, jwksUri: jwt.jwksUri, audiences: ['cart'], forwardOriginalToken: false }],
      });
      const rules = policyOf(objects, 'cart').spec.rules;
      expect(rules).toHaveLength(2);
      // A request without a token has no request principal, so it matches no ALLOW rule: denied.
      for (const rule of rules) expect(rule.from[0].source.requestPrincipals).toEqual(['https://auth.acme.example/*']);
      // And nothing else on the workload allows it.
      expect(ofKind(objects, 'AuthorizationPolicy', 'shop').filter((p) => p.spec.rules && p.metadata.name !== 'cart'
        && p.spec.selector?.matchLabels?.app === 'cart')).toEqual([]);
    });

    test('guards', () => {
      const { svc } = world();
      const cart = svc('cart');
      expect(() => cart.requireJwt({ ...jwt, jwksUri: 'http://auth.acme.example/jwks' })).toThrow(/\[test\/cart\] requireJwt.jwksUri: "http:\/\/auth.acme.example\/jwks" is not an https URL/);
      expect(() => cart.requireJwt({ ...jwt, audiences: [] })).toThrow(/requireJwt.audiences: at least one non-empty audience/);
      // From JavaScript (or another jsii language) the required field can be missing: still a clear error.
      expect(() => cart.requireJwt({ ...jwt, audiences: undefined as any })).toThrow(/requireJwt.audiences: at least one non-empty audience/);
      expect(() => cart.requireJwt({ ...jwt, issuer: '' })).toThrow(/requireJwt.issuer/);
      cart.requireJwt(jwt);
      expect(() => cart.requireJwt(jwt)).toThrow(/already required/);
    });
  });

  describe('sidecar bypass knobs (EXC-1): only through a PolicyException, with a compensating control', () => {
    const justification = 'The batch importer talks to the legacy database that lives outside the mesh until Q2.';
    const exception = (scope: any, rules: string[], objects = [`Deployment/shop/${scope.node.id}`], ports?: number[]) =>
      new PolicyException(scope, `ex-${rules.join('-').toLowerCase()}`, { rules, justification, owner: 'team-data', expires: inDays(scope, 60), objects, ports });

    test('excludeInboundPorts: annotation, namespace-only NetworkPolicy, stamped exception', () => {
      const { chart, svc } = world();
      const web = svc('web');
      const metrics = svc('metrics', { ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }, { name: 'prom', port: 9090, protocol: AppProtocol.HTTP }] });
      metrics.excludeInboundPorts([9090], { exception: exception(metrics, ['MESH-EXC-001'], undefined, [9090]), from: [web] });
      const objects = synthValidated(chart);
      const deployment = findObject(objects, 'Deployment', 'metrics', 'shop');
      expect(deployment.spec.template.metadata.annotations).toEqual({ 'traffic.sidecar.istio.io/excludeInboundPorts': '9090' });
      expect(deployment.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/exceptions': `MESH-EXC-001@${inDays(chart, 60)}` });
      expect(findObject(objects, 'NetworkPolicy', 'metrics-bypass-inbound', 'shop').spec.ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } }],
        ports: [{ protocol: 'TCP', port: 9090 }],
      }]);
    });

    test('excludeOutboundIpRanges: annotation and an egress NetworkPolicy to those ranges on those ports only', () => {
      const { chart, svc } = world();
      const importer = svc('importer');
      importer.excludeOutboundIpRanges(['10.20.0.5/32'], { exception: exception(importer, ['MESH-EXC-001'], undefined, [5432]), ports: [5432] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'Deployment', 'importer', 'shop').spec.template.metadata.annotations)
        .toEqual({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.20.0.5/32' });
      expect(findObject(objects, 'NetworkPolicy', 'importer-bypass-outbound', 'shop').spec.egress).toEqual([
        { to: [{ ipBlock: { cidr: '10.20.0.5/32' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      ]);
    });

    test('a tag-only image with an exception for IMG-DIGEST-001 (the registry list still applies)', () => {
      const { chart, svc } = world({ allowedRegistries: ['gcr.io/acme'] });
      const ex = new PolicyException(chart, 'legacy-image', {
        rules: ['IMG-DIGEST-001'], justification, owner: 'team-data', expires: inDays(chart, 60), objects: ['Deployment/shop/legacy'],
      });
      svc('legacy', { image: 'gcr.io/acme/legacy:1.4', imageException: ex });
      const deployment = findObject(synthValidated(chart), 'Deployment', 'legacy', 'shop');
      expect(deployment.spec.template.spec.containers[0].image).toBe('gcr.io/acme/legacy:1.4');
      expect(deployment.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/exceptions': `IMG-DIGEST-001@${inDays(chart, 60)}` });
      expect(() => svc('evil', { image: 'docker.io/evil/app:1', imageException: ex })).toThrow(/not from an allowed registry/);
    });

    test('an image exception that does not cover the Deployment still fails synthesis', () => {
      const { chart, svc } = world();
      const ex = new PolicyException(chart, 'other-image', {
        rules: ['IMG-DIGEST-001'], justification, owner: 'team-data', expires: inDays(chart, 60), objects: ['Deployment/shop/other'],
      });
      svc('legacy', { image: 'gcr.io/acme/legacy:1.4', imageException: ex });
      expect(() => Testing.synth(chart)).toThrow(/IMG-DIGEST-001 \(IMG-1\): \[test\/legacy\/Deployment\] Deployment\/shop\/legacy/);
    });

    test('without the right exception the knobs refuse to run', () => {
      const { svc, chart } = world();
      const a = svc('a');
      const wrong = exception(chart, ['IMG-DIGEST-001']);
      expect(() => a.excludeInboundPorts([9080], { exception: undefined as any })).toThrow(/excludeInboundPorts.exception: a PolicyException for MESH-EXC-001 is required/);
      expect(() => a.excludeInboundPorts([9080], { exception: wrong })).toThrow(/does not relax MESH-EXC-001 \(it relaxes IMG-DIGEST-001\)/);
      expect(() => a.allowPlaintextPort(9080, { exception: exception(a, ['MESH-MTLS-002']) })).toThrow(/does not relax MESH-AUTHZ-004/);
      expect(() => svc('b', { image: 'gcr.io/acme/b:1', imageException: wrong })).not.toThrow();
    });

    test('guards: ports the service does not have, bad CIDRs, missing ports', () => {
      const { svc } = world();
      const a = svc('a');
      const ex = exception(a, ['MESH-EXC-001']);
      expect(() => a.excludeInboundPorts([7070], { exception: ex })).toThrow(/excludeInboundPorts: 7070 is not a container port of a\. Use one of 9080/);
      expect(() => a.excludeInboundPorts([], { exception: ex })).toThrow(/no port/);
      expect(() => a.excludeOutboundIpRanges(['0.0.0.0/0'], { exception: ex, ports: [443] })).toThrow(/is not a CIDR of at most a \/8/);
      expect(() => a.excludeOutboundIpRanges(['10.0.0.1'], { exception: ex, ports: [443] })).toThrow(/not a CIDR/);
      expect(() => a.excludeOutboundIpRanges(['10.0.0.1/32'], { exception: ex, ports: [] })).toThrow(/excludeOutboundIpRanges.ports: no port/);
      expect(() => a.excludeOutboundIpRanges(['10.0.0.1/32'], { exception: ex, ports: [0] })).toThrow(/0 is not a port/);
    });
  });

  describe('guards (bad input fails synthesis with path, field and fix)', () => {
    test.each([
      ['upper case name', { name: 'Cart' }, /\[test\/bad\] name: "Cart"/],
      ['name starting with a digit', { name: '9cart' }, /start with an alphabetic/],
      ['name over 63 characters', { name: 'c'.repeat(64) }, /no more than 63/],
      ['leading dash', { name: '-cart' }, /name: "-cart"/],
      ['port 0', { ports: [{ name: 'http', port: 0, protocol: AppProtocol.HTTP }] }, /ports: ports\[0\]\.port 0 is outside 1-65535/],
      ['port 70000', { ports: [{ name: 'http', port: 70000, protocol: AppProtocol.HTTP }] }, /70000 is outside/],
      ['target port out of range', { ports: [{ name: 'http', port: 80, targetPort: 65536, protocol: AppProtocol.HTTP }] }, /targetPort 65536/],
      ['duplicate port names', { ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }, { name: 'http', port: 81, protocol: AppProtocol.HTTP }] }, /duplicate port name http/],
      ['duplicate port numbers', { ports: [{ name: 'a', port: 80, protocol: AppProtocol.HTTP }, { name: 'b', port: 80, protocol: AppProtocol.HTTP }] }, /duplicate port 80/],
      ['unknown protocol', { ports: [{ name: 'a', port: 80, protocol: 'quic' as AppProtocol }] }, /protocol "quic" is not one of/],
      ['tag-only image', { image: 'gcr.io/acme/app:latest' }, /\[test\/bad\] image: image "gcr.io\/acme\/app:latest" is not pinned by digest.*Pin the image by digest/],
      ['registry not allowed', { image: `docker.io/evil/app@${DIGEST}` }, /not from an allowed registry \(gcr.io\/acme\)/],
      ['replicas', { replicas: 0 }, /replicas: 0 is not a positive integer/],
      ['workload identity', { workloadIdentity: 'not-an-email' }, /workloadIdentity: "not-an-email" is not a Google service account email/],
    ])('%s', (_what, props, error) => {
      const { svc } = world({ allowedRegistries: ['gcr.io/acme'] });
      expect(() => svc('bad', props as Partial<SecureServiceProps>)).toThrow(error);
    });

    test('two services with the same name in a namespace', () => {
      const { svc } = world();
      svc('cart');
      expect(() => svc('cart2', { name: 'cart' })).toThrow(/\[test\/cart2\] name: workload "shop\/cart" is already defined at test\/cart/);
    });

    test.each([
      ['a port the target does not expose', { ports: [8080] }, /allowFrom.ports: shop\/b does not expose port 8080.*Grant one of its Service ports: 9080 \(http\)/],
      ['an un-normalized path', { paths: ['/a/../admin'] }, /must not contain "\." or "\.\." segments/],
      ['a double slash', { paths: ['//admin'] }, /must not contain "\/\/"/],
      ['percent-encoding', { paths: ['/a%2Fb'] }, /percent-encoding/],
      ['a relative path', { paths: ['admin'] }, /must be absolute/],
      ['a query', { paths: ['/a?x=1'] }, /"\?" or "#"/],
      ['a lower-case method', { methods: ['get'] }, /did you mean "GET"/],
      ['an empty paths list', { paths: [] }, /allowFrom.paths: an empty paths list grants nothing/],
    ])('allowFrom rejects %s', (_what, options, error) => {
      const { svc } = world();
      const a = svc('a');
      const b = svc('b');
      expect(() => b.allowFrom(a, options as any)).toThrow(error);
    });

    test('a caller without an identity is refused', () => {
      const { svc, chart } = world();
      const b = svc('b');
      expect(() => b.allowFrom({ peerNamespace: 'x' } as any)).toThrow(/\[test\/b\] allowFrom.caller: the caller has no mesh identity/);
      const ext = SecureService.fromAttributes(chart, 'ext', { namespace: 'x', name: 'ext', ports: HTTP });
      expect(() => ext.allowFrom(null as any)).toThrow(/no mesh identity/);
    });

    test('paths or methods on a TCP port would never match: error', () => {
      const { svc } = world();
      const a = svc('a');
      const db = svc('db', { ports: [{ name: 'pg', port: 5432, protocol: AppProtocol.TCP }] });
      expect(() => db.allowFrom(a, { methods: ['GET'] })).toThrow(/paths\/methods on tcp port 5432 would never match/);
      expect(db.allowFrom(a).targetPorts).toEqual([5432]);
    });

    test.each([['*'], [''], ['Team']])('a caller principal "%s" is refused', (ns) => {
      expect(() => Principal.serviceAccount(ns, 'sa')).toThrow(/Principal/);
    });
  });

  test('property (AUTHZ-4): for any call graph, L7 principals and L3/L4 peers name exactly the granted callers', () => {
    const names = ['s0', 's1', 's2', 's3'];
    const edge = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }));
    fc.assert(fc.property(fc.array(edge, { maxLength: 8 }), (edges) => {
      const chart = new Chart(Testing.app(), 'c');
      new MeshBaseline(chart, 'mesh');
      const ns = new HardenedNamespace(chart, 'ns', { name: 'g' });
      const services = names.map((n) => new SecureService(chart, n, { namespace: ns, image: IMAGE, ports: HTTP }));
      for (const [from, to] of edges) services[to].allowFrom(services[from], { methods: ['GET'] });
      const objects = synthValidated(chart);
      names.forEach((target, t) => {
        const callers = [...new Set(edges.filter(([, to]) => to === t).map(([from]) => names[from]))].sort();
        const rules = findObject(objects, 'AuthorizationPolicy', target, 'g').spec.rules ?? [];
        expect(rules.map((r: any) => r.from[0].source.principals[0].split('/sa/')[1]).sort()).toEqual(callers);
        const peers = findObject(objects, 'NetworkPolicy', `${target}-ingress`, 'g').spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels.app).sort();
        expect(peers).toEqual(callers);
      });
    }), { numRuns: 25 });
  });
});
