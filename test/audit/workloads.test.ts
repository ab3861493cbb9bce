import {
  capturesInbound, capturesOutbound, discoverWorkloads, labelsSubset, namespacesOf, principalOf, protocolOfServicePort, refOf,
} from '../../src/audit/workloads';

const OPTS = { trustDomain: 'cluster.local', rootNamespace: 'istio-system', declared: [], inferGateways: true };

interface Extra { labels?: any; annotations?: any; sa?: string; ports?: any[]; kind?: string; apiVersion?: string }

function deployment(namespace: string, name: string, extra: Extra = {}): any {
  const template = {
    metadata: { labels: extra.labels ?? { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { ...(extra.sa ? { serviceAccountName: extra.sa } : {}), containers: [{ name: 'app', image: 'x', ports: extra.ports ?? [{ containerPort: 8080, name: 'http' }] }] },
  };
  return { apiVersion: extra.apiVersion ?? 'apps/v1', kind: extra.kind ?? 'Deployment', metadata: { name, namespace }, spec: { template } };
}

function service(namespace: string, name: string, selector: any, ports: any[]): any {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector, ports } };
}

describe('workload discovery', () => {
  test('pod templates of every controller kind and bare Pods; identity from the service account and trust domain', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
      deployment('shop', 'web', { sa: 'web-sa' }),
      deployment('shop', 'db', { kind: 'StatefulSet' }),
      deployment('shop', 'agent', { kind: 'DaemonSet' }),
      deployment('shop', 'rs', { kind: 'ReplicaSet' }),
      deployment('shop', 'job', { kind: 'Job', apiVersion: 'batch/v1' }),
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'nightly' } }, spec: { containers: [] } } } } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'shop', labels: { app: 'debug' } }, spec: { serviceAccount: 'legacy', containers: [{ name: 'c', ports: [{ containerPort: 9000 }, { containerPort: 53, protocol: 'UDP' }] }] } },
      { apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'old', namespace: 'shop' }, spec: {} },
    ];
    const { workloads } = discoverWorkloads(objects, { ...OPTS, trustDomain: 'example.org' });
    expect(workloads.map((w) => [w.id, w.kind, w.serviceAccount, w.principal])).toEqual([
      ['shop/agent', 'DaemonSet', 'default', 'example.org/ns/shop/sa/default'],
      ['shop/db', 'StatefulSet', 'default', 'example.org/ns/shop/sa/default'],
      ['shop/debug', 'Pod', 'legacy', 'example.org/ns/shop/sa/legacy'],
      ['shop/job', 'Job', 'default', 'example.org/ns/shop/sa/default'],
      ['shop/nightly', 'CronJob', 'default', 'example.org/ns/shop/sa/default'],
      ['shop/rs', 'ReplicaSet', 'default', 'example.org/ns/shop/sa/default'],
      ['shop/web', 'Deployment', 'web-sa', 'example.org/ns/shop/sa/web-sa'],
    ]);
    // UDP ports are not TCP targets.
    expect(workloads.find((w) => w.id === 'shop/debug')!.ports.map((p) => p.port)).toEqual([9000]);
  });

  test('Services give ports their protocol (appProtocol, then the name prefix) and map named targetPorts', () => {
    const objects = [
      deployment('shop', 'web', { ports: [{ containerPort: 8080, name: 'web' }, { containerPort: 9090 }, { containerPort: 5432 }] }),
      service('shop', 'web', { app: 'web' }, [{ port: 80, targetPort: 'web', name: 'http-web' }, { port: 9090, appProtocol: 'grpc' }, { port: 5432, name: 'tcp-pg' }, { port: 1, targetPort: 'nope' }]),
      service('shop', 'web-tls', { app: 'web' }, [{ port: 443, targetPort: 8080, name: 'https' }]),
      service('shop', 'headless', undefined, [{ port: 1 }]),
    ];
    const { workloads, warnings } = discoverWorkloads(objects, OPTS);
    expect(workloads[0].ports).toEqual([
      { port: 5432, name: undefined, protocol: 'tcp', services: ['shop/web:5432'] },
      { port: 8080, name: 'web', protocol: 'auto', services: ['shop/web-tls:443', 'shop/web:80'] },
      { port: 9090, name: undefined, protocol: 'grpc', services: ['shop/web:9090'] },
    ]);
    expect(warnings).toEqual(['Service shop/web port 1: named targetPort "nope" matches no container port of shop/web']);
  });

  test.each([
    ['http', undefined, 'http'], ['http-api', undefined, 'http'], ['grpc-web', undefined, 'http'], ['http2', undefined, 'http'],
    ['https', undefined, 'tcp'], ['tls-x', undefined, 'tcp'], ['mongo', undefined, 'tcp'], ['web', undefined, 'auto'],
    [undefined, 'kubernetes.io/h2c', 'http'], ['tcp', 'http', 'http'], [undefined, 'custom', 'auto'],
    // gRPC: by appProtocol or by name (`grpc`, `grpc-<suffix>`); a name starting with grpc-web is gRPC-Web (HTTP).
    [undefined, 'grpc', 'grpc'], ['grpc', undefined, 'grpc'], ['grpc-api', undefined, 'grpc'], ['GRPC', undefined, 'grpc'],
    ['grpc-webapp', undefined, 'http'], ['http', 'grpc', 'grpc'], [undefined, 'grpc-web', 'http'],
  ])('protocol of Service port name %s, appProtocol %s: %s', (name, appProtocol, expected) => {
    expect(protocolOfServicePort(name, appProtocol)).toBe(expected);
  });

  test('sidecar: pod label/annotation, namespace labels, or assumed when the namespace is not in the input', () => {
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'on', labels: { 'istio-injection': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rev', labels: { 'istio.io/rev': 'canary' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'off', labels: { 'istio-injection': 'disabled' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
      deployment('on', 'a'),
      deployment('on', 'opt-out', { labels: { 'app': 'x', 'sidecar.istio.io/inject': 'false' } }),
      deployment('rev', 'b'),
      deployment('off', 'c', { labels: { 'app': 'c', 'sidecar.istio.io/inject': 'true' } }),
      deployment('plain', 'd'),
      deployment('plain', 'opt-in', { annotations: { 'sidecar.istio.io/inject': 'true' } }),
      deployment('elsewhere', 'e'),
      deployment('elsewhere', 'f', { labels: { 'sidecar.istio.io/inject': 'true' } }),
    ];
    const { workloads } = discoverWorkloads(objects, OPTS);
    expect(Object.fromEntries(workloads.map((w) => [w.id, [w.sidecar, w.sidecarReason]]))).toEqual({
      'elsewhere/e': [true, 'assumed: namespace elsewhere is not in the input'],
      'elsewhere/f': [true, 'sidecar.istio.io/inject: "true"'],
      'off/c': [false, 'namespace off has istio-injection=disabled'],
      'on/a': [true, 'namespace on has istio-injection=enabled'],
      'on/opt-out': [false, 'sidecar.istio.io/inject: "false"'],
      'plain/d': [false, 'namespace plain is not labelled for injection'],
      'plain/opt-in': [true, 'sidecar.istio.io/inject: "true"'],
      'rev/b': [true, 'namespace rev has istio.io/rev'],
    });
  });

  test('sidecar capture annotations: ports that bypass the proxy', () => {
    const { workloads } = discoverWorkloads([
      deployment('x', 'a', { annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '9000, 9001', 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432', 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' } }),
      deployment('x', 'b', { annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '8080' } }),
      deployment('x', 'c', { annotations: { 'traffic.sidecar.istio.io/includeInboundPorts': '*' } }),
    ], OPTS);
    const [a, b, c] = workloads;
    expect([capturesInbound(a, 9000), capturesInbound(a, 8080), capturesOutbound(a, 5432), capturesOutbound(a, 80), a.excludesOutboundIpRanges])
      .toEqual([false, true, false, true, true]);
    expect([capturesInbound(b, 8080), capturesInbound(b, 9000)]).toEqual([true, false]);
    expect(c.includeInboundPorts).toBeUndefined();
  });

  test('declared workloads; gateways inferred from Gateway selectors no workload carries; policy ports when none is known', () => {
    const objects = [
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'istio-system' }, spec: { selector: { istio: 'ingressgateway' } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'out', namespace: 'istio-system' }, spec: { selector: { istio: 'egressgateway' } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'app', namespace: 'gw' }, spec: { selector: { app: 'my-gateway' } } },
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'none', namespace: 'gw' }, spec: {} },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'gw-in', namespace: 'istio-system' }, spec: { podSelector: { matchLabels: { istio: 'ingressgateway' } }, ingress: [{ ports: [{ port: 8443 }, { port: 'https' }, { port: 53, protocol: 'UDP' }] }] } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'expr', namespace: 'istio-system' }, spec: { podSelector: { matchExpressions: [] }, ingress: [{ ports: [{ port: 1 }] }] } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'gw', namespace: 'istio-system' }, spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, rules: [{ to: [{ operation: { ports: ['8080', 'x'] } }], when: [{ key: 'destination.port', values: ['9443'] }] }] } },
    ];
    const declared = [{ name: 'istio-egressgateway', namespace: 'istio-system', serviceAccount: 'egress-sa', labels: { istio: 'egressgateway' }, ports: [8443] }];
    const { workloads, warnings } = discoverWorkloads(objects, { ...OPTS, declared });
    expect(workloads.map((w) => [w.id, w.serviceAccount, w.origin, w.ports.map((p) => p.port)])).toEqual([
      ['gw/my-gateway', 'my-gateway', 'inferred', []],
      ['istio-system/istio-egressgateway', 'egress-sa', 'declared', [8443]],
      ['istio-system/istio-ingressgateway', 'istio-ingressgateway-service-account', 'inferred', [8080, 8443, 9443]],
    ]);
    expect(warnings).toEqual([
      'inferred gateway workload gw/my-gateway (service account my-gateway) from the selector of Gateway/gw/app; declare it to be exact',
      'inferred gateway workload istio-system/istio-ingressgateway (service account istio-ingressgateway-service-account) from the selector of Gateway/istio-system/edge; declare it to be exact',
    ]);
    expect(discoverWorkloads(objects, { ...OPTS, inferGateways: false }).workloads).toEqual([]);
    // Istio's own gateway serves a Gateway of any namespace: it is inferred in the root namespace, with the chart's labels.
    const elsewhere = discoverWorkloads([
      { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'shop', namespace: 'foo' }, spec: { selector: { istio: 'ingressgateway' } } },
    ], OPTS).workloads;
    expect(elsewhere.map((w) => [w.id, w.serviceAccount, w.labels])).toEqual([
      ['istio-system/istio-ingressgateway', 'istio-ingressgateway-service-account', { app: 'istio-ingressgateway', istio: 'ingressgateway' }],
    ]);
    const noSidecar = discoverWorkloads([], { ...OPTS, declared: [{ name: 'vm', namespace: 'legacy', sidecar: false }] }).workloads[0];
    expect([noSidecar.serviceAccount, noSidecar.sidecar, noSidecar.sidecarReason]).toEqual(['default', false, 'declared without a proxy']);
  });

  test('two kinds with one name get kind-qualified ids; an exact duplicate is reported and dropped', () => {
    const { workloads, warnings } = discoverWorkloads([
      deployment('x', 'a'), deployment('x', 'a', { kind: 'StatefulSet' }), deployment('x', 'b'), deployment('x', 'b'),
    ], OPTS);
    expect(workloads.map((w) => w.id)).toEqual(['x/deployment/a', 'x/deployment/b', 'x/statefulset/a']);
    expect(warnings).toEqual(['two workloads are both x/deployment/b; the second is ignored']);
  });

  test('helpers', () => {
    expect(principalOf('td', 'ns', 'sa')).toBe('td/ns/ns/sa/sa');
    expect(labelsSubset({ a: '1' }, { a: '1', b: '2' })).toBe(true);
    expect(labelsSubset({ a: '1', c: '3' }, { a: '1' })).toBe(false);
    expect(refOf({ kind: 'Service', metadata: { name: 'n' } })).toBe('Service/default/n');
    const namespaces = namespacesOf([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', labels: { team: 'x' } } }, { kind: 'Service', metadata: { name: 's', namespace: 'b' } }], ['c']);
    expect(Object.fromEntries(namespaces)).toEqual({
      a: { labels: { 'team': 'x', 'kubernetes.io/metadata.name': 'a' }, known: true },
      b: { labels: { 'kubernetes.io/metadata.name': 'b' }, known: false },
      c: { labels: { 'kubernetes.io/metadata.name': 'c' }, known: false },
    });
  });
});
