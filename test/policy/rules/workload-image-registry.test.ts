import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { podOf } from './pod-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { IMG_REG_001 as RULE } from '../../../src/policy/rules/workload-image-registry';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

const DIGEST = `@sha256:${'a'.repeat(64)}`;
const ctx = ruleContext([], { allowedRegistries: ['gcr.io/acme', 'docker.io/istio'] });
const running = (...images: unknown[]): RuleObject => podOf({ containers: images.map((image, i) => ({ name: `c${i}`, image })) });

const FIXTURES: [string, RuleObject, string[]][] = [
  ['allowed registry and path', running(`gcr.io/acme/app${DIGEST}`, `docker.io/istio/proxyv2:1.30.3${DIGEST}`), []],
  ['another path of the same registry', running(`gcr.io/acme-other/app${DIGEST}`), ['spec.containers[0].image']],
  ['Docker Hub short name is docker.io/library', running(`nginx${DIGEST}`), ['spec.containers[0].image']],
  ['a look-alike host', running(`gcr.io.evil.example/acme/app${DIGEST}`), ['spec.containers[0].image']],
  ['init container of a CronJob', podOf({ containers: [{ name: 'a', image: `gcr.io/acme/a${DIGEST}` }], initContainers: [{ name: 'i', image: `quay.io/x/y${DIGEST}` }] }, 'CronJob'),
    ['spec.jobTemplate.spec.template.spec.initContainers[0].image']],
  ['no image is IMG-DIGEST-001\'s', running(undefined, 42), []],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { image: 'nginx' } }, []],
];

describe('IMG-REG-001 images from the allowed registries (IMG-1)', () => {
  test('metadata: rule set 2, no static admission (the list is the cluster\'s)', () => {
    expect([RULE.id, RULE.practices, RULE.severity, RULE.since, RULE.admission]).toEqual(['IMG-REG-001', ['IMG-1'], RuleSeverity.ERROR, '2', undefined]);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test('without a list any registry passes', () => {
    expect(RULE.check(running(`nginx${DIGEST}`), ruleContext([]))).toEqual([]);
  });

  test('the message names the image and the list', () => {
    expect(RULE.check(running(`nginx${DIGEST}`), ctx)[0].message).toBe(`container "c0" runs image "nginx${DIGEST}", which is not from an allowed registry (gcr.io/acme, docker.io/istio)`);
  });

  describe('in synthesis: the mesh\'s list is enforced on what props cannot see', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh', { allowedRegistries: ['gcr.io/acme'] });
      const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
      const web = new SecureService(chart, 'web', { namespace: ns, image: `gcr.io/acme/web${DIGEST}`, ports: [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }] });
      return { chart, web };
    }

    test('the library\'s own workloads pass', () => {
      expect(() => synthValidated(app().chart)).not.toThrow();
    });

    test('a JSON patch swapping the image', () => {
      const { chart, web } = app();
      ApiObject.of(web.deployment).addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/image', `docker.io/someone/web${DIGEST}`));
      expect(() => Testing.synth(chart)).toThrow(/IMG-REG-001 \(IMG-1\): \[test\/web\/.*\] Deployment\/shop\/web spec\.template\.spec\.containers\[0\]\.image: .*not from an allowed registry \(gcr\.io\/acme\)/);
    });

    test('a raw Pod next to the library\'s', () => {
      const { chart } = app();
      new ApiObject(chart, 'raw', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw', namespace: 'shop' }, spec: { containers: [{ name: 'x', image: `quay.io/x/y${DIGEST}` }] } });
      expect(() => Testing.synth(chart)).toThrow(/IMG-REG-001 \(IMG-1\): \[test\/raw\] Pod\/shop\/raw spec\.containers\[0\]\.image/);
    });
  });
});
