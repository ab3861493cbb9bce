import { Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { auditManifests } from '../../src/audit/audit';
import { guardrailProblems } from '../../src/audit/guardrail-integrity';
import { RuleObject } from '../../src/policy/rule';
import { rulesFor } from '../../src/policy/rule-pack';
import { ruleContext } from '../../src/policy/rule-test-kit';

const BLUEPRINT: RuleObject[] = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));
/** The example's secure-mesh.yaml. */
const SETTINGS = { meshAdminGroups: ['mesh-admins'], operatorGroups: ['auditors', 'security-admins'], allowedRegistries: ['docker.io/istio', 'docker.io/library/mongo', 'docker.io/library/busybox'] };
const OPTIONS = { rules: rulesFor(undefined), today: '2026-12-06', maxExceptionDays: 90 };
const copy = (): RuleObject[] => JSON.parse(JSON.stringify(BLUEPRINT));
const problems = (objects: RuleObject[], settings = SETTINGS) => guardrailProblems(ruleContext(objects, settings), OPTIONS).map((p) => `${p.object.metadata?.name} ${p.path}: ${p.message}`);
const named = (objects: RuleObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name)!;

describe('ADMISSION-GUARDRAIL: the guardrails as AdmissionGuardrails writes them', () => {
  test('the example\'s guardrails, as synthesized, have no problem', () => {
    expect(problems(BLUEPRINT)).toEqual([]);
  });

  test('an input without guardrails is not checked', () => {
    expect(problems(BLUEPRINT.filter((o) => !o.apiVersion?.startsWith('admissionregistration')))).toEqual([]);
  });

  test.each([
    ['an expression of "true"', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicy', 'secure-mesh-pod-priv-001').spec.validations[0].expression = 'true'; },
      /secure-mesh-pod-priv-001 spec.validations\[0\].expression: .*is not the rule's/],
    ['failurePolicy Ignore', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicy', 'secure-mesh-mesh-mtls-002').spec.failurePolicy = 'Ignore'; },
      /secure-mesh-mesh-mtls-002 spec.failurePolicy: .*Ignore/],
    ['a binding moved to Audit', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected').spec.validationActions = ['Audit']; },
      /secure-mesh-pod-priv-001-injected spec.validationActions: .*no warn phase is recorded/],
    ['a missing registry that admits', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-revision').spec.paramRef.parameterNotFoundAction = 'Allow'; },
      /secure-mesh-pod-priv-001-revision spec.paramRef.parameterNotFoundAction: .*admits everything/],
    ['a binding reading another namespace\'s registry', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected').spec.paramRef.namespace = 'shop'; },
      /secure-mesh-pod-priv-001-injected spec.paramRef.namespace: .*reads the registry of shop, not the request.s namespace/],
    ['a deleted policy', (o: RuleObject[]) => { o.splice(o.indexOf(named(o, 'ValidatingAdmissionPolicy', 'secure-mesh-mesh-authz-001')), 1); },
      /the guardrail secure-mesh-mesh-authz-001 is missing/],
    ['a deleted binding', (o: RuleObject[]) => { o.splice(o.indexOf(named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-mesh-mtls-001')), 1); },
      /secure-mesh-mesh-mtls-001 : secure-mesh-mesh-mtls-001 has no binding/],
    ['a matchCondition that skips the check', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicy', 'secure-mesh-pod-host-001').spec.matchConditions = [{ name: 'never', expression: 'false' }]; },
      /secure-mesh-pod-host-001 spec.matchConditions/],
    ['one binding excluding one more namespace', (o: RuleObject[]) => { named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected').spec.matchResources.namespaceSelector.matchExpressions[1].values.push('bookinfo'); },
      /exclude different namespaces: one of them was widened/],
    ['the registry guard opened to everyone', (o: RuleObject[]) => {
      const v = named(o, 'ValidatingAdmissionPolicy', 'secure-mesh-exception-registries').spec.validations[0];
      v.expression = `${v.expression} || true`;
    }, /secure-mesh-exception-registries .*no longer limits who writes the exception registries/],
    ['a binding\'s selector edited to match no namespace', (o: RuleObject[]) => {
      named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected').spec.matchResources.namespaceSelector.matchExpressions[0].values = ['never'];
    }, /secure-mesh-pod-priv-001-injected spec.matchResources: .*matches other namespaces or resources than AdmissionGuardrails writes/],
    ['one of a policy\'s bindings deleted', (o: RuleObject[]) => { o.splice(o.indexOf(named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-revision')), 1); },
      /the binding secure-mesh-pod-priv-001-revision is missing/],
    ['kube-system no longer excluded', (o: RuleObject[]) => {
      for (const b of o.filter((x) => x.kind === 'ValidatingAdmissionPolicyBinding' && x.spec.matchResources?.namespaceSelector?.matchExpressions)) {
        const notIn = b.spec.matchResources.namespaceSelector.matchExpressions.find((e: any) => e.operator === 'NotIn');
        notIn.values = notIn.values.filter((v: string) => v !== 'kube-system');
      }
    }, /secure-mesh-pod-priv-001-injected spec.matchResources.namespaceSelector: .*no longer excludes kube-system/],
    ['a root invariant bound to every namespace', (o: RuleObject[]) => { delete named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-mesh-authz-001').spec.matchResources; },
      /secure-mesh-mesh-authz-001 spec.matchResources: .*matches other namespaces or resources/],
    ['an extra binding the library does not write', (o: RuleObject[]) => {
      o.push({ ...JSON.parse(JSON.stringify(named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected'))), metadata: { name: 'secure-mesh-pod-priv-001-extra' } });
    }, /secure-mesh-pod-priv-001-extra metadata.name: .*is not a binding AdmissionGuardrails writes/],
    ['the root invariant reading no registry', (o: RuleObject[]) => { delete named(o, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-mesh-mtls-001').spec.paramRef; },
      /secure-mesh-mesh-mtls-001 spec.paramRef: .*does not read the exception registry/],
  ])('%s is a problem', (_name, tamper, problem) => {
    const objects = copy();
    tamper(objects);
    expect(problems(objects).join('\n')).toMatch(problem);
  });

  test('a recorded warn phase is not a problem until it ends or runs too long', () => {
    const warn = (until: string) => {
      const objects = copy();
      for (const b of objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding')) {
        b.spec.validationActions = ['Warn', 'Audit'];
        (b.metadata as any).annotations = {
          'secure-mesh.cdk8s.io/rollout-phase': 'warn',
          'secure-mesh.cdk8s.io/warn-until': until,
          'secure-mesh.cdk8s.io/warn-owner': 'platform',
          'secure-mesh.cdk8s.io/warn-reason': 'Existing workloads are migrated; warnings are reviewed weekly.',
        };
      }
      return problems(objects);
    };
    expect(warn('2027-01-15')).toEqual([]);
    expect(warn('2026-12-01').join('\n')).toMatch(/its warn phase is not valid: rollout.until: the warn phase ended on 2026-12-01 \(today is 2026-12-06; owner platform\)/);
    expect(warn('2027-12-01').join('\n')).toMatch(/its warn phase is not valid: rollout.until: 2027-12-01 is 360 days away; a warn phase lasts at most 90 days/);
  });

  test('other settings than the app\'s make the expressions differ, and say so', () => {
    expect(problems(BLUEPRINT, { meshAdminGroups: [], operatorGroups: [], allowedRegistries: [] }).join('\n')).toMatch(/written for other settings/);
  });

  test('the audit reports it as ADMISSION-GUARDRAIL, at the object', () => {
    const objects = copy();
    named(objects, 'ValidatingAdmissionPolicy', 'secure-mesh-pod-priv-001').spec.validations[0].expression = 'true';
    const result = auditManifests(objects.map((object, i) => ({ object, file: 'cluster.yaml', line: i + 1, documentIndex: i })), { ...SETTINGS, today: '2026-12-06' });
    expect(result.findings.filter((f) => f.ruleId === 'ADMISSION-GUARDRAIL').map((f) => f.object)).toEqual(['ValidatingAdmissionPolicy/secure-mesh-pod-priv-001']);
  });
});
