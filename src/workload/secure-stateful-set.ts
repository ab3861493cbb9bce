import { ApiObject, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { podDisruptionBudget } from './hardened-deployment';
import { MeshWorkload, nativeIdentity } from './mesh-workload';
import { checkWritablePaths } from './pod-settings';
import { HardenedPodSpec, hardenedPodTemplate } from './pod-template';
import { CLUSTER_DOMAIN, writeService } from './secure-service';
import { ISecureService, ServingWorkloadProps } from './workload-props';
import { assertNoProblems, configError } from '../core/errors';
import { checkDns1123Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

/** A persistent volume each pod of a SecureStatefulSet gets (one claim per pod, kept across restarts and rescheduling). */
export interface StatefulVolume {
  /** The claim template's name (a DNS-1123 label); pod N's claim is `<name>-<statefulset>-<N>`. */
  readonly name: string;
  /** The absolute path the volume is mounted at, read-write (the root filesystem stays read-only). */
  readonly mountPath: string;
  /** The storage requested, e.g. `Size.gibibytes(10)`. */
  readonly storage: Size;
  /**
   * The StorageClass of the claim.
   *
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * How the volume may be mounted. `READ_WRITE_ONCE_POD` (CSI volumes only) guarantees that only
   * one pod ever writes it.
   *
   * @default kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE
   */
  readonly accessMode?: kplus.PersistentVolumeAccessMode;
}

/** Props of a SecureStatefulSet. */
export interface SecureStatefulSetProps extends ServingWorkloadProps {
  /**
   * Number of pods, each with a stable name (`<name>-0`, `<name>-1`, ...) and its own volumes.
   *
   * With more than one, the pods also get a PodDisruptionBudget (`maxUnavailable: 1`) and soft
   * zone and node spread, as a SecureService does. Replication itself (a primary and replicas,
   * a quorum) is the app's: the StatefulSet only gives each pod its identity and disk.
   *
   * @default 1
   */
  readonly replicas?: number;
  /**
   * The persistent volumes of each pod (`volumeClaimTemplates`). The claims are kept when the
   * StatefulSet is deleted or scaled down (`persistentVolumeClaimRetentionPolicy` Retain), so a
   * mistaken delete never loses data; remove them deliberately.
   *
   * @default - no persistent volume
   */
  readonly volumes?: StatefulVolume[];
}

/**
 * A stateful workload in the mesh (a database, a queue, a cache with a disk), closed until granted
 * like a SecureService (AUTHZ-1..4, MTLS-1, POD-1): the hardened-workload core (see
 * `MeshWorkload`) run by a StatefulSet behind a headless Service.
 *
 * Each pod keeps a stable name and DNS record (`<name>-0.<name>.<namespace>.svc.cluster.local`)
 * and its own persistent volumes, mounted read-write while the root filesystem stays read-only.
 * Its identity is still the ServiceAccount's, shared by all its pods: Istio authorizes the
 * workload, not one replica. Traffic to it is mTLS (`ISTIO_MUTUAL`), including to one pod's name,
 * and `allowFrom` grants exactly as a SecureService's does.
 */
export class SecureStatefulSet extends MeshWorkload implements ISecureService {
  /** The headless Service's name (the workload's name). */
  public readonly serviceName: string;
  /** The Service FQDN, `<name>.<namespace>.svc.cluster.local`; pod N is `<name>-N.<host>`. */
  public readonly host: string;
  /**
   * The StatefulSet, as a plain ApiObject.
   *
   * Change it with JSON patches: synth-time enforcement checks them like everything else.
   */
  public readonly statefulSet: ApiObject;

  constructor(scope: Construct, id: string, props: SecureStatefulSetProps) {
    super(scope, id, nativeIdentity(id, props));
    this._hardenPod(props);
    if (this.callsOnly) {
      throw configError(this, 'ports', 'a StatefulSet serves through its headless Service, and no port was given',
        'Name the ports it serves; a workload that only calls is a SecureService with ports: []');
    }
    this.serviceName = this.workloadName;
    this.host = `${this.serviceName}.${this.namespaceName}.svc.${CLUSTER_DOMAIN}`;
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw configError(this, 'replicas', `${replicas} is not a positive integer`, 'Run at least one replica');
    }
    const volumes = (props.volumes ?? []).map((v, i) => this.checkVolume(v, i));
    if (volumes.length > 0) {
      const otherMounts = [...(props.writablePaths ?? []), ...(props.secretStore ? [props.secretStore.mountPath] : [])];
      assertNoProblems(this, 'volumes', checkWritablePaths(volumes.map((v) => v.mountPath), otherMounts, 'volumes.mountPath'),
        'Mount each volume at its own absolute directory, apart from writablePaths and the secret store');
      if (new Set(volumes.map((v) => v.name)).size !== volumes.length) {
        throw configError(this, 'volumes', 'two volumes have the same name', 'Name each claim template once');
      }
      const taken = volumes.find((v) => v.name === 'secret-store' || /^writable-\d+$/.test(v.name));
      if (taken) {
        throw configError(this, 'volumes', `"${taken.name}" is the name of a volume the pod already has (secret store or writable path)`, 'Name the claim template e.g. "data"');
      }
    }
    this.statefulSet = hardenedStatefulSet(this, 'StatefulSet', { ...this._pod, namespace: this.namespaceName, replicas, volumes });
    if (replicas > 1) podDisruptionBudget(this, 'PodDisruptionBudget', this.serviceName, this.namespaceName, this.serviceName);
    this._service = writeService(this, this.serviceName, this.namespaceName, this.host, this.ports, true);
    this._headless = true;
  }

  /** @internal */
  protected _asTarget(): ISecureService {
    return this;
  }

  private checkVolume(v: StatefulVolume, i: number): StatefulVolume {
    const field = `volumes[${i}]`;
    assertNoProblems(this, `${field}.name`, checkDns1123Label(v.name ?? '').map((p) => `"${v.name}" ${p}`), 'Name the claim template with a DNS-1123 label, e.g. "data"');
    const mib = v.storage instanceof Size ? v.storage.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
    if (!Number.isInteger(mib) || mib < 1) {
      throw configError(this, `${field}.storage`, 'the storage is not a whole number of mebibytes ≥ 1', 'Use e.g. Size.gibibytes(10)');
    }
    if (v.storageClassName !== undefined) {
      assertNoProblems(this, `${field}.storageClassName`, checkDns1123Subdomain(v.storageClassName).map((p) => `"${v.storageClassName}" ${p}`), 'Name a StorageClass of the cluster');
    }
    const modes = Object.values(kplus.PersistentVolumeAccessMode) as string[];
    if (v.accessMode !== undefined && !modes.includes(v.accessMode)) {
      throw configError(this, `${field}.accessMode`, `"${v.accessMode}" is not an access mode`, `Use one of ${modes.join(', ')}`);
    }
    return v;
  }
}

/** What a SecureStatefulSet's StatefulSet runs. */
interface HardenedStatefulSetSpec extends HardenedPodSpec {
  readonly namespace: string;
  readonly replicas: number;
  readonly volumes: readonly StatefulVolume[];
}

/** The StatefulSet around the hardened pod, with one claim per pod and volume, kept on delete and scale-down. */
export function hardenedStatefulSet(scope: Construct, id: string, spec: HardenedStatefulSetSpec): ApiObject {
  const manifest: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      // The headless Service that gives each pod its DNS name.
      serviceName: spec.name,
      replicas: spec.replicas,
      selector: { matchLabels: { app: spec.podLabels.app } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: hardenedPodTemplate({
        ...spec,
        spread: spec.replicas > 1,
        persistentMounts: spec.volumes.map((v) => ({ name: v.name, mountPath: v.mountPath })),
      }),
      ...(spec.volumes.length ? {
        volumeClaimTemplates: spec.volumes.map((v) => ({
          metadata: { name: v.name },
          spec: {
            accessModes: [v.accessMode ?? kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
            resources: { requests: { storage: quantity(v.storage) } },
            ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
          },
        })),
      } : {}),
    },
  };
  return new ApiObject(scope, id, manifest);
}

/** A size as a Kubernetes quantity: whole gibibytes as `Gi`, otherwise `Mi`. */
function quantity(size: Size): string {
  const mib = size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}
