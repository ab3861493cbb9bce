import { isDeepStrictEqual } from 'util';

/**
 * The API server's checks for `x-kubernetes-list-type`: a `set` holds no duplicate items and a
 * `map` holds no two items with the same values of `x-kubernetes-list-map-keys`.
 * Returns one message per duplicate.
 */
export function checkListType(listType: string, mapKeys: readonly string[], data: unknown): string[] {
  if (!Array.isArray(data) || (listType !== 'set' && listType !== 'map')) return [];
  const problems: string[] = [];
  data.forEach((item, i) => {
    const earlier = data.slice(0, i).findIndex((other) =>
      listType === 'set'
        ? isDeepStrictEqual(other, item)
        : mapKeys.every((k) => isDeepStrictEqual((other as any)?.[k], (item as any)?.[k])),
    );
    if (earlier < 0) return;
    problems.push(
      listType === 'set'
        ? `Duplicate value: item ${i} repeats item ${earlier} (${JSON.stringify(item)}); this list is a set`
        : `Duplicate value: item ${i} has the same ${mapKeys.join('/')} as item ${earlier}; this list is a map keyed by ${mapKeys.join(', ')}`,
    );
  });
  return problems;
}
