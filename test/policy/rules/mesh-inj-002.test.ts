import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_INJ_001 } from '../../../src/policy/rules/mesh-inj-001';
import { MESH_INJ_002 as rule } from '../../../src/policy/rules/mesh-inj-002';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

function ns(name: string, labels?: { [key: string]: string }): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}
const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['injection enabled', ns('shop', { 'istio-injection': 'enabled' })],
  ['a revision', ns('shop', { 'istio.io/rev': 'canary' })],
  ['ambient mode', ns('shop', { 'istio.io/dataplane-mode': 'ambient' })],
  ['Kubernetes\' own namespaces', ns('kube-system')],
  ['the mesh root namespace', ns('istio-system')],
  // Explicit opt-outs are MESH-INJ-001's, not reported twice.
  ['injection disabled (MESH-INJ-001)', ns('legacy', { 'istio-injection': 'disabled' })],
  ['an empty revision (MESH-INJ-001)', ns('legacy', { 'istio.io/rev': '' })],
  ['a dataplane mode other than ambient (MESH-INJ-001)', ns('legacy', { 'istio.io/dataplane-mode': 'none' })],
];
const BAD: [string, RuleObject][] = [
  ['no labels', ns('shop')],
  ['other labels only', ns('shop', { team: 'payments', foo: 'enabled' })],
];

describe('MESH-INJ-002 every namespace enables the mesh (EXC-1, OPS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([{ path: 'metadata.labels', message: expect.stringMatching(/^namespace shop has no istio-injection/) }]);
  });

  test('the exempt mesh namespaces come from the context', () => {
    const other = ruleContext([], { rootNamespace: 'mesh-root' });
    expect(rule.check(ns('istio-system'), other)).toHaveLength(1);
    expect(rule.check(ns('mesh-root'), other)).toEqual([]);
    expect(rule.check(ns('istiod'), ruleContext([], { controlPlaneNamespace: 'istiod' }))).toEqual([]);
  });

  test.each([['labels a string', { ...ns('shop'), metadata: { name: 'shop', labels: 'x' } }], ['no name', { apiVersion: 'v1', kind: 'Namespace', metadata: {} }]])(
    'odd shape does not throw: %s', (_name, object) => {
      expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
    });

  test('HardenedNamespace enables injection; a JSON patch removing the label, or a raw Namespace, fails synthesis', () => {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    new HardenedNamespace(chart, 'shop', { name: 'shop' });
    expect(() => synthValidated(chart)).not.toThrow();
    const namespace = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Namespace') as ApiObject;
    namespace.addJsonPatch(JsonPatch.remove('/metadata/labels/istio-injection'));
    expect(() => Testing.synth(chart)).toThrow(/MESH-INJ-002 \(EXC-1, OPS-1\): \[test\/shop\/Resource\] Namespace\/shop metadata\.labels: /);

    const other = new Chart(Testing.app(), 'other');
    new MeshBaseline(other, 'mesh');
    new ApiObject(other, 'plain', ns('plain') as any);
    expect(() => Testing.synth(other)).toThrow(/MESH-INJ-002 \(EXC-1, OPS-1\): \[other\/plain\] Namespace\/plain/);
  });
});

/* Kyverno's enforce-sidecar-injection-namespace: its authors' good and bad namespaces, as they ship. */
describeWithShared('external-corpus/kyverno/istio/enforce-sidecar-injection-namespace', 'the external corpus agrees (Kyverno enforce-sidecar-injection-namespace)', (dir) => {
  const load = (file: string) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS())[0];
  const findings = (o: RuleObject) => [...rule.check(o, ctx), ...MESH_INJ_001.check(o, ctx)];

  test.each(['ns-bad-disabled.yaml', 'ns-bad-nolabel.yaml', 'ns-bad-somelabel.yaml'])('bad: %s is reported (by MESH-INJ-002, or MESH-INJ-001 for an opt-out)', (file) => {
    expect(findings(load(file))).toHaveLength(1);
  });

  test.each(['ns-good--good-istio-sinj01.yaml', 'ns-good--good-istio-sinj02.yaml'])('good: %s passes', (file) => {
    expect(findings(load(file))).toEqual([]);
  });
});
