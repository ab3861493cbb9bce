import { Testing } from 'cdk8s';
import { assertNoProblems, configError } from '../../src/core/errors';

describe('configError', () => {
  test('says what, where and how to fix', () => {
    const chart = Testing.chart();
    expect(configError(chart, 'image', 'tag-only image "nginx:1.25"', 'Pin it by digest').message)
      .toBe('[test] image: tag-only image "nginx:1.25". Pin it by digest');
  });

  test('assertNoProblems throws only when there are problems', () => {
    const chart = Testing.chart();
    expect(() => assertNoProblems(chart, 'f', [], 'fix')).not.toThrow();
    expect(() => assertNoProblems(chart, 'f', ['a', 'b'], 'fix')).toThrow('[test] f: a; b. fix');
  });
});
