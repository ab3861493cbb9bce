import { IConstruct } from 'constructs';

/**
 * Builds the error every guard of the library throws: what is wrong, where (the construct path
 * and the prop), and how to fix it. Synthesis stops on it; nothing is silently corrected.
 *
 * @internal
 */
export function configError(scope: IConstruct, field: string, problem: string, fix: string): Error {
  return new Error(`[${scope.node.path}] ${field}: ${problem}. ${fix}`);
}

/**
 * Throws `configError` when `problems` is not empty (problems from a pure check function).
 *
 * @internal
 */
export function assertNoProblems(scope: IConstruct, field: string, problems: readonly string[], fix: string): void {
  if (problems.length > 0) throw configError(scope, field, problems.join('; '), fix);
}
