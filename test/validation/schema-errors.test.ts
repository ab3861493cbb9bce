import { ErrorObject } from 'ajv';
import { fromSchemaError } from '../../src/validation/schema-errors';

const err = (e: Partial<ErrorObject>): ErrorObject => ({ instancePath: '', schemaPath: '#', keyword: 'x', params: {}, ...e } as ErrorObject);

describe('fromSchemaError (worded as the API server words it)', () => {
  test('unknown field names the full field path and says why it is rejected', () => {
    expect(fromSchemaError(err({ keyword: 'additionalProperties', instancePath: '/spec', params: { additionalProperty: 'rulez' } }), 'the X CRD schema')).toEqual({
      path: ['spec', 'rulez'],
      rule: 'unknown field',
      layer: 'schema',
      message: 'unknown field "spec.rulez": the X CRD schema does not declare it, and strict field validation rejects it (check the spelling and the API version)',
    });
  });

  test.each([
    [{ keyword: 'enum', instancePath: '/spec/action', params: { allowedValues: ['ALLOW', 'DENY'] } }, 'Unsupported value: undefined: supported values: "ALLOW", "DENY"'],
    [{ keyword: 'type', instancePath: '/a/0', params: { type: 'string' } }, 'Invalid value: a[0] in body must be of type string'],
    [{ keyword: 'required', instancePath: '/spec', params: { missingProperty: 'hosts' } }, 'Required value: spec.hosts must be set'],
    [{ keyword: 'minLength', instancePath: '/spec/x', params: { limit: 1 } }, 'Invalid value: spec.x in body should be at least 1 chars long'],
    [{ keyword: 'maxLength', instancePath: '/spec/x', params: { limit: 2048 } }, 'Too long: spec.x may not be more than 2048 bytes'],
    [{ keyword: 'pattern', instancePath: '/spec/x', params: { pattern: '^a$' } }, "Invalid value: spec.x in body should match '^a$'"],
    [{ keyword: 'minimum', instancePath: '/n', params: { limit: 0 } }, 'Invalid value: n in body should be greater than or equal to 0'],
    [{ keyword: 'exclusiveMinimum', instancePath: '/n', params: { limit: 0 } }, 'Invalid value: n in body should be greater than 0'],
    [{ keyword: 'maximum', instancePath: '/n', params: { limit: 100 } }, 'Invalid value: n in body should be less than or equal to 100'],
    [{ keyword: 'exclusiveMaximum', instancePath: '/n', params: { limit: 100 } }, 'Invalid value: n in body should be less than 100'],
    [{ keyword: 'minItems', instancePath: '/l', params: { limit: 1 } }, 'Invalid value: l in body should have at least 1 items'],
    [{ keyword: 'maxItems', instancePath: '/l', params: { limit: 16 } }, 'Too many: must have at most 16 items'],
    [{ keyword: 'minProperties', instancePath: '/m', params: { limit: 1 } }, 'Invalid value: m in body should have at least 1 properties'],
    [{ keyword: 'maxProperties', instancePath: '/m', params: { limit: 1 } }, 'Too many: m must have at most 1 properties'],
    [{ keyword: 'format', instancePath: '/f', params: { format: 'int32' } }, 'Invalid value: f in body must be of type int32'],
    [{ keyword: 'anyOf', instancePath: '/p', message: 'must match a schema in anyOf' }, 'Invalid value: p must match exactly the allowed shapes (must match a schema in anyOf)'],
    [{ keyword: 'const', message: 'must be equal to constant' }, 'Invalid value: <root> must be equal to constant'],
  ])('%j', (e, message) => {
    expect(fromSchemaError(err(e), 's')).toMatchObject({ message, layer: 'schema' });
  });

  test('enum names the offending value', () => {
    const obj = { spec: { action: 'NOPE' } };
    expect(fromSchemaError(err({ keyword: 'enum', instancePath: '/spec/action', params: { allowedValues: ['ALLOW'] } }), 's', obj).message)
      .toBe('Unsupported value: "NOPE": supported values: "ALLOW"');
  });

  test('CEL failures carry the rule; evaluation errors say so; fieldPath extends the path', () => {
    expect(fromSchemaError(err({ keyword: 'x-kubernetes-validations', instancePath: '/spec', message: 'portLevelMtls requires selector', params: { rule: 'R', evaluationError: false } }), 's'))
      .toEqual({ path: ['spec'], rule: 'R', message: 'Invalid value: portLevelMtls requires selector', layer: 'cel' });
    expect(fromSchemaError(err({ keyword: 'x-kubernetes-validations', message: 'boom', params: { rule: 'R', evaluationError: true, fieldPath: '.a.b' } }), 's'))
      .toMatchObject({ path: ['a', 'b'], message: expect.stringMatching(/could not be evaluated/) });
  });

  test('list-type duplicates', () => {
    expect(fromSchemaError(err({ keyword: 'x-kubernetes-list-type', message: 'Duplicate value', params: { listType: 'set' } }), 's'))
      .toMatchObject({ rule: 'x-kubernetes-list-type: set', layer: 'schema' });
  });
});
