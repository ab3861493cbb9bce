import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { InvariantPolicy, InvariantSettings, invariantPolicies } from './admission-invariants';
import { AdmissionRollout, rolloutAnnotations } from './admission-rollout';
import {
  ALWAYS_EXCLUDED_NAMESPACES, celClusterAdminWrite, celControllerDerived, celExcepted, celMeshNamespace, isClusterScoped, meshNamespaceSelectors,
} from './admission-scope';
import { REGISTRY_NAME } from './exception-registry-format';
import { PolicyEnforcement, appRuleSet } from './policy-enforcement';
import { PolicyException } from './policy-exception';
import { AdmissionCheck, PolicyRule, RuleContext, RuleSeverity } from './rule';
import { rulesFor } from './rule-pack';
import { RULE_SETS, ruleSetProblem } from './rule-sets';
import { ruleContext } from './rule-test-kit';
import { configError } from '../core/errors';
import { assertDnsLabel } from '../core/names';

/** Props of the admission guardrails. */
export interface AdmissionGuardrailsProps {
  /**
   * How violations are acted on: `AdmissionRollout.warnUntil({ until, owner, reason })` to roll
   * the guardrails out on a running cluster (every policy warns and audits, a recorded decision
   * with an end date that synthesis and the audit check), then `AdmissionRollout.enforce()`.
   *
   * @default AdmissionRollout.enforce() - refuse
   */
  readonly rollout?: AdmissionRollout;
  /**
   * The rule set the cluster's objects were written against: policies of rules added in later sets
   * warn and audit instead of refusing, as those rules warn at synth.
   *
   * @default - the app's: the context key `cdk8s-secure-mesh:rule-set`, else `ruleSet` in
   * ./secure-mesh.yaml, else the latest set
   */
  readonly ruleSet?: string;
  /**
   * Namespaces the guardrails never check, even when they carry the mesh's labels (for example
   * a namespace a managed platform creates and labels itself). The Kubernetes system namespaces
   * (kube-system, kube-public, kube-node-lease) are always excluded.
   *
   * @default []
   */
  readonly excludedNamespaces?: string[];
  /**
   * Who besides the mesh admin groups may write the exception registries: the GitOps identities
   * that apply the repositories (usernames, e.g.
   * `system:serviceaccount:config-management-system:root-reconciler`). `{namespace}` stands for
   * the namespace of the registry, so `system:serviceaccount:config-management-system:ns-reconciler-{namespace}`
   * lets each Config Sync RepoSync write only its own namespace's registry.
   *
   * @default [] - mesh admin groups only (MeshRoleSets); without either, synthesis fails, since
   * nobody could write the registries
   */
  readonly registryWriters?: string[];
}

/**
 * The rule set as admission guardrails a real cluster can run (OPS-1, EXC-1).
 *
 * For every rule CEL can express over one object, a ValidatingAdmissionPolicy
 * (admissionregistration.k8s.io/v1), bound where the mesh is:
 * - in the mesh's namespaces only (`istio-injection: enabled`, an `istio.io/rev` label, or
 *   `istio.io/dataplane-mode: ambient`; one binding per selector: `-injected`, `-revision`, `-ambient`),
 *   never in kube-system, kube-public, kube-node-lease or `excludedNamespaces`, so CoreDNS,
 *   istio-cni and the rest of the platform are left alone; cluster-scoped objects (Namespaces of
 *   the mesh, ClusterRoles, ClusterRoleBindings) are checked everywhere;
 * - cluster-scoped objects written by cluster administrators (`system:masters`, the mesh admin
 *   groups) are not refused: the platform's installers write ClusterRoles with wildcards by design,
 *   and those identities control admission itself anyway; the audit still judges the objects;
 * - Pods, ReplicaSets and Jobs that the built-in controllers create from an admitted template
 *   (recognized by `request.userInfo`, never by `ownerReferences`) are not checked again, so an
 *   excepted Deployment or CronJob runs, and a bare Pod is checked with its injected proxy;
 * - exceptions are read from the exception registry of the request's namespace (the ConfigMap
 *   `secure-mesh-exceptions`, key `Kind.name`: see ExceptionRegistry), cluster-scoped objects
 *   from the control-plane namespace's; a mesh namespace without a registry refuses every
 *   checked write (fail closed). Admission has no clock: expiry is enforced by synthesis and the
 *   audit, which rewrite and check the registries, not by the cluster.
 *
 * Besides: the root-namespace invariants by name, on DELETE too (the mesh-wide STRICT
 * PeerAuthentication and the allow-nothing policy cannot be weakened or deleted), mesh
 * namespaces cannot be relabelled out of the mesh, and only mesh admins and `registryWriters`
 * change the registries. The policies and bindings themselves are exempt from admission in
 * Kubernetes: RBAC-ADMISSION-001 keeps writes to them to mesh admins, and the audit compares
 * exported ones with what this construct writes.
 */
export class AdmissionGuardrails extends Construct {
  /** Name of the exception registries (the policies' param). */
  public static readonly EXCEPTIONS_CONFIGMAP = REGISTRY_NAME;

  /** Rules emitted as admission policies (their per-object check, or their invariant). */
  public readonly ruleIds: string[];
  /** How violations are acted on. */
  public readonly rollout: AdmissionRollout;
  /** Namespaces never checked. */
  public readonly excludedNamespaces: string[];

  private readonly enforcement: PolicyEnforcement;

  constructor(scope: Construct, id: string, props: AdmissionGuardrailsProps = {}) {
    super(scope, id);
    const ruleSet = props.ruleSet ?? appRuleSet(this);
    const problem = ruleSet === undefined ? undefined : ruleSetProblem(ruleSet);
    if (problem) throw configError(this, 'ruleSet', problem, `Use one of ${RULE_SETS.join(', ')}`);
    this.rollout = props.rollout ?? AdmissionRollout.enforce();
    (props.excludedNamespaces ?? []).forEach((n, i) => assertDnsLabel(this, `excludedNamespaces[${i}]`, n));
    this.excludedNamespaces = [...new Set([...ALWAYS_EXCLUDED_NAMESPACES, ...(props.excludedNamespaces ?? [])])].sort();
    const writers = [...(props.registryWriters ?? [])];
    writers.forEach((w, i) => {
      if (typeof w !== 'string' || !/^[^\s'"\\]+$/.test(w)) throw configError(this, `registryWriters[${i}]`, `${JSON.stringify(w)} is not a username`, 'Give a Kubernetes username, e.g. system:serviceaccount:argocd:argocd-application-controller');
    });
    const all = rulesFor(ruleSet);
    const rules = all.filter((r) => r.admission !== undefined || r.admissionFor !== undefined);
    if (rules.length === 0) throw configError(this, 'rules', 'no rule has an admission form', 'This is a bug in the rule set');
    this.enforcement = PolicyEnforcement.of(this);
    const enforcement = this.enforcement;
    this.node.addValidation({ validate: () => this.problems(writers) });

    for (const rule of rules) this.rulePolicy(rule, this.actionsFor(rule));
    const invariants = (): InvariantPolicy[] => invariantPolicies(this.invariantSettings(enforcement._lastContext(), writers));
    invariants().forEach((shape, i) => this.invariantPolicy(shape.name, () => invariants()[i]));
    this.ruleIds = [...rules.map((r) => r.id), ...invariants().flatMap((p) => p.ruleIds)].filter((x, i, a) => a.indexOf(x) === i);
  }

  /** Validation-action of a rule's bindings: warnings and rules newer than the app's set warn; the rest follow the rollout. */
  private actionsFor(rule: PolicyRule): string[] {
    return rule.severity === RuleSeverity.WARNING || this.rollout.phase === 'warn' ? ['Warn', 'Audit'] : ['Deny'];
  }

  private rulePolicy(rule: PolicyRule, actions: string[]): void {
    const enforcement = this.enforcement;
    const name = `secure-mesh-${rule.id.toLowerCase()}`;
    // A rule whose check needs the cluster's settings or the app's objects (admin groups, the
    // control-plane namespace, the Istio Gateways) is rendered with the context the app was
    // checked with, after enforcement; the resources it matches do not depend on them.
    const layout = rule.admission === undefined;
    const checkFor = (): AdmissionCheck => admissionCheckOf(rule, enforcement._lastContext() ?? ruleContext([]));
    const message = (): string => {
      const m = checkFor().message;
      return m.startsWith(rule.id) ? m : `${rule.id}: ${m}`;
    };
    const expression = (): string => ruleValidationExpression(rule, enforcement._lastContext() ?? ruleContext([]), this.excludedNamespaces);
    const resourceRules = ruleResourceRules(checkFor());
    const policy = new ApiObject(this, rule.id, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, annotations: { 'secure-mesh.cdk8s.io/practices': rule.practices.join(',') } },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules },
        validations: [{
          expression: Lazy.any({ produce: expression }),
          message: layout ? Lazy.any({ produce: message }) : message(),
          reason: 'Forbidden',
        }],
      },
    });
    enforcement._rendersFromReport(policy);
    this.bindings(rule.id, name, resourceRules, actions);
  }

  /**
   * The bindings of a rule's policy: one per mesh namespace selector for its namespaced resources
   * (registry: the request's namespace), one for its cluster-scoped ones (registry: the control
   * plane's).
   */
  private bindings(id: string, name: string, resourceRules: ResourceRule[], actions: string[]): void {
    const annotations = rolloutAnnotations(this.rollout);
    // In the warn phase the bindings read no registry: a namespace without one (a cluster that
    // predates the guardrails) warns about every violation instead of refusing every write.
    const readsRegistry = this.rollout.phase !== 'warn';
    const binding = (suffix: string, rules: ResourceRule[], matchResources: { [key: string]: unknown }, paramNamespace?: () => string) => {
      new ApiObject(this, `${id}-${suffix}`, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: `${name}-${suffix}`, ...(annotations ? { annotations } : {}) },
        spec: {
          policyName: name,
          matchResources: { ...matchResources, resourceRules: rules },
          ...(readsRegistry ? {
            paramRef: {
              name: REGISTRY_NAME,
              ...(paramNamespace ? { namespace: Lazy.any({ produce: paramNamespace }) } : {}),
              parameterNotFoundAction: 'Deny',
            },
          } : {}),
          validationActions: actions,
        },
      });
    };
    for (const plan of bindingPlan(resourceRules, this.excludedNamespaces)) {
      binding(plan.suffix, plan.resourceRules, plan.namespaceSelector ? { namespaceSelector: plan.namespaceSelector } : {},
        plan.clusterScoped ? () => this.controlPlaneNamespace() : undefined);
    }
  }

  private invariantPolicy(id: string, shape: () => InvariantPolicy): void {
    const first = shape();
    const policy = new ApiObject(this, id, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: first.name, annotations: { 'secure-mesh.cdk8s.io/practices': first.practices.join(',') } },
      spec: {
        failurePolicy: 'Fail',
        ...(first.registryNamespace !== undefined ? { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } } : {}),
        matchConstraints: { resourceRules: first.resourceRules },
        validations: [{ expression: Lazy.any({ produce: () => shape().expression }), message: Lazy.any({ produce: () => shape().message }), reason: 'Forbidden' }],
      },
    });
    this.enforcement._rendersFromReport(policy);
    const annotations = rolloutAnnotations(this.rollout);
    const binding = new ApiObject(this, `${id}-binding`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: first.name, ...(annotations ? { annotations } : {}) },
      spec: {
        policyName: first.name,
        ...(first.namespaceSelector ? { matchResources: { namespaceSelector: Lazy.any({ produce: () => shape().namespaceSelector }) } } : {}),
        ...(first.registryNamespace !== undefined && this.rollout.phase !== 'warn' ? {
          paramRef: { name: REGISTRY_NAME, namespace: Lazy.any({ produce: () => shape().registryNamespace }), parameterNotFoundAction: 'Deny' },
        } : {}),
        validationActions: this.rollout.phase === 'warn' ? ['Warn', 'Audit'] : ['Deny'],
      },
    });
    this.enforcement._rendersFromReport(binding);
  }

  private controlPlaneNamespace(): string {
    return this.enforcement._lastContext()?.controlPlaneNamespace ?? 'istio-system';
  }

  private invariantSettings(ctx: RuleContext | undefined, writers: string[]): InvariantSettings {
    return invariantSettingsFor(ctx ?? ruleContext([]), this.excludedNamespaces, writers);
  }

  /** The warn phase is within its dates; someone can write the registries. */
  private problems(writers: string[]): string[] {
    const out: string[] = [];
    let today: string;
    try {
      today = PolicyException.today(this);
    } catch (e) {
      return [(e as Error).message];
    }
    const problem = this.rollout._problem(today, this.enforcement.maxExceptionDays);
    if (problem) out.push(`${problem[0]}: ${problem[1]}. Fix: ${problem[2]}`);
    if (writers.length === 0 && this.enforcement._declaredMesh().meshAdminGroups.length === 0) {
      out.push('registryWriters: nobody could write the exception registries (no mesh admin group in the app and no registryWriters). '
        + 'Fix: declare the admin groups with MeshRoleSets, or list the GitOps identities that apply the repositories in registryWriters');
    }
    return out;
  }
}

/** A resource rule of a policy (admissionregistration.k8s.io/v1 NamedRuleWithOperations). */
export interface ResourceRule {
  readonly apiGroups: string[];
  readonly apiVersions: string[];
  readonly resources: string[];
  readonly operations: string[];
}

/** One binding of a rule's policy: its name suffix, the resources it covers, and where. */
export interface BindingPlan {
  readonly suffix: string;
  readonly resourceRules: ResourceRule[];
  /** The mesh namespace selector (namespaced resources only). */
  readonly namespaceSelector?: { [key: string]: unknown };
  /** Cluster-scoped resources: the registry is the control plane's. */
  readonly clusterScoped: boolean;
}

/**
 * The bindings of a rule's policy: one per mesh namespace selector for its namespaced resources
 * (each reading the registry of the request's namespace), one for its cluster-scoped ones
 * (reading the control plane's). AdmissionGuardrails writes them, the audit compares with them.
 */
export function bindingPlan(resourceRules: readonly ResourceRule[], excludedNamespaces: readonly string[]): BindingPlan[] {
  const namespaced: ResourceRule[] = [];
  const cluster: ResourceRule[] = [];
  for (const r of resourceRules) {
    for (const group of r.apiGroups) {
      for (const resource of r.resources) {
        (isClusterScoped(group, resource) ? cluster : namespaced).push({ ...r, apiGroups: [group], resources: [resource] });
      }
    }
  }
  return [
    ...(namespaced.length ? meshNamespaceSelectors(excludedNamespaces).map(({ suffix, selector }) => ({
      suffix, resourceRules: namespaced, namespaceSelector: selector, clusterScoped: false,
    })) : []),
    ...(cluster.length ? [{ suffix: 'cluster', resourceRules: cluster, clusterScoped: true }] : []),
  ];
}

/** The admission check of a rule for the app (or cluster) described by `ctx`. */
export function admissionCheckOf(rule: PolicyRule, ctx: RuleContext): AdmissionCheck {
  // A rule with both forms takes the cluster's settings when there are some (e.g. the mesh's proxy images).
  return rule.admissionFor ? rule.admissionFor(ctx) : rule.admission!;
}

/** The resource rules of a rule's policy: its resources, on CREATE and UPDATE. */
export function ruleResourceRules(check: AdmissionCheck): ResourceRule[] {
  return check.resources.map((r) => ({
    apiGroups: [...r.apiGroups], apiVersions: [...r.apiVersions], resources: [...r.resources], operations: ['CREATE', 'UPDATE'],
  }));
}

/**
 * The validation expression of a rule's policy: what the built-in controllers derive is not
 * checked again, the registry may except the object, cluster admins write cluster-scoped objects,
 * a Namespace outside the mesh is out of scope (cluster-scoped requests are not filtered by
 * selectors), and otherwise the rule's check decides.
 */
export function ruleValidationExpression(rule: PolicyRule, ctx: RuleContext, excludedNamespaces: readonly string[]): string {
  return `${celControllerDerived()} || ${celExcepted([rule.id])} || ${celClusterAdminWrite(ctx.meshAdminGroups)} || `
    + `(object.kind == 'Namespace' && !${celMeshNamespace('object', excludedNamespaces)}) || (${admissionCheckOf(rule, ctx).expression})`;
}

/** The settings of the invariant policies for the app (or cluster) described by `ctx`: its mesh-wide policies by name. */
export function invariantSettingsFor(ctx: RuleContext, excludedNamespaces: readonly string[], writers: readonly string[]): InvariantSettings {
  const root = ctx.rootNamespace;
  const inRoot = ctx.objects.filter((o) => o.metadata?.namespace === root && typeof o.metadata?.name === 'string');
  const meshWide = (o: any) => !o.spec?.selector && !o.spec?.targetRef && !o.spec?.targetRefs;
  return {
    rootNamespace: root,
    controlPlaneNamespace: ctx.controlPlaneNamespace,
    meshWidePeerAuthentications: inRoot.filter((o) => o.kind === 'PeerAuthentication' && meshWide(o)).map((o) => o.metadata!.name as string).sort(),
    allowNothingPolicies: inRoot.filter((o) => o.kind === 'AuthorizationPolicy' && meshWide(o) && !(o.spec?.rules?.length) && !o.spec?.action)
      .map((o) => o.metadata!.name as string).sort(),
    excludedNamespaces: [...excludedNamespaces],
    meshAdminGroups: [...ctx.meshAdminGroups],
    registryWriters: [...writers],
  };
}

