// The public API of the validation harness; the engine loads on first use (see validation.ts).
export { ValidationFinding, ValidationLayer } from './finding';
export { Validation } from './validation';
