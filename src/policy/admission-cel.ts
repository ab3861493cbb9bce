import type { CelEnv } from '@bufbuild/cel';
import { AdmissionCheck, RuleObject } from './rule';
import { celModules } from '../validation/cel/cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from '../validation/cel/kubernetes-library';

const { celEnv, isCelError, parse, plan } = celModules().cel;

let env: CelEnv | undefined;
/** Planned programs by expression: tests and the audit evaluate the same policies over many objects. */
const programs = new Map<string, ReturnType<typeof plan>>();

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

/** The admission request variables besides `object` and `params`. */
export interface AdmissionRequestVariables {
  /** `request`. @default - a CREATE by user `alice` in group `system:authenticated` */
  readonly request?: unknown;
  /** `oldObject`. @default null */
  readonly oldObject?: unknown;
  /** `namespaceObject`. @default null */
  readonly namespaceObject?: unknown;
}

/** The request a test admits an object with when it does not say: a CREATE by an ordinary user. */
export const ORDINARY_REQUEST = { operation: 'CREATE', userInfo: { username: 'alice', groups: ['system:authenticated'] } };

/** Evaluates a CEL admission expression with `object` (and `params`, `request`, `oldObject`, `namespaceObject`) bound. */
export function admitsExpression(expression: string, object: RuleObject | null, params?: unknown, vars: AdmissionRequestVariables = {}): boolean {
  env ??= celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });
  let program = programs.get(expression);
  if (!program) {
    program = plan(env, parse(expression));
    programs.set(expression, program);
  }
  const request = (vars.request ?? { ...ORDINARY_REQUEST, namespace: object?.metadata?.namespace ?? '' }) as any;
  const result = program({
    object: toAdmissionValue(object),
    params: toAdmissionValue(params ?? null),
    request: toAdmissionValue(request),
    oldObject: toAdmissionValue(vars.oldObject ?? null),
    namespaceObject: toAdmissionValue(vars.namespaceObject ?? null),
  } as any);
  if (isCelError(result)) throw new Error(`admission CEL failed on ${object?.kind}/${object?.metadata?.name}: ${result.message}\n  ${expression}`);
  if (typeof result !== 'boolean') throw new Error(`admission CEL returned ${typeof result}, not a bool: ${expression}`);
  return result;
}
