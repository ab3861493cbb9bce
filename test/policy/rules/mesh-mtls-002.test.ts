import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MESH_MTLS_002 as rule } from '../../../src/policy/rules/mesh-mtls-002';

const ctx = ruleContext([]);

function pa(spec: unknown, apiVersion = 'security.istio.io/v1', namespace = 'shop'): RuleObject {
  return { apiVersion, kind: 'PeerAuthentication', metadata: { name: 'p', namespace }, spec };
}
const SELECT = { selector: { matchLabels: { app: 'a' } } };

const GOOD: [string, RuleObject][] = [
  ['STRICT', pa({ mtls: { mode: 'STRICT' } })],
  ['no mtls (inherits)', pa({ selector: { matchLabels: { app: 'a' } } })],
  ['mtls without mode (inherits)', pa({ mtls: {} })],
  ['empty spec', pa({})],
  ['no spec', { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: { name: 'p' } }],
  ['null spec', pa(null)],
  ['STRICT ports', pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'STRICT' }, 9090: {} } })],
  ['empty portLevelMtls', pa({ portLevelMtls: {} })],
  // UNSET inherits from the parent: the namespace policy, then the mesh-wide STRICT.
  ['workload UNSET (inherits)', pa({ ...SELECT, mtls: { mode: 'UNSET' } })],
  ['port UNSET (inherits the policy\'s mode)', pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'UNSET' } } })],
];
const BAD: [string, RuleObject][] = [
  ['PERMISSIVE', pa({ mtls: { mode: 'PERMISSIVE' } })],
  ['DISABLE', pa({ mtls: { mode: 'DISABLE' } })],
  ['mesh-wide UNSET (no parent: PERMISSIVE)', pa({ mtls: { mode: 'UNSET' } }, 'security.istio.io/v1', 'istio-system')],
  ['port DISABLE', pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })],
  ['port PERMISSIVE next to STRICT ports', pa({ portLevelMtls: { 8080: { mode: 'STRICT' }, 9090: { mode: 'PERMISSIVE' } } })],
  ['v1beta1 PERMISSIVE', pa({ mtls: { mode: 'PERMISSIVE' } }, 'security.istio.io/v1beta1')],
];

describe('MESH-MTLS-002 no PeerAuthentication weaker than STRICT (MTLS-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object) => {
    expect(rule.check(object, ctx).length).toBeGreaterThan(0);
  });

  test('workload mode: path and message, no port', () => {
    expect(rule.check(pa({ mtls: { mode: 'PERMISSIVE' } }), ctx)).toEqual([
      { path: 'spec.mtls.mode', message: expect.stringMatching(/"PERMISSIVE", not STRICT/) },
    ]);
  });

  test('one violation per weak port, with the port set', () => {
    const found = rule.check(pa({ mtls: { mode: 'DISABLE' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' }, 8443: { mode: 'STRICT' }, 9090: { mode: 'DISABLE' } } }), ctx);
    expect(found).toEqual([
      { path: 'spec.mtls.mode', message: expect.any(String) },
      { path: 'spec.portLevelMtls["8080"].mode', port: 8080, message: expect.stringContaining('port 8080') },
      { path: 'spec.portLevelMtls["9090"].mode', port: 9090, message: expect.stringContaining('"DISABLE"') },
    ]);
  });

  test('documented difference: a namespace-wide UNSET outside the root namespace inherits (check passes); admission, blind to the root namespace, refuses it', () => {
    const object = pa({ mtls: { mode: 'UNSET' } });
    expect(rule.check(object, ctx)).toEqual([]);
    expect(rule.check(object, ruleContext([], { rootNamespace: 'shop' }))).toHaveLength(1);
    expect(admits(rule.admission!, object)).toBe(false);
  });

  test('a non-numeric port key is reported without a port', () => {
    const found = rule.check(pa({ portLevelMtls: { http: { mode: 'DISABLE' } } }), ctx);
    expect(found).toEqual([{ path: 'spec.portLevelMtls.http.mode', message: expect.any(String) }]);
  });

  test('other kinds and groups are ignored', () => {
    expect(rule.check({ apiVersion: 'v1', kind: 'PeerAuthentication', spec: { mtls: { mode: 'DISABLE' } } }, ctx)).toEqual([]);
    expect(rule.check({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', spec: { mtls: { mode: 'DISABLE' } } }, ctx)).toEqual([]);
  });

  test.each([
    ['spec is a string', 'STRICT'],
    ['mtls is a list', { mtls: ['STRICT'] }],
    ['portLevelMtls is a list', { portLevelMtls: [{ mode: 'DISABLE' }] }],
    ['port entry is null', { portLevelMtls: { 8080: null } }],
  ])('odd shape does not throw: %s', (_name, spec) => {
    expect(() => rule.check(pa(spec), ctx)).not.toThrow();
  });

  test('a mode of the wrong type fails closed', () => {
    expect(rule.check(pa({ mtls: { mode: 1 } }), ctx)).toHaveLength(1);
  });

  test('admission matches peerauthentications in any version', () => {
    expect(rule.admission!.resources).toEqual([{ apiGroups: ['security.istio.io'], apiVersions: ['*'], resources: ['peerauthentications'] }]);
  });

  test.each([...GOOD, ...BAD])('check() and admission CEL agree: %s', (_name, object) => {
    expect(admits(rule.admission!, object)).toBe(rule.check(object, ctx).length === 0);
  });
});
