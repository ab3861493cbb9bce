import { Testing } from 'cdk8s';
import { Gateway } from '../../src/imports/gateway.networking.k8s.io';
import { DataPlane } from '../../src/mesh/data-plane';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { RbacSubject } from '../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { findObject, ofKind, synthValidated } from '../helpers';

function setup(props: Partial<ConstructorParameters<typeof HardenedNamespace>[2]> = {}, baseline = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', baseline);
  const ns = new HardenedNamespace(chart, 'team', { name: 'team-a', ...props });
  return { chart, ns };
}

describe('HardenedNamespace', () => {
  test('shape', () => {
    const { chart } = setup({ deployers: [RbacSubject.group('team-a-devs')], viewers: [RbacSubject.group('sre')] });
    expect(synthValidated(chart).filter((o) => o.metadata.namespace === 'team-a' || o.kind === 'Namespace')).toMatchSnapshot();
  });

  test('Namespace: sidecar injection and Pod Security Admission restricted, pinned', () => {
    const { chart } = setup();
    const labels = findObject(synthValidated(chart), 'Namespace', 'team-a').metadata.labels;
    expect(labels).toEqual({
      'istio-injection': 'enabled',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.30',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.30',
    });
  });

  test('revision-based install: istio.io/rev instead of istio-injection', () => {
    const { chart } = setup({ podSecurityVersion: 'v1.31' }, { revision: 'canary' });
    const labels = findObject(synthValidated(chart), 'Namespace', 'team-a').metadata.labels;
    expect(labels['istio.io/rev']).toBe('canary');
    expect(labels['istio-injection']).toBeUndefined();
    expect(labels['pod-security.kubernetes.io/enforce-version']).toBe('v1.31');
  });

  test('MTLS-1 and AUTHZ-1 at namespace level: STRICT, allow-nothing; no PERMISSIVE anywhere', () => {
    const { chart } = setup();
    const objects = synthValidated(chart);
    expect(findObject(objects, 'PeerAuthentication', 'default', 'team-a').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-nothing', 'team-a').spec).toEqual({});
    expect(JSON.stringify(objects)).not.toMatch(/PERMISSIVE|DISABLE/);
  });

  test('NETPOL-1: default deny for ingress and egress, then only DNS and istiod 15012', () => {
    const { chart } = setup();
    const policies = ofKind(synthValidated(chart), 'NetworkPolicy', 'team-a');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['allow-dns', 'allow-istiod', 'default-deny']);
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // No policy of the namespace admits any ingress.
    expect(policies.every((p) => !p.spec.ingress)).toBe(true);
    const dns = policies.find((p) => p.metadata.name === 'allow-dns').spec.egress;
    expect(dns).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    }]);
    const istiod = policies.find((p) => p.metadata.name === 'allow-istiod').spec.egress;
    expect(istiod).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
      ports: [{ protocol: 'TCP', port: 15012 }],
    }]);
    // Every egress rule names ports: none opens all ports.
    expect(policies.flatMap((p) => p.spec.egress ?? []).every((r: any) => r.ports?.length > 0)).toBe(true);
  });

  test('Sidecar: egress visibility limited to the namespace and the control plane; REGISTRY_ONLY', () => {
    const { chart, ns } = setup({}, { controlPlaneNamespace: 'istio-cp' });
    ns._addEgressHost('payments/ledger.payments.svc.cluster.local');
    ns._addEgressHost('payments/ledger.payments.svc.cluster.local');
    const sidecar = findObject(synthValidated(chart), 'Sidecar', 'default', 'team-a');
    expect(sidecar.spec).toEqual({
      egress: [{ hosts: ['./*', 'istio-cp/*', 'payments/ledger.payments.svc.cluster.local'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
  });

  test('default ServiceAccount mounts no token', () => {
    const { chart } = setup();
    expect(findObject(synthValidated(chart), 'ServiceAccount', 'default', 'team-a').automountServiceAccountToken).toBe(false);
  });

  test('NS-1: team roles are namespace-bound; no ClusterRoleBinding', () => {
    const { chart, ns } = setup({ deployers: [RbacSubject.group('devs')] });
    const objects = synthValidated(chart);
    expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
    expect(findObject(objects, 'RoleBinding', 'app-deployers', 'team-a').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }]);
    expect(ns.teamRoles?.deployerRole).toBe('app-deployer');
  });

  test('allowedRegistries: namespace list replaces the mesh list (within it)', () => {
    expect(setup({}, { allowedRegistries: ['gcr.io/a'] }).ns.allowedRegistries).toEqual(['gcr.io/a']);
    expect(setup({ allowedRegistries: ['gcr.io/a/b'] }, { allowedRegistries: ['gcr.io/a'] }).ns.allowedRegistries).toEqual(['gcr.io/a/b']);
  });

  test('works with a mesh managed elsewhere (fromAttributes), no baseline in the app', () => {
    const chart = Testing.chart();
    new HardenedNamespace(chart, 'team', { name: 'team-a', mesh: MeshBaseline.fromAttributes({ trustDomain: 'example.org', revision: 'stable' }) });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Namespace', 'team-a').metadata.labels['istio.io/rev']).toBe('stable');
    expect(ofKind(objects, 'PeerAuthentication')).toHaveLength(1);
  });

  test('the namespace sorts before its contents', () => {
    const { chart } = setup();
    const objects = synthValidated(chart).filter((o) => o.kind === 'Namespace' || o.metadata.namespace === 'team-a');
    expect(objects[0].kind).toBe('Namespace');
  });

  test('SECRET-1: a sensitive-data namespace is labelled and has no viewer role', () => {
    const { chart } = setup({ sensitiveData: true, deployers: [RbacSubject.group('vault-team')] });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Namespace', 'team-a').metadata.labels['secure-mesh.cdk8s.io/sensitive-data']).toBe('true');
    expect(ofKind(objects, 'RoleBinding', 'team-a').map((b) => b.metadata.name)).toEqual(['app-deployers']);
    expect(() => setup({ sensitiveData: true, viewers: [RbacSubject.group('everyone-curious')] })).toThrow(/viewers: a sensitive-data namespace has no viewer role \(SECRET-1\)/);
  });

  describe('OPS-3: metrics scraping of the proxies (15020, 15090) by the monitoring namespace', () => {
    const MONITORING = { monitoringNamespace: 'monitoring', monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus' } };
    const scrapePolicy = (objects: any[]) => ofKind(objects, 'NetworkPolicy', 'team-a').filter((p) => p.metadata.name === 'allow-metrics-scraping');
    /** Every (peer, port) the namespace's NetworkPolicies admit on ingress. */
    const ingressPorts = (objects: any[]) => ofKind(objects, 'NetworkPolicy', 'team-a')
      .flatMap((p) => (p.spec.ingress ?? []).flatMap((r: any) => (r.ports ?? [{ port: 'ALL' }]).map((x: any) => x.port)));

    test('snapshot: the scrape policy next to the namespace\'s other NetworkPolicies', () => {
      const { chart } = setup({}, MONITORING);
      expect(ofKind(synthValidated(chart), 'NetworkPolicy', 'team-a')).toMatchSnapshot();
    });

    test('admits exactly the monitoring namespace\'s Prometheus pods, on exactly TCP 15020 and 15090, to every pod', () => {
      const { chart, ns } = setup({}, MONITORING);
      const objects = synthValidated(chart);
      expect(scrapePolicy(objects)).toHaveLength(1);
      expect(scrapePolicy(objects)[0].spec).toEqual({
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          }],
          ports: [{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 15090 }],
        }],
      });
      expect(ns.metricsScrapingPorts).toEqual([15020, 15090]);
      // No other port of the namespace is open to anyone: not 15021, not 15000, not an app port.
      expect(ingressPorts(objects).sort()).toEqual([15020, 15090]);
      // The scrape policy adds no egress: the default deny still holds for everything else.
      expect(scrapePolicy(objects)[0].spec.egress).toBeUndefined();
    });

    test('without monitoringPodLabels, every pod of the monitoring namespace (as for istiod\'s 15014)', () => {
      const { chart } = setup({}, { monitoringNamespace: 'monitoring' });
      expect(scrapePolicy(synthValidated(chart))[0].spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
    });

    test('nothing is opened when the mesh names no monitoring namespace', () => {
      const { chart, ns } = setup();
      const objects = synthValidated(chart);
      expect(scrapePolicy(objects)).toEqual([]);
      expect(ingressPorts(objects)).toEqual([]);
      expect(ns.metricsScrapingPorts).toEqual([]);
      // [] is also accepted without a monitoring namespace (nothing to open).
      expect(setup({ metricsScrapingPorts: [] }).ns.metricsScrapingPorts).toEqual([]);
    });

    test('metricsScrapingPorts narrows: Envoy\'s stats only, or nothing', () => {
      const envoyOnly = setup({ metricsScrapingPorts: [15090] }, MONITORING);
      expect(scrapePolicy(synthValidated(envoyOnly.chart))[0].spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 15090 }]);
      const none = setup({ metricsScrapingPorts: [] }, MONITORING);
      const objects = synthValidated(none.chart);
      expect(scrapePolicy(objects)).toEqual([]);
      expect(ingressPorts(objects)).toEqual([]);
      expect(none.ns.metricsScrapingPorts).toEqual([]);
      expect(setup({ metricsScrapingPorts: [15090, 15020] }, MONITORING).ns.metricsScrapingPorts).toEqual([15020, 15090]);
    });

    test('SECRET-1: a sensitive-data namespace opens only Envoy\'s 15090 by default (no merged app metrics, no probe endpoints)', () => {
      const { chart, ns } = setup({ sensitiveData: true }, MONITORING);
      expect(ns.metricsScrapingPorts).toEqual([15090]);
      expect(scrapePolicy(synthValidated(chart))[0].spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 15090 }]);
      expect(setup({ sensitiveData: true, metricsScrapingPorts: [15020, 15090] }, MONITORING).ns.metricsScrapingPorts).toEqual([15020, 15090]);
    });

    test('a mesh managed elsewhere names its monitoring namespace with fromAttributes', () => {
      const chart = Testing.chart();
      new HardenedNamespace(chart, 'team', { name: 'team-a', mesh: MeshBaseline.fromAttributes(MONITORING) });
      const from = scrapePolicy(synthValidated(chart))[0].spec.ingress[0].from;
      expect(from).toEqual([{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      }]);
      const closed = Testing.chart();
      new HardenedNamespace(closed, 'team', { name: 'team-a', mesh: MeshBaseline.fromAttributes({}) });
      expect(scrapePolicy(synthValidated(closed))).toEqual([]);
    });

    test('a custom revision and control plane do not change the scrape policy', () => {
      const { chart } = setup({}, { ...MONITORING, revision: 'canary', controlPlaneNamespace: 'istio-cp' });
      expect(scrapePolicy(synthValidated(chart))[0].spec.ingress[0].ports.map((p: any) => p.port)).toEqual([15020, 15090]);
    });

    describe('guards', () => {
      test.each([[[15021]], [[8080]], [[15000]], [[15020, 9090]]])('%j: only 15020 and 15090 can be opened', (ports) => {
        expect(() => setup({ metricsScrapingPorts: ports }, MONITORING))
          .toThrow(/\[test\/team\] metricsScrapingPorts: .* not (a )?proxy metrics ports? \(only 15020, pilot-agent's merged metrics, and 15090, Envoy's stats/);
      });

      test('a port listed twice', () => {
        expect(() => setup({ metricsScrapingPorts: [15090, 15090] }, MONITORING)).toThrow(/metricsScrapingPorts: 15090, 15090 lists a port twice/);
      });

      test('ports to open, but no monitoring namespace', () => {
        expect(() => setup({ metricsScrapingPorts: [15090] })).toThrow(/\[test\/team\] metricsScrapingPorts: 15090 would be opened to the monitoring namespace, but the mesh names none/);
      });

      test('a hand-written IMesh with invalid monitoring settings', () => {
        const mesh = MeshBaseline.fromAttributes({});
        const chart = () => Testing.chart();
        expect(() => new HardenedNamespace(chart(), 'team', { name: 'team-a', mesh: { ...mesh, monitoringPodLabels: { app: 'prometheus' } } }))
          .toThrow(/\[test\/team\] mesh: monitoringPodLabels is set but monitoringNamespace is not/);
        expect(() => new HardenedNamespace(chart(), 'team', { name: 'team-a', mesh: { ...mesh, monitoringNamespace: 'monitoring', monitoringPodLabels: {} } }))
          .toThrow(/mesh: monitoringPodLabels is empty, which selects every pod of the monitoring namespace/);
        expect(() => new HardenedNamespace(chart(), 'team', { name: 'team-a', mesh: { ...mesh, monitoringNamespace: 'Monitoring' } }))
          .toThrow(/\[test\/team\] mesh.monitoringNamespace: "Monitoring"/);
      });
    });
  });

  describe('guards', () => {
    test('invalid names', () => {
      expect(() => setup({ name: 'Team_A' })).toThrow(/\[test\/team\] name: "Team_A" a lowercase RFC 1123 label/);
      expect(() => setup({ name: 'a'.repeat(64) })).toThrow(/no more than 63/);
      expect(() => setup({ name: '-team' })).toThrow(/\[test\/team\] name:/);
    });

    test.each(['kube-system', 'kube-public', 'kube-node-lease', 'istio-system'])('reserved namespace %s', (name) => {
      expect(() => setup({ name })).toThrow(new RegExp(`\\[test/team\\] name: "${name}" is a reserved namespace`));
    });

    test('a custom control-plane namespace is reserved too', () => {
      expect(() => setup({ name: 'istio-cp' }, { controlPlaneNamespace: 'istio-cp' })).toThrow(/reserved namespace/);
    });

    test('the same namespace twice', () => {
      const { chart } = setup();
      expect(() => new HardenedNamespace(chart, 'again', { name: 'team-a' })).toThrow(/\[test\/again\] name: namespace "team-a" is already defined at test\/team/);
    });

    test('no mesh baseline and no mesh prop', () => {
      expect(() => new HardenedNamespace(Testing.chart(), 'team', { name: 'team-a' })).toThrow(/MeshBaseline/);
    });

    test('pod security version', () => {
      expect(() => setup({ podSecurityVersion: '1.30' })).toThrow(/podSecurityVersion: "1.30" is not a Kubernetes minor version/);
    });

    test('allowed registries may narrow the mesh\'s, never widen them (IMG-1)', () => {
      const mesh = { allowedRegistries: ['gcr.io/acme', 'docker.io/istio'] };
      expect(setup({ allowedRegistries: ['gcr.io/acme/team-a'] }, mesh).ns.allowedRegistries).toEqual(['gcr.io/acme/team-a']);
      expect(setup({}, mesh).ns.allowedRegistries).toEqual(['gcr.io/acme', 'docker.io/istio']);
      expect(() => setup({ allowedRegistries: ['gcr.io/acme', 'quay.io'] }, mesh))
        .toThrow(/\[.*team\] allowedRegistries: "quay.io" widens the mesh's allowed registries \(gcr.io\/acme, docker.io\/istio\); a namespace may only narrow them/);
      expect(() => setup({ allowedRegistries: ['gcr.io/acme-other'] }, mesh)).toThrow(/"gcr.io\/acme-other" widens/);
      expect(() => setup({ allowedRegistries: [] }, mesh)).toThrow(/an empty list \(any registry\) widens/);
      // A mesh without a list allows any registry: any namespace list narrows it.
      expect(setup({ allowedRegistries: ['quay.io'] }).ns.allowedRegistries).toEqual(['quay.io']);
    });
  });
});

describe('HardenedNamespace on ambient (dataPlane: AMBIENT)', () => {
  const ambient = (props = {}, baseline: object = { ambient: true }) => setup({ dataPlane: DataPlane.AMBIENT, ...props }, baseline);

  test('shape', () => {
    const { chart } = ambient();
    expect(synthValidated(chart).filter((o) => o.metadata.namespace === 'team-a' || o.kind === 'Namespace')).toMatchSnapshot();
  });

  test('the ambient label instead of injection; STRICT and allow-nothing still written (both bind to ztunnel)', () => {
    const objects = synthValidated(ambient().chart);
    const labels = findObject(objects, 'Namespace', 'team-a').metadata.labels;
    expect(labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(labels['istio-injection']).toBeUndefined();
    expect(findObject(objects, 'PeerAuthentication', 'default', 'team-a').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(findObject(objects, 'AuthorizationPolicy', 'allow-nothing', 'team-a').spec).toEqual({});
  });

  test('NetworkPolicies: default deny and DNS, nothing else (kubelet probes are admitted per workload); no Sidecar, no istiod or scraping for proxy-less pods', () => {
    const { chart } = ambient({}, { ambient: true, monitoringNamespace: 'monitoring' });
    const objects = synthValidated(chart);
    expect(ofKind(objects, 'NetworkPolicy', 'team-a').map((o) => o.metadata.name).sort()).toEqual(['allow-dns', 'default-deny']);
    expect(ofKind(objects, 'Sidecar', 'team-a')).toEqual([]);
  });

  test('the waypoint, deployed on first use: a Gateway of class istio-waypoint, its own default deny, and its pods\' NetworkPolicies', () => {
    const { chart, ns } = ambient({}, { ambient: true, monitoringNamespace: 'monitoring' });
    const waypoint = ns._waypoint();
    expect(ns._waypoint()).toBe(waypoint);
    expect(waypoint.principal.principalIn('cluster.local')).toBe('cluster.local/ns/team-a/sa/waypoint');
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Gateway', 'waypoint', 'team-a')).toMatchObject({
      metadata: { labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(findObject(objects, 'AuthorizationPolicy', 'waypoint-allow-nothing', 'team-a').spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
    });
    const waypointPods = { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } };
    expect(findObject(objects, 'NetworkPolicy', 'waypoint-allow-istiod', 'team-a').spec.podSelector).toEqual(waypointPods);
    expect(findObject(objects, 'NetworkPolicy', 'waypoint-allow-metrics-scraping', 'team-a').spec.podSelector).toEqual(waypointPods);
    // Nothing served yet: the waypoint admits nothing and reaches nothing.
    expect(findObject(objects, 'NetworkPolicy', 'waypoint', 'team-a').spec).toMatchObject({ podSelector: waypointPods, ingress: [], egress: [] });
  });

  test('the waypoint Gateway is exactly what the typed Gateway API v1.5.1 binding renders for it', () => {
    const { chart, ns } = ambient();
    ns._waypoint();
    const written = findObject(synthValidated(chart), 'Gateway', 'waypoint', 'team-a');
    const typed = new Gateway(Testing.chart(), 'typed', {
      metadata: { name: 'waypoint', namespace: 'team-a', labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(written).toEqual(typed.toJson());
  });

  test('a sidecar namespace has no waypoint to give', () => {
    expect(() => setup().ns._waypoint()).toThrow(/namespace team-a is not ambient/);
  });

  test.each<[string, object, object, RegExp]>([
    ['a mesh that does not run ambient', { dataPlane: DataPlane.AMBIENT }, {},
      /\[test\/team\] dataPlane: AMBIENT on a mesh that does not run ambient: without ztunnel the pods would have no mTLS and no authorization/],
    ['a revisioned control plane', { dataPlane: DataPlane.AMBIENT }, { ambient: true, revision: 'canary' },
      /\[test\/team\] dataPlane: AMBIENT with control-plane revision "canary"/],
    ['an unknown data plane', { dataPlane: 'istio' as any }, { ambient: true }, /\[test\/team\] dataPlane: "istio" is not a data plane/],
  ])('refuses %s', (_name, props, baseline, error) => {
    expect(() => setup(props, baseline)).toThrow(error);
  });

  test('the mesh default applies unless the namespace chooses', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { defaultDataPlane: DataPlane.AMBIENT });
    const amb = new HardenedNamespace(chart, 'a', { name: 'a' });
    const side = new HardenedNamespace(chart, 'b', { name: 'b', dataPlane: DataPlane.SIDECAR });
    expect([amb.dataPlane, side.dataPlane]).toEqual([DataPlane.AMBIENT, DataPlane.SIDECAR]);
  });
});
