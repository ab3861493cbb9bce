import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import { MeshWorkload, nativeIdentity } from './mesh-workload';
import { HardenedPodSpec, hardenedPodTemplate } from './pod-template';
import { MeshWorkloadProps } from './workload-props';
import { configError } from '../core/errors';
import { DataPlane } from '../mesh/data-plane';

/**
 * The pod annotation that makes Istio inject its proxy as a Kubernetes native sidecar (an init
 * container with `restartPolicy: Always`, Kubernetes 1.29+): the kubelet starts it before the app
 * and stops it once the app's containers have exited, so a Job completes. Without it the proxy
 * keeps running and the Job never finishes. The annotation takes precedence over istiod's
 * `ENABLE_NATIVE_SIDECARS` (istio/api annotation `sidecar.istio.io/nativeSidecar`), so a Job
 * completes whatever the mesh's default (native sidecars are istiod's default since Istio 1.27
 * where the cluster supports them).
 */
export const NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';

/** What the kubelet does when a Job's container fails. */
export enum JobRestartPolicy {
  /** Start a new pod for each retry (up to `backoffLimit`): each failed pod's logs stay readable. */
  NEVER = 'Never',
  /** Restart the container in the same pod. */
  ON_FAILURE = 'OnFailure',
}

/** How a Job runs: retries, deadline and clean-up. */
export interface JobRunProps {
  /**
   * Retries before the Job is marked failed.
   *
   * @default 3
   */
  readonly backoffLimit?: number;
  /**
   * The longest the Job may run, retries included; then its pods are stopped and it fails.
   *
   * @default - no deadline
   */
  readonly activeDeadline?: Duration;
  /**
   * How long a finished Job (and its pods) stays before Kubernetes deletes it.
   *
   * @default Duration.days(1)
   */
  readonly ttlAfterFinished?: Duration;
  /**
   * What happens when the app's container fails.
   *
   * @default JobRestartPolicy.NEVER
   */
  readonly restartPolicy?: JobRestartPolicy;
}

/** Props of a SecureJob. */
export interface SecureJobProps extends MeshWorkloadProps, JobRunProps {}

/**
 * A batch workload in the mesh that runs to completion (a migration, a report, a backfill): the
 * hardened-workload core (see `MeshWorkload`) run by a Job (AUTHZ-1..4, POD-1).
 *
 * It only calls: it serves no port, has no Service, and accepts no traffic (its
 * AuthorizationPolicy and ingress NetworkPolicy admit nothing; `allowFrom` on it is refused). It
 * reaches only what it is granted (`target.allowFrom(job)`), with its own identity. Its proxy is
 * a native sidecar (see {@link NATIVE_SIDECAR_ANNOTATION}), so the Job completes when the app exits
 * and its traffic is in the mesh from the first instruction to the last.
 */
export class SecureJob extends MeshWorkload {
  /** The Job, as a plain ApiObject (change it with JSON patches: enforcement checks them). */
  public readonly job: ApiObject;

  constructor(scope: Construct, id: string, props: SecureJobProps) {
    super(scope, id, nativeIdentity(id, { ...props, ports: [] }));
    this._hardenPod({ ...props, ports: [] });
    // Ambient pods have no sidecar to order (ztunnel carries their traffic from the first packet).
    if (this.namespace.dataPlane === DataPlane.SIDECAR) this._annotatePods(NATIVE_SIDECAR_ANNOTATION, 'true');
    const spec = jobSpec(this, '', props, this._pod);
    const manifest: IJob = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: this.workloadName, namespace: this.namespaceName }, spec };
    this.job = new ApiObject(this, 'Job', manifest);
  }

  /** @internal */
  protected _callsOnlyBecause(): string {
    return 'a Job serves no port';
  }
}

/** The spec of a Job around the hardened pod; `field` prefixes error fields (a CronJob's `jobTemplate` settings). */
export function jobSpec(scope: Construct, field: string, props: JobRunProps, pod: HardenedPodSpec): IJobSpec {
  const backoffLimit = props.backoffLimit ?? 3;
  if (!Number.isInteger(backoffLimit) || backoffLimit < 0) {
    throw configError(scope, `${field}backoffLimit`, `${backoffLimit} is not an integer ≥ 0`, 'Set how many times a failed run is retried, e.g. 3');
  }
  const seconds = (name: string, d: Duration | undefined, min: number): number | undefined => {
    if (d === undefined) return undefined;
    if (!(d instanceof Duration)) throw configError(scope, `${field}${name}`, 'not a Duration', 'Use e.g. Duration.hours(1)');
    const s = d.toMilliseconds() / 1000;
    if (!Number.isInteger(s) || s < min) throw configError(scope, `${field}${name}`, `${s}s is not a whole number of seconds ≥ ${min}`, 'Use e.g. Duration.hours(1)');
    return s;
  };
  const restartPolicy = props.restartPolicy ?? JobRestartPolicy.NEVER;
  if (!Object.values(JobRestartPolicy).includes(restartPolicy)) {
    throw configError(scope, `${field}restartPolicy`, `"${restartPolicy}" is not a Job restart policy`, 'Use JobRestartPolicy.NEVER or JobRestartPolicy.ON_FAILURE');
  }
  const activeDeadlineSeconds = seconds('activeDeadline', props.activeDeadline, 1);
  return {
    backoffLimit,
    ...(activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds } : {}),
    ttlSecondsAfterFinished: seconds('ttlAfterFinished', props.ttlAfterFinished ?? Duration.days(1), 0),
    template: hardenedPodTemplate({ ...pod, restartPolicy }),
  };
}
