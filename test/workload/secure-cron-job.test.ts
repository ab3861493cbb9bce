import { Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureCronJob, SecureCronJobProps } from '../../src/workload/secure-cron-job';
import { NATIVE_SIDECAR_ANNOTATION } from '../../src/workload/secure-job';
import { findObject, synthValidated } from '../helpers';
import { IMAGE, describeHardening } from './hardening-kit';

describeHardening({
  kind: 'CronJob',
  make: (chart, ns, id, props) => new SecureCronJob(chart, id, { namespace: ns, image: IMAGE, schedule: Cron.daily(), ...props }),
  runner: (w) => (w as SecureCronJob).cronJob,
  podSpecPointer: '/spec/jobTemplate/spec/template/spec',
  serves: false,
});

function world(props: Partial<SecureCronJobProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', {});
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const cron = () => new SecureCronJob(chart, 'report', { namespace: ns, image: IMAGE, schedule: Cron.schedule({ minute: '30', hour: '2' }), ...props });
  return { chart, cron };
}

describe('SecureCronJob', () => {
  test('shape', () => {
    const { chart, cron } = world();
    cron();
    expect(synthValidated(chart).filter((o) => o.metadata.name?.startsWith('report'))).toMatchSnapshot();
  });

  test('runs never overlap, a missed run starts at most 5 minutes late, each run\'s proxy is a native sidecar', () => {
    const { chart, cron } = world();
    cron();
    const spec = findObject(synthValidated(chart), 'CronJob', 'report', 'shop').spec;
    expect(spec).toMatchObject({
      schedule: '30 2 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 300, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, suspend: false,
    });
    expect(spec.timeZone).toBeUndefined();
    expect(spec.jobTemplate.spec.template.metadata.annotations).toEqual({ [NATIVE_SIDECAR_ANNOTATION]: 'true' });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 86400 });
  });

  test('time zone, concurrency, deadline, history and suspension as given', () => {
    const { chart, cron } = world({
      timeZone: 'Europe/Berlin', concurrencyPolicy: kplus.ConcurrencyPolicy.REPLACE, startingDeadline: Duration.minutes(1), successfulJobsRetained: 0, failedJobsRetained: 5, suspend: true,
    });
    cron();
    expect(findObject(synthValidated(chart), 'CronJob', 'report', 'shop').spec).toMatchObject({
      timeZone: 'Europe/Berlin', concurrencyPolicy: 'Replace', startingDeadlineSeconds: 60, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5, suspend: true,
    });
  });

  describe('guards', () => {
    test.each<[string, Partial<SecureCronJobProps>, RegExp]>([
      ['an inline time zone', { schedule: new Cron({ minute: 'TZ=UTC 0' }) }, /\[test\/report\] schedule: .*sets its time zone inline/],
      ['not five fields', { schedule: { expressionString: '* * *' } as any }, /schedule: not a Cron/],
      ['a malformed field', { schedule: Cron.schedule({ minute: '0;rm' }) }, /schedule: "0;rm \* \* \* \*" is not a five-field cron schedule/],
      ['a time zone that is not IANA', { timeZone: 'UTC+2 hours' }, /timeZone: "UTC\+2 hours" is not an IANA time zone name/],
      ['an unknown concurrency policy', { concurrencyPolicy: 'Sometimes' as any }, /concurrencyPolicy: "Sometimes" is not a concurrency policy/],
      ['no starting deadline', { startingDeadline: Duration.seconds(0) }, /startingDeadline: 0s is not a whole number of seconds ≥ 1/],
      ['negative history', { failedJobsRetained: -1 }, /failedJobsRetained: -1 is not an integer ≥ 0/],
      ['negative retries', { backoffLimit: -2 }, /backoffLimit: -2 is not an integer ≥ 0/],
    ])('%s', (_name, props, message) => {
      const { cron } = world(props);
      expect(() => cron()).toThrow(message);
    });
  });
});
