import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { CONFIG_CONTEXT_KEY, PolicyEnforcement } from './policy-enforcement';
import { AdmissionCheck, RuleSeverity } from './rule';
import { rulesFor } from './rule-pack';
import { ruleContext } from './rule-test-kit';
import { RULE_SETS, RULE_SET_CONTEXT_KEY, ruleSetProblem } from './rule-sets';
import { SecureMeshConfig } from '../config/secure-mesh-config';
import { configError } from '../core/errors';
import { assertDnsLabel } from '../core/names';

/** Name of the ConfigMap holding the exceptions the guardrails honour. */
export const EXCEPTIONS_CONFIGMAP = 'secure-mesh-exceptions';

/** Props of the admission guardrails. */
export interface AdmissionGuardrailsProps {
  /**
   * Namespace of the exceptions ConfigMap (write access there must be limited to security admins).
   *
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Only report violations (admission warnings and audit annotations) instead of refusing them,
   * e.g. while rolling the guardrails out to an existing cluster.
   *
   * @default false - refuse
   */
  readonly warnOnly?: boolean;
  /**
   * The rule set the cluster's objects were written against: policies of rules added in later sets
   * warn and audit instead of refusing, as those rules warn at synth.
   *
   * @default - the app's: the context key `cdk8s-secure-mesh:rule-set`, else `ruleSet` in
   * ./secure-mesh.yaml, else the latest set
   */
  readonly ruleSet?: string;
}

/** The ConfigMap key an object's exceptions are stored under: `Kind.namespace.name`. */
export function exceptionKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}.${namespace ?? ''}.${name}`;
}

/** The ConfigMap key covering the pods (and ReplicaSets) a workload creates: `Workload.namespace.<app label>`. */
export function workloadKey(namespace: string | undefined, app: string): string {
  return `Workload.${namespace ?? ''}.${app}`;
}

/**
 * The CEL that lets an object through when the exceptions ConfigMap lists the rule for it; the
 * same PolicyException that relaxed the rule at synth relaxes it at admission. A workload's
 * exception also covers what its controller creates from it (ReplicaSets, Pods), found by the
 * pod template's `app` label in the same namespace.
 */
export function exceptedExpression(ruleId: string): string {
  const ns = "(has(object.metadata.namespace) ? object.metadata.namespace : '')";
  const own = `object.kind + '.' + ${ns} + '.' + object.metadata.name`;
  const workload = `'Workload.' + ${ns} + '.' + object.metadata.labels['app']`;
  const listed = (key: string) => `((${key}) in params.data && params.data[${key}].split(',').exists(r, r == '${ruleId}'))`;
  const byApp = `(has(object.metadata.labels) && 'app' in object.metadata.labels && ${listed(workload)})`;
  return `(params != null && has(params.data) && (${listed(own)} || ${byApp}))`;
}

/**
 * The rule set as admission guardrails for the cluster (OPS-1): for every rule CEL can express
 * over one object (for the rules that need them, MESH-AUTHZ-007, RBAC-CRB-001, RBAC-BUILTIN-001,
 * NET-DENY-001, NET-EGRESS-001 and NET-CP-001, with the app's root and control-plane namespaces,
 * admin groups and gateways written in), a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) and its
 * binding, so the cluster refuses what synthesis refuses — also objects applied by hand or by
 * other tools. The rule's CEL is the one its synth-time check is tested against.
 *
 * Exceptions: PolicyExceptions in this app are written to the ConfigMap
 * `secure-mesh-exceptions` (key `Kind.namespace.name`, value the rule ids), the policies' param;
 * only objects listed there for a rule pass it. Admission cannot read a clock, so expiry is
 * enforced at synthesis: an expired exception fails the pipeline that regenerates the map.
 */
export class AdmissionGuardrails extends Construct {
  /** Name of the ConfigMap (the policies' param) that carries the exceptions to the cluster. */
  public static readonly EXCEPTIONS_CONFIGMAP = EXCEPTIONS_CONFIGMAP;

  /** Rules emitted as admission policies. */
  public readonly ruleIds: string[];

  constructor(scope: Construct, id: string, props: AdmissionGuardrailsProps = {}) {
    super(scope, id);
    const namespace = props.namespace ?? 'istio-system';
    assertDnsLabel(this, 'namespace', namespace);
    const ruleSet = props.ruleSet ?? appRuleSet(this);
    const problem = ruleSet === undefined ? undefined : ruleSetProblem(ruleSet);
    if (problem) throw configError(this, 'ruleSet', problem, `Use one of ${RULE_SETS.join(', ')}`);
    const all = rulesFor(ruleSet);
    const rules = all.filter((r) => r.admission !== undefined || r.admissionFor !== undefined);
    if (rules.length === 0) throw configError(this, 'rules', 'no rule has an admission form', 'This is a bug in the rule set');
    this.ruleIds = rules.map((r) => r.id);
    const enforcement = PolicyEnforcement.of(this);

    const exceptions = new ApiObject(this, 'Exceptions', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: EXCEPTIONS_CONFIGMAP, namespace },
      data: Lazy.any({ produce: () => exceptionData(enforcement) }),
    });
    enforcement._rendersFromReport(exceptions);

    for (const rule of rules) {
      const name = `secure-mesh-${rule.id.toLowerCase()}`;
      // A rule whose check needs the cluster's settings or the app's objects (admin groups, the
      // control-plane namespace, the Istio Gateways) is rendered with the context the app was
      // checked with, after enforcement; the resources it matches do not depend on them.
      const layout = rule.admission === undefined;
      const checkFor = (): AdmissionCheck => rule.admission ?? rule.admissionFor!(enforcement._lastContext() ?? ruleContext([]));
      const resources = checkFor().resources;
      const message = (): string => {
        const m = checkFor().message;
        return m.startsWith(rule.id) ? m : `${rule.id}: ${m}`;
      };
      const policy = new ApiObject(this, rule.id, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name, annotations: { 'secure-mesh.cdk8s.io/practices': rule.practices.join(',') } },
        spec: {
          failurePolicy: 'Fail',
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: {
            resourceRules: resources.map((r) => ({
              apiGroups: [...r.apiGroups], apiVersions: [...r.apiVersions], resources: [...r.resources], operations: ['CREATE', 'UPDATE'],
            })),
          },
          validations: [{
            expression: layout ? Lazy.any({ produce: () => `${exceptedExpression(rule.id)} || (${checkFor().expression})` })
              : `${exceptedExpression(rule.id)} || (${checkFor().expression})`,
            message: layout ? Lazy.any({ produce: message }) : message(),
            reason: 'Forbidden',
          }],
        },
      });
      if (layout) enforcement._rendersFromReport(policy);
      const binding = new ApiObject(this, `${rule.id}-binding`, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: {
          policyName: name,
          // Fail closed: without the exceptions map every matched request is refused, not waved through.
          paramRef: { name: EXCEPTIONS_CONFIGMAP, namespace, parameterNotFoundAction: 'Deny' },
          validationActions: props.warnOnly || rule.severity === RuleSeverity.WARNING ? ['Warn', 'Audit'] : ['Deny'],
        },
      });
      binding.addDependency(exceptions);
    }
  }
}

/** The rule set the app declares (context key, else ./secure-mesh.yaml), or undefined; an unreadable file is enforcement's to report. */
function appRuleSet(scope: Construct): string | undefined {
  const fromContext: unknown = scope.node.tryGetContext(RULE_SET_CONTEXT_KEY);
  if (fromContext !== undefined) return String(fromContext);
  try {
    const named: unknown = scope.node.tryGetContext(CONFIG_CONTEXT_KEY);
    return (typeof named === 'string' ? SecureMeshConfig.fromFile(named) : SecureMeshConfig.find())?.ruleSet;
  } catch {
    return undefined;
  }
}

/** `Kind.namespace.name` → rule ids, for every object a valid exception covers. */
function exceptionData(enforcement: PolicyEnforcement): { [key: string]: string } | undefined {
  const byObject = new Map<string, Set<string>>();
  const add = (key: string, rule: string) => byObject.set(key, (byObject.get(key) ?? new Set()).add(rule));
  for (const f of enforcement.report.findings) {
    if (!f.exception || f.object === '<mesh>') continue;
    const [kind, ...rest] = f.object.split('/');
    const namespace = rest.length === 2 ? rest[0] : undefined;
    add(exceptionKey(kind, namespace, rest[rest.length - 1]), f.ruleId);
    if (f.podTemplateApp) add(workloadKey(namespace, f.podTemplateApp), f.ruleId);
  }
  if (byObject.size === 0) return undefined;
  return Object.fromEntries([...byObject.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort().join(',')]));
}
