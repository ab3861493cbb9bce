import { ApiObject, Testing } from 'cdk8s';
import { DataPlane } from '../../src/mesh/data-plane';
import { MeshBaseline, MeshBaselineProps } from '../../src/mesh/mesh-baseline';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { AppTeamNamespace } from '../../src/workload/app-team-namespace';
import { HardenedNamespaceProps, HardenedNamespace } from '../../src/workload/hardened-namespace';
import { canonicalJson, findObject, ofKind, synthValidated } from '../helpers';

const REGISTRIES = ['gcr.io/acme', 'docker.io/istio'];
const MONITORING: MeshBaselineProps = { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus' } };
const PSA = {
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'v1.30',
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.30',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'v1.30',
};

function setup(props: Partial<HardenedNamespaceProps> = {}, baseline: MeshBaselineProps = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', { allowedRegistries: REGISTRIES, ...baseline });
  const ns = new AppTeamNamespace(chart, 'team', { name: 'team-a', ...props });
  return { chart, ns };
}

/** The team's Roles (always) and the bindings of its deployers and viewers (when there are some). */
const ROLES = ['Role/team-a/app-deployer', 'Role/team-a/app-viewer'];
const DEPLOYERS_BINDING = 'RoleBinding/team-a/app-deployers';
const VIEWERS_BINDING = 'RoleBinding/team-a/app-viewers';
/** What every (sidecar) namespace the platform gives a team gets, whatever runs in it. */
const BASELINE = [
  'Namespace//team-a', 'PeerAuthentication/team-a/default', 'AuthorizationPolicy/team-a/allow-nothing', 'NetworkPolicy/team-a/default-deny',
  'NetworkPolicy/team-a/allow-dns', 'NetworkPolicy/team-a/allow-istiod', 'ServiceAccount/team-a/default',
];
const ref = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The objects the AppTeamNamespace wrote (not the MeshBaseline's). */
const own = (objects: any[]) => objects.filter((o) => o.metadata.namespace === 'team-a' || (o.kind === 'Namespace' && o.metadata.name === 'team-a'));

describe('AppTeamNamespace (the platform\'s half of an app team\'s namespace)', () => {
  test('snapshot: the Namespace object, its isolation, the default ServiceAccount and the team roles', () => {
    const { chart } = setup({ deployers: [RbacSubject.group('team-a-devs')], viewers: [RbacSubject.group('sre')] }, MONITORING);
    const objects = own(synthValidated(chart));
    expect(objects).toMatchSnapshot();
    expect(objects.map(ref).sort()).toEqual([...BASELINE, 'NetworkPolicy/team-a/allow-metrics-scraping', ...ROLES, DEPLOYERS_BINDING, VIEWERS_BINDING].sort());
  });

  test('writes the baseline only: not the Sidecar or the exception registry (the team\'s repository writes those)', () => {
    const { chart } = setup({ deployers: [RbacSubject.group('team-a-devs')] });
    const objects = synthValidated(chart);
    expect(own(objects).map(ref).sort()).toEqual([...BASELINE, ...ROLES, DEPLOYERS_BINDING].sort());
    expect(ofKind(objects, 'Sidecar', 'team-a')).toEqual([]);
    expect(ofKind(objects, 'ConfigMap', 'team-a')).toEqual([]);
  });

  test('the isolation is a HardenedNamespace\'s: STRICT, allow-nothing, default deny, DNS, istiod; the default ServiceAccount mounts no token', () => {
    const { chart } = setup();
    const objects = synthValidated(chart);
    expect(findObject(objects, 'PeerAuthentication', 'default', 'team-a').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-nothing', 'team-a').spec).toEqual({});
    expect(findObject(objects, 'NetworkPolicy', 'default-deny', 'team-a').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(findObject(objects, 'NetworkPolicy', 'allow-istiod', 'team-a').spec.egress[0].ports).toEqual([{ port: 15012, protocol: 'TCP' }]);
    expect(findObject(objects, 'ServiceAccount', 'default', 'team-a').automountServiceAccountToken).toBe(false);
  });

  test('the same baseline objects as a HardenedNamespace of the same props (sidecar, ambient, sensitive, monitored)', () => {
    const cases: [Partial<HardenedNamespaceProps>, MeshBaselineProps][] = [
      [{ deployers: [RbacSubject.group('team-a-devs')], viewers: [RbacSubject.group('sre')] }, MONITORING],
      [{ dataPlane: DataPlane.AMBIENT, deployers: [RbacSubject.group('team-a-devs')] }, { ambient: true, ...MONITORING }],
      [{ sensitiveData: true }, MONITORING],
      [{ podSecurityVersion: 'v1.31', allowedRegistries: ['gcr.io/acme/team-a'] }, {}],
    ];
    for (const [props, baseline] of cases) {
      const platform = own(synthValidated(setup(props, baseline).chart));
      const chart = Testing.chart();
      new MeshBaseline(chart, 'mesh', { allowedRegistries: REGISTRIES, ...baseline });
      new HardenedNamespace(chart, 'team', { name: 'team-a', ...props });
      const hardened = own(synthValidated(chart)).filter((o) => !(o.kind === 'Sidecar' || (o.kind === 'ConfigMap' && o.metadata.name === 'secure-mesh-exceptions')));
      expect(platform.map(ref).sort()).toEqual(hardened.map(ref).sort());
      expect(platform.map(canonicalJson).sort()).toEqual(hardened.map(canonicalJson).sort());
    }
  });

  test('without deployers or viewers: the roles, bound to nobody', () => {
    const { chart, ns } = setup();
    expect(own(synthValidated(chart)).map(ref).sort()).toEqual([...BASELINE, ...ROLES].sort());
    expect(ns.name).toBe('team-a');
    expect(ns.dataPlane).toBe(DataPlane.SIDECAR);
  });

  test('ambient: no istiod or scraping opening for the pods (ztunnel, no proxy of their own)', () => {
    const { chart } = setup({ dataPlane: DataPlane.AMBIENT }, { ambient: true, ...MONITORING });
    const names = ofKind(synthValidated(chart), 'NetworkPolicy', 'team-a').map((p) => p.metadata.name).sort();
    expect(names).toEqual(['allow-dns', 'default-deny']);
  });

  test('everything in the namespace depends on the Namespace object (applied after it)', () => {
    const { ns } = setup({ deployers: [RbacSubject.group('team-a-devs')] });
    const namespace = ns.node.findChild('Resource');
    const inside = ns.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && c !== namespace);
    expect(inside.length).toBe(BASELINE.length - 1 + ROLES.length + 1);
    for (const o of inside) expect(o.node.dependencies).toContain(namespace);
  });

  test('sidecar: the injection label and Pod Security restricted, pinned', () => {
    const { chart } = setup();
    expect(findObject(synthValidated(chart), 'Namespace', 'team-a').metadata.labels).toEqual({ 'istio-injection': 'enabled', ...PSA });
  });

  test('revisioned control plane: istio.io/rev', () => {
    const { chart } = setup({}, { revision: 'canary' });
    const labels = findObject(synthValidated(chart), 'Namespace', 'team-a').metadata.labels;
    expect(labels['istio.io/rev']).toBe('canary');
    expect(labels['istio-injection']).toBeUndefined();
  });

  test('ambient: the dataplane-mode label instead of injection (mesh ambient; explicit and by the mesh default)', () => {
    const explicit = setup({ dataPlane: DataPlane.AMBIENT }, { ambient: true });
    expect(findObject(synthValidated(explicit.chart), 'Namespace', 'team-a').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient', ...PSA });
    expect(explicit.ns.dataPlane).toBe(DataPlane.AMBIENT);
    const byDefault = setup({}, { ambient: true, defaultDataPlane: DataPlane.AMBIENT });
    expect(findObject(synthValidated(byDefault.chart), 'Namespace', 'team-a').metadata.labels['istio.io/dataplane-mode']).toBe('ambient');
    const sidecarOnAmbientMesh = setup({ dataPlane: DataPlane.SIDECAR }, { ambient: true });
    expect(findObject(synthValidated(sidecarOnAmbientMesh.chart), 'Namespace', 'team-a').metadata.labels['istio-injection']).toBe('enabled');
  });

  test('sensitiveData: the sensitive-data label, only deployers bound, 15090 alone scraped', () => {
    const { chart } = setup({ sensitiveData: true, deployers: [RbacSubject.group('team-a-devs')] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Namespace', 'team-a').metadata.labels).toEqual({
      'istio-injection': 'enabled', ...PSA, [HardenedNamespace.SENSITIVE_DATA_LABEL]: 'true',
    });
    expect(setup({ sensitiveData: true }, MONITORING).ns._profile().metricsScrapingPorts).toEqual([15090]);
    expect(ofKind(objects, 'RoleBinding', 'team-a').map((r) => r.metadata.name)).toEqual(['app-deployers']);
  });

  test('podSecurityVersion pins every Pod Security label', () => {
    const { chart } = setup({ podSecurityVersion: 'v1.31' });
    const labels = findObject(synthValidated(chart), 'Namespace', 'team-a').metadata.labels;
    for (const mode of ['enforce', 'audit', 'warn']) expect(labels[`pod-security.kubernetes.io/${mode}-version`]).toBe('v1.31');
  });

  test('_profile: what the contract publishes (defaults resolved; a copy)', () => {
    const { ns } = setup({ sensitiveData: true }, MONITORING);
    const profile = ns._profile();
    expect(profile).toEqual({
      name: 'team-a', allowedRegistries: REGISTRIES, sensitiveData: true, metricsScrapingPorts: [15090], podSecurityVersion: 'v1.30', dataPlane: DataPlane.SIDECAR,
    });
    profile.allowedRegistries.push('quay.io');
    expect(ns._profile().allowedRegistries).toEqual(REGISTRIES);
    expect(setup({ allowedRegistries: ['gcr.io/acme/team-a'], metricsScrapingPorts: [15090, 15020] }, MONITORING).ns._profile())
      .toMatchObject({ allowedRegistries: ['gcr.io/acme/team-a'], metricsScrapingPorts: [15020, 15090] });
  });

  describe('the guards it shares with HardenedNamespace', () => {
    test.each(['kube-system', 'kube-public', 'kube-node-lease', 'istio-system'])('reserved name %s', (name) => {
      expect(() => setup({ name })).toThrow(new RegExp(`\\[test/team\\] name: "${name}" is a reserved namespace`));
    });

    test('not a DNS label', () => {
      expect(() => setup({ name: 'Team_A' })).toThrow(/\[test\/team\] name: "Team_A"/);
    });

    test('widening the mesh\'s registries', () => {
      expect(() => setup({ allowedRegistries: ['quay.io'] }))
        .toThrow(/\[test\/team\] allowedRegistries: "quay.io" widens the mesh's allowed registries \(gcr.io\/acme, docker.io\/istio\); a namespace may only narrow them/);
      expect(() => setup({ allowedRegistries: [] })).toThrow(/allowedRegistries: an empty list \(any registry\) widens/);
    });

    test('ambient on a mesh that does not run ambient', () => {
      expect(() => setup({ dataPlane: DataPlane.AMBIENT })).toThrow(/\[test\/team\] dataPlane: AMBIENT on a mesh that does not run ambient.*Set ambient: true on the MeshBaseline/);
    });

    test('ambient with a revisioned control plane', () => {
      expect(() => setup({ dataPlane: DataPlane.AMBIENT }, { ambient: true, revision: 'canary' })).toThrow(/dataPlane: AMBIENT with control-plane revision "canary"/);
    });

    test('sensitiveData with viewers', () => {
      expect(() => setup({ sensitiveData: true, viewers: [RbacSubject.group('sre')] })).toThrow(/\[test\/team\] viewers: a sensitive-data namespace has no viewer role \(SECRET-1\)/);
    });

    test('metricsScrapingPorts without a monitoring namespace, or not a proxy port', () => {
      expect(() => setup({ metricsScrapingPorts: [15090] })).toThrow(/metricsScrapingPorts: 15090 would be opened to the monitoring namespace, but the mesh names none/);
      expect(() => setup({ metricsScrapingPorts: [8080] }, MONITORING)).toThrow(/metricsScrapingPorts: 8080 is not a proxy metrics port/);
    });

    test('podSecurityVersion too old or malformed', () => {
      expect(() => setup({ podSecurityVersion: '1.30' })).toThrow(/\[test\/team\] podSecurityVersion: "1.30"/);
    });

    test('a namespace defined twice: AppTeamNamespace then HardenedNamespace, and the other way round', () => {
      const { chart } = setup();
      expect(() => new HardenedNamespace(chart, 'again', { name: 'team-a' })).toThrow(/\[test\/again\] name: namespace "team-a" is already defined at test\/team/);
      expect(() => new AppTeamNamespace(chart, 'twice', { name: 'team-a' })).toThrow(/\[test\/twice\] name: namespace "team-a" is already defined at test\/team/);
      const other = Testing.chart();
      new MeshBaseline(other, 'mesh');
      new HardenedNamespace(other, 'first', { name: 'team-b' });
      expect(() => new AppTeamNamespace(other, 'second', { name: 'team-b' })).toThrow(/\[test\/second\] name: namespace "team-b" is already defined at test\/first/);
    });

    test('no mesh in the app', () => {
      expect(() => new AppTeamNamespace(Testing.chart(), 'team', { name: 'team-a' })).toThrow(/MeshBaseline/);
    });
  });

  test('every object synthesized (sidecar, ambient, sensitive, monitored) passes the harness', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { allowedRegistries: REGISTRIES, ambient: true, ...MONITORING });
    new AppTeamNamespace(chart, 'a', { name: 'team-a', deployers: [RbacSubject.group('a-devs')], viewers: [RbacSubject.user('alice@acme.example')] });
    new AppTeamNamespace(chart, 'b', { name: 'team-b', dataPlane: DataPlane.AMBIENT, deployers: [RbacSubject.serviceAccount('ci', 'deployer')] });
    new AppTeamNamespace(chart, 'c', { name: 'team-c', sensitiveData: true, deployers: [RbacSubject.group('c-devs')] });
    const objects = synthValidated(chart);
    expect(ofKind(objects, 'Namespace').map((n) => n.metadata.name).sort()).toEqual(['team-a', 'team-b', 'team-c']);
    expect(ofKind(objects, 'ClusterRoleBinding').filter((b) => JSON.stringify(b).includes('team-'))).toEqual([]);
  });
});
