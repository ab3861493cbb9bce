import { PolicyRule, RuleSeverity, RuleViolation, kindKey } from '../rule';
import { roleRefLabel } from './rbac-cluster-role-binding';
import { isBinding } from './rbac-grants';
import { RBAC_GROUP, subjectsOf } from './rbac-mesh-admins';
import { celIsKind, celString, celStrings, isRecord } from './workload-pod-specs';

/**
 * Subject names no binding in an app's output may name, with who they stand for. Matched by name
 * whatever the subject's kind: `system:anonymous` is a user and the others are groups, but a
 * binding that names them under the wrong kind shows the same intent (and binds them as soon as
 * the kind is corrected).
 */
export const FORBIDDEN_SUBJECTS: { readonly [name: string]: string } = {
  'system:authenticated': 'every authenticated user and service account of the cluster',
  'system:unauthenticated': 'every unauthenticated request',
  'system:anonymous': 'every anonymous request',
  'system:serviceaccounts': 'every service account of every namespace',
  'system:masters': 'the system:masters group, which bypasses RBAC entirely: its members (client certificates) cannot be revoked by removing a binding',
  'system:nodes': 'every node (kubelet) of the cluster',
};

/** Users named `system:node:<node name>` are kubelets. */
export const NODE_USER_PREFIX = 'system:node:';

/** Who a subject name stands for, when a binding must not name it. */
export function forbiddenSubject(name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(FORBIDDEN_SUBJECTS, name)) return FORBIDDEN_SUBJECTS[name];
  if (name.startsWith(NODE_USER_PREFIX)) return `the kubelet of node "${name.slice(NODE_USER_PREFIX.length)}"`;
  return undefined;
}

/**
 * RBAC-SUBJ-001 (NS-1, RBAC-1): no RoleBinding or ClusterRoleBinding binds everyone, all service
 * accounts, the RBAC-bypassing `system:masters` group, or nodes.
 *
 * A subject (of any kind) named `system:authenticated`, `system:unauthenticated`,
 * `system:anonymous`, `system:serviceaccounts`, `system:masters`, `system:nodes` or
 * `system:node:<name>` is a violation, in a RoleBinding of any namespace as in a
 * ClusterRoleBinding, whatever the role. Still allowed: named users, groups and service
 * accounts, and the service accounts of one namespace (`system:serviceaccounts:<ns>`, which
 * RBAC-CRB-001 keeps out of ClusterRoleBindings).
 *
 * Kubernetes' own default bindings (`system:basic-user`, `system:discovery`,
 * `system:public-info-viewer`, which bind `system:authenticated` and `system:unauthenticated`;
 * `cluster-admin` to `system:masters`; `system:node-proxier`...) are created and reconciled by the
 * API server itself, never by an app: when an app's output carries one (a copy exported from a
 * cluster, a chart that "restores" them), it is a finding like any other, and the fix is to drop
 * it from the output.
 */
export const RBAC_SUBJ_001: PolicyRule = {
  id: 'RBAC-SUBJ-001',
  practices: ['NS-1', 'RBAC-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey(RBAC_GROUP, 'RoleBinding'), kindKey(RBAC_GROUP, 'ClusterRoleBinding')],
  title: 'No binding to everyone, all service accounts, system:masters or nodes',
  explanation:
    'system:authenticated is every user and every service account of every namespace (and on many managed clusters, '
    + 'any account of the identity provider); system:unauthenticated and system:anonymous are requests without '
    + 'credentials; system:serviceaccounts is every workload of every namespace. A role bound to them, even in one '
    + 'namespace, is held by every compromised pod and every stranger, across every namespace boundary. system:masters '
    + 'bypasses RBAC altogether, so binding it means someone relies on certificates that cannot be revoked; nodes '
    + '(system:nodes, system:node:<name>) are limited by the Node authorizer, and a binding gives every kubelet, and '
    + 'whoever takes over one node, more than that.',
  fix:
    'Bind named groups, users or service accounts (for an app team, HardenedNamespace deployers/viewers). Drop copies of '
    + 'Kubernetes\' default bindings (system:basic-user, system:discovery, system:public-info-viewer...) from the output: '
    + 'the API server creates and reconciles them itself. Give operators a named group instead of system:masters. A '
    + 'PolicyException is right only for a deliberately public, read-only endpoint (e.g. a discovery document served '
    + 'to unauthenticated clients) owned by the platform team.',
  check(object) {
    if (!isBinding(object)) return [];
    const out: RuleViolation[] = [];
    for (const { index, subject } of subjectsOf(object)) {
      if (!isRecord(subject) || typeof subject.name !== 'string') continue;
      const who = forbiddenSubject(subject.name);
      if (who) {
        out.push({ path: `subjects[${index}]`, message: `binds ${roleRefLabel(object)} to ${subject.kind ?? '<no kind>'} "${subject.name}": ${who}` });
      }
    }
    return out;
  },
  admission: {
    resources: [{ apiGroups: [RBAC_GROUP], apiVersions: ['*'], resources: ['rolebindings', 'clusterrolebindings'] }],
    expression: `!${celIsKind(RBAC_GROUP, ['RoleBinding', 'ClusterRoleBinding'])} || !has(object.subjects) || object.subjects.all(s, !has(s.name) || `
      + `!(s.name in ${celStrings(Object.keys(FORBIDDEN_SUBJECTS))} || s.name.startsWith(${celString(NODE_USER_PREFIX)})))`,
    message: 'RBAC-SUBJ-001: bindings may not name system:authenticated, system:unauthenticated, system:anonymous, '
      + 'system:serviceaccounts, system:masters, system:nodes or system:node:<name>',
  },
};
