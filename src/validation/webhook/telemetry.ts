/**
 * istiod webhook rules for telemetry.istio.io Telemetry (`ValidateTelemetry`, TM-1..TM-8):
 * TM-1 one of selector/targetRef/targetRefs, TM-2 selector labels, TM-3 targetRefs,
 * TM-4 provider names, TM-5 access-log filter is CEL, TM-6 sampling percentage,
 * TM-7 tracing custom tags, TM-8 metric overrides.
 */
import { arr, entries, isObject, str, validatePolicyTargeting, violation } from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';
import { celModules } from '../cel/cel-module';

type Path = PathSegment[];

/** TM-4: every provider reference is non-null with a name (Istio reports the first offender). */
function validateProviders(providers: unknown, path: Path): WebhookViolation[] {
  const i = arr(providers).findIndex((p) => !isObject(p) || str(p.name) === '');
  return i < 0 ? [] : [violation([...path, i], 'TM-4', 'providers.name may not be empty: name a provider from meshConfig.extensionProviders')];
}

/** TM-5: `filter.expression` parses as CEL (syntax only, as `celEnv.Parse`). */
export function celSyntaxError(expression: string): string | undefined {
  try {
    celModules().cel.parse(expression);
    return undefined;
  } catch (e) {
    return `must be a valid CEL expression, ${(e as Error).message}`;
  }
}

function validateAccessLogging(list: unknown): WebhookViolation[] {
  return arr(list).flatMap((l, i) => {
    if (!isObject(l)) return [];
    const p: Path = ['spec', 'accessLogging', i];
    const out = validateProviders(l.providers, [...p, 'providers']);
    const err = isObject(l.filter) ? celSyntaxError(str(l.filter.expression)) : undefined;
    if (err) out.push(violation([...p, 'filter', 'expression'], 'TM-5', err));
    return out;
  });
}

/** TM-7: custom tag names and values. */
function validateCustomTags(tags: unknown, path: Path): WebhookViolation[] {
  return entries(tags).flatMap(([name, tag]) => {
    const p = [...path, name];
    const out: WebhookViolation[] = [];
    if (name === '') out.push(violation(p, 'TM-7', 'tag name may not be empty'));
    if (!isObject(tag)) return out.concat(violation(p, 'TM-7', `tag '${name}' may not have a null value: set literal, header or environment`));
    if (isObject(tag.literal) && str(tag.literal.value) === '') out.push(violation([...p, 'literal', 'value'], 'TM-7', 'literal tag value may not be empty'));
    if (isObject(tag.header) && str(tag.header.name) === '') out.push(violation([...p, 'header', 'name'], 'TM-7', 'header tag name may not be empty'));
    if (isObject(tag.environment) && str(tag.environment.name) === '') out.push(violation([...p, 'environment', 'name'], 'TM-7', 'environment tag name may not be empty'));
    return out;
  });
}

function validateTracing(list: unknown): WebhookViolation[] {
  return arr(list).flatMap((t, i) => {
    if (!isObject(t)) return [];
    const p: Path = ['spec', 'tracing', i];
    const out = validateProviders(t.providers, [...p, 'providers']);
    const pct = t.randomSamplingPercentage;
    if (typeof pct === 'number' && (pct < 0 || pct > 100)) {
      out.push(violation([...p, 'randomSamplingPercentage'], 'TM-6', 'randomSamplingPercentage must be in range [0.0, 100.0]'));
    }
    return out.concat(validateCustomTags(t.customTags, [...p, 'customTags']));
  });
}

/** TM-8: overrides non-null, tag overrides non-null, UPSERT needs a value, REMOVE forbids one, customMetric non-empty. */
function validateOverride(o: unknown, p: Path): WebhookViolation[] {
  if (!isObject(o)) return [violation(p, 'TM-8', 'metric overrides may not be null')];
  const out: WebhookViolation[] = [];
  for (const [tag, to] of entries(o.tagOverrides)) {
    const tp = [...p, 'tagOverrides', tag];
    if (!isObject(to)) {
      out.push(violation(tp, 'TM-8', 'tagOverrides may not be null'));
    } else if ((str(to.operation) || 'UPSERT') === 'UPSERT' && str(to.value) === '') {
      out.push(violation([...tp, 'value'], 'TM-8', 'tagOverrides.value must be set when operation is UPSERT'));
    } else if (to.operation === 'REMOVE' && str(to.value) !== '') {
      out.push(violation([...tp, 'value'], 'TM-8', 'tagOverrides.value may only be set when operation is UPSERT: remove the value'));
    }
  }
  if (isObject(o.match) && 'customMetric' in o.match && str(o.match.customMetric) === '') {
    out.push(violation([...p, 'match', 'customMetric'], 'TM-8', 'customMetric may not be empty'));
  }
  return out;
}

function validateMetrics(list: unknown): WebhookViolation[] {
  return arr(list).flatMap((m, i) => {
    if (!isObject(m)) return [];
    const p: Path = ['spec', 'metrics', i];
    return validateProviders(m.providers, [...p, 'providers'])
      .concat(arr(m.overrides).flatMap((o, j) => validateOverride(o, [...p, 'overrides', j])));
  });
}

/** Validates a Telemetry like `ValidateTelemetry` (errors only). */
export function validateTelemetry(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  return [...validatePolicyTargeting(spec, { oneOf: 'TM-1', selector: 'TM-2', targetRef: 'TM-3' }),
    ...validateMetrics(spec.metrics), ...validateTracing(spec.tracing), ...validateAccessLogging(spec.accessLogging)];
}
