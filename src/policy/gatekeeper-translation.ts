/*
 * ValidatingAdmissionPolicy → OPA Gatekeeper (GKE Policy Controller) translation (OPS-1: "one rule
 * definition, four places": synth, audit, VAP, Gatekeeper).
 *
 * What this translation relies on, as checked in Gatekeeper's documentation and code:
 *
 * 1. Template shape. `templates.gatekeeper.sh/v1` ConstraintTemplate; `spec.crd.spec.names.kind`
 *    is the constraint kind and the template's `metadata.name` must be that kind lowercased (the
 *    CEL driver looks validators up by `strings.ToLower(constraint.GetKind())`);
 *    `spec.crd.spec.validation.openAPIV3Schema` is the schema of the constraint's
 *    `spec.parameters` and must be structural in v1 (a `type` at every level); one target
 *    `admission.k8s.gatekeeper.sh` with `code: [{engine: K8sNativeValidation, source: {...}}]`.
 *    `source` accepts `validations[{expression, message, messageExpression}]`,
 *    `variables[{name, expression}]`, `failurePolicy`, `generateVAP` and `matchCondition` —
 *    singular JSON key, unknown keys are dropped silently by the converter, which is one reason
 *    the VAP's matchConditions are folded into the validations here instead.
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/validating-admission-policy
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/constrainttemplates
 *    https://github.com/open-policy-agent/frameworks/blob/master/constraint/pkg/client/drivers/k8scel/schema/schema.go
 * 2. Rego is not required. "Use the `code` array ... the legacy `rego` field ... should be avoided";
 *    with both engines only one runs (K8sNativeValidation has priority), no fallback between
 *    them. A CEL-only template cannot be ingested where the CEL engine is disabled.
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/constrainttemplates ("Field Precedence")
 * 3. Variables. `variables.params` is the constraint's `spec.parameters` (null when the constraint
 *    has none: `!has(params.spec) ? null : !has(params.spec.parameters) ? null : params.spec.parameters`),
 *    `variables.anyObject` is object, or oldObject on DELETE. `params` itself is the whole
 *    constraint and is declared only while compiling variables, not validations; user variables
 *    may not be named `params` or `anyObject` nor start with `gatekeeper_internal_`. `object`,
 *    `oldObject` and `request` come from the AdmissionRequest under review; `authorizer` is not
 *    declared; the driver passed no namespace object (`namespaceObject`) until recent versions.
 *    https://github.com/open-policy-agent/frameworks/blob/master/constraint/pkg/client/drivers/k8scel/driver.go
 *    https://github.com/open-policy-agent/frameworks/blob/master/constraint/pkg/client/drivers/k8scel/transform/cel_snippets.go
 * 4. Audit and gator evaluate the CEL too ("CEL, Rego | Gatekeeper Audit"), on a request built from
 *    the stored object alone: kind, name, namespace, object — no operation, no userInfo (empty
 *    username and groups are omitted), no oldObject.
 *    https://github.com/open-policy-agent/gatekeeper/blob/master/pkg/target/target.go (unstructuredToAdmissionRequest)
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/enforcement-points
 * 5. Versions. K8sNativeValidation: v3.13 pre-alpha (experimental flag), v3.16 alpha (off by
 *    default, `--experimental-enable-k8s-native-validation`), v3.17 beta (on by default,
 *    `--enable-k8s-native-validation`), v3.18 stable. Gatekeeper generating VAPs from templates
 *    (`generateVAP`, `--default-create-vap-for-templates`, `--default-create-vap-binding-for-constraints`)
 *    is a separate feature, beta and on by default in v3.20+; when Gatekeeper assumes VAP enforcement
 *    for a template its own webhook skips that template's constraints.
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/v3.16.x/validating-admission-policy
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/v3.17.x/validating-admission-policy
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/v3.18.x/validating-admission-policy
 *    GKE Policy Controller: NOT verified — no stored Google document says which Policy Controller
 *    release bundles a Gatekeeper with the CEL engine; check the bundled Gatekeeper version (≥ 3.17).
 * 6. Constraints. `constraints.gatekeeper.sh/v1beta1`, `spec.match` with `kinds[{apiGroups, kinds}]`,
 *    `scope` (`*`, `Cluster`, `Namespaced`), `namespaces`, `excludedNamespaces` (both with prefix
 *    globs), `labelSelector`, `namespaceSelector`, `name`. namespaces, excludedNamespaces and
 *    namespaceSelector also match cluster-scoped objects unless `scope: Namespaced`.
 *    `spec.enforcementAction`: `deny` (default), `dryrun`, `warn`, or `scoped` with
 *    `spec.scopedEnforcementActions[{action, enforcementPoints[{name}]}]`, points
 *    `validation.gatekeeper.sh`, `audit.gatekeeper.sh`, `gator.gatekeeper.sh`, `vap.k8s.io`
 *    (added by gatekeeper PR #3321, merged 2024-07). Audit records every violation in the
 *    constraint's status with its enforcementAction, whatever the action.
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/howto
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/enforcement-points
 *    https://github.com/open-policy-agent/gatekeeper/pull/3321
 *    https://open-policy-agent.github.io/gatekeeper/website/docs/audit
 * 7. The VAP side (Kubernetes API reference, ValidatingAdmissionPolicyBinding `spec.paramRef`): with
 *    `namespace` unset and a namespaced paramKind the param is looked up in the object's namespace
 *    and the binding "must not match any cluster-scoped resources, which will result in an
 *    error"; `parameterNotFoundAction: Deny` makes a missing param "subject to the failurePolicy of
 *    the policy" (default Deny); a selector matching several params evaluates each, ANDed.
 *    https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 *    The params are resolved before the matchConditions run (the conditions may read params), so a
 *    missing param refuses even where a condition would have skipped the object — inferred from
 *    that, not read in the dispatcher's code.
 * 8. Gatekeeper's own webhook defaults to `failurePolicy: Ignore` (Helm `validatingWebhookFailurePolicy`),
 *    receives CREATE and UPDATE only unless DELETE is enabled (Helm `enableDeleteOperations`, default
 *    false — seen in third-party values files; the frameworks' `OpsInVwhc` has the DELETE/CONNECT
 *    switches), and exempts namespaces labelled `admission.gatekeeper.sh/ignore` and its own.
 *    https://github.com/open-policy-agent/gatekeeper/blob/master/charts/gatekeeper/values.yaml
 */

import { createHash } from 'crypto';
import { pinnedCrdCatalog } from '../validation/crd-catalog';

/** API version of the emitted ConstraintTemplates. */
export const TEMPLATE_API_VERSION = 'templates.gatekeeper.sh/v1';

/** API version of the emitted constraints. */
export const CONSTRAINT_API_VERSION = 'constraints.gatekeeper.sh/v1beta1';

/** Gatekeeper's admission target. */
export const GATEKEEPER_TARGET = 'admission.k8s.gatekeeper.sh';

/** Gatekeeper's CEL engine. */
export const CEL_ENGINE = 'K8sNativeValidation';

/**
 * Constraint parameter that makes every matched object fail: the constraint reproduces a VAP
 * binding that refuses all it matches (parameterNotFoundAction: Deny with no registry, or a
 * binding error under failurePolicy: Fail). Its value is the message.
 */
export const DENY_ALL_PARAMETER = 'denyAllReason';

/** Annotation naming the VAP object a Gatekeeper document was translated from. */
export const TRANSLATED_FROM_ANNOTATION = 'secure-mesh.cdk8s.io/translated-from';

/** Annotation naming the param object a constraint carries (or why it carries none). */
export const PARAMS_ANNOTATION = 'secure-mesh.cdk8s.io/params';

const PRACTICES_ANNOTATION = 'secure-mesh.cdk8s.io/practices';

/** A Kubernetes kind as Gatekeeper's `match.kinds` names it. */
export interface ResourceKind {
  readonly kind: string;
  readonly namespaced: boolean;
}

/**
 * How validations that read the requester (`request.userInfo`) behave where Gatekeeper has none:
 * its audit and gator review stored objects, with no operation and no userInfo.
 */
export enum RequesterlessReview {
  /**
   * Evaluate them with an empty username and no groups: allowances that depend on who asks do not
   * apply, so audit reports such objects for review. With the library's guardrails that includes
   * the Pods, ReplicaSets and Jobs built-in controllers create from an excepted workload (they are
   * recognized by the controller's username at admission, and the registry lists the workload,
   * not them).
   */
  EVALUATE = 'evaluate',
  /**
   * Let them pass where there is no requester: audit and gator never report what only the
   * requester could justify — and, since the whole validation passes, nothing else it checks. For
   * policies that are only about who writes (the library's `secure-mesh-exception-registries`).
   */
  ADMIT = 'admit',
}

/** Options of {@link gatekeeperDocuments}. */
export interface GatekeeperTranslationOptions {
  /**
   * Param objects the bindings may read besides those among the documents, e.g. the exception
   * registries (`secure-mesh-exceptions` ConfigMaps) of namespaces written by other repositories.
   */
  readonly params?: readonly any[];
  /**
   * Kinds of resources neither the built-in table nor the pinned Istio CRDs know, keyed
   * `group/resource` (`''` for the core group), e.g. `{ 'example.com/widgets': { kind: 'Widget', namespaced: true } }`.
   */
  readonly resourceKinds?: { readonly [groupResource: string]: ResourceKind };
  /**
   * Let Gatekeeper generate ValidatingAdmissionPolicies from the templates (`source.generateVAP`).
   * Off by default: the library already emits its own VAPs, generated ones would enforce the same
   * rule twice, and when Gatekeeper assumes VAP enforcement its webhook stops evaluating them.
   *
   * @default false
   */
  readonly generateVAP?: boolean;
  /**
   * Emit `enforcementAction: scoped` with the action at Gatekeeper's own enforcement points
   * (`validation.gatekeeper.sh`, `audit.gatekeeper.sh`, `gator.gatekeeper.sh`) and never at
   * `vap.k8s.io`, so no binding is generated even where Gatekeeper defaults to generating them.
   * Needs a Gatekeeper with scoped enforcement actions (PR #3321, 2024).
   *
   * @default false - a plain `enforcementAction`
   */
  readonly scopedEnforcementActions?: boolean;
  /** @default RequesterlessReview.EVALUATE */
  readonly requesterlessReview?: RequesterlessReview;
  /**
   * {@link requesterlessReview} for some policies, by ValidatingAdmissionPolicy name: e.g. ADMIT
   * for a policy that is only about who writes (the exception registries' writers), which audit
   * cannot judge and would otherwise report on every object it matches.
   *
   * @default {}
   */
  readonly requesterlessReviewFor?: { readonly [policyName: string]: RequesterlessReview };
}

/** The Gatekeeper documents, and what could not be reproduced (sorted, one line each). */
export interface GatekeeperTranslation {
  readonly documents: any[];
  readonly problems: string[];
}

/**
 * Translates the library's ValidatingAdmissionPolicies, their bindings and the param objects
 * they read (the exception registries) into Gatekeeper documents, so the same CEL admission rules
 * run under OPA Gatekeeper / GKE Policy Controller (webhook, audit and gator):
 *
 * - per ValidatingAdmissionPolicy one ConstraintTemplate (`K8sNativeValidation` CEL, kind derived
 *   from the policy name, `secure-mesh-pod-priv-001` → `SecureMeshPodPriv001`);
 * - per binding and param object it can read, one constraint whose `spec.parameters` carry that
 *   object (Gatekeeper cannot read a ConfigMap: the registry's `data` is copied, and the CEL's
 *   `params` becomes `variables.params`). A binding whose paramRef has a namespace gives one
 *   constraint; one without (per-namespace registries) gives one constraint per namespace that
 *   has a registry, matching only that namespace, plus one for every other namespace;
 * - a registry that does not exist under `parameterNotFoundAction: Deny` (with failurePolicy
 *   Fail) is reproduced by a constraint carrying {@link DENY_ALL_PARAMETER}, which refuses every
 *   object it matches, as the API server does;
 * - validationActions become `enforcementAction`: Deny → deny, Warn → warn, Audit → dryrun; Warn
 *   with Audit → warn (Gatekeeper's warn answers the requester like VAP Warn, and its audit
 *   records violations of every constraint whatever the action, which is what Audit asks for;
 *   dryrun would drop the warning).
 *
 * What Gatekeeper cannot reproduce, and so the translation does not:
 * - the registry is copied when translating: a registry edited, added or deleted in the cluster
 *   is not seen until the documents are translated again (a new registry's namespace is refused
 *   meanwhile, fail closed); and the constraints are cluster-scoped, so the registry of a
 *   namespace is no longer an object inside that namespace (grant its owners `resourceNames` on
 *   their constraints, or keep writing registries in Git and translate in the platform pipeline);
 * - Gatekeeper's webhook fails open by default (`failurePolicy: Ignore`) and skips the namespaces
 *   it exempts, where a VAP with failurePolicy Fail refuses: set the webhook's failurePolicy;
 * - `request` in audit and gator has no operation nor requester: reads of `request` are guarded
 *   (an absent field reads as its zero value, see {@link RequesterlessReview}); `authorizer` is
 *   not available at all and `namespaceObject` only in recent Gatekeeper versions (problems);
 * - auditAnnotations, a validation's `reason` other than Forbidden, and matchPolicy are dropped
 *   (problems); matchConditions are folded into each validation (`!(conditions) || validation`),
 *   which admits where the VAP would fail on a condition that errors, and the deny-all check
 *   ignores them as the API server does (params are resolved first);
 * - policies on DELETE (the library's deletion protections) need Gatekeeper's webhook to receive
 *   DELETE, which it does not by default (problem); audit only sees objects that exist;
 * - subresources: `match.kinds` names kinds, so `pods/ephemeralcontainers` is matched as Pod and
 *   Gatekeeper's webhook rules must include the subresource (problem).
 *
 * Pure: reads its arguments only; the output is sorted (templates by kind, constraints by kind
 * and name) and does not depend on the order of the input.
 */
export function gatekeeperDocuments(documents: readonly any[], options: GatekeeperTranslationOptions = {}): GatekeeperTranslation {
  const problems = new Set<string>();
  const kinds = new KindTable(options.resourceKinds ?? {}, (p) => problems.add(p));
  const policies = new Map<string, any>();
  for (const d of documents.filter((o) => isAdmission(o, 'ValidatingAdmissionPolicy'))) {
    const name = d.metadata?.name;
    if (typeof name !== 'string') problems.add('a ValidatingAdmissionPolicy has no name: skipped');
    else if (policies.has(name)) problems.add(`ValidatingAdmissionPolicy/${name} appears twice: the first is translated`);
    else policies.set(name, d);
  }
  const usedKinds = new Map<string, string>();
  const templates = new Map<string, TemplateInfo>();
  for (const name of [...policies.keys()].sort()) {
    const info = translatePolicy(policies.get(name), kinds, options, usedKinds, (p) => problems.add(`ValidatingAdmissionPolicy/${name}: ${p}`));
    templates.set(name, info);
  }
  const params = [...documents, ...(options.params ?? [])];
  const constraints: any[] = [];
  const bindings = documents.filter((o) => isAdmission(o, 'ValidatingAdmissionPolicyBinding'))
    .sort((a, b) => compare(String(a.metadata?.name), String(b.metadata?.name)));
  for (const binding of bindings) {
    const report = (p: string) => problems.add(`ValidatingAdmissionPolicyBinding/${binding.metadata?.name}: ${p}`);
    const template = templates.get(binding.spec?.policyName);
    if (!template) {
      report(`binds ${JSON.stringify(binding.spec?.policyName)}, which is not among the documents: no constraint`);
      continue;
    }
    constraints.push(...translateBinding(binding, template, params, kinds, options, report));
  }
  const names = new Set<string>();
  for (const c of constraints) {
    const key = `${c.kind}/${c.metadata.name}`;
    if (names.has(key)) problems.add(`two constraints are named ${key}: rename a binding`);
    names.add(key);
  }
  return {
    documents: [
      ...[...templates.values()].map((t) => t.template).sort((a, b) => compare(a.spec.crd.spec.names.kind, b.spec.crd.spec.names.kind)),
      ...constraints.sort((a, b) => compare(a.kind, b.kind) || compare(a.metadata.name, b.metadata.name)),
    ],
    problems: [...problems].sort(),
  };
}

/**
 * The constraint kind of a policy: its name's alphanumeric words capitalised
 * (`secure-mesh-pod-priv-001` → `SecureMeshPodPriv001`); a kind whose lowercase form (the
 * template's name and the CRD's plural) would exceed 63 characters is shortened with a hash.
 */
export function constraintKindName(policyName: string): string {
  const words = policyName.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  let kind = words.map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join('') || 'Policy';
  if (!/^[A-Za-z]/.test(kind)) kind = `P${kind}`;
  return kind.length <= 63 ? kind : `${kind.slice(0, 54)}H${hash(policyName)}`;
}

// ---- Templates ------------------------------------------------------------------------------------

interface RuleTuple {
  readonly group: string;
  readonly resource: string;
  readonly operations: readonly string[];
  readonly scope: string;
  readonly names?: readonly string[];
}

interface TemplateInfo {
  readonly template: any;
  readonly kind: string;
  readonly policy: any;
  /** The policy's resources (matchConstraints.resourceRules, less excludeResourceRules without names). */
  readonly tuples: readonly RuleTuple[];
  readonly failClosed: boolean;
}

const RESERVED_VARIABLES = new Set(['params', 'anyObject']);
const RESERVED_PREFIX = 'gatekeeper_internal_';

function translatePolicy(policy: any, kinds: KindTable, options: GatekeeperTranslationOptions, used: Map<string, string>,
  report: (p: string) => void): TemplateInfo {
  const name: string = policy.metadata.name;
  let kind = constraintKindName(name);
  const taken = used.get(kind.toLowerCase());
  if (taken !== undefined) {
    report(`its constraint kind ${kind} is already ${taken}'s: using ${kind}X${hash(name)}`);
    kind = `${kind.slice(0, 54)}X${hash(name)}`;
  }
  used.set(kind.toLowerCase(), name);
  const spec = policy.spec ?? {};
  const constraints = spec.matchConstraints ?? {};
  const included = ruleTuples(constraints.resourceRules, report);
  const excluded = ruleTuples(constraints.excludeResourceRules, report);
  const tuples = included.filter((t) => !excluded.some((x) => x.names === undefined && covers(x, t)));
  const skips: string[] = [];
  const nameGuard = resourceNameGuard(included, excluded, kinds, report);
  if (nameGuard) skips.push(nameGuard);
  const ops = operationSkip(tuples, report);
  if (spec.matchPolicy === 'Exact') report('matchPolicy Exact is not reproduced: Gatekeeper matches kinds, whatever the version');
  if (spec.auditAnnotations?.length) report('auditAnnotations are not reproduced: Gatekeeper has no API-server audit annotations');

  const renames = new Map<string, string>();
  const variables = asArray(spec.variables).map((v: any) => {
    let vName = String(v?.name);
    if (RESERVED_VARIABLES.has(vName) || vName.startsWith(RESERVED_PREFIX)) {
      const renamed = uniqueName(`vap_${vName.replace(RESERVED_PREFIX, '')}`, asArray(spec.variables).map((x: any) => String(x?.name)));
      report(`variable ${vName} is reserved by Gatekeeper: renamed ${renamed}`);
      renames.set(vName, renamed);
      vName = renamed;
    }
    return { name: vName, expression: v?.expression };
  }).map((v: any) => ({ name: v.name, expression: translateCel(String(v.expression), renames, report).text }));

  const conditions = asArray(spec.matchConditions).map((c: any) => translateCel(String(c?.expression), renames, report).text);
  const conditionSkip = conditions.length ? `!(${conditions.map((c) => `(${c})`).join(' && ')})` : undefined;
  const denied = `(variables.params != null && has(variables.params.${DENY_ALL_PARAMETER}))`;
  const validations: any[] = [{
    expression: [...(ops ? [ops] : []), 'variables.params == null', `!has(variables.params.${DENY_ALL_PARAMETER})`].join(' || '),
    messageExpression: `string(variables.params.${DENY_ALL_PARAMETER})`,
    message: `${name}: the binding refuses every object it matches (no param object, or a misconfigured binding)`,
  }];
  for (const v of asArray(spec.validations)) {
    if (v?.reason !== undefined && v.reason !== 'Forbidden') {
      report(`reason ${v.reason} is not reproduced: Gatekeeper's webhook refuses with 403 Forbidden`);
    }
    const translated = translateCel(String(v?.expression), renames, report);
    const mode = options.requesterlessReviewFor?.[name] ?? options.requesterlessReview ?? RequesterlessReview.EVALUATE;
    const requester = translated.readsRequester && mode === RequesterlessReview.ADMIT
      ? '!(has(request.userInfo) && has(request.userInfo.username))' : undefined;
    const guards = [denied, ...(ops ? [ops] : []), ...skips, ...(conditionSkip ? [conditionSkip] : []), ...(requester ? [requester] : [])];
    validations.push({
      expression: `${guards.join(' || ')} || (${translated.text})`,
      ...(v?.messageExpression !== undefined ? { messageExpression: translateCel(String(v.messageExpression), renames, report).text } : {}),
      ...(v?.message !== undefined ? { message: v.message } : {}),
    });
  }
  if (validations.length === 1) report('has no validations: its template only refuses what a deny-all constraint matches');
  const failurePolicy = spec.failurePolicy ?? 'Fail';
  const annotations: { [k: string]: string } = { [TRANSLATED_FROM_ANNOTATION]: `ValidatingAdmissionPolicy/${name}` };
  const practices = policy.metadata?.annotations?.[PRACTICES_ANNOTATION];
  if (typeof practices === 'string') annotations[PRACTICES_ANNOTATION] = practices;
  const template = {
    apiVersion: TEMPLATE_API_VERSION,
    kind: 'ConstraintTemplate',
    metadata: { name: kind.toLowerCase(), annotations: sortKeys(annotations) },
    spec: {
      crd: { spec: { names: { kind }, validation: { openAPIV3Schema: parametersSchema(spec.paramKind) } } },
      targets: [{
        target: GATEKEEPER_TARGET,
        code: [{
          engine: CEL_ENGINE,
          source: {
            failurePolicy,
            generateVAP: options.generateVAP ?? false,
            ...(variables.length ? { variables } : {}),
            validations,
          },
        }],
      }],
    },
  };
  return { template, kind, policy, tuples, failClosed: failurePolicy === 'Fail' };
}

/** The schema of `spec.parameters`: the param object as Gatekeeper stores it, plus the deny-all marker. */
function parametersSchema(paramKind: any): any {
  const strings = { type: 'object', additionalProperties: { type: 'string' } };
  const base = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: {
      type: 'object',
      properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: strings, annotations: strings },
    },
    [DENY_ALL_PARAMETER]: { type: 'string' },
  };
  if (isConfigMapKind(paramKind) || paramKind === undefined) {
    return { type: 'object', properties: { ...base, data: strings, binaryData: strings } };
  }
  return { 'type': 'object', 'properties': base, 'x-kubernetes-preserve-unknown-fields': true };
}

// ---- Constraints ----------------------------------------------------------------------------------

function translateBinding(binding: any, template: TemplateInfo, paramObjects: readonly any[], kinds: KindTable,
  options: GatekeeperTranslationOptions, report: (p: string) => void): any[] {
  const spec = binding.spec ?? {};
  const action = enforcementAction(asArray(spec.validationActions), report);
  if (!action) return [];
  const resources = spec.matchResources ?? {};
  let tuples = template.tuples;
  const bound = ruleTuples(resources.resourceRules, report);
  if (bound.length) {
    // A request matches the binding's rules and the policy's: the binding's own rules where the
    // policy covers them, and the policy's where a wildcard rule of the binding covers them.
    const policyTuples = tuples;
    tuples = [
      ...bound.filter((b) => !isWild(b) && policyTuples.some((t) => covers(t, b))),
      ...policyTuples.flatMap((t) => bound.filter((b) => isWild(b) && covers(b, t)).map((b) => ({ ...t, scope: b.scope === '*' ? t.scope : b.scope }))),
    ];
    if (bound.some((b) => !sameOperations(b.operations, policyTuples[0]?.operations ?? []))) {
      report('its resourceRules name other operations than the policy\'s: the policy\'s are used');
    }
  }
  const boundExcluded = ruleTuples(resources.excludeResourceRules, report);
  tuples = tuples.filter((t) => !boundExcluded.some((x) => x.names === undefined && covers(x, t)));
  if (boundExcluded.some((x) => x.names !== undefined)) report('excludeResourceRules with resourceNames are not reproduced: those objects are checked');
  const names = [...new Set(bound.flatMap((b) => b.names ?? []))];
  if (names.length > 1) report('resourceRules list several resourceNames: Gatekeeper\'s match.name takes one, so all names are checked');
  const resolved = kinds.resolve(tuples, report);
  if (resolved.kinds.length === 0) {
    report('matches no kind Gatekeeper can name: no constraint');
    return [];
  }
  const namespaceSelector = mergeSelectors(template.policy.spec?.matchConstraints?.namespaceSelector, resources.namespaceSelector);
  const labelSelector = mergeSelectors(template.policy.spec?.matchConstraints?.objectSelector, resources.objectSelector);
  const base: Match = {
    kinds: resolved.kinds,
    scope: resolved.scope,
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(names.length === 1 ? { name: names[0] } : {}),
  };
  const bindingName: string = binding.metadata.name;
  const make = (suffix: string, match: Match, carried: any, paramsNote: string) =>
    constraint(template.kind, constraintName(bindingName, suffix), bindingName, match, carried, paramsNote, action, options);
  const denyAll = (why: string) => ({ [DENY_ALL_PARAMETER]: `${bindingName}: ${why}` });

  const paramKind = template.policy.spec?.paramKind;
  const ref = spec.paramRef;
  if (!paramKind) {
    if (ref) report('has a paramRef but its policy has no paramKind: ignored');
    return [make('', base, undefined, 'none (the policy has no paramKind)')];
  }
  if (!ref) {
    // The API server validates such a binding with null params (generic policy dispatcher,
    // CollectParams: "Policy ParamKind is set, but binding does not use it"), as the guardrails'
    // warn phase relies on: the constraint carries no parameters.
    return [make('', base, undefined, 'none (the binding has no paramRef: the policy is evaluated with null params)')];
  }
  const notFound: string = ref.parameterNotFoundAction ?? 'Deny';
  const candidates = paramObjects.filter((o) => o?.apiVersion === paramKind.apiVersion && o?.kind === paramKind.kind
    && (ref.name !== undefined ? o.metadata?.name === ref.name : selects(ref.selector, o.metadata?.labels)));
  const refText = ref.name !== undefined ? `${paramKind.kind} ${ref.name}` : `${paramKind.kind}s selected by ${JSON.stringify(ref.selector ?? {})}`;
  const missing = (where: string, match: Match, suffix: string): any[] => {
    if (notFound === 'Allow') return [make(suffix, match, undefined, `none: no ${refText} ${where} (parameterNotFoundAction Allow)`)];
    if (!template.failClosed) return [];
    return [make(suffix, match, denyAll(`no ${refText} ${where} (parameterNotFoundAction: Deny)`), `none: no ${refText} ${where}, refused`)];
  };
  const carrying = (o: any) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

  if (ref.namespace) {
    const found = uniqueParams(candidates.filter((o) => o.metadata?.namespace === ref.namespace), report);
    if (found.length === 0) return missing(`in namespace ${ref.namespace}`, base, '');
    return found.map((o) => make(found.length > 1 ? o.metadata.name : '', base, parameters(o), carrying(o)));
  }
  // Per-namespace params: each namespace reads its own; cluster-scoped objects cannot.
  const out: any[] = [];
  const namespaced: Match = { ...base, scope: 'Namespaced' };
  const byNamespace = new Map<string, any[]>();
  for (const o of uniqueParams(candidates.filter((c) => typeof c.metadata?.namespace === 'string'), report)) {
    byNamespace.set(o.metadata.namespace, [...(byNamespace.get(o.metadata.namespace) ?? []), o]);
  }
  if (base.scope !== 'Cluster') {
    for (const ns of [...byNamespace.keys()].sort()) {
      const found = byNamespace.get(ns)!;
      for (const o of found) {
        out.push(make(found.length > 1 ? `${ns}-${o.metadata.name}` : ns, { ...namespaced, namespaces: [ns] }, parameters(o), carrying(o)));
      }
    }
    const registered = [...byNamespace.keys()].sort();
    out.push(...missing('in the object\'s namespace', registered.length ? { ...namespaced, excludedNamespaces: registered } : namespaced, 'unregistered'));
  }
  if (base.scope !== 'Namespaced' && resolved.clusterScoped.length) {
    report(`has no paramRef.namespace but matches cluster-scoped ${resolved.clusterScoped.map((k) => k.kind).join(', ')}: `
      + `the API server ${template.failClosed ? 'refuses them (binding error, failurePolicy Fail)' : 'skips them (failurePolicy Ignore)'}`);
    if (template.failClosed) {
      out.push(make('cluster-scoped', { ...base, kinds: groupKinds(resolved.clusterScoped), scope: 'Cluster' },
        denyAll('a per-namespace paramRef cannot serve cluster-scoped objects'), 'none: cluster-scoped objects have no namespace to read it from'));
    }
  }
  if (resolved.unknownScope) report('matches kinds of unknown scope: cluster-scoped objects among them are not matched by the per-namespace constraints');
  return out;
}

interface Match {
  readonly kinds: { apiGroups: string[]; kinds: string[] }[];
  readonly scope?: string;
  readonly namespaces?: string[];
  readonly excludedNamespaces?: string[];
  readonly labelSelector?: any;
  readonly namespaceSelector?: any;
  readonly name?: string;
}

function constraint(kind: string, name: string, bindingName: string, m: Match, params: any, paramsNote: string,
  action: string, options: GatekeeperTranslationOptions): any {
  const match = {
    kinds: m.kinds,
    ...(m.scope && m.scope !== '*' ? { scope: m.scope } : {}),
    ...(m.namespaces ? { namespaces: m.namespaces } : {}),
    ...(m.excludedNamespaces ? { excludedNamespaces: m.excludedNamespaces } : {}),
    ...(m.labelSelector ? { labelSelector: m.labelSelector } : {}),
    ...(m.namespaceSelector ? { namespaceSelector: m.namespaceSelector } : {}),
    ...(m.name ? { name: m.name } : {}),
  };
  const enforcement = options.scopedEnforcementActions
    ? {
      enforcementAction: 'scoped',
      scopedEnforcementActions: [{
        action,
        enforcementPoints: [{ name: 'audit.gatekeeper.sh' }, { name: 'gator.gatekeeper.sh' }, { name: 'validation.gatekeeper.sh' }],
      }],
    }
    : { enforcementAction: action };
  return {
    apiVersion: CONSTRAINT_API_VERSION,
    kind,
    metadata: {
      name,
      annotations: { [PARAMS_ANNOTATION]: paramsNote, [TRANSLATED_FROM_ANNOTATION]: `ValidatingAdmissionPolicyBinding/${bindingName}` },
    },
    spec: { ...enforcement, match, ...(params !== undefined ? { parameters: params } : {}) },
  };
}

/** The param object as constraint parameters: what the CEL reads as `params`, without status and server fields. */
function parameters(o: any): any {
  const meta: any = { name: o.metadata.name };
  if (o.metadata.namespace !== undefined) meta.namespace = o.metadata.namespace;
  if (o.metadata.labels) meta.labels = sortKeys(o.metadata.labels);
  if (o.metadata.annotations) meta.annotations = sortKeys(o.metadata.annotations);
  const { apiVersion, kind, metadata: _m, status: _s, ...rest } = o;
  const body: any = {};
  for (const key of Object.keys(rest).sort()) body[key] = typeof rest[key] === 'object' && rest[key] !== null && !Array.isArray(rest[key]) ? sortKeys(rest[key]) : rest[key];
  return { apiVersion, kind, metadata: meta, ...body };
}

function uniqueParams(found: any[], report: (p: string) => void): any[] {
  const seen = new Map<string, any>();
  for (const o of found) {
    const key = `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    if (seen.has(key)) report(`param ${o.kind} ${key} appears twice: the first is carried`);
    else seen.set(key, o);
  }
  return [...seen.entries()].sort(([a], [b]) => compare(a, b)).map(([, o]) => o);
}

/** Gatekeeper's enforcementAction for a binding's validationActions. */
export function enforcementAction(actions: readonly unknown[], report: (p: string) => void = () => undefined): string | undefined {
  const set = new Set(actions.map(String));
  for (const a of set) if (!['Deny', 'Warn', 'Audit'].includes(a)) report(`validationAction ${a} is unknown: ignored`);
  if (set.has('Deny')) {
    if (set.has('Warn')) report('validationActions Deny and Warn together are refused by the API server: translated as deny');
    return 'deny';
  }
  if (set.has('Warn')) return 'warn';
  if (set.has('Audit')) return 'dryrun';
  report('has no validationActions: no constraint');
  return undefined;
}

function constraintName(binding: string, suffix: string): string {
  const raw = (suffix ? `${binding}-${suffix}` : binding).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return raw.length <= 63 ? raw : `${raw.slice(0, 54).replace(/-+$/, '')}-${hash(raw)}`;
}

// ---- Matching -------------------------------------------------------------------------------------

function ruleTuples(rules: unknown, report: (p: string) => void): RuleTuple[] {
  const out: RuleTuple[] = [];
  for (const r of asArray(rules)) {
    const names = Array.isArray(r?.resourceNames) && r.resourceNames.length ? r.resourceNames.map(String) : undefined;
    for (const group of asArray(r?.apiGroups).map(String)) {
      for (const resource of asArray(r?.resources).map(String)) {
        out.push({ group, resource, operations: asArray(r?.operations).map(String), scope: typeof r?.scope === 'string' ? r.scope : '*', names });
      }
    }
    if (!asArray(r?.apiGroups).length || !asArray(r?.resources).length) report('a resourceRule without apiGroups or resources matches nothing');
  }
  return out;
}

function isWild(t: RuleTuple): boolean {
  return t.group === '*' || t.resource === '*' || t.resource.endsWith('/*');
}

/** Whether rule `a` matches every request rule `b` matches (names aside). */
function covers(a: RuleTuple, b: RuleTuple): boolean {
  const group = a.group === '*' || a.group === b.group;
  const [aBase, aSub] = a.resource.split('/');
  const [bBase, bSub] = b.resource.split('/');
  const resource = a.resource === '*/*' || a.resource === b.resource || (a.resource === '*' && bSub === undefined)
    || (aSub === '*' && aBase === bBase) || (aBase === '*' && aSub !== undefined && aSub === bSub);
  return group && resource;
}

function sameOperations(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join() === [...b].sort().join();
}

/**
 * CEL that skips the validation for requests of operations the policy does not match. Gatekeeper's
 * webhook may receive DELETE and CONNECT (when so configured); audit has no operation and treats
 * an existing object as created.
 */
function operationSkip(tuples: readonly RuleTuple[], report: (p: string) => void): string | undefined {
  const ops = [...new Set(tuples.flatMap((t) => t.operations))].sort();
  if (ops.includes('*')) return undefined;
  if (tuples.some((t) => !sameOperations(t.operations, tuples[0].operations))) {
    report(`its resourceRules name different operations: the validation runs for any of ${ops.join(', ')}`);
  }
  const list = `[${ops.map((o) => `'${o}'`).join(', ')}]`;
  const rare = ops.filter((o) => o === 'DELETE' || o === 'CONNECT');
  if (rare.length) {
    report(`matches ${rare.join(' and ')}: Gatekeeper's validating webhook receives those only when its webhook configuration includes them `
      + '(it does not by default), and audit never sees them');
  }
  const admission = 'has(request.operation) && request.operation != \'\'';
  if (ops.includes('CREATE') || ops.includes('UPDATE')) return `(${admission} && !(request.operation in ${list}))`;
  return `!(${admission} && request.operation in ${list})`;
}

/** CEL that skips objects outside the names the policy's resourceRules limit it to (or within excluded names). */
function resourceNameGuard(included: readonly RuleTuple[], excluded: readonly RuleTuple[], kinds: KindTable,
  report: (p: string) => void): string | undefined {
  const terms: string[] = [];
  const kindTest = (t: RuleTuple): string | undefined => {
    const k = kinds.lookup(t.group, t.resource.split('/')[0]);
    return k ? `(request.kind.group == '${t.group}' && request.kind.kind == '${k.kind}')` : undefined;
  };
  for (const t of included.filter((x) => x.names)) {
    if (included.some((x) => !x.names && covers(x, t))) continue;
    const test = kindTest(t);
    if (test) terms.push(`(${test} && !(request.name in [${t.names!.map(celString).join(', ')}]))`);
    else report(`resourceNames of ${t.group}/${t.resource} are not reproduced: every object of that resource is checked`);
  }
  for (const t of excluded.filter((x) => x.names)) {
    const test = kindTest(t);
    if (test) terms.push(`(${test} && request.name in [${t.names!.map(celString).join(', ')}])`);
    else report(`excluded resourceNames of ${t.group}/${t.resource} are not reproduced: they are checked`);
  }
  return terms.length ? terms.join(' || ') : undefined;
}

function mergeSelectors(...selectors: any[]): any {
  const present = selectors.filter((s) => s && (Object.keys(s.matchLabels ?? {}).length || asArray(s.matchExpressions).length));
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  const expressions = present.flatMap((s) => [
    ...Object.entries(s.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
    ...asArray(s.matchExpressions),
  ]);
  return { matchExpressions: expressions };
}

/** Whether a label selector (matchLabels, matchExpressions) selects these labels; `{}` selects all, undefined none. */
export function selects(selector: any, labels: { [k: string]: string } | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of asArray(selector.matchExpressions)) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = asArray(e.values).map(String);
    const ok = e.operator === 'In' ? has && values.includes(l[e.key]) : e.operator === 'NotIn' ? !has || !values.includes(l[e.key])
      : e.operator === 'Exists' ? has : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

/** Kinds and scope of resources, from the built-in table, the pinned Istio CRDs and the caller's. */
class KindTable {
  private istio?: Map<string, ResourceKind>;

  constructor(private readonly extra: { readonly [groupResource: string]: ResourceKind }, private readonly note: (p: string) => void) {}

  public lookup(group: string, resource: string): ResourceKind | undefined {
    const key = `${group}/${resource}`;
    return this.extra[key] ?? BUILTIN_KINDS[key] ?? this.istioKinds().get(key);
  }

  /** Gatekeeper `match.kinds` for rule tuples, and what is cluster-scoped among them. */
  public resolve(tuples: readonly RuleTuple[], report: (p: string) => void) {
    const found = new Map<string, { group: string; kind: string; namespaced?: boolean }>();
    let unknownScope = false;
    const scopes = new Set(tuples.map((t) => t.scope));
    for (const t of tuples) {
      const [base, sub] = t.resource.split('/');
      if (sub !== undefined && sub !== '*') {
        this.note(`Gatekeeper matches kinds, not subresources: ${t.resource} is matched as the kind of ${base}; `
          + `Gatekeeper's validating webhook must receive ${t.resource} requests (check its webhook rules)`);
      }
      if (t.group === '*' || base === '*') {
        const kinds = base === '*' ? ['*'] : this.kindsNamed(base);
        if (kinds.length === 0) report(`resource ${base} in any group is unknown: not matched`);
        for (const k of kinds) found.set(`${t.group}/${k}`, { group: t.group, kind: k });
        unknownScope = true;
        continue;
      }
      const k = this.lookup(t.group, base);
      if (!k) {
        report(`resource ${t.group || 'core'}/${base} has no known kind (pass it in resourceKinds): not matched`);
        continue;
      }
      found.set(`${t.group}/${k.kind}`, { group: t.group, kind: k.kind, namespaced: k.namespaced });
    }
    const entries = [...found.values()];
    return {
      kinds: groupKinds(entries),
      scope: scopes.size === 1 ? [...scopes][0] : '*',
      clusterScoped: entries.filter((e) => e.namespaced === false),
      unknownScope,
    };
  }

  private kindsNamed(resource: string): string[] {
    const kinds = Object.entries({ ...BUILTIN_KINDS, ...Object.fromEntries(this.istioKinds()), ...this.extra })
      .filter(([key]) => key.endsWith(`/${resource}`)).map(([, k]) => k.kind);
    return [...new Set(kinds)].sort();
  }

  private istioKinds(): Map<string, ResourceKind> {
    if (!this.istio) {
      this.istio = new Map();
      for (const v of pinnedCrdCatalog().versions()) {
        if (v.plural) this.istio.set(`${v.group}/${v.plural}`, { kind: v.kind, namespaced: v.namespaced });
      }
    }
    return this.istio;
  }
}

function groupKinds(entries: readonly { group: string; kind: string }[]): { apiGroups: string[]; kinds: string[] }[] {
  const byGroup = new Map<string, Set<string>>();
  for (const e of entries) byGroup.set(e.group, (byGroup.get(e.group) ?? new Set()).add(e.kind));
  return [...byGroup.keys()].sort().map((g) => ({ apiGroups: [g], kinds: [...byGroup.get(g)!].sort() }));
}

const core = (kind: string, namespaced = true): ResourceKind => ({ kind, namespaced });

/** Built-in resources (plural → kind and scope), keyed `group/resource`. */
const BUILTIN_KINDS: { readonly [groupResource: string]: ResourceKind } = {
  '/pods': core('Pod'),
  '/replicationcontrollers': core('ReplicationController'),
  '/services': core('Service'),
  '/serviceaccounts': core('ServiceAccount'),
  '/configmaps': core('ConfigMap'),
  '/secrets': core('Secret'),
  '/endpoints': core('Endpoints'),
  '/persistentvolumeclaims': core('PersistentVolumeClaim'),
  '/podtemplates': core('PodTemplate'),
  '/limitranges': core('LimitRange'),
  '/resourcequotas': core('ResourceQuota'),
  '/namespaces': core('Namespace', false),
  '/nodes': core('Node', false),
  '/persistentvolumes': core('PersistentVolume', false),
  'apps/deployments': core('Deployment'),
  'apps/statefulsets': core('StatefulSet'),
  'apps/daemonsets': core('DaemonSet'),
  'apps/replicasets': core('ReplicaSet'),
  'batch/jobs': core('Job'),
  'batch/cronjobs': core('CronJob'),
  'autoscaling/horizontalpodautoscalers': core('HorizontalPodAutoscaler'),
  'policy/poddisruptionbudgets': core('PodDisruptionBudget'),
  'rbac.authorization.k8s.io/roles': core('Role'),
  'rbac.authorization.k8s.io/rolebindings': core('RoleBinding'),
  'rbac.authorization.k8s.io/clusterroles': core('ClusterRole', false),
  'rbac.authorization.k8s.io/clusterrolebindings': core('ClusterRoleBinding', false),
  'networking.k8s.io/networkpolicies': core('NetworkPolicy'),
  'networking.k8s.io/ingresses': core('Ingress'),
  'networking.k8s.io/ingressclasses': core('IngressClass', false),
  'admissionregistration.k8s.io/validatingadmissionpolicies': core('ValidatingAdmissionPolicy', false),
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': core('ValidatingAdmissionPolicyBinding', false),
  'admissionregistration.k8s.io/validatingwebhookconfigurations': core('ValidatingWebhookConfiguration', false),
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': core('MutatingWebhookConfiguration', false),
  'apiextensions.k8s.io/customresourcedefinitions': core('CustomResourceDefinition', false),
  'storage.k8s.io/storageclasses': core('StorageClass', false),
  'scheduling.k8s.io/priorityclasses': core('PriorityClass', false),
  'node.k8s.io/runtimeclasses': core('RuntimeClass', false),
};

// ---- CEL ------------------------------------------------------------------------------------------

interface Token {
  readonly kind: 'ident' | 'string' | 'number' | 'space' | 'punct';
  readonly text: string;
}

/** CEL tokens (identifiers, string and number literals, whitespace and comments, punctuation), losslessly. */
export function celTokens(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    let j = i + 1;
    if (/\s/.test(c)) {
      while (j < src.length && /\s/.test(src[j])) j++;
      out.push({ kind: 'space', text: src.slice(i, j) });
    } else if (c === '/' && src[i + 1] === '/') {
      j = src.indexOf('\n', i);
      if (j < 0) j = src.length;
      out.push({ kind: 'space', text: src.slice(i, j) });
    } else if (/[A-Za-z_]/.test(c)) {
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j])) j++;
      const word = src.slice(i, j);
      if (/^[rRbB]{1,2}$/.test(word) && (src[j] === '"' || src[j] === '\'')) {
        j = stringEnd(src, j, /r/i.test(word));
        out.push({ kind: 'string', text: src.slice(i, j) });
      } else {
        out.push({ kind: 'ident', text: word });
      }
    } else if (c === '"' || c === '\'') {
      j = stringEnd(src, i, false);
      out.push({ kind: 'string', text: src.slice(i, j) });
    } else if (/[0-9]/.test(c)) {
      if (c === '0' && /[xX]/.test(src[j] ?? '')) {
        j++;
        while (j < src.length && /[0-9a-fA-F]/.test(src[j])) j++;
      } else {
        while (j < src.length && /[0-9]/.test(src[j])) j++;
        if (src[j] === '.' && /[0-9]/.test(src[j + 1] ?? '')) {
          j++;
          while (j < src.length && /[0-9]/.test(src[j])) j++;
        }
        if (/[eE]/.test(src[j] ?? '') && /[-+0-9]/.test(src[j + 1] ?? '')) {
          j += 2;
          while (j < src.length && /[0-9]/.test(src[j])) j++;
        }
      }
      if (/[uU]/.test(src[j] ?? '')) j++;
      out.push({ kind: 'number', text: src.slice(i, j) });
    } else {
      out.push({ kind: 'punct', text: c });
    }
    i = j;
  }
  return out;
}

function stringEnd(src: string, quoteAt: number, raw: boolean): number {
  const quote = src[quoteAt];
  const triple = src.startsWith(quote.repeat(3), quoteAt);
  let i = quoteAt + (triple ? 3 : 1);
  while (i < src.length) {
    if (!raw && src[i] === '\\') {
      i += 2;
      continue;
    }
    if (triple ? src.startsWith(quote.repeat(3), i) : src[i] === quote) return i + (triple ? 3 : 1);
    i++;
  }
  return src.length;
}

/** Default of each field of `request` Gatekeeper may leave out (audit, gator: no operation, no userInfo). */
const REQUEST_DEFAULTS: { readonly [path: string]: string } = {
  'uid': '\'\'',
  'name': '\'\'',
  'namespace': '\'\'',
  'operation': '\'\'',
  'subResource': '\'\'',
  'requestSubResource': '\'\'',
  'dryRun': 'false',
  'userInfo.username': '\'\'',
  'userInfo.uid': '\'\'',
  'userInfo.groups': '[]',
  'userInfo.extra': '{}',
  ...Object.fromEntries(['kind', 'requestKind'].flatMap((f) => ['group', 'version', 'kind'].map((p) => [`${f}.${p}`, '\'\'']))),
  ...Object.fromEntries(['resource', 'requestResource'].flatMap((f) => ['group', 'version', 'resource'].map((p) => [`${f}.${p}`, '\'\'']))),
  'object': 'null',
  'oldObject': 'null',
  'options': 'null',
};

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const BOUND = new Set(['params', 'request', 'variables', 'object', 'oldObject']);

/**
 * A VAP CEL expression as Gatekeeper's engine must read it: `params` (the VAP's param object)
 * becomes `variables.params` (the constraint's parameters, which carry that object), renamed
 * variables follow their new names, and every read of a `request` field that audit and gator
 * leave out is guarded to read as its zero value there (`has()` tests are left as they are).
 */
export function translateCel(expression: string, renames: ReadonlyMap<string, string> = new Map(),
  report: (p: string) => void = () => undefined): { text: string; readsRequest: boolean; readsRequester: boolean } {
  const tokens = celTokens(expression);
  const sig = tokens.map((_t, i) => i).filter((i) => tokens[i].kind !== 'space');
  const replace = new Map<number, string>();
  const drop = new Set<number>();
  let readsRequest = false;
  let readsRequester = false;
  for (let s = 0; s < sig.length; s++) {
    const at = sig[s];
    const tok = tokens[at];
    if (tok.kind !== 'ident') continue;
    const prev = tokens[sig[s - 1]]?.text;
    const prev2 = tokens[sig[s - 2]]?.text;
    const isRoot = prev !== '.' && !(prev === '?' && prev2 === '.');
    if (!isRoot) {
      const owner = tokens[sig[prev === '?' ? s - 3 : s - 2]];
      const ownerPrev = tokens[sig[prev === '?' ? s - 4 : s - 3]]?.text;
      if (owner?.text === 'variables' && ownerPrev !== '.' && renames.has(tok.text)) replace.set(at, renames.get(tok.text)!);
      continue;
    }
    if (BOUND.has(tok.text) && tokens[sig[s + 1]]?.text === ',' && prev === '(' && MACROS.has(prev2 ?? '') && tokens[sig[s - 3]]?.text === '.') {
      report(`a macro binds ${tok.text}, shadowing Gatekeeper's variable of that name: the expression is not translated correctly`);
    }
    if (tok.text === 'params') {replace.set(at, 'variables.params');} else if (tok.text === 'authorizer') {report('reads authorizer, which Gatekeeper\'s CEL engine does not declare: its template fails to compile');} else if (tok.text === 'namespaceObject') {report('reads namespaceObject, which only recent Gatekeeper versions bind (null elsewhere)');} else if (tok.text === 'request') {
      readsRequest = true;
      const path: { name: string; at: number }[] = [];
      for (let k = s + 1; tokens[sig[k]]?.text === '.' && tokens[sig[k + 1]]?.kind === 'ident'; k += 2) {
        path.push({ name: tokens[sig[k + 1]].text, at: sig[k + 1] });
      }
      if (path[0]?.name === 'userInfo') readsRequester = true;
      const insideHas = prev === '(' && prev2 === 'has' && tokens[sig[s - 3]]?.text !== '.';
      if (insideHas) continue;
      let known = 0;
      for (let n = path.length; n > 0; n--) {
        if (REQUEST_DEFAULTS[path.slice(0, n).map((p) => p.name).join('.')] !== undefined) {
          known = n;
          break;
        }
      }
      if (known === 0) {
        report(`reads request${path.length ? `.${path[0].name}` : ''} as a whole, which cannot be guarded for audit`);
        continue;
      }
      const fields = path.slice(0, known).map((p) => p.name);
      const tests = fields.map((_, n) => `has(request.${fields.slice(0, n + 1).join('.')})`).join(' && ');
      replace.set(at, `(${tests} ? request.${fields.join('.')} : ${REQUEST_DEFAULTS[fields.join('.')]})`);
      for (let d = at + 1; d <= path[known - 1].at; d++) drop.add(d);
    }
  }
  const text = tokens.map((t, i) => (drop.has(i) ? '' : replace.get(i) ?? t.text)).join('');
  return { text, readsRequest, readsRequester };
}

// ---- Helpers --------------------------------------------------------------------------------------

function isAdmission(o: any, kind: string): boolean {
  return o?.kind === kind && typeof o?.apiVersion === 'string' && o.apiVersion.startsWith('admissionregistration.k8s.io/');
}

function isConfigMapKind(paramKind: any): boolean {
  return paramKind?.apiVersion === 'v1' && paramKind?.kind === 'ConfigMap';
}

function asArray(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

function celString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, '\\\'')}'`;
}

function uniqueName(base: string, taken: readonly string[]): string {
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}_${n}`;
  return name;
}

function sortKeys<T>(o: { [k: string]: T }): { [k: string]: T } {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 8 hex digits of the name's SHA-256: short, stable suffixes for names that must be shortened. */
function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}
