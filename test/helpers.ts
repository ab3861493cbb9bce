import { Chart, Testing } from 'cdk8s';
import { Validation } from '../src';

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
