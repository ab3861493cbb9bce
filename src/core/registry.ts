import { IConstruct } from 'constructs';

const registries = new WeakMap<IConstruct, Map<string, IConstruct>>();

/**
 * Claims `key` (e.g. `SecureService:shop/cart`) for `owner` within its app. Returns the construct
 * that already holds the key, or undefined when the claim succeeded. Constant time, so checking
 * uniqueness does not walk the construct tree once per construct.
 */
export function claimKey(owner: IConstruct, key: string): IConstruct | undefined {
  const root = owner.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  const holder = registry.get(key);
  if (holder && holder !== owner) return holder;
  registry.set(key, owner);
  return undefined;
}

/** The construct holding `key` in the app of `scope`, if any (see `claimKey`). */
export function claimedBy(scope: IConstruct, key: string): IConstruct | undefined {
  return registries.get(scope.node.root)?.get(key);
}
