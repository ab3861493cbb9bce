import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { SecureMeshConfig } from '../../src/config/secure-mesh-config';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { PolicyEnforcement } from '../../src/policy/policy-enforcement';
import { MeshRoleSets } from '../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../src/rbac/rbac-subject';

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-config-'));
  created.push(dir);
  return dir;
}

function write(text: string, dir = tmpdir()): string {
  const file = path.join(dir, SecureMeshConfig.FILE_NAME);
  fs.writeFileSync(file, text);
  return file;
}

const HEAD = 'apiVersion: secure-mesh.cdk8s.io/v1alpha1\nkind: SecureMeshConfig\n';

function inDirectory<T>(dir: string, fn: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(before);
  }
}

describe('SecureMeshConfig: the one file the audit, access, plugin and AccessMatrix read', () => {
  test('reads every setting; the control plane defaults to the root namespace', () => {
    const c = SecureMeshConfig.fromFile(write(`${HEAD}trustDomain: retail.example.com\ntrustDomainAliases: [old.example.com]\nrootNamespace: mesh-root\nmeshAdminGroups: [mesh-admins]\noperatorGroups: [auditors]\n`));
    expect(c.settings()).toEqual({
      trustDomain: 'retail.example.com',
      trustDomainAliases: ['old.example.com'],
      rootNamespace: 'mesh-root',
      controlPlaneNamespace: 'mesh-root',
      meshAdminGroups: ['mesh-admins'],
      operatorGroups: ['auditors'],
      allowedRegistries: [],
    });
  });

  test('an empty settings file means the defaults', () => {
    expect(SecureMeshConfig.fromFile(write(HEAD)).settings()).toEqual({
      trustDomain: 'cluster.local',
      trustDomainAliases: [],
      rootNamespace: 'istio-system',
      controlPlaneNamespace: 'istio-system',
      meshAdminGroups: [],
      operatorGroups: [],
      allowedRegistries: [],
    });
  });

  test('toYaml is stable and reads back to the same settings', () => {
    const c = SecureMeshConfig.fromSettings({ trustDomain: 'retail.example.com', meshAdminGroups: ['mesh-admins', 'group with spaces'] });
    const text = c.toYaml();
    expect(text).toMatchSnapshot();
    expect(SecureMeshConfig.fromFile(write(text)).settings()).toEqual(c.settings());
    expect(SecureMeshConfig.fromFile(write(text)).toYaml()).toBe(text);
  });

  test('property: any valid settings survive toYaml and fromFile unchanged', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    const domain = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/);
    const group = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');
    const groups = fc.array(group, { maxLength: 4 });
    fc.assert(fc.property(domain, fc.array(domain, { maxLength: 3 }), label, label, groups, groups,
      (trustDomain, trustDomainAliases, rootNamespace, controlPlaneNamespace, meshAdminGroups, operatorGroups) => {
        const c = SecureMeshConfig.fromSettings({
          trustDomain, trustDomainAliases, rootNamespace, controlPlaneNamespace, meshAdminGroups, operatorGroups,
        });
        expect(SecureMeshConfig.fromFile(write(c.toYaml())).settings()).toEqual(c.settings());
      }), { numRuns: 60 });
  });

  test.each([
    ['an unknown field (a typo)', `${HEAD}meshAdminGroup: [x]\n`, /unknown field "meshAdminGroup"/],
    ['a list given as a string', `${HEAD}meshAdminGroups: mesh-admins\n`, /meshAdminGroups must be a list of non-empty strings/],
    ['an empty group', `${HEAD}operatorGroups: [""]\n`, /operatorGroups must be a list of non-empty strings/],
    ['a trust domain with a path', `${HEAD}trustDomain: spiffe://cluster.local\n`, /trustDomain "spiffe:\/\/cluster.local" is not a trust domain/],
    ['a namespace that is not a DNS label', `${HEAD}rootNamespace: Istio_System\n`, /rootNamespace "Istio_System" is not a namespace name/],
    ['a number', `${HEAD}trustDomain: 42\n`, /trustDomain must be a string/],
    ['another kind', 'apiVersion: v1\nkind: ConfigMap\n', /apiVersion\/kind must be secure-mesh.cdk8s.io\/v1alpha1\/SecureMeshConfig, got v1\/ConfigMap/],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
    ['broken YAML', `${HEAD}trustDomain: [\n`, /not valid YAML/],
  ])('refuses %s, naming the file and the field', (_what, text, error) => {
    const file = write(text);
    expect(() => SecureMeshConfig.fromFile(file)).toThrow(error);
    expect(() => SecureMeshConfig.fromFile(file)).toThrow(file);
  });

  test('a named file that does not exist is an error, never the defaults', () => {
    expect(() => SecureMeshConfig.load('/nonexistent/secure-mesh.yaml')).toThrow(/no such config file/);
  });

  test('load: ./secure-mesh.yaml when present, else the defaults; overrides replace single settings', () => {
    const dir = tmpdir();
    expect(inDirectory(dir, () => SecureMeshConfig.load()).source).toBe('defaults');
    write(`${HEAD}trustDomain: retail.example.com\nmeshAdminGroups: [mesh-admins]\noperatorGroups: [auditors]\n`, dir);
    const found = inDirectory(dir, () => SecureMeshConfig.load());
    expect(found.source).toBe(SecureMeshConfig.FILE_NAME);
    expect(found.trustDomain).toBe('retail.example.com');
    const overridden = inDirectory(dir, () => SecureMeshConfig.load(undefined, { meshAdminGroups: ['platform'], rootNamespace: 'mesh', operatorGroups: [] }));
    expect(overridden.meshAdminGroups).toEqual(['platform']);
    expect(overridden.operatorGroups).toEqual(['auditors']); // an empty list (a flag not given) keeps the file's
    expect(overridden.rootNamespace).toBe('mesh');
    expect(overridden.controlPlaneNamespace).toBe('mesh'); // it followed the root namespace in the file
    expect(overridden.trustDomain).toBe('retail.example.com');
    expect(overridden.source).toBe(`${SecureMeshConfig.FILE_NAME} + overrides`);
    expect(() => found.withOverrides({ rootNamespace: 'Not A Namespace' })).toThrow(/overrides: rootNamespace/);
  });

  test('fromApp: the trust domain and namespaces of MeshBaseline, the groups of MeshRoleSets', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com' });
    new MeshRoleSets(chart, 'operators', {
      meshAdmins: [RbacSubject.group('mesh-admins'), RbacSubject.serviceAccount('istio-system', 'mesh-operator')],
      securityAdmins: [RbacSubject.group('security-admins')],
      auditors: [RbacSubject.group('auditors')],
    });
    expect(SecureMeshConfig.fromApp(chart).settings()).toEqual({
      trustDomain: 'retail.example.com',
      trustDomainAliases: [],
      rootNamespace: 'istio-system',
      controlPlaneNamespace: 'istio-system',
      meshAdminGroups: ['mesh-admins'],
      operatorGroups: ['auditors', 'security-admins'],
      allowedRegistries: [],
    });
  });

  test('allowedRegistries: written when set, read back, taken from MeshBaseline by fromApp and compared as drift', () => {
    const text = SecureMeshConfig.fromSettings({ allowedRegistries: ['gcr.io/acme', 'docker.io/istio'] }).toYaml();
    expect(text).toContain('\nallowedRegistries: [gcr.io/acme, docker.io/istio]\n');
    expect(SecureMeshConfig.fromFile(write(text)).allowedRegistries).toEqual(['gcr.io/acme', 'docker.io/istio']);
    expect(SecureMeshConfig.fromSettings({}).toYaml()).not.toContain('allowedRegistries');
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh', { allowedRegistries: ['gcr.io/acme'] });
    expect(SecureMeshConfig.fromApp(chart).allowedRegistries).toEqual(['gcr.io/acme']);
    expect(SecureMeshConfig.fromSettings({}).differencesFrom(chart)).toEqual(['allowedRegistries: the file says [], the blueprint ["gcr.io/acme"]']);
  });

  test('maxExceptionDays and proxyImageRepositories: written when not the default, read back, taken from MeshBaseline and compared as drift', () => {
    const text = SecureMeshConfig.fromSettings({ maxExceptionDays: 30, proxyImageRepositories: ['registry.example.com/istio/proxyv2'] }).toYaml();
    expect(text).toContain('\nmaxExceptionDays: 30\nproxyImageRepositories: [registry.example.com/istio/proxyv2]\n');
    const read = SecureMeshConfig.fromFile(write(text));
    expect([read.maxExceptionDays, read.proxyImageRepositories]).toEqual([30, ['registry.example.com/istio/proxyv2']]);
    const defaults = SecureMeshConfig.fromSettings({});
    expect([defaults.maxExceptionDays, defaults.proxyImageRepositories]).toEqual([90, ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2']]);
    expect(defaults.toYaml()).not.toMatch(/maxExceptionDays|proxyImageRepositories/);
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh', { maxExceptionDays: 30, proxyImageRepositories: ['registry.example.com/istio/proxyv2'] });
    expect(SecureMeshConfig.fromApp(chart).toYaml()).toBe(text);
    expect(defaults.differencesFrom(chart)).toEqual([
      'maxExceptionDays: the file says 90, the blueprint 30',
      'proxyImageRepositories: the file says ["docker.io/istio/proxyv2","gcr.io/istio-release/proxyv2"], the blueprint ["registry.example.com/istio/proxyv2"]',
    ]);
    expect(() => SecureMeshConfig.fromFile(write(`${HEAD}maxExceptionDays: 400\n`))).toThrow(/maxExceptionDays must be a whole number of days from 1 to 365/);
    expect(() => SecureMeshConfig.fromFile(write(`${HEAD}proxyImageRepositories: [docker.io/istio/proxyv2:1.30.3]\n`)))
      .toThrow(/proxyImageRepositories \[0\] "docker.io\/istio\/proxyv2:1.30.3" is not an image repository/);
    expect(() => SecureMeshConfig.fromFile(write(`${HEAD}proxyImageRepositories: []\n`))).toThrow(/proxyImageRepositories an empty list/);
  });

  test('differencesFrom names each setting the blueprint declares differently, and only those', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh', { trustDomain: 'retail.example.com' });
    const file = SecureMeshConfig.fromSettings({ meshAdminGroups: ['someone'] });
    // No MeshRoleSets: the groups are not the blueprint's to contradict.
    expect(file.differencesFrom(chart)).toEqual(['trustDomain: the file says "cluster.local", the blueprint "retail.example.com"']);
    expect(SecureMeshConfig.fromApp(chart).differencesFrom(chart)).toEqual([]);
    expect(SecureMeshConfig.fromSettings({}).differencesFrom(new Chart(Testing.app(), 'empty'))).toEqual([]);
  });
});

describe('SecureMeshConfig: ruleSet pins the rule set the blueprint was written against', () => {
  test('a string or a YAML number names a set; absent means the latest (not written)', () => {
    expect(SecureMeshConfig.fromFile(write(`${HEAD}ruleSet: "1"\n`)).ruleSet).toBe('1');
    expect(SecureMeshConfig.fromFile(write(`${HEAD}ruleSet: 2\n`)).ruleSet).toBe('2');
    const none = SecureMeshConfig.fromFile(write(HEAD));
    expect(none.ruleSet).toBeUndefined();
    expect(none.toYaml()).not.toContain('ruleSet');
  });

  test('written quoted, read back the same', () => {
    const text = SecureMeshConfig.fromSettings({ ruleSet: '1' }).toYaml();
    expect(text).toContain('\nruleSet: "1"\n');
    expect(SecureMeshConfig.fromFile(write(text)).settings()).toMatchObject({ ruleSet: '1' });
  });

  test('an unknown set is an error naming the file, the field and the known sets', () => {
    const file = write(`${HEAD}ruleSet: "0.9"\n`);
    expect(() => SecureMeshConfig.fromFile(file)).toThrow(`${file}: ruleSet "0.9" is not a rule set (known: 1, 2; the latest is 2)`);
    expect(() => SecureMeshConfig.fromSettings({}).withOverrides({ ruleSet: 'latest' })).toThrow(/overrides: ruleSet "latest" is not a rule set/);
  });

  test('fromApp writes the rule set the app declares by context', () => {
    const app = Testing.app();
    app.node.setContext('cdk8s-secure-mesh:rule-set', '1');
    new MeshBaseline(new Chart(app, 'c'), 'mesh');
    expect(SecureMeshConfig.fromApp(app).ruleSet).toBe('1');
  });
});

describe('SecureMeshConfig: appNamespaces, the namespaces an app team\'s repository owns (REPO-SCOPE-001)', () => {
  test('read from the file; absent means none (a platform or single-app repository)', () => {
    const c = SecureMeshConfig.fromFile(write(`${HEAD}appNamespaces: [team-a, team-b]\n`));
    expect(c.appNamespaces).toEqual(['team-a', 'team-b']);
    expect(c.settings()).toMatchObject({ appNamespaces: ['team-a', 'team-b'] });
    const none = SecureMeshConfig.fromFile(write(HEAD));
    expect(none.appNamespaces).toEqual([]);
    expect(none.settings()).not.toHaveProperty('appNamespaces');
  });

  test('written only when set, last, and read back the same (deterministic)', () => {
    const c = SecureMeshConfig.fromSettings({ meshAdminGroups: ['mesh-admins'], appNamespaces: ['team-b', 'team-a'] });
    const text = c.toYaml();
    expect(text.endsWith('\nappNamespaces: [team-b, team-a]\n')).toBe(true);
    expect(SecureMeshConfig.fromSettings({ meshAdminGroups: ['mesh-admins'], appNamespaces: ['team-b', 'team-a'] }).toYaml()).toBe(text);
    const read = SecureMeshConfig.fromFile(write(text));
    expect(read.settings()).toEqual(c.settings());
    expect(read.toYaml()).toBe(text);
    expect(SecureMeshConfig.fromSettings({}).toYaml()).not.toContain('appNamespaces');
    expect(SecureMeshConfig.fromSettings({ appNamespaces: [] }).toYaml()).not.toContain('appNamespaces');
  });

  test.each([
    ['a string instead of a list', `${HEAD}appNamespaces: team-a\n`, 'appNamespaces must be a list of non-empty strings'],
    ['an empty entry', `${HEAD}appNamespaces: [""]\n`, 'appNamespaces must be a list of non-empty strings'],
    ['a name that is not a DNS-1123 label', `${HEAD}appNamespaces: [team-a, Team_B]\n`, 'appNamespaces [1] "Team_B" is not a namespace name (DNS-1123 label)'],
    ['a name longer than 63 characters', `${HEAD}appNamespaces: [${'a'.repeat(64)}]\n`, `appNamespaces [0] "${'a'.repeat(64)}" is not a namespace name`],
    ['a namespace listed twice', `${HEAD}appNamespaces: [team-a, team-b, team-a]\n`, 'appNamespaces [2] "team-a" is listed twice'],
  ])('refuses %s, naming the file and the field', (_what, text, error) => {
    const file = write(text);
    expect(() => SecureMeshConfig.fromFile(file)).toThrow(error);
    expect(() => SecureMeshConfig.fromFile(file)).toThrow(file);
  });

  test('checked in code and in overrides too', () => {
    expect(() => SecureMeshConfig.fromSettings({ appNamespaces: ['a', 'a'] })).toThrow('settings: appNamespaces [1] "a" is listed twice');
    expect(SecureMeshConfig.fromSettings({}).withOverrides({ appNamespaces: ['team-a'] }).appNamespaces).toEqual(['team-a']);
    expect(() => SecureMeshConfig.fromSettings({}).withOverrides({ appNamespaces: ['A'] })).toThrow(/overrides: appNamespaces \[0\] "A"/);
  });

  test('fromApp writes the namespaces the app declares, sorted; the file must agree (drift)', () => {
    const chart = new Chart(Testing.app(), 'team');
    PolicyEnforcement.of(chart)._declareAppNamespace('team-b');
    PolicyEnforcement.of(chart)._declareAppNamespace('team-a');
    const fromApp = SecureMeshConfig.fromApp(chart);
    expect(fromApp.appNamespaces).toEqual(['team-a', 'team-b']);
    expect(fromApp.toYaml()).toContain('\nappNamespaces: [team-a, team-b]\n');
    expect(fromApp.differencesFrom(chart)).toEqual([]);
    // Order in the file does not matter; a missing or different namespace does.
    expect(SecureMeshConfig.fromSettings({ appNamespaces: ['team-b', 'team-a'] }).differencesFrom(chart)).toEqual([]);
    expect(SecureMeshConfig.fromSettings({ appNamespaces: ['team-a'] }).differencesFrom(chart))
      .toEqual(['appNamespaces: the file says ["team-a"], the blueprint ["team-a","team-b"]']);
    expect(SecureMeshConfig.fromSettings({}).differencesFrom(chart)).toEqual(['appNamespaces: the file says [], the blueprint ["team-a","team-b"]']);
  });

  test('an app that declares no namespaces says nothing about them: a file listing some is not drift', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new MeshBaseline(chart, 'mesh');
    expect(SecureMeshConfig.fromApp(chart).appNamespaces).toEqual([]);
    expect(SecureMeshConfig.fromApp(chart).toYaml()).not.toContain('appNamespaces');
    expect(SecureMeshConfig.fromSettings({ appNamespaces: ['team-a'] }).differencesFrom(chart)).toEqual([]);
  });
});
