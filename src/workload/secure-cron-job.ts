import { ApiObject, Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import { MeshWorkload, nativeIdentity } from './mesh-workload';
import { JobRunProps, NATIVE_SIDECAR_ANNOTATION, jobSpec } from './secure-job';
import { MeshWorkloadProps } from './workload-props';
import { configError } from '../core/errors';
import { DataPlane } from '../mesh/data-plane';

/** Props of a SecureCronJob. */
export interface SecureCronJobProps extends MeshWorkloadProps, JobRunProps {
  /** When to run, e.g. `Cron.daily()` or `Cron.schedule({ minute: '30', hour: '2' })`. */
  readonly schedule: Cron;
  /**
   * The IANA time zone of the schedule, e.g. `Europe/Berlin`.
   *
   * @default - the kube-controller-manager's time zone (UTC on managed clusters)
   */
  readonly timeZone?: string;
  /**
   * What happens when a run is due while the previous one still runs.
   *
   * @default kplus.ConcurrencyPolicy.FORBID - skip it: two runs never overlap
   */
  readonly concurrencyPolicy?: kplus.ConcurrencyPolicy;
  /**
   * How late a missed run may still start (after a controller outage); later, it is skipped.
   *
   * @default Duration.minutes(5)
   */
  readonly startingDeadline?: Duration;
  /**
   * Finished Jobs kept, per outcome, for their logs.
   *
   * @default 3 successful, 1 failed
   */
  readonly successfulJobsRetained?: number;
  /** @default 1 */
  readonly failedJobsRetained?: number;
  /**
   * Stop scheduling new runs (running ones finish).
   *
   * @default false
   */
  readonly suspend?: boolean;
}

/** The five fields of a cron schedule, or one of the macros Kubernetes accepts. */
const CRON_FIELD = /^[0-9A-Za-z*?/,-]+$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * A scheduled batch workload in the mesh: a SecureJob run by a CronJob (AUTHZ-1..4, POD-1). Each
 * run is a Job whose pod has the workload's identity, the hardened settings, a native sidecar (so
 * it completes), no inbound at all, and egress only to what the workload is granted.
 */
export class SecureCronJob extends MeshWorkload {
  /** The CronJob, as a plain ApiObject (change it with JSON patches: enforcement checks them). */
  public readonly cronJob: ApiObject;

  constructor(scope: Construct, id: string, props: SecureCronJobProps) {
    super(scope, id, nativeIdentity(id, { ...props, ports: [] }));
    this._hardenPod({ ...props, ports: [] });
    // Ambient pods have no sidecar to order (ztunnel carries their traffic from the first packet).
    if (this.namespace.dataPlane === DataPlane.SIDECAR) this._annotatePods(NATIVE_SIDECAR_ANNOTATION, 'true');
    const schedule = this.checkSchedule(props.schedule);
    if (props.timeZone !== undefined && !/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(props.timeZone)) {
      throw configError(this, 'timeZone', `"${props.timeZone}" is not an IANA time zone name`, 'Use e.g. "Etc/UTC" or "Europe/Berlin"');
    }
    const policies = Object.values(kplus.ConcurrencyPolicy) as string[];
    const concurrencyPolicy = props.concurrencyPolicy ?? kplus.ConcurrencyPolicy.FORBID;
    if (!policies.includes(concurrencyPolicy)) {
      throw configError(this, 'concurrencyPolicy', `"${concurrencyPolicy}" is not a concurrency policy`, `Use one of ${policies.join(', ')}`);
    }
    const count = (field: string, value: number | undefined, dflt: number): number => {
      const v = value ?? dflt;
      if (!Number.isInteger(v) || v < 0) throw configError(this, field, `${v} is not an integer ≥ 0`, `Keep e.g. ${dflt}`);
      return v;
    };
    const startingDeadline = (props.startingDeadline ?? Duration.minutes(5)).toMilliseconds() / 1000;
    if (!Number.isInteger(startingDeadline) || startingDeadline < 1) {
      throw configError(this, 'startingDeadline', `${startingDeadline}s is not a whole number of seconds ≥ 1`, 'Use e.g. Duration.minutes(5)');
    }
    const manifest: ICronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: this.workloadName, namespace: this.namespaceName },
      spec: {
        schedule,
        ...(props.timeZone ? { timeZone: props.timeZone } : {}),
        concurrencyPolicy,
        startingDeadlineSeconds: startingDeadline,
        successfulJobsHistoryLimit: count('successfulJobsRetained', props.successfulJobsRetained, 3),
        failedJobsHistoryLimit: count('failedJobsRetained', props.failedJobsRetained, 1),
        suspend: props.suspend ?? false,
        jobTemplate: { spec: jobSpec(this, '', props, this._pod) },
      },
    };
    this.cronJob = new ApiObject(this, 'CronJob', manifest);
  }

  /** @internal */
  protected _callsOnlyBecause(): string {
    return 'a CronJob serves no port';
  }

  private checkSchedule(cron: Cron): string {
    const expression = cron instanceof Cron ? cron.expressionString : undefined;
    if (typeof expression !== 'string') throw configError(this, 'schedule', 'not a Cron', 'Use e.g. Cron.daily() or Cron.schedule({ minute: "0", hour: "3" })');
    if (/^(CRON_)?TZ=/.test(expression)) {
      throw configError(this, 'schedule', `"${expression}" sets its time zone inline, which Kubernetes refuses`, 'Move the zone to timeZone');
    }
    const fields = expression.trim().split(/\s+/);
    const ok = (fields.length === 1 && CRON_MACROS.includes(fields[0])) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
    if (!ok) throw configError(this, 'schedule', `"${expression}" is not a five-field cron schedule`, 'Use e.g. Cron.schedule({ minute: "0", hour: "3" })');
    return fields.join(' ');
  }
}
