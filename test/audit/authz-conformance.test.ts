import { CaseResult, idsWith, runConformance, scoreboard } from './authz-conformance';
import { describeWithShared } from '../shared';

/*
 * Istio's documented authorization results as a test of the access evaluator (issue 16): no wrong
 * verdict; no UNKNOWN on a case decidable offline (UNKNOWN is right only where the result depends
 * on what manifests cannot say: headers, IP addresses, JWT claims, an external authorizer); every
 * definite verdict names the policy Istio's documentation names; the CLI and the API agree on every
 * case. How a case becomes a question, and the outcomes, are in ./authz-conformance.ts.
 */

describeWithShared('authz-conformance', 'Istio\'s documented authorization results (../shared/authz-conformance)', (dir) => {
  let results: CaseResult[];

  beforeAll(async () => {
    results = await runConformance(dir);
    // The scoreboard, once: right / wrong / unknown, decidedBy matches, and the cases behind each gap.
    // eslint-disable-next-line no-console
    console.log(scoreboard(results));
  }, 120_000);

  test('every case is asked of the API and the CLI, and they agree', () => {
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome === 'error').map((r) => `${r.id}: ${r.why}`)).toEqual([]);
    expect(results.filter((r) => !r.agrees).map((r) => `${r.id}: ${r.disagreement}`)).toEqual([]);
  });

  test('no wrong verdict', () => {
    expect(results.filter((r) => r.outcome === 'wrong').map((r) => `${r.id}: ${r.why ?? ''}`)).toEqual([]);
  });

  test('no UNKNOWN where the case is decidable offline; UNKNOWN only where it needs headers, IPs, claims or an external authorizer', () => {
    expect(idsWith(results, 'unknown', (r) => r.decidable)).toEqual([]);
    expect(idsWith(results, 'unknown').length).toBeGreaterThan(0);
    for (const r of results.filter((x) => x.outcome === 'unknown')) expect([r.id, ['headers', 'ip', 'jwt-claims', 'custom']]).toEqual([r.id, expect.arrayContaining([r.offline])]);
  });

  test('every definite verdict names the policy Istio\'s documentation names, and the layer where it names one', () => {
    expect(results.filter((r) => r.decidedByMatches === false).map((r) => r.id)).toEqual([]);
    expect(results.filter((r) => r.decidedByMatches === true).length).toBeGreaterThan(200);
    expect(results.filter((r) => r.layerMatches === false).map((r) => r.id)).toEqual([]);
  });
});
