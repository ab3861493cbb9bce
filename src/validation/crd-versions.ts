import { parseAllDocuments } from 'yaml';
import type { StructuralSchema } from './cel/cel-value';

/** One served version of one CRD. */
export interface CrdVersion {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The resource name (`authorizationpolicies`), when known. */
  readonly plural?: string;
  readonly namespaced: boolean;
  readonly schema: StructuralSchema;
}

/**
 * The served versions of every CustomResourceDefinition in a multi-document YAML text (other
 * documents are ignored). The build writes them for the pinned CRDs (build-tools/generate.ts);
 * `CrdCatalog.fromYaml` reads any other CRDs the same way.
 */
export function servedCrdVersions(text: string): CrdVersion[] {
  const versions: CrdVersion[] = [];
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as any;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec.versions ?? []) {
      if (!v.served) continue;
      versions.push({
        group: crd.spec.group,
        version: v.name,
        kind: crd.spec.names.kind,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === 'Namespaced',
        schema: v.schema.openAPIV3Schema,
      });
    }
  }
  return versions;
}
