import * as fc from 'fast-check';
import { admits } from '../../../src/policy/admission-cel';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { IMG_DIGEST_001 as RULE } from '../../../src/policy/rules/workload-image-digest';
import { checkImage } from '../../../src/workload/image-policy';

const ctx = ruleContext([]);
const DIGEST = `@sha256:${'a1'.repeat(32)}`;
const pod = (...images: (string | undefined)[]): RuleObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'a' },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, ...(image === undefined ? {} : { image }) })) },
});

const FIXTURES: [string, RuleObject, string[]][] = [
  ['pinned by digest', pod(`gcr.io/proj/app${DIGEST}`), []],
  ['tag and digest', pod(`registry.example.com:5000/team/app:1.2.3${DIGEST}`), []],
  ['Docker Hub short name with digest', pod(`nginx${DIGEST}`), []],
  ['tag only', pod('nginx:latest'), ['spec.containers[0].image']],
  ['no tag, no digest', pod(`gcr.io/proj/app${DIGEST}`, 'gcr.io/proj/app'), ['spec.containers[1].image']],
  ['short digest', pod('app@sha256:abc'), ['spec.containers[0].image']],
  ['upper-case digest', pod(`app@sha256:${'A1'.repeat(32)}`), ['spec.containers[0].image']],
  ['not a reference', pod(`team/App${DIGEST}`), ['spec.containers[0].image']],
  ['no image', pod(undefined), ['spec.containers[0].image']],
  ['init container of a deployment', { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'a', image: `a${DIGEST}` }], initContainers: [{ name: 'i', image: 'busybox:1.36' }] } } } }, ['spec.template.spec.initContainers[0].image']],
  ['ephemeral debug container', { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', image: `a${DIGEST}` }], ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] } }, ['spec.ephemeralContainers[0].image']],
  ['other kind', { apiVersion: 'v1', kind: 'ConfigMap', data: { image: 'nginx' } }, []],
];

describe('IMG-DIGEST-001', () => {
  test('metadata', () => {
    expect(RULE.id).toBe('IMG-DIGEST-001');
    expect(RULE.practices).toEqual(['IMG-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
  });

  test.each(FIXTURES)('%s', (_name, object, paths) => {
    expect(RULE.check(object, ctx).map((v) => v.path)).toEqual(paths);
  });

  test.each(FIXTURES)('check and admission agree: %s', (_name, object) => {
    expect(admits(RULE.admission!, object)).toBe(RULE.check(object, ctx).length === 0);
  });

  test('messages come from the image policy', () => {
    expect(RULE.check(pod('nginx:latest'), ctx)[0].message).toBe('container "c0": image "nginx:latest" is not pinned by digest (a tag such as ":latest" can change what runs)');
    expect(RULE.check(pod(undefined), ctx)[0].message).toBe('container "c0" has no image, so nothing pins what it runs');
  });

  test('the CEL pattern accepts exactly what checkImage(image, []) accepts (property)', () => {
    const piece = fc.constantFrom('a', 'z', '0', '9', 'A', '.', '_', '__', '-', '--', '/', ':', '5000', 'localhost', 'gcr.io', 'library', '@', '@sha256:', 'sha256', ' ', 'é', 'ı');
    const hex = fc.constantFrom('a1'.repeat(32), 'a1'.repeat(31), 'A1'.repeat(32), `${'a1'.repeat(32)}0`);
    const image = fc.oneof(
      fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
      fc.tuple(fc.array(piece, { maxLength: 10 }), hex).map(([p, h]) => `${p.join('')}@sha256:${h}`),
      fc.stringMatching(/^([a-z0-9.-]{1,8}(:[0-9]{1,4})?\/)?[a-z0-9]{1,4}([._-][a-z0-9]{1,3})?(\/[a-z0-9]{1,4})?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,5})?$/)
        .chain((name) => fc.constantFrom(name, `${name}@sha256:${'a1'.repeat(32)}`, `${name}@sha256:${'a1'.repeat(31)}`)),
    );
    fc.assert(fc.property(image, (img) => {
      const object = pod(img);
      expect(admits(RULE.admission!, object)).toBe(checkImage(img, []).length === 0);
      expect(RULE.check(object, ctx).length === 0).toBe(checkImage(img, []).length === 0);
    }), { numRuns: 300 });
  });

  test('odd shapes do not throw', () => {
    expect(RULE.check({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ image: 42 }] } }, ctx).map((v) => v.path)).toEqual(['spec.containers[0].image']);
  });
});
