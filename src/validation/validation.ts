import { App, Chart } from 'cdk8s';
import { ValidationFinding, formatFinding } from './finding';

/**
 * The validation engine (schemas, CEL, webhook rules) and the YAML parser load on first use, so
 * an app that imports the library for its constructs does not pay for them.
 */
function validateObjects(objects: readonly unknown[]): ValidationFinding[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./manifest-validator') as { validateObjects(o: readonly unknown[]): ValidationFinding[] }).validateObjects(objects);
}

function parseAllDocuments(text: string): { errors: { message: string }[]; toJS(): unknown }[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as typeof import('yaml')).parseAllDocuments(text) as any;
}

/**
 * Offline admission check for synthesized manifests: would a Kubernetes API server with the
 * pinned Istio 1.30.3 CRDs and istiod's validating webhook accept these objects?
 *
 * Each object is checked as the cluster would check it on create:
 * - the API server: the apiVersion/kind must be served (built-in, by the pinned Istio CRDs, or one
 *   of the GKE kinds `IngressGateway.edgeProtection` writes: BackendConfig, GCPBackendPolicy and
 *   HealthCheckPolicy), names, namespaces, label and annotation keys/values must follow
 *   Kubernetes' syntax rules;
 * - the OpenAPI v3 schema (Kubernetes' own for built-in kinds, the CRD's for Istio kinds, the
 *   library's hand-written schemas for the GKE kinds, see schemas/gke-crds.json) with strict
 *   field validation, so unknown fields in Istio and GKE objects are errors;
 * - every `x-kubernetes-validations` CEL rule of the CRD, with the Kubernetes CEL library;
 * - istiod's validating webhook rules for AuthorizationPolicy, PeerAuthentication,
 *   RequestAuthentication, Sidecar, ServiceEntry, DestinationRule, VirtualService, Gateway and Telemetry.
 *
 * Use it in snapshot tests: `Validation.assertValid(Testing.synth(chart))`.
 */
export class Validation {
  /** Validates parsed manifests (objects as in `Testing.synth(chart)` or `chart.toJson()`); returns every finding. */
  public static validateManifests(manifests: any[]): ValidationFinding[] {
    return validateObjects(manifests);
  }

  /** Validates a multi-document YAML string, such as a file `cdk8s synth` wrote. */
  public static validateYaml(yaml: string): ValidationFinding[] {
    const objects: unknown[] = [];
    for (const doc of parseAllDocuments(yaml)) {
      if (doc.errors.length > 0) {
        throw new Error(`Invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      }
      const value = doc.toJS();
      if (value !== null && value !== undefined) objects.push(value);
    }
    return validateObjects(objects);
  }

  /** Validates every object of a chart. */
  public static validateChart(chart: Chart): ValidationFinding[] {
    return validateObjects(chart.toJson());
  }

  /** Validates every object of every chart of an app. */
  public static validateApp(app: App): ValidationFinding[] {
    return validateObjects(app.charts.flatMap((chart) => chart.toJson()));
  }

  /**
   * Throws when any manifest would be rejected; the error lists every finding with the object,
   * the field path and the rule broken.
   */
  public static assertValid(manifests: any[]): void {
    const findings = validateObjects(manifests);
    if (findings.length > 0) {
      throw new Error(`${findings.length} manifest validation finding(s):\n${Validation.formatFindings(findings)}`);
    }
  }

  /** One line per finding: `Kind/ns/name spec.path: message [layer: rule]`. */
  public static formatFindings(findings: ValidationFinding[]): string {
    return findings.map((f) => `  - ${formatFinding(f)}`).join('\n');
  }

  private constructor() {}
}
