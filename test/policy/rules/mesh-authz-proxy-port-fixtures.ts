import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject } from '../../../src/policy/rule';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';

/** Fixtures shared by the MESH-AUTHZ-009 (DENY, CUSTOM) and MESH-AUTHZ-010 (ALLOW, AUDIT) tests: proxy ports in AuthorizationPolicies. */

/**
 * An AuthorizationPolicy in `shop` with `action` (omitted when undefined) and `rules`, selecting
 * `app: web` unless `extra` attaches it with targetRef(s) (Istio accepts only one of them).
 */
export function policy(action: string | undefined, rules: unknown, extra: object = {}, name = 'web-policy'): RuleObject {
  const attached = 'targetRef' in extra || 'targetRefs' in extra;
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { ...(attached ? {} : { selector: { matchLabels: { app: 'web' } } }), ...(action === undefined ? {} : { action }), rules, ...extra },
  };
}

/** A rule from the monitoring namespace to `ports`. */
export const toPorts = (...ports: string[]) => ({ from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports } }] });
/** A rule with a condition on `destination.port`. */
export const whenPort = (list: 'values' | 'notValues', ...values: string[]) => ({
  from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }],
  when: [{ key: 'request.headers[x-scrape]', values: ['1'] }, { key: 'destination.port', [list]: values }],
});
/** A rule to other ports (`notPorts`). */
export const toNotPorts = (...notPorts: string[]) => ({ to: [{ operation: { notPorts } }] });

/** A gateway policy (istio: ingressgateway in istio-system). */
export function gatewayPolicy(action: string, rules: unknown): RuleObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'edge-health', namespace: 'istio-system' },
    spec: { selector: { matchLabels: { istio: 'ingressgateway' } }, action, rules },
  };
}

/** A waypoint policy (targetRefs) and one with the deprecated single targetRef. */
export const WAYPOINT = { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] };
export const SERVICE_TARGET = { targetRef: { kind: 'Service', group: '', name: 'web' } };

/** The objects of `kind` in other projects' manifests under `dir` (every YAML document, any depth), with the file they come from. */
export function objectsOfKindUnder(dir: string, kind: string): { file: string; object: RuleObject }[] {
  const out: { file: string; object: RuleObject }[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(p);
      } else if (/\.ya?ml$/.test(entry.name)) {
        for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
          const o = doc.toJS();
          if (o && o.kind === kind) out.push({ file: path.relative(dir, p), object: o });
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** The AuthorizationPolicies under `dir` (see {@link objectsOfKindUnder}). */
export function authorizationPoliciesUnder(dir: string): { file: string; object: RuleObject }[] {
  return objectsOfKindUnder(dir, 'AuthorizationPolicy');
}

/** A small app of the library's own: baseline (with a monitoring namespace), a namespace, two services and a grant. */
export function shopApp(): { chart: Chart; web: SecureService; api: SecureService } {
  const chart = new Chart(Testing.app(), 'test');
  new MeshBaseline(chart, 'mesh', { monitoringNamespace: 'monitoring' });
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const image = `gcr.io/acme/web@sha256:${'a'.repeat(64)}`;
  const web = new SecureService(chart, 'web', { namespace: ns, image, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
  const api = new SecureService(chart, 'api', { namespace: ns, image, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
  api.allowFrom(web, { ports: [9080] });
  return { chart, web, api };
}
