import { AdmissionRollout, ROLLOUT_ANNOTATIONS, rolloutAnnotations } from '../../src/policy/admission-rollout';

const REASON = 'Existing workloads in shop are being migrated; the audit log is reviewed every week.';
const warn = (over: object = {}) => AdmissionRollout.warnUntil({ until: '2030-02-01', owner: 'platform-team', reason: REASON, ...over });

describe('AdmissionRollout', () => {
  test('enforce: the deny phase, no annotations, never a problem', () => {
    const r = AdmissionRollout.enforce();
    expect(r.phase).toBe('deny');
    expect(rolloutAnnotations(r)).toBeUndefined();
    expect(r._problem('2099-01-01', 90)).toBeUndefined();
  });

  test('warnUntil: the warn phase records its end date, owner and reason as binding annotations', () => {
    expect(rolloutAnnotations(warn())).toEqual({
      [ROLLOUT_ANNOTATIONS.phase]: 'warn', [ROLLOUT_ANNOTATIONS.until]: '2030-02-01', [ROLLOUT_ANNOTATIONS.owner]: 'platform-team', [ROLLOUT_ANNOTATIONS.reason]: REASON,
    });
    expect(warn()._problem('2030-01-15', 90)).toBeUndefined();
    expect(warn()._problem('2030-02-01', 90)).toBeUndefined();
  });

  test.each([
    ['ended', warn(), '2030-02-02', /the warn phase ended on 2030-02-01 \(today is 2030-02-02; owner platform-team\)/],
    ['too long', warn({ until: '2030-06-01' }), '2030-01-15', /137 days away; a warn phase lasts at most 90 days/],
    ['not a date', warn({ until: '2030-02-30' }), '2030-01-15', /"2030-02-30" is not a date/],
    ['no owner', warn({ owner: '' }), '2030-01-15', /needs an owner/],
    ['a one-word reason', warn({ reason: 'migration' }), '2030-01-15', /"migration" is not a justification/],
    ['a placeholder reason', warn({ reason: 'TODO: write why the cluster cannot refuse yet, later' }), '2030-01-15', /contains the placeholder "TODO"/],
  ])('%s is a problem', (_name, rollout, today, problem) => {
    const found = rollout._problem(today, 90);
    expect(found).toBeDefined();
    expect(found![1]).toMatch(problem);
  });
});
