import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuleSpec, frozen, isEveryone, toPolicyRule } from './rbac-common';
import { RbacSubject, RbacSubjectKind } from './rbac-subject';
import { configError } from '../core/errors';
import { assertDnsLabel } from '../core/names';
import { PolicyEnforcement } from '../policy/policy-enforcement';

const RBAC_API_GROUP = 'rbac.authorization.k8s.io';

/** The read verbs. */
const READ_VERBS = ['get', 'list', 'watch'];
/** The verbs an operator has on the kinds it manages (no `deletecollection`, no `*`). */
const MANAGE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * Every Istio API group and its resources, as served by the pinned Istio 1.30 CRDs
 * (`imports/istio-1.30.3-crds.yaml`), plus `install.istio.io` IstioOperator records kept by
 * istioctl-based installs. Groups and resources in a fixed order: the output is deterministic.
 */
const ISTIO_RESOURCES: ReadonlyArray<readonly [string, string[]]> = [
  ['extensions.istio.io', ['trafficextensions', 'wasmplugins']],
  ['install.istio.io', ['istiooperators']],
  ['networking.istio.io', [
    'destinationrules', 'envoyfilters', 'gateways', 'proxyconfigs', 'serviceentries', 'sidecars',
    'virtualservices', 'workloadentries', 'workloadgroups',
  ]],
  ['security.istio.io', ['authorizationpolicies', 'peerauthentications', 'requestauthentications']],
  ['telemetry.istio.io', ['telemetries']],
];

/**
 * `<group>/<resource>` that only `security-admin` writes: authentication and authorization
 * (AUTHZ-1..3, MTLS-1, JWT-1), L3/L4 policy (AUTHZ-4, NETPOL-1) and egress visibility
 * (EGRESS-1, Sidecar).
 */
const SECURITY_POLICY = [
  'networking.istio.io/sidecars',
  'networking.k8s.io/networkpolicies',
  'security.istio.io/authorizationpolicies',
  'security.istio.io/peerauthentications',
  'security.istio.io/requestauthentications',
];

/** Resources the auditor role never names: secret contents and the ways to reach them. */
const AUDITOR_FORBIDDEN = [
  'secrets',
  'pods/exec', 'pods/attach', 'pods/portforward', 'pods/proxy', 'pods/ephemeralcontainers',
  'services/proxy', 'nodes/proxy', 'serviceaccounts/token',
  '*',
];


/**
 * The Istio resources, per group: the security-policy kinds get `policyVerbs`, the others
 * `otherVerbs` (one rule when both are the same).
 */
function istioRules(policyVerbs: string[], otherVerbs: string[]): RuleSpec[] {
  const rules: RuleSpec[] = [];
  for (const [apiGroup, resources] of ISTIO_RESOURCES) {
    if (policyVerbs === otherVerbs) {
      rules.push({ apiGroup, resources, verbs: otherVerbs });
      continue;
    }
    const policy = resources.filter((r) => SECURITY_POLICY.includes(`${apiGroup}/${r}`));
    const other = resources.filter((r) => !policy.includes(r));
    if (other.length > 0) rules.push({ apiGroup, resources: other, verbs: otherVerbs });
    if (policy.length > 0) rules.push({ apiGroup, resources: policy, verbs: policyVerbs });
  }
  return rules;
}

/**
 * The Istio admission webhooks of the default revision that a mesh admin may update or patch
 * (e.g. to change the injector's namespace selector). Named, because a writable webhook of any
 * name can be pointed at an endpoint of one's choosing and would then receive every object it
 * matches, Secrets of every namespace included.
 */
function istioWebhookNames(controlPlaneNamespace: string): { mutating: string[]; validating: string[] } {
  return {
    mutating: ['istio-revision-tag-default', 'istio-sidecar-injector'],
    validating: [`istio-validator-${controlPlaneNamespace}`, 'istiod-default-validator'],
  };
}

function meshAdminRules(controlPlaneNamespace: string): RuleSpec[] {
  const webhooks = istioWebhookNames(controlPlaneNamespace);
  return [
    // The mesh's own configuration: traffic management, telemetry, extensions, install records.
    // The security-policy kinds are visible, not writable (security-admin owns them).
    ...istioRules(READ_VERBS, MANAGE_VERBS),
    { apiGroup: 'networking.k8s.io', resources: ['networkpolicies'], verbs: READ_VERBS },
    // What the mesh runs on: read only. No pods/exec, attach, portforward, proxy or logs.
    { apiGroup: '', resources: ['endpoints', 'namespaces', 'pods', 'services'], verbs: READ_VERBS },
    { apiGroup: 'discovery.k8s.io', resources: ['endpointslices'], verbs: READ_VERBS },
    // Sidecar injection and config validation: see all webhooks, change only Istio's own.
    { apiGroup: 'admissionregistration.k8s.io', resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'], verbs: READ_VERBS },
    { apiGroup: 'admissionregistration.k8s.io', resources: ['mutatingwebhookconfigurations'], verbs: ['update', 'patch'], resourceNames: webhooks.mutating },
    { apiGroup: 'admissionregistration.k8s.io', resources: ['validatingwebhookconfigurations'], verbs: ['update', 'patch'], resourceNames: webhooks.validating },
  ];
}

/** The `security-admin` rules: write the security-policy kinds, nothing else. */
function securityAdminRules(): RuleSpec[] {
  const byGroup = new Map<string, string[]>();
  for (const groupResource of SECURITY_POLICY) {
    const slash = groupResource.indexOf('/');
    const group = groupResource.slice(0, slash);
    byGroup.set(group, [...(byGroup.get(group) ?? []), groupResource.slice(slash + 1)]);
  }
  return [...byGroup.keys()].sort().map((apiGroup) => ({ apiGroup, resources: byGroup.get(apiGroup)!, verbs: MANAGE_VERBS }));
}

/** The `mesh-auditor` rules: get/list/watch on the mesh, its policy and the RBAC that guards it. */
function auditorRules(): RuleSpec[] {
  return [
    ...istioRules(READ_VERBS, READ_VERBS),
    { apiGroup: 'networking.k8s.io', resources: ['networkpolicies'], verbs: READ_VERBS },
    { apiGroup: '', resources: ['namespaces', 'pods', 'serviceaccounts', 'services'], verbs: READ_VERBS },
    { apiGroup: RBAC_API_GROUP, resources: ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'], verbs: READ_VERBS },
    {
      apiGroup: 'admissionregistration.k8s.io',
      resources: ['mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations'],
      verbs: READ_VERBS,
    },
  ];
}

/** The `mesh-admin-secrets` rules: Secrets of the control-plane namespace (CA-1). */
const MESH_ADMIN_SECRETS_RULES: RuleSpec[] = [{ apiGroup: '', resources: ['secrets'], verbs: MANAGE_VERBS }];


function byKey(a: RbacSubject, b: RbacSubject): number {
  return a._key() < b._key() ? -1 : a._key() > b._key() ? 1 : 0;
}

/**
 * Props of `MeshRoleSets`.
 */
export interface MeshRoleSetsProps {
  /**
   * The namespace istiod runs in, where the CA signing key (`cacerts`, `istio-ca-secret`) lives.
   * The `mesh-admin-secrets` Role and its binding are created there. A DNS-1123 label.
   *
   * @default 'istio-system' - Istio's default control-plane namespace
   */
  readonly controlPlaneNamespace?: string;

  /**
   * Who operates the mesh (bound to `mesh-admin` cluster-wide and to `mesh-admin-secrets` in the
   * control-plane namespace). More can be added later with `addMeshAdmin`.
   *
   * @default [] - nobody: cluster-wide rights are granted explicitly, and no binding is emitted
   */
  readonly meshAdmins?: RbacSubject[];

  /**
   * Who owns authentication, authorization and network policy (bound to `security-admin`
   * cluster-wide). More can be added later with `addSecurityAdmin`.
   *
   * @default [] - nobody: cluster-wide rights are granted explicitly, and no binding is emitted
   */
  readonly securityAdmins?: RbacSubject[];

  /**
   * Who audits the mesh and its RBAC, read-only (bound to `mesh-auditor` cluster-wide). More can
   * be added later with `addAuditor`.
   *
   * @default [] - nobody: cluster-wide rights are granted explicitly, and no binding is emitted
   */
  readonly auditors?: RbacSubject[];
}

/**
 * Cluster roles for the people and pipelines that operate the mesh (RBAC-1; CA-1 for the CA key;
 * NS-1 for who gets cluster roles): `ClusterRole`s `mesh-admin`, `security-admin` and
 * `mesh-auditor`, a `Role` `mesh-admin-secrets` in the control-plane namespace, and, for each
 * role that has subjects, a binding (`ClusterRoleBinding`s `mesh-admins`, `security-admins`,
 * `mesh-auditors`; `RoleBinding` `mesh-admins` in the control-plane namespace).
 *
 * These are the only `ClusterRoleBinding`s the library emits, and they are for operators of the
 * mesh, never for application teams: an app team gets namespace-bound roles from
 * `NamespaceTeamRoles` (NS-1). Create one `MeshRoleSets` per app (the cluster-scoped names would
 * collide otherwise).
 *
 * The roles separate duties; a person who needs more than one gets more than one:
 *
 * `mesh-admin` operates the mesh. It CAN:
 * - manage (get, list, watch, create, update, patch, delete) every Istio kind except the
 *   security-policy kinds: `networking.istio.io` routing (VirtualService, DestinationRule,
 *   Gateway, ServiceEntry, EnvoyFilter, ProxyConfig, WorkloadEntry/Group), `telemetry.istio.io`,
 *   `extensions.istio.io` and `install.istio.io` objects;
 * - read the security-policy kinds (`SECURITY_POLICY_RESOURCES`) and namespaces, pods, services,
 *   endpoints and endpoint slices;
 * - read all admission webhook configurations and update/patch Istio's own webhooks of the
 *   default revision (`istio-sidecar-injector`, `istio-revision-tag-default`,
 *   `istio-validator-<controlPlaneNamespace>`, `istiod-default-validator`);
 * - through `mesh-admin-secrets`, manage the Secrets of the control-plane namespace, e.g. rotate
 *   the plugged-in CA (`cacerts`) (CA-1: nobody else is granted them by this library).
 * It CANNOT write authentication or authorization policy, NetworkPolicies or Sidecars
 * (security-admin's), read Secrets outside the control-plane namespace, exec into or tunnel to
 * pods, nor create or delete webhook configurations: `create` cannot be scoped by name in RBAC,
 * and a webhook of one's own receives every object it matches, Secrets included. Installing
 * Istio, revision tags (`istioctl tag set`) and upgrades therefore run with the installer's
 * identity (the GitOps agent or a cluster admin), not with `mesh-admin`.
 *
 * `security-admin` owns the policy that decides who may talk to whom. It is the ONLY role of the
 * library that can create, update, patch or delete `security.istio.io` AuthorizationPolicies,
 * PeerAuthentications and RequestAuthentications, `networking.k8s.io` NetworkPolicies and
 * `networking.istio.io` Sidecars (egress reachability) — and it can do nothing else: no Secrets,
 * no RBAC objects, no workloads. Security admins who also need to look around get `mesh-auditor`
 * as well (`addAuditor`).
 *
 * `mesh-auditor` reads (get, list, watch) every Istio kind, NetworkPolicies, namespaces, pods,
 * services, ServiceAccounts, the RBAC objects (roles, role bindings, cluster roles, cluster role
 * bindings) and the admission configuration (ValidatingAdmissionPolicies and their bindings,
 * webhook configurations), so it can check this very separation. It never reads Secrets and has
 * nothing that reaches them: no `pods/exec`, `pods/attach`, `pods/portforward`, proxies or
 * `serviceaccounts/token` (`AUDITOR_FORBIDDEN_RESOURCES`).
 *
 * No role grants the verbs `escalate`, `bind`, `impersonate` or `*`, a resource `*` or an API
 * group `*`, nor `deletecollection`: every rule lists its group, resources and verbs.
 *
 * Limits to know: RBAC is additive, so these roles cannot take away what another binding in the
 * cluster grants (a cluster-admin still reads the CA key); keep such bindings out and let the
 * audit check them. The mesh admin still holds powerful kinds (EnvoyFilter, DestinationRule TLS
 * settings, WasmPlugin); what they may contain is enforced by the admission guardrails (OPS-1),
 * not by RBAC.
 *
 * @example
 * const roles = new MeshRoleSets(chart, 'mesh-roles', {
 *   meshAdmins: [RbacSubject.group('mesh-admins@example.com')],
 *   securityAdmins: [RbacSubject.group('security@example.com')],
 * });
 * roles.addAuditor(RbacSubject.group('security@example.com'));
 * roles.addAuditor(RbacSubject.group('auditors@example.com'));
 */
export class MeshRoleSets extends Construct {
  /**
   * The resources, as `<group>/<resource>`, that only the `security-admin` role may write:
   * `security.istio.io` AuthorizationPolicies, PeerAuthentications and RequestAuthentications,
   * `networking.k8s.io` NetworkPolicies and `networking.istio.io` Sidecars (RBAC-1).
   */
  public static readonly SECURITY_POLICY_RESOURCES: string[] = frozen([...SECURITY_POLICY]);

  /** Every Istio API group the roles cover (Istio 1.30). */
  public static readonly ISTIO_API_GROUPS: string[] = frozen(ISTIO_RESOURCES.map(([group]) => group));

  /**
   * Every Istio resource the roles cover, as `<group>/<resource>`: the mesh admin manages those
   * not in `SECURITY_POLICY_RESOURCES`; the auditor reads them all.
   */
  public static readonly ISTIO_RESOURCES: string[] = frozen(ISTIO_RESOURCES.flatMap(([group, resources]) => resources.map((r) => `${group}/${r}`)));

  /**
   * Resources the `mesh-auditor` role never names: Secrets (CA-1) and the subresources that reach
   * secret material or a shell (exec, attach, port-forward, proxies, ServiceAccount tokens).
   */
  public static readonly AUDITOR_FORBIDDEN_RESOURCES: string[] = frozen([...AUDITOR_FORBIDDEN]);

  /** The namespace istiod and the CA key live in; `mesh-admin-secrets` is created there. */
  public readonly controlPlaneNamespace: string;

  /** The name of the mesh admin `ClusterRole` (`mesh-admin`). */
  public readonly meshAdminRole: string;

  /** The name of the `Role` in the control-plane namespace that grants its Secrets (`mesh-admin-secrets`). */
  public readonly meshAdminSecretsRole: string;

  /** The name of the security admin `ClusterRole` (`security-admin`). */
  public readonly securityAdminRole: string;

  /** The name of the auditor `ClusterRole` (`mesh-auditor`). */
  public readonly auditorRole: string;

  private readonly meshAdmins = new Map<string, RbacSubject>();
  private readonly securityAdmins = new Map<string, RbacSubject>();
  private readonly auditors = new Map<string, RbacSubject>();
  // One scope per role, created in a fixed order, holds that role's bindings once it has
  // subjects: the output order does not depend on the order the add methods are called in.
  private readonly meshAdminBindings: Construct;
  private readonly securityAdminBindings: Construct;
  private readonly auditorBindings: Construct;

  public constructor(scope: Construct, id: string, props: MeshRoleSetsProps = {}) {
    super(scope, id);
    const controlPlaneNamespace = props.controlPlaneNamespace ?? 'istio-system';
    assertDnsLabel(this, 'controlPlaneNamespace', controlPlaneNamespace);
    this.controlPlaneNamespace = controlPlaneNamespace;
    PolicyEnforcement.of(this)._useControlPlaneNamespace(controlPlaneNamespace);

    const clash = this.node.root.node.findAll().find((c) => c !== this && c instanceof MeshRoleSets);
    if (clash) {
      throw configError(this, 'MeshRoleSets',
        `the app already has mesh role sets from ${clash.node.path}; the cluster-scoped roles and bindings (mesh-admin, security-admin, mesh-auditor) would collide`,
        'Create one MeshRoleSets per app and add subjects to it with addMeshAdmin/addSecurityAdmin/addAuditor');
    }

    this.meshAdminRole = 'mesh-admin';
    this.meshAdminSecretsRole = 'mesh-admin-secrets';
    this.securityAdminRole = 'security-admin';
    this.auditorRole = 'mesh-auditor';

    new k8s.KubeClusterRole(this, 'MeshAdminRole', {
      metadata: { name: this.meshAdminRole },
      rules: meshAdminRules(this.controlPlaneNamespace).map(toPolicyRule),
    });
    new k8s.KubeRole(this, 'MeshAdminSecretsRole', {
      metadata: { name: this.meshAdminSecretsRole, namespace: this.controlPlaneNamespace },
      rules: MESH_ADMIN_SECRETS_RULES.map(toPolicyRule),
    });
    new k8s.KubeClusterRole(this, 'SecurityAdminRole', {
      metadata: { name: this.securityAdminRole },
      rules: securityAdminRules().map(toPolicyRule),
    });
    new k8s.KubeClusterRole(this, 'AuditorRole', {
      metadata: { name: this.auditorRole },
      rules: auditorRules().map(toPolicyRule),
    });

    this.meshAdminBindings = new Construct(this, 'MeshAdmins');
    this.securityAdminBindings = new Construct(this, 'SecurityAdmins');
    this.auditorBindings = new Construct(this, 'Auditors');

    for (const subject of props.meshAdmins ?? []) this.addMeshAdmin(subject);
    for (const subject of props.securityAdmins ?? []) this.addSecurityAdmin(subject);
    for (const subject of props.auditors ?? []) this.addAuditor(subject);
  }

  /**
   * The names of the `Group` subjects bound as mesh admins, sorted: the groups the policy rules
   * treat as mesh administrators. Reflects `addMeshAdmin` calls made so far.
   */
  public get meshAdminGroups(): string[] {
    return [...this.meshAdmins.values()]
      .filter((s) => s.kind === RbacSubjectKind.GROUP)
      .map((s) => s.name)
      .sort();
  }

  /**
   * Binds `subject` to `mesh-admin` cluster-wide (ClusterRoleBinding `mesh-admins`) and to
   * `mesh-admin-secrets` in the control-plane namespace (RoleBinding `mesh-admins`), both created
   * with the first mesh admin. Idempotent: a subject added twice is bound once.
   *
   * @param subject the user, group or ServiceAccount that operates the mesh
   */
  public addMeshAdmin(subject: RbacSubject): void {
    this.assertNotEveryone('meshAdmins', subject);
    this.meshAdmins.set(subject._key(), subject);
    // The policy rules treat these groups as mesh administrators (cluster bindings, CA secrets).
    if (subject.kind === RbacSubjectKind.GROUP) PolicyEnforcement.of(this)._addMeshAdminGroup(subject.name);
    const scope = this.meshAdminBindings;
    if (scope.node.tryFindChild('Binding')) return;
    new k8s.KubeClusterRoleBinding(scope, 'Binding', {
      metadata: { name: 'mesh-admins' },
      roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: this.meshAdminRole },
      subjects: this.lazySubjects(this.meshAdmins),
    });
    new k8s.KubeRoleBinding(scope, 'SecretsBinding', {
      metadata: { name: 'mesh-admins', namespace: this.controlPlaneNamespace },
      roleRef: { apiGroup: RBAC_API_GROUP, kind: 'Role', name: this.meshAdminSecretsRole },
      subjects: this.lazySubjects(this.meshAdmins),
    });
  }

  /**
   * Binds `subject` to `security-admin` cluster-wide (ClusterRoleBinding `security-admins`,
   * created with the first security admin). Idempotent: a subject added twice is bound once.
   *
   * @param subject the user, group or ServiceAccount that owns security policy
   */
  public addSecurityAdmin(subject: RbacSubject): void {
    this.bindCluster(this.securityAdminBindings, this.securityAdmins, subject, 'securityAdmins', 'security-admins', this.securityAdminRole);
    if (subject.kind === RbacSubjectKind.GROUP) PolicyEnforcement.of(this)._addOperatorGroup(subject.name);
  }

  /**
   * Binds `subject` to `mesh-auditor` cluster-wide (ClusterRoleBinding `mesh-auditors`, created
   * with the first auditor). Idempotent: a subject added twice is bound once.
   *
   * @param subject the user, group or ServiceAccount that audits the mesh
   */
  public addAuditor(subject: RbacSubject): void {
    this.bindCluster(this.auditorBindings, this.auditors, subject, 'auditors', 'mesh-auditors', this.auditorRole);
    if (subject.kind === RbacSubjectKind.GROUP) PolicyEnforcement.of(this)._addOperatorGroup(subject.name);
  }

  private bindCluster(
    scope: Construct, subjects: Map<string, RbacSubject>, subject: RbacSubject,
    field: string, bindingName: string, roleName: string,
  ): void {
    this.assertNotEveryone(field, subject);
    subjects.set(subject._key(), subject);
    if (scope.node.tryFindChild('Binding')) return;
    new k8s.KubeClusterRoleBinding(scope, 'Binding', {
      metadata: { name: bindingName },
      roleRef: { apiGroup: RBAC_API_GROUP, kind: 'ClusterRole', name: roleName },
      subjects: this.lazySubjects(subjects),
    });
  }

  private lazySubjects(subjects: Map<string, RbacSubject>): k8s.Subject[] {
    return Lazy.any({ produce: () => [...subjects.values()].sort(byKey).map((s) => s._toSubject()) });
  }

  private assertNotEveryone(field: string, subject: RbacSubject): void {
    const everyone = isEveryone(subject);
    if (everyone) {
      throw configError(this, field,
        `${subject} stands for every user or workload, which would hand cluster-wide mesh rights to all of them (RBAC-1, NS-1)`,
        'Bind a named operator group, user or ServiceAccount instead');
    }
    // Cluster-wide rights go to groups (membership managed in the identity provider, visible to
    // the policy rules) or to automation in the control-plane namespace, never to single users.
    const allowed = subject.kind === RbacSubjectKind.GROUP
      || (subject.kind === RbacSubjectKind.SERVICE_ACCOUNT && subject.namespace === this.controlPlaneNamespace);
    if (!allowed) {
      throw configError(this, field, `${subject} cannot hold cluster-wide operator rights (RBAC-1, NS-1)`,
        `Bind a Group of operators, or a ServiceAccount in ${this.controlPlaneNamespace} for automation`);
    }
  }
}
