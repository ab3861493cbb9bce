import { admitsExpression } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import {
  CEL_ATTACHES_BY_TARGET_REF, CEL_IN_AMBIENT_NAMESPACE, DATAPLANE_MODE_NONE, INJECTION_NAMESPACE_LABEL, REVISION_LABEL, SIDECAR_INJECT_KEY,
  SIDECAR_STATUS_ANNOTATION, attachesByTargetRef, celForPodMetadata, celOutsideZtunnel, inAmbientNamespace, isAmbientNamespace,
  isAmbientNamespaceIn, outsideZtunnel, ztunnelBinding,
} from '../../../src/policy/rules/ambient-namespaces';
import { asMap, podMetadata } from '../../../src/policy/rules/mesh-shared';

/**
 * Who is in Istio's ambient data plane as the ambient rules read it
 * (src/policy/rules/ambient-namespaces.ts): each TypeScript helper, and each CEL helper evaluated
 * with the real CEL engine against its TypeScript twin.
 */

const MODE = 'istio.io/dataplane-mode';
const GW_NAME = 'gateway.networking.k8s.io/gateway-name';

test('the label and annotation names are Istio\'s', () => {
  expect([INJECTION_NAMESPACE_LABEL, REVISION_LABEL, SIDECAR_INJECT_KEY, SIDECAR_STATUS_ANNOTATION, DATAPLANE_MODE_NONE])
    .toEqual(['istio-injection', 'istio.io/rev', 'sidecar.istio.io/inject', 'sidecar.istio.io/status', 'none']);
});

/** Namespace labels, and whether Istio runs the namespace's pods in ambient mode. */
const NAMESPACE_LABELS: [string, unknown, boolean][] = [
  ['dataplane-mode ambient', { [MODE]: 'ambient' }, true],
  ['ambient with other labels', { [MODE]: 'ambient', 'team': 'shop', 'kubernetes.io/metadata.name': 'shop' }, true],
  ['ambient and istio-injection enabled (injection wins)', { [MODE]: 'ambient', 'istio-injection': 'enabled' }, false],
  ['ambient and istio-injection disabled', { [MODE]: 'ambient', 'istio-injection': 'disabled' }, true],
  ['ambient and istio-injection with another value', { [MODE]: 'ambient', 'istio-injection': 'Enabled' }, true],
  ['ambient and a revision label (injection wins)', { [MODE]: 'ambient', 'istio.io/rev': 'canary' }, false],
  ['ambient and an empty revision label', { [MODE]: 'ambient', 'istio.io/rev': '' }, true],
  // The revision webhook injects only where istio-injection is absent: with it disabled, no sidecar, so the pods are ambient.
  ['ambient, injection disabled, and a revision (no webhook injects)', { [MODE]: 'ambient', 'istio-injection': 'disabled', 'istio.io/rev': '1-24' }, true],
  ['dataplane-mode none', { [MODE]: 'none' }, false],
  ['dataplane-mode Ambient (case matters)', { [MODE]: 'Ambient' }, false],
  ['injection only', { 'istio-injection': 'enabled' }, false],
  ['no labels', {}, false],
];

describe('isAmbientNamespace', () => {
  test.each(NAMESPACE_LABELS)('%s -> %p', (_what, labels, ambient) => {
    expect(isAmbientNamespace(labels)).toBe(ambient);
  });

  test.each([[undefined], [null], ['ambient'], [[MODE]], [7]])('labels %p: not ambient, no throw', (labels) => {
    expect(isAmbientNamespace(labels)).toBe(false);
  });
});

describe('isAmbientNamespaceIn / inAmbientNamespace: the Namespace objects of the context decide', () => {
  const ns = (name: string, labels: { [k: string]: string }, apiVersion = 'v1'): RuleObject => ({ apiVersion, kind: 'Namespace', metadata: { name, labels } });
  const objects: RuleObject[] = [
    ns('shop', { [MODE]: 'ambient' }),
    ns('legacy', { [MODE]: 'ambient', 'istio-injection': 'enabled' }),
    ns('plain', {}),
    ns('fake', { [MODE]: 'ambient' }, 'example.com/v1'),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop', labels: { [MODE]: 'ambient' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { labels: { [MODE]: 'ambient' } } },
  ];
  const ctx = ruleContext(objects);

  test.each<[unknown, boolean]>([
    ['shop', true],
    ['legacy', false],
    ['plain', false],
    ['fake', false],
    ['cfg', false],
    ['absent', false],
    [undefined, false],
    [7, false],
  ])('namespace %p -> %p', (name, ambient) => {
    expect(isAmbientNamespaceIn(name, ctx)).toBe(ambient);
  });

  test('an object is in an ambient namespace by its metadata.namespace; cluster-scoped objects never are', () => {
    const at = (namespace?: string): RuleObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', ...(namespace ? { namespace } : {}) } });
    expect([at('shop'), at('legacy'), at('nowhere'), at()].map((o) => inAmbientNamespace(o, ctx))).toEqual([true, false, false, false]);
    expect(inAmbientNamespace({ kind: 'Service' }, ctx)).toBe(false);
  });

  test('each context answers from its own objects (the cache is per object list)', () => {
    const relabelled = ruleContext([ns('shop', {}), ns('plain', { [MODE]: 'ambient' })]);
    expect([isAmbientNamespaceIn('shop', ctx), isAmbientNamespaceIn('plain', ctx)]).toEqual([true, false]);
    expect([isAmbientNamespaceIn('shop', relabelled), isAmbientNamespaceIn('plain', relabelled)]).toEqual([false, true]);
    expect(isAmbientNamespaceIn('shop', ruleContext([...objects]))).toBe(true);
    expect(isAmbientNamespaceIn('shop', ruleContext([]))).toBe(false);
  });

  test.each(NAMESPACE_LABELS)('agrees with isAmbientNamespace for a Namespace labelled %s', (_what, labels, ambient) => {
    expect(isAmbientNamespaceIn('n', ruleContext([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: labels as any } }]))).toBe(ambient);
  });
});

/** Pod metadata, and why its pod is not ztunnel's in an ambient namespace (undefined: it is). */
const POD_METADATA: [string, any, 'sidecar' | 'gateway' | undefined][] = [
  ['a plain pod', { labels: { app: 'web' } }, undefined],
  ['no labels or annotations', {}, undefined],
  ['label sidecar.istio.io/inject: "true"', { labels: { [SIDECAR_INJECT_KEY]: 'true' } }, 'sidecar'],
  ['label sidecar.istio.io/inject: "false"', { labels: { [SIDECAR_INJECT_KEY]: 'false' } }, undefined],
  ['label sidecar.istio.io/inject: "True" (the injector\'s selector wants "true")', { labels: { [SIDECAR_INJECT_KEY]: 'True' } }, undefined],
  ['annotation sidecar.istio.io/inject: "true" (no object selector reads annotations)', { annotations: { [SIDECAR_INJECT_KEY]: 'true' } }, undefined],
  ['annotation sidecar.istio.io/status (kube-inject output)', { annotations: { [SIDECAR_STATUS_ANNOTATION]: '{"containers":["istio-proxy"]}' } }, 'sidecar'],
  ['an empty sidecar.istio.io/status annotation', { annotations: { [SIDECAR_STATUS_ANNOTATION]: '' } }, 'sidecar'],
  ['sidecar.istio.io/status as a label', { labels: { [SIDECAR_STATUS_ANNOTATION]: 'x' } }, undefined],
  ['a waypoint or gateway pod (gateway-name label)', { labels: { [GW_NAME]: 'waypoint', [MODE]: 'none' } }, 'gateway'],
  ['an empty gateway-name label', { labels: { [GW_NAME]: '' } }, 'gateway'],
  ['gateway-name as an annotation', { annotations: { [GW_NAME]: 'edge' } }, undefined],
  ['a gateway pod that also has a sidecar', { labels: { [GW_NAME]: 'edge', [SIDECAR_INJECT_KEY]: 'true' } }, 'sidecar'],
  ['dataplane-mode none alone (not this helper\'s concern)', { labels: { [MODE]: DATAPLANE_MODE_NONE } }, undefined],
];

describe('outsideZtunnel', () => {
  test.each(POD_METADATA)('%s -> %p', (_what, metadata, why) => {
    expect(outsideZtunnel(metadata)).toBe(why);
  });

  test.each([[undefined], [{ labels: 'x', annotations: ['y'] }], [{ labels: null }]])('odd metadata %p: in ztunnel, no throw', (metadata) => {
    expect(outsideZtunnel(metadata as any)).toBeUndefined();
  });
});

/** Policy specs, and whether they attach with targetRef(s) instead of binding to ztunnel. */
const SPECS: [string, any, boolean][] = [
  ['targetRefs to a Service', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }] }, true],
  ['targetRef (singular)', { targetRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' } }, true],
  ['an empty targetRef object', { targetRef: {} }, true],
  ['empty targetRefs', { targetRefs: [] }, false],
  ['empty targetRefs beside a targetRef', { targetRefs: [], targetRef: { kind: 'Service', name: 'api' } }, true],
  ['targetRefs that is not a list', { targetRefs: { kind: 'Service', name: 'api' } }, false],
  ['targetRef that is not an object', { targetRef: 'api' }, false],
  ['targetRef a list', { targetRef: [{ kind: 'Service', name: 'api' }] }, false],
  ['targetRef null', { targetRef: null }, false],
  ['a selector', { selector: { matchLabels: { app: 'api' } } }, false],
  ['nothing', {}, false],
];

describe('attachesByTargetRef and ztunnelBinding', () => {
  test.each(SPECS)('%s -> %p', (_what, spec, attaches) => {
    expect(attachesByTargetRef(spec)).toBe(attaches);
  });

  test.each<[string, any, string]>([
    ['a selector', { selector: { matchLabels: { app: 'api' } } }, 'bound by its selector'],
    ['an empty selector', { selector: {} }, 'bound by its selector'],
    ['no selector', {}, 'namespace-wide (no selector, no targetRefs)'],
    ['a null selector', { selector: null }, 'namespace-wide (no selector, no targetRefs)'],
  ])('ztunnelBinding: %s', (_what, spec, binding) => {
    expect(ztunnelBinding(spec)).toBe(binding);
  });
});

describe('each CEL helper agrees with its TypeScript twin (real CEL engine)', () => {
  const policy = (spec?: unknown): RuleObject => ({
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop' }, ...(spec === undefined ? {} : { spec }),
  });

  test.each(NAMESPACE_LABELS)('CEL_IN_AMBIENT_NAMESPACE, namespace labelled %s', (_what, labels, ambient) => {
    const namespaceObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels } };
    expect(admitsExpression(CEL_IN_AMBIENT_NAMESPACE, policy({}), undefined, { namespaceObject })).toBe(ambient);
    expect(isAmbientNamespace(labels)).toBe(ambient);
  });

  test.each<[string, unknown]>([
    ['no namespaceObject (a cluster-scoped object)', null],
    ['a namespaceObject without labels', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }],
    ['a namespaceObject without metadata', { apiVersion: 'v1', kind: 'Namespace' }],
  ])('CEL_IN_AMBIENT_NAMESPACE: %s is not ambient', (_what, namespaceObject) => {
    expect(admitsExpression(CEL_IN_AMBIENT_NAMESPACE, policy({}), undefined, { namespaceObject })).toBe(false);
  });

  test.each(SPECS)('CEL_ATTACHES_BY_TARGET_REF, spec with %s', (_what, spec, attaches) => {
    expect(admitsExpression(CEL_ATTACHES_BY_TARGET_REF, policy(spec))).toBe(attaches);
    expect(attachesByTargetRef(spec)).toBe(attaches);
  });

  test('CEL_ATTACHES_BY_TARGET_REF: no spec attaches nothing', () => {
    expect(admitsExpression(CEL_ATTACHES_BY_TARGET_REF, policy())).toBe(false);
    expect(attachesByTargetRef(asMap(policy().spec) ?? {})).toBe(false);
  });

  test.each(POD_METADATA)('celOutsideZtunnel over the metadata of a Pod: %s', (_what, metadata, why) => {
    const pod: RuleObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', ...metadata } };
    expect(admitsExpression(celOutsideZtunnel('object.metadata'), pod)).toBe(why !== undefined);
  });

  describe('celForPodMetadata applies the predicate to the pods of every workload kind, as podMetadata finds them', () => {
    const predicate = (m: string) => `!${celOutsideZtunnel(m)}`;
    const expression = celForPodMetadata(predicate);
    /** The TypeScript twin: true when the kind has no pod metadata, or when its pods are ztunnel's. */
    const twin = (o: RuleObject) => {
      const found = podMetadata(o);
      return found?.metadata === undefined || outsideZtunnel(found.metadata) === undefined;
    };
    const template = (metadata?: any) => ({ template: { ...(metadata ? { metadata } : {}), spec: { containers: [] } } });
    const KINDS: [string, string, (metadata?: any) => any][] = [
      ['v1', 'Pod', (metadata) => ({ ...(metadata ? { metadata: { name: 'x', ...metadata } } : {}), spec: {} })],
      ['v1', 'ReplicationController', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['apps/v1', 'Deployment', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['apps/v1', 'StatefulSet', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['apps/v1', 'DaemonSet', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['apps/v1', 'ReplicaSet', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['batch/v1', 'Job', (metadata) => ({ metadata: { name: 'x' }, spec: template(metadata) })],
      ['batch/v1', 'CronJob', (metadata) => ({ metadata: { name: 'x' }, spec: { schedule: '* * * * *', jobTemplate: { spec: template(metadata) } } })],
    ];
    const cases: [string, RuleObject, boolean][] = [];
    for (const [apiVersion, kind, body] of KINDS) {
      cases.push([`${kind}, plain pods`, { apiVersion, kind, ...body({ labels: { app: 'x' } }) }, true]);
      cases.push([`${kind}, sidecar pods`, { apiVersion, kind, ...body({ labels: { [SIDECAR_INJECT_KEY]: 'true' } }) }, false]);
      cases.push([`${kind}, gateway pods`, { apiVersion, kind, ...body({ labels: { [GW_NAME]: 'edge' } }) }, false]);
      cases.push([`${kind}, injected pods (status annotation)`, { apiVersion, kind, ...body({ annotations: { [SIDECAR_STATUS_ANNOTATION]: '{}' } }) }, false]);
      cases.push([`${kind}, no pod metadata`, { apiVersion, kind, ...body() }, true]);
    }
    cases.push(
      ['a Service (no pods)', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', labels: { [SIDECAR_INJECT_KEY]: 'true' } }, spec: {} }, true],
      ['a Pod of a custom group', { apiVersion: 'example.com/v1', kind: 'Pod', metadata: { name: 'p', labels: { [GW_NAME]: 'x' } } }, true],
      ['a CronJob without jobTemplate', { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '* * * * *' } }, true],
    );

    test.each(cases)('%s', (_what, object, admitted) => {
      expect(admitsExpression(expression, object)).toBe(admitted);
      expect(twin(object)).toBe(admitted);
    });

    test.each<[string, RuleObject]>([
      ['a custom workload kind', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' }, spec: template({ labels: { [GW_NAME]: 'x' } }) }],
      ['a Deployment of another group', { apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'd' }, spec: template({ labels: { [GW_NAME]: 'x' } }) }],
    ])('%s with a pod template is left to check(): the CEL admits it, podMetadata still reads its pods', (_what, object) => {
      expect(admitsExpression(expression, object)).toBe(true);
      expect(twin(object)).toBe(false);
    });
  });
});
