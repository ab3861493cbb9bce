import { formatPath, pointerToSegments } from '../../src/validation/json-path';

describe('JSON paths', () => {
  test('formats property names and indexes', () => {
    expect(formatPath(['spec', 'rules', 0, 'from', 1, 'source'])).toBe('spec.rules[0].from[1].source');
    expect(formatPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe('metadata.labels["app.kubernetes.io/name"]');
    expect(formatPath([])).toBe('');
  });

  test('parses Ajv JSON pointers, including escaped / and ~', () => {
    expect(pointerToSegments('/spec/portLevelMtls/8080/mode')).toEqual(['spec', 'portLevelMtls', 8080, 'mode']);
    expect(pointerToSegments('/metadata/labels/a~1b~0c')).toEqual(['metadata', 'labels', 'a/b~c']);
    expect(pointerToSegments('')).toEqual([]);
  });
});
