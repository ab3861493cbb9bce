import { Duration, Testing } from 'cdk8s';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { JobRestartPolicy, NATIVE_SIDECAR_ANNOTATION, SecureJob, SecureJobProps } from '../../src/workload/secure-job';
import { findObject, synthValidated } from '../helpers';
import { IMAGE, describeHardening } from './hardening-kit';

describeHardening({
  kind: 'Job',
  make: (chart, ns, id, props) => new SecureJob(chart, id, { namespace: ns, image: IMAGE, ...props }),
  runner: (w) => (w as SecureJob).job,
  podSpecPointer: '/spec/template/spec',
  serves: false,
});

function world(props: Partial<SecureJobProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', {});
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const job = () => new SecureJob(chart, 'migrate', { namespace: ns, image: IMAGE, args: ['migrate', 'up'], ...props });
  return { chart, job };
}

describe('SecureJob', () => {
  test('shape', () => {
    const { chart, job } = world();
    job();
    expect(synthValidated(chart).filter((o) => o.metadata.name?.startsWith('migrate'))).toMatchSnapshot();
  });

  test('the proxy is a native sidecar, so the Job completes; the pod never restarts in place by default', () => {
    const { chart, job } = world();
    job();
    const spec = findObject(synthValidated(chart), 'Job', 'migrate', 'shop').spec;
    expect(spec.template.metadata.annotations).toEqual({ [NATIVE_SIDECAR_ANNOTATION]: 'true' });
    expect(NATIVE_SIDECAR_ANNOTATION).toBe('sidecar.istio.io/nativeSidecar');
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 86400 });
    expect(spec.activeDeadlineSeconds).toBeUndefined();
    expect(spec.template.spec.containers[0].ports).toBeUndefined();
  });

  test('retries, deadline, clean-up and restart policy as given', () => {
    const { chart, job } = world({
      backoffLimit: 0, activeDeadline: Duration.hours(1), ttlAfterFinished: Duration.minutes(10), restartPolicy: JobRestartPolicy.ON_FAILURE,
    });
    job();
    const spec = findObject(synthValidated(chart), 'Job', 'migrate', 'shop').spec;
    expect(spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 600 });
    expect(spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  describe('guards', () => {
    test.each<[string, Partial<SecureJobProps>, RegExp]>([
      ['negative retries', { backoffLimit: -1 }, /\[test\/migrate\] backoffLimit: -1 is not an integer ≥ 0/],
      ['a deadline under a second', { activeDeadline: Duration.millis(10) }, /activeDeadline: 0.01s is not a whole number of seconds ≥ 1/],
      ['not a Duration', { ttlAfterFinished: 60 as any }, /ttlAfterFinished: not a Duration/],
      ['an unknown restart policy', { restartPolicy: 'Always' as any }, /restartPolicy: "Always" is not a Job restart policy/],
      ['an image from nowhere', { image: 'evil.example/x:latest' }, /image:/],
    ])('%s', (_name, props, message) => {
      const { job } = world(props);
      expect(() => job()).toThrow(message);
    });
  });
});
