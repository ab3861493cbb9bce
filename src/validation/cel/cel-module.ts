import type * as Cel from '@bufbuild/cel';
import type * as CelExt from '@bufbuild/cel/ext';
import { requireGenerated } from '../../core/generated';

/** @bufbuild/cel and its extensions, vendored (with its peer @bufbuild/protobuf) into generated/vendor/cel.js. */
export interface CelModules {
  readonly cel: typeof Cel;
  readonly ext: typeof CelExt;
}

let modules: CelModules | undefined;

/** The CEL evaluator, loaded on first use (only validation and admission checks need it). */
export function celModules(): CelModules {
  modules ??= requireGenerated('vendor/cel.js') as CelModules;
  return modules;
}
