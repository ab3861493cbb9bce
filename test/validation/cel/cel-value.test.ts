import { toCelValue } from '../../../src/validation/cel/cel-value';

describe('toCelValue', () => {
  test('integers become CEL int (bigint), numbers stay double', () => {
    expect(toCelValue(8080, { type: 'integer' })).toBe(8080n);
    expect(toCelValue(0.5, { type: 'number' })).toBe(0.5);
    expect(toCelValue(7, { 'x-kubernetes-int-or-string': true })).toBe(7n);
  });

  test('objects become maps converted by property and additionalProperties schemas', () => {
    const schema = {
      type: 'object',
      properties: { port: { type: 'integer' }, labels: { type: 'object', additionalProperties: { type: 'integer' } } },
    };
    const v = toCelValue({ port: 1, labels: { a: 2 }, other: 3 }, schema) as Map<string, unknown>;
    expect(v.get('port')).toBe(1n);
    expect((v.get('labels') as Map<string, unknown>).get('a')).toBe(2n);
    expect(v.get('other')).toBe(3);
  });

  test('arrays use the items schema; null stays null', () => {
    expect(toCelValue([1, 2], { type: 'array', items: { type: 'integer' } })).toEqual([1n, 2n]);
    expect(toCelValue(null, { type: 'string' })).toBeNull();
  });
});
