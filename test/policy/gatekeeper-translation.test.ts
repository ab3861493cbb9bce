import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import Ajv from 'ajv';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { admitsExpression, toAdmissionValue } from '../../src/policy/admission-cel';
import { AdmissionGuardrails, AdmissionGuardrailsProps } from '../../src/policy/admission-guardrails';
import { AdmissionRollout } from '../../src/policy/admission-rollout';
import { REGISTRY_LABEL, REGISTRY_LABEL_VALUE, REGISTRY_NAME, registryKey } from '../../src/policy/exception-registry-format';
import {
  CEL_ENGINE, CONSTRAINT_API_VERSION, DENY_ALL_PARAMETER, GATEKEEPER_TARGET, RequesterlessReview, TEMPLATE_API_VERSION,
  celTokens, constraintKindName, enforcementAction, gatekeeperDocuments, selects, translateCel,
} from '../../src/policy/gatekeeper-translation';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { celModules } from '../../src/validation/cel/cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from '../../src/validation/cel/kubernetes-library';
import { toStrictSchema } from '../../src/validation/crd-catalog';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, synthValidated } from '../helpers';
import { describeWithShared } from '../shared';

// ---- Worlds: what the library emits ---------------------------------------------------------------

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
const WRITER = 'system:serviceaccount:config-management-system:ns-reconciler-{namespace}';

/**
 * The guardrails as an app emits them, with the namespace shop (its exception registry) and a
 * PolicyException for MESH-EXC-001 on shop/cart.
 */
function guardrailWorld(props: AdmissionGuardrailsProps = { registryWriters: [WRITER] }): any[] {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, '2030-01-15');
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh');
  new AdmissionGuardrails(chart, 'g', props);
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: HTTP });
  const exception = new PolicyException(cart, 'bypass', {
    rules: ['MESH-EXC-001'],
    justification: 'The legacy health checker cannot speak mTLS; only the shop namespace may reach port 9080.',
    owner: 'team-shop',
    expires: '2030-03-31',
    objects: ['Deployment/shop/cart'],
    ports: [9080],
  });
  cart.excludeInboundPorts([9080], { exception });
  return synthValidated(chart);
}

const isGuardrail = (o: any) => o.apiVersion === 'admissionregistration.k8s.io/v1' || (o.kind === 'ConfigMap' && o.metadata.name === REGISTRY_NAME);

/** An exception registry as the library writes it. */
function registry(namespace: string, data?: { [key: string]: string }): any {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: REGISTRY_NAME, namespace, labels: { [REGISTRY_LABEL]: REGISTRY_LABEL_VALUE } },
    ...(data ? { data } : {}),
  };
}

/** The guardrail documents with entries (`Kind.name` → `RULE@expires,...`) added to the registries of some namespaces (created when absent). */
function withRegistries(objects: any[], entries: { [namespace: string]: { [key: string]: string } }): any[] {
  const docs = objects.filter(isGuardrail).map((o) => (o.kind === 'ConfigMap' && entries[o.metadata.namespace]
    ? { ...o, data: { ...(o.data ?? {}), ...entries[o.metadata.namespace] } } : o));
  const have = new Set(docs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.namespace));
  return [...docs, ...Object.keys(entries).filter((ns) => !have.has(ns)).map((ns) => registry(ns, entries[ns]))];
}

/** Labels of mesh namespaces (istio-injection: enabled), with the name label every namespace carries. */
function meshNamespaces(...names: string[]): { [ns: string]: { [k: string]: string } } {
  return Object.fromEntries(names.map((n) => [n, { 'istio-injection': 'enabled', 'kubernetes.io/metadata.name': n }]));
}

// ---- The repo's CEL engine, bound the way each admission controller binds it ----------------------

const { celEnv, isCelError, parse, plan } = celModules().cel;
const env = celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });
const programs = new Map<string, any>();

/** Evaluates CEL over bindings that are already CEL values. */
function evaluate(expression: string, bindings: { [name: string]: unknown }): unknown {
  let program = programs.get(expression);
  if (!program) {
    program = plan(env, parse(expression));
    programs.set(expression, program);
  }
  const result = program(bindings);
  if (isCelError(result)) throw new Error(`CEL error: ${result.message}`);
  return result;
}

/** A webhook review (CREATE by `username`) or an audit/gator review (the object alone), as Gatekeeper builds `request`. */
function request(object: any, mode: 'webhook' | 'audit', username = 'alice', groups: string[] = ['system:authenticated']): any {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const base = { kind: { group, version, kind: object.kind }, name: object.metadata?.name ?? '', namespace: object.metadata?.namespace ?? '' };
  return mode === 'webhook' ? { ...base, operation: 'CREATE', userInfo: { username, groups } } : { ...base, operation: '', userInfo: {} };
}

/**
 * Gatekeeper's K8sNativeValidation engine: `variables.params` is the constraint's spec.parameters
 * (null when absent), then the template's variables in order (compiled with `params` = the whole
 * constraint); validations see object, oldObject, request and variables, not `params`. A CEL
 * error is a violation (failurePolicy Fail). Returns the violation messages.
 */
function gatekeeperViolations(template: any, constraint: any, object: any, req: any): string[] {
  const source = template.spec.targets[0].code[0].source;
  const variables = new Map<string, unknown>([['params', toAdmissionValue(constraint.spec.parameters ?? null)]]);
  const base = { object: toAdmissionValue(object), oldObject: null, request: toAdmissionValue(req) };
  const out: string[] = [];
  try {
    for (const v of source.variables ?? []) {
      variables.set(v.name, evaluate(v.expression, { ...base, params: toAdmissionValue(constraint), variables }));
    }
    for (const v of source.validations) {
      if (evaluate(v.expression, { ...base, variables }) === true) continue;
      out.push(v.messageExpression ? String(evaluate(v.messageExpression, { ...base, variables })) : v.message);
    }
  } catch (e) {
    out.push(`error: ${(e as Error).message}`);
  }
  return out;
}

function glob(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

const groupOf = (o: any): string => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '');

/** Gatekeeper's `spec.match` (kinds, scope, namespaces, excludedNamespaces, selectors, name). */
function gatekeeperMatches(constraint: any, object: any, namespaceLabels: { [ns: string]: { [k: string]: string } }): boolean {
  const m = constraint.spec.match;
  const kindOk = m.kinds.some((k: any) => (k.apiGroups.includes('*') || k.apiGroups.includes(groupOf(object)))
    && (k.kinds.includes('*') || k.kinds.includes(object.kind)));
  const ns: string | undefined = object.metadata?.namespace;
  if (!kindOk) return false;
  if (m.scope === 'Namespaced' && !ns) return false;
  if (m.scope === 'Cluster' && ns) return false;
  if (ns && m.namespaces && !m.namespaces.some((g: string) => glob(g, ns))) return false;
  if (ns && m.excludedNamespaces?.some((g: string) => glob(g, ns))) return false;
  if (m.namespaceSelector) {
    const labels = object.kind === 'Namespace' ? object.metadata.labels : ns ? namespaceLabels[ns] : undefined;
    if ((object.kind === 'Namespace' || ns) && !selects(m.namespaceSelector, labels)) return false;
  }
  if (m.labelSelector && !selects(m.labelSelector, object.metadata?.labels)) return false;
  return !m.name || glob(m.name, object.metadata?.name ?? '');
}

/** What both sides say when a binding refuses for want of params (the messages differ: the API server's, the deny-all constraint's). */
const NO_PARAMS = '<refused: no params>';

interface Decision {
  readonly refused: boolean;
  readonly messages: string[];
}

/** What Gatekeeper decides for an object: the violations of every matching constraint whose action is deny. */
function gatekeeperDecision(gk: any[], object: any, req: any, namespaceLabels: { [ns: string]: { [k: string]: string } } = {}): Decision {
  const templates = new Map(gk.filter((d) => d.kind === 'ConstraintTemplate').map((t) => [t.spec.crd.spec.names.kind, t]));
  const messages: string[] = [];
  let refused = false;
  for (const c of gk.filter((d) => d.apiVersion === CONSTRAINT_API_VERSION && gatekeeperMatches(d, object, namespaceLabels))) {
    const found = gatekeeperViolations(templates.get(c.kind), c, object, req)
      .map((m) => (c.spec.parameters?.[DENY_ALL_PARAMETER] !== undefined && m === c.spec.parameters[DENY_ALL_PARAMETER] ? NO_PARAMS : m));
    messages.push(...found.map((m) => `[${c.metadata.name}] ${m}`));
    if (found.length && (c.spec.enforcementAction ?? 'deny') === 'deny') refused = true;
  }
  return { refused, messages };
}

/** Kind → [group, resource, namespaced], for the VAP side of the comparison. */
const RESOURCES: { [kind: string]: [string, string, boolean] } = {
  Pod: ['', 'pods', true],
  ReplicationController: ['', 'replicationcontrollers', true],
  Namespace: ['', 'namespaces', false],
  ConfigMap: ['', 'configmaps', true],
  Service: ['', 'services', true],
  ServiceAccount: ['', 'serviceaccounts', true],
  Deployment: ['apps', 'deployments', true],
  StatefulSet: ['apps', 'statefulsets', true],
  DaemonSet: ['apps', 'daemonsets', true],
  ReplicaSet: ['apps', 'replicasets', true],
  Job: ['batch', 'jobs', true],
  CronJob: ['batch', 'cronjobs', true],
  Role: ['rbac.authorization.k8s.io', 'roles', true],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings', true],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles', false],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings', false],
  NetworkPolicy: ['networking.k8s.io', 'networkpolicies', true],
  PeerAuthentication: ['security.istio.io', 'peerauthentications', true],
  AuthorizationPolicy: ['security.istio.io', 'authorizationpolicies', true],
  RequestAuthentication: ['security.istio.io', 'requestauthentications', true],
  DestinationRule: ['networking.istio.io', 'destinationrules', true],
  VirtualService: ['networking.istio.io', 'virtualservices', true],
  Gateway: ['networking.istio.io', 'gateways', true],
  Sidecar: ['networking.istio.io', 'sidecars', true],
  ServiceEntry: ['networking.istio.io', 'serviceentries', true],
  EnvoyFilter: ['networking.istio.io', 'envoyfilters', true],
  Telemetry: ['telemetry.istio.io', 'telemetries', true],
  WasmPlugin: ['extensions.istio.io', 'wasmplugins', true],
};

function ruleMatches(rules: any[] | undefined, object: any): boolean {
  const [group, resource] = RESOURCES[object.kind] ?? [groupOf(object), '?'];
  return (rules ?? []).some((r) => (r.apiGroups.includes('*') || r.apiGroups.includes(group)) && (r.resources.includes('*') || r.resources.includes(resource))
    && (r.operations.includes('*') || r.operations.includes('CREATE')));
}

/**
 * What the API server decides for a CREATE of `object` under the VAP documents (policies, bindings,
 * params among `docs`): each matching binding reads its params (paramRef.namespace, else the
 * object's namespace; an error for cluster-scoped objects), parameterNotFoundAction and
 * failurePolicy apply, each param is evaluated and the results ANDed. `evaluateWith` evaluates a
 * validation (the repo's `admitsExpression` where no `request` is needed).
 */
function vapDecision(docs: any[], object: any, req: any, namespaceLabels: { [ns: string]: { [k: string]: string } } = {},
  evaluateWith?: (expression: string, object: any, params: any) => boolean): Decision {
  const policies = new Map(docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy').map((p) => [p.metadata.name, p]));
  const messages: string[] = [];
  let refused = false;
  const ns: string | undefined = object.metadata?.namespace;
  const nsLabels = object.kind === 'Namespace' ? object.metadata.labels : ns ? namespaceLabels[ns] : undefined;
  for (const b of docs.filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding')) {
    const p = policies.get(b.spec.policyName);
    if (!ruleMatches(p.spec.matchConstraints.resourceRules, object)) continue;
    const mr = b.spec.matchResources;
    if (mr?.resourceRules && !ruleMatches(mr.resourceRules, object)) continue;
    const scope = mr?.resourceRules?.[0]?.scope;
    const namespaced = RESOURCES[object.kind]?.[2] ?? true;
    if (scope === 'Namespaced' && !namespaced) continue;
    if (scope === 'Cluster' && namespaced) continue;
    if (mr?.namespaceSelector && (object.kind === 'Namespace' || ns) && !selects(mr.namespaceSelector, nsLabels)) continue;
    const deny = b.spec.validationActions.includes('Deny');
    const fail = (m: string) => {
      messages.push(`[${b.metadata.name}] ${m}`);
      if (deny) refused = true;
    };
    const ref = b.spec.paramRef;
    let params: any[] = [];
    if (!p.spec.paramKind || !ref) {
      params = [null];
    } else if (ref.namespace === undefined && !namespaced) {
      fail(NO_PARAMS);
      continue;
    } else {
      const lookIn = ref.namespace ?? ns;
      params = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.name === ref.name && d.metadata.namespace === lookIn);
      if (params.length === 0) {
        if (ref.parameterNotFoundAction !== 'Allow') fail(NO_PARAMS);
        continue;
      }
    }
    // Params are resolved first (a missing one refuses whatever the matchConditions), then the matchConditions decide.
    const conditionsHold = (p.spec.matchConditions ?? [])
      .every((c: any) => evaluate(c.expression, { object: toAdmissionValue(object), request: toAdmissionValue(req) }) === true);
    if (!conditionsHold) continue;
    for (const param of params) {
      for (const v of p.spec.validations) {
        let ok: boolean;
        try {
          ok = evaluateWith ? evaluateWith(v.expression, object, param)
            : evaluate(v.expression, {
              object: toAdmissionValue(object),
              oldObject: null,
              params: toAdmissionValue(param),
              request: toAdmissionValue(req),
              variables: vapVariables(p, object, param, req),
            }) === true;
        } catch (e) {
          ok = false;
        }
        if (!ok) fail(v.message);
      }
    }
  }
  return { refused, messages };
}

function vapVariables(policy: any, object: any, param: any, req: any): Map<string, unknown> {
  const variables = new Map<string, unknown>();
  for (const v of policy.spec.variables ?? []) {
    const bindings = { object: toAdmissionValue(object), params: toAdmissionValue(param), request: toAdmissionValue(req), variables };
    variables.set(v.name, evaluate(v.expression, bindings));
  }
  return variables;
}

// ---- Gatekeeper's shapes, as verified (see the comment at the top of the translation) -----------

const strings = { type: 'array', items: { type: 'string' } };
const selectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        additionalProperties: false,
        properties: { key: { type: 'string' }, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: strings },
      },
    },
  },
};
const TEMPLATE_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'templates.gatekeeper.sh/v1' },
    kind: { const: 'ConstraintTemplate' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9]{0,62}$' }, annotations: { type: 'object', additionalProperties: { type: 'string' } } },
    },
    spec: {
      type: 'object',
      required: ['crd', 'targets'],
      additionalProperties: false,
      properties: {
        crd: {
          type: 'object',
          required: ['spec'],
          properties: {
            spec: {
              type: 'object',
              required: ['names', 'validation'],
              properties: {
                names: { type: 'object', required: ['kind'], properties: { kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{0,62}$' } } },
                validation: { type: 'object', required: ['openAPIV3Schema'], properties: { openAPIV3Schema: { type: 'object', required: ['type'] } } },
              },
            },
          },
        },
        targets: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: {
            type: 'object',
            required: ['target', 'code'],
            additionalProperties: false,
            properties: {
              target: { const: 'admission.k8s.gatekeeper.sh' },
              code: {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  required: ['engine', 'source'],
                  additionalProperties: false,
                  properties: {
                    engine: { const: 'K8sNativeValidation' },
                    source: {
                      type: 'object',
                      required: ['validations'],
                      additionalProperties: false,
                      properties: {
                        validations: {
                          type: 'array',
                          minItems: 1,
                          items: {
                            type: 'object',
                            required: ['expression'],
                            additionalProperties: false,
                            properties: { expression: { type: 'string', minLength: 1 }, message: { type: 'string' }, messageExpression: { type: 'string' } },
                          },
                        },
                        variables: {
                          type: 'array',
                          items: {
                            type: 'object',
                            required: ['name', 'expression'],
                            additionalProperties: false,
                            properties: { name: { type: 'string', pattern: '^(?!gatekeeper_internal_)(?!params$)(?!anyObject$)[A-Za-z_][A-Za-z0-9_]*$' }, expression: { type: 'string' } },
                          },
                        },
                        failurePolicy: { enum: ['Fail', 'Ignore'] },
                        generateVAP: { type: 'boolean' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
const CONSTRAINT_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'constraints.gatekeeper.sh/v1beta1' },
    kind: { type: 'string', pattern: '^[A-Z][A-Za-z0-9]*$' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }, annotations: { type: 'object', additionalProperties: { type: 'string' } } },
    },
    spec: {
      type: 'object',
      required: ['match'],
      additionalProperties: false,
      properties: {
        enforcementAction: { enum: ['deny', 'dryrun', 'warn', 'scoped'] },
        scopedEnforcementActions: {
          type: 'array',
          items: {
            type: 'object',
            required: ['action', 'enforcementPoints'],
            additionalProperties: false,
            properties: {
              action: { enum: ['deny', 'dryrun', 'warn'] },
              enforcementPoints: {
                type: 'array',
                minItems: 1,
                items: { type: 'object', required: ['name'], properties: { name: { enum: ['validation.gatekeeper.sh', 'audit.gatekeeper.sh', 'gator.gatekeeper.sh', 'vap.k8s.io'] } } },
              },
            },
          },
        },
        match: {
          type: 'object',
          required: ['kinds'],
          additionalProperties: false,
          properties: {
            kinds: {
              type: 'array',
              minItems: 1,
              items: { type: 'object', required: ['apiGroups', 'kinds'], additionalProperties: false, properties: { apiGroups: strings, kinds: strings } },
            },
            scope: { enum: ['*', 'Cluster', 'Namespaced'] },
            namespaces: strings,
            excludedNamespaces: strings,
            labelSelector: selectorSchema,
            namespaceSelector: selectorSchema,
            name: { type: 'string' },
          },
        },
        parameters: { type: 'object' },
      },
    },
  },
};

function ajv(): Ajv {
  const a = new Ajv({ allErrors: true, strict: false });
  a.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  return a;
}
const validateTemplate = ajv().compile(TEMPLATE_SCHEMA);
const validateConstraint = ajv().compile(CONSTRAINT_SCHEMA);

/** Structural (CRD v1): every node declares a type, or keeps unknown fields. */
function structuralProblems(schema: any, path = 'openAPIV3Schema'): string[] {
  if (!schema || typeof schema !== 'object') return [`${path} is not a schema`];
  const own = schema.type || schema['x-kubernetes-preserve-unknown-fields'] ? [] : [`${path} has no type`];
  return [
    ...own,
    ...Object.entries(schema.properties ?? {}).flatMap(([k, s]) => structuralProblems(s, `${path}.properties.${k}`)),
    ...(typeof schema.additionalProperties === 'object' ? structuralProblems(schema.additionalProperties, `${path}.additionalProperties`) : []),
    ...(schema.items ? structuralProblems(schema.items, `${path}.items`) : []),
  ];
}

/** Schema errors of every translated document, constraints' parameters checked against their template's schema as the API server prunes. */
function shapeProblems(documents: any[]): string[] {
  const problems: string[] = [];
  const templates = new Map<string, any>();
  for (const t of documents.filter((d) => d.kind === 'ConstraintTemplate')) {
    if (!validateTemplate(t)) problems.push(`${t.metadata?.name}: ${JSON.stringify(validateTemplate.errors)}`);
    if (t.metadata.name !== t.spec.crd.spec.names.kind.toLowerCase()) problems.push(`${t.metadata.name}: name is not the lowercase kind`);
    problems.push(...structuralProblems(t.spec.crd.spec.validation.openAPIV3Schema).map((p) => `${t.metadata.name}: ${p}`));
    templates.set(t.spec.crd.spec.names.kind, t);
  }
  for (const c of documents.filter((d) => d.kind !== 'ConstraintTemplate')) {
    if (!validateConstraint(c)) problems.push(`${c.kind}/${c.metadata?.name}: ${JSON.stringify(validateConstraint.errors)}`);
    const t = templates.get(c.kind);
    if (!t) {
      problems.push(`${c.kind}/${c.metadata.name}: no template`);
      continue;
    }
    if (c.spec.parameters !== undefined) {
      const validateParams = ajv().compile(toStrictSchema(t.spec.crd.spec.validation.openAPIV3Schema));
      if (!validateParams(c.spec.parameters)) problems.push(`${c.kind}/${c.metadata.name} parameters: ${JSON.stringify(validateParams.errors)}`);
    }
  }
  return problems;
}

const templateOf = (docs: any[], kind: string) => docs.find((d) => d.kind === 'ConstraintTemplate' && d.spec.crd.spec.names.kind === kind);
const constraintsOf = (docs: any[], kind: string) => docs.filter((d) => d.apiVersion === CONSTRAINT_API_VERSION && d.kind === kind);
const policyName = (ruleId: string) => `secure-mesh-${ruleId.toLowerCase()}`;

// ---- Objects --------------------------------------------------------------------------------------

function pod(name: string, namespace: string, container: any = {}, labels?: { [k: string]: string }): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app', image: IMAGE, ...container }] },
  };
}

function peerAuthentication(name: string, namespace: string, mode: string): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace }, spec: { selector: { matchLabels: { app: name } }, mtls: { mode } } };
}

// ---- Tests ----------------------------------------------------------------------------------------

describe('what the library emits, translated', () => {
  const objects = guardrailWorld();
  const docs = objects.filter(isGuardrail);
  const vaps = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy');
  const bindings = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
  const registries = docs.filter((d) => d.kind === 'ConfigMap');
  const { documents, problems } = gatekeeperDocuments(docs);
  const constraints = documents.filter((d) => d.apiVersion === CONSTRAINT_API_VERSION);

  test('the inputs: per-namespace registries, per-selector bindings without paramRef.namespace, cluster bindings reading the control plane\'s', () => {
    expect(registries.map((r) => r.metadata.namespace).sort()).toEqual(['istio-system', 'shop']);
    expect(findObject(docs, 'ConfigMap', REGISTRY_NAME, 'shop').data[registryKey('Deployment', 'cart')]).toBe('MESH-EXC-001@2030-03-31');
    expect(bindings.filter((b) => b.spec.paramRef && b.spec.paramRef.namespace === undefined).length).toBeGreaterThan(40);
  });

  test('one ConstraintTemplate per policy; per binding one constraint per registry it can read, plus the namespaces without one', () => {
    const templates = documents.filter((d) => d.kind === 'ConstraintTemplate');
    expect(templates.map((t) => t.metadata.annotations['secure-mesh.cdk8s.io/translated-from']).sort())
      .toEqual(vaps.map((p) => `ValidatingAdmissionPolicy/${p.metadata.name}`).sort());
    for (const b of bindings) {
      const own = constraints.filter((c) => c.metadata.annotations['secure-mesh.cdk8s.io/translated-from'] === `ValidatingAdmissionPolicyBinding/${b.metadata.name}`);
      const perNamespace = b.spec.paramRef && b.spec.paramRef.namespace === undefined;
      expect([b.metadata.name, own.length]).toEqual([b.metadata.name, perNamespace ? registries.length + 1 : 1]);
      // A Deny binding becomes deny; a Warn/Audit binding (a warning rule) becomes warn.
      const action = b.spec.validationActions.includes('Deny') ? 'deny' : 'warn';
      for (const c of own) expect(c.spec.enforcementAction).toBe(action);
    }
    expect(constraintsOf(documents, 'SecureMeshPodPriv001').map((c) => [c.metadata.name, c.spec.match.namespaces ?? c.spec.match.excludedNamespaces,
      c.spec.parameters?.metadata?.namespace ?? Object.keys(c.spec.parameters)])).toEqual([
      ['secure-mesh-pod-priv-001-ambient-istio-system', ['istio-system'], 'istio-system'],
      ['secure-mesh-pod-priv-001-ambient-shop', ['shop'], 'shop'],
      ['secure-mesh-pod-priv-001-ambient-unregistered', ['istio-system', 'shop'], [DENY_ALL_PARAMETER]],
      ['secure-mesh-pod-priv-001-injected-istio-system', ['istio-system'], 'istio-system'],
      ['secure-mesh-pod-priv-001-injected-shop', ['shop'], 'shop'],
      ['secure-mesh-pod-priv-001-injected-unregistered', ['istio-system', 'shop'], [DENY_ALL_PARAMETER]],
      ['secure-mesh-pod-priv-001-revision-istio-system', ['istio-system'], 'istio-system'],
      ['secure-mesh-pod-priv-001-revision-shop', ['shop'], 'shop'],
      ['secure-mesh-pod-priv-001-revision-unregistered', ['istio-system', 'shop'], [DENY_ALL_PARAMETER]],
    ]);
  });

  test('a registry\'s data goes into the parameters whole, as the CEL reads it', () => {
    const shop = findObject(docs, 'ConfigMap', REGISTRY_NAME, 'shop');
    const [c] = constraintsOf(documents, 'SecureMeshMeshExc001').filter((x) => x.metadata.name === 'secure-mesh-mesh-exc-001-injected-shop');
    expect(c.spec.parameters).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: shop.metadata, data: shop.data });
    expect(c.metadata.annotations['secure-mesh.cdk8s.io/params']).toBe(`ConfigMap/shop/${REGISTRY_NAME}`);
  });

  test('templates are CEL-only (no rego), name the kind derived from the policy and keep its practices', () => {
    const t = templateOf(documents, 'SecureMeshPodPriv001');
    expect(t.metadata.name).toBe('securemeshpodpriv001');
    expect(t.metadata.annotations['secure-mesh.cdk8s.io/practices']).toBe(findObject(docs, 'ValidatingAdmissionPolicy', policyName('POD-PRIV-001')).metadata.annotations['secure-mesh.cdk8s.io/practices']);
    expect(t.spec.targets).toEqual([{ target: GATEKEEPER_TARGET, code: [{ engine: CEL_ENGINE, source: expect.objectContaining({ failurePolicy: 'Fail', generateVAP: false }) }] }]);
    expect(t.spec.targets[0].rego).toBeUndefined();
    expect(t.apiVersion).toBe(TEMPLATE_API_VERSION);
  });

  test('constraints match the binding\'s kinds (plural → Kind, pods/ephemeralcontainers as Pod), namespace selector and scope', () => {
    const priv = constraintsOf(documents, 'SecureMeshPodPriv001').find((c) => c.metadata.name === 'secure-mesh-pod-priv-001-injected-istio-system')!;
    const binding = findObject(docs, 'ValidatingAdmissionPolicyBinding', 'secure-mesh-pod-priv-001-injected');
    expect(priv.spec.match).toEqual({
      kinds: [
        { apiGroups: [''], kinds: ['Pod', 'ReplicationController'] },
        { apiGroups: ['apps'], kinds: ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet'] },
        { apiGroups: ['batch'], kinds: ['CronJob', 'Job'] },
      ],
      scope: 'Namespaced',
      namespaces: ['istio-system'],
      namespaceSelector: binding.spec.matchResources.namespaceSelector,
    });
    expect(constraintsOf(documents, 'SecureMeshNsPsa001').map((c) => [c.metadata.name, c.spec.match])).toEqual([
      ['secure-mesh-ns-psa-001-cluster', { kinds: [{ apiGroups: [''], kinds: ['Namespace'] }] }],
    ]);
    expect(constraintsOf(documents, 'SecureMeshMeshMtls001').map((c) => c.spec.match)).toEqual([{
      kinds: [{ apiGroups: ['security.istio.io'], kinds: ['PeerAuthentication'] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
    }]);
  });

  test('every document has the verified Gatekeeper shape; parameters survive the template schema', () => {
    expect(shapeProblems(documents)).toEqual([]);
  });

  test('problems: the subresource Gatekeeper must be sent, the DELETE protections its webhook must be sent, and namespaceObject', () => {
    expect(problems).toEqual([
      expect.stringMatching(/^Gatekeeper matches kinds, not subresources: pods\/ephemeralcontainers is matched as the kind of pods/),
      expect.stringMatching(/^ValidatingAdmissionPolicy\/secure-mesh-exception-registries: matches DELETE: Gatekeeper's validating webhook receives those only/),
      // The ambient rules judge an object by its Namespace: where Gatekeeper binds no namespaceObject they admit everything.
      ...[1, 2, 3, 4].map((n) => `ValidatingAdmissionPolicy/secure-mesh-mesh-ambient-00${n}: reads namespaceObject, which only recent Gatekeeper versions bind (null elsewhere)`),
      expect.stringMatching(/^ValidatingAdmissionPolicy\/secure-mesh-mesh-authz-001: matches DELETE/),
      expect.stringMatching(/^ValidatingAdmissionPolicy\/secure-mesh-mesh-mtls-001: matches DELETE/),
      // SECRET-K8S-001 reads the request's Namespace: Gatekeeper binds it only in recent versions.
      expect.stringMatching(/^ValidatingAdmissionPolicy\/secure-mesh-secret-k8s-001: reads namespaceObject/),
    ]);
  });

  test('every translated expression compiles, and none reads the VAP-only `params` any more', () => {
    for (const t of documents.filter((d) => d.kind === 'ConstraintTemplate')) {
      for (const v of t.spec.targets[0].code[0].source.validations) {
        expect(() => plan(env, parse(v.expression))).not.toThrow();
        const roots = celTokens(v.expression).filter((tok, i, all) => tok.text === 'params' && all.slice(0, i).reverse().find((x) => x.kind !== 'space')?.text !== '.');
        expect([t.metadata.name, roots]).toEqual([t.metadata.name, []]);
      }
    }
  });

  test('untranslated, the VAP\'s CEL cannot see the registry under Gatekeeper\'s bindings (no `params` for validations)', () => {
    const vap = findObject(docs, 'ValidatingAdmissionPolicy', policyName('MESH-EXC-001'));
    const t = templateOf(documents, 'SecureMeshMeshExc001');
    const c = constraintsOf(documents, 'SecureMeshMeshExc001').find((x) => x.metadata.name === 'secure-mesh-mesh-exc-001-injected-shop');
    const code = [{ engine: CEL_ENGINE, source: { validations: vap.spec.validations } }];
    const raw = { ...t, spec: { ...t.spec, targets: [{ ...t.spec.targets[0], code }] } };
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    // Gatekeeper does not declare `params` for validations (a compile error there); here the unbound
    // variable at least hides the exception: the excepted Deployment is refused.
    expect(gatekeeperViolations(raw, c, cart, request(cart, 'webhook'))).toHaveLength(1);
    expect(gatekeeperViolations(t, c, cart, request(cart, 'webhook'))).toEqual([]);
  });

  test('deterministic: the input order does not change the output', () => {
    const reversed = gatekeeperDocuments([...docs].reverse());
    expect(JSON.stringify(reversed)).toBe(JSON.stringify({ documents, problems }));
  });
});

describe('refuses and admits what the VAP refuses and admits (the VAP with its ConfigMap, Gatekeeper with the constraint\'s parameters)', () => {
  const objects = guardrailWorld();
  const docs = withRegistries(objects, {
    debug: { [registryKey('Pod', 'toolbox')]: 'POD-PRIV-001@2030-12-31' },
    legacy: { [registryKey('PeerAuthentication', 'billing')]: 'MESH-MTLS-002@2030-12-31' },
  });
  const { documents } = gatekeeperDocuments(docs);
  const labels = meshNamespaces('shop', 'debug', 'legacy', 'orders', 'istio-system');

  /**
   * Both decisions on one rule's policy: the VAP's validations through the repo's admitsExpression
   * (params: the ConfigMap its binding reads), the template through Gatekeeper's bindings (params:
   * the parameters of the constraints that match), at admission and in audit.
   */
  function both(ruleId: string, object: any, username = 'alice'): { vap: boolean; gatekeeper: boolean; audit: boolean } {
    const name = policyName(ruleId);
    const vapDocs = docs.filter((d) => d.kind === 'ConfigMap' || d.metadata.name === name || d.spec?.policyName === name);
    const kind = constraintKindName(name);
    const gkDocs = documents.filter((d) => d.kind === kind || (d.kind === 'ConstraintTemplate' && d.spec.crd.spec.names.kind === kind));
    const req = request(object, 'webhook', username);
    return {
      vap: !vapDecision(vapDocs, object, req, labels, (e, o, p) => admitsExpression(e, o, p, { request: req })).refused,
      gatekeeper: !gatekeeperDecision(gkDocs, object, req, labels).refused,
      audit: !gatekeeperDecision(gkDocs, object, request(object, 'audit'), labels).refused,
    };
  }

  const privileged = { securityContext: { privileged: true } };
  const replicaSetController = 'system:serviceaccount:kube-system:replicaset-controller';
  test.each([
    ['POD-PRIV-001', 'a privileged container', pod('web', 'shop', privileged), 'alice', [false, false]],
    ['POD-PRIV-001', 'an unprivileged container', pod('web', 'shop', { securityContext: { privileged: false } }), 'alice', [true, true]],
    ['POD-PRIV-001', 'a privileged Pod listed in its namespace\'s registry', pod('toolbox', 'debug', privileged), 'alice', [true, true]],
    ['POD-PRIV-001', 'the same privileged Pod in a namespace whose registry does not list it', pod('toolbox', 'shop', privileged), 'alice', [false, false]],
    ['POD-PRIV-001', 'an unprivileged Pod in a mesh namespace without a registry (parameterNotFoundAction Deny)', pod('web', 'orders'), 'alice', [false, false]],
    ['POD-PRIV-001', 'a privileged Pod outside the mesh\'s namespaces', pod('web', 'plain', privileged), 'alice', [true, true]],
    // Controller-derived objects are recognized by the requester: audit has none, so it checks them (see RequesterlessReview).
    ['POD-PRIV-001', 'a privileged Pod the ReplicaSet controller creates', pod('web-1', 'shop', privileged), replicaSetController, [true, false]],
    ['MESH-MTLS-002', 'a PERMISSIVE PeerAuthentication', peerAuthentication('orders', 'shop', 'PERMISSIVE'), 'alice', [false, false]],
    ['MESH-MTLS-002', 'a STRICT PeerAuthentication', peerAuthentication('orders', 'shop', 'STRICT'), 'alice', [true, true]],
    ['MESH-MTLS-002', 'a PERMISSIVE PeerAuthentication listed in its namespace\'s registry', peerAuthentication('billing', 'legacy', 'PERMISSIVE'), 'alice', [true, true]],
    ['MESH-MTLS-002', 'a DISABLE PeerAuthentication in a namespace that excepts only another object', peerAuthentication('orders', 'legacy', 'DISABLE'), 'alice', [false, false]],
  ])('%s: %s', (ruleId, _what, object, username, [admitted, audited]) => {
    expect(both(ruleId, object, username)).toEqual({ vap: admitted, gatekeeper: admitted, audit: audited });
  });

  test('MESH-EXC-001 end to end: the Deployment a PolicyException covers is admitted by both, the same bypass under another name refused by both', () => {
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    expect(cart.spec.template.metadata.annotations['traffic.sidecar.istio.io/excludeInboundPorts']).toBe('9080');
    const rogue = { ...cart, metadata: { ...cart.metadata, name: 'rogue' } };
    expect(both('MESH-EXC-001', cart)).toEqual({ vap: true, gatekeeper: true, audit: true });
    expect(both('MESH-EXC-001', rogue)).toEqual({ vap: false, gatekeeper: false, audit: false });
  });

  test('the exception registries\' writers: the webhook judges the requester; audit cannot, so that policy is best ADMITted there', () => {
    const shop = findObject(docs, 'ConfigMap', REGISTRY_NAME, 'shop');
    const writer = 'system:serviceaccount:config-management-system:ns-reconciler-shop';
    const gk = (d: any[], req: any) => gatekeeperDecision(d, shop, req, labels).refused;
    expect([vapDecision(docs, shop, request(shop, 'webhook', writer), labels).refused, gk(documents, request(shop, 'webhook', writer))]).toEqual([false, false]);
    expect([vapDecision(docs, shop, request(shop, 'webhook'), labels).refused, gk(documents, request(shop, 'webhook'))]).toEqual([true, true]);
    expect(gk(documents, request(shop, 'audit'))).toBe(true);
    const lenient = gatekeeperDocuments(docs, { requesterlessReviewFor: { 'secure-mesh-exception-registries': RequesterlessReview.ADMIT } }).documents;
    expect(gk(lenient, request(shop, 'audit'))).toBe(false);
    expect(gk(lenient, request(shop, 'webhook'))).toBe(true);
  });

  test('a registry missing from the cluster: the VAP refuses (parameterNotFoundAction Deny), so does the constraint for unregistered namespaces', () => {
    const noShop = docs.filter((d) => !(d.kind === 'ConfigMap' && d.metadata.namespace === 'shop'));
    const translated = gatekeeperDocuments(noShop).documents;
    const p = pod('web', 'shop');
    const unregistered = translated.find((d) => d.metadata.name === 'secure-mesh-pod-priv-001-injected-unregistered');
    expect(unregistered.spec.match.excludedNamespaces).toEqual(['debug', 'istio-system', 'legacy']);
    expect(unregistered.spec.parameters).toEqual({
      [DENY_ALL_PARAMETER]: 'secure-mesh-pod-priv-001-injected: no ConfigMap secure-mesh-exceptions in the object\'s namespace (parameterNotFoundAction: Deny)',
    });
    const vap = vapDecision(noShop, p, request(p, 'webhook'), labels);
    const gk = gatekeeperDecision(translated, p, request(p, 'webhook'), labels);
    expect([vap.refused, gk.refused]).toEqual([true, true]);
    const strip = (d: Decision) => d.messages.map((m) => m.replace(/^\[[^\]]+\] /, '')).sort();
    expect(strip(gk)).toEqual(strip(vap));
    expect(gk.messages).toContain('[secure-mesh-pod-priv-001-injected-unregistered] <refused: no params>');
  });

  test('what the library synthesizes is admitted by both', () => {
    for (const o of objects.filter((x) => RESOURCES[x.kind] && !(x.kind === 'ConfigMap' && x.metadata.name === REGISTRY_NAME))) {
      const req = request(o, 'webhook');
      expect([o.kind, o.metadata.name, gatekeeperDecision(documents, o, req, labels).messages]).toEqual([o.kind, o.metadata.name, []]);
      expect([o.kind, o.metadata.name, vapDecision(docs, o, req, labels).messages]).toEqual([o.kind, o.metadata.name, []]);
    }
  });
});

function corpusObjects(dir: string): any[] {
  const out: any[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {walk(path);} else if (/\.ya?ml$/.test(entry)) {
        for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
          const o = doc.toJS();
          if (!o?.kind || !o?.apiVersion || !RESOURCES[o.kind]) continue;
          const namespaced = RESOURCES[o.kind][2];
          out.push({ ...o, metadata: { name: 'unnamed', ...o.metadata, ...(namespaced ? { namespace: o.metadata?.namespace ?? 'default' } : {}) } });
        }
      }
    }
  };
  walk(dir);
  return out;
}

describeWithShared('external-corpus', 'agreement over the external corpus (other projects\' labelled resources), every rule', (corpus) => {
  // Every tenth object moves to a mesh namespace without a registry; two Pods are excepted from the pod rules.
  const objects = [...corpusObjects(join(corpus, 'gatekeeper')), ...corpusObjects(join(corpus, 'kyverno')), ...corpusObjects(join(corpus, 'istio-docs')),
    ...corpusObjects(join(corpus, 'asm'))].map((o, i) => (i % 10 === 9 && o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace: 'no-registry' } } : o));
  const namespaces = [...new Set(objects.map((o) => o.metadata.namespace).filter((n) => n && n !== 'no-registry'))].sort();
  const excepted = objects.filter((o) => o.kind === 'Pod' && o.metadata.namespace !== 'no-registry').slice(0, 2);
  const stamps = 'POD-CAP-001@2030-12-31,POD-ESC-001@2030-12-31,POD-PRIV-001@2030-12-31,POD-PSS-001@2030-12-31,POD-ROOT-001@2030-12-31,POD-SECCOMP-001@2030-12-31';
  const entries = Object.fromEntries(namespaces.map((ns) => [ns, Object.fromEntries(excepted.filter((o) => o.metadata.namespace === ns)
    .map((o) => [registryKey(o.kind, o.metadata.name), stamps]))]));
  const docs = withRegistries(guardrailWorld(), entries);
  const { documents } = gatekeeperDocuments(docs);
  const labels = meshNamespaces(...namespaces, 'no-registry');

  test('the corpus is there', () => {
    expect(objects.length).toBeGreaterThan(500);
    expect(excepted).toHaveLength(2);
  });

  test('webhook and audit: Gatekeeper refuses exactly the objects the VAPs refuse, with the same messages', () => {
    const disagreements: string[] = [];
    let refused = 0;
    for (const o of objects) {
      const vap = vapDecision(docs, o, request(o, 'webhook'), labels);
      const webhook = gatekeeperDecision(documents, o, request(o, 'webhook'), labels);
      const audit = gatekeeperDecision(documents, o, request(o, 'audit'), labels);
      if (vap.refused) refused++;
      const strip = (d: Decision) => JSON.stringify(d.messages.map((m) => m.replace(/^\[[^\]]+\] /, '')).sort());
      const same = (d: Decision) => d.refused === vap.refused && strip(d) === strip(vap);
      if (!same(webhook) || !same(audit)) disagreements.push(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}: ${JSON.stringify({ vap, webhook, audit })}`);
    }
    expect(disagreements).toEqual([]);
    expect(refused).toBeGreaterThan(100);
  });
});

describe('per-namespace registries and requester-based rules (the API in general, not today\'s output)', () => {
  const excepted = (rule: string) => '(params != null && has(params.data) && (object.kind + \'.\' + object.metadata.name) in params.data'
    + ` && params.data[object.kind + '.' + object.metadata.name].split(',').exists(e, e.startsWith('${rule}@')))`;
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'secure-mesh-demo-001', annotations: { 'secure-mesh.cdk8s.io/practices': 'OPS-1' } },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'namespaces'] }],
      },
      matchConditions: [{ name: 'not-kube-system', expression: '!has(object.metadata.namespace) || object.metadata.namespace != \'kube-system\'' }],
      variables: [
        { name: 'params', expression: 'params' },
        { name: 'debug', expression: 'has(object.metadata.labels) && \'debug\' in object.metadata.labels' },
      ],
      validations: [{
        expression: `${excepted('DEMO-001')} || !variables.debug || request.userInfo.username == 'system:serviceaccount:istio-system:mesh-admin'`
          + ' || \'mesh-admins\' in request.userInfo.groups',
        message: 'DEMO-001: only mesh admins may label objects debug',
        reason: 'Forbidden',
      }],
    },
  };
  const binding = (name: string, spec: any) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec });
  const docs = [
    policy,
    binding('secure-mesh-demo-001-namespaced', {
      policyName: 'secure-mesh-demo-001',
      paramRef: { name: 'secure-mesh-exceptions', parameterNotFoundAction: 'Deny' },
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] },
        resourceRules: [{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: 'Namespaced' }],
      },
    }),
    binding('secure-mesh-demo-001-cluster', {
      policyName: 'secure-mesh-demo-001',
      paramRef: { name: 'secure-mesh-exceptions', namespace: 'istio-system', parameterNotFoundAction: 'Deny' },
      validationActions: ['Deny'],
      matchResources: { resourceRules: [{ apiGroups: [''], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['namespaces'], scope: 'Cluster' }] },
    }),
    registry('payments', { 'Pod.debug-ok': 'DEMO-001@2030-12-31' }),
    registry('istio-system', { 'Namespace.legacy': 'DEMO-001@2030-12-31' }),
    registry('kube-system', {}),
  ];
  const injected = { 'istio-injection': 'enabled' };
  const namespaceLabels = { 'payments': injected, 'orders': injected, 'istio-system': injected, 'kube-system': injected, 'plain': {} };
  const { documents, problems } = gatekeeperDocuments(docs);
  const constraints = constraintsOf(documents, 'SecureMeshDemo001');

  test('one constraint per namespace registry (that namespace only), one refusing every other namespace, one for cluster-scoped objects', () => {
    const selector = { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] };
    const kinds = (kind: string) => [{ apiGroups: [''], kinds: [kind] }];
    expect(constraints.map((c) => [c.metadata.name, c.spec.match, c.spec.parameters?.data ?? c.spec.parameters])).toEqual([
      ['secure-mesh-demo-001-cluster', { kinds: kinds('Namespace'), scope: 'Cluster' }, { 'Namespace.legacy': 'DEMO-001@2030-12-31' }],
      ['secure-mesh-demo-001-namespaced-istio-system', { kinds: kinds('Pod'), scope: 'Namespaced', namespaces: ['istio-system'], namespaceSelector: selector },
        { 'Namespace.legacy': 'DEMO-001@2030-12-31' }],
      ['secure-mesh-demo-001-namespaced-kube-system', { kinds: kinds('Pod'), scope: 'Namespaced', namespaces: ['kube-system'], namespaceSelector: selector }, {}],
      ['secure-mesh-demo-001-namespaced-payments', { kinds: kinds('Pod'), scope: 'Namespaced', namespaces: ['payments'], namespaceSelector: selector },
        { 'Pod.debug-ok': 'DEMO-001@2030-12-31' }],
      ['secure-mesh-demo-001-namespaced-unregistered', { kinds: kinds('Pod'), scope: 'Namespaced', excludedNamespaces: ['istio-system', 'kube-system', 'payments'], namespaceSelector: selector },
        { [DENY_ALL_PARAMETER]: 'secure-mesh-demo-001-namespaced: no ConfigMap secure-mesh-exceptions in the object\'s namespace (parameterNotFoundAction: Deny)' }],
    ]);
    expect(shapeProblems(documents)).toEqual([]);
    expect(problems).toEqual(['ValidatingAdmissionPolicy/secure-mesh-demo-001: variable params is reserved by Gatekeeper: renamed vap_params']);
  });

  const admin = 'system:serviceaccount:istio-system:mesh-admin';
  const debug = { debug: 'true' };
  const ns = (name: string, labels?: { [k: string]: string }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  test.each([
    ['a debug Pod listed in its namespace\'s registry', pod('debug-ok', 'payments', {}, debug), 'alice', false],
    ['a debug Pod not listed', pod('other', 'payments', {}, debug), 'alice', true],
    ['a debug Pod a mesh admin creates', pod('other', 'payments', {}, debug), admin, false],
    ['a plain Pod in a namespace with a registry', pod('web', 'payments'), 'alice', false],
    ['a plain Pod in a namespace without a registry (parameterNotFoundAction Deny)', pod('web', 'orders'), 'alice', true],
    ['a debug Pod listed in another namespace\'s registry', pod('debug-ok', 'orders', {}, debug), 'alice', true],
    ['a Pod in a namespace the binding does not select', pod('web', 'plain', {}, debug), 'alice', false],
    ['a debug Pod in kube-system (excluded by a matchCondition)', pod('web', 'kube-system', {}, debug), 'alice', false],
    ['a debug Namespace listed in the mesh-wide registry', ns('legacy', debug), 'alice', false],
    ['a debug Namespace not listed', ns('other', debug), 'alice', true],
    ['a plain Namespace', ns('plain'), 'alice', false],
  ])('%s: the VAP and Gatekeeper agree', (_what, object, username, refused) => {
    const req = request(object, 'webhook', username);
    const vap = vapDecision(docs, object, req, namespaceLabels);
    const gatekeeper = gatekeeperDecision(documents, object, req, namespaceLabels);
    expect({ vap: vap.refused, gatekeeper: gatekeeper.refused }).toEqual({ vap: refused, gatekeeper: refused });
    expect(gatekeeper.messages.map((m) => m.replace(/^\[[^\]]+\] /, ''))).toEqual(vap.messages.map((m) => m.replace(/^\[[^\]]+\] /, '')));
  });

  test('a group the requester belongs to counts too, and requests without userInfo do not error', () => {
    const object = pod('other', 'payments', {}, debug);
    expect(gatekeeperDecision(documents, object, request(object, 'webhook', 'bob', ['mesh-admins']), namespaceLabels).refused).toBe(false);
    expect(vapDecision(docs, object, request(object, 'webhook', 'bob', ['mesh-admins']), namespaceLabels).refused).toBe(false);
  });

  test('audit has no requester: the requester\'s allowance does not apply (EVALUATE), or the check passes (ADMIT); never a CEL error', () => {
    const object = pod('other', 'payments', {}, debug);
    const audit = request(object, 'audit');
    expect(gatekeeperDecision(documents, object, audit, namespaceLabels)).toEqual({
      refused: true, messages: ['[secure-mesh-demo-001-namespaced-payments] DEMO-001: only mesh admins may label objects debug'],
    });
    const lenient = gatekeeperDocuments(docs, { requesterlessReview: RequesterlessReview.ADMIT }).documents;
    expect(gatekeeperDecision(lenient, object, audit, namespaceLabels)).toEqual({ refused: false, messages: [] });
    // ADMIT changes nothing at admission.
    expect(gatekeeperDecision(lenient, object, request(object, 'webhook'), namespaceLabels).refused).toBe(true);
    expect(gatekeeperDecision(lenient, object, request(object, 'webhook', admin), namespaceLabels).refused).toBe(false);
    // Unguarded, `request.userInfo.username` is an evaluation error in audit.
    expect(() => evaluate('request.userInfo.username == \'x\'', { request: toAdmissionValue(audit) })).toThrow(/CEL error/);
  });

  test('the CEL: params → variables.params, the reserved variable renamed, request reads guarded, the matchCondition folded', () => {
    const source = templateOf(documents, 'SecureMeshDemo001').spec.targets[0].code[0].source;
    expect(source.variables).toEqual([
      { name: 'vap_params', expression: 'variables.params' },
      { name: 'debug', expression: 'has(object.metadata.labels) && \'debug\' in object.metadata.labels' },
    ]);
    const rule = source.validations[1].expression;
    expect(rule).toContain('(has(request.userInfo) && has(request.userInfo.username) ? request.userInfo.username : \'\') == \'system:serviceaccount:istio-system:mesh-admin\'');
    expect(rule).toContain('\'mesh-admins\' in (has(request.userInfo) && has(request.userInfo.groups) ? request.userInfo.groups : [])');
    expect(rule).toContain('!((!has(object.metadata.namespace) || object.metadata.namespace != \'kube-system\'))');
    expect(rule).toContain('variables.params.data[object.kind');
  });
});

describe('enforcement actions', () => {
  test.each([
    [['Deny'], 'deny', []],
    [['Warn'], 'warn', []],
    [['Audit'], 'dryrun', []],
    [['Warn', 'Audit'], 'warn', []],
    [['Deny', 'Audit'], 'deny', []],
    [['Deny', 'Warn'], 'deny', ['validationActions Deny and Warn together are refused by the API server: translated as deny']],
    [[], undefined, ['has no validationActions: no constraint']],
  ])('%j → %s', (actions, expected, problems) => {
    const reported: string[] = [];
    expect(enforcementAction(actions, (p) => reported.push(p))).toBe(expected);
    expect(reported).toEqual(problems);
  });

  test('guardrails in their warn phase (Warn + Audit) become warn constraints; scoped actions never name vap.k8s.io', () => {
    const docs = guardrailWorld({
      registryWriters: [WRITER],
      rollout: AdmissionRollout.warnUntil({ until: '2030-02-01', owner: 'platform-team', reason: 'Existing workloads in shop are being migrated; the audit log is reviewed every week.' }),
    }).filter(isGuardrail);
    const plain = gatekeeperDocuments(docs).documents.filter((d) => d.apiVersion === CONSTRAINT_API_VERSION);
    expect(new Set(plain.map((c) => c.spec.enforcementAction))).toEqual(new Set(['warn']));
    const scoped = gatekeeperDocuments(docs, { scopedEnforcementActions: true, generateVAP: true }).documents;
    expect(shapeProblems(scoped)).toEqual([]);
    const c = scoped.find((d) => d.apiVersion === CONSTRAINT_API_VERSION);
    expect(c.spec).toEqual(expect.objectContaining({
      enforcementAction: 'scoped',
      scopedEnforcementActions: [{ action: 'warn', enforcementPoints: [{ name: 'audit.gatekeeper.sh' }, { name: 'gator.gatekeeper.sh' }, { name: 'validation.gatekeeper.sh' }] }],
    }));
    expect(scoped.find((d) => d.kind === 'ConstraintTemplate').spec.targets[0].code[0].source.generateVAP).toBe(true);
  });
});

describe('the rest of the VAP API', () => {
  const vap = (spec: any, name = 'demo-policy') => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec });
  const binding = (spec: any, name = 'demo-binding') => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec });
  const rules = (resources: string[], operations = ['CREATE', 'UPDATE'], apiGroups = ['']) => ({ resourceRules: [{ apiGroups, apiVersions: ['*'], operations, resources }] });
  const cm = (name: string, namespace: string, labels: any, data: any) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data });

  test('kind names: words capitalised, a leading digit prefixed, long names shortened, collisions disambiguated', () => {
    expect(constraintKindName('secure-mesh-pod-priv-001')).toBe('SecureMeshPodPriv001');
    expect(constraintKindName('001-policy')).toBe('P001Policy');
    expect(constraintKindName(`a-${'x'.repeat(80)}`).length).toBeLessThanOrEqual(63);
    const { documents, problems } = gatekeeperDocuments([vap({ validations: [{ expression: 'true' }] }, 'a-b'), vap({ validations: [{ expression: 'true' }] }, 'ab')]);
    const kinds = documents.map((d) => d.spec.crd.spec.names.kind.toLowerCase());
    expect(new Set(kinds).size).toBe(2);
    expect(problems).toEqual([expect.stringMatching(/^ValidatingAdmissionPolicy\/ab: its constraint kind Ab is already a-b's/)]);
  });

  test('a binding without paramRef (the guardrails\' warn phase) is evaluated with null params, as the API server does: no deny-all, no problem', () => {
    const { documents, problems } = gatekeeperDocuments([
      vap({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: rules(['pods']), validations: [{ expression: 'params == null && !has(object.spec.hostNetwork)' }] }),
      binding({ policyName: 'demo-policy', validationActions: ['Warn', 'Audit'] }),
    ]);
    expect(problems).toEqual([]);
    const [c] = constraintsOf(documents, 'DemoPolicy');
    expect(c.spec.parameters).toBeUndefined();
    const ok = pod('a', 'x');
    expect(gatekeeperViolations(documents[0], c, ok, request(ok, 'webhook'))).toEqual([]);
    expect(gatekeeperViolations(documents[0], c, { ...ok, spec: { ...ok.spec, hostNetwork: true } }, request(ok, 'webhook')).length).toBe(1);
  });

  test('a policy without paramKind gives a constraint without parameters; its CEL sees variables.params == null', () => {
    const { documents } = gatekeeperDocuments([
      vap({ matchConstraints: rules(['pods']), validations: [{ expression: 'params == null && !has(object.spec.hostNetwork)' }] }),
      binding({ policyName: 'demo-policy', validationActions: ['Deny'] }),
    ]);
    const [c] = constraintsOf(documents, 'DemoPolicy');
    expect(c.spec.parameters).toBeUndefined();
    const ok = pod('a', 'x');
    const bad = { ...ok, spec: { ...ok.spec, hostNetwork: true } };
    expect(gatekeeperViolations(documents[0], c, ok, request(ok, 'webhook'))).toEqual([]);
    expect(gatekeeperViolations(documents[0], c, bad, request(bad, 'audit'))).toHaveLength(1);
  });

  test('parameterNotFoundAction Allow: no parameters, the validation runs with null params; failurePolicy Ignore with Deny: no constraint', () => {
    const policy = (failurePolicy: string) => vap({ failurePolicy, paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: rules(['pods']), validations: [{ expression: 'params == null' }] });
    const allow = gatekeeperDocuments([policy('Fail'), binding({ policyName: 'demo-policy', validationActions: ['Deny'], paramRef: { name: 'absent', namespace: 'x', parameterNotFoundAction: 'Allow' } })]);
    expect(constraintsOf(allow.documents, 'DemoPolicy').map((c) => c.spec.parameters)).toEqual([undefined]);
    const ignore = gatekeeperDocuments([policy('Ignore'), binding({ policyName: 'demo-policy', validationActions: ['Deny'], paramRef: { name: 'absent', namespace: 'x', parameterNotFoundAction: 'Deny' } })]);
    expect(constraintsOf(ignore.documents, 'DemoPolicy')).toEqual([]);
  });

  test('a paramRef selector: one constraint per selected ConfigMap (the VAP ANDs them)', () => {
    const { documents } = gatekeeperDocuments([
      vap({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: rules(['pods']), validations: [{ expression: '!(object.metadata.name in params.data)' }] }),
      binding({ policyName: 'demo-policy', validationActions: ['Deny'], paramRef: { namespace: 'p', selector: { matchLabels: { role: 'deny-list' } }, parameterNotFoundAction: 'Deny' } }),
      cm('one', 'p', { role: 'deny-list' }, { a: '' }), cm('two', 'p', { role: 'deny-list' }, { b: '' }), cm('three', 'p', { role: 'other' }, { c: '' }),
    ]);
    expect(constraintsOf(documents, 'DemoPolicy').map((c) => [c.metadata.name, c.spec.parameters.data])).toEqual([
      ['demo-binding-one', { a: '' }], ['demo-binding-two', { b: '' }],
    ]);
  });

  test('operations: a DELETE-only rule is skipped in audit and for other operations; a CREATE-only rule is evaluated in audit', () => {
    const { documents } = gatekeeperDocuments([
      vap({ matchConstraints: rules(['pods'], ['DELETE']), validations: [{ expression: 'false', message: 'no deletes' }] }, 'no-delete'),
      vap({ matchConstraints: rules(['pods'], ['CREATE']), validations: [{ expression: 'false', message: 'no creates' }] }, 'no-create'),
      binding({ policyName: 'no-delete', validationActions: ['Deny'] }, 'no-delete'),
      binding({ policyName: 'no-create', validationActions: ['Deny'] }, 'no-create'),
    ]);
    const p = pod('a', 'x');
    const at = (operation: string) => ({ ...request(p, 'webhook'), operation });
    expect(gatekeeperDecision(documents, p, at('DELETE')).messages).toEqual(['[no-delete] no deletes']);
    expect(gatekeeperDecision(documents, p, at('CREATE')).messages).toEqual(['[no-create] no creates']);
    expect(gatekeeperDecision(documents, p, at('UPDATE')).messages).toEqual([]);
    expect(gatekeeperDecision(documents, p, request(p, 'audit')).messages).toEqual(['[no-create] no creates']);
  });

  test('what Gatekeeper cannot take is reported: authorizer, namespaceObject, unknown resources, auditAnnotations, reasons', () => {
    const { problems } = gatekeeperDocuments([
      vap({
        matchConstraints: rules(['widgets'], ['CREATE'], ['example.com']),
        auditAnnotations: [{ key: 'k', valueExpression: '\'v\'' }],
        validations: [
          { expression: 'authorizer.group(\'\').resource(\'pods\').check(\'create\').allowed()', reason: 'Invalid' },
          { expression: 'namespaceObject == null' },
        ],
      }),
      binding({ policyName: 'demo-policy', validationActions: ['Deny'] }),
    ]);
    expect(problems).toEqual([
      'ValidatingAdmissionPolicy/demo-policy: auditAnnotations are not reproduced: Gatekeeper has no API-server audit annotations',
      'ValidatingAdmissionPolicy/demo-policy: reads authorizer, which Gatekeeper\'s CEL engine does not declare: its template fails to compile',
      'ValidatingAdmissionPolicy/demo-policy: reads namespaceObject, which only recent Gatekeeper versions bind (null elsewhere)',
      'ValidatingAdmissionPolicy/demo-policy: reason Invalid is not reproduced: Gatekeeper\'s webhook refuses with 403 Forbidden',
      'ValidatingAdmissionPolicyBinding/demo-binding: matches no kind Gatekeeper can name: no constraint',
      'ValidatingAdmissionPolicyBinding/demo-binding: resource example.com/widgets has no known kind (pass it in resourceKinds): not matched',
    ]);
    const known = gatekeeperDocuments([
      vap({ matchConstraints: rules(['widgets'], ['CREATE'], ['example.com']), validations: [{ expression: 'true' }] }),
      binding({ policyName: 'demo-policy', validationActions: ['Deny'] }),
    ], { resourceKinds: { 'example.com/widgets': { kind: 'Widget', namespaced: true } } });
    expect(constraintsOf(known.documents, 'DemoPolicy')[0].spec.match.kinds).toEqual([{ apiGroups: ['example.com'], kinds: ['Widget'] }]);
  });

  test('a per-namespace paramRef matching cluster-scoped kinds: refused like the API server does (binding error under failurePolicy Fail)', () => {
    const { documents, problems } = gatekeeperDocuments([
      vap({ paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: rules(['clusterrolebindings', 'rolebindings'], ['CREATE'], ['rbac.authorization.k8s.io']), validations: [{ expression: 'true' }] }),
      binding({ policyName: 'demo-policy', validationActions: ['Deny'], paramRef: { name: 'reg', parameterNotFoundAction: 'Allow' } }),
    ]);
    expect(constraintsOf(documents, 'DemoPolicy').map((c) => [c.metadata.name, c.spec.match, Object.keys(c.spec.parameters ?? {})])).toEqual([
      ['demo-binding-cluster-scoped', { kinds: [{ apiGroups: ['rbac.authorization.k8s.io'], kinds: ['ClusterRoleBinding'] }], scope: 'Cluster' }, [DENY_ALL_PARAMETER]],
      ['demo-binding-unregistered', { kinds: [{ apiGroups: ['rbac.authorization.k8s.io'], kinds: ['ClusterRoleBinding', 'RoleBinding'] }], scope: 'Namespaced' }, []],
    ]);
    expect(problems).toEqual([expect.stringMatching(/has no paramRef.namespace but matches cluster-scoped ClusterRoleBinding: the API server refuses them/)]);
  });

  test('CEL rewriting is token-aware: strings, fields named params or request, and has() tests are left alone', () => {
    const src = 'has(object.spec.params) && object.spec.params == \'params\' && w.key != \'request.auth.principal\''
      + ' && has(request.userInfo.username) && params.data.x == r"params" && variables.params2 == 1';
    const { text } = translateCel(src);
    expect(text).toBe('has(object.spec.params) && object.spec.params == \'params\' && w.key != \'request.auth.principal\''
      + ' && has(request.userInfo.username) && variables.params.data.x == r"params" && variables.params2 == 1');
    for (const e of [src, 'a.b["c\\"d"] + \'\'\'x\'\'\' // params\n + 1.5e3 + 0x1Fu']) expect(celTokens(e).map((t) => t.text).join('')).toBe(e);
  });
});
