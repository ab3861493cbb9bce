import { readFileSync } from 'fs';
import { isIPv4, isIPv6 } from 'net';
import { join } from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { CelValidationRule, evaluateCelRule } from './cel/cel-rule';
import { StructuralSchema, toCelValue } from './cel/cel-value';
import { CrdVersion, servedCrdVersions } from './crd-versions';
import { checkListType } from './list-type';

export type { CrdVersion } from './crd-versions';

/**
 * The pinned Istio CRDs' served versions, as `npx projen import` extracted them from the pinned
 * upstream file (committed, shipped in the package; the same path from src/ and lib/).
 */
export const PINNED_ISTIO_SCHEMAS = join(__dirname, '..', '..', 'schemas', 'istio-crds.json');

/**
 * The pinned Gateway API CRDs' served versions (the standard channel of the release Istio uses),
 * extracted by `npx projen import` like the Istio ones.
 */
export const PINNED_GATEWAY_API_SCHEMAS = join(__dirname, '..', '..', 'schemas', 'gateway-api-crds.json');

/** What the build records about the pinned CRDs it extracted the schemas from. */
export interface PinnedCrdSource {
  readonly project: string;
  readonly version: string;
  readonly url: string;
  readonly sha256: string;
}

/** The extracted schemas of each pinned CRD file, parsed once per process. */
const loaded = new Map<string, { catalog: CrdCatalog; source: PinnedCrdSource }>();

function loadPinned(file: string): { catalog: CrdCatalog; source: PinnedCrdSource } {
  let pin = loaded.get(file);
  if (!pin) {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { generatedFrom: PinnedCrdSource; versions: CrdVersion[] };
    pin = { catalog: CrdCatalog.fromVersions(json.versions), source: json.generatedFrom };
    loaded.set(file, pin);
  }
  return pin;
}

/**
 * The catalog of the pinned Istio CRDs (Istio 1.30.3), loaded once per process: only what
 * `pinnedCrdSource` names. The validation harness serves these, the pinned Gateway API CRDs and
 * the hand-written GKE schemas (`harnessCrdCatalog` in manifest-validator.ts).
 */
export function pinnedCrdCatalog(): CrdCatalog {
  return loadPinned(PINNED_ISTIO_SCHEMAS).catalog;
}

/** Which upstream release (and file checksum) the pinned catalog was built from. */
export function pinnedCrdSource(): PinnedCrdSource {
  return loadPinned(PINNED_ISTIO_SCHEMAS).source;
}

/** The catalog of the pinned Gateway API CRDs (v1.5.1 standard channel), loaded once per process. */
export function pinnedGatewayApiCatalog(): CrdCatalog {
  return loadPinned(PINNED_GATEWAY_API_SCHEMAS).catalog;
}

/** Which Gateway API release (and file checksum) its catalog was built from. */
export function pinnedGatewayApiSource(): PinnedCrdSource {
  return loadPinned(PINNED_GATEWAY_API_SCHEMAS).source;
}

/**
 * The kinds and versions a set of CRDs serves, with their schemas compiled on first use into
 * validators that behave like the API server with strict field validation: unknown fields are
 * errors, `x-kubernetes-validations` CEL rules run on the path they are declared on, and
 * `x-kubernetes-list-type` set/map lists reject duplicates.
 */
export class CrdCatalog {
  /** Reads the CRDs in a multi-document YAML file. */
  public static fromFile(file: string): CrdCatalog {
    return CrdCatalog.fromYaml(readFileSync(file, 'utf8'));
  }

  /** Served versions as the build extracts them (see build-tools/generate.ts). */
  public static fromVersions(versions: readonly CrdVersion[]): CrdCatalog {
    return new CrdCatalog(versions);
  }

  /** Reads the CRDs in a multi-document YAML text (their served versions). */
  public static fromYaml(text: string): CrdCatalog {
    return new CrdCatalog(servedCrdVersions(text));
  }

  /**
   * One catalog serving the versions of all of `catalogs`, in order. Two catalogs serving the
   * same group, version and kind is an error: one of the schemas would be silently ignored.
   */
  public static combine(...catalogs: CrdCatalog[]): CrdCatalog {
    const versions = catalogs.flatMap((c) => c.versions());
    const seen = new Set<string>();
    for (const v of versions) {
      const key = `${v.group}/${v.version} ${v.kind}`;
      if (seen.has(key)) throw new Error(`CrdCatalog.combine: ${key} is served by more than one catalog`);
      seen.add(key);
    }
    return new CrdCatalog(versions);
  }

  private readonly byGvk = new Map<string, CrdVersion>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly defaulters = new Map<string, ValidateFunction>();
  private defaultingAjv?: Ajv;
  private ajv?: Ajv;

  private constructor(versions: readonly CrdVersion[]) {
    for (const v of versions) this.byGvk.set(`${v.group}/${v.version}/${v.kind}`, v);
  }

  /** The served version, or undefined when the CRDs do not serve `group/version` `kind`. */
  public lookup(group: string, version: string, kind: string): CrdVersion | undefined {
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  /** Every served version, in the order of the CRDs. */
  public versions(): CrdVersion[] {
    return [...this.byGvk.values()];
  }

  /** Whether any CRD defines `kind` in `group` (in any version). */
  public hasKind(group: string, kind: string): boolean {
    return [...this.byGvk.values()].some((v) => v.group === group && v.kind === kind);
  }

  /** The versions of `group` `kind` that are served. */
  public servedVersions(group: string, kind: string): string[] {
    return [...this.byGvk.values()].filter((v) => v.group === group && v.kind === kind).map((v) => v.version);
  }

  /** Validates an object of a served kind; returns Ajv's errors (CEL and list-type errors included). */
  public validate(crd: CrdVersion, obj: unknown): ErrorObject[] {
    const key = `${crd.group}/${crd.version}/${crd.kind}`;
    // The API server applies a schema's defaults before it validates (structural defaulting), and
    // CEL rules read defaulted fields (Gateway API's `group`, `matches`): apply them to a copy.
    let validator = this.validators.get(key);
    if (!validator) {
      validator = this.compiler(false).compile(toStrictSchema(crd.schema));
      this.validators.set(key, validator);
    }
    if (!hasDefaults(crd.schema)) return validator(obj) ? [] : [...(validator.errors ?? [])];
    let defaulter = this.defaulters.get(key);
    if (!defaulter) {
      defaulter = this.compiler(true).compile(toStrictSchema(crd.schema));
      this.defaulters.set(key, defaulter);
    }
    const defaulted = JSON.parse(JSON.stringify(obj ?? null));
    defaulter(defaulted);
    return validator(defaulted) ? [] : [...(validator.errors ?? [])];
  }

  /** Ajv that validates, or (`defaults`) one that only fills in a schema's defaults (its CEL and list-type keywords inert). */
  private compiler(defaults: boolean): Ajv {
    if (defaults) return (this.defaultingAjv ??= this.newAjv(true));
    return (this.ajv ??= this.newAjv(false));
  }

  private newAjv(useDefaults: boolean): Ajv {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, useDefaults });
    for (const annotation of [
      'x-kubernetes-list-map-keys', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-map-type',
    ]) {
      ajv.addKeyword({ keyword: annotation });
    }
    if (useDefaults) {
      ajv.addKeyword({ keyword: 'x-kubernetes-validations' });
      ajv.addKeyword({ keyword: 'x-kubernetes-list-type' });
    } else {
      ajv.addKeyword({ keyword: 'x-kubernetes-validations', schemaType: 'array', errors: true, validate: celKeyword });
      ajv.addKeyword({ keyword: 'x-kubernetes-list-type', schemaType: 'string', errors: true, validate: listTypeKeyword });
    }
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat('double', { type: 'number', validate: () => true });
    ajv.addFormat('float', { type: 'number', validate: () => true });
    ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
    // kube-openapi's formats: an address that Go's net.ParseIP reads as IPv4 / IPv6.
    ajv.addFormat('ipv4', { type: 'string', validate: (v: string) => isIPv4(v) });
    ajv.addFormat('ipv6', { type: 'string', validate: (v: string) => isIPv6(v) });
    return ajv;
  }
}

/** Whether a schema declares a default anywhere. */
function hasDefaults(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(hasDefaults);
  if (schema === null || typeof schema !== 'object') return false;
  return Object.entries(schema).some(([k, v]) => k === 'default' || hasDefaults(v));
}

type KeywordValidate = ((schema: any, data: any, parentSchema?: any) => boolean) & { errors?: Partial<ErrorObject>[] };

/** Runs the CEL rules declared on a schema node against the value at that node. */
const celKeyword: KeywordValidate = function (rules: CelValidationRule[], data: unknown, parentSchema?: StructuralSchema): boolean {
  const errors: Partial<ErrorObject>[] = [];
  const self = toCelValue(data, parentSchema);
  for (const rule of rules) {
    const outcome = evaluateCelRule(rule, self);
    if (outcome.kind === 'pass') continue;
    errors.push({
      keyword: 'x-kubernetes-validations',
      message: outcome.message,
      params: { rule: rule.rule, evaluationError: outcome.kind === 'error', fieldPath: rule.fieldPath },
    });
  }
  celKeyword.errors = errors;
  return errors.length === 0;
};

/** Rejects duplicates in `set` lists and duplicate keys in `map` lists. */
const listTypeKeyword: KeywordValidate = function (listType: string, data: unknown, parentSchema?: StructuralSchema): boolean {
  const problems = checkListType(listType, (parentSchema?.['x-kubernetes-list-map-keys'] as string[]) ?? [], data);
  listTypeKeyword.errors = problems.map((message) => ({ keyword: 'x-kubernetes-list-type', message, params: { listType } }));
  return problems.length === 0;
};

/**
 * Rewrites a structural schema into a JSON schema Ajv can enforce like the API server:
 * objects that declare properties refuse undeclared ones (strict field validation) unless
 * `x-kubernetes-preserve-unknown-fields` is set, int-or-string fields take integers or strings,
 * and the root also admits apiVersion, kind and metadata (checked by the other layers).
 */
export function toStrictSchema(root: StructuralSchema): StructuralSchema {
  const strict = rewrite(root) as any;
  strict.properties = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    ...strict.properties,
  };
  return strict;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // Keyword values that are not schemas are copied as they are.
    out[key] = ['enum', 'required', 'x-kubernetes-validations', 'x-kubernetes-list-map-keys', 'default', 'example'].includes(key)
      ? value
      : key === 'properties'
        ? Object.fromEntries(Object.entries(value as object).map(([p, s]) => [p, rewrite(s)]))
        : rewrite(value);
  }
  if (out['x-kubernetes-int-or-string'] === true && !out.type && !out.anyOf) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}
