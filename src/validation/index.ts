// The public API of the validation harness; the engine loads on first use (see validation.ts).
export { ValidationLayer } from './finding';
export type { ValidationFinding } from './finding';
export { Validation } from './validation';
