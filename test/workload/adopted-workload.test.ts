import { ApiObject, Chart, Cron, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { auditManifests } from '../../src/audit/audit';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { DataPlane } from '../../src/mesh/data-plane';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { ADOPTED_WORKLOAD_LABEL, AdoptedWorkload } from '../../src/workload/adopted-workload';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, synthValidated } from '../helpers';
import { HTTP, IMAGE } from './hardening-kit';

/** A cdk8s-plus Deployment written the way the rules want it: own ServiceAccount, hardened container. */
function plusDeployment(chart: Chart, options: { serviceAccount?: boolean; namespace?: string; hardened?: boolean } = {}): kplus.Deployment {
  const namespace = options.namespace ?? 'shop';
  const serviceAccount = options.serviceAccount === false ? undefined
    : new kplus.ServiceAccount(chart, 'legacy-sa', { metadata: { name: 'legacy', namespace }, automountToken: false });
  const hardened = options.hardened !== false;
  const deployment = new kplus.Deployment(chart, 'legacy', {
    metadata: { name: 'legacy', namespace },
    serviceAccount,
    automountServiceAccountToken: false,
    replicas: 2,
    securityContext: { ensureNonRoot: true, user: 10001, group: 10001 },
    containers: [{
      image: IMAGE,
      portNumber: 8080,
      securityContext: hardened
        ? {
          ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, user: 10001, group: 10001,
        }
        : { ensureNonRoot: false, readOnlyRootFilesystem: false, allowPrivilegeEscalation: true },
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) } },
    }],
  });
  // cdk8s-plus can neither drop ALL capabilities nor set seccomp: the documented JSON patches.
  if (hardened) {
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
    );
  }
  return deployment;
}

function world() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', {});
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
  return { chart, ns, web };
}

describe('AdoptedWorkload', () => {
  test('a cdk8s-plus Deployment gets the mesh policies, selected by its own labels, with its ServiceAccount as principal', () => {
    const { chart, ns, web } = world();
    const deployment = plusDeployment(chart);
    const legacy = new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: deployment, ports: HTTP });
    legacy.allowFrom(web, { methods: ['GET'] });
    web.allowFrom(legacy);
    const objects = synthValidated(chart);
    const selector = deployment.matchLabels;
    expect(Object.keys(selector)).toEqual(['cdk8s.io/metadata.addr']);
    expect(legacy.peerPrincipal.toString()).toContain('ns/shop/sa/legacy');
    const policy = findObject(objects, 'AuthorizationPolicy', 'legacy', 'shop');
    expect(policy.spec.selector).toEqual({ matchLabels: selector });
    expect(policy.spec.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }]);
    expect(findObject(objects, 'NetworkPolicy', 'legacy-ingress', 'shop').spec.podSelector).toEqual({ matchLabels: selector });
    expect(findObject(objects, 'Service', 'legacy', 'shop').spec.selector).toEqual(selector);
    expect(findObject(objects, 'DestinationRule', 'legacy', 'shop').spec).toEqual({ host: 'legacy.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/legacy']);
    expect(findObject(objects, 'NetworkPolicy', 'legacy-egress', 'shop').spec.podSelector).toEqual({ matchLabels: selector });

    const matrix = AccessMatrix.fromManifests(objects);
    expect(matrix.check({ from: 'shop/web', to: 'shop/legacy', port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
    expect(matrix.check({ from: 'shop/web', to: 'shop/legacy', port: 8080, method: 'POST', path: '/' }).allowed).toBe(false);
    expect(matrix.check({ from: 'shop/legacy', to: 'shop/web', port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
    const result = auditManifests(objects.map((object, i) => ({ object, file: 'app.k8s.yaml', line: i + 1, documentIndex: i })));
    expect(result.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
  });

  test('ambient: the containers\' probe ports, named or numbered and added after adoption, are admitted from the kubelet SNAT address', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { ambient: true });
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
    const deployment = plusDeployment(chart);
    const legacy = new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: deployment, ports: HTTP });
    deployment.containers[0].addPort({ number: 9901, name: 'admin' });
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/readinessProbe', { tcpSocket: { port: 8080 } }));
    expect(legacy.usesWaypoint).toBe(false);
    // Probes declared through cdk8s-plus are what the library can read; one added by a JSON patch is not (see the doc).
    const probed = new kplus.Deployment(chart, 'probed', {
      metadata: { name: 'probed', namespace: 'shop' },
      serviceAccount: new kplus.ServiceAccount(chart, 'probed-sa', { metadata: { name: 'probed', namespace: 'shop' }, automountToken: false }),
      containers: [{ image: IMAGE, portNumber: 8080, readiness: kplus.Probe.fromTcpSocket({ port: 8080 }), liveness: kplus.Probe.fromHttpGet('/live', { port: 9901 }) }],
    });
    const adopted = new AdoptedWorkload(chart, 'adopt-probed', { namespace: ns, workload: probed, ports: HTTP });
    const ingress = (adopted as any).rendered().ingress;
    expect(ingress).toEqual([{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }], ports: [{ port: 8080, protocol: 'TCP' }, { port: 9901, protocol: 'TCP' }] }]);
  });

  test('a workload that only calls: no Service; nothing admitted', () => {
    const { chart, ns, web } = world();
    const legacy = new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: plusDeployment(chart) });
    web.allowFrom(legacy);
    const objects = synthValidated(chart);
    expect(objects.filter((o) => o.kind === 'Service' && o.metadata.name === 'legacy')).toEqual([]);
    expect(findObject(objects, 'AuthorizationPolicy', 'legacy', 'shop').spec.rules).toBeUndefined();
    expect(() => legacy.allowFrom(web)).toThrow(/only calls/);
  });

  test('what cdk8s-plus leaves open fails synthesis with the rule that names it', () => {
    const { chart, ns } = world();
    new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: plusDeployment(chart, { hardened: false }) });
    expect(() => Testing.synth(chart)).toThrow(/POD-ROOT-001.*Deployment\/shop\/legacy/s);
  });

  describe('guards', () => {
    test('the namespace\'s default ServiceAccount is refused: it is every unnamed pod\'s identity', () => {
      const { chart, ns } = world();
      expect(() => new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: plusDeployment(chart, { serviceAccount: false }) }))
        .toThrow(/\[test\/adopt\] workload: Deployment\/legacy \(test\/legacy\) runs as the namespace's "default" ServiceAccount.*Give it its own/);
    });

    test('a workload of another namespace', () => {
      const { chart, ns } = world();
      expect(() => new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: plusDeployment(chart, { namespace: 'other' }) }))
        .toThrow(/workload: Deployment\/legacy \(test\/legacy\) is in namespace "other", not shop/);
    });

    test('not a cdk8s-plus workload', () => {
      const { chart, ns } = world();
      expect(() => new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: {} as any })).toThrow(/workload: not a cdk8s-plus workload/);
    });

    test('adopting it twice, or under a name already taken', () => {
      const { chart, ns } = world();
      const d = plusDeployment(chart);
      new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: d });
      expect(() => new AdoptedWorkload(chart, 'again', { namespace: ns, workload: d })).toThrow(/name: workload "shop\/legacy" is already defined at test\/adopt/);
      expect(() => new AdoptedWorkload(chart, 'web2', { namespace: ns, workload: d, name: 'web' })).toThrow(/workload "shop\/web" is already defined/);
    });

    test('ports are checked like a SecureService\'s', () => {
      const { chart, ns } = world();
      expect(() => new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload: plusDeployment(chart), ports: [{ name: 'http', port: 0, protocol: AppProtocol.HTTP }] }))
        .toThrow(/ports: ports\[0\]\.port/);
    });
  });
});

describe('AdoptedWorkload of each cdk8s-plus workload kind', () => {
  const hardenedContainer = {
    image: IMAGE,
    securityContext: {
      ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, user: 10001, group: 10001,
    },
    resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) } },
  };
  const podPatches = (pointer: string) => [
    JsonPatch.add(`${pointer}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
    JsonPatch.add(`${pointer}/containers/0/securityContext/capabilities`, { drop: ['ALL'] }),
  ];
  test.each<[string, (chart: Chart, sa: kplus.ServiceAccount) => kplus.Workload, string]>([
    ['StatefulSet', (chart, sa) => new kplus.StatefulSet(chart, 'legacy', {
      metadata: { name: 'legacy', namespace: 'shop' },
      serviceAccount: sa,
      automountServiceAccountToken: false,
      replicas: 1,
      containers: [{ ...hardenedContainer, portNumber: 8080 }],
    }), '/spec/template/spec'],
    ['Job', (chart, sa) => new kplus.Job(chart, 'legacy', {
      metadata: { name: 'legacy', namespace: 'shop' }, serviceAccount: sa, automountServiceAccountToken: false, containers: [hardenedContainer],
    }), '/spec/template/spec'],
    ['CronJob', (chart, sa) => new kplus.CronJob(chart, 'legacy', {
      metadata: { name: 'legacy', namespace: 'shop' }, serviceAccount: sa, automountServiceAccountToken: false, schedule: Cron.daily(), containers: [hardenedContainer],
    }), '/spec/jobTemplate/spec/template/spec'],
  ])('%s: its pods are selected by their labels and granted egress like any mesh workload', (_kind, make, pointer) => {
    const { chart, ns, web } = world();
    const sa = new kplus.ServiceAccount(chart, 'legacy-sa', { metadata: { name: 'legacy', namespace: 'shop' }, automountToken: false });
    const workload = make(chart, sa);
    ApiObject.of(workload).addJsonPatch(...podPatches(pointer));
    const legacy = new AdoptedWorkload(chart, 'adopt', { namespace: ns, workload });
    web.allowFrom(legacy, { methods: ['GET'] });
    const objects = synthValidated(chart);
    // The policies select exactly the labels the pods carry: cdk8s-plus's selector, or for Jobs (which have none) ours.
    const selector = findObject(objects, 'AuthorizationPolicy', 'legacy', 'shop').spec.selector.matchLabels;
    expect(selector).toEqual(legacy.peerPodLabels);
    if (Object.keys(workload.matchLabels).length > 0) expect(selector).toEqual(workload.matchLabels);
    else expect(selector).toEqual({ [ADOPTED_WORKLOAD_LABEL]: 'legacy' });
    const runner = objects.find((o) => o.kind === workload.kind && o.metadata.name === 'legacy');
    const podLabels = pointer.split('/').slice(1, -1).reduce((o: any, k) => o[k], runner).metadata.labels;
    expect(podLabels).toMatchObject(selector);
    expect(AccessMatrix.fromManifests(objects).check({ from: 'shop/legacy', to: 'shop/web', port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
  });
});
