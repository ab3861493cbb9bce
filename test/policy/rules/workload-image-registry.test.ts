import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { podOf } from './pod-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { admits, admitsExpression } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { IMG_REG_001 as RULE, celRepositoryOf } from '../../../src/policy/rules/workload-image-registry';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { isFromAllowedRegistry, repositoryOf } from '../../../src/workload/image-policy';
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
  test('metadata: rule set 2, no static admission (the list is the cluster\'s: admissionFor writes it in)', () => {
    expect([RULE.id, RULE.practices, RULE.severity, RULE.since, RULE.admission]).toEqual(['IMG-REG-001', ['IMG-1'], RuleSeverity.ERROR, '2', undefined]);
    expect(RULE.admissionFor).toBeDefined();
  });

  describe('admission: the mesh\'s list in CEL, with Docker\'s name normalization', () => {
    const check = RULE.admissionFor!(ctx);
    test.each(FIXTURES)('%s: admission agrees with check()', (_name, object) => {
      expect(admits(check, object)).toBe(RULE.check(object, ctx).length === 0);
    });

    test('without a list every image is admitted', () => {
      expect(RULE.admissionFor!(ruleContext([])).expression).toBe('true');
    });

    test('property: the CEL repository equals repositoryOf for any image reference', () => {
      const component = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)?$/);
      const host = fc.oneof(fc.constantFrom('docker.io', 'index.docker.io', 'registry-1.docker.io', 'gcr.io', 'localhost', 'localhost:5000', 'my.reg:443', 'eu.gcr.io'), component);
      const image = fc.tuple(fc.option(host), fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(component), fc.boolean())
        .map(([h, path, tag, digest]) => `${h ? `${h}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${digest ? DIGEST : ''}`);
      const expression = (img: string) => `${celRepositoryOf('object.metadata.name')} == ${JSON.stringify(repositoryOf(img)).replace(/"/g, "'")}`;
      fc.assert(fc.property(image, (img) => {
        expect([img, admitsExpression(expression(img), { apiVersion: 'v1', kind: 'X', metadata: { name: img } })]).toEqual([img, true]);
      }), { numRuns: 300 });
    });

    test('property: admission agrees with isFromAllowedRegistry for any image and list', () => {
      const image = fc.constantFrom('nginx', 'library/nginx', 'docker.io/nginx', 'index.docker.io/library/nginx:1', 'istio/proxyv2:1.30.3', 'docker.io/istio/proxyv2',
        'gcr.io/acme/app', 'gcr.io/acme', 'gcr.io/acme-other/app', 'gcr.io/acme/sub/app:1', 'gcr.io.evil.example/acme/app', 'localhost:5000/acme/app', 'localhost/app', 'quay.io/x/y');
      const list = fc.subarray(['gcr.io/acme', 'gcr.io', 'docker.io', 'docker.io/library', 'docker.io/istio', 'localhost:5000', 'quay.io/x/', 'index.docker.io/istio'], { minLength: 1 });
      fc.assert(fc.property(image, list, fc.boolean(), (img, allowed, digest) => {
        const ref = `${img}${digest ? DIGEST : ''}`;
        const c = RULE.admissionFor!(ruleContext([], { allowedRegistries: allowed }));
        expect([ref, allowed, admits(c, running(ref))]).toEqual([ref, allowed, isFromAllowedRegistry(ref, allowed.map((r) => r.replace(/\/+$/, '')))]);
      }), { numRuns: 200 });
    });
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
