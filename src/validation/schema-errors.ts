import { ErrorObject } from 'ajv';
import { ValidationLayer } from './finding';
import { pointerToSegments } from './json-path';
import { RawFinding } from './raw-finding';

/** Turns an Ajv error (schema, CEL or list-type) into a finding with a message that says how to fix it. */
export function fromSchemaError(error: ErrorObject, schemaName: string): RawFinding | undefined {
  const path = pointerToSegments(error.instancePath);
  const p = error.params as Record<string, any>;
  switch (error.keyword) {
    case 'x-kubernetes-validations':
      return {
        path: p.fieldPath ? [...path, ...String(p.fieldPath).replace(/^\./, '').split('.')] : path,
        rule: p.rule,
        message: p.evaluationError
          ? `the CEL rule could not be evaluated (the API server would reject the object): ${error.message}`
          : `${error.message}`,
        layer: ValidationLayer.CEL,
      };
    case 'x-kubernetes-list-type':
      return { path, rule: `x-kubernetes-list-type: ${p.listType}`, message: error.message ?? 'duplicate list item', layer: ValidationLayer.SCHEMA };
    case 'additionalProperties':
      return {
        path: [...path, p.additionalProperty],
        rule: 'unknown field',
        message: `unknown field "${p.additionalProperty}": ${schemaName} does not declare it, and strict field validation rejects it (check the spelling and the API version)`,
        layer: ValidationLayer.SCHEMA,
      };
    case 'required':
      return {
        path: [...path, p.missingProperty],
        rule: 'required',
        message: `required field "${p.missingProperty}" is missing`,
        layer: ValidationLayer.SCHEMA,
      };
    case 'enum':
      return {
        path,
        rule: 'enum',
        message: `unsupported value: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        layer: ValidationLayer.SCHEMA,
      };
    case 'type':
      return { path, rule: 'type', message: `wrong type: must be ${p.type}`, layer: ValidationLayer.SCHEMA };
    case 'anyOf':
    case 'oneOf':
    case 'if':
      // Summaries of the branch errors already reported.
      return { path, rule: error.keyword, message: `must match the schema (${error.message})`, layer: ValidationLayer.SCHEMA };
    default:
      return { path, rule: error.keyword, message: error.message ?? `fails schema keyword ${error.keyword}`, layer: ValidationLayer.SCHEMA };
  }
}
