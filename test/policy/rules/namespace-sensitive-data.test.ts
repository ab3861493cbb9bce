import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { HTTP, IMAGE, ownOutputs } from './namespace-secret-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NS_SENS_001 as rule, SENSITIVE_DATA_LABEL, reliesOnSensitiveProfile } from '../../../src/policy/rules/namespace-sensitive-data';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

const PATH = 'metadata.labels["secure-mesh.cdk8s.io/sensitive-data"]';
const MARK = { [SENSITIVE_DATA_LABEL]: 'true' };

function ns(name: string, labels?: { [key: string]: string } | null): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels === undefined ? {} : { labels: labels as { [key: string]: string } }) } };
}
const sensitiveNs = (name: string) => ns(name, { 'istio-injection': 'enabled', ...MARK });

function deployment(
  namespace: string, name: string, podLabels: object | null = { app: name, ...MARK }, own: object = {}, volumes?: object[],
): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, ...own },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: podLabels }, spec: { containers: [{ name: 'app', image: IMAGE }], ...(volumes ? { volumes } : {}) } },
    },
  };
}
const CSI_VOLUME = { name: 's', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'db' } } };

const run = (objects: RuleObject[]) => rule.checkAll!(ruleContext(objects));

const GOOD: [string, RuleObject[]][] = [
  ['a labelled namespace with workloads that rely on it', [sensitiveNs('vault'), deployment('vault', 'ledger')]],
  ['workloads relying on the profile in a namespace managed elsewhere (no Namespace object)', [deployment('vault', 'ledger')]],
  ['a plain namespace whose workload mounts a secret manager (the CSI mount is good practice anywhere)', [
    ns('shop', { 'istio-injection': 'enabled' }), deployment('shop', 'cart', { app: 'cart' }, {}, [CSI_VOLUME]),
  ]],
  ['a workload marked "false"', [ns('shop'), deployment('shop', 'cart', { app: 'cart', [SENSITIVE_DATA_LABEL]: 'false' })]],
  ['the label on objects that are not workloads (a ConfigMap, a Service)', [
    ns('shop'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop', labels: MARK } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop', labels: MARK }, spec: { selector: MARK } },
  ]],
  ['a workload relying on the profile in another namespace than the unlabelled one', [ns('shop'), sensitiveNs('vault'), deployment('vault', 'ledger')]],
  ['no objects', []],
];

/** [name, objects, namespace reported, message fragment] */
const BAD: [string, RuleObject[], string, string][] = [
  ['the label dropped (pod template marker)', [ns('vault', { 'istio-injection': 'enabled' }), deployment('vault', 'ledger')], 'vault',
    'namespace vault is not labelled secure-mesh.cdk8s.io/sensitive-data: "true", but its workloads rely on the sensitive-data profile '
    + '(Deployment/vault/ledger): Kubernetes Secrets are no longer kept out of it (SECRET-K8S-001)'],
  ['the namespace has no labels at all', [ns('vault'), deployment('vault', 'ledger')], 'vault', 'is not labelled'],
  ['another value than "true"', [ns('vault', { [SENSITIVE_DATA_LABEL]: 'yes' }), deployment('vault', 'ledger')], 'vault',
    'namespace vault labels secure-mesh.cdk8s.io/sensitive-data "yes", not "true", but its workloads rely on'],
  ['"True" is not "true"', [ns('vault', { [SENSITIVE_DATA_LABEL]: 'True' }), deployment('vault', 'ledger')], 'vault', '"True", not "true"'],
  ['the marker on the workload itself', [ns('vault'), deployment('vault', 'ledger', { app: 'ledger' }, { labels: MARK })], 'vault', '(Deployment/vault/ledger)'],
  ['a StatefulSet', [ns('vault'), { ...deployment('vault', 'db'), kind: 'StatefulSet' }], 'vault', '(StatefulSet/vault/db)'],
  ['a CronJob', [ns('vault'), {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'rotate', namespace: 'vault' },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { metadata: { labels: MARK }, spec: { containers: [] } } } } },
  }], 'vault', '(CronJob/vault/rotate)'],
  ['a Pod', [ns('vault'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'vault', labels: MARK }, spec: { containers: [] } }], 'vault', '(Pod/vault/debug)'],
  ['a custom workload kind (Argo Rollouts)', [ns('vault'), { ...deployment('vault', 'ledger'), apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' }], 'vault', '(Rollout/vault/ledger)'],
];

describe('NS-SENS-001 a namespace whose workloads rely on the sensitive-data profile keeps its label (SECRET-1)', () => {
  test('the rule reads the label HardenedNamespace writes (one key, repeated only to avoid an import cycle)', () => {
    expect(SENSITIVE_DATA_LABEL).toBe(HardenedNamespace.SENSITIVE_DATA_LABEL);
  });

  test.each(GOOD)('passes: %s', (_name, objects) => {
    expect(run(objects)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, objects, namespace, message) => {
    const found = run(objects);
    expect(found.map((f) => f.violation)).toEqual([{ path: PATH, message: expect.stringContaining(message) }]);
    expect(found[0].object).toBe(objects.find((o) => o.kind === 'Namespace' && o.metadata?.name === namespace));
  });

  test('the workloads are named, up to five', () => {
    const objects = [ns('vault'), ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => deployment('vault', n))];
    expect(run(objects)[0].violation.message).toContain(
      '(Deployment/vault/a, Deployment/vault/b, Deployment/vault/c, Deployment/vault/d, Deployment/vault/e and 2 more)');
  });

  test('each namespace is reported once, on its first Namespace object', () => {
    const first = ns('vault');
    const found = run([first, ns('vault'), deployment('vault', 'a'), deployment('vault', 'b'), ns('keys'), deployment('keys', 'kms')]);
    expect(found.map((f) => [f.object, f.violation.message.match(/\(([^)]*)\)/)?.[1]])).toEqual([
      [first, 'Deployment/vault/a, Deployment/vault/b'],
      [expect.objectContaining({ metadata: { name: 'keys' } }), 'Deployment/keys/kms'],
    ]);
  });

  test('check() alone never fires; the rule works through checkAll and has no admission form', () => {
    expect(rule.check(ns('vault'), ruleContext([]))).toEqual([]);
    expect(rule.kinds).toEqual([]);
    expect(rule.admission).toBeUndefined();
    expect(rule.since).toBe('2');
  });

  test('reliesOnSensitiveProfile reads the workload and its pods, never other kinds', () => {
    expect(reliesOnSensitiveProfile(deployment('vault', 'a'))).toBe(true);
    expect(reliesOnSensitiveProfile(deployment('vault', 'a', { app: 'a' }, { labels: MARK }))).toBe(true);
    expect(reliesOnSensitiveProfile(deployment('vault', 'a', { app: 'a' }, {}, [CSI_VOLUME]))).toBe(false);
    expect(reliesOnSensitiveProfile({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: MARK } })).toBe(false);
  });

  test('odd shapes do not throw', () => {
    expect(() => run([
      ns('vault', null), { apiVersion: 'v1', kind: 'Namespace', metadata: null }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 5 } },
      deployment('vault', 'a', null), { ...deployment('vault', 'b'), metadata: null }, { ...deployment('vault', 'c'), spec: null },
      { ...deployment('vault', 'd'), spec: { template: { metadata: { labels: 'x' } } } }, { kind: 'Deployment' }, {},
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'vault', labels: [MARK] } },
    ] as RuleObject[])).not.toThrow();
  });

  test('labels null on the Namespace read as no label', () => {
    expect(run([ns('vault', null), deployment('vault', 'ledger')])).toHaveLength(1);
  });

  test('what the library synthesizes passes', () => {
    for (const app of ownOutputs()) {
      expect({ app: app.name, found: rule.checkAll!(app.ctx) }).toEqual({ app: app.name, found: [] });
    }
  });

  describe('in synthesis', () => {
    /** A sensitive-data namespace whose service declares that it relies on the profile (a JSON patch until SecureService writes it). */
    function app(sensitiveData = true) {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      const vault = new HardenedNamespace(chart, 'vault', { name: 'vault', sensitiveData });
      const ledger = new SecureService(chart, 'ledger', { namespace: vault, image: IMAGE, ports: HTTP, secretStore: { secretProviderClass: 'db', mountPath: '/mnt/s' } });
      ledger.deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/labels/secure-mesh.cdk8s.io~1sensitive-data', 'true'));
      const namespace = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Namespace') as ApiObject;
      return { chart, namespace };
    }

    test('a labelled namespace with a workload relying on it synthesizes', () => {
      expect(() => synthValidated(app().chart)).not.toThrow();
    });

    test('a JSON patch removing the label from the Namespace fails', () => {
      const { chart, namespace } = app();
      namespace.addJsonPatch(JsonPatch.remove('/metadata/labels/secure-mesh.cdk8s.io~1sensitive-data'));
      expect(() => Testing.synth(chart)).toThrow(
        /NS-SENS-001 \(SECRET-1\): \[test\/vault\/Resource\] Namespace\/vault metadata\.labels\["secure-mesh\.cdk8s\.io\/sensitive-data"\]: namespace vault is not labelled .*\(Deployment\/vault\/ledger\)/);
    });

    test('a JSON patch changing its value fails', () => {
      const { chart, namespace } = app();
      namespace.addJsonPatch(JsonPatch.replace('/metadata/labels/secure-mesh.cdk8s.io~1sensitive-data', 'false'));
      expect(() => Testing.synth(chart)).toThrow(/NS-SENS-001 \(SECRET-1\): \[test\/vault\/Resource\] Namespace\/vault .*"false", not "true"/);
    });

    test('a workload relying on the profile in a namespace created without it fails', () => {
      expect(() => Testing.synth(app(false).chart)).toThrow(/NS-SENS-001 \(SECRET-1\): \[test\/vault\/Resource\] Namespace\/vault /);
    });
  });
});
