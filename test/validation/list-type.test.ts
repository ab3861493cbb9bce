import { checkListType } from '../../src/validation/list-type';

describe('x-kubernetes-list-type', () => {
  test('set: duplicates rejected', () => {
    expect(checkListType('set', [], ['a', 'b'])).toEqual([]);
    expect(checkListType('set', [], ['a', 'b', 'a'])).toEqual([expect.stringMatching(/item 2 repeats item 0/)]);
  });

  test('map: duplicate keys rejected', () => {
    const items = [{ name: 'a', v: 1 }, { name: 'b', v: 1 }, { name: 'a', v: 2 }];
    expect(checkListType('map', ['name'], items)).toEqual([expect.stringMatching(/same name as item 0/)]);
  });

  test('atomic lists and non-lists are not checked', () => {
    expect(checkListType('atomic', [], ['a', 'a'])).toEqual([]);
    expect(checkListType('set', [], 'a')).toEqual([]);
  });
});
