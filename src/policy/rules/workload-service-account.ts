import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, objectRef } from '../rule';
import { podSpecsOf } from './workload-pod-specs';

/**
 * POD-SA-001 (AUTHZ-2): one ServiceAccount, and so one mesh identity, per workload.
 *
 * Istio's workload identity is the ServiceAccount: `<trustDomain>/ns/<namespace>/sa/<account>`.
 * Two workloads that run as the same account (a shared `serviceAccountName`, or both none and so
 * `default`) are one principal to every AuthorizationPolicy: a grant meant for one admits the
 * other, and a compromise of either carries both's access.
 */
export const POD_SA_001: PolicyRule = {
  id: 'POD-SA-001',
  practices: ['AUTHZ-2'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'Each workload runs as its own ServiceAccount (one mesh identity per workload)',
  explanation:
    'Istio identifies a workload by its ServiceAccount (spiffe://<trust domain>/ns/<namespace>/sa/<account>). Workloads that '
    + 'share one (the same serviceAccountName, or none, which means "default") are a single principal to every '
    + 'AuthorizationPolicy: a grant to one admits the other, and whoever compromises either gets both\'s access.',
  fix:
    'Give each workload its own ServiceAccount (SecureService creates one per service). Workloads that really are one '
    + 'application under one identity (e.g. a schema-migration Job of the same service) need a PolicyException naming them.',
  check() {
    return [];
  },
  checkAll(ctx) {
    const byAccount = new Map<string, { object: RuleObject; path: string; explicit: boolean }[]>();
    for (const object of ctx.objects) {
      const namespace = object.metadata?.namespace;
      if (typeof namespace !== 'string' || namespace === '') continue;
      for (const pod of podSpecsOf(object)) {
        const named = typeof pod.spec.serviceAccountName === 'string' && pod.spec.serviceAccountName !== ''
          ? pod.spec.serviceAccountName
          : typeof pod.spec.serviceAccount === 'string' && pod.spec.serviceAccount !== '' ? pod.spec.serviceAccount : undefined;
        const key = `${namespace}/${named ?? 'default'}`;
        const list = byAccount.get(key) ?? [];
        list.push({ object, path: `${pod.path}.serviceAccountName`, explicit: named !== undefined });
        byAccount.set(key, list);
      }
    }
    const out: { object: RuleObject; violation: RuleViolation }[] = [];
    for (const [key, users] of byAccount) {
      if (users.length < 2) continue;
      const [namespace, account] = key.split('/');
      for (const user of users) {
        const others = users.filter((u) => u !== user).map((u) => objectRef(u.object));
        out.push({
          object: user.object,
          violation: {
            path: user.path,
            message: `runs as ServiceAccount ${account}${user.explicit ? '' : ' (none set: the namespace default)'} of ${namespace}, `
              + `like ${others.join(', ')}: they are one mesh identity (ns/${namespace}/sa/${account}), so every grant to one admits the other`,
          },
        });
      }
    }
    return out;
  },
};

