import { CoreKind, lookupCoreKind } from './core-catalog';
import { CrdCatalog, CrdVersion, pinnedCrdCatalog, pinnedGatewayApiCatalog } from './crd-catalog';
import { ValidationFinding, ValidationLayer } from './finding';
import { gkeCrdCatalog } from './gke-crds';
import { formatPath } from './json-path';
import { checkObjectMeta } from './object-meta';
import { describeObject, parseApiVersion } from './object-ref';
import { RawFinding } from './raw-finding';
import { fromSchemaError } from './schema-errors';
import { webhookValidatorFor } from './webhook';

let harness: CrdCatalog | undefined;

/**
 * The custom resources the harness serves by default: the pinned Istio CRDs and the pinned Gateway
 * API CRDs (generated from the pinned releases, `pinnedCrdSource`, `pinnedGatewayApiSource`), and
 * the hand-written schemas of the GKE kinds the library writes (BackendConfig, GCPBackendPolicy,
 * HealthCheckPolicy; `gkeCrdProvenance`).
 */
export function harnessCrdCatalog(): CrdCatalog {
  harness ??= CrdCatalog.combine(pinnedCrdCatalog(), pinnedGatewayApiCatalog(), gkeCrdCatalog());
  return harness;
}

/**
 * Validates each object as a GKE cluster with the pinned Istio installed would at admission:
 * API server rules (served kind, names, labels), OpenAPI schema with strict field validation,
 * the CRD's CEL rules, and istiod's validating webhook.
 */
export function validateObjects(objects: readonly unknown[], crds: CrdCatalog = harnessCrdCatalog()): ValidationFinding[] {
  const findings: ValidationFinding[] = [];
  objects.forEach((obj, documentIndex) => {
    const object = describeObject(obj);
    for (const raw of validateObject(obj, crds)) {
      findings.push({ object, path: formatPath(raw.path), rule: raw.rule, message: raw.message, layer: raw.layer, documentIndex });
    }
  });
  return findings;
}

function apiServerError(path: RawFinding['path'], rule: string, message: string): RawFinding {
  return { path, rule, message, layer: ValidationLayer.API_SERVER };
}

function validateObject(obj: any, crds: CrdCatalog): RawFinding[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [apiServerError([], 'object', 'a manifest must be a mapping with apiVersion, kind and metadata')];
  }
  if (typeof obj.apiVersion !== 'string' || !obj.apiVersion || typeof obj.kind !== 'string' || !obj.kind) {
    return [apiServerError(typeof obj.apiVersion === 'string' && obj.apiVersion ? ['kind'] : ['apiVersion'], 'type meta', 'apiVersion and kind are required strings')];
  }
  const { group, version } = parseApiVersion(obj.apiVersion);
  if (crds.hasKind(group, obj.kind)) {
    const crd = crds.lookup(group, version, obj.kind);
    if (!crd) {
      return [apiServerError(['apiVersion'], 'served version',
        `${obj.apiVersion} ${obj.kind} is not a served version (pinned Istio CRDs, GKE schemas); use one of: ${crds.servedVersions(group, obj.kind).map((v) => `${group}/${v}`).join(', ')}`)];
    }
    return [...checkScope(obj, crd), ...checkObjectMeta(obj, group, obj.kind), ...checkCustomResource(obj, crd, crds)];
  }
  const core = lookupCoreKind(obj.apiVersion, obj.kind);
  if (!core) {
    return [apiServerError(['apiVersion'], 'served kind',
      `no API serves ${obj.apiVersion} ${obj.kind}: it is neither a Kubernetes built-in kind nor served by the pinned Istio or Gateway API CRDs `
      + 'or the GKE schemas (BackendConfig, GCPBackendPolicy, HealthCheckPolicy)')];
  }
  return [...checkScope(obj, core), ...checkObjectMeta(obj, group, obj.kind), ...checkBuiltIn(obj, core)];
}

function checkScope(obj: any, kind: CrdVersion | CoreKind): RawFinding[] {
  if (!kind.namespaced && obj.metadata?.namespace) {
    return [apiServerError(['metadata', 'namespace'], 'cluster-scoped', `${obj.kind} is cluster-scoped: remove metadata.namespace`)];
  }
  return [];
}

function checkCustomResource(obj: any, crd: CrdVersion, crds: CrdCatalog): RawFinding[] {
  // Unknown-field messages name the hand-written GKE schemas as such: a field GKE added since is
  // missing there, not in the user's object.
  const schemaName = gkeCrdCatalog().lookup(crd.group, crd.version, crd.kind) === crd
    ? `the hand-written ${crd.group}/${crd.version} ${crd.kind} schema (schemas/gke-crds.json)`
    : `the ${crd.group}/${crd.version} ${crd.kind} CRD schema`;
  const findings = crds.validate(crd, obj).map((e) => fromSchemaError(e, schemaName, obj));
  const webhook = webhookValidatorFor(crd.group, crd.kind);
  if (webhook) {
    for (const v of webhook(obj)) {
      findings.push({ path: v.path, rule: v.rule, message: v.message, layer: ValidationLayer.WEBHOOK });
    }
  }
  return findings;
}

function checkBuiltIn(obj: any, core: CoreKind): RawFinding[] {
  const schemaName = `the Kubernetes ${obj.apiVersion} ${core.kind} schema`;
  return core.validate(obj).map((e) => fromSchemaError(e, schemaName, obj));
}
