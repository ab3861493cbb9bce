import { readFileSync } from 'fs';
import { join } from 'path';
import { CrdCatalog, CrdVersion } from './crd-catalog';

/**
 * The schemas of the GKE custom resources the library writes (`IngressGateway.edgeProtection`):
 * BackendConfig (cloud.google.com v1 and v1beta1), GCPBackendPolicy and HealthCheckPolicy
 * (networking.gke.io/v1). Committed and shipped in the package (the same path from src/ and lib/).
 *
 * Unlike `schemas/istio-crds.json`, they are hand-written, not generated from a pinned upstream
 * file: no pinned copy of GKE's CRDs exists. Each one is our reading of the upstream Go API types
 * and GKE's documentation, which the file lists per kind (`handWritten.sources`: repository, files,
 * the commits read, documentation pages).
 */
export const GKE_SCHEMAS = join(__dirname, '..', '..', 'schemas', 'gke-crds.json');

/** Where one hand-written schema comes from. */
export interface GkeSchemaSource {
  readonly apiVersion: string;
  readonly kind: string;
  /** GitHub `owner/name` of the upstream API types. */
  readonly repository: string;
  /** The files of `repository` the schema follows. */
  readonly files: string[];
  /** The commits of those files that were read. */
  readonly commits: string[];
  /** GKE documentation pages of the kind. */
  readonly docs: string[];
}

/** The provenance recorded in `schemas/gke-crds.json`. */
export interface GkeSchemasProvenance {
  /** How the schemas were written and how far they go. */
  readonly note: string;
  /** Documented rules of these kinds the schemas do not check, and who does. */
  readonly notChecked: string[];
  readonly sources: GkeSchemaSource[];
}

let loaded: { catalog: CrdCatalog; provenance: GkeSchemasProvenance } | undefined;

function load(): { catalog: CrdCatalog; provenance: GkeSchemasProvenance } {
  if (!loaded) {
    const json = JSON.parse(readFileSync(GKE_SCHEMAS, 'utf8')) as { handWritten: GkeSchemasProvenance; versions: CrdVersion[] };
    loaded = { catalog: CrdCatalog.fromVersions(json.versions), provenance: json.handWritten };
  }
  return loaded;
}

/** The catalog of the hand-written GKE schemas, loaded once per process. */
export function gkeCrdCatalog(): CrdCatalog {
  return load().catalog;
}

/** How the GKE schemas were written, and from which upstream files and pages. */
export function gkeCrdProvenance(): GkeSchemasProvenance {
  return load().provenance;
}
