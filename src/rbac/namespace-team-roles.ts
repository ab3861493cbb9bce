import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuleSpec, frozen, isEveryone, toPolicyRule } from './rbac-common';
import { RbacSubject } from './rbac-subject';
import { configError } from '../core/errors';
import { assertDnsLabel } from '../core/names';
import { claimKey } from '../core/registry';

const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

/** The read verbs. */
const READ_VERBS = ['get', 'list', 'watch'];
/** The verbs a deployer has on the workload kinds it manages (no `deletecollection`, no `*`). */
const MANAGE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];


const ISTIO_NETWORKING_RESOURCES = [
  'destinationrules', 'envoyfilters', 'gateways', 'proxyconfigs', 'serviceentries', 'sidecars',
  'virtualservices', 'workloadentries', 'workloadgroups',
];
const ISTIO_SECURITY_RESOURCES = ['authorizationpolicies', 'peerauthentications', 'requestauthentications'];

/**
 * The `app-deployer` rules. The `app-viewer` rules are these with the verbs cut down to
 * get/list/watch, so a viewer reads exactly what a deployer can touch.
 */
const DEPLOYER_RULES: RuleSpec[] = [
  // Pods are owned by controllers: deleting one restarts it; no create/update/patch (a bare pod
  // skips the controllers' rollout history), no exec/attach/portforward subresources.
  { apiGroup: '', resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroup: '', resources: ['pods/log'], verbs: ['get'] },
  { apiGroup: '', resources: ['events'], verbs: READ_VERBS },
  { apiGroup: '', resources: ['configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'services'], verbs: MANAGE_VERBS },
  { apiGroup: 'apps', resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: MANAGE_VERBS },
  // `kubectl scale` goes through the scale subresource.
  { apiGroup: 'apps', resources: ['deployments/scale', 'replicasets/scale', 'statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
  { apiGroup: 'autoscaling', resources: ['horizontalpodautoscalers'], verbs: MANAGE_VERBS },
  { apiGroup: 'batch', resources: ['cronjobs', 'jobs'], verbs: MANAGE_VERBS },
  { apiGroup: 'policy', resources: ['poddisruptionbudgets'], verbs: MANAGE_VERBS },
  // RBAC-1: authentication, authorization, routing and L3/L4 policy are visible, never writable.
  { apiGroup: 'networking.istio.io', resources: ISTIO_NETWORKING_RESOURCES, verbs: READ_VERBS },
  { apiGroup: 'security.istio.io', resources: ISTIO_SECURITY_RESOURCES, verbs: READ_VERBS },
  { apiGroup: 'networking.k8s.io', resources: ['networkpolicies'], verbs: READ_VERBS },
];

const VIEWER_RULES: RuleSpec[] = DEPLOYER_RULES
  .map((r) => ({ ...r, verbs: r.verbs.filter((v) => READ_VERBS.includes(v)) }))
  .filter((r) => r.verbs.length > 0);


/**
 * Props of `NamespaceTeamRoles`.
 */
export interface NamespaceTeamRolesProps {
  /**
   * The application namespace the roles and bindings live in and grant access to. A DNS-1123 label.
   */
  readonly namespace: string;

  /**
   * Who may deploy and operate the team's workloads (bound to the `app-deployer` role).
   * More can be added later with `addDeployer`.
   *
   * @default [] - nobody: access is granted explicitly, and no `app-deployers` binding is emitted
   */
  readonly deployers?: RbacSubject[];

  /**
   * Who may read the team's workloads and the mesh policy that applies to them (bound to the
   * `app-viewer` role). More can be added later with `addViewer`.
   *
   * @default [] - nobody: access is granted explicitly, and no `app-viewers` binding is emitted
   */
  readonly viewers?: RbacSubject[];
}

/**
 * Namespace-bound roles for an application team (NS-1, RBAC-1; CA-1 for secrets): a `Role`
 * `app-deployer` and a `Role` `app-viewer` in one namespace, and a `RoleBinding`
 * (`app-deployers`, `app-viewers`) for each role that has subjects. Never a `ClusterRole` or a
 * `ClusterRoleBinding`: an app team's rights end at its namespace; only mesh admins get cluster
 * roles.
 *
 * What a deployer CAN do in the namespace, and nothing else:
 * - manage workloads: `apps` deployments, statefulsets, replicasets, daemonsets (and their `scale`
 *   subresource), `batch` jobs and cronjobs, `autoscaling` horizontalpodautoscalers, `policy`
 *   poddisruptionbudgets, and core services, configmaps, persistentvolumeclaims and
 *   serviceaccounts (get, list, watch, create, update, patch, delete);
 * - get, list, watch and delete pods (deleting a pod restarts it), read pod logs and events;
 * - READ (get, list, watch) Istio `security.istio.io` and `networking.istio.io` objects and
 *   `networking.k8s.io` NetworkPolicies, to see which traffic the mesh allows.
 *
 * What a deployer CANNOT do (RBAC-1, least privilege):
 * - change authentication or authorization: no write verb on any `security.istio.io`
 *   (PeerAuthentication, AuthorizationPolicy, RequestAuthentication) or `networking.istio.io`
 *   object (routing, Sidecar, ServiceEntry, EnvoyFilter) nor on NetworkPolicies; those are owned
 *   by the mesh and security admins (see `DEPLOYER_READ_ONLY_API_GROUPS`,
 *   `DEPLOYER_READ_ONLY_RESOURCES`);
 * - touch `secrets` at all (no get, list, watch, create, update or delete), because:
 *   secrets are consumed by pods (volumes, env), not read by people; `list`/`watch` on secrets
 *   returns their contents, so even "read-only" access is full disclosure; ServiceAccount token
 *   and TLS key material must not leave the cluster through a laptop; and the CA signing key
 *   (CA-1) must stay readable by mesh admins only. Secret values come from a secret manager
 *   (SECRET-1) or from the GitOps pipeline, not from the team's kubectl;
 * - grant or gain rights: no `roles`/`rolebindings`, and never the verbs `escalate`, `bind`,
 *   `impersonate` or `*`, never resource `*` or API group `*`: every rule lists its resources and
 *   verbs (see `FORBIDDEN_VERBS`, `FORBIDDEN_RESOURCES`);
 * - get a shell or a tunnel into a pod: no `pods/exec`, `pods/attach`, `pods/portforward`,
 *   `pods/proxy`, `pods/ephemeralcontainers` (kubectl debug) or `services/proxy`, which would
 *   bypass the mesh's authentication and authorization;
 * - anything outside the namespace.
 *
 * Limits to know: withholding `secrets` stops people from reading them, not workloads: whoever
 * can create a pod in the namespace can mount any secret of that namespace, so keep CA keys and
 * other high-value secrets out of app namespaces. Pod specs that opt out of sidecar injection,
 * ask for NET_ADMIN, or expose a Service of type LoadBalancer are stopped by the admission
 * guardrails (OPS-1, EXC-1, POD-1, INGRESS-1), not by RBAC.
 *
 * A viewer can get, list and watch exactly what a deployer can touch (including the policy
 * kinds and pod logs), and change nothing; viewers never see secrets either.
 *
 * @example
 * const team = new NamespaceTeamRoles(chart, 'reviews-team', {
 *   namespace: 'reviews',
 *   deployers: [RbacSubject.group('reviews-deployers'), RbacSubject.serviceAccount('argocd', 'argocd-application-controller')],
 * });
 * team.addViewer(RbacSubject.group('sre'));
 */
export class NamespaceTeamRoles extends Construct {
  /**
   * API groups in which the deployer role may only read (get, list, watch), never write: the
   * Istio authentication, authorization and traffic policy kinds (RBAC-1).
   */
  public static readonly DEPLOYER_READ_ONLY_API_GROUPS: string[] = frozen(['networking.istio.io', 'security.istio.io']);

  /**
   * Resources outside those groups that the deployer role may only read, as `<group>/<resource>`:
   * Kubernetes NetworkPolicies, the L3/L4 half of the mesh's access control (AUTHZ-4, RBAC-1).
   */
  public static readonly DEPLOYER_READ_ONLY_RESOURCES: string[] = frozen(['networking.k8s.io/networkpolicies']);

  /**
   * Resources no team role names in any rule, with any verb, in any API group: secrets (CA-1),
   * RBAC objects (privilege escalation), and the subresources that open a shell or a tunnel into
   * a pod or a service and so bypass mesh policy (RBAC-1).
   */
  public static readonly FORBIDDEN_RESOURCES: string[] = frozen([
    'secrets',
    'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings',
    'pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'pods/ephemeralcontainers',
    'services/proxy', 'serviceaccounts/token',
    '*',
  ]);

  /**
   * Verbs no team role grants: privilege escalation (`escalate`, `bind`, `impersonate`) and the
   * wildcard (RBAC-1).
   */
  public static readonly FORBIDDEN_VERBS: string[] = frozen(['*', 'bind', 'escalate', 'impersonate']);

  /** The namespace the roles and bindings live in. */
  public readonly namespace: string;

  /** The name of the deployer `Role` (`app-deployer`), to bind more subjects elsewhere. */
  public readonly deployerRole: string;

  /** The name of the viewer `Role` (`app-viewer`), to bind more subjects elsewhere. */
  public readonly viewerRole: string;

  private readonly deployers = new Map<string, RbacSubject>();
  private readonly viewers = new Map<string, RbacSubject>();

  public constructor(scope: Construct, id: string, props: NamespaceTeamRolesProps) {
    super(scope, id);
    assertDnsLabel(this, 'namespace', props.namespace);
    this.namespace = props.namespace;

    const clash = claimKey(this, `NamespaceTeamRoles:${props.namespace}`);
    if (clash) {
      throw configError(this, 'namespace',
        `namespace "${props.namespace}" already has team roles from ${clash.node.path}`,
        'Create one NamespaceTeamRoles per namespace and add subjects to it with addDeployer/addViewer');
    }

    this.deployerRole = 'app-deployer';
    this.viewerRole = 'app-viewer';

    new k8s.KubeRole(this, 'DeployerRole', {
      metadata: { name: this.deployerRole, namespace: this.namespace },
      rules: DEPLOYER_RULES.map(toPolicyRule),
    });
    new k8s.KubeRole(this, 'ViewerRole', {
      metadata: { name: this.viewerRole, namespace: this.namespace },
      rules: VIEWER_RULES.map(toPolicyRule),
    });

    for (const subject of props.deployers ?? []) this.addDeployer(subject);
    for (const subject of props.viewers ?? []) this.addViewer(subject);
  }

  /**
   * Binds `subject` to the `app-deployer` role in this namespace (through the `app-deployers`
   * RoleBinding, created with the first deployer). Idempotent: a subject added twice is bound once.
   *
   * @param subject the user, group or ServiceAccount that may deploy
   */
  public addDeployer(subject: RbacSubject): void {
    this.bind(this.deployers, subject, 'deployers', 'DeployersBinding', 'app-deployers', this.deployerRole);
  }

  /**
   * Binds `subject` to the `app-viewer` role in this namespace (through the `app-viewers`
   * RoleBinding, created with the first viewer). Idempotent: a subject added twice is bound once.
   *
   * @param subject the user, group or ServiceAccount that may read
   */
  public addViewer(subject: RbacSubject): void {
    this.bind(this.viewers, subject, 'viewers', 'ViewersBinding', 'app-viewers', this.viewerRole);
  }

  private bind(subjects: Map<string, RbacSubject>, subject: RbacSubject, field: string, id: string, bindingName: string, roleName: string): void {
    this.assertNotEveryone(field, subject);
    subjects.set(subject._key(), subject);
    if (this.node.tryFindChild(id)) return;
    new k8s.KubeRoleBinding(this, id, {
      metadata: { name: bindingName, namespace: this.namespace },
      roleRef: { apiGroup: RBAC_API_GROUP, kind: 'Role', name: roleName },
      subjects: Lazy.any({
        produce: () => [...subjects.values()]
          .sort((a, b) => (a._key() < b._key() ? -1 : a._key() > b._key() ? 1 : 0))
          .map((s) => s._toSubject()),
      }),
    });
  }

  private assertNotEveryone(field: string, subject: RbacSubject): void {
    const everyone = isEveryone(subject);
    if (everyone) {
      throw configError(this, field,
        `${subject} stands for every user or workload, which would hand namespace "${this.namespace}" to all of them (NS-1, RBAC-1)`,
        'Bind a named team group, user or ServiceAccount instead');
    }
  }
}
