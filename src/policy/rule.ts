/**
 * The rule model shared by synth-time enforcement, the audit command and the admission
 * guardrails: each rule is defined once, here, and runs in all three places (OPS-1).
 */

/** How bad a violation is. */
export enum RuleSeverity {
  /** Fails synthesis (and the audit, and admission) unless a PolicyException covers it. */
  ERROR = 'error',
  /** Reported, never blocking. */
  WARNING = 'warning',
}

/** One object a rule looks at: the final rendered manifest. */
export interface RuleObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: { [key: string]: string };
    readonly annotations?: { [key: string]: string };
  };
  readonly [key: string]: any;
}

/** What a rule knows besides the object: the whole set of objects and the mesh layout. */
export interface RuleContext {
  /** Every object of the app (or of the audited files), after JSON patches. */
  readonly objects: readonly RuleObject[];
  /** The mesh root namespace (mesh-wide policies live there). */
  readonly rootNamespace: string;
  /** The namespace istiod runs in. */
  readonly controlPlaneNamespace: string;
  /** Groups whose members are mesh administrators (may hold ClusterRoleBindings and read CA secrets). */
  readonly meshAdminGroups: readonly string[];
  /**
   * Operator groups besides the mesh admins that may hold ClusterRoleBindings (security admins,
   * auditors): cluster-wide, but never CA secret readers.
   */
  readonly operatorGroups?: readonly string[];
  /**
   * Registries images may come from (IMG-1), as MeshBaseline `allowedRegistries` or
   * `allowedRegistries` in secure-mesh.yaml; empty or absent: any registry.
   */
  readonly allowedRegistries?: readonly string[];
  /**
   * The repositories (no tag, no digest) the mesh's injected proxy comes from, as MeshBaseline
   * `proxyImageRepositories` or secure-mesh.yaml: admission recognizes the injector's containers
   * only with these images.
   * @default - Istio's official hubs (`docker.io/istio/proxyv2`, `gcr.io/istio-release/proxyv2`)
   */
  readonly proxyImageRepositories?: readonly string[];
  /**
   * The namespaces the repository whose output this is owns, when it is an app team's repository
   * applied by a namespace-scoped GitOps sync (Config Sync RepoSync, Argo CD AppProject): `appNamespaces`
   * in secure-mesh.yaml, or what the app declares at synthesis. REPO-SCOPE-001 reports anything
   * written outside them or cluster-scoped.
   * @default - undefined or empty: not an app repository (a platform or single-app repository, no boundary)
   */
  readonly appNamespaces?: readonly string[];
}

/** One place where an object breaks a rule. */
export interface RuleViolation {
  /** JSON path in the object, e.g. `spec.mtls.mode`; empty for the object as a whole. */
  readonly path: string;
  /** What is wrong, for this object. */
  readonly message: string;
  /**
   * The port the violation is about, when a PolicyException may be scoped to ports.
   */
  readonly port?: number;
}

/**
 * The same rule as a Kubernetes ValidatingAdmissionPolicy validation (CEL), for the kinds it
 * matches. `expression` must evaluate to true for an admissible object (variable `object`).
 */
export interface AdmissionCheck {
  /** Resources matched, e.g. `[{ apiGroups: ['security.istio.io'], apiVersions: ['*'], resources: ['peerauthentications'] }]`. */
  readonly resources: readonly { readonly apiGroups: string[]; readonly apiVersions: string[]; readonly resources: string[] }[];
  /** CEL over `object`; true means admit. */
  readonly expression: string;
  /** Message shown when the expression is false. */
  readonly message: string;
}

/** A rule: stable id, the practices it implements, and its checks. */
export interface PolicyRule {
  /** Stable id, e.g. `MESH-MTLS-002`. Never reused for another meaning. */
  readonly id: string;
  /** Practice ids from the catalog, e.g. `['MTLS-1']`. */
  readonly practices: readonly string[];
  readonly severity: RuleSeverity;
  /** One line: what the rule demands. */
  readonly title: string;
  /** Why: the risk when it is broken. */
  readonly explanation: string;
  /** How to fix a violation (and when a PolicyException is the right answer). */
  readonly fix: string;
  /**
   * The rule set that introduced the rule (or made it stricter), e.g. `'2'`; absent means the first
   * set. An app that declares an older set gets this rule's findings as warnings until it moves up
   * (see `RuleSets`).
   */
  readonly since?: string;
  /**
   * The rule judges several repositories' outputs together (the CI audit over combined outputs)
   * and is not run at synthesis, where one app's library-made objects satisfy it by construction.
   *
   * @default false
   */
  readonly auditOnly?: boolean;
  /** The admission form of the rule, when CEL over a single object can express it. */
  readonly admission?: AdmissionCheck;
  /**
   * The admission form for one cluster, when one object suffices but the check needs the
   * cluster's settings or the app's objects (admin groups, the control-plane namespace, the
   * Istio Gateways): AdmissionGuardrails renders it with the context of the app it is in.
   */
  readonly admissionFor?: (context: RuleContext) => AdmissionCheck;
  /**
   * The kinds `check` looks at, as {@link kindKey}s (`apps/Deployment`, `/Namespace` for the
   * core group); `check` is called only for objects of these kinds, and `[]` means the rule
   * works through `checkAll` alone. Omitted: `check` sees every object.
   */
  readonly kinds?: readonly string[];
  /**
   * Checks one object; returns its violations (empty when it complies or the rule does not
   * apply to its kind). Must not throw on unexpected shapes: treat them as the API server would.
   */
  check(object: RuleObject, context: RuleContext): RuleViolation[];
  /**
   * Checks the whole set once (rules about presence or consistency across objects, e.g.
   * "mesh-wide STRICT exists"). Violations name the object they attach to.
   */
  checkAll?(context: RuleContext): { readonly object: RuleObject | undefined; readonly violation: RuleViolation }[];
}

/** `Kind/namespace/name` (or `Kind/name`) of an object. */
export function objectRef(o: RuleObject | undefined): string {
  if (!o) return '<mesh>';
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind ?? '<no kind>'}/${ns}${o.metadata?.name ?? '<no name>'}`;
}

/** The API group of an object (`''` for the core group). */
export function groupOf(o: RuleObject): string {
  const v = o.apiVersion ?? '';
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
}

/** The key of `group` `kind` in {@link PolicyRule.kinds}: `group/Kind` (`/Kind` for the core group). */
export function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/**
 * The kind key a rule lists to also see objects of kinds it does not know whose
 * `spec.template.spec` holds a pod spec (custom workload kinds such as Argo Rollouts' `Rollout`).
 */
export const CUSTOM_POD_TEMPLATE_KIND = '*/PodTemplateSpec';

/** Whether `o.spec.template.spec.containers` is a list: the shape of a pod template, whatever the kind. */
export function hasPodTemplate(o: RuleObject): boolean {
  const spec: unknown = o.spec;
  if (typeof spec !== 'object' || spec === null) return false;
  const template: unknown = (spec as any).template;
  if (typeof template !== 'object' || template === null) return false;
  const podSpec: unknown = (template as any).spec;
  return typeof podSpec === 'object' && podSpec !== null && Array.isArray((podSpec as any).containers);
}

/** The {@link kindKey} of an object. */
export function kindKeyOf(o: RuleObject): string {
  return kindKey(groupOf(o), String(o.kind));
}

/** One violation `check` found: the rule, the index of the object in the list, and the violation. */
export interface CheckedViolation {
  readonly rule: PolicyRule;
  readonly index: number;
  readonly violation: RuleViolation;
}

/**
 * Runs each rule's `check` over the objects of its kinds (every object when it declares none),
 * rule by rule and, within a rule, in object order. Shared by synth-time enforcement and the audit.
 * `keys` are the objects' kind keys, when the caller already has them.
 */
export function checkEach(rules: readonly PolicyRule[], objects: readonly RuleObject[], context: RuleContext,
  keys: readonly string[] = objects.map(kindKeyOf)): CheckedViolation[] {
  const out: CheckedViolation[] = [];
  for (const rule of rules) {
    const kinds = rule.kinds && new Set(rule.kinds);
    if (kinds?.size === 0) continue;
    for (let index = 0; index < objects.length; index++) {
      if (kinds && !kinds.has(keys[index]) && !(kinds.has(CUSTOM_POD_TEMPLATE_KIND) && hasPodTemplate(objects[index]))) continue;
      for (const violation of rule.check(objects[index], context)) out.push({ rule, index, violation });
    }
  }
  return out;
}

/** Whether the object is `group` `kind` (any version). */
export function isKind(o: RuleObject, group: string, kind: string): boolean {
  return o.kind === kind && groupOf(o) === group;
}
