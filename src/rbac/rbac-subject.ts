import { k8s } from 'cdk8s-plus-27';
import { checkDns1123Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

/** The API group of the `User` and `Group` subject kinds. */
const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

/**
 * The kinds of subject a Kubernetes `RoleBinding` can name (NS-1, RBAC-1).
 */
export enum RbacSubjectKind {
  /** A human or machine user, as asserted by the cluster's authenticator. */
  USER = 'User',
  /** A group of users, as asserted by the cluster's authenticator (e.g. an IdP group). */
  GROUP = 'Group',
  /** A Kubernetes ServiceAccount in a namespace (e.g. a CI/CD or GitOps agent). */
  SERVICE_ACCOUNT = 'ServiceAccount',
}

/**
 * Who a role is granted to: a user, a group or a ServiceAccount (NS-1, RBAC-1).
 *
 * Create one with a static factory:
 *
 * ```ts
 * RbacSubject.group('team-reviews-deployers');
 * RbacSubject.user('alice@example.com');
 * RbacSubject.serviceAccount('argocd', 'argocd-application-controller');
 * ```
 *
 * Two subjects are the same grantee when `kind`, `namespace` and `name` are equal; constructs that
 * bind subjects use that identity to bind each grantee once.
 */
export class RbacSubject {
  /**
   * A group, as the cluster's authenticator asserts it (an IdP group, a Google group, ...).
   * Prefer groups over users: membership is then managed in the identity provider.
   *
   * @param name the group name, exactly as the authenticator reports it
   */
  public static group(name: string): RbacSubject {
    return new RbacSubject(RbacSubjectKind.GROUP, requireName('RbacSubject.group', 'name', name));
  }

  /**
   * A user, as the cluster's authenticator asserts it (often an e-mail address).
   *
   * @param name the user name, exactly as the authenticator reports it
   */
  public static user(name: string): RbacSubject {
    return new RbacSubject(RbacSubjectKind.USER, requireName('RbacSubject.user', 'name', name));
  }

  /**
   * A Kubernetes ServiceAccount (`system:serviceaccount:<namespace>:<name>`), e.g. the identity of
   * a CI/CD pipeline or a GitOps agent that applies the team's manifests.
   *
   * @param namespace the ServiceAccount's namespace (a DNS-1123 label)
   * @param name the ServiceAccount's name (a DNS-1123 subdomain)
   */
  public static serviceAccount(namespace: string, name: string): RbacSubject {
    const where = 'RbacSubject.serviceAccount';
    requireName(where, 'namespace', namespace);
    requireName(where, 'name', name);
    const problems = [
      ...checkDns1123Label(namespace).map((p) => `namespace "${namespace}" ${p}`),
      ...checkDns1123Subdomain(name).map((p) => `name "${name}" ${p}`),
    ];
    if (problems.length > 0) {
      throw new Error(`${where}: ${problems.join('; ')}. A ServiceAccount lives in a namespace named by a DNS-1123 label and has a DNS-1123 subdomain name (lower-case letters, digits, "-" and "."), e.g. RbacSubject.serviceAccount('ci', 'deployer')`);
    }
    return new RbacSubject(RbacSubjectKind.SERVICE_ACCOUNT, name, namespace);
  }

  /** The subject kind: `User`, `Group` or `ServiceAccount`. */
  public readonly kind: RbacSubjectKind;

  /** The user, group or ServiceAccount name. */
  public readonly name: string;

  /**
   * The ServiceAccount's namespace.
   *
   * @default - undefined for users and groups, which are not namespaced
   */
  public readonly namespace?: string;

  private constructor(kind: RbacSubjectKind, name: string, namespace?: string) {
    this.kind = kind;
    this.name = name;
    this.namespace = namespace;
  }

  /**
   * A human-readable form for messages: `Group team-a`, `User alice@example.com`,
   * `ServiceAccount ci/deployer`.
   */
  public toString(): string {
    return this.namespace === undefined ? `${this.kind} ${this.name}` : `${this.kind} ${this.namespace}/${this.name}`;
  }

  /**
   * The identity of the grantee: equal keys mean the same subject. Also the sort key that makes
   * binding output deterministic.
   *
   * @internal
   */
  public _key(): string {
    return `${this.kind}/${this.namespace ?? ''}/${this.name}`;
  }

  /**
   * The Kubernetes `Subject` of a `RoleBinding`: `apiGroup: rbac.authorization.k8s.io` for users
   * and groups, no `apiGroup` (the core group) plus the namespace for ServiceAccounts.
   *
   * @internal
   */
  public _toSubject(): k8s.Subject {
    if (this.kind === RbacSubjectKind.SERVICE_ACCOUNT) {
      return { kind: this.kind, name: this.name, namespace: this.namespace };
    }
    return { apiGroup: RBAC_API_GROUP, kind: this.kind, name: this.name };
  }
}

function requireName(where: string, field: string, value: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new Error(`${where}: ${field} is empty. Give the ${field} exactly as the cluster knows it`);
  }
  if (value.trim() !== value) {
    throw new Error(`${where}: ${field} "${value}" has leading or trailing whitespace, so it would never match the authenticated identity. Remove the whitespace`);
  }
  return value;
}
