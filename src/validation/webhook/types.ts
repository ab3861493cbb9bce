/**
 * Internal contract of the istiod validating-webhook rules (not part of the jsii API).
 *
 * Each Istio kind has one validator: a pure function from the whole object (apiVersion, kind,
 * metadata, spec) to the list of rule violations the istiod webhook would reject it for.
 * Rule ids are the ones of `../shared/reference/istio-validation-rules.md` (AP-6, SC-8, ...),
 * so a message can be traced back to Istio's `pkg/config/validation` source.
 */

/** A segment of a JSON path: a property name or an array index. */
export type PathSegment = string | number;

/** One reason the webhook would reject the object. */
export interface WebhookViolation {
  /** Where in the object, e.g. `['spec', 'rules', 0, 'from', 0, 'source']`. */
  readonly path: PathSegment[];
  /** Stable rule id from the validation-rules reference, e.g. `AP-9`. */
  readonly rule: string;
  /** What is wrong and how to fix it, in Istio's words where they exist. */
  readonly message: string;
}

/** A Kubernetes object as parsed from YAML/JSON. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly [key: string]: unknown;
  };
  readonly spec?: any;
  readonly [key: string]: unknown;
}

/** Validates one object of one Istio kind the way istiod's webhook does. */
export type WebhookValidator = (obj: KubeObject) => WebhookViolation[];
