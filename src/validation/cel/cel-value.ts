/** The parts of a structural OpenAPI schema that decide how a value looks to CEL. */
export interface StructuralSchema {
  readonly 'type'?: string;
  readonly 'properties'?: Record<string, StructuralSchema>;
  readonly 'additionalProperties'?: StructuralSchema | boolean;
  readonly 'items'?: StructuralSchema;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly [key: string]: unknown;
}

/**
 * Converts a JSON value to the CEL value the API server would bind to `self`, guided by the
 * schema: `integer` (and int-or-string numbers) become CEL `int` (bigint), `number` stays `double`,
 * objects become maps whose fields are converted by their own schemas.
 */
export function toCelValue(value: unknown, schema: StructuralSchema | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    const wantsInt = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] === true;
    return wantsInt && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCelValue(item, schema?.items));
  if (typeof value === 'object') {
    const out = new Map<string, unknown>();
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema =
        schema?.properties?.[key] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      out.set(key, toCelValue(child, childSchema));
    }
    return out;
  }
  return value;
}
