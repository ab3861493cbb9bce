import { Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Validation } from '../src';
import { PolicyException } from '../src/policy/policy-exception';

/**
 * Synthesizes a chart and asserts that every object passes the validation harness (API server,
 * schema with strict fields, CEL, istiod webhook). Every test that synthesizes uses it.
 */
export function synthValidated(chart: Chart): any[] {
  const objects = Testing.synth(chart);
  Validation.assertValid(objects);
  return objects;
}

/** The objects of one kind (optionally in one namespace). */
export function ofKind(objects: any[], kind: string, namespace?: string): any[] {
  return objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata?.namespace === namespace));
}

/** The one object of a kind with this name (and namespace); fails the test when absent. */
export function findObject(objects: any[], kind: string, name: string, namespace?: string): any {
  const found = ofKind(objects, kind, namespace).filter((o) => o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}`);
  return found[0];
}

/** The day `days` after "today" as synthesis sees it from `scope` (the pinned clock, else the real one), for exception expiries. */
export function inDays(scope: IConstruct, days: number): string {
  return new Date(Date.parse(`${PolicyException.today(scope)}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** JSON with the keys of every object sorted: two objects that mean the same give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
