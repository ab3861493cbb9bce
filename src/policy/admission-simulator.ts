import type { CelEnv } from '@bufbuild/cel';
import { toAdmissionValue } from './admission-cel';
import { celModules } from '../validation/cel/cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from '../validation/cel/kubernetes-library';
import { lookupCoreKind } from '../validation/core-catalog';
import { harnessCrdCatalog } from '../validation/manifest-validator';

/*
 * An offline model of how a Kubernetes API server (1.30+) decides an admission request against
 * ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) and their bindings. Internal:
 * tests and the audit use it to evaluate what the library emits against a cluster inventory.
 *
 * Upstream sources the behaviour follows (kubernetes/kubernetes, staging/src/k8s.io/apiserver/pkg/):
 *  - admission/plugin/policy/generic/plugin.go            Dispatch: exempt resources
 *  - admission/plugin/policy/validating/dispatcher.go     Dispatch: policies x bindings x params,
 *                                                         failurePolicy on configuration errors,
 *                                                         validationActions, denial message
 *  - admission/plugin/policy/generic/policy_dispatcher.go CollectParams
 *  - admission/plugin/policy/generic/policy_matcher.go    DefinitionMatches / BindingMatches
 *  - admission/plugin/policy/matching/matching.go         Matches / matchesResourceRules
 *  - admission/plugin/webhook/predicates/{rules,namespace,object}/ rule, namespaceSelector and
 *                                                         objectSelector predicates
 *  - admission/plugin/policy/validating/validator.go      Validate: matchConditions, validations,
 *                                                         messages, failurePolicy on CEL errors
 *  - admission/plugin/policy/validating/plugin.go         compilePolicy: which variables each
 *                                                         kind of expression may read
 *  - admission/plugin/cel/filter.go                       activation, CreateAdmissionRequest,
 *                                                         CreateNamespaceObject
 *
 * Deliberate simplifications (each one is also noted where it applies):
 *  - matchPolicy Equivalent (the API default) is treated as Exact: the simulator knows no
 *    equivalent resources (e.g. a Deployment served by apps/v1 and another version), so a rule
 *    matches a request only on its own group/version/resource.
 *  - CEL is the repository's engine (@bufbuild/cel with the string extensions and the URL
 *    library): the Kubernetes libraries it lacks (quantity, ip/cidr, regex extras, format, lists,
 *    sets...) and `authorizer` fail to evaluate, which is reported as an evaluation error subject
 *    to failurePolicy, never silently passed.
 *  - No static type checking: a validation or match condition that does not produce a bool is an
 *    error when it is evaluated (upstream rejects a non-bool expression when compiling it, and
 *    also an expression whose static type is dyn; both end up as failurePolicy errors).
 *  - No CEL cost budget.
 *  - auditAnnotations are not evaluated (upstream turns their errors into denials under
 *    failurePolicy Fail; the library emits none).
 *  - Newer releases check "admission equivalents" (generic/equivalents.go) before dispatching;
 *    that is not modelled.
 *  - Of the API server's defaulting (which runs before admission), only the Namespace name label
 *    `kubernetes.io/metadata.name` is applied; objects are otherwise evaluated as given.
 */

/** An operation the ValidatingAdmissionPolicy plugin handles (plugin.go: Connect, Create, Delete, Update). */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The requesting user. */
export interface AdmissionUserInfo {
  readonly username: string;
  readonly groups?: string[];
  readonly uid?: string;
  readonly extra?: Record<string, string[]>;
}

/** One admission request. */
export interface AdmissionRequestInput {
  readonly operation: AdmissionOperation;
  /** The object sent (null or absent for DELETE). */
  readonly object?: any;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: any;
  /** @default { username: 'admin', groups: ['system:authenticated'] } */
  readonly userInfo?: AdmissionUserInfo;
  readonly subResource?: string;
  readonly dryRun?: boolean;
  /**
   * The namespace of the request URL, for a namespaced object without `metadata.namespace`.
   *
   * @default - the object's `metadata.namespace`, else 'default' (what kubectl sends without a context namespace)
   */
  readonly namespace?: string;
  /** The name in the request URL, when the object has none (generateName, CONNECT). */
  readonly name?: string;
}

/** What the API server would look up while deciding. */
export interface ClusterState {
  /** Namespace objects: their labels feed namespaceSelector, the object becomes `namespaceObject`. */
  readonly namespaces: any[];
  /** Candidate param objects (e.g. ConfigMaps) that paramRef can find. */
  readonly params: any[];
}

/** A validation outcome attributed to a policy and a binding (binding '' for policy-level errors). */
export interface PolicyOutcome {
  readonly policy: string;
  readonly binding: string;
  readonly message: string;
}

/** A Deny that fired. */
export interface AdmissionDenial extends PolicyOutcome {
  /** The status reason of the refusal (`Invalid` when the validation names none). */
  readonly reason?: string;
}

/** How the API server would answer. */
export interface AdmissionDecision {
  readonly allowed: boolean;
  /** Denials: validations with the Deny action that failed, and errors denied by failurePolicy Fail. */
  readonly denials: AdmissionDenial[];
  /** Warnings returned to the client (validations with the Warn action that failed). */
  readonly warnings: PolicyOutcome[];
  /** Failures recorded in the audit annotation `validation.policy.admission.k8s.io/validation_failure`. */
  readonly audits: PolicyOutcome[];
  /** Evaluation and configuration errors, each saying how failurePolicy applied. */
  readonly errors: PolicyOutcome[];
  /** The message of the API server's refusal (its first denial), when refused. */
  readonly message?: string;
}

/** The REST resource of a kind: its plural name and scope. */
export interface ResourceInfo {
  readonly resource: string;
  readonly namespaced: boolean;
}

/** Options of the simulator. */
export interface AdmissionSimulatorOptions {
  /** Resolves kinds the default mapping does not know (or overrides it); undefined falls back to it. */
  readonly resourceOf?: (apiVersion: string, kind: string) => ResourceInfo | undefined;
}

// ---- Resource identity --------------------------------------------------------------------------

/** Plural resource names of the built-in kinds (group/Kind); their scope comes from the core catalog. */
const BUILTIN_RESOURCES: { readonly [groupKind: string]: string } = {
  '/Pod': 'pods',
  '/Service': 'services',
  '/ConfigMap': 'configmaps',
  '/Secret': 'secrets',
  '/ServiceAccount': 'serviceaccounts',
  '/Namespace': 'namespaces',
  '/Endpoints': 'endpoints',
  '/Node': 'nodes',
  '/PersistentVolumeClaim': 'persistentvolumeclaims',
  '/LimitRange': 'limitranges',
  '/ResourceQuota': 'resourcequotas',
  'apps/Deployment': 'deployments',
  'apps/StatefulSet': 'statefulsets',
  'apps/DaemonSet': 'daemonsets',
  'apps/ReplicaSet': 'replicasets',
  'batch/Job': 'jobs',
  'batch/CronJob': 'cronjobs',
  'networking.k8s.io/NetworkPolicy': 'networkpolicies',
  'networking.k8s.io/Ingress': 'ingresses',
  'rbac.authorization.k8s.io/Role': 'roles',
  'rbac.authorization.k8s.io/ClusterRole': 'clusterroles',
  'rbac.authorization.k8s.io/RoleBinding': 'rolebindings',
  'rbac.authorization.k8s.io/ClusterRoleBinding': 'clusterrolebindings',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': 'validatingadmissionpolicies',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': 'validatingadmissionpolicybindings',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': 'validatingwebhookconfigurations',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': 'mutatingwebhookconfigurations',
  'policy/PodDisruptionBudget': 'poddisruptionbudgets',
};

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * The default kind → resource mapping: built-in kinds (plural from the table above, scope from
 * the core catalog, i.e. only versions Kubernetes serves) and the CRDs the validation harness
 * serves (the pinned Istio CRDs and GKE's edge kinds; plural and scope from their definitions).
 * Undefined for anything else.
 */
export function defaultResourceOf(apiVersion: string, kind: string): ResourceInfo | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const plural = BUILTIN_RESOURCES[`${group}/${kind}`];
  if (plural !== undefined) {
    const core = lookupCoreKind(apiVersion, kind);
    return core ? { resource: plural, namespaced: core.namespaced } : undefined;
  }
  const crd = harnessCrdCatalog().lookup(group, version, kind);
  return crd?.plural ? { resource: crd.plural, namespaced: crd.namespaced } : undefined;
}

// ---- Request attributes -------------------------------------------------------------------------

interface Attributes {
  readonly operation: AdmissionOperation;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly resource: string;
  readonly subResource: string;
  readonly name: string;
  /** As admission.Attributes.GetNamespace(): '' for cluster-scoped requests (and Namespace CREATE). */
  readonly namespace: string;
  readonly object: any;
  readonly oldObject: any;
  readonly userInfo: AdmissionUserInfo;
  readonly dryRun: boolean;
}

const isNamespaceResource = (a: Attributes) => a.group === '' && a.version === 'v1' && a.resource === 'namespaces';

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function labelsOf(obj: unknown): Record<string, string> {
  const labels = isObject(obj) && isObject(obj.metadata) ? obj.metadata.labels : undefined;
  return isObject(labels) ? labels : {};
}

// ---- Label selectors (metav1.LabelSelectorAsSelector + labels.Selector.Matches) -------------------

type Selector = { empty: boolean; matches: (labels: Record<string, string>) => boolean };

/** Parses a LabelSelector; throws on an invalid one. Absent selectors are defaulted to {} (policy_matcher.go). */
function parseSelector(selector: unknown): Selector {
  if (selector === undefined || selector === null) return { empty: true, matches: () => true };
  if (!isObject(selector)) throw new Error(`invalid label selector ${JSON.stringify(selector)}`);
  const requirements: ((labels: Record<string, string>) => boolean)[] = [];
  for (const [key, value] of Object.entries(isObject(selector.matchLabels) ? selector.matchLabels : {})) {
    requirements.push((labels) => Object.prototype.hasOwnProperty.call(labels, key) && labels[key] === String(value));
  }
  const expressions = selector.matchExpressions ?? [];
  if (!Array.isArray(expressions)) throw new Error('matchExpressions must be a list');
  for (const e of expressions) {
    const key = String(e?.key);
    const values: string[] = Array.isArray(e?.values) ? e.values.map(String) : [];
    const has = (labels: Record<string, string>) => Object.prototype.hasOwnProperty.call(labels, key);
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new Error('values: Invalid value: []: for \'in\', \'notin\' operators, values set can\'t be empty');
        requirements.push(e.operator === 'In'
          ? (labels) => has(labels) && values.includes(labels[key])
          : (labels) => !has(labels) || !values.includes(labels[key]));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new Error(`values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`);
        requirements.push(e.operator === 'Exists' ? has : (labels) => !has(labels));
        break;
      default:
        throw new Error(`"${e?.operator}" is not a valid label selector operator`);
    }
  }
  return { empty: requirements.length === 0, matches: (labels) => requirements.every((r) => r(labels)) };
}

// ---- Matching (matching.go, predicates/rules, predicates/namespace, predicates/object) -------------

interface MatchResult {
  readonly matches: boolean;
  readonly error?: string;
}

const notFound = (namespace: string) => `namespaces "${namespace}" not found`;

/** The label the API server's defaulting gives every named Namespace (core/v1 SetDefaults_Namespace). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A Namespace as the API server has it after defaulting: labelled with its own name. */
function defaultedNamespace(namespace: any): any {
  const name = namespace?.metadata?.name;
  if (!isObject(namespace) || typeof name !== 'string' || name === '') return namespace;
  return { ...namespace, metadata: { ...namespace.metadata, labels: { ...labelsOf(namespace), [NAMESPACE_NAME_LABEL]: name } } };
}

/** The stored Namespace, as the namespace lister would return it. */
function storedNamespace(cluster: ClusterState, name: string): any {
  const found = (cluster.namespaces ?? []).find((n) => isObject(n) && n.metadata?.name === name);
  return found === undefined ? undefined : defaultedNamespace(found);
}

/**
 * namespace.Matcher.GetNamespaceLabels: a Namespace being created or updated (no subresource)
 * offers its own labels (from the request object, the lister does not have them yet); any other
 * request, a Namespace DELETE included, reads the stored Namespace of attr.GetNamespace(), which
 * for requests on a Namespace is its own name. The simulator's store is cluster.namespaces; for a
 * DELETE of a Namespace absent from it, the request's oldObject is the stored object.
 */
function namespaceLabels(a: Attributes, cluster: ClusterState): Record<string, string> | string {
  if (a.resource === 'namespaces' && a.subResource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return labelsOf(a.object);
  const stored = storedNamespace(cluster, a.namespace)
    ?? (isNamespaceResource(a) && a.oldObject?.metadata?.name === a.namespace ? a.oldObject : undefined);
  return stored ? labelsOf(stored) : notFound(a.namespace);
}

/** namespace.Matcher.MatchNamespaceSelector: cluster-scoped requests other than Namespaces are never skipped. */
function matchNamespaceSelector(selector: unknown, a: Attributes, cluster: ClusterState): MatchResult {
  if (a.namespace === '' && a.resource !== 'namespaces') return { matches: true };
  let parsed: Selector;
  try {
    parsed = parseSelector(selector);
  } catch (e) {
    return { matches: false, error: `namespaceSelector: ${(e as Error).message}` };
  }
  if (parsed.empty) return { matches: true };
  const labels = namespaceLabels(a, cluster);
  if (typeof labels === 'string') return { matches: false, error: labels };
  return { matches: parsed.matches(labels) };
}

/** object.Matcher.MatchObjectSelector: the object's or the old object's labels (either may match; an absent one never does). */
function matchObjectSelector(selector: unknown, a: Attributes): MatchResult {
  let parsed: Selector;
  try {
    parsed = parseSelector(selector);
  } catch (e) {
    return { matches: false, error: `objectSelector: ${(e as Error).message}` };
  }
  if (parsed.empty) return { matches: true };
  const matchObject = (obj: unknown) => isObject(obj) && parsed.matches(labelsOf(obj));
  return { matches: matchObject(a.object) || matchObject(a.oldObject) };
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const exactOrWildcard = (items: unknown, requested: string) => list(items).some((i) => i === '*' || i === requested);

/** rules.Matcher.Matches plus the resourceNames check of matchesResourceRules. */
function ruleMatches(rule: any, a: Attributes): boolean {
  if (!isObject(rule)) return false;
  // scope: a Namespace is cluster-scoped even though attr.GetNamespace() carries its name.
  const scope = rule.scope ?? '*';
  if (scope === 'Namespaced' && (isNamespaceResource(a) || a.namespace === '')) return false;
  if (scope === 'Cluster' && !(isNamespaceResource(a) || a.namespace === '')) return false;
  if (scope !== '*' && scope !== 'Namespaced' && scope !== 'Cluster') return false;
  if (!exactOrWildcard(rule.operations, a.operation)) return false;
  if (!exactOrWildcard(rule.apiGroups, a.group) || !exactOrWildcard(rule.apiVersions, a.version)) return false;
  // resources: 'res' matches the resource without subresource, 'res/sub' that subresource, '*' any
  // resource (without subresource), 'res/*' the resource with or without any subresource.
  const resourceMatch = list(rule.resources).some((r) => {
    const [res, ...rest] = String(r).split('/');
    const sub = rest.join('/');
    return (res === '*' || res === a.resource) && (sub === '*' || sub === a.subResource);
  });
  if (!resourceMatch) return false;
  const names = list(rule.resourceNames);
  return names.length === 0 || names.includes(a.name);
}

/**
 * matching.Matcher.Matches over a MatchResources (a policy's matchConstraints or a binding's
 * matchResources): namespaceSelector, objectSelector, excludeResourceRules, resourceRules (none =
 * every resource); selector errors surface only when the request would otherwise match.
 * matchPolicy Equivalent is treated as Exact (see the header).
 */
function matchResources(criteria: any, a: Attributes, cluster: ClusterState): MatchResult {
  const c = isObject(criteria) ? criteria : {};
  const ns = matchNamespaceSelector(c.namespaceSelector, a, cluster);
  if (!ns.matches && !ns.error) return { matches: false };
  const obj = matchObjectSelector(c.objectSelector, a);
  if (!obj.matches && !obj.error) return { matches: false };
  if (list(c.excludeResourceRules).some((r) => ruleMatches(r, a))) return { matches: false };
  const rules = list(c.resourceRules);
  if (rules.length > 0 && !rules.some((r) => ruleMatches(r, a))) return { matches: false };
  if (ns.error) return { matches: false, error: ns.error };
  if (obj.error) return { matches: false, error: obj.error };
  return { matches: true };
}

// ---- CEL ----------------------------------------------------------------------------------------

const { celEnv, isCelError, parse, plan } = celModules().cel;
let env: CelEnv | undefined;
type Program = ReturnType<typeof plan>;
const compiled = new Map<string, { program: Program; free: Set<string> } | { error: string }>();

/** The identifiers an expression reads that no comprehension binds. */
function freeIdentifiers(expr: any, bound: ReadonlySet<string>, out: Set<string>): void {
  if (!isObject(expr)) return;
  const kind = expr.exprKind;
  if (!isObject(kind)) return;
  const v = kind.value;
  switch (kind.case) {
    case 'identExpr':
      if (!bound.has(v.name)) out.add(v.name);
      return;
    case 'selectExpr':
      freeIdentifiers(v.operand, bound, out);
      return;
    case 'callExpr':
      freeIdentifiers(v.target, bound, out);
      for (const arg of v.args ?? []) freeIdentifiers(arg, bound, out);
      return;
    case 'listExpr':
      for (const e of v.elements ?? []) freeIdentifiers(e, bound, out);
      return;
    case 'structExpr':
      for (const e of v.entries ?? []) {
        freeIdentifiers(e.keyKind?.case === 'mapKey' ? e.keyKind.value : undefined, bound, out);
        freeIdentifiers(e.value, bound, out);
      }
      return;
    case 'comprehensionExpr': {
      freeIdentifiers(v.iterRange, bound, out);
      freeIdentifiers(v.accuInit, bound, out);
      const inner = new Set([...bound, v.iterVar, v.iterVar2, v.accuVar].filter((x) => typeof x === 'string' && x !== ''));
      freeIdentifiers(v.loopCondition, inner, out);
      freeIdentifiers(v.loopStep, inner, out);
      freeIdentifiers(v.result, new Set([...bound, v.accuVar]), out);
      return;
    }
    default:
      return;
  }
}

function compile(expression: string): { program: Program; free: Set<string> } | { error: string } {
  let entry = compiled.get(expression);
  if (!entry) {
    try {
      env ??= celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });
      const parsed = parse(expression);
      const free = new Set<string>();
      freeIdentifiers(parsed.expr, new Set(), free);
      entry = { program: plan(env, parsed), free };
    } catch (e) {
      entry = { error: (e as Error).message };
    }
    compiled.set(expression, entry);
  }
  return entry;
}

/** The variables an expression may read (validating/plugin.go compilePolicy, cel/filter.go ForInput). */
interface Activation {
  readonly object: unknown;
  readonly oldObject: unknown;
  readonly request: unknown;
  readonly namespaceObject: unknown;
  /** Declared only when the policy has a paramKind; null when the binding selects no param. */
  readonly params?: unknown;
  /** Whether `authorizer` is declared (validations, matchConditions, variables) rather than undeclared (messageExpression). */
  readonly authorizerDeclared: boolean;
  readonly variables?: Map<string, unknown>;
}

type Evaluation = { value: unknown } | { error: string };

/**
 * Evaluates one expression. Errors are phrased like upstream's: "compilation error: ..." for what
 * the API server would refuse to compile (syntax, undeclared variables, a non-bool result where
 * a bool is required), "expression '...' resulted in error: ..." for runtime errors.
 */
function evaluate(expression: string, activation: Activation, wantBool: boolean): Evaluation {
  const c = compile(expression);
  if ('error' in c) return { error: `compilation error: ${c.error}` };
  for (const name of c.free) {
    if (name === 'params' && !('params' in activation)) return { error: "compilation error: undeclared reference to 'params' (the policy has no paramKind)" };
    if (name === 'authorizer') {
      return activation.authorizerDeclared
        ? { error: `expression '${expression}' resulted in error: the authorizer is not supported by the admission simulator` }
        : { error: "compilation error: undeclared reference to 'authorizer'" };
    }
  }
  const bindings: Record<string, unknown> = {
    object: activation.object,
    oldObject: activation.oldObject,
    request: activation.request,
    namespaceObject: activation.namespaceObject,
    variables: activation.variables ?? new Map(),
  };
  if ('params' in activation) bindings.params = activation.params;
  let result: unknown;
  try {
    result = c.program(bindings as any);
  } catch (e) {
    return { error: `expression '${expression}' resulted in error: ${(e as Error).message}` };
  }
  if (isCelError(result)) return { error: `expression '${expression}' resulted in error: ${result.message}` };
  if (wantBool && typeof result !== 'boolean') return { error: `compilation error: must evaluate to bool (got ${describe(result)})` };
  return { value: result };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  return typeof value === 'object' ? 'a list or map' : typeof value;
}

/**
 * `variables`, evaluated lazily (at most once per evaluation pass, like upstream's composition
 * context): a variable reads the variables declared before it only; an error in a variable is
 * an error of every expression that reads it, and of none other.
 */
class VariableScope {
  private readonly results = new Map<string, Evaluation>();
  constructor(private readonly definitions: readonly { name: string; expression: string }[], private readonly base: Omit<Activation, 'variables'>) {}

  /** The `variables` map visible to an expression: the first `visible` variables. */
  public view(visible: number = this.definitions.length): Map<string, unknown> {
    const scope = this;
    const names = this.definitions.slice(0, visible).map((d) => d.name);
    return new (class extends Map<string, unknown> {
      public get(key: string): unknown {
        if (!names.includes(key)) return undefined;
        const r = scope.value(key);
        if ('error' in r) throw new Error(`variables.${key}: ${r.error}`);
        return r.value;
      }
    })(names.map((n) => [n, null]));
  }

  private value(name: string): Evaluation {
    let r = this.results.get(name);
    if (!r) {
      const index = this.definitions.findIndex((d) => d.name === name);
      r = evaluate(this.definitions[index].expression, { ...this.base, variables: this.view(index) }, false);
      this.results.set(name, r);
    }
    return r;
  }
}

/** cel.CreateNamespaceObject: the Namespace as CEL sees it (no apiVersion/kind, selected metadata). */
function namespaceObjectOf(namespace: any): unknown {
  if (!isObject(namespace)) return null;
  const m = isObject(namespace.metadata) ? namespace.metadata : {};
  const keep = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
    'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'finalizers'];
  const metadata = Object.fromEntries(keep.filter((k) => m[k] !== undefined).map((k) => [k, m[k]]));
  return toAdmissionValue({
    metadata,
    ...(namespace.spec !== undefined ? { spec: namespace.spec } : {}),
    ...(namespace.status !== undefined ? { status: namespace.status } : {}),
  });
}

/** cel.CreateAdmissionRequest, as JSON (AdmissionRequest's omitempty fields omitted; uid is never set). */
function requestOf(a: Attributes): unknown {
  const kind = { group: a.group, version: a.version, kind: a.kind };
  const resource = { group: a.group, version: a.version, resource: a.resource };
  const u = a.userInfo;
  const userInfo = {
    ...(u.username ? { username: u.username } : {}),
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups && u.groups.length > 0 ? { groups: u.groups } : {}),
    ...(u.extra && Object.keys(u.extra).length > 0 ? { extra: u.extra } : {}),
  };
  return toAdmissionValue({
    uid: '',
    kind,
    resource,
    ...(a.subResource ? { subResource: a.subResource } : {}),
    requestKind: kind,
    requestResource: resource,
    ...(a.subResource ? { requestSubResource: a.subResource } : {}),
    ...(a.name ? { name: a.name } : {}),
    ...(a.namespace ? { namespace: a.namespace } : {}),
    operation: a.operation,
    userInfo,
    dryRun: a.dryRun,
  });
}

// ---- The simulator ------------------------------------------------------------------------------

/** A decision of one validation (validator.go PolicyDecision). */
interface PolicyDecision {
  readonly deny: boolean;
  readonly evalError: boolean;
  readonly message: string;
  readonly reason?: string;
}

/** Upstream's MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;

/** Resources never subject to API-defined policies (generic/plugin.go admissionResources), by group and resource. */
const EXEMPT_RESOURCES = new Set([
  'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings',
]);

/**
 * Decides admission requests as an API server running the given ValidatingAdmissionPolicies and
 * bindings would (see the header of this file for the upstream sources and the simplifications).
 */
export class AdmissionSimulator {
  private readonly policies: any[];
  private readonly bindings: any[];
  private readonly resourceOf: (apiVersion: string, kind: string) => ResourceInfo | undefined;

  /** @param documents synthesized documents; ValidatingAdmissionPolicies and their bindings are used, the rest ignored. */
  constructor(documents: any[], options: AdmissionSimulatorOptions = {}) {
    const ofKind = (kind: string) => documents.filter((d) => isObject(d) && d.kind === kind
      && typeof d.apiVersion === 'string' && d.apiVersion.startsWith('admissionregistration.k8s.io/'));
    this.policies = ofKind('ValidatingAdmissionPolicy');
    this.bindings = ofKind('ValidatingAdmissionPolicyBinding');
    const custom = options.resourceOf;
    this.resourceOf = (apiVersion, kind) => custom?.(apiVersion, kind) ?? defaultResourceOf(apiVersion, kind);
  }

  /** The API server's answer to one request. Throws when the request itself is malformed (no object, unknown kind). */
  public decide(request: AdmissionRequestInput, cluster: ClusterState): AdmissionDecision {
    const a = this.attributes(request);
    const denials: AdmissionDenial[] = [];
    const warnings: PolicyOutcome[] = [];
    const audits: PolicyOutcome[] = [];
    const errors: PolicyOutcome[] = [];
    const done = (fatal?: string): AdmissionDecision => {
      const first = denials[0];
      const message = fatal ?? (first === undefined ? undefined : first.binding
        ? `ValidatingAdmissionPolicy '${first.policy}' with binding '${first.binding}' denied request: ${first.message}`
        : `ValidatingAdmissionPolicy '${first.policy}' denied request: ${first.message}`);
      return { allowed: fatal === undefined && denials.length === 0, denials, warnings, audits, errors, ...(message ? { message } : {}) };
    };

    // generic/plugin.go: the policy resources themselves are never subject to API-defined policies
    // (webhook configurations are: only the webhook plugin exempts them).
    if (a.group === 'admissionregistration.k8s.io' && EXEMPT_RESOURCES.has(a.resource)) return done();

    // validating/dispatcher.go addConfigError: configuration errors obey failurePolicy and, under
    // Fail, deny whatever the binding's validationActions say.
    const configError = (policy: any, binding: any, err: string) => {
      const message = `${binding ? 'failed to configure binding' : 'failed to configure policy'}: ${err}`;
      const at = { policy: policy.metadata?.name ?? '', binding: binding?.metadata?.name ?? '' };
      const failurePolicy = policy.spec?.failurePolicy ?? 'Fail';
      if (failurePolicy === 'Ignore') {
        errors.push({ ...at, message: `${message} (ignored: failurePolicy Ignore)` });
      } else {
        const denied = failurePolicy === 'Fail' ? message : `unrecognized failure policy: '${failurePolicy}'`;
        denials.push({ ...at, message: denied, reason: 'Invalid' });
        errors.push({ ...at, message: `${denied} (denied: failurePolicy ${failurePolicy})` });
      }
    };

    for (const policy of this.policies) {
      const spec = isObject(policy.spec) ? policy.spec : {};
      const policyName: string = policy.metadata?.name ?? '';
      // generic/policy_source.go calculatePolicyData: only policies some binding names are loaded,
      // and a paramKind whose apiVersion does not parse keeps the policy from loading at all.
      const bindings = this.bindings.filter((b) => b.spec?.policyName === policyName);
      if (bindings.length === 0) continue;
      const paramKind = isObject(spec.paramKind) ? spec.paramKind : undefined;
      if (paramKind && String(paramKind.apiVersion ?? '').split('/').length > 2) {
        errors.push({ policy: policyName, binding: '', message: `failed to parse paramKind APIVersion '${paramKind.apiVersion}' (the policy is not loaded)` });
        continue;
      }
      // generic/policy_matcher.go DefinitionMatches
      const definition = spec.matchConstraints === undefined || spec.matchConstraints === null
        ? { matches: true, error: 'policy contained no match constraints, a required field' }
        : matchResources(spec.matchConstraints, a, cluster);
      if (definition.error) {
        configError(policy, undefined, definition.error);
        continue;
      }
      if (!definition.matches) continue;
      const paramScope = paramKind ? this.paramScope(paramKind) : undefined;
      if (typeof paramScope === 'string') {
        // The policy source's ConfigurationError for an unresolvable paramKind.
        configError(policy, undefined, paramScope);
        continue;
      }

      for (const binding of bindings) {
        const bindingName: string = binding.metadata?.name ?? '';
        // BindingMatches: no matchResources matches everything the policy matches.
        const bound = binding.spec?.matchResources === undefined || binding.spec?.matchResources === null
          ? { matches: true } : matchResources(binding.spec.matchResources, a, cluster);
        if (bound.error) {
          configError(policy, binding, bound.error);
          continue;
        }
        if (!bound.matches) continue;

        const params = this.collectParams(paramKind, paramScope, binding.spec?.paramRef, a.namespace, cluster);
        if (typeof params === 'string') {
          configError(policy, binding, params);
          continue;
        }

        // The namespace of a namespaced request is fetched for namespaceObject; a Namespace request
        // has none (its attr namespace is its own name). A missing Namespace fails the request.
        const namespaceName = a.group === '' && a.version === 'v1' && a.kind === 'Namespace' ? '' : a.namespace;
        let namespaceObject: unknown = null;
        if (namespaceName !== '') {
          const stored = storedNamespace(cluster, namespaceName);
          if (!stored) {
            errors.push({ policy: policyName, binding: bindingName, message: `${notFound(namespaceName)} (the API server fails the request)` });
            return done(notFound(namespaceName));
          }
          namespaceObject = namespaceObjectOf(stored);
        }

        const actions = list(binding.spec?.validationActions).map(String);
        for (const param of params) {
          for (const decision of this.validate(spec, a, paramKind !== undefined, param, namespaceObject)) {
            const at = { policy: policyName, binding: bindingName };
            if (!decision.deny) {
              if (decision.evalError) errors.push({ ...at, message: `${decision.message} (ignored: failurePolicy Ignore)` });
              continue;
            }
            if (decision.evalError) {
              errors.push({ ...at, message: `${decision.message} (failurePolicy Fail: handled as a failed validation, actions ${actions.join(', ')})` });
            }
            for (const action of actions) {
              if (action === 'Deny') denials.push({ ...at, message: decision.message, reason: decision.reason ?? 'Invalid' });
              if (action === 'Warn') warnings.push({ ...at, message: decision.message });
              if (action === 'Audit') audits.push({ ...at, message: decision.message });
            }
          }
        }
      }
    }
    return done();
  }

  /** The request's attributes, as the API server's handlers build them before admission. */
  private attributes(request: AdmissionRequestInput): Attributes {
    const source = isObject(request.object) ? request.object : request.oldObject;
    if (!isObject(source) || typeof source.apiVersion !== 'string' || typeof source.kind !== 'string') {
      throw new Error('AdmissionSimulator: the request needs an object (or an oldObject) with apiVersion and kind');
    }
    const info = this.resourceOf(source.apiVersion, source.kind);
    if (!info) throw new Error(`AdmissionSimulator: unknown kind ${source.apiVersion} ${source.kind}; pass options.resourceOf`);
    const { group, version } = splitApiVersion(source.apiVersion);
    const name = String(source.metadata?.name ?? request.name ?? '');
    const isNamespace = group === '' && version === 'v1' && info.resource === 'namespaces';
    let namespace = '';
    let object = isObject(request.object) ? request.object : null;
    let oldObject = isObject(request.oldObject) ? request.oldObject : null;
    if (isNamespace) {
      // Decoding defaults the name label onto a Namespace before admission; the stored one has it too.
      object = defaultedNamespace(object);
      oldObject = defaultedNamespace(oldObject);
      // requestinfo.go: /api/v1/namespaces/{name} carries the name as the request namespace; a CREATE
      // (POST /api/v1/namespaces) has none.
      namespace = request.operation === 'CREATE' ? '' : name;
    } else if (info.namespaced) {
      namespace = request.namespace ?? source.metadata?.namespace ?? 'default';
      // rest.EnsureObjectNamespaceMatchesRequestNamespace: an object without a namespace gets the
      // request's; a different one is a bad request, before admission.
      if (object && (request.operation === 'CREATE' || request.operation === 'UPDATE')) {
        const own = object.metadata?.namespace;
        if (own !== undefined && own !== '' && own !== namespace) {
          throw new Error(`AdmissionSimulator: the namespace of the provided object (${own}) does not match the namespace sent on the request (${namespace})`);
        }
        if (own === undefined || own === '') object = { ...object, metadata: { ...(object.metadata ?? {}), namespace } };
      }
    }
    // ... and a cluster-scoped object (a Namespace too) loses any namespace it was sent with.
    if (!info.namespaced && object && (request.operation === 'CREATE' || request.operation === 'UPDATE')
      && isObject(object.metadata) && object.metadata.namespace !== undefined) {
      const { namespace: _dropped, ...metadata } = object.metadata;
      object = { ...object, metadata };
    }
    return {
      operation: request.operation,
      group,
      version,
      kind: source.kind,
      resource: info.resource,
      subResource: request.subResource ?? '',
      name,
      namespace,
      // The object is null for DELETE, the old object null for CREATE.
      object: request.operation === 'DELETE' ? null : object,
      oldObject: request.operation === 'CREATE' ? null : oldObject,
      userInfo: request.userInfo ?? { username: 'admin', groups: ['system:authenticated'] },
      dryRun: request.dryRun ?? false,
    };
  }

  /** The scope of a paramKind, or the policy's configuration error when it names no known resource. */
  private paramScope(paramKind: any): ResourceInfo | string {
    const apiVersion = String(paramKind.apiVersion ?? '');
    const kind = String(paramKind.kind ?? '');
    const info = this.resourceOf(apiVersion, kind);
    if (info) return info;
    const { group, version } = splitApiVersion(apiVersion);
    return `failed to find resource referenced by paramKind: '${group}/${version}, Kind=${kind}'`;
  }

  /**
   * generic.CollectParams: the params a binding evaluates the policy with (one evaluation each;
   * [undefined] when the policy or the binding uses none), or a configuration error.
   */
  private collectParams(
    paramKind: any, scope: ResourceInfo | undefined, paramRef: any, requestNamespace: string, cluster: ClusterState,
  ): (unknown | undefined)[] | string {
    if (!paramKind) return [undefined];
    if (!isObject(paramRef)) return [null];
    let namespace: string | undefined;
    if (scope!.namespaced) {
      namespace = paramRef.namespace || requestNamespace;
      if (!namespace) return 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources';
    } else if (paramRef.namespace) {
      return 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`';
    }
    const candidates = (cluster.params ?? []).filter((p) => isObject(p) && p.apiVersion === paramKind.apiVersion && p.kind === paramKind.kind
      && (namespace === undefined || p.metadata?.namespace === namespace));
    let params: unknown[];
    if (paramRef.name) {
      if (paramRef.selector !== undefined && paramRef.selector !== null) return 'paramRef.name and paramRef.selector are mutually exclusive';
      params = candidates.filter((p) => p.metadata?.name === paramRef.name).slice(0, 1);
    } else if (paramRef.selector !== undefined && paramRef.selector !== null) {
      let selector: Selector;
      try {
        selector = parseSelector(paramRef.selector);
      } catch (e) {
        return (e as Error).message;
      }
      params = candidates.filter((p) => selector.matches(labelsOf(p)));
    } else {
      return 'one of name or selector must be provided';
    }
    if (params.length === 0 && paramRef.parameterNotFoundAction === 'Deny') return 'no params found for policy binding with `Deny` parameterNotFoundAction';
    // Allow (or unset) with nothing found: no evaluation, the binding passes.
    return params;
  }

  /** validator.Validate for one (policy, binding, param): matchConditions, then every validation. */
  private validate(spec: any, a: Attributes, hasParamKind: boolean, param: unknown, namespaceObject: unknown): PolicyDecision[] {
    const failurePolicy = spec.failurePolicy ?? 'Fail';
    // policyDecisionActionForError: only Ignore admits on an error.
    const onError = (message: string): PolicyDecision => ({ deny: failurePolicy !== 'Ignore', evalError: true, message });
    const object = a.object === null ? null : toAdmissionValue(a.object);
    const oldObject = a.oldObject === null ? null : toAdmissionValue(a.oldObject);
    const request = requestOf(a);
    const params = hasParamKind ? { params: param === undefined || param === null ? null : toAdmissionValue(param) } : {};
    const variables = list(spec.variables).filter(isObject).map((v) => ({ name: String(v.name), expression: String(v.expression) }));
    // Each evaluation pass (matchConditions, validations, messages) has its own variable cache.
    const activation = (base: Omit<Activation, 'variables'>): Activation => ({ ...base, variables: new VariableScope(variables, base).view() });

    // matchConditions: declared like validations (params, authorizer, variables), but the
    // matcher evaluates them without a namespace, so namespaceObject is null there.
    const conditions = list(spec.matchConditions).filter(isObject);
    if (conditions.length > 0) {
      const conditionEnv = activation({ object, oldObject, request, namespaceObject: null, authorizerDeclared: true, ...params });
      const failures: string[] = [];
      for (const condition of conditions) {
        const r = evaluate(String(condition.expression), conditionEnv, true);
        if ('error' in r) failures.push(r.error);
        else if (r.value === false) return []; // any false condition: the policy does not apply
      }
      // Errors (and no false condition): failurePolicy decides.
      if (failures.length > 0) return [onError(failures.length === 1 ? failures[0] : `[${failures.join(', ')}]`)];
    }

    const validationEnv = activation({ object, oldObject, request, namespaceObject, authorizerDeclared: true, ...params });
    // messageExpression is compiled without the authorizer.
    const messageEnv = activation({ object, oldObject, request, namespaceObject, authorizerDeclared: false, ...params });
    const decisions: PolicyDecision[] = [];
    for (const validation of list(spec.validations).filter(isObject)) {
      const expression = String(validation.expression ?? '');
      const r = evaluate(expression, validationEnv, true);
      if ('error' in r) {
        decisions.push(onError(r.error));
        continue;
      }
      if (r.value === true) {
        decisions.push({ deny: false, evalError: false, message: '' });
        continue;
      }
      // The message: messageExpression (a one-line string within the size limit), else message,
      // else "failed expression: <expression>"; a failing messageExpression falls back silently.
      let message = '';
      if (typeof validation.messageExpression === 'string' && validation.messageExpression !== '') {
        const m = evaluate(validation.messageExpression, messageEnv, false);
        if ('value' in m && typeof m.value === 'string') {
          message = m.value.trim();
          if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES || message.includes('\n')) message = '';
        }
      }
      if (message === '' && typeof validation.message === 'string') message = validation.message.trim();
      if (message === '') message = `failed expression: ${expression.trim()}`;
      decisions.push({ deny: true, evalError: false, message, reason: typeof validation.reason === 'string' ? validation.reason : 'Invalid' });
    }
    return decisions;
  }
}
