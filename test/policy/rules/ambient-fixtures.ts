import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { corpusObjects } from './mesh-token-fixtures';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL } from '../../../src/mesh/data-plane';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admitsExpression } from '../../../src/policy/admission-cel';
import { PolicyRule, RuleObject, RuleViolation, checkEach } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';

/** Fixtures of the ambient rule tests (MESH-AMBIENT-001..004). */

export const AMBIENT = { [DATAPLANE_MODE_LABEL]: AMBIENT_MODE };

/** A Namespace with these labels (none: no labels at all). */
export function namespace(name: string, labels?: { [key: string]: string }): RuleObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}

/** Namespace `shop` in ambient mode. */
export const AMBIENT_NS = namespace('shop', AMBIENT);

/**
 * Namespaces named `shop` that are not ambient: sidecar mode (by label or revision), out of the
 * mesh, and the two that carry both the ambient label and a sidecar-injection label (sidecar
 * injection wins: Istio's `NamespaceInAmbientMode` analyzer and the "Pod selection logic" docs).
 */
export const NOT_AMBIENT: [string, RuleObject][] = [
  ['sidecar namespace (istio-injection: enabled)', namespace('shop', { 'istio-injection': 'enabled' })],
  ['sidecar namespace (istio.io/rev)', namespace('shop', { 'istio.io/rev': 'stable' })],
  ['namespace without labels', namespace('shop')],
  ['dataplane-mode none on the namespace', namespace('shop', { [DATAPLANE_MODE_LABEL]: 'none' })],
  ['dataplane-mode Ambient (case matters)', namespace('shop', { [DATAPLANE_MODE_LABEL]: 'Ambient' })],
  ['ambient label and istio-injection: enabled (being migrated: sidecars win)', namespace('shop', { ...AMBIENT, 'istio-injection': 'enabled' })],
  ['ambient label and istio.io/rev (the revision injects sidecars)', namespace('shop', { ...AMBIENT, 'istio.io/rev': 'stable' })],
];

/** Namespaces still ambient despite nearby labels. */
export const STILL_AMBIENT: [string, RuleObject][] = [
  ['ambient namespace', AMBIENT_NS],
  ['ambient with istio-injection: disabled', namespace('shop', { ...AMBIENT, 'istio-injection': 'disabled' })],
  ['ambient with an empty istio.io/rev', namespace('shop', { ...AMBIENT, 'istio.io/rev': '' })],
  ['ambient with use-waypoint', namespace('shop', { ...AMBIENT, 'istio.io/use-waypoint': 'waypoint' })],
];

/** What `rule.check` reports for `object` with `ns` (if any) as the only other object of the context. */
export function checkIn(rule: PolicyRule, object: RuleObject, ns?: RuleObject): RuleViolation[] {
  return rule.check(object, ruleContext(ns ? [ns, object] : [object]));
}

/** Whether the admission form admits `object` with `ns` as `namespaceObject` (null when absent). */
export function admitsIn(rule: PolicyRule, object: RuleObject, ns?: RuleObject): boolean {
  return admitsExpression(rule.admission!.expression, object, undefined, { namespaceObject: ns ?? null });
}

/** Asserts that check() and admission agree on `object` with namespace `ns`. */
export function expectAgreement(rule: PolicyRule, object: RuleObject, ns?: RuleObject): void {
  expect(admitsIn(rule, object, ns)).toBe(checkIn(rule, object, ns).length === 0);
}

/** Every violation of `rule` over a set of objects checked together, as `Kind/name path`. */
export function findingsOver(rule: PolicyRule, objects: readonly RuleObject[]): string[] {
  return checkEach([rule], objects, ruleContext(objects)).map((c) => `${objects[c.index].kind}/${objects[c.index].metadata?.name} ${c.violation.path}`);
}

export const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

/**
 * The library's sidecar blueprint: namespace `shop` with `web` calling `api` on a path and method
 * (an L7 grant), and `api` requiring a JWT; with `l7: false`, `web` calls `api` on its port only
 * and no JWT is required.
 */
export function sidecarShop(l7 = true): { chart: Chart; shop: HardenedNamespace } {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'ns', { name: 'shop' });
  const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  const api = new SecureService(chart, 'api', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
  if (!l7) {
    api.allowFrom(web, { ports: [9080] });
    return { chart, shop };
  }
  api.allowFrom(web, { paths: ['/orders'], methods: ['GET'] });
  api.requireJwt({ issuer: 'https://sts.example.com', jwksUri: 'https://sts.example.com/jwks', audiences: ['api'] });
  return { chart, shop };
}

/**
 * The foot-gun route: a JSON patch on the library's sidecar Namespace that turns it ambient
 * (injection label removed, `istio.io/dataplane-mode: ambient` added), leaving its sidecar-mode
 * policies and Sidecar behind.
 */
export function flipToAmbient(chart: Chart): void {
  const ns = chart.node.findAll().find((c) => c instanceof ApiObject && c.kind === 'Namespace' && c.metadata.name === 'shop') as ApiObject;
  ns.addJsonPatch(JsonPatch.remove('/metadata/labels/istio-injection'), JsonPatch.add('/metadata/labels/istio.io~1dataplane-mode', AMBIENT_MODE));
}

/**
 * The library's sidecar output with its Namespace relabelled ambient afterwards (as a later
 * `kubectl label` would): what the sidecar-mode policies mean once ztunnel enforces them. Edited
 * after synthesis, so it stays valid whatever rules synthesis enforces.
 */
export function sidecarOutputRelabelledAmbient(objects: readonly any[]): RuleObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Namespace' || o.metadata?.name !== 'shop') return o;
    const { 'istio-injection': _injection, ...labels } = o.metadata.labels ?? {};
    return { ...o, metadata: { ...o.metadata, labels: { ...labels, ...AMBIENT } } };
  });
}

let blueprint: any[] | undefined;
/**
 * The example blueprint (examples/blueprint: Bookinfo in a sidecar HardenedNamespace, ingress and
 * egress gateways, jobs, a StatefulSet), synthesized once per test file.
 */
export function sidecarBlueprint(): any[] {
  return (blueprint ??= Testing.synth(new BlueprintChart(Testing.app(), 'blueprint')));
}

/** The objects of ../shared/external-corpus (every upstream resource). */
export function corpus(dir: string): RuleObject[] {
  return corpusObjects(dir).map((c) => c.object);
}

/** A row of a BAD table: name, object, then what the rule's test expects of its violations. */
export type AmbientBadRow = [string, RuleObject, ...unknown[]];

/**
 * The table tests every ambient rule shares: in each namespace that is still ambient, `good`
 * passes and `bad` fails (`expectFailure` judges the violations of a row) in check() and at
 * admission alike; in each namespace that is not ambient everything passes (`notAmbient` says
 * why); a namespace the context does not hold says nothing; and check() agrees with the admission
 * CEL for every object in every namespace.
 */
export function describeAmbientTable(rule: PolicyRule, good: [string, RuleObject][], bad: AmbientBadRow[],
  options: { readonly notAmbient: string; readonly expectFailure: (violations: RuleViolation[], row: AmbientBadRow) => void }): void {
  const badObjects = bad.map(([n, o]): [string, RuleObject] => [n, o]);
  describe.each(STILL_AMBIENT)('in an %s', (_ns, ns) => {
    test.each(good)('passes: %s', (_name, object) => {
      expect(checkIn(rule, object, ns)).toEqual([]);
      expect(admitsIn(rule, object, ns)).toBe(true);
    });

    test.each(bad)('fails: %s', (...row) => {
      options.expectFailure(checkIn(rule, row[1], ns), row);
      expect(admitsIn(rule, row[1], ns)).toBe(false);
    });
  });

  describe.each(NOT_AMBIENT)(`in a %s ${options.notAmbient}`, (_ns, ns) => {
    test.each([...good, ...badObjects])('%s', (_name, object) => {
      expect(checkIn(rule, object, ns)).toEqual([]);
      expect(admitsIn(rule, object, ns)).toBe(true);
    });
  });

  test.each(badObjects)('a namespace the context does not hold says nothing: %s', (_name, object) => {
    expect(checkIn(rule, object)).toEqual([]);
    expect(rule.check(object, ruleContext([namespace('other', AMBIENT), object]))).toEqual([]);
    expect(admitsIn(rule, object)).toBe(true);
  });

  describe('check() and admission CEL agree', () => {
    const namespaces: [string, RuleObject | undefined][] = [...STILL_AMBIENT, ...NOT_AMBIENT, ['no namespace object', undefined]];
    test.each(namespaces)('in a %s', (_ns, ns) => {
      for (const [, object] of [...good, ...badObjects]) expectAgreement(rule, object, ns);
    });
  });
}
