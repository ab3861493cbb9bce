import { ApiObject } from 'cdk8s';

/**
 * One rendering per object per synthesis (OPS-1, and issue "Performance at platform scale").
 *
 * cdk8s validates the app and then renders every chart in the same synchronous call
 * (`app.synth()`, `app.synthYaml()`, `Testing.synth()`). Enforcement must check the final
 * documents, so it renders every ApiObject during validation; without a hand-off cdk8s would
 * render each one again right after, which is the most expensive step of a synth.
 *
 * `handOff` gives the checked document to the next `toJson()` of that object, once. The
 * hand-off lives only until the current synchronous run ends (a microtask clears what is left),
 * so a later mutation followed by a later synth always renders afresh, and the documents
 * cdk8s writes are exactly the documents the rules checked.
 */
const pending = new Set<ApiObject>();
let clearScheduled = false;

/** The next `toJson()` of `apiObject` (in this synchronous run) returns `document`, once. */
export function handOff(apiObject: ApiObject, document: unknown): void {
  // An object that already carries its own toJson (a class field) renders itself every time.
  if (Object.prototype.hasOwnProperty.call(apiObject, 'toJson') && !pending.has(apiObject)) return;
  Object.defineProperty(apiObject, 'toJson', {
    configurable: true,
    writable: true,
    value: () => {
      withdraw(apiObject);
      return document;
    },
  });
  pending.add(apiObject);
  if (!clearScheduled) {
    clearScheduled = true;
    queueMicrotask(withdrawAll);
  }
}

/** Cancels a pending hand-off: the object renders normally again. */
export function withdraw(apiObject: ApiObject): void {
  if (!pending.delete(apiObject)) return;
  delete (apiObject as { toJson?: unknown }).toJson;
}

/** Cancels every pending hand-off (before a fresh rendering, and when the synchronous run ends). */
export function withdrawAll(): void {
  clearScheduled = false;
  for (const apiObject of [...pending]) withdraw(apiObject);
}
