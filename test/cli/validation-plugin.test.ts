import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Validation, ValidationContext } from 'cdk8s-cli/plugins';
import { SecureMeshValidation, SecureMeshValidationProps } from '../../src/cli/validation-plugin';
import { RuleObject } from '../../src/policy/rule';
import { annotate, daysFromNow, excepted, yamlDocuments } from '../audit/registry-fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'audit');
/** A ClusterRoleBinding of the group `ops`: allowed only when `ops` is a configured operator group. */
const CRB_TO_OPS = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'audit', 'operators', 'crb-ops.yaml'), 'utf8');

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function mkdtemp(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A real cdk8s-cli ValidationContext over manifest files, as `cdk8s synth` builds it. */
function context(manifests: string[], metadata: { [name: string]: { path: string } } = {}): ValidationContext {
  return new ValidationContext(manifests, 'cdk8s-secure-mesh', '0.0.0', metadata, false);
}

describe('SecureMeshValidation with cdk8s-cli\'s own ValidationContext', () => {
  test('it is a cdk8s-cli Validation', () => {
    const plugin: Validation = new SecureMeshValidation();
    expect(typeof plugin.validate).toBe('function');
  });

  test('violations per rule, with the resource name, manifest, field and message; the report fails on errors', async () => {
    const ctx = context([path.join(FIXTURES, 'bad', 'list.json')], { 'developers-admin': { path: 'app/crb' } });
    await new SecureMeshValidation().validate(ctx);
    const report = ctx.report.toJson();
    expect(report.summary.status).toBe('failure');
    expect(report.summary.metadata).toMatchObject({ 'summary': '2 objects, 4 errors, 0 warnings, 0 excepted', 'fail-on': 'error' });
    expect(report.violations.map((v) => v.ruleName)).toEqual(['MESH-MTLS-002 (error; MTLS-1)', 'RBAC-BUILTIN-001 (error; NS-1, RBAC-1)', 'RBAC-CA-001 (error; CA-1)', 'RBAC-CRB-001 (error; NS-1)']);
    const crb = report.violations.find((v) => v.ruleName.startsWith('RBAC-CRB-001'))!;
    expect(crb.fix).toContain('RoleBinding');
    expect(crb.violatingConstructs).toEqual([{
      resourceName: 'developers-admin',
      constructPath: 'app/crb',
      manifestPath: path.join(FIXTURES, 'bad', 'list.json'),
      locations: [expect.stringMatching(/^ClusterRoleBinding\/developers-admin subjects\[0\] \(line 11\): binds ClusterRole "cluster-admin"/)],
    }]);
  });

  test('excepted findings are not violations (logged with owner and record); properties configure the audit', async () => {
    const mesh = path.join(FIXTURES, 'bad', 'mesh.yaml');
    const ctx = context([mesh]);
    await new SecureMeshValidation({ expectMeshBaseline: false }).validate(ctx);
    const names = ctx.report.toJson().violations.map((v) => v.ruleName.split(' ')[0]);
    // The fixture's exception annotation is hand-written, with no registry: it covers nothing.
    expect(names).toEqual(expect.arrayContaining(['IMG-DIGEST-001', 'EXC-UNREGISTERED', 'EXC-EXPIRED']));
    expect(names).not.toContain('MESH-AUTHZ-001');
    const unregistered = ctx.report.toJson().violations.find((v) => v.ruleName.startsWith('EXC-UNREGISTERED'))!;
    expect(unregistered.recommendation).toMatch(/^Policy exception annotations are backed by the exception registry/);

    // The same acceptance rule as the audit: a registered exception (dates relative to the real clock) is accepted.
    const dir = mkdtemp('secure-mesh-plugin-');
    const file = path.join(dir, 'shop.yaml');
    const lenient: RuleObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'lenient', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } } };
    const valid = excepted([lenient], { rules: ['MESH-MTLS-002'], expires: daysFromNow(30), id: 'shop/scraper', owner: 'team-observability' });
    fs.writeFileSync(file, yamlDocuments([...valid.registries, ...valid.objects]));
    const accepted = context([file]);
    const log = jest.spyOn(accepted.logger, 'log').mockImplementation(() => undefined);
    await new SecureMeshValidation().validate(accepted);
    expect(log).toHaveBeenCalledWith(`MESH-MTLS-002: PeerAuthentication/shop/lenient excepted until ${daysFromNow(30)}, owner team-observability `
      + '(exception shop/scraper, registry shop/secure-mesh-exceptions)');
    expect(accepted.report.toJson()).toMatchObject({ violations: [], summary: { status: 'success' } });

    const expired = excepted([lenient], { rules: ['MESH-MTLS-002'], expires: daysFromNow(-1) });
    fs.writeFileSync(file, yamlDocuments([...expired.registries, ...expired.objects]));
    const late = context([file]);
    await new SecureMeshValidation().validate(late);
    expect(late.report.toJson().violations.map((v) => v.ruleName.split(' ')[0])).toEqual(['EXC-EXPIRED', 'MESH-MTLS-002']);

    fs.writeFileSync(file, yamlDocuments([annotate(lenient, `MESH-MTLS-002@${daysFromNow(30)}`)]));
    const handWritten = context([file]);
    await new SecureMeshValidation().validate(handWritten);
    expect(handWritten.report.success).toBe(false);
    expect(handWritten.report.toJson().violations.map((v) => v.ruleName.split(' ')[0])).toEqual(['EXC-UNREGISTERED', 'MESH-MTLS-002']);
  });

  test('the clock cannot be moved: a `today` property (as cdk8s.yaml could still set it) fails the validation', async () => {
    const ctx = context([path.join(FIXTURES, 'good', 'mesh-baseline.yaml')]);
    await new SecureMeshValidation({ today: '2026-01-01' } as SecureMeshValidationProps).validate(ctx);
    expect(ctx.report.success).toBe(false);
    expect(ctx.report.toJson().violations).toEqual([expect.objectContaining({
      ruleName: 'CONFIG-INVALID', fix: expect.stringMatching(/^Remove the property "today"/),
    })]);
  });

  test('warnings alone pass, unless failOn is warning; clean manifests pass', async () => {
    const dir = mkdtemp('secure-mesh-plugin-');
    const file = path.join(dir, 'w.yaml');
    fs.writeFileSync(file, [
      // An ingress rule without ports for pods a mesh ALLOW policy governs: only the NET-L4-002 warning.
      'apiVersion: security.istio.io/v1', 'kind: AuthorizationPolicy', 'metadata: {name: web, namespace: shop}', 'spec:',
      '  selector: {matchLabels: {app: web}}', '  action: ALLOW', '  rules:',
      '    - from: [{source: {principals: [cluster.local/ns/shop/sa/client]}}]', '      to: [{operation: {ports: ["8080"]}}]',
      '---', 'apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: web, namespace: shop}', 'spec:',
      '  podSelector: {matchLabels: {app: web}}', '  policyTypes: [Ingress]', '  ingress:', '    - from: [{podSelector: {}}]',
    ].join('\n'));
    const lenient = context([file]);
    await new SecureMeshValidation().validate(lenient);
    expect(lenient.report.success).toBe(true);
    expect(lenient.report.toJson().violations.length).toBeGreaterThan(0);
    const strict = context([file]);
    await new SecureMeshValidation({ failOn: 'warning' }).validate(strict);
    expect(strict.report.success).toBe(false);
    const good = context([path.join(FIXTURES, 'good', 'mesh-baseline.yaml')]);
    await new SecureMeshValidation().validate(good);
    expect(good.report.toJson()).toMatchObject({ violations: [], summary: { status: 'success' } });
  });

  test('the operator groups come from secure-mesh.yaml (config property); properties override single settings', async () => {
    const dir = mkdtemp('secure-mesh-plugin-');
    const crb = path.join(dir, 'crb.yaml');
    fs.writeFileSync(crb, CRB_TO_OPS);
    const config = path.join(dir, 'secure-mesh.yaml');
    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\noperatorGroups: [ops]\n');
    const configured = context([crb]);
    await new SecureMeshValidation({ config }).validate(configured);
    expect(configured.report.toJson().summary).toMatchObject({ status: 'success', metadata: { settings: config } });
    const overridden = context([crb]);
    await new SecureMeshValidation({ config, operatorGroups: ['someone-else'] }).validate(overridden);
    expect(overridden.report.toJson().violations.map((v) => v.ruleName)).toEqual(['RBAC-CRB-001 (error; NS-1)']);

    fs.writeFileSync(config, 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\noperatorGroup: [ops]\n');
    const invalid = context([crb]);
    await new SecureMeshValidation({ config }).validate(invalid);
    expect(invalid.report.success).toBe(false);
    expect(invalid.report.toJson().violations[0]).toMatchObject({ ruleName: 'CONFIG-INVALID', fix: expect.stringMatching(/unknown field "operatorGroup"/) });
  });

  test('a name several objects share is reported as Kind/namespace/name, never with another object\'s construct path', async () => {
    const dir = mkdtemp('secure-mesh-plugin-');
    const file = path.join(dir, 'roles.yaml');
    fs.writeFileSync(file, [
      'apiVersion: rbac.authorization.k8s.io/v1', 'kind: ClusterRoleBinding', 'metadata: {name: mesh-admins}',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}',
      'subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: strangers}]',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1', 'kind: RoleBinding', 'metadata: {name: mesh-admins, namespace: istio-system}',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: view}',
      'subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: mesh-admins}]',
    ].join('\n'));
    // cdk8s-cli's construct metadata is keyed by name: here the RoleBinding's construct won the name.
    const ctx = context([file], { 'mesh-admins': { path: 'app/operators/MeshAdmins/SecretsBinding' } });
    await new SecureMeshValidation({ meshAdminGroups: ['mesh-admins'], expectMeshBaseline: false }).validate(ctx);
    const crb = ctx.report.toJson().violations.find((v) => v.ruleName.startsWith('RBAC-CRB-001'))!;
    expect(crb.violatingConstructs).toEqual([expect.objectContaining({ resourceName: 'ClusterRoleBinding/mesh-admins', constructPath: undefined })]);

    // With the paths synthesis records by kind, namespace and name, the location names the right construct.
    fs.writeFileSync(path.join(dir, 'secure-mesh-constructs.json'), JSON.stringify({
      version: 1, objects: { 'ClusterRoleBinding/mesh-admins': 'app/operators/MeshAdmins/Binding', 'RoleBinding/istio-system/mesh-admins': 'app/operators/MeshAdmins/SecretsBinding' },
    }));
    const located = context([file], { 'mesh-admins': { path: 'app/operators/MeshAdmins/SecretsBinding' } });
    await new SecureMeshValidation({ meshAdminGroups: ['mesh-admins'], expectMeshBaseline: false }).validate(located);
    const again = located.report.toJson().violations.find((v) => v.ruleName.startsWith('RBAC-CRB-001'))!;
    expect(again.violatingConstructs[0].locations).toEqual([expect.stringMatching(/^ClusterRoleBinding\/mesh-admins subjects\[0\] \(line 1, construct app\/operators\/MeshAdmins\/Binding\): /)]);
  });

  test('an unreadable manifest fails the report', async () => {
    const ctx = context([path.join(FIXTURES, 'broken', 'invalid.yaml')]);
    await new SecureMeshValidation().validate(ctx);
    expect(ctx.report.success).toBe(false);
    expect(ctx.report.toJson().violations[0]).toMatchObject({ ruleName: 'INPUT-UNREADABLE' });
  });
});

describe('through the real cdk8s-cli: `cdk8s synth` with `validations:` in cdk8s.yaml', () => {
  const cdk8sBin = path.join(REPO, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
  const register = `require(${JSON.stringify(require.resolve('ts-node', { paths: [REPO] }))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(REPO, 'tsconfig.json'))} });`;

  /** A cdk8s app directory whose app runs `body` (JavaScript, with App/Chart/ApiObject and the library as `sm`). */
  function appDir(body: string): string {
    const dir = mkdtemp('secure-mesh-cdk8s-');
    // cdk8s-cli require()s the plugin; this shim lets it load the TypeScript source.
    fs.writeFileSync(path.join(dir, 'plugin.js'), `${register}\nmodule.exports = require(${JSON.stringify(path.join(REPO, 'src', 'cli', 'validation-plugin.ts'))});\n`);
    fs.writeFileSync(path.join(dir, 'app.js'), [
      register,
      `const { App, Chart, ApiObject } = require(${JSON.stringify(require.resolve('cdk8s', { paths: [REPO] }))});`,
      `const sm = require(${JSON.stringify(path.join(REPO, 'src'))});`,
      'const app = new App();',
      body,
      'app.synth();',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'cdk8s.yaml'), [
      'app: node app.js',
      'output: dist',
      'validations:',
      '  - package: ./plugin.js',
      '    version: 0.0.0',
      '    class: SecureMeshValidation',
    ].join('\n'));
    return dir;
  }

  function synth(dir: string) {
    return spawnSync(process.execPath, [cdk8sBin, 'synth', '--no-check-upgrade', '--validation-reports-output-file', 'reports.json'], {
      cwd: dir, encoding: 'utf-8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000,
    });
  }

  test('a bad app fails synthesis with the rule id, object and construct path in the report', () => {
    const dir = appDir([
      "const chart = new Chart(app, 'bad');",
      "new ApiObject(chart, 'lenient', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication',",
      "  metadata: { name: 'lenient', namespace: 'shop' }, spec: { mtls: { mode: 'PERMISSIVE' } } });",
    ].join('\n'));
    const result = synth(dir);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('MESH-MTLS-002');
    expect(result.stderr).toContain('Validation failed');
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'reports.json'), 'utf-8')).reports[0];
    expect(report.summary.status).toBe('failure');
    expect(report.violations[0].ruleName).toMatch(/^MESH-MTLS-002/);
    expect(report.violations[0].violatingConstructs[0]).toMatchObject({ resourceName: 'lenient', constructPath: 'bad/lenient', manifestPath: 'dist/bad.k8s.yaml' });
    // No construct of the library ran, so synthesis recorded no paths of its own: cdk8s-cli's (by name) apply.
    expect(fs.existsSync(path.join(dir, 'dist', 'secure-mesh-constructs.json'))).toBe(false);
  }, 180_000);

  test('a blueprint with MeshRoleSets passes with its secure-mesh.yaml and no group properties', () => {
    const dir = appDir([
      "const chart = new Chart(app, 'platform');",
      "new sm.MeshBaseline(chart, 'mesh');",
      "new sm.MeshRoleSets(chart, 'operators', { meshAdmins: [sm.RbacSubject.group('mesh-admins')], auditors: [sm.RbacSubject.group('auditors')] });",
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'secure-mesh.yaml'), 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\nmeshAdminGroups: [mesh-admins]\noperatorGroups: [auditors]\n');
    const result = synth(dir);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'reports.json'), 'utf-8')).reports[0];
    expect(report.summary).toMatchObject({ status: 'success', metadata: { settings: 'secure-mesh.yaml' } });
    // The ClusterRoleBinding and the RoleBinding share the name mesh-admins: synthesis recorded each one's construct.
    const recorded = JSON.parse(fs.readFileSync(path.join(dir, 'dist', 'secure-mesh-constructs.json'), 'utf-8')).objects;
    expect(recorded['ClusterRoleBinding/mesh-admins']).toMatch(/^platform\/operators\/MeshAdmins\//);
    expect(recorded['RoleBinding/istio-system/mesh-admins']).toMatch(/^platform\/operators\//);
    expect(recorded['ClusterRoleBinding/mesh-admins']).not.toBe(recorded['RoleBinding/istio-system/mesh-admins']);
  }, 180_000);

  test('a good app (the library\'s MeshBaseline) passes', () => {
    const dir = appDir("new sm.MeshBaseline(new Chart(app, 'good'), 'mesh');");
    const result = synth(dir);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain('Validations ended succesfully');
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'reports.json'), 'utf-8')).reports[0];
    // MeshBaseline's six objects and the mesh-wide exception registry it writes (empty: no exception).
    expect(report.summary).toMatchObject({ status: 'success', metadata: { summary: '7 objects, 0 errors, 0 warnings, 0 excepted' } });
  }, 180_000);
});
