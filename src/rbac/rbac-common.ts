import { k8s } from 'cdk8s-plus-27';
import { RbacSubject, RbacSubjectKind } from './rbac-subject';

/** One RBAC rule as the role sets describe it: one API group, its resources, verbs, optional names. */
export interface RuleSpec {
  readonly apiGroup: string;
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** The Kubernetes PolicyRule of a RuleSpec. */
export function toPolicyRule(rule: RuleSpec): k8s.PolicyRule {
  return {
    apiGroups: [rule.apiGroup],
    resources: [...rule.resources],
    verbs: [...rule.verbs],
    ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
  };
}

/** A list no caller can change: the rule lists are a contract. */
export function frozen(values: string[]): string[] {
  return Object.freeze(values) as string[];
}

const BROAD_GROUPS = ['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts'];
const BROAD_GROUP_PREFIX = 'system:serviceaccounts:';
const BROAD_USERS = ['system:anonymous'];

/**
 * Whether a subject stands for "everyone" (or every workload): binding a role to it hands the
 * role to the whole cluster.
 */
export function isEveryone(subject: RbacSubject): boolean {
  return (subject.kind === RbacSubjectKind.GROUP && (BROAD_GROUPS.includes(subject.name) || subject.name.startsWith(BROAD_GROUP_PREFIX)))
    || (subject.kind === RbacSubjectKind.USER && BROAD_USERS.includes(subject.name));
}
