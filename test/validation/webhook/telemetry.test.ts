import { celSyntaxError, validateTelemetry } from '../../../src/validation/webhook/telemetry';
import { ISTIO_TESTDATA, describeWithShared, istioTestdata } from '../../shared';

const tm = (spec: any) => validateTelemetry({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 't', namespace: 'default' }, spec });

describeWithShared(ISTIO_TESTDATA, 'Telemetry: Istio testdata', () => {
  test.each(istioTestdata('telemetry-valid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('valid %s', (_n, doc) => {
    expect(validateTelemetry(doc)).toEqual([]);
  });
  // every invalid document is also a webhook error (TM-4 / TM-8)
  const expected: Record<string, string> = { 'bad-provider': 'TM-4', 'bad-custom-metric': 'TM-8', 'bad-tag-upsert': 'TM-8', 'bad-tag-remove': 'TM-8' };
  test.each(istioTestdata('telemetry-invalid.yaml').map((d) => [d.doc.metadata.name, d.doc]))('invalid %s', (name, doc) => {
    expect(validateTelemetry(doc).map((v) => v.rule)).toContain(expected[name]);
  });
});

describe('Telemetry rules', () => {
  test('known-good', () => {
    expect(tm({ accessLogging: [{ providers: [{ name: 'otel' }], filter: { expression: 'response.code >= 400' } }] })).toEqual([]);
    expect(tm({ selector: { matchLabels: { app: 'x' } }, tracing: [{ randomSamplingPercentage: 0 }] })).toEqual([]);
    expect(tm({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }], metrics: [{ overrides: [{ disabled: true }] }] })).toEqual([]);
    expect(tm(undefined)).toEqual([]);
  });

  test.each([
    ['TM-1', tm({ selector: { matchLabels: { a: 'b' } }, targetRef: { kind: 'Service', name: 's' } }), ['spec']],
    ['TM-2', tm({ selector: { matchLabels: { a: '*' } } }), ['spec', 'selector', 'matchLabels', 'a']],
    ['TM-3', tm({ targetRef: { kind: 'Deployment', name: 'd' } }), ['spec', 'targetRef']],
    ['TM-4', tm({ tracing: [{ providers: [null] }] }), ['spec', 'tracing', 0, 'providers', 0]],
    ['TM-4', tm({ accessLogging: [{ providers: [{ name: '' }] }] }), ['spec', 'accessLogging', 0, 'providers', 0]],
    ['TM-5', tm({ accessLogging: [{ filter: { expression: 'response.code >=' } }] }), ['spec', 'accessLogging', 0, 'filter', 'expression']],
    ['TM-6', tm({ tracing: [{ randomSamplingPercentage: 101 }] }), ['spec', 'tracing', 0, 'randomSamplingPercentage']],
    ['TM-7', tm({ tracing: [{ customTags: { t: null } }] }), ['spec', 'tracing', 0, 'customTags', 't']],
    ['TM-7', tm({ tracing: [{ customTags: { t: { literal: { value: '' } } } }] }), ['spec', 'tracing', 0, 'customTags', 't', 'literal', 'value']],
    ['TM-7', tm({ tracing: [{ customTags: { t: { header: { name: '' } } } }] }), ['spec', 'tracing', 0, 'customTags', 't', 'header', 'name']],
    ['TM-8', tm({ metrics: [{ overrides: [null] }] }), ['spec', 'metrics', 0, 'overrides', 0]],
    ['TM-8', tm({ metrics: [{ overrides: [{ tagOverrides: { x: null } }] }] }), ['spec', 'metrics', 0, 'overrides', 0, 'tagOverrides', 'x']],
  ])('%s', (rule, violations, path) => {
    expect(violations).toContainEqual(expect.objectContaining({ rule, path }));
  });

  test('CEL syntax helper', () => {
    expect(celSyntaxError('true')).toBeUndefined();
    expect(celSyntaxError('a ==')).toMatch(/valid CEL/);
  });
});
