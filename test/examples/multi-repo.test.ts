import * as fs from 'fs';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { BOOKINFO_MESH_CALLS, EGRESS_GATEWAY, INGRESS_GATEWAY } from './bookinfo-calls';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { BookinfoAppChart } from '../../examples/multi-repo/app-bookinfo/bookinfo-app';
import { PlatformChart } from '../../examples/multi-repo/platform/platform';
import { MeshContract, PolicyEnforcement, SecureMeshConfig } from '../../src';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { AuditResult, auditManifests, auditSettingsOf } from '../../src/audit/audit';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import { synthValidated } from '../helpers';

/**
 * The multi-repo example (issue 18): the Bookinfo blueprint split into the platform team's
 * repository and the Bookinfo team's, joined by the platform's mesh contract. Each synthesizes
 * alone with zero findings; both outputs together are the one-app blueprint's objects, so their
 * audit and access matrix are its; a grant written on one side only is reported.
 */

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'multi-repo');
const settings = (repo: string) => auditSettingsOf(SecureMeshConfig.fromFile(path.join(EXAMPLE, repo, 'secure-mesh.yaml')));
const loaded = (objects: any[], file: string): LoadedManifest[] => objects.map((object, i) => ({ object, file, line: i + 1, documentIndex: i }));
const findingsOf = (result: AuditResult) => result.findings.map((f) => `${f.ruleId} ${f.object} ${f.path}`);

function platform(): { app: App; objects: any[] } {
  const app = Testing.app();
  const chart = new PlatformChart(app, 'platform');
  const objects = synthValidated(chart);
  expect(PolicyEnforcement.of(chart).report.findings).toEqual([]);
  return { app, objects };
}

function bookinfoApp(contractYaml: string): any[] {
  const app = Testing.app();
  const contract = MeshContract.fromYaml(app, 'contract', contractYaml, 'mesh-contract.yaml');
  const chart = new BookinfoAppChart(app, 'bookinfo', { contract });
  const objects = synthValidated(chart);
  expect(PolicyEnforcement.of(chart).report.findings).toEqual([]);
  return objects;
}

/** Objects as sorted JSON lines: an order-insensitive set to compare outputs. */
const asSet = (objects: any[]) => objects.map((o) => JSON.stringify(o)).sort();

describe('examples/multi-repo: a platform repository and an app team\'s, one mesh', () => {
  const plat = platform();
  const contract = MeshContract.yamlOf(plat.app);
  const app = bookinfoApp(contract);
  const oneApp = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint'));

  test('the committed contract is the platform app\'s (regenerate with the platform\'s main.ts)', () => {
    expect(fs.readFileSync(path.join(EXAMPLE, 'platform', MeshContract.FILE_NAME), 'utf8')).toBe(contract);
    expect(MeshContract.yamlOf(platform().app)).toBe(contract);
  });

  test('each repository alone: zero findings in synthesis and in its own audit', () => {
    expect(findingsOf(auditManifests(loaded(plat.objects, 'platform.yaml'), settings('platform')))).toEqual([]);
    expect(findingsOf(auditManifests(loaded(app, 'bookinfo.yaml'), settings('app-bookinfo')))).toEqual([]);
  });

  test('the app team\'s output stays in its namespace: no Namespace, no RBAC, nothing cluster-scoped', () => {
    expect([...new Set(app.map((o) => o.metadata.namespace))]).toEqual(['bookinfo']);
    expect(app.filter((o) => ['Namespace', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))).toEqual([]);
    // The namespace's isolation is the platform's: the team's repository cannot weaken it.
    const platformInBookinfo = plat.objects.filter((o) => o.metadata.namespace === 'bookinfo').map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(platformInBookinfo).toEqual([
      'AuthorizationPolicy/allow-nothing', 'NetworkPolicy/allow-dns', 'NetworkPolicy/allow-istiod', 'NetworkPolicy/allow-metrics-scraping',
      'NetworkPolicy/default-deny', 'PeerAuthentication/default', 'Role/app-deployer', 'Role/app-viewer', 'RoleBinding/app-deployers', 'RoleBinding/app-viewers',
      'ServiceAccount/default',
    ]);
  });

  test('both outputs together are exactly the one-app blueprint\'s objects', () => {
    expect(asSet([...plat.objects, ...app])).toEqual(asSet(oneApp));
  });

  test('combined audit and access matrix equal the one-app blueprint\'s', () => {
    const combined = [...loaded(plat.objects, 'platform/dist/platform.k8s.yaml'), ...loaded(app, 'app-bookinfo/dist/bookinfo.k8s.yaml')];
    const together = auditManifests(combined, settings('platform'));
    const single = auditManifests(loaded(oneApp, 'blueprint.k8s.yaml'), settings('platform'));
    expect(findingsOf(together)).toEqual([]);
    expect(findingsOf(together)).toEqual(findingsOf(single));
    expect(together.summary).toEqual(single.summary);

    const workloads = [INGRESS_GATEWAY, EGRESS_GATEWAY];
    const matrix = AccessMatrix.fromManifests([...plat.objects, ...app], { workloads });
    const edges = matrix.edges().map((e) => `${e.from} -> ${e.to}:${e.port}`).sort();
    expect(edges).toEqual(AccessMatrix.fromManifests(oneApp, { workloads }).edges().map((e) => `${e.from} -> ${e.to}:${e.port}`).sort());
    expect(edges).toEqual([...BOOKINFO_MESH_CALLS, 'bookinfo/details -> istio-system/istio-egressgateway:8443'].sort());
    expect(matrix.toMarkdown()).toBe(AccessMatrix.fromManifests(oneApp, { workloads }).toMarkdown());
    expect(matrix.oneSidedGrants()).toEqual([]);
  });

  describe('a grant written on one side only is reported over both outputs (NET-GRANT-001)', () => {
    const audit = (platformObjects: any[], appObjects: any[]) => auditManifests(
      [...loaded(platformObjects, 'platform.yaml'), ...loaded(appObjects, 'bookinfo.yaml')], settings('platform'));

    test('the Bookinfo team revokes the probe\'s grant; the platform still opens the probe\'s egress', () => {
      const revoked = structuredClone(app);
      const details = revoked.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'details');
      details.spec.rules = details.spec.rules.filter((r: any) => !JSON.stringify(r.from).includes('/ns/probes/'));
      const ingress = revoked.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'details-ingress');
      ingress.spec.ingress = ingress.spec.ingress.filter((r: any) => !JSON.stringify(r.from).includes('"probes"'));
      expect(findingsOf(audit(plat.objects, revoked))).toEqual(['NET-GRANT-001 NetworkPolicy/probes/loadgen-egress spec.egress[0]']);
      // The access matrix over both: the probe's call is gone, and the half left is named.
      const matrix = AccessMatrix.fromManifests([...plat.objects, ...revoked], { workloads: [INGRESS_GATEWAY, EGRESS_GATEWAY] });
      expect(matrix.edges().some((e) => e.from === 'probes/loadgen')).toBe(false);
      expect(matrix.oneSidedGrants()).toEqual([expect.stringMatching(/^NetworkPolicy\/probes\/loadgen-egress spec\.egress\[0\]: /)]);
      // Each repository alone still looks consistent: only the combined audit sees it.
      expect(findingsOf(auditManifests(loaded(revoked, 'bookinfo.yaml'), settings('app-bookinfo')))).toEqual([]);
    });

    test('the platform drops the probe\'s egress; the Bookinfo team still admits it', () => {
      const dropped = plat.objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'loadgen-egress'));
      const result = audit(dropped, app);
      expect(findingsOf(result)).toEqual(['NET-GRANT-001 AuthorizationPolicy/bookinfo/details spec.rules[1].from[0].source.principals[0]']);
      expect(result.findings[0].message).toContain('cluster.local/ns/probes/sa/loadgen');
    });
  });
});
