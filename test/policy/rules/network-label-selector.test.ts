import { selectorMatches, selectorMayOverlap, selectorSelectsAllWith } from '../../../src/policy/rules/network-label-selector';

const labels = { app: 'reviews', version: 'v1' };
const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });

describe('selectorMatches', () => {
  test.each([
    [{}, true],
    [{ matchLabels: { app: 'reviews' } }, true],
    [{ matchLabels: { app: 'ratings' } }, false],
    [expr('app', 'In', ['reviews', 'ratings']), true],
    [expr('app', 'NotIn', ['reviews']), false],
    [expr('tier', 'NotIn', ['db']), true],
    [expr('version', 'Exists'), true],
    [expr('tier', 'DoesNotExist'), true],
    [expr('app', 'DoesNotExist'), false],
    [expr('app', 'Bogus'), false],
    [{ matchExpressions: 'x' }, false],
    ['x', false],
    [undefined, false],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, labels)).toBe(expected);
  });
});

describe('selectorSelectsAllWith: every pod carrying at least the labels', () => {
  test.each([
    [{}, true],
    [{ matchLabels: { app: 'reviews' } }, true],
    [{ matchLabels: { app: 'reviews', tier: 'web' } }, false],
    [expr('app', 'In', ['reviews']), true],
    [expr('app', 'NotIn', ['ratings']), true],
    [expr('tier', 'NotIn', ['db']), false],
    [expr('version', 'Exists'), true],
    [expr('tier', 'DoesNotExist'), false],
    [expr('app', 'DoesNotExist'), false],
    [expr('app', 'Bogus'), false],
  ])('%j → %s', (selector, expected) => {
    expect(selectorSelectsAllWith(selector, labels)).toBe(expected);
  });
});

describe('selectorMayOverlap: some pod carrying at least the labels', () => {
  test.each([
    [{}, true],
    [{ matchLabels: { app: 'reviews', tier: 'web' } }, true],
    [{ matchLabels: { app: 'ratings' } }, false],
    [expr('tier', 'In', ['web']), true],
    [expr('tier', 'In', []), false],
    [expr('app', 'NotIn', ['reviews']), false],
    [expr('version', 'DoesNotExist'), false],
    [expr('tier', 'DoesNotExist'), true],
    [{ matchLabels: { tier: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    [7, false],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMayOverlap(selector, labels)).toBe(expected);
  });
});
