import type { CelEnv } from '@bufbuild/cel';
import { AdmissionCheck, RuleObject } from './rule';
import { celModules } from '../validation/cel/cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from '../validation/cel/kubernetes-library';

const { celEnv, isCelError, parse, plan } = celModules().cel;

let env: CelEnv | undefined;

/** Converts a JSON object to the CEL value a ValidatingAdmissionPolicy binds to `object` (integers as int). */
export function toAdmissionValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toAdmissionValue);
  if (typeof value === 'object') return new Map(Object.entries(value as object).map(([k, v]) => [k, toAdmissionValue(v)]));
  return value;
}

/**
 * Evaluates an admission check against an object as the API server would: true admits, false
 * rejects. A CEL error is thrown (the API server would reject with the error too, and a rule
 * whose CEL cannot evaluate is a bug to fix, not something to skip).
 */
export function admits(check: AdmissionCheck, object: RuleObject, params?: unknown): boolean {
  return admitsExpression(check.expression, object, params);
}

/** Evaluates a CEL admission expression with `object` (and `params`, when given) bound. */
export function admitsExpression(expression: string, object: RuleObject, params?: unknown): boolean {
  env ??= celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });
  const program = plan(env, parse(expression));
  const result = program({ object: toAdmissionValue(object), params: toAdmissionValue(params ?? null) } as any);
  if (isCelError(result)) throw new Error(`admission CEL failed on ${object.kind}/${object.metadata?.name}: ${result.message}\n  ${expression}`);
  if (typeof result !== 'boolean') throw new Error(`admission CEL returned ${typeof result}, not a bool: ${expression}`);
  return result;
}
