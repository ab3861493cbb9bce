import { checkImage } from '../../workload/image-policy';
import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { celInjectorContainer } from './mesh-proxy-overrides';
import { CONTAINER_LISTS, POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForPodSpec, celIsKind } from './workload-pod-specs';

/**
 * The image references `checkImage(image, [])` accepts, as one RE2 pattern for CEL `matches()`:
 * Docker's reference grammar (`[registry[:port]/]path[:tag]`) followed by `@sha256:` and 64
 * lower-case hex digits. Kept equal to `image-policy.ts` by a property test.
 */
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const PINNED_IMAGE_PATTERN =
  `^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$`;

/**
 * CEL of IMG-DIGEST-001. A Pod arrives after injection: the injector's own containers (recognized
 * by their whole shape, the mesh's proxy image repository and the sidecar.istio.io/status mark)
 * run the mesh's proxy image, which the mesh pins, not the app. Every other container, and every
 * workload template, needs a digest.
 */
function digestExpression(proxyImageRepositories?: readonly string[]): string {
  const pinned = (c: string) => `(has(${c}.image) && ${c}.image.matches('${PINNED_IMAGE_PATTERN}'))`;
  const pod = CONTAINER_LISTS.map((list) => `(!has(object.spec.${list}) || object.spec.${list}.all(c, ${pinned('c')} || ${celInjectorContainer('c', list, proxyImageRepositories)}))`);
  const templates = celForPodSpec((spec) => CONTAINER_LISTS.map((list) => `(!has(${spec}.${list}) || ${spec}.${list}.all(c, ${pinned('c')}))`).join(' && '));
  return `${celIsKind('', ['Pod'])} ? (${pod.join(' && ')}) : (${templates})`;
}

/**
 * IMG-DIGEST-001 (IMG-1): every container image is pinned by digest.
 *
 * A container without an image counts as unpinned: whatever fills it in later was not reviewed.
 */
export const IMG_DIGEST_001: PolicyRule = {
  id: 'IMG-DIGEST-001',
  practices: ['IMG-1'],
  severity: RuleSeverity.ERROR,
  kinds: POD_KINDS,
  title: 'Every container image is pinned by digest',
  explanation:
    'A tag (":latest", ":1.2") can be moved to other content at any time, so the image that runs may not be the one '
    + 'that was reviewed, scanned and signed; a digest (@sha256:...) names exactly one image. Binary Authorization '
    + 'style checks are only meaningful on digests.',
  fix:
    'Reference the image as registry/repository[:tag]@sha256:<64 hex digits> (e.g. resolve it with `crane digest` or '
    + '`docker buildx imagetools inspect`) and let your dependency bot update the digest. A PolicyException is right '
    + 'only for a short-lived development namespace, never for a mesh namespace that serves traffic.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const c of allContainersOf(object)) {
      const image: unknown = c.container.image;
      if (typeof image !== 'string') {
        out.push({ path: `${c.path}.image`, message: `${c.label} has no image, so nothing pins what it runs` });
        continue;
      }
      for (const problem of checkImage(image, [])) out.push({ path: `${c.path}.image`, message: `${c.label}: ${problem}` });
    }
    return out;
  },
  // The cluster's proxy images (MeshBaseline proxyImageRepositories) when the context names them.
  admissionFor: (ctx) => ({ ...IMG_DIGEST_001.admission!, expression: digestExpression(ctx.proxyImageRepositories) }),
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: digestExpression(),
    message: 'IMG-DIGEST-001: every container image must be pinned by digest (repository[:tag]@sha256:<64 hex digits>)',
  },
};
