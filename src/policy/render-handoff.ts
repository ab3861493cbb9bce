import { ApiObject } from 'cdk8s';

/**
 * One rendering per object per synthesis (OPS-1, and issue "Performance at platform scale").
 *
 * cdk8s validates the app and then renders every chart in the same synchronous call
 * (`app.synth()`, `app.synthYaml()`, `Testing.synth()`); each `chart.toJson()` validates the
 * whole app once more before it renders its own objects. Enforcement must check the final
 * documents, so it renders every ApiObject during validation; without a hand-off cdk8s would
 * render each one again, and enforcement would render and check the whole app once per chart.
 *
 * A `HandOffBatch` gives each checked document to the first `toJson()` of its object. Taking a
 * document does not end the batch, so the validations before the next charts of the same synth
 * can stand on it. Rendering an object a second time within the batch (a chart synthesized
 * again, a `toJson()` by hand) could show a change made since the check, so it ends the batch
 * and asks the batch's owner (enforcement) to check the app again and give the fresh document.
 * A batch also ends when the synchronous run ends (a microtask withdraws it) and when a newer
 * batch starts: a later mutation followed by a later synth always renders afresh, and the
 * documents cdk8s writes are exactly the documents the rules checked.
 *
 * One case a batch cannot see: code that runs the app's validations by hand (`node.validate()`),
 * then changes an object and synthesizes in the same synchronous run, gets the documents as they
 * were validated (still checked, but without that change). Synthesize instead of validating by
 * hand, or let the run end (an `await`) before changing objects.
 */
export class HandOffBatch {
  /**
   * Starts a batch, withdrawing whatever an earlier batch left. `rerender` answers a second
   * `toJson()` of a handed-off object within the batch: it must check again and return the
   * object's checked document (or throw).
   */
  public static begin(rerender: (apiObject: ApiObject) => unknown): HandOffBatch {
    current?.withdrawAll();
    current = new HandOffBatch(rerender);
    return current;
  }

  private readonly pending = new Set<ApiObject>();
  /** The own `toJson` an object had before its hand-off, restored when the hand-off ends. */
  private readonly ownToJson = new Map<ApiObject, PropertyDescriptor>();
  private readonly taken = new Set<ApiObject>();
  private ended = false;

  private constructor(private readonly rerender: (apiObject: ApiObject) => unknown) {
    queueMicrotask(() => this.withdrawAll());
  }

  /**
   * True while this is the newest batch, nothing was withdrawn, and no object was rendered twice:
   * every document written so far is one the rules checked in this batch.
   */
  public get intact(): boolean {
    return current === this && !this.ended;
  }

  /**
   * The first `toJson()` of `apiObject` in this batch returns `document`; a second one re-checks.
   * An object that carries its own `toJson` (a class field, an assigned function) is handed off
   * too, and gets its own back when the batch ends: a `toJson` that answers differently the second
   * time (a Lazy that swaps objects, an ApiObject that renders something else when written)
   * cannot put anything unchecked into the output. Only a non-configurable own `toJson` cannot be
   * wrapped; its object renders itself (`handOff` returns false).
   */
  public handOff(apiObject: ApiObject, document: unknown): boolean {
    if (current !== this) return false;
    const own = Object.getOwnPropertyDescriptor(apiObject, 'toJson');
    if (own && !own.configurable) return false;
    if (own) this.ownToJson.set(apiObject, own);
    Object.defineProperty(apiObject, 'toJson', {
      configurable: true,
      writable: true,
      value: () => {
        if (!this.taken.has(apiObject)) {
          this.taken.add(apiObject);
          return document;
        }
        // Rendered again in the same run: the object may have changed since it was checked.
        this.withdrawAll();
        return this.rerender(apiObject);
      },
    });
    this.pending.add(apiObject);
    return true;
  }

  /** Cancels a hand-off: the object renders normally again. */
  public withdraw(apiObject: ApiObject): void {
    if (!this.pending.delete(apiObject)) return;
    this.ended = true;
    const own = this.ownToJson.get(apiObject);
    if (own) {
      Object.defineProperty(apiObject, 'toJson', own);
      this.ownToJson.delete(apiObject);
    } else {
      delete (apiObject as { toJson?: unknown }).toJson;
    }
  }

  /** Cancels every hand-off of this batch and ends it. */
  public withdrawAll(): void {
    for (const apiObject of [...this.pending]) this.withdraw(apiObject);
    this.ended = true;
    // An ended batch holds nothing of the app: the module must not keep the last app alive.
    this.taken.clear();
    if (current === this) current = undefined;
  }
}

let current: HandOffBatch | undefined;
