import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { admits } from '../../../src/policy/admission-cel';
import { PolicyRule, RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';

/**
 * A pod spec wrapped as a Pod, a Deployment or a CronJob in namespace `a` (the shapes the pod
 * rules read), with one container unless `spec` says otherwise.
 */
export function podOf(spec: object, kind: 'Pod' | 'Deployment' | 'CronJob' = 'Pod'): RuleObject {
  const podSpec = { containers: [{ name: 'app', image: 'x' }], ...spec };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { name: 'p', namespace: 'a' }, spec: podSpec };
  if (kind === 'CronJob') {
    return { apiVersion: 'batch/v1', kind, metadata: { name: 'p', namespace: 'a' }, spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: podSpec } } } } };
  }
  return { apiVersion: 'apps/v1', kind, metadata: { name: 'p', namespace: 'a' }, spec: { template: { spec: podSpec } } };
}

/** The resources of one Kyverno test folder (`resource--good*.yaml`, `resource--bad*.yaml`), sorted. */
export function kyvernoResources(dir: string): { readonly file: string; readonly bad: boolean; readonly object: RuleObject }[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((file) => ({
    file,
    bad: /--bad/.test(file),
    object: parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS()).find((o) => o?.kind) as RuleObject,
  }));
}

/** Asserts that `rule` reports exactly Kyverno's bad resources in `dir`, by check() and admission alike. */
export function expectKyvernoAgreement(dir: string, rule: PolicyRule): void {
  const ctx = ruleContext([]);
  const resources = kyvernoResources(dir);
  expect(resources.length).toBeGreaterThan(10);
  for (const { file, bad, object } of resources) {
    expect([file, rule.check(object, ctx).length > 0, admits(rule.admission!, object)]).toEqual([file, bad, !bad]);
  }
}
