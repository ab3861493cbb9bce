import type { CelEnv, CelResult } from '@bufbuild/cel';
import { celModules } from './cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from './kubernetes-library';

const { celEnv, isCelError, parse, plan } = celModules().cel;

/** One `x-kubernetes-validations` entry of a CRD schema. */
export interface CelValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
}

/** The result of evaluating one rule against one value. */
export type CelOutcome =
  | { readonly kind: 'pass' }
  | { readonly kind: 'fail'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

type Program = (ctx: { self: unknown }) => CelResult;

let env: CelEnv | undefined;
const programs = new Map<string, Program | string>();

function compile(rule: string): Program | string {
  let program = programs.get(rule);
  if (program === undefined) {
    try {
      env ??= celEnv({ funcs: KUBERNETES_CEL_FUNCTIONS });
      program = plan(env, parse(rule)) as Program;
    } catch (e) {
      program = `cannot compile CEL rule: ${(e as Error).message}`;
    }
    programs.set(rule, program);
  }
  return program;
}

/**
 * Evaluates a CRD validation rule with `self` bound to `self` (already converted to CEL values,
 * see `toCelValue`). A rule that does not compile, throws, or yields a non-boolean is an error,
 * never a pass: the API server would refuse the object too.
 */
export function evaluateCelRule(rule: CelValidationRule, self: unknown): CelOutcome {
  const program = compile(rule.rule);
  if (typeof program === 'string') return { kind: 'error', message: program };
  let result: CelResult;
  try {
    result = program({ self });
  } catch (e) {
    return { kind: 'error', message: `CEL evaluation failed: ${(e as Error).message}` };
  }
  if (isCelError(result)) return { kind: 'error', message: `CEL evaluation failed: ${result.message}` };
  if (typeof result !== 'boolean') {
    return { kind: 'error', message: `CEL rule returned ${typeof result}, not a bool` };
  }
  if (result) return { kind: 'pass' };
  return { kind: 'fail', message: rule.message ?? `failed rule: ${rule.rule}` };
}
