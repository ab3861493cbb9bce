import { isFromAllowedRegistry } from '../../workload/image-policy';
import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import { POD_KINDS, allContainersOf } from './workload-pod-specs';

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
 * No `admission` form on the rule: the list is the cluster's setting, not the rule's.
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
};
