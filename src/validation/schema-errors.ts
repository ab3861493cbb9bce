import { ErrorObject } from 'ajv';
import { ValidationLayer } from './finding';
import { formatPath, pointerToSegments } from './json-path';
import { RawFinding } from './raw-finding';

/**
 * Turns an Ajv error (schema, CEL or list-type) into a finding worded as the API server words it
 * (`Required value`, `Unsupported value`, `unknown field`, `in body should ...`), so messages
 * match what `kubectl apply` would print, followed by how to fix it where that is not obvious.
 */
export function fromSchemaError(error: ErrorObject, schemaName: string, obj?: unknown): RawFinding {
  const path = pointerToSegments(error.instancePath);
  const value = path.reduce<any>((node, segment) => node?.[segment], obj);
  const field = formatPath(path) || '<root>';
  const p = error.params as Record<string, any>;
  const schema = (rule: string, message: string, at = path): RawFinding => ({ path: at, rule, message, layer: ValidationLayer.SCHEMA });
  switch (error.keyword) {
    case 'x-kubernetes-validations':
      return {
        path: p.fieldPath ? [...path, ...String(p.fieldPath).replace(/^\./, '').split('.')] : path,
        rule: p.rule,
        message: p.evaluationError
          ? `Invalid value: the CEL rule could not be evaluated, so the API server rejects the object: ${error.message}`
          : `Invalid value: ${error.message}`,
        layer: ValidationLayer.CEL,
      };
    case 'x-kubernetes-list-type':
      return schema(`x-kubernetes-list-type: ${p.listType}`, error.message ?? 'Duplicate value');
    case 'additionalProperties': {
      const at = [...path, p.additionalProperty];
      return schema('unknown field', `unknown field "${formatPath(at)}": ${schemaName} does not declare it, and strict field validation rejects it (check the spelling and the API version)`, at);
    }
    case 'required': {
      const at = [...path, p.missingProperty];
      return schema('required', `Required value: ${formatPath(at)} must be set`, at);
    }
    case 'enum':
      return schema('enum', `Unsupported value: ${JSON.stringify(value)}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
    case 'type':
      return schema('type', `Invalid value: ${field} in body must be of type ${p.type}`);
    case 'minLength':
      return schema('minLength', `Invalid value: ${field} in body should be at least ${p.limit} chars long`);
    case 'maxLength':
      return schema('maxLength', `Too long: ${field} may not be more than ${p.limit} bytes`);
    case 'pattern':
      return schema('pattern', `Invalid value: ${field} in body should match '${p.pattern}'`);
    case 'minimum':
    case 'exclusiveMinimum':
      return schema(error.keyword, `Invalid value: ${field} in body should be greater than ${error.keyword === 'minimum' ? 'or equal to ' : ''}${p.limit}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return schema(error.keyword, `Invalid value: ${field} in body should be less than ${error.keyword === 'maximum' ? 'or equal to ' : ''}${p.limit}`);
    case 'minItems':
      return schema('minItems', `Invalid value: ${field} in body should have at least ${p.limit} items`);
    case 'maxItems':
      return schema('maxItems', `Too many: must have at most ${p.limit} items`);
    case 'minProperties':
      return schema('minProperties', `Invalid value: ${field} in body should have at least ${p.limit} properties`);
    case 'maxProperties':
      return schema('maxProperties', `Too many: ${field} must have at most ${p.limit} properties`);
    case 'format':
      return schema('format', `Invalid value: ${field} in body must be of type ${p.format}`);
    case 'anyOf':
    case 'oneOf':
      return schema(error.keyword, `Invalid value: ${field} must match exactly the allowed shapes (${error.message})`);
    default:
      return schema(error.keyword, `Invalid value: ${field} ${error.message ?? `fails schema keyword ${error.keyword}`}`);
  }
}
