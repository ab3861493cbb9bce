import { admits } from '../../../src/policy/admission-cel';
import {
  asList, asMap, asString, celEach, celEmpty, celHas, celMetaEntry, celNonEmpty, celString, isEmptySelector, isNonEmptyList, pathOf,
  podMetadata, stringItems,
} from '../../../src/policy/rules/mesh-shared';

const evaluate = (expression: string, object: object) => admits({ resources: [], expression, message: '' }, object);

describe('mesh rule helpers', () => {
  test('safe readers', () => {
    expect(asMap({ a: 1 })).toEqual({ a: 1 });
    expect(asMap([1])).toBeUndefined();
    expect(asMap(null)).toBeUndefined();
    expect(asList('x')).toEqual([]);
    expect(asString(1)).toBeUndefined();
    expect(stringItems(['a', 1, null, 'b'])).toEqual([{ value: 'a', index: 0 }, { value: 'b', index: 3 }]);
    expect(isNonEmptyList([])).toBe(false);
    expect(isNonEmptyList(null)).toBe(false);
    expect(isNonEmptyList(['x'])).toBe(true);
    expect(isNonEmptyList('x')).toBe(true);
  });

  test('pathOf quotes keys that are not identifiers', () => {
    expect(pathOf('spec', 'mtls')).toBe('spec.mtls');
    expect(pathOf('', 'spec')).toBe('spec');
    expect(pathOf('spec.portLevelMtls', '8080')).toBe('spec.portLevelMtls["8080"]');
    expect(pathOf('metadata.labels', 'istio-injection')).toBe('metadata.labels["istio-injection"]');
    expect(pathOf('metadata.annotations', 'sidecar.istio.io/inject')).toBe('metadata.annotations["sidecar.istio.io/inject"]');
    expect(pathOf('spec.rules', 2)).toBe('spec.rules[2]');
  });

  test('isEmptySelector', () => {
    expect(isEmptySelector(undefined)).toBe(true);
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {} })).toBe(true);
    expect(isEmptySelector({ matchLabels: { app: 'a' } })).toBe(false);
  });

  test('podMetadata locations', () => {
    expect(podMetadata({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual({ metadata: { name: 'p' }, path: 'metadata' });
    expect(podMetadata({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { metadata: { labels: {} } } } })?.path).toBe('spec.template.metadata');
    expect(podMetadata({ apiVersion: 'batch/v1', kind: 'CronJob', spec: {} })).toEqual({ metadata: undefined, path: 'spec.jobTemplate.spec.template.metadata' });
    expect(podMetadata({ apiVersion: 'v1', kind: 'Service' })).toBeUndefined();
    expect(podMetadata({ apiVersion: 'example.com/v1', kind: 'Deployment' })).toBeUndefined();
  });

  test('celHas guards every step, so missing parents do not fail', () => {
    expect(celHas('object.spec.mtls.mode')).toBe('(has(object.spec) && has(object.spec.mtls) && has(object.spec.mtls.mode))');
    expect(evaluate(celHas('object.spec.mtls.mode'), { kind: 'X' })).toBe(false);
    expect(evaluate(celHas('object.spec.mtls.mode'), { spec: { mtls: { mode: 'STRICT' } } })).toBe(true);
  });

  test('list builders', () => {
    expect(evaluate(celEmpty('object.spec.a'), {})).toBe(true);
    expect(evaluate(celEmpty('object.spec.a'), { spec: { a: [] } })).toBe(true);
    expect(evaluate(celNonEmpty('object.spec.a'), { spec: { a: ['x'] } })).toBe(true);
    expect(evaluate(celEach('object.spec.a', 'v', "v != 'x'"), { spec: {} })).toBe(true);
    expect(evaluate(celEach('object.spec.a', 'v', "v != 'x'"), { spec: { a: ['y', 'x'] } })).toBe(false);
  });

  test('celString escapes quotes and backslashes', () => {
    expect(evaluate(`${celString("a'b\\c")} == object.v`, { v: "a'b\\c" })).toBe(true);
  });

  test('celMetaEntry', () => {
    const expr = celMetaEntry('object.metadata.labels', 'a.b/c', (v) => `${v} == 'x'`);
    expect(evaluate(expr, { metadata: { labels: { 'a.b/c': 'x' } } })).toBe(true);
    expect(evaluate(expr, { metadata: { labels: { other: 'x' } } })).toBe(false);
    expect(evaluate(expr, { metadata: {} })).toBe(false);
  });
});
