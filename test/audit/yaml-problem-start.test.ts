import { unclosedConstructBefore } from '../../src/audit/yaml-problem-start';

describe('unclosedConstructBefore: where an unterminated YAML construct starts', () => {
  test('the innermost unclosed flow collection or string before the error', () => {
    const text = 'a: {b: [1, 2\nc: 3\n';
    expect(unclosedConstructBefore(text, text.length - 1)).toEqual({ what: 'the flow sequence ("[")', offset: 7 });
  });

  test('closed constructs and escaped quotes are not reported', () => {
    expect(unclosedConstructBefore('a: [1, 2]\nb: "x\\\\"\nc: \'it\'\'s\'\n', 20)).toBeUndefined();
    expect(unclosedConstructBefore('a: "say \\"hi\\""\n', 10)).toBeUndefined();
  });

  test('a construct opened after the error is not its start', () => {
    const text = 'a: 1\nb: [x\n';
    expect(unclosedConstructBefore(text, 2)).toBeUndefined();
  });
});
