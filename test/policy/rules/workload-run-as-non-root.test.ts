import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { expectKyvernoAgreement, kyvernoResources, podOf } from './pod-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { POD_ROOT_001 } from '../../../src/policy/rules/workload-run-as-non-root';
import { POD_SECCOMP_001 } from '../../../src/policy/rules/workload-seccomp';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const ctx = ruleContext([]);
const pod = podOf;
const agree = (rule: typeof POD_ROOT_001, o: RuleObject) => expect(admits(rule.admission!, o)).toBe(rule.check(o, ctx).length === 0);

describe('POD-ROOT-001 containers run as non-root (POD-1)', () => {
  const GOOD: [string, RuleObject][] = [
    ['runAsNonRoot on the pod', pod({ securityContext: { runAsNonRoot: true } })],
    ['runAsNonRoot on the container', pod({ containers: [{ name: 'a', securityContext: { runAsNonRoot: true, runAsUser: 1000 } }] })],
    ['container overrides a root pod setting', pod({ securityContext: { runAsNonRoot: false }, containers: [{ name: 'a', securityContext: { runAsNonRoot: true } }] })],
    ['a Deployment template', pod({ securityContext: { runAsNonRoot: true, runAsUser: 65532 } }, 'Deployment')],
  ];
  const BAD: [string, RuleObject, string[]][] = [
    ['nothing set', pod({}), ['spec.containers[0].securityContext.runAsNonRoot']],
    ['runAsNonRoot false on the pod', pod({ securityContext: { runAsNonRoot: false } }), ['spec.containers[0].securityContext.runAsNonRoot']],
    ['uid 0 on the pod, although runAsNonRoot', pod({ securityContext: { runAsNonRoot: true, runAsUser: 0 } }), ['spec.securityContext.runAsUser']],
    ['an init container as root', pod({ securityContext: { runAsNonRoot: true }, initContainers: [{ name: 'init', securityContext: { runAsNonRoot: false } }] }),
      ['spec.initContainers[0].securityContext.runAsNonRoot']],
    ['an ephemeral debug container as uid 0', pod({ securityContext: { runAsNonRoot: true }, ephemeralContainers: [{ name: 'debug', securityContext: { runAsUser: 0 } }] }),
      ['spec.ephemeralContainers[0].securityContext.runAsUser']],
  ];

  test.each(GOOD)('passes: %s', (_n, o) => expect(POD_ROOT_001.check(o, ctx)).toEqual([]));
  test.each(BAD)('fails: %s', (_n, o, paths) => expect(POD_ROOT_001.check(o, ctx).map((v) => v.path)).toEqual(paths));
  test.each([...GOOD, ...BAD.map(([n, o]) => [n, o] as [string, RuleObject])])('admission agrees: %s', (_n, o) => agree(POD_ROOT_001, o));
  test('odd shapes do not throw', () => {
    expect(() => POD_ROOT_001.check(pod({ securityContext: 'x', containers: [null, { securityContext: [] }] }), ctx)).not.toThrow();
  });
});

describe('synthesis: SecureService runs non-root under RuntimeDefault; patches and raw pods that undo it fail', () => {
  function app() {
    const chart = new Chart(Testing.app(), 'test');
    new MeshBaseline(chart, 'mesh');
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const web = new SecureService(chart, 'web', { namespace: ns, image: `gcr.io/acme/web@sha256:${'a'.repeat(64)}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
    return { chart, web };
  }

  test('the library\'s Deployment passes', () => {
    expect(() => synthValidated(app().chart)).not.toThrow();
  });

  test('a JSON patch running web as root fails', () => {
    const { chart, web } = app();
    ApiObject.of(web.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/securityContext/runAsNonRoot', false));
    expect(() => Testing.synth(chart)).toThrow(/POD-ROOT-001 \(POD-1\): \[test\/web\/.*\] Deployment\/shop\/web spec\.template\.spec\.containers\[0\]\.securityContext\.runAsNonRoot/);
  });

  test('a JSON patch removing the seccomp profile fails', () => {
    const { chart, web } = app();
    ApiObject.of(web.deployment).addJsonPatch(JsonPatch.remove('/spec/template/spec/securityContext/seccompProfile'));
    expect(() => Testing.synth(chart)).toThrow(/POD-SECCOMP-001 \(POD-1\): .*Deployment\/shop\/web .*seccompProfile\.type: container "web" runs without a seccomp profile/);
  });
});

/*
 * Kyverno's restricted pod-security tests, as their authors label them. require-run-as-nonroot and
 * restrict-seccomp-strict check what these rules check: we agree both ways. require-run-as-non-root-user
 * checks only runAsUser != 0; POD-ROOT-001 also requires runAsNonRoot: true (the restricted profile),
 * so its good resources without runAsNonRoot are reported on purpose.
 */
describeWithShared('external-corpus/kyverno/pod-security/restricted', 'the external corpus (Kyverno restricted pod security)', (dir) => {
  const resources = (policy: string) => kyvernoResources(path.join(dir, policy));

  test.each([['require-run-as-nonroot', POD_ROOT_001], ['restrict-seccomp-strict', POD_SECCOMP_001]] as const)('%s: bad resources are reported and good ones pass', (policy, rule) => {
    expectKyvernoAgreement(path.join(dir, policy), rule);
  });

  test('require-run-as-non-root-user: every bad resource (uid 0) is reported; good ones without runAsNonRoot are reported on purpose', () => {
    for (const { file, bad, object } of resources('require-run-as-non-root-user')) {
      const found = POD_ROOT_001.check(object, ctx);
      if (bad) expect([file, found.some((v) => v.message.includes('user 0'))]).toEqual([file, true]);
      else expect([file, found.every((v) => v.message.includes('runAsNonRoot is not true'))]).toEqual([file, true]);
    }
  });
});
