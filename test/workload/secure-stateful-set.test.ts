import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureStatefulSet, SecureStatefulSetProps } from '../../src/workload/secure-stateful-set';
import { findObject, ofKind, synthValidated } from '../helpers';
import { HTTP, IMAGE, describeHardening } from './hardening-kit';

describeHardening({
  kind: 'StatefulSet',
  make: (chart, ns, id, props) => new SecureStatefulSet(chart, id, { namespace: ns, image: IMAGE, ports: HTTP, ...props }),
  runner: (w) => (w as SecureStatefulSet).statefulSet,
  podSpecPointer: '/spec/template/spec',
  serves: true,
});

const PG = [{ name: 'tcp-postgres', port: 5432, protocol: AppProtocol.TCP }];

function world(props: Partial<SecureStatefulSetProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', {});
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const db = () => new SecureStatefulSet(chart, 'db', {
    namespace: ns,
    image: IMAGE,
    ports: PG,
    runAsUser: 999,
    fsGroup: 999,
    volumes: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(10) }],
    writablePaths: ['/tmp', '/var/run/postgresql'],
    ...props,
  });
  return { chart, ns, db };
}

describe('SecureStatefulSet', () => {
  test('shape: ServiceAccount, policies, StatefulSet with claim templates, headless Service, DestinationRule', () => {
    const { chart, db } = world();
    db();
    expect(synthValidated(chart).filter((o) => o.metadata.name?.startsWith('db'))).toMatchSnapshot();
  });

  test('stable identity: a headless Service named like the StatefulSet governs the pods\' DNS names', () => {
    const { chart, db } = world();
    const s = db();
    const objects = synthValidated(chart);
    const service = findObject(objects, 'Service', 'db', 'shop');
    expect(service.spec.clusterIP).toBe('None');
    expect(service.spec.ports).toEqual([{ name: 'tcp-postgres', port: 5432, targetPort: 5432, protocol: 'TCP', appProtocol: 'tcp' }]);
    expect(findObject(objects, 'StatefulSet', 'db', 'shop').spec.serviceName).toBe('db');
    expect(s.host).toBe('db.shop.svc.cluster.local');
  });

  test('one claim per pod and volume, mounted read-write beside the read-only root; kept on delete and scale-down', () => {
    const { chart, db } = world();
    db();
    const sts = findObject(synthValidated(chart), 'StatefulSet', 'db', 'shop');
    expect(sts.spec.volumeClaimTemplates).toEqual([{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }]);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const container = sts.spec.template.spec.containers[0];
    expect(container.volumeMounts).toContainEqual({ mountPath: '/var/lib/postgresql/data', name: 'data' });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999, runAsNonRoot: true });
  });

  test('storage class, access mode and sizes that are not whole gibibytes', () => {
    const { chart, db } = world({
      volumes: [{ name: 'data', mountPath: '/data', storage: Size.mebibytes(1536), storageClassName: 'premium-rwo', accessMode: kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE_POD }],
      writablePaths: undefined,
    });
    db();
    expect(findObject(synthValidated(chart), 'StatefulSet', 'db', 'shop').spec.volumeClaimTemplates[0].spec)
      .toEqual({ accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '1536Mi' } }, storageClassName: 'premium-rwo' });
  });

  test('one replica by default (replication is the app\'s): no PodDisruptionBudget, no spread; more replicas get both', () => {
    const one = world();
    one.db();
    const objects = synthValidated(one.chart);
    expect(findObject(objects, 'StatefulSet', 'db', 'shop').spec.replicas).toBe(1);
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
    const three = world({ replicas: 3 });
    three.db();
    const more = synthValidated(three.chart);
    expect(findObject(more, 'PodDisruptionBudget', 'db', 'shop').spec).toMatchObject({ maxUnavailable: 1 });
    expect(findObject(more, 'StatefulSet', 'db', 'shop').spec.template.spec.topologySpreadConstraints).toHaveLength(2);
  });

  describe('guards', () => {
    test.each<[string, Partial<SecureStatefulSetProps>, RegExp]>([
      ['no port', { ports: [] }, /\[test\/db\] ports: a StatefulSet serves through its headless Service, and no port was given/],
      ['zero replicas', { replicas: 0 }, /replicas: 0 is not a positive integer/],
      ['a volume name that is not a label', { volumes: [{ name: 'Data', mountPath: '/d', storage: Size.gibibytes(1) }] }, /volumes\[0\]\.name: "Data"/],
      ['a relative mount path', { volumes: [{ name: 'data', mountPath: 'data', storage: Size.gibibytes(1) }] }, /volumes: .*is not an absolute path/],
      ['a mount over a writable path', { volumes: [{ name: 'data', mountPath: '/tmp', storage: Size.gibibytes(1) }] }, /volumes: .*"\/tmp" is already a mount/],
      ['two volumes with one name', {
        writablePaths: undefined,
        volumes: [{ name: 'data', mountPath: '/a', storage: Size.gibibytes(1) }, { name: 'data', mountPath: '/b', storage: Size.gibibytes(1) }],
      }, /volumes: two volumes have the same name/],
      ['a volume named like the pod\'s own', { volumes: [{ name: 'writable-0', mountPath: '/d', storage: Size.gibibytes(1) }] }, /volumes: "writable-0" is the name of a volume the pod already has/],
      ['a fraction of a mebibyte', { volumes: [{ name: 'data', mountPath: '/d', storage: Size.kibibytes(10) }] }, /volumes\[0\]\.storage: the storage is not a whole number of mebibytes/],
      ['a storage class that is not a name', { volumes: [{ name: 'data', mountPath: '/d', storage: Size.gibibytes(1), storageClassName: 'Fast SSD' }] }, /volumes\[0\]\.storageClassName/],
      ['an unknown access mode', { volumes: [{ name: 'data', mountPath: '/d', storage: Size.gibibytes(1), accessMode: 'Everyone' as any }] }, /volumes\[0\]\.accessMode: "Everyone" is not an access mode/],
      ['root', { runAsUser: 0 }, /runAsUser/],
    ])('%s', (_name, props, message) => {
      const { db } = world(props);
      expect(() => db()).toThrow(message);
    });
  });
});
