import { AuthzPolicy } from '../../src/audit/authz-evaluator';
import { forZtunnel, ztunnelHttpAttributes } from '../../src/audit/ztunnel-authz';

/*
 * AuthorizationPolicies as istiod converts them for ztunnel (istio/istio
 * pilot/pkg/serviceregistry/kube/controller/ambient/authorization.go): only ALLOW and DENY, L4 only,
 * HTTP attributes failing closed.
 */

function policy(action: AuthzPolicy['action'], rules: unknown[], extra: Partial<AuthzPolicy> = {}): AuthzPolicy {
  return { ref: `AuthorizationPolicy/shop/${action.toLowerCase()}`, namespace: 'shop', name: action.toLowerCase(), action, rules, ...extra };
}

describe('forZtunnel', () => {
  test('CUSTOM and AUDIT are not sent to ztunnel; nor are policies with targetRefs', () => {
    expect(forZtunnel(policy('CUSTOM', [{}]))).toEqual({ ignored: 'ztunnel does not support the CUSTOM action (istiod does not send it to ztunnel)', http: [] });
    expect(forZtunnel(policy('AUDIT', [{}])).policy).toBeUndefined();
    expect(forZtunnel(policy('ALLOW', [{}], { targetRefs: [{ group: '', kind: 'Service', name: 'api' }] })).policy).toBeUndefined();
  });

  test('an ALLOW rule with HTTP attributes is dropped (never matches); its L4-only siblings stay', () => {
    const z = forZtunnel(policy('ALLOW', [
      { from: [{ source: { principals: ['a'] } }], to: [{ operation: { methods: ['GET'], ports: ['80'] } }] },
      { from: [{ source: { principals: ['b'] } }] },
      { when: [{ key: 'connection.sni', values: ['x'] }] },
    ]));
    expect(z.http).toEqual(['connection.sni', 'methods']);
    expect(z.policy!.droppedRules).toEqual({
      0: 'ztunnel cannot match HTTP attributes (methods), so istiod omits this ALLOW rule for ztunnel: it never matches',
      2: 'ztunnel cannot match HTTP attributes (connection.sni), so istiod omits this ALLOW rule for ztunnel: it never matches',
    });
    expect(z.policy!.rules[1]).toEqual({ from: [{ source: { principals: ['b'] } }] });
  });

  test('a DENY rule keeps only what ztunnel matches: HTTP fields, HTTP conditions and trustDomains go, as do values that are not ports', () => {
    const z = forZtunnel(policy('DENY', [{
      from: [{ source: { principals: ['a'], requestPrincipals: ['*'], remoteIpBlocks: ['1.2.3.4'], trustDomains: ['td'] } }],
      to: [{ operation: { paths: ['/admin'], hosts: ['h'], ports: ['80', 'http', '70000'] } }],
      when: [{ key: 'request.headers[x]', values: ['1'] }, { key: 'destination.port', values: ['80', 'x'] }, { key: 'source.namespace', values: ['ns'] }],
    }]));
    expect(z.http).toEqual(['hosts', 'paths', 'remoteIpBlocks', 'request.headers[x]', 'requestPrincipals']);
    expect(z.policy!.droppedRules).toBeUndefined();
    expect(z.policy!.rules[0]).toEqual({
      from: [{ source: { principals: ['a'] } }],
      to: [{ operation: { ports: ['80'] } }],
      when: [{ key: 'destination.port', values: ['80'] }, { key: 'source.namespace', values: ['ns'] }],
    });
  });

  test('the L4 condition keys are the five ztunnel reads', () => {
    expect(ztunnelHttpAttributes({ when: ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'].map((key) => ({ key, values: ['x'] })) }))
      .toEqual([]);
    expect(ztunnelHttpAttributes({ when: [{ key: 'source.trustDomain', values: ['x'] }, { key: 'request.auth.claims[iss]', values: ['x'] }] }))
      .toEqual(['request.auth.claims[iss]', 'source.trustDomain']);
    expect(ztunnelHttpAttributes('odd')).toEqual([]);
  });
});
