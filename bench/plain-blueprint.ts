import { ApiObject, App, Chart } from 'cdk8s';

/**
 * The benchmark's baseline: the blueprint of `blueprint.ts` written by hand as plain cdk8s, the way
 * a team without this library would write it: object literals in `ApiObject`s, no constructs of
 * ours, no checks. It builds every document during the measured run, as the library does, and
 * emits byte-identical YAML (test/bench/baseline.test.ts compares the two).
 */

const NAMESPACES = 50;
const IMAGE = `gcr.io/acme/app@sha256:${'c'.repeat(64)}`;
const CALLER_OFFSETS = [1, 7, 13];

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** The namespace Roles: app-deployer (`write`) and app-viewer (read-only). */
function roleRules(write: boolean): any[] {
  return [
    { apiGroups: [''], resources: ['pods'], verbs: write ? ['get', 'list', 'watch', 'delete'] : READ },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: READ },
    { apiGroups: [''], resources: ['configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'services'], verbs: write ? WRITE : READ },
    { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: write ? WRITE : READ },
    { apiGroups: ['apps'], resources: ['deployments/scale', 'replicasets/scale', 'statefulsets/scale'], verbs: write ? ['get', 'update', 'patch'] : ['get'] },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: write ? WRITE : READ },
    { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: write ? WRITE : READ },
    { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: write ? WRITE : READ },
    {
      apiGroups: ['networking.istio.io'],
      resources: ['destinationrules', 'envoyfilters', 'gateways', 'proxyconfigs', 'serviceentries', 'sidecars', 'virtualservices', 'workloadentries', 'workloadgroups'],
      verbs: READ,
    },
    { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies', 'peerauthentications', 'requestauthentications'], verbs: READ },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
  ];
}

interface Service { readonly name: string; readonly namespace: string }

/** Pods labelled `app: <service>` in the service's namespace, as a NetworkPolicy peer. */
function podsOf(s: Service): any {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.namespace } }, podSelector: { matchLabels: { app: s.name } } };
}

const byNamespaceThenName = (a: Service, b: Service) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Builds the blueprint of `services` services (each called by services i+1, i+7 and i+13) as plain ApiObjects. */
export function plainBlueprintApp(services: number): App {
  const app = new App({ outdir: '/tmp/cdk8s-secure-mesh-bench' });
  const chart = new Chart(app, 'bench', { disableResourceNameHashes: true });
  const add = (id: string, doc: any) => new ApiObject(chart, id, doc);
  const all: Service[] = Array.from({ length: services }, (_, i) => ({ name: `svc${i}`, namespace: `team-${i % NAMESPACES}` }));
  const callerIndexes = all.map((_, i) => [...new Set(CALLER_OFFSETS.map((o) => (i + o) % services))]);
  const callersOf = callerIndexes.map((indexes) => indexes.map((c) => all[c]));
  const calleesOf = all.map(() => [] as Service[]);
  callerIndexes.forEach((indexes, i) => indexes.forEach((c) => calleesOf[c].push(all[i])));
  for (const [i, callers] of callersOf.entries()) {
    if (callers.some((c) => c.namespace === all[i].namespace)) throw new Error('the baseline covers cross-namespace grants only');
  }

  // Mesh-wide defaults in istio-system.
  const root = { namespace: 'istio-system' };
  add('mesh-pa', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', ...root }, spec: { mtls: { mode: 'STRICT' } } });
  add('mesh-ap', { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', ...root }, spec: {} });
  add('mesh-sidecar', { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', ...root }, spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
  add('mesh-telemetry', {
    apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', ...root },
    spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
  });
  const registry = (namespace: string) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'secure-mesh-exceptions', namespace, labels: { 'secure-mesh.cdk8s.io/registry': 'exceptions' } },
  });
  add('mesh-exceptions', registry('istio-system'));
  add('mesh-istiod', {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'istiod-ingress', ...root },
    spec: {
      podSelector: { matchLabels: { app: 'istiod' } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }, { podSelector: {} }], ports: [{ port: 15012, protocol: 'TCP' }] },
        { ports: [{ port: 15017, protocol: 'TCP' }] },
      ],
    },
  });
  add('mesh-deny', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny-ingress', ...root }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });

  // The team namespaces: restricted pod security, STRICT mTLS, deny by default.
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = `team-${n}`;
    const meta = (name: string) => ({ name, namespace });
    const psa: Record<string, string> = {};
    for (const mode of ['audit', 'enforce', 'warn']) {
      psa[`pod-security.kubernetes.io/${mode}`] = 'restricted';
      psa[`pod-security.kubernetes.io/${mode}-version`] = 'v1.30';
    }
    add(`${namespace}-ns`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'istio-injection': 'enabled', ...psa } } });
    add(`${namespace}-pa`, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta('default'), spec: { mtls: { mode: 'STRICT' } } });
    add(`${namespace}-ap`, { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('allow-nothing'), spec: {} });
    add(`${namespace}-deny`, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    add(`${namespace}-dns`, {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        }],
      },
    });
    add(`${namespace}-istiod`, {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('allow-istiod'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
          ports: [{ port: 15012, protocol: 'TCP' }],
        }],
      },
    });
    const hosts = new Set<string>();
    all.forEach((s, i) => {
      if (s.namespace === namespace) calleesOf[i].forEach((t) => hosts.add(`${t.namespace}/${t.name}.${t.namespace}.svc.cluster.local`));
    });
    add(`${namespace}-sidecar`, {
      apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: meta('default'),
      spec: { egress: [{ hosts: ['./*', 'istio-system/*', ...[...hosts].sort()] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });
    add(`${namespace}-sa`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default'), automountServiceAccountToken: false });
    add(`${namespace}-deployer`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('app-deployer'), rules: roleRules(true) });
    add(`${namespace}-viewer`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('app-viewer'), rules: roleRules(false) });
    add(`${namespace}-exceptions`, registry(namespace));
  }

  // Each service: who may call it (L7 and L3/L4), its identity, a hardened Deployment and its disruption budget, the Service.
  all.forEach((s, i) => {
    const { name, namespace } = s;
    const meta = { name, namespace };
    const app = { app: name };
    const principals = callersOf[i].map((c) => `cluster.local/ns/${c.namespace}/sa/${c.name}`).sort();
    add(`${name}-ap`, {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta,
      spec: {
        selector: { matchLabels: app },
        action: 'ALLOW',
        rules: principals.map((p) => ({ from: [{ source: { principals: [p] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/api/*'] } }] })),
      },
    });
    const port = [{ port: 8080, protocol: 'TCP' }];
    add(`${name}-ingress`, {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${name}-ingress`, namespace },
      spec: { podSelector: { matchLabels: app }, policyTypes: ['Ingress'], ingress: [...callersOf[i]].sort(byNamespaceThenName).map((c) => ({ from: [podsOf(c)], ports: port })) },
    });
    add(`${name}-sa`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta, automountServiceAccountToken: false });
    add(`${name}-deployment`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        replicas: 2,
        minReadySeconds: 0,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: app },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: app },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            dnsPolicy: 'ClusterFirst',
            hostNetwork: false,
            restartPolicy: 'Always',
            setHostnameAsFQDN: false,
            terminationGracePeriodSeconds: 30,
            securityContext: { runAsNonRoot: true, fsGroupChangePolicy: 'Always', seccompProfile: { type: 'RuntimeDefault' } },
            topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
              topologyKey, maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: app },
            })),
            containers: [{
              name,
              image: IMAGE,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
              },
            }],
          },
        },
      },
    });
    add(`${name}-pdb`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta,
      spec: { maxUnavailable: 1, selector: { matchLabels: app }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
    add(`${name}-service`, {
      apiVersion: 'v1', kind: 'Service', metadata: { ...meta, labels: app },
      spec: { selector: app, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }] },
    });
    add(`${name}-dr`, {
      apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta,
      spec: { host: `${name}.${namespace}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    });
    if (calleesOf[i].length > 0) {
      add(`${name}-egress`, {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `${name}-egress`, namespace },
        spec: { podSelector: { matchLabels: app }, policyTypes: ['Egress'], egress: [...calleesOf[i]].sort(byNamespaceThenName).map((t) => ({ to: [podsOf(t)], ports: port })) },
      });
    }
  });
  return app;
}
