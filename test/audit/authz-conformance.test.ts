import { CaseResult, idsWith, runConformance, scoreboard } from './authz-conformance';
import { describeWithShared } from '../shared';

/*
 * Istio's documented authorization results as a test of the access evaluator (issue 16). Each list
 * below must match what the evaluator gives exactly: a case that regresses fails the test, and so
 * does a case that gets fixed (remove it from its list). Issue 16 is done when KNOWN_WRONG,
 * KNOWN_UNKNOWN_DECIDABLE and KNOWN_CANNOT_ASK are empty (the last one once AccessRequest can state
 * "no token" and "an invalid token"). How a case becomes a question, and the outcomes, are in
 * ./authz-conformance.ts.
 */

/** Definite verdicts that differ from Istio's documented result, with the semantic the evaluator lacks. */
const KNOWN_WRONG: { readonly [id: string]: string } = {
  // targetRef(s): policies attached to a Gateway API gateway are dropped, so "no ALLOW policy applies".
  'it-gwapi-targetref-01-deny-without-token': 'targetRef: AuthorizationPolicy and RequestAuthentication attached to the gateway are ignored',
  'it-gwapi-targetref-03-deny-sub-2': 'targetRef: AuthorizationPolicy and RequestAuthentication attached to the gateway are ignored',
  'it-gwapi-targetref-05-any-principal-no-token': 'targetRef: AuthorizationPolicy and RequestAuthentication attached to the gateway are ignored',
  'it-gwapi-targetref-06-other-host-denied': 'targetRef: AuthorizationPolicy and RequestAuthentication attached to the gateway are ignored',
};

/** UNKNOWN answers on cases decidable offline, with what the evaluator does not evaluate. */
const KNOWN_UNKNOWN_DECIDABLE: { readonly [id: string]: string } = {};

/** Cases whose token state AccessRequest cannot state (it has jwtIssuer/jwtSubject for a valid token only). */
const KNOWN_CANNOT_ASK: { readonly [id: string]: string } = {
  'authn-enduser-02-ra-invalid-token-401': 'token state: an invalid token',
  'authz-jwt-01-ra-only-invalid-token-401': 'token state: an invalid token',
  'authz-jwt-04-require-jwt-no-token-denied': 'token state: no token (the answer for "any token" rests on a valid one)',
  'ref-ap-06-main-no-jwt-denied': 'token state: no token (the answer for "any token" rests on a valid one)',
  'ref-ra-02-require-jwt-none': 'token state: no token (the answer for "any token" rests on a valid one)',
  'ref-ra-04-root-require-jwt-none': 'token state: no token (the answer for "any token" rests on a valid one)',
  'ref-ra-08-healthz-without-jwt': 'token state: no token (the answer for "any token" rests on a valid one)',
  'ref-ra-09-other-path-without-jwt': 'token state: no token (the answer for "any token" rests on a valid one)',
};

const ids = (list: { readonly [id: string]: string }) => Object.keys(list).sort();

describeWithShared('authz-conformance', 'Istio\'s documented authorization results (../shared/authz-conformance)', (dir) => {
  let results: CaseResult[];

  beforeAll(async () => {
    results = await runConformance(dir);
    // The scoreboard, once: right / wrong / unknown / cannot ask, decidedBy matches, and the cases behind each gap.
    // eslint-disable-next-line no-console
    console.log(scoreboard(results));
  }, 120_000);

  test('every case is asked of the API and the CLI, and they agree', () => {
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome === 'error').map((r) => `${r.id}: ${r.why}`)).toEqual([]);
    expect(results.filter((r) => !r.agrees).map((r) => `${r.id}: ${r.disagreement}`)).toEqual([]);
  });

  test('the wrong verdicts are exactly KNOWN_WRONG', () => {
    expect(idsWith(results, 'wrong')).toEqual(ids(KNOWN_WRONG));
  });

  test('the unknown answers on cases decidable offline are exactly KNOWN_UNKNOWN_DECIDABLE', () => {
    expect(idsWith(results, 'unknown', (r) => r.decidable)).toEqual(ids(KNOWN_UNKNOWN_DECIDABLE));
  });

  test('the cases AccessRequest cannot express are exactly KNOWN_CANNOT_ASK', () => {
    expect(idsWith(results, 'cannot-ask')).toEqual(ids(KNOWN_CANNOT_ASK));
  });
});
