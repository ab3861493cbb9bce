import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { objectsOf, ownOutputs } from './namespace-secret-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  ACCEPTED_VERSION_PATTERN, MIN_POD_SECURITY_VERSION, NS_PSA_001 as rule, podSecurityVersionProblem,
} from '../../../src/policy/rules/namespace-pod-security';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const ENFORCE = 'pod-security.kubernetes.io/enforce';
const VERSION = 'pod-security.kubernetes.io/enforce-version';
const ENFORCE_PATH = 'metadata.labels["pod-security.kubernetes.io/enforce"]';
const VERSION_PATH = 'metadata.labels["pod-security.kubernetes.io/enforce-version"]';
const INJECTED = { 'istio-injection': 'enabled' };

function ns(labels?: { [key: string]: string } | null, name = 'shop'): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels === undefined ? {} : { labels: labels as { [key: string]: string } }) } };
}
const restricted = (extra: { [key: string]: string } = {}, mesh: { [key: string]: string } = INJECTED) => ns({ ...mesh, [ENFORCE]: 'restricted', ...extra });

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['restricted, no version (the admission configuration\'s default)', restricted()],
  ['restricted, latest', restricted({ [VERSION]: 'latest' })],
  [`restricted, ${MIN_POD_SECURITY_VERSION} (the minimum)`, restricted({ [VERSION]: MIN_POD_SECURITY_VERSION })],
  ['restricted, v1.30 (HardenedNamespace\'s default)', restricted({ [VERSION]: 'v1.30' })],
  ['restricted, v1.100 (a future version)', restricted({ [VERSION]: 'v1.100' })],
  ['a revision label', restricted({ [VERSION]: 'v1.29' }, { 'istio.io/rev': 'canary' })],
  ['ambient mode', restricted({}, { 'istio.io/dataplane-mode': 'ambient' })],
  ['audit and warn weaker than enforce are fine', restricted({
    'pod-security.kubernetes.io/audit': 'baseline', 'pod-security.kubernetes.io/warn': 'privileged', 'pod-security.kubernetes.io/warn-version': 'v1.10',
  })],
  ['not in the mesh (MESH-INJ-002\'s)', ns({ [ENFORCE]: 'privileged' })],
  ['injection disabled: not in the mesh (MESH-INJ-001\'s)', ns({ 'istio-injection': 'disabled' })],
  ['an empty revision: not in the mesh (MESH-INJ-001\'s)', ns({ 'istio.io/rev': '' })],
  ['no labels at all', ns()],
  ['kube-system (Kubernetes\' own)', ns(INJECTED, 'kube-system')],
  ['the control-plane namespace (the Istio CNI and ztunnel need privileged)', ns({ ...INJECTED, [ENFORCE]: 'privileged' }, 'istio-system')],
];

/** [name, object, [path, message fragment][]] */
const BAD: [string, RuleObject, [string, string][]][] = [
  ['in the mesh without Pod Security labels', ns(INJECTED), [[ENFORCE_PATH,
    'namespace shop is in the mesh but has no pod-security.kubernetes.io/enforce label: the cluster\'s default (privileged unless configured) admits root, '
    + 'privileged and capability-keeping pods']]],
  ['baseline', restricted({ [ENFORCE]: 'baseline' }), [[ENFORCE_PATH,
    'namespace shop is in the mesh but pod-security.kubernetes.io/enforce is "baseline", not "restricted": pods that run as root, keep capabilities or escalate privileges are admitted']]],
  ['privileged', restricted({ [ENFORCE]: 'privileged' }), [[ENFORCE_PATH, 'is "privileged", not "restricted"']]],
  ['not a level Pod Security Admission knows (case matters)', restricted({ [ENFORCE]: 'Restricted' }), [[ENFORCE_PATH, 'is "Restricted", not "restricted"']]],
  ['restricted only in warn and audit', ns({ ...INJECTED, 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' }),
    [[ENFORCE_PATH, 'has no pod-security.kubernetes.io/enforce label']]],
  ['pinned to v1.22: root containers admitted', restricted({ [VERSION]: 'v1.22' }), [[VERSION_PATH,
    'namespace shop: pod-security.kubernetes.io/enforce-version "v1.22" is older than v1.23: its restricted profile does not require runAsUser other than 0 (1.23)']]],
  ['pinned to v1.21', restricted({ [VERSION]: 'v1.21' }), [[VERSION_PATH, 'does not require runAsUser other than 0 (1.23), capabilities drop ALL (1.22)']]],
  ['pinned to v1.0', restricted({ [VERSION]: 'v1.0' }), [[VERSION_PATH,
    'does not require runAsUser other than 0 (1.23), capabilities drop ALL (1.22), a seccomp profile (1.19), allowPrivilegeEscalation: false (1.8)']]],
  ['not a version: no "v"', restricted({ [VERSION]: '1.30' }), [[VERSION_PATH, '"1.30" is not a Kubernetes minor version ("v1.<minor>" or "latest")']]],
  ['not a version: a patch release', restricted({ [VERSION]: 'v1.30.2' }), [[VERSION_PATH, '"v1.30.2" is not a Kubernetes minor version']]],
  ['not a version: a leading zero', restricted({ [VERSION]: 'v1.030' }), [[VERSION_PATH, '"v1.030" is not a Kubernetes minor version']]],
  ['not a version: Latest', restricted({ [VERSION]: 'Latest' }), [[VERSION_PATH, '"Latest" is not a Kubernetes minor version']]],
  ['both weakened', ns({ ...INJECTED, [ENFORCE]: 'baseline', [VERSION]: 'v1.19' }), [[ENFORCE_PATH, '"baseline"'], [VERSION_PATH, '"v1.19" is older than v1.23']]],
  ['a revision without labels', ns({ 'istio.io/rev': 'stable' }), [[ENFORCE_PATH, 'has no pod-security.kubernetes.io/enforce label']]],
  ['ambient, baseline', ns({ 'istio.io/dataplane-mode': 'ambient', [ENFORCE]: 'baseline' }), [[ENFORCE_PATH, '"baseline"']]],
  ['a namespace named like Kubernetes\' own is not exempt', ns(INJECTED, 'kube-team'), [[ENFORCE_PATH, 'namespace kube-team is in the mesh']]],
];

describe('NS-PSA-001 mesh namespaces enforce the restricted Pod Security profile (POD-1, OPS-1, NS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, expected) => {
    expect(rule.check(object, ctx)).toEqual(expected.map(([p, message]) => ({ path: p, message: expect.stringContaining(message) })));
  });

  test('the exempt control-plane namespace comes from the context', () => {
    const layout = ruleContext([], { controlPlaneNamespace: 'istio-cp' });
    expect(rule.check(ns(INJECTED, 'istio-cp'), layout)).toEqual([]);
    expect(rule.check(ns(INJECTED, 'istio-system'), layout)).toHaveLength(1);
    for (const name of ['kube-system', 'kube-public', 'kube-node-lease']) expect(rule.check(ns(INJECTED, name), layout)).toEqual([]);
  });

  test('the version minimum: every version from v1.0 to v1.200 is accepted exactly when it is at least v1.23, by check() and by the CEL pattern', () => {
    for (let minor = 0; minor <= 200; minor++) {
      const version = `v1.${minor}`;
      expect({ version, ok: podSecurityVersionProblem(version) === undefined }).toEqual({ version, ok: minor >= 23 });
      expect({ version, ok: new RegExp(ACCEPTED_VERSION_PATTERN).test(version) }).toEqual({ version, ok: minor >= 23 });
    }
    expect(podSecurityVersionProblem('latest')).toBeUndefined();
    for (const odd of ['v2.30', 'v1.', 'v1.3a', ' v1.30', 'v1.030', '', 'latest ', 1.3, null]) expect(podSecurityVersionProblem(odd)).toMatch(/is not a Kubernetes minor version/);
  });

  test.each([
    ['labels null', ns(null)],
    ['labels a string', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: 'istio-injection=enabled' } }],
    ['enforce a number', ns({ ...INJECTED, [ENFORCE]: 1 as unknown as string })],
    ['enforce-version a number', ns({ ...INJECTED, [ENFORCE]: 'restricted', [VERSION]: 1.3 as unknown as string })],
    ['no name', { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: INJECTED } }],
    ['metadata null', { apiVersion: 'v1', kind: 'Namespace', metadata: null }],
    ['no kind', {}],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('wrong-typed labels are findings, not silence', () => {
    expect(rule.check(ns({ ...INJECTED, [ENFORCE]: 'restricted', [VERSION]: 1.3 as unknown as string }), ctx)).toEqual([
      { path: VERSION_PATH, message: expect.stringContaining('1.3 is not a Kubernetes minor version') },
    ]);
  });

  test('other kinds are ignored', () => {
    expect(rule.check({ ...ns(INJECTED), kind: 'ConfigMap' }, ctx)).toEqual([]);
    expect(rule.check({ ...ns(INJECTED), apiVersion: 'example.com/v1' }, ctx)).toEqual([]);
  });

  test.each([...GOOD, ...BAD.map(([n, o]): [string, RuleObject] => [n, o])])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });

  test('admission matches namespaces and lets other kinds through', () => {
    expect(rule.admission!.resources).toEqual([{ apiGroups: [''], apiVersions: ['*'], resources: ['namespaces'] }]);
    expect(admits(rule.admission!, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' } })).toBe(true);
    expect(admits(rule.admission!, { ...ns(INJECTED), apiVersion: 'example.com/v1' })).toBe(true);
    expect(admits(rule.admission!, { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: INJECTED } })).toBe(false);
  });

  test('what the library synthesizes passes (HardenedNamespace labels enforce restricted at its podSecurityVersion)', () => {
    for (const app of ownOutputs()) {
      expect({ app: app.name, found: app.objects.flatMap((o) => rule.check(o, app.ctx)) }).toEqual({ app: app.name, found: [] });
      for (const o of app.objects.filter((x) => x.kind === 'Namespace')) expect(admits(rule.admission!, o)).toBe(true);
    }
  });

  describe('in synthesis', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      new HardenedNamespace(chart, 'shop', { name: 'shop' });
      return chart;
    }
    const namespaceOf = (chart: Chart) => chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Namespace') as ApiObject;

    test('the library\'s namespace synthesizes', () => {
      expect(() => synthValidated(app())).not.toThrow();
    });

    test('a JSON patch weakening enforce to baseline fails', () => {
      const chart = app();
      namespaceOf(chart).addJsonPatch(JsonPatch.replace('/metadata/labels/pod-security.kubernetes.io~1enforce', 'baseline'));
      expect(() => Testing.synth(chart)).toThrow(
        /NS-PSA-001 \(POD-1, OPS-1, NS-1\): \[test\/shop\/Resource\] Namespace\/shop metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\]: .*"baseline"/);
    });

    test('a JSON patch removing enforce fails', () => {
      const chart = app();
      namespaceOf(chart).addJsonPatch(JsonPatch.remove('/metadata/labels/pod-security.kubernetes.io~1enforce'));
      expect(() => Testing.synth(chart)).toThrow(/NS-PSA-001 \(POD-1, OPS-1, NS-1\): \[test\/shop\/Resource\] Namespace\/shop metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\]: /);
    });

    test('a JSON patch pinning an old version fails', () => {
      const chart = app();
      namespaceOf(chart).addJsonPatch(JsonPatch.replace('/metadata/labels/pod-security.kubernetes.io~1enforce-version', 'v1.22'));
      expect(() => Testing.synth(chart)).toThrow(
        /NS-PSA-001 \(POD-1, OPS-1, NS-1\): \[test\/shop\/Resource\] Namespace\/shop metadata\.labels\["pod-security\.kubernetes\.io\/enforce-version"\]: .*"v1\.22" is older than v1\.23/);
    });

    test('HardenedNamespace podSecurityVersion older than the minimum fails (at synthesis now; at construction once the prop refuses it)', () => {
      expect(() => {
        const chart = new Chart(Testing.app(), 'test');
        new MeshBaseline(chart, 'mesh');
        new HardenedNamespace(chart, 'old', { name: 'old', podSecurityVersion: 'v1.21' });
        Testing.synth(chart);
      }).toThrow(/(\[test\/old\] podSecurityVersion: "v1\.21" is older than v1\.23|NS-PSA-001 \(POD-1, OPS-1, NS-1\): \[test\/old\/Resource\] Namespace\/old metadata\.labels\["pod-security\.kubernetes\.io\/enforce-version"\]: .*"v1\.21" is older than v1\.23)/);
    });

    test('a raw mesh Namespace without Pod Security labels next to the library\'s fails', () => {
      const chart = app();
      new ApiObject(chart, 'plain', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain', labels: { 'istio-injection': 'enabled' } } });
      expect(() => Testing.synth(chart)).toThrow(/NS-PSA-001 \(POD-1, OPS-1, NS-1\): \[test\/plain\] Namespace\/plain metadata\.labels\["pod-security\.kubernetes\.io\/enforce"\]: /);
    });
  });
});

/*
 * The corpus labels namespaces only for sidecar injection (Kyverno's enforce-sidecar-injection-namespace)
 * and ships one app namespace (the Anthos Service Mesh boutique sample); none carries a Pod Security
 * label. Deliberate difference (NS-1: mesh namespaces enforce restricted): the namespaces Kyverno calls
 * good, and the boutique's, are in the mesh without Pod Security enforcement, so NS-PSA-001 reports them.
 * The namespaces Kyverno calls bad are outside the mesh: MESH-INJ-001/002's, not this rule's.
 */
describeWithShared('external-corpus', 'the external corpus (namespaces labelled for injection)', (dir) => {
  const load = (file: string) => objectsOf(path.join(dir, file))[0];
  const injectionDir = 'kyverno/istio/enforce-sidecar-injection-namespace';

  test.each(['ns-good--good-istio-sinj01.yaml', 'ns-good--good-istio-sinj02.yaml'])('Kyverno good %s: in the mesh, no Pod Security: reported (stricter, NS-1)', (file) => {
    expect(rule.check(load(`${injectionDir}/${file}`), ctx)).toEqual([{ path: ENFORCE_PATH, message: expect.stringContaining('has no pod-security.kubernetes.io/enforce label') }]);
  });

  test.each(['ns-bad-disabled.yaml', 'ns-bad-nolabel.yaml', 'ns-bad-somelabel.yaml'])('Kyverno bad %s: outside the mesh, not this rule\'s', (file) => {
    expect(rule.check(load(`${injectionDir}/${file}`), ctx)).toEqual([]);
  });

  test('the boutique namespace (istio-injection: enabled, no Pod Security) is reported (stricter, NS-1)', () => {
    expect(rule.check(load('apps/asm-boutique-authz/namespace.yaml'), ctx)).toHaveLength(1);
  });

  test('no Namespace of the corpus carries a Pod Security label (so none to agree with); the same holds for the Kyverno test namespaces', () => {
    const files = ['apps/asm-boutique-authz/namespace.yaml', ...fs.readdirSync(path.join(dir, injectionDir)).map((f) => `${injectionDir}/${f}`)];
    for (const f of files) expect(Object.keys(load(f).metadata?.labels ?? {}).filter((k) => k.startsWith('pod-security.kubernetes.io/'))).toEqual([]);
  });
});
