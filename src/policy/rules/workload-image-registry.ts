import { DOCKER_HUB_ALIASES, isFromAllowedRegistry } from '../../workload/image-policy';
import { AdmissionCheck, PolicyRule, RuleContext, RuleSeverity, RuleViolation } from '../rule';
import { CONTAINER_LISTS, POD_KINDS, POD_SPEC_RESOURCES, allContainersOf, celForPodSpec, celStrings } from './workload-pod-specs';


/**
 * CEL: the repository of the image string `image` with its registry made explicit, as
 * `repositoryOf` in image-policy.ts computes it (Docker's normalization): no digest, no tag (a
 * colon after the last slash), a first component that is a host only when it has a `.` or `:` or
 * is `localhost` and a `/` follows, Docker Hub's aliases folded into `docker.io`, and a
 * one-component Docker Hub path under `library/`. A property test keeps the two equal.
 */
export function celRepositoryOf(image: string): string {
  const noDigest = `${image}.split('@')[0]`;
  const tagColon = `${noDigest}.indexOf(':', ${noDigest}.lastIndexOf('/') + 1)`;
  const repo = `(${tagColon} >= 0 ? ${noDigest}.substring(0, ${tagColon}) : ${noDigest})`;
  const first = `${repo}.split('/')[0]`;
  const host = `(${repo}.contains('/') && (${first}.contains('.') || ${first}.contains(':') || ${first} == 'localhost'))`;
  const alias = `(${first} in ${celStrings(DOCKER_HUB_ALIASES)})`;
  const path = `(${host} && ${alias} ? ${repo}.substring(size(${first}) + 1) : ${repo})`;
  return `(${host} && !${alias} ? ${repo} : (${path}.contains('/') ? 'docker.io/' + ${path} : 'docker.io/library/' + ${path}))`;
}

/** The admission form of IMG-REG-001 for the mesh's allowed registries (every image passes without a list). */
function registryAdmission(ctx: RuleContext): AdmissionCheck {
  const allowed = [...(ctx.allowedRegistries ?? [])].map((r) => r.replace(/\/+$/, '')).sort();
  const fromAllowed = (c: string) => `(!has(${c}.image) || type(${c}.image) != string || `
    + `${celStrings(allowed)}.exists(r, ${celRepositoryOf(`${c}.image`)} == r || ${celRepositoryOf(`${c}.image`)}.startsWith(r + '/')))`;
  return {
    resources: POD_SPEC_RESOURCES,
    expression: allowed.length === 0 ? 'true'
      : celForPodSpec((spec) => CONTAINER_LISTS.map((list) => `(!has(${spec}.${list}) || ${spec}.${list}.all(c, ${fromAllowed('c')}))`).join(' && ')),
    message: `IMG-REG-001: container images must come from the mesh's allowed registries${allowed.length ? ` (${allowed.join(', ')})` : ''}`,
  };
}

/**
 * IMG-REG-001 (IMG-1): every container image comes from an allowed registry, when the mesh names
 * them (MeshBaseline `allowedRegistries`; `allowedRegistries` in secure-mesh.yaml for the audit and
 * the validation plugin). Without a list, any registry passes.
 *
 * SecureService refuses such an image at construction; this rule covers what props cannot: raw
 * objects, JSON patches, cdk8s-plus workloads and included YAML. A namespace's own list
 * (HardenedNamespace `allowedRegistries`) may only narrow the mesh's, so the mesh's list is the
 * boundary here.
 *
 * At admission the list is the cluster's setting: AdmissionGuardrails writes the mesh's list into
 * the policy (`admissionFor`), with Docker's name normalization in CEL (`celRepositoryOf`). A
 * missing image is IMG-DIGEST-001's, here as at synth.
 */
export const IMG_REG_001: PolicyRule = {
  id: 'IMG-REG-001',
  practices: ['IMG-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Container images come from the mesh\'s allowed registries',
  explanation:
    'The allowed registries are where the platform scans, signs (Binary Authorization) and mirrors images. An image pulled '
    + 'from anywhere else has had none of that: a typo-squatted or compromised public image then runs with the workload\'s '
    + 'mesh identity and grants.',
  fix:
    'Push the image to an allowed registry (or mirror it there) and reference it by digest. If the registry should be '
    + 'allowed, add it to MeshBaseline allowedRegistries (and to allowedRegistries in secure-mesh.yaml). A PolicyException is '
    + 'right only for a vendor image that cannot be mirrored yet, with an owner and an expiry.',
  check(object, ctx) {
    const allowed = ctx.allowedRegistries ?? [];
    if (allowed.length === 0) return [];
    const out: RuleViolation[] = [];
    for (const c of allContainersOf(object)) {
      const image: unknown = c.container.image;
      if (typeof image !== 'string') continue; // IMG-DIGEST-001 reports a missing image
      if (!isFromAllowedRegistry(image, allowed)) {
        out.push({ path: `${c.path}.image`, message: `${c.label} runs image "${image}", which is not from an allowed registry (${allowed.join(', ')})` });
      }
    }
    return out;
  },
  admissionFor: registryAdmission,
};
