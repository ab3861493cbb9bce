import { admissionCheckOf, bindingPlan, invariantSettingsFor, ruleResourceRules, ruleValidationExpression } from '../policy/admission-guardrails';
import { invariantPolicies } from '../policy/admission-invariants';
import { AdmissionRollout, ROLLOUT_ANNOTATIONS } from '../policy/admission-rollout';
import { ALWAYS_EXCLUDED_NAMESPACES, NAMESPACE_NAME_LABEL, celIsRegistry } from '../policy/admission-scope';
import { REGISTRY_NAME } from '../policy/exception-registry-format';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity } from '../policy/rule';

/** One way the guardrails in the input differ from what AdmissionGuardrails writes. */
export interface GuardrailProblem {
  readonly object: RuleObject;
  readonly path: string;
  readonly message: string;
}

/** What the check needs besides the objects. */
export interface GuardrailCheckOptions {
  /** The rules of the declared rule set (with their severities for that set). */
  readonly rules: readonly PolicyRule[];
  readonly today: string;
  readonly maxExceptionDays: number;
}

const PREFIX = 'secure-mesh-';
const isVap = (o: RuleObject) => o.apiVersion === 'admissionregistration.k8s.io/v1' && o.kind === 'ValidatingAdmissionPolicy';
const isBinding = (o: RuleObject) => o.apiVersion === 'admissionregistration.k8s.io/v1' && o.kind === 'ValidatingAdmissionPolicyBinding';
/** Equal as JSON, whatever the order of object keys (synthesis writes them sorted). */
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as any)[k])]));
  return v;
}

/**
 * The admission guardrails in the input (exported cluster state, or a synth output) compared with
 * what AdmissionGuardrails writes for the same rules and mesh (OPS-1, EXC-1). Kubernetes exempts
 * policies and bindings from admission, so a weakened one (an expression of `true`, failurePolicy
 * Ignore, a binding moved to Warn without a recorded warn phase, a param that may be missing, a
 * deleted policy) is only visible here. Only inputs that hold `secure-mesh-*` guardrails are
 * checked. The excluded namespaces are read from the bindings themselves (every binding must list
 * the same), and `registryWriters` cannot be known: the registry guard is checked for its shape.
 */
export function guardrailProblems(ctx: RuleContext, options: GuardrailCheckOptions): GuardrailProblem[] {
  const vaps = ctx.objects.filter((o) => isVap(o) && String(o.metadata?.name ?? '').startsWith(PREFIX));
  const bindings = ctx.objects.filter((o) => isBinding(o) && String(o.spec?.policyName ?? '').startsWith(PREFIX));
  if (vaps.length === 0 && bindings.length === 0) return [];
  const out: GuardrailProblem[] = [];
  const anchor = vaps[0] ?? bindings[0];
  const excluded = excludedNamespaces(bindings, out);
  const byName = new Map(vaps.map((v) => [v.metadata!.name as string, v]));

  const expected = new Map<string, { expression?: string; resourceRules?: unknown; severity: RuleSeverity; bindings: ExpectedBinding[] }>();
  for (const rule of options.rules.filter((r) => r.admission || r.admissionFor)) {
    const name = `${PREFIX}${rule.id.toLowerCase()}`;
    const resourceRules = ruleResourceRules(admissionCheckOf(rule, ctx));
    expected.set(name, {
      expression: ruleValidationExpression(rule, ctx, excluded),
      resourceRules,
      severity: rule.severity,
      // The same bindings AdmissionGuardrails writes (bindingPlan): selectors, resources, registry.
      bindings: bindingPlan(resourceRules, excluded).map((plan) => ({
        name: `${name}-${plan.suffix}`,
        matchResources: { ...(plan.namespaceSelector ? { namespaceSelector: plan.namespaceSelector } : {}), resourceRules: plan.resourceRules },
        registryNamespace: plan.clusterScoped ? ctx.controlPlaneNamespace : undefined,
        readsRegistry: true,
      })),
    });
  }
  for (const p of invariantPolicies(invariantSettingsFor(ctx, excluded, []))) {
    expected.set(p.name, {
      expression: p.name === `${PREFIX}exception-registries` ? undefined : p.expression,
      resourceRules: p.resourceRules,
      severity: RuleSeverity.ERROR,
      bindings: [{
        name: p.name,
        matchResources: p.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : undefined,
        registryNamespace: p.registryNamespace,
        readsRegistry: p.registryNamespace !== undefined,
      }],
    });
  }

  for (const [name, want] of expected) {
    const vap = byName.get(name);
    if (!vap) {
      out.push({ object: anchor, path: '', message: `the guardrail ${name} is missing: it was deleted, or the input holds only part of the guardrails` });
      continue;
    }
    if (vap.spec?.failurePolicy !== undefined && vap.spec.failurePolicy !== 'Fail') {
      out.push({ object: vap, path: 'spec.failurePolicy', message: `${name} has failurePolicy ${vap.spec.failurePolicy}: an error in it would admit the request` });
    }
    if (want.resourceRules && !same(vap.spec?.matchConstraints?.resourceRules, want.resourceRules)) {
      out.push({ object: vap, path: 'spec.matchConstraints.resourceRules', message: `${name} matches other resources or operations than the rule does` });
    }
    if (vap.spec?.matchConditions !== undefined || vap.spec?.variables !== undefined) {
      out.push({ object: vap, path: 'spec.matchConditions', message: `${name} has matchConditions or variables the library does not write: they can skip or change the check` });
    }
    const validations: any[] = Array.isArray(vap.spec?.validations) ? vap.spec.validations : [];
    const expression = validations[0]?.expression;
    if (validations.length !== 1) {
      out.push({ object: vap, path: 'spec.validations', message: `${name} has ${validations.length} validations, not the one the library writes` });
    } else if (want.expression !== undefined && expression !== want.expression) {
      out.push({ object: vap, path: 'spec.validations[0].expression', message: `${name}'s expression is not the rule's: it was edited (e.g. to "true") or written for other settings` });
    } else if (want.expression === undefined && (typeof expression !== 'string' || !expression.startsWith(`!${celIsRegistry()} || (`) || /\btrue\b/.test(expression))) {
      out.push({ object: vap, path: 'spec.validations[0].expression', message: `${name}'s expression no longer limits who writes the exception registries` });
    }
    const own = bindings.filter((b) => b.spec?.policyName === name);
    if (own.length === 0) out.push({ object: vap, path: '', message: `${name} has no binding: it checks nothing` });
    for (const w of want.bindings) {
      const b = own.find((x) => x.metadata?.name === w.name);
      if (!b) {
        if (own.length > 0) out.push({ object: vap, path: '', message: `the binding ${w.name} is missing: ${name} no longer checks all it should (deleted, or renamed)` });
        continue;
      }
      out.push(...bindingProblems(b, want.severity, w, options));
    }
    for (const b of own.filter((x) => !want.bindings.some((w) => w.name === x.metadata?.name))) {
      out.push({ object: b, path: 'metadata.name', message: `${b.metadata?.name} is not a binding AdmissionGuardrails writes for ${name}` });
    }
  }
  return out;
}

/** A binding as AdmissionGuardrails writes it. */
interface ExpectedBinding {
  readonly name: string;
  /** Its matchResources (undefined: none). */
  readonly matchResources?: unknown;
  /** The namespace of the registry it reads (undefined: the request's). */
  readonly registryNamespace?: string;
  readonly readsRegistry: boolean;
}

/** The excluded namespaces every mesh-namespace binding lists (they must agree); the system ones when none does. */
function excludedNamespaces(bindings: RuleObject[], out: GuardrailProblem[]): string[] {
  const lists = new Map<string, RuleObject>();
  for (const b of bindings) {
    const notIn = (b.spec?.matchResources?.namespaceSelector?.matchExpressions ?? [])
      .find((e: any) => e?.key === NAMESPACE_NAME_LABEL && e?.operator === 'NotIn');
    if (notIn && Array.isArray(notIn.values)) lists.set(JSON.stringify([...notIn.values].sort()), b);
  }
  if (lists.size > 1) {
    const [, second] = [...lists.values()];
    out.push({ object: second, path: 'spec.matchResources.namespaceSelector', message: 'the guardrails\' bindings exclude different namespaces: one of them was widened' });
  }
  const first = [...lists.keys()][0];
  return first ? JSON.parse(first) : [...ALWAYS_EXCLUDED_NAMESPACES];
}

function bindingProblems(b: RuleObject, severity: RuleSeverity, want: ExpectedBinding, o: GuardrailCheckOptions): GuardrailProblem[] {
  const out: GuardrailProblem[] = [];
  const name = b.metadata?.name;
  const actions: unknown = b.spec?.validationActions;
  const denies = Array.isArray(actions) && actions.includes('Deny');
  if (!denies && severity === RuleSeverity.ERROR) {
    const phase = rolloutProblem(b, o);
    if (phase) out.push({ object: b, path: 'spec.validationActions', message: `${name} does not deny (${JSON.stringify(actions)}): ${phase}` });
  }
  const excludedOf = (b.spec?.matchResources?.namespaceSelector?.matchExpressions ?? []).find((e: any) => e?.key === NAMESPACE_NAME_LABEL && e?.operator === 'NotIn');
  for (const system of ALWAYS_EXCLUDED_NAMESPACES) {
    if (excludedOf && Array.isArray(excludedOf.values) && !excludedOf.values.includes(system)) {
      out.push({ object: b, path: 'spec.matchResources.namespaceSelector', message: `${name} no longer excludes ${system}` });
    }
  }
  if (!same(b.spec?.matchResources, want.matchResources)) {
    out.push({ object: b, path: 'spec.matchResources', message: `${name} matches other namespaces or resources than AdmissionGuardrails writes: it may check nothing` });
  }
  if (!want.readsRegistry) return out;
  const ref = b.spec?.paramRef;
  // A recorded warn phase reads no registry (see AdmissionRollout).
  if (!ref && !denies && rolloutProblem(b, o) === undefined) return out;
  if (!ref || ref.name !== REGISTRY_NAME) {
    out.push({ object: b, path: 'spec.paramRef', message: `${name} does not read the exception registry ${REGISTRY_NAME}` });
  } else if (ref.parameterNotFoundAction !== 'Deny') {
    out.push({
      object: b,
      path: 'spec.paramRef.parameterNotFoundAction',
      message: `${name} admits everything where the registry is missing (parameterNotFoundAction ${ref.parameterNotFoundAction ?? 'unset'})`,
    });
  } else if (ref.namespace !== want.registryNamespace) {
    out.push({
      object: b,
      path: 'spec.paramRef.namespace',
      message: `${name} reads the registry of ${ref.namespace ?? 'the request\'s namespace'}, not ${want.registryNamespace ?? 'the request\'s namespace'}: `
        + 'another namespace\'s registry could except these objects',
    });
  }
  return out;
}

/**
 * Why a binding that only warns is not a valid warn phase, or undefined when it is one: the phase
 * recorded on it, judged as AdmissionGuardrails judges it at synthesis (AdmissionRollout).
 */
function rolloutProblem(b: RuleObject, o: GuardrailCheckOptions): string | undefined {
  const a = b.metadata?.annotations ?? {};
  if (a[ROLLOUT_ANNOTATIONS.phase] !== 'warn') return 'no warn phase is recorded on it (AdmissionRollout.warnUntil)';
  const phase = AdmissionRollout.warnUntil({ until: a[ROLLOUT_ANNOTATIONS.until] ?? '', owner: a[ROLLOUT_ANNOTATIONS.owner] ?? '', reason: a[ROLLOUT_ANNOTATIONS.reason] ?? '' });
  const problem = phase._problem(o.today, o.maxExceptionDays);
  return problem ? `its warn phase is not valid: ${problem[0]}: ${problem[1]}` : undefined;
}
