import { ApiObject } from 'cdk8s';

/**
 * One rendering per object per synthesis (OPS-1, and issue "Performance at platform scale").
 *
 * cdk8s validates the app and then renders every chart in the same synchronous call
 * (`app.synth()`, `app.synthYaml()`, `Testing.synth()`); `chart.toJson()` validates the whole
 * app once more before it renders. Enforcement must check the final documents, so it renders
 * every ApiObject during validation; without a hand-off cdk8s would render each one again, and
 * enforcement would render and check everything once per validation.
 *
 * A `HandOffBatch` gives each checked document to the next `toJson()` of its object, once. A
 * batch lives only until the current synchronous run ends (a microtask withdraws what is left)
 * and until a newer batch starts, so a later mutation followed by a later synth always renders
 * afresh, and the documents cdk8s writes are exactly the documents the rules checked.
 *
 * One case a batch cannot see: code that runs the app's validations by hand (`node.validate()`),
 * then changes an object and synthesizes in the same synchronous run, gets the documents as they
 * were validated (still checked, but without that change). Synthesize instead of validating by
 * hand, or let the run end (an `await`) before changing objects.
 */
export class HandOffBatch {
  /** Starts a batch, withdrawing whatever an earlier batch left. */
  public static begin(): HandOffBatch {
    current?.withdrawAll();
    current = new HandOffBatch();
    return current;
  }

  private readonly pending = new Set<ApiObject>();
  private touched = false;

  private constructor() {
    queueMicrotask(() => this.withdrawAll());
  }

  /**
   * True while this is the newest batch and none of its documents was taken or withdrawn:
   * nothing has been written since the documents were checked.
   */
  public get intact(): boolean {
    return current === this && !this.touched;
  }

  /** The next `toJson()` of `apiObject` (in this synchronous run) returns `document`, once. */
  public handOff(apiObject: ApiObject, document: unknown): void {
    // An object that carries its own toJson (a class field) renders itself every time.
    if (current !== this || Object.prototype.hasOwnProperty.call(apiObject, 'toJson')) return;
    Object.defineProperty(apiObject, 'toJson', {
      configurable: true,
      writable: true,
      value: () => {
        this.withdraw(apiObject);
        return document;
      },
    });
    this.pending.add(apiObject);
  }

  /** Cancels a pending hand-off: the object renders normally again. */
  public withdraw(apiObject: ApiObject): void {
    if (!this.pending.delete(apiObject)) return;
    this.touched = true;
    delete (apiObject as { toJson?: unknown }).toJson;
  }

  /** Cancels every pending hand-off of this batch. */
  public withdrawAll(): void {
    for (const apiObject of [...this.pending]) this.withdraw(apiObject);
    this.touched = true;
  }
}

let current: HandOffBatch | undefined;
