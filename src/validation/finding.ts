/**
 * Which layer of a real cluster would reject the object.
 *
 * A manifest reaches etcd only after the API server's OpenAPI schema check (with strict field
 * validation), the CRD's CEL rules, the API server's own name/label rules, and for Istio kinds
 * istiod's validating webhook. The harness runs all of them offline.
 */
export enum ValidationLayer {
  /** OpenAPI v3 schema of the CRD or of the Kubernetes type (types, enums, required, unknown fields). */
  SCHEMA = 'schema',
  /** An `x-kubernetes-validations` CEL rule of the CRD. */
  CEL = 'cel',
  /** A rule of the kube-apiserver outside the schema (object names, label syntax, served kinds). */
  API_SERVER = 'api-server',
  /** A rule of istiod's validating webhook (`pkg/config/validation`). */
  WEBHOOK = 'webhook',
}

/** One reason a cluster would reject an object. */
export interface ValidationFinding {
  /** The object, as `Kind/namespace/name` (or `Kind/name` when cluster-scoped or unnamespaced). */
  readonly object: string;
  /** JSON path of the offending field, e.g. `spec.rules[0].from[0].source`; empty for the object itself. */
  readonly path: string;
  /** The rule broken: a webhook rule id (`AP-9`), the CEL expression, or the schema keyword. */
  readonly rule: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** Which layer rejects it. */
  readonly layer: ValidationLayer;
  /** Position of the object in the validated list (0-based), to find it in a multi-document file. */
  readonly documentIndex: number;
}

/** Formats a finding as one line: `Kind/ns/name: spec.x: message [layer rule]`. */
export function formatFinding(finding: ValidationFinding): string {
  const where = finding.path ? `${finding.object} ${finding.path}` : finding.object;
  return `${where}: ${finding.message} [${finding.layer}: ${finding.rule}]`;
}
