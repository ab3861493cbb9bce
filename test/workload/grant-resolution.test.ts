import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { Principal } from '../../src/mesh/principal';
import { PolicyException } from '../../src/policy/policy-exception';
import { GrantTarget, requireException, resolveGrant } from '../../src/workload/grant-resolution';
import { inDays } from '../helpers';

function target(): GrantTarget {
  const t = new Construct(Testing.chart(), 'db') as Construct & GrantTarget;
  return Object.assign(t, {
    namespaceName: 'shop',
    workloadName: 'db',
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }, { name: 'tcp-pg', port: 5432, protocol: AppProtocol.TCP }],
  });
}
const caller = { peerPrincipal: Principal.serviceAccount('shop', 'web'), peerNamespace: 'shop', peerPodLabels: { app: 'web' } };

describe('resolveGrant', () => {
  test('Service ports become container ports; paths and methods sorted and unique; all ports by default', () => {
    expect(resolveGrant(target(), caller, { ports: [80], paths: ['/b/*', '/a', '/b/*'], methods: ['POST', 'GET'] }))
      .toEqual({ targetPorts: [8080], paths: ['/a', '/b/*'], methods: ['GET', 'POST'] });
    expect(resolveGrant(target(), caller, {})).toEqual({ targetPorts: [5432, 8080], paths: [], methods: [] });
  });

  test.each<[string, any, object, RegExp]>([
    ['a caller without identity', { peerNamespace: 'shop' }, {}, /\[test\/db\] allowFrom.caller: the caller has no mesh identity/],
    ['an empty port list', caller, { ports: [] }, /allowFrom.ports: an empty ports list grants nothing/],
    ['a port the target does not expose', caller, { ports: [8080] }, /allowFrom.ports: shop\/db does not expose port 8080.*80 \(http\), 5432 \(tcp-pg\)/],
    ['paths on an opaque port', caller, { ports: [5432], paths: ['/x'] }, /allowFrom: paths\/methods on tcp port 5432 would never match/],
    ['a lower-case method', caller, { ports: [80], methods: ['get'] }, /allowFrom.methods/],
    ['a path that is not normalized', caller, { ports: [80], paths: ['/a/../b'] }, /allowFrom.paths/],
  ])('refused: %s', (_name, who, options, message) => {
    expect(() => resolveGrant(target(), who, options)).toThrow(message);
  });
});

describe('requireException', () => {
  test('the exception must relax the rule the knob needs', () => {
    const scope = Testing.chart();
    const exception = new PolicyException(scope, 'e', {
      rules: ['MESH-EXC-001'],
      justification: 'The legacy database client cannot speak mTLS until its driver upgrade.',
      owner: 'team@acme.example',
      expires: inDays(scope, 30),
      objects: ['Deployment/shop/db'],
    });
    expect(() => requireException(scope, 'bypass', exception, 'MESH-EXC-001')).not.toThrow();
    expect(() => requireException(scope, 'bypass', exception, 'MESH-MTLS-002')).toThrow(/bypass: the exception at test\/e does not relax MESH-MTLS-002 \(it relaxes MESH-EXC-001\)/);
    expect(() => requireException(scope, 'bypass', undefined, 'MESH-EXC-001')).toThrow(/bypass: a PolicyException for MESH-EXC-001 is required/);
  });
});
