import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { PolicyException } from '../../../src/policy/policy-exception';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_SA_001 as rule } from '../../../src/policy/rules/workload-service-account';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { inDays, synthValidated } from '../../helpers';

function deployment(name: string, namespace: string | undefined, serviceAccountName?: string, kind = 'Deployment'): RuleObject {
  const pod = { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'app', image: 'x' }] };
  const spec = kind === 'CronJob' ? { schedule: '@daily', jobTemplate: { spec: { template: { spec: pod } } } } : { template: { spec: pod } };
  return { apiVersion: kind === 'CronJob' ? 'batch/v1' : 'apps/v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec };
}
const findings = (objects: RuleObject[]) => rule.checkAll!(ruleContext(objects)).map((f) => `${f.object?.kind}/${f.object?.metadata?.name} ${f.violation.path}`);

describe('POD-SA-001 one ServiceAccount (one mesh identity) per workload (AUTHZ-2)', () => {
  test('workloads with their own accounts, in any namespace, pass', () => {
    expect(findings([deployment('web', 'shop', 'web'), deployment('cart', 'shop', 'cart'), deployment('web', 'other', 'web')])).toEqual([]);
  });

  test('two workloads sharing an account are both reported, naming each other and the identity', () => {
    const result = rule.checkAll!(ruleContext([deployment('web', 'shop', 'app'), deployment('cart', 'shop', 'app'), deployment('db', 'shop', 'db')]));
    expect(result.map((f) => f.violation)).toEqual([
      { path: 'spec.template.spec.serviceAccountName', message: 'runs as ServiceAccount app of shop, like Deployment/shop/cart: they are one mesh identity (ns/shop/sa/app), so every grant to one admits the other' },
      { path: 'spec.template.spec.serviceAccountName', message: expect.stringContaining('like Deployment/shop/web') },
    ]);
  });

  test('no serviceAccountName means the namespace default, shared by every such workload', () => {
    expect(findings([deployment('web', 'shop'), deployment('nightly', 'shop', undefined, 'CronJob')])).toEqual([
      'Deployment/web spec.template.spec.serviceAccountName', 'CronJob/nightly spec.jobTemplate.spec.template.spec.serviceAccountName',
    ]);
    expect(rule.checkAll!(ruleContext([deployment('web', 'shop'), deployment('api', 'shop')]))[0].violation.message).toContain('(none set: the namespace default)');
  });

  test('the deprecated serviceAccount field counts; objects without a namespace are not guessed', () => {
    const legacy = { ...deployment('old', 'shop'), spec: { template: { spec: { serviceAccount: 'app', containers: [] } } } };
    expect(findings([legacy, deployment('web', 'shop', 'app')])).toHaveLength(2);
    expect(findings([deployment('web', undefined, 'app'), deployment('cart', undefined, 'app')])).toEqual([]);
  });

  test('property: exactly the workloads whose namespace/account is used more than once are reported', () => {
    const workload = fc.record({ ns: fc.constantFrom('a', 'b'), sa: fc.constantFrom(undefined, 'x', 'y', 'default') });
    fc.assert(fc.property(fc.array(workload, { maxLength: 6 }), (ws) => {
      const objects = ws.map((w, i) => deployment(`w${i}`, w.ns, w.sa));
      const key = (w: { ns: string; sa?: string }) => `${w.ns}/${w.sa ?? 'default'}`;
      const expected = ws.filter((w) => ws.filter((o) => key(o) === key(w)).length > 1).length;
      expect(rule.checkAll!(ruleContext(objects))).toHaveLength(expected);
    }), { numRuns: 200 });
  });

  test.each([['no spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'a' } }], ['odd names', deployment('x', 'a', 7 as any)]])(
    'odd shape does not throw: %s', (_name, object) => {
      expect(() => rule.checkAll!(ruleContext([object as RuleObject, object as RuleObject]))).not.toThrow();
    });

  describe('synthesis', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const svc = (id: string, serviceAccountName?: string) => new SecureService(chart, id, {
        namespace: ns, serviceAccountName, image: `gcr.io/acme/${id}@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }],
      });
      return { chart, svc, web: svc('web'), cart: svc('cart') };
    }

    test('the serviceAccountName prop giving a second service the first\'s account fails', () => {
      const { chart, svc } = app();
      svc('orders', 'web');
      expect(() => Testing.synth(chart)).toThrow(/POD-SA-001 \(AUTHZ-2\): \[test\/orders\/.*\] Deployment\/shop\/orders .*runs as ServiceAccount web of shop, like Deployment\/shop\/web/);
    });

    test('SecureServices each have their own account, and synthesize', () => {
      expect(() => synthValidated(app().chart)).not.toThrow();
    });

    test('a JSON patch giving cart web\'s account fails, naming both', () => {
      const { chart, cart } = app();
      ApiObject.of(cart.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/serviceAccountName', 'web'));
      expect(() => Testing.synth(chart)).toThrow(/POD-SA-001 \(AUTHZ-2\): \[test\/cart\/.*\] Deployment\/shop\/cart spec\.template\.spec\.serviceAccountName: runs as ServiceAccount web of shop, like Deployment\/shop\/web/);
    });

    test('a raw workload reusing an account fails; a PolicyException naming both lets it through', () => {
      const { chart } = app();
      new ApiObject(chart, 'migrate', deployment('migrate', 'shop', 'web', 'CronJob') as any);
      expect(() => Testing.synth(chart)).toThrow(/POD-SA-001 \(AUTHZ-2\): \[test\/migrate\] CronJob\/shop\/migrate/);
      new PolicyException(chart, 'migrations', {
        rules: ['POD-SA-001', 'POD-PRIV-001', 'POD-CAP-001', 'POD-ESC-001', 'POD-ROOT-001', 'POD-SECCOMP-001', 'POD-ROFS-001', 'IMG-DIGEST-001', 'MESH-INJ-001'],
        justification: 'The schema migration runs as the web service by design: it is part of the same application release.',
        owner: 'team-web@example.com',
        expires: inDays(chart, 60),
        objects: ['CronJob/shop/migrate', 'Deployment/shop/web'],
      });
      expect(() => Testing.synth(chart)).not.toThrow();
    });
  });
});
