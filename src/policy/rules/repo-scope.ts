import { isClusterScopedKind } from '../cluster-scoped-kinds';
import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, groupOf } from '../rule';
import { asString } from './mesh-shared';

/** At most this many owned namespaces are named in a message. */
const NAMESPACES_NAMED = 5;

/** The owned namespaces, for a message: `team-a, team-b` (and `N more`). */
function owned(namespaces: readonly string[]): string {
  const named = namespaces.slice(0, NAMESPACES_NAMED).join(', ');
  return namespaces.length > NAMESPACES_NAMED ? `${named} and ${namespaces.length - NAMESPACES_NAMED} more` : named;
}

/** The violation of one object, given the namespaces the repository owns (non-empty). */
function scopeViolation(o: RuleObject, namespaces: readonly string[], ownedSet: ReadonlySet<string>): RuleViolation | undefined {
  const kind = asString(o.kind);
  if (kind === undefined || kind === '') return undefined;
  const repo = `this app repository owns ${owned(namespaces)}`;
  if (isClusterScopedKind(o)) {
    const group = typeof o.apiVersion === 'string' ? groupOf(o) : '';
    const what = `${group ? `${group} ` : ''}${kind}`;
    if (kind === 'Namespace' && group === '') {
      const name = asString(o.metadata?.name);
      return {
        path: 'kind',
        message: `a Namespace${name ? ` (${name})` : ''} is cluster-scoped: the platform repository creates the namespaces of app repositories, `
          + `with their RepoSync/AppProject, and an app repository's namespace-scoped sync cannot apply it (${repo})`,
      };
    }
    return {
      path: 'kind',
      message: `${what} is cluster-scoped: an app repository's namespace-scoped sync (RepoSync, AppProject without cluster resources) `
        + `cannot apply it, and the repository must not own it (${repo})`,
    };
  }
  const namespace = asString(o.metadata?.namespace);
  if (namespace === undefined || namespace === '') {
    return {
      path: 'metadata.namespace',
      message: `names no namespace: the sync would put it in whatever namespace it applies to; name the one it belongs to (${repo}). `
        + 'If the kind is cluster-scoped, it belongs to the platform repository',
    };
  }
  if (!ownedSet.has(namespace)) {
    return {
      path: 'metadata.namespace',
      message: `is in namespace ${namespace}, which this repository does not own (it owns ${owned(namespaces)}): its sync cannot write there, `
        + `and whoever owns ${namespace} (the platform, or another team's repository) writes it`,
    };
  }
  return undefined;
}

/**
 * REPO-SCOPE-001 (NS-1, RBAC-1, OPS-2): an app team's repository writes only its own namespaces.
 *
 * Many repositories, one mesh: the platform repository owns the mesh baseline, the gateways,
 * the operators' ClusterRoles, the admission guardrails and every Namespace object (with the
 * RepoSync or Argo CD AppProject that syncs each app repository); an app repository owns the
 * namespaces the platform gives it and is applied by a namespace-scoped sync (Config Sync
 * `RepoSync`, whose reconciler holds a RoleBinding in its namespace; an `AppProject` whose
 * destinations are those namespaces and whose cluster-resource allow-list is empty).
 *
 * When the output is an app repository's (`appNamespaces` in secure-mesh.yaml, or namespaces an
 * app declares at synthesis), every object must sit in one of those namespaces. Reported, once
 * per object:
 * - a cluster-scoped object (Namespace, ClusterRole, ClusterRoleBinding, admission policies and
 *   webhooks, CRDs, StorageClass, PriorityClass, GatewayClass, ...; see `CLUSTER_SCOPED_KINDS`),
 *   at `kind`: the sync cannot apply it and the repository must not own it, its own Namespace
 *   included (the platform creates it);
 * - a namespaced object without `metadata.namespace`, at `metadata.namespace`: the output does not
 *   say where it goes (a kind this rule does not know as cluster-scoped is taken as namespaced,
 *   so an unknown cluster-scoped custom kind is reported here);
 * - an object in a namespace the repository does not own, at `metadata.namespace`.
 *
 * Allowed after it: any namespaced object in an owned namespace, whatever it refers to in other
 * namespaces (a RoleBinding naming another namespace's ServiceAccount, an HTTPRoute attached to
 * the platform's Gateway, an AuthorizationPolicy admitting another namespace's principal): those
 * are grants or references the other side accepts, not writes into another namespace, and other
 * rules judge them. Without `appNamespaces` (a platform or single-app repository) the rule
 * reports nothing.
 *
 * No admission form: a request to the API server does not say which repository sent it, so the
 * cluster-side boundary is the sync's own RBAC (the RepoSync reconciler's RoleBinding, the
 * AppProject's destinations and cluster-resource allow-list), which the platform writes. This rule
 * is the same boundary in the app repository's synthesis and CI audit, before the sync refuses
 * the object or, worse, a too-broad sync applies it.
 */
export const REPO_SCOPE_001: PolicyRule = {
  id: 'REPO-SCOPE-001',
  practices: ['NS-1', 'RBAC-1', 'OPS-2'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [],
  title: 'An app repository writes only objects of the namespaces it owns: nothing cluster-scoped, nothing in other namespaces',
  explanation:
    'An app team\'s repository is applied by a namespace-scoped GitOps sync (Config Sync RepoSync, Argo CD AppProject with namespace '
    + 'destinations and no cluster resources). A cluster-scoped object or an object of another namespace in its output is either '
    + 'refused by the sync (the output is no longer what the cluster runs, OPS-2) or, with a sync granted too much, applied: then one '
    + 'team\'s repository changes cluster-wide roles, admission, the mesh or another team\'s namespace, the boundary NS-1 and RBAC-1 '
    + 'draw between app teams and mesh admins. There is no admission form: a request does not say which repository sent it; the '
    + 'sync\'s RBAC is the cluster-side boundary, this rule the same boundary before the output is committed.',
  fix:
    'Move the object to the platform repository: it owns the mesh, the gateways, cluster roles, admission and the Namespace objects '
    + '(with each app repository\'s RepoSync/AppProject). Give a namespaced object the namespace it belongs to. If the platform gives '
    + 'this repository that namespace too, add it to appNamespaces (secure-mesh.yaml, and the namespaces the app declares). A '
    + 'PolicyException is not the answer for a repository boundary: the sync refuses the object whatever the exception says.',
  check: () => [],
  checkAll(ctx) {
    const namespaces = [...new Set(ctx.appNamespaces ?? [])].sort();
    if (namespaces.length === 0) return [];
    const ownedSet = new Set(namespaces);
    const found: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const object of ctx.objects) {
      if (typeof object !== 'object' || object === null) continue;
      const violation = scopeViolation(object, namespaces, ownedSet);
      if (violation) found.push({ object, violation });
    }
    return found;
  },
};
