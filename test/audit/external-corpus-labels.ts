import { AuditOptions } from '../../src/audit/audit';
import { RuleObject } from '../../src/policy/rule';

/**
 * The labelled folders of ../shared/external-corpus (see its README): for each upstream check,
 * how its authors label their resources, and which of our rules cover it. Read by
 * external-corpus.test.ts, which audits every labelled resource and compares.
 *
 * Paths are relative to external-corpus/. Labels are read at test time from the file names (or,
 * where the names say nothing, from the upstream test file transcribed below with its source);
 * the resources themselves are never copied into the repository.
 */

/** An upstream verdict: `bad` resources must be reported, `good` ones must not. */
export type Label = 'good' | 'bad';

/**
 * One of our rules covering an upstream check. `path` narrows it to the findings whose JSON path
 * matches, when the rule checks more than the upstream check does (POD-ESC-001 checks both
 * allowPrivilegeEscalation and the drop of ALL capabilities; POD-HOST-001 all three host namespaces).
 */
export interface Covering {
  readonly rule: string;
  readonly path?: RegExp;
}

/** An upstream check no practice of ../practices.md covers: not asserted, only counted. */
export interface NotCovered {
  readonly notCovered: string;
}

/** One upstream check and the resources its authors label for it. */
export interface CorpusCheck {
  /** Folder under external-corpus/ holding the resources. */
  readonly folder: string;
  /** The upstream policy (and rule) or constraint. */
  readonly upstream: string;
  /** How the labels are read. */
  readonly labelledBy: string;
  /** The files of the folder this check labels (default: every `.yaml` of the folder). */
  readonly files?: RegExp;
  /** The label of one file of the folder; undefined for a companion the upstream test applies but does not judge. */
  readonly label: (file: string) => Label | undefined;
  /** Our rules that check what the upstream check checks, or why none does. */
  readonly covered: readonly Covering[] | NotCovered;
  /**
   * Objects audited with each labelled resource, when one of our rules judges it together with
   * others (the upstream check judges it alone). Findings on them count for the resource.
   */
  readonly companions?: (resource: RuleObject) => RuleObject[];
  /** `each` (default): every file is audited alone; `folder`: the files are one resource set (e.g. a chainsaw step). */
  readonly set?: 'each' | 'folder';
  /** Audit options standing for the upstream constraint's parameters, where ours have an equivalent. */
  readonly options?: AuditOptions;
}

/** A good upstream resource that our covering rules report on purpose. */
export interface Stricter {
  /** Path under external-corpus/. */
  readonly file: string;
  /** The covering rules that report it (exactly these). */
  readonly rules: readonly string[];
  /** The practice that makes us stricter. */
  readonly practice: string;
  /** One sentence: why. */
  readonly why: string;
}

/** A bad upstream resource our covering rules deliberately do not report. */
export interface Missed {
  readonly file: string;
  readonly practice: string;
  readonly why: string;
}

/** A disagreement that is our bug: the test expects the correct behaviour and is marked `test.failing`. */
export interface KnownBug {
  readonly file: string;
  /** The rule that is wrong. */
  readonly rule: string;
  /** The rule file to fix. */
  readonly ruleFile: string;
  /** `false alarm` (a good resource reported) or `miss` (a bad resource not reported). */
  readonly kind: 'false alarm' | 'miss';
  /** What the rule does, and what it should do. */
  readonly does: string;
  readonly should: string;
}

// ---------------------------------------------------------------------------------------------
// How labels are read

/** Chainsaw test resources and most Kyverno CLI resources: `*good*` / `*bad*` in the file name. */
export function byFileName(file: string): Label | undefined {
  const m = /(?:^|-)(good|bad)/.exec(file);
  return m ? (m[1] as Label) : undefined;
}

/** Labels transcribed from an upstream test file, by file name. */
export function fromTable(table: { readonly [file: string]: Label | undefined }): (file: string) => Label | undefined {
  return (file) => table[file];
}

/**
 * Gatekeeper library samples, as the template's suite.yaml judges them: `*disallowed*` must raise
 * violations, `*allowed*` must not; `update.yaml` is the disallowed object sent as an UPDATE
 * (an AdmissionReview upstream), which the templates let through since the fields are immutable
 * (`violations: no`); other names as the suite lists them.
 */
export function gatekeeperLabel(extra: { readonly [file: string]: Label } = {}): (file: string) => Label | undefined {
  return (file) => {
    if (file in extra) return extra[file];
    if (file === 'update.yaml') return 'good';
    if (/disallowed/.test(file)) return 'bad';
    if (/allowed/.test(file)) return 'good';
    return undefined;
  };
}

const cover = (...rules: (string | Covering)[]): Covering[] => rules.map((r) => (typeof r === 'string' ? { rule: r } : r));

/** POD-ESC-001's allowPrivilegeEscalation half. */
const NO_ESCALATION: Covering = { rule: 'POD-ESC-001', path: /\.allowPrivilegeEscalation$/ };
/** POD-ESC-001's "drop ALL capabilities" half. */
const DROP_ALL: Covering = { rule: 'POD-ESC-001', path: /\.capabilities\.drop/ };
/** POD-HOST-001 on hostNetwork only. */
const HOST_NETWORK: Covering = { rule: 'POD-HOST-001', path: /\.hostNetwork$/ };
/** POD-HOST-001 on hostPID and hostIPC only. */
const HOST_PID_IPC: Covering = { rule: 'POD-HOST-001', path: /\.host(PID|IPC)$/ };

const kyvernoPodSecurity = (folder: string, upstream: string, covered: Covering[], files?: RegExp): CorpusCheck => ({
  folder: `kyverno/pod-security/${folder}`,
  upstream,
  labelledBy: 'kyverno-test.yaml results, which follow the resource names (`good*` pass, `bad*` fail)',
  label: byFileName,
  covered,
  ...(files ? { files } : {}),
});

const gatekeeper = (folder: string, upstream: string, covered: Covering[] | NotCovered, extra?: { [file: string]: Label }): CorpusCheck => ({
  folder: `gatekeeper/${folder}`,
  upstream,
  labelledBy: 'suite.yaml: example_allowed*/allowed* no violations, *disallowed* violations, update.yaml none (an UPDATE)',
  label: gatekeeperLabel(extra),
  covered,
});

/** A RoleBinding (no namespace: it lives where the role does) that gives a role to an app team's people. */
function boundToAppTeam(role: RuleObject): RuleObject[] {
  return [{
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${role.metadata?.name}-app-team` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.metadata?.name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-a-developers' }],
  }];
}

// ---------------------------------------------------------------------------------------------
// The checks

export const CHECKS: readonly CorpusCheck[] = [
  // Kyverno, istio/
  {
    folder: 'kyverno/istio/enforce-sidecar-injection-namespace',
    upstream: 'Kyverno enforce-sidecar-injection-namespace: Namespaces label istio-injection: enabled',
    labelledBy: 'chainsaw file names (ns-good--*, ns-bad-*)',
    label: byFileName,
    covered: cover('MESH-INJ-001', 'MESH-INJ-002'),
  },
  {
    folder: 'kyverno/istio/enforce-strict-mtls',
    upstream: 'Kyverno enforce-strict-mtls: PeerAuthentication mtls.mode is STRICT or UNSET (or absent)',
    labelledBy: 'chainsaw file names (pa-good--*, pa-bad--*)',
    label: byFileName,
    covered: cover('MESH-MTLS-002'),
  },
  {
    folder: 'kyverno/istio/enforce-tls-hosts-host-subnets',
    upstream: 'Kyverno enforce-tls-hosts-host-subnets: DestinationRule tls.mode is not DISABLE',
    labelledBy: 'chainsaw file names (dr-good--*, dr-bad--*)',
    label: byFileName,
    covered: cover('MESH-DR-001'),
  },
  {
    folder: 'kyverno/istio/prevent-disabling-injection-pods',
    upstream: 'Kyverno prevent-disabling-injection-pods: no sidecar.istio.io/inject: "false" on pods and pod templates',
    labelledBy: 'chainsaw file names (pod-good--*, podcontroller-bad--*...)',
    label: byFileName,
    covered: cover('MESH-INJ-001'),
  },
  {
    folder: 'kyverno/istio/require-authorizationpolicy',
    upstream: 'Kyverno require-authorizationpolicies: every Namespace has at least one AuthorizationPolicy',
    labelledBy: 'chainsaw step 01 and report-assert.yaml: istio-reqauthzpol-good-ns passes (it holds default-deny), istio-reqauthzpol-bad-ns fails',
    label: fromTable({ 'chainsaw-step-01-apply-1.yaml': 'good', 'chainsaw-step-01-apply-3.yaml': 'bad' }),
    set: 'folder',
    covered: {
      notCovered: 'AUTHZ-1 puts default deny mesh-wide (MESH-AUTHZ-001: one allow-nothing policy in the root namespace covers every '
        + 'namespace); no practice asks for an AuthorizationPolicy in each namespace, so a namespace without one is no finding',
    },
  },
  {
    folder: 'kyverno/istio/restrict-virtual-service-wildcard',
    upstream: 'Kyverno restrict-virtual-service-wildcard: VirtualService hosts are not wildcards',
    labelledBy: 'chainsaw file names (resources--goodvs, resources--badvs)',
    label: byFileName,
    covered: cover('MESH-INGRESS-002'),
  },
  {
    folder: 'kyverno/istio/service-mesh-disallow-capabilities',
    upstream: 'Kyverno service-mesh-disallow-capabilities: only the mesh init containers (istio-init, linkerd-init) add NET_ADMIN/NET_RAW',
    labelledBy: 'chainsaw file names (good--*, bad--*)',
    label: byFileName,
    covered: cover('POD-CAP-001', 'POD-CAP-002'),
  },
  {
    folder: 'kyverno/istio/service-mesh-require-run-as-nonroot',
    upstream: 'Kyverno service-mesh-require-run-as-nonroot: containers run as non-root, except the mesh init container',
    labelledBy: 'chainsaw file names (good.yaml, bad--*)',
    label: byFileName,
    covered: cover('POD-ROOT-001'),
  },

  // Kyverno, other/
  {
    folder: 'kyverno/other/require-image-checksum',
    upstream: 'Kyverno require-image-checksum: every image (containers, initContainers, ephemeralContainers) has a digest',
    labelledBy: 'kyverno/policies other/require-image-checksum/.kyverno-test/kyverno-test.yaml (hello, mydeploy, myapp-pod-1 fail; myapp-pod-2 passes)',
    label: fromTable({ 'resource--hello.yaml': 'bad', 'resource--mydeploy.yaml': 'bad', 'resource--myapp-pod-1.yaml': 'bad', 'resource--myapp-pod-2.yaml': 'good' }),
    covered: cover('IMG-DIGEST-001'),
  },
  {
    folder: 'kyverno/other/restrict-automount-sa-token',
    upstream: 'Kyverno restrict-automount-sa-token: pods set automountServiceAccountToken: false',
    labelledBy: 'kyverno/policies other/restrict-automount-sa-token/kyverno-test.yaml (myapp-pod passes, mydeploy fails, the policy-reporter ones are skipped)',
    label: fromTable({ 'resource--myapp-pod.yaml': 'good', 'resource--mydeploy.yaml': 'bad' }),
    covered: { notCovered: 'automountServiceAccountToken: no practice (POD-1 lists pod hardening without the token mount; RBAC-1 limits what the token can do)' },
  },
  {
    folder: 'kyverno/other/restrict-binding-clusteradmin',
    upstream: 'Kyverno restrict-binding-clusteradmin: no (Cluster)RoleBinding whose roleRef is named cluster-admin',
    labelledBy: 'chainsaw file names (crb-good--*, rb-bad--*...)',
    label: byFileName,
    covered: cover('RBAC-BUILTIN-001', 'RBAC-CRB-001'),
  },
  {
    folder: 'kyverno/other/restrict-binding-system-groups',
    upstream: 'Kyverno restrict-binding-system-groups: no binding to system:anonymous, system:unauthenticated or system:masters',
    labelledBy: 'chainsaw file names (crb-good--*, rb-bad--*...)',
    label: byFileName,
    covered: cover('RBAC-SUBJ-001'),
  },
  {
    folder: 'kyverno/other/restrict-escalation-verbs-roles',
    upstream: 'Kyverno restrict-escalation-verbs-roles: no escalate, bind or impersonate on roles (wildcards included)',
    labelledBy: 'kyverno/policies other/restrict-escalation-verbs-roles/.kyverno-test/kyverno-test.yaml, which follows the names (good*/bad*)',
    label: byFileName,
    covered: cover('RBAC-ESC-001'),
  },
  {
    folder: 'kyverno/other/restrict-secret-role-verbs',
    upstream: 'Kyverno restrict-secret-role-verbs: no get, list or watch on Secrets in Roles and ClusterRoles',
    labelledBy: 'chainsaw file names (cr-good--*, role-bad--*...)',
    label: byFileName,
    covered: cover('RBAC-SECRET-001'),
    // RBAC-SECRET-001 judges who holds a Secrets grant (a role alone grants nothing): each role is
    // audited as an app team gets it (NS-1), bound by a RoleBinding to the team's group, both without
    // namespace as the upstream files are (see KNOWN_BUGS; the test also runs them in a namespace).
    companions: boundToAppTeam,
  },
  {
    folder: 'kyverno/other/restrict-wildcard-resources',
    upstream: 'Kyverno restrict-wildcard-resources: no "*" in the resources of Roles and ClusterRoles',
    labelledBy: 'chainsaw file names (cr-good--*, role-bad--*...)',
    label: byFileName,
    covered: cover('RBAC-WILD-001'),
  },
  {
    folder: 'kyverno/other/restrict-wildcard-verbs',
    upstream: 'Kyverno restrict-wildcard-verbs: no "*" in the verbs of Roles and ClusterRoles',
    labelledBy: 'kyverno/policies other/restrict-wildcard-verbs/.kyverno-test/kyverno-test.yaml (empty-rules and omitted-rules pass, wildcard-once and wildcard-with-another-verb fail)',
    label: fromTable({
      'resource--empty-rules.yaml': 'good',
      'resource--omitted-rules.yaml': 'good',
      'resource--wildcard-once.yaml': 'bad',
      'resource--wildcard-with-another-verb.yaml': 'bad',
    }),
    covered: cover('RBAC-WILD-001'),
  },

  // Kyverno, pod-security/ (Pod Security Standards as Kyverno policies)
  kyvernoPodSecurity('baseline/disallow-capabilities', 'Kyverno disallow-capabilities (baseline): only the baseline list of added capabilities',
    cover('POD-CAP-001', 'POD-CAP-002')),
  kyvernoPodSecurity('baseline/disallow-host-namespaces', 'Kyverno disallow-host-namespaces (baseline): no hostNetwork, hostPID, hostIPC',
    cover('POD-HOST-001')),
  kyvernoPodSecurity('baseline/disallow-host-path', 'Kyverno disallow-host-path (baseline): no hostPath volumes', cover('POD-HOSTPATH-001')),
  kyvernoPodSecurity('baseline/disallow-host-ports', 'Kyverno disallow-host-ports (baseline): no hostPort other than 0', cover('POD-HOSTPORT-001')),
  kyvernoPodSecurity('baseline/disallow-privileged-containers', 'Kyverno disallow-privileged-containers (baseline): no privileged: true',
    cover('POD-PRIV-001')),
  kyvernoPodSecurity('baseline/restrict-seccomp', 'Kyverno restrict-seccomp (baseline): seccomp profile, if set, is RuntimeDefault or Localhost',
    cover('POD-SECCOMP-001')),
  kyvernoPodSecurity('restricted/disallow-capabilities-strict', 'Kyverno disallow-capabilities-strict, rule require-drop-all: every container drops ALL',
    cover(DROP_ALL), /^resource--(good|bad)/),
  {
    ...kyvernoPodSecurity('restricted/disallow-capabilities-strict', 'Kyverno disallow-capabilities-strict, rule adding-capabilities-strict: '
      + 'no added capability but NET_BIND_SERVICE', cover('POD-CAP-001', 'POD-CAP-002'), /^resource--addcap-/),
    labelledBy: 'kyverno-test.yaml results for rule adding-capabilities-strict, which follow the names (addcap-good*, addcap-bad*)',
  },
  kyvernoPodSecurity('restricted/disallow-privilege-escalation', 'Kyverno disallow-privilege-escalation (restricted): allowPrivilegeEscalation: false',
    cover(NO_ESCALATION)),
  kyvernoPodSecurity('restricted/require-run-as-non-root-user', 'Kyverno require-run-as-non-root-user (restricted): runAsUser is not 0',
    cover('POD-ROOT-001')),
  kyvernoPodSecurity('restricted/require-run-as-nonroot', 'Kyverno require-run-as-nonroot (restricted): runAsNonRoot: true', cover('POD-ROOT-001')),
  kyvernoPodSecurity('restricted/restrict-seccomp-strict', 'Kyverno restrict-seccomp-strict (restricted): seccomp RuntimeDefault or Localhost, set',
    cover('POD-SECCOMP-001')),

  // Gatekeeper library, general/
  // The constraint's repos: [openpolicyagent/] stand as the mesh's allowed registries (a Docker Hub org).
  {
    ...gatekeeper('general/allowedrepos/repo-must-be-openpolicyagent', 'Gatekeeper K8sAllowedRepos (repos: openpolicyagent/)', cover('IMG-REG-001')),
    options: { allowedRegistries: ['docker.io/openpolicyagent'] },
  },
  gatekeeper('general/automount-serviceaccount-token/automount-serviceaccount-token', 'Gatekeeper K8sPSPAutomountServiceAccountTokenPod', {
    notCovered: 'automountServiceAccountToken: no practice (POD-1 lists pod hardening without the token mount; RBAC-1 limits what the token can do)',
  }),
  // The disallowed sample lists `endpoints` under apiGroups [apps], where no such resource exists (Endpoints is core):
  // RBAC-SENS-001 reports it for its exec, attach, port-forward and Secrets grants, not for endpoints.
  gatekeeper('general/block-endpoint-edit-default-role/block-endpoint-edit-default-role',
    'Gatekeeper K8sBlockEndpointEditDefaultRole: system:aggregate-to-edit grants no create/patch/update on endpoints', cover('RBAC-SENS-001')),
  gatekeeper('general/disallowanonymous/no-anonymous-bindings',
    'Gatekeeper K8sDisallowAnonymous (allowedRoles: cluster-role-1): no binding to system:anonymous/system:unauthenticated', cover('RBAC-SUBJ-001')),
  gatekeeper('general/disallowedtags/container-image-must-not-have-latest-tag',
    'Gatekeeper K8sDisallowedTags (tags: latest; exempt openpolicyagent/opa-exp:latest, opa-exp2:latest): no :latest, no tag-less image',
    cover('IMG-DIGEST-001'),
    { 'example_no_tag.yaml': 'bad', 'example_no_tag_w_port.yaml': 'bad', 'example_exempt_image_w_disallowed_tag.yaml': 'good' }),
  gatekeeper('general/imagedigests/container-image-must-have-digest', 'Gatekeeper K8sImageDigests: every image has a digest', cover('IMG-DIGEST-001')),

  // Gatekeeper library, pod-security-policy/
  gatekeeper('pod-security-policy/allow-privilege-escalation/psp-allow-privilege-escalation-container',
    'Gatekeeper K8sPSPAllowPrivilegeEscalationContainer (exempt safeimages.com/*)', cover(NO_ESCALATION)),
  gatekeeper('pod-security-policy/capabilities/psp-capabilities-baseline',
    'Gatekeeper K8sPSPCapabilities, baseline sample: added capabilities from an allowed list', cover('POD-CAP-001', 'POD-CAP-002')),
  gatekeeper('pod-security-policy/capabilities/psp-capabilities-restricted',
    'Gatekeeper K8sPSPCapabilities, restricted sample: only NET_BIND_SERVICE added, ALL dropped', cover('POD-CAP-001', 'POD-CAP-002', DROP_ALL)),
  gatekeeper('pod-security-policy/host-filesystem/no-host-paths', 'Gatekeeper K8sPSPHostFilesystem, no host paths allowed', cover('POD-HOSTPATH-001')),
  gatekeeper('pod-security-policy/host-filesystem/psp-host-filesystem',
    'Gatekeeper K8sPSPHostFilesystem (allowedHostPaths: /foo read-only)', cover('POD-HOSTPATH-001')),
  gatekeeper('pod-security-policy/host-namespaces/psp-host-namespace', 'Gatekeeper K8sPSPHostNamespace: no hostPID, hostIPC', cover(HOST_PID_IPC)),
  gatekeeper('pod-security-policy/host-network-ports/port_range_block_host_network',
    'Gatekeeper K8sPSPHostNetworkingPorts (hostNetwork: false, ports 80-9000, exempt safeimages.com/*)', cover(HOST_NETWORK, 'POD-HOSTPORT-001')),
  gatekeeper('pod-security-policy/host-network-ports/psp-host-network-ports',
    'Gatekeeper K8sPSPHostNetworkingPorts (hostNetwork: true, ports 80-9000, exempt safeimages.com/*)', cover(HOST_NETWORK, 'POD-HOSTPORT-001')),
  gatekeeper('pod-security-policy/privileged-containers/psp-privileged-container',
    'Gatekeeper K8sPSPPrivilegedContainer (exempt safeimages.com/*)', cover('POD-PRIV-001')),
  gatekeeper('pod-security-policy/seccomp/psp-seccomp',
    'Gatekeeper K8sPSPSeccomp (runtime/default, docker/default, localhost/profile.json; exempt nginx-exempt)', cover('POD-SECCOMP-001')),
  gatekeeper('pod-security-policy/seccompv2/psp-seccomp-baseline',
    'Gatekeeper K8sPSPSeccompV2, baseline sample (no profile allowed; Unconfined not; exempt nginx-exempt)', cover('POD-SECCOMP-001')),
  gatekeeper('pod-security-policy/seccompv2/psp-seccomp-restricted',
    'Gatekeeper K8sPSPSeccompV2, restricted sample (RuntimeDefault or Localhost, set; exempt nginx-exempt)', cover('POD-SECCOMP-001')),

  // Anthos Service Mesh bundle (Policy Controller)
  {
    folder: 'asm/authorization-source',
    upstream: 'ASM AsmAuthzPolicyEnforceSourcePrincipals: every ALLOW rule names source principals, none of them "*"',
    labelledBy: 'example names: *-good passes; *-all, *-someall ("*" among others) and *-dne (does not exist) are its disallowed examples',
    label: (file) => (/-good\.yaml$/.test(file) ? 'good' : /-(all|someall|dne)\.yaml$/.test(file) ? 'bad' : undefined),
    covered: cover('MESH-AUTHZ-004', 'MESH-AUTHZ-005'),
  },
  {
    folder: 'asm/traffic-policy',
    upstream: 'ASM DestinationRuleTLSEnabled: no DestinationRule (traffic policy or subset) disables TLS',
    labelledBy: 'example names: the *-tls-disable examples are its disallowed ones; *-leastconn and *-no-traffic (no TLS setting) pass',
    label: (file) => (/-tls-disable\.yaml$/.test(file) ? 'bad' : /-(leastconn|no-traffic)\.yaml$/.test(file) ? 'good' : undefined),
    covered: cover('MESH-DR-001'),
  },

  // istio.io Security Best Practices
  {
    folder: 'istio-docs/security-best-practices',
    upstream: 'istio.io Security Best Practices: safer authorization patterns (ALLOW with positive, DENY with negative matches), TLS origination',
    labelledBy: 'every resource is one the page recommends',
    label: () => 'good',
    covered: cover('MESH-AUTHZ-002', 'MESH-AUTHZ-003', 'MESH-AUTHZ-004', 'MESH-AUTHZ-005', 'MESH-AUTHZ-006', 'MESH-AUTHZ-007',
      'MESH-DR-001', 'MESH-DR-002'),
  },
];

/** Whether a check is covered by our rules. */
export function isCovered(check: CorpusCheck): check is CorpusCheck & { covered: readonly Covering[] } {
  return Array.isArray(check.covered);
}

// ---------------------------------------------------------------------------------------------
// Where we disagree with upstream on purpose, or by mistake

/** `resource--good{cronjob,deployment,pod}NN.yaml` of a Kyverno pod-security folder, for each NN. */
function kyvernoGoods(folder: string, numbers: readonly string[]): string[] {
  return ['cronjob', 'deployment', 'pod'].flatMap((kind) => numbers.map((n) => `kyverno/pod-security/${folder}/resource--good${kind}${n}.yaml`));
}

function stricter(files: readonly string[], rules: readonly string[], practice: string, why: string): Stricter[] {
  return files.map((file) => ({ file, rules, practice, why }));
}

const GK_PSP = 'gatekeeper/pod-security-policy';
const UPDATE_WHY = 'the suite passes this disallowed object only because it arrives as an UPDATE, which these templates skip (the '
  + 'fields are immutable on a running pod); the audit judges the object itself, and our admission form covers CREATE and UPDATE alike';
const EXEMPT_IMAGE_WHY = 'the constraint exempts the image by name; we have no image exemptions, an exception is a named, expiring '
  + 'PolicyException (EXC-1)';

/**
 * Good upstream resources our covering rules report on purpose: our practices ask more than the
 * upstream check (Pod Security `restricted` rather than `baseline`, digests rather than tags, the
 * Istio CNI plugin rather than NET_ADMIN init containers, no ClusterRoleBinding for app teams...).
 */
export const STRICTER: readonly Stricter[] = [
  // Kyverno istio/
  ...stricter(['kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr01.yaml', 'kyverno/istio/enforce-tls-hosts-host-subnets/dr-good--good-dr02.yaml'],
    ['MESH-DR-001'], 'MTLS-1', 'an in-mesh host (ratings.prod.svc.cluster.local) takes ISTIO_MUTUAL only: MUTUAL or SIMPLE with app '
    + 'certificates replace the mesh identity, so the server sees no SPIFFE principal'),
  ...stricter(['kyverno/istio/service-mesh-disallow-capabilities/good--good01.yaml', 'kyverno/istio/service-mesh-disallow-capabilities/good--good02.yaml'],
    ['POD-CAP-001'], 'POD-1', 'the Istio CNI plugin sets up the redirection, so no init container (istio-init or linkerd-init) adds NET_ADMIN or NET_RAW'),
  ...stricter(['kyverno/istio/service-mesh-require-run-as-nonroot/good.yaml'], ['POD-ROOT-001'], 'POD-1',
    'with the Istio CNI plugin there is no istio-init container to run as root, so none is exempt'),

  // Kyverno other/
  ...stricter(['kyverno/other/restrict-secret-role-verbs/cr-good--goodcr03.yaml', 'kyverno/other/restrict-secret-role-verbs/role-good--goodcr03.yaml'],
    ['RBAC-SECRET-001'], 'CA-1', 'people get no Secrets at all, writes included (create, update, patch): only mesh administrators and the '
    + 'namespace\'s own service accounts'),
  ...stricter(['kyverno/other/restrict-binding-clusteradmin/crb-good--goodcrb01.yaml', 'kyverno/other/restrict-binding-clusteradmin/crb-good--goodcrb02.yaml'],
    ['RBAC-CRB-001'], 'NS-1', 'no ClusterRoleBinding for app teams, whatever the role: only mesh administrators hold cluster-wide roles'),
  ...stricter(['cr-good--goodcr04.yaml', 'role-good--goodcr04.yaml'].map((f) => `kyverno/other/restrict-wildcard-resources/${f}`),
    ['RBAC-WILD-001'], 'RBAC-1', 'no wildcard verbs either ("*" on secrets includes escalating verbs added later), not only wildcard resources'),
  ...stricter(['cr-good--goodcr05.yaml', 'role-good--goodcr05.yaml'].map((f) => `kyverno/other/restrict-wildcard-resources/${f}`),
    ['RBAC-WILD-001'], 'RBAC-1', 'no wildcard API groups either (apiGroups "*" grants the same resource name in every group, present and future)'),

  // Kyverno pod-security/
  ...stricter(kyvernoGoods('baseline/disallow-capabilities', ['02', '03', '05', '06']), ['POD-CAP-002'], 'POD-1',
    'restricted, not baseline: no added capability but NET_BIND_SERVICE (these add DAC_OVERRIDE or SETGID, which baseline allows)'),
  ...stricter(kyvernoGoods('baseline/restrict-seccomp', ['01', '06', '08', '09', '10', '11']), ['POD-SECCOMP-001'], 'POD-1',
    'restricted, not baseline: every container runs under RuntimeDefault or Localhost (baseline accepts an unset profile; here one container has none)'),
  ...stricter(kyvernoGoods('restricted/require-run-as-non-root-user', ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10']),
    ['POD-ROOT-001'], 'POD-1', 'restricted asks for runAsNonRoot: true as well: a runAsUser other than 0 alone leaves the image\'s user, '
    + 'maybe root, wherever it is unset'),

  // Gatekeeper general/
  ...stricter(['gatekeeper/general/block-endpoint-edit-default-role/block-endpoint-edit-default-role/example_allowed.yaml'], ['RBAC-SENS-001'],
    'RBAC-1', 'aggregating exec, attach, port-forward and Secrets into the built-in edit role hands them to every editor, endpoints or not'),
  ...stricter(['gatekeeper/general/disallowanonymous/no-anonymous-bindings/example_allowed.yaml'], ['RBAC-SUBJ-001'], 'NS-1',
    'no binding to system:unauthenticated whatever the role (the constraint allow-lists cluster-role-1); an exception is a PolicyException'),
  ...stricter(['gatekeeper/general/disallowedtags/container-image-must-not-have-latest-tag/example_allowed.yaml'], ['IMG-DIGEST-001'], 'IMG-1',
    'digest pins: a tag other than latest (opa:0.9.2) can be moved too'),
  ...stricter(['gatekeeper/general/disallowedtags/container-image-must-not-have-latest-tag/example_exempt_image_w_disallowed_tag.yaml'],
    ['IMG-DIGEST-001'], 'IMG-1', `digest pins; ${EXEMPT_IMAGE_WHY}`),

  // Gatekeeper pod-security-policy/
  ...stricter([`${GK_PSP}/allow-privilege-escalation/psp-allow-privilege-escalation-container/example_allowed_exempt.yaml`], ['POD-ESC-001'],
    'POD-1', EXEMPT_IMAGE_WHY),
  ...stricter([`${GK_PSP}/allow-privilege-escalation/psp-allow-privilege-escalation-container/update.yaml`], ['POD-ESC-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/capabilities/psp-capabilities-baseline/update.yaml`], ['POD-CAP-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/capabilities/psp-capabilities-restricted/update.yaml`], ['POD-CAP-001', 'POD-ESC-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/host-filesystem/psp-host-filesystem/example_allowed.yaml`], ['POD-HOSTPATH-001'], 'POD-1',
    'restricted, not an allow-list: no hostPath at all (/foo/bar read-only is still the node\'s filesystem)'),
  ...stricter([`${GK_PSP}/host-filesystem/psp-host-filesystem/update.yaml`], ['POD-HOSTPATH-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/host-namespaces/psp-host-namespace/update.yaml`], ['POD-HOST-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/host-network-ports/psp-host-network-ports/example_allowed_in_range.yaml`], ['POD-HOSTPORT-001'], 'POD-1',
    'no hostPort in any range: it exposes the pod on the node, past the NetworkPolicies and the sidecar (NETPOL-1)'),
  ...stricter([`${GK_PSP}/host-network-ports/psp-host-network-ports/example_allowed_no_ports.yaml`,
    `${GK_PSP}/host-network-ports/psp-host-network-ports/example_allowed_no_ports_host_network_true.yaml`], ['POD-HOST-001'], 'POD-1',
  'no hostNetwork (the constraint allows it): the pod would share the node\'s network, outside the mesh and its NetworkPolicies'),
  ...stricter([`${GK_PSP}/host-network-ports/psp-host-network-ports/example_allowed_out_of_range_exempted.yaml`], ['POD-HOST-001', 'POD-HOSTPORT-001'],
    'POD-1', `no hostNetwork, no hostPort; ${EXEMPT_IMAGE_WHY}`),
  ...stricter([`${GK_PSP}/host-network-ports/psp-host-network-ports/update.yaml`], ['POD-HOST-001', 'POD-HOSTPORT-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/privileged-containers/psp-privileged-container/example_allowed_exempt.yaml`], ['POD-PRIV-001'], 'POD-1', EXEMPT_IMAGE_WHY),
  ...stricter([`${GK_PSP}/privileged-containers/psp-privileged-container/update.yaml`], ['POD-PRIV-001'], 'OPS-1', UPDATE_WHY),
  ...stricter([`${GK_PSP}/seccomp/psp-seccomp/example_allowed.yaml`, `${GK_PSP}/seccomp/psp-seccomp/example_allowed2.yaml`], ['POD-SECCOMP-001'],
    'POD-1', 'the profile is read from securityContext.seccompProfile: the alpha seccomp annotations these pods use are deprecated '
    + 'since Kubernetes 1.19 and no longer applied, so the pods run Unconfined'),
  ...stricter([`${GK_PSP}/seccomp/psp-seccomp/example_allowed_exempt_image.yaml`, `${GK_PSP}/seccompv2/psp-seccomp-baseline/example_allowed_exempt_image.yaml`,
    `${GK_PSP}/seccompv2/psp-seccomp-restricted/example_allowed_exempt_image.yaml`], ['POD-SECCOMP-001'], 'POD-1', EXEMPT_IMAGE_WHY),
  ...stricter([`${GK_PSP}/seccompv2/psp-seccomp-baseline/allowed_ephemeral.yaml`, `${GK_PSP}/seccompv2/psp-seccomp-baseline/example_allowed_no_profile.yaml`],
    ['POD-SECCOMP-001'], 'POD-1', 'restricted, not baseline: a container without a seccomp profile runs Unconfined'),

  // ASM, istio.io
  ...stricter(['asm/authorization-source/example--source-principals-good.yaml'], ['MESH-AUTHZ-004'], 'AUTHZ-2',
    'its second source, namespaces: ["test"] alone, allows any workload of that namespace without naming an identity'),
  ...stricter(['istio-docs/security-best-practices/allow-positive-public.yaml'], ['MESH-AUTHZ-004'], 'AUTHZ-2',
    'the page shows the ALLOW-with-positive-match pattern; a rule without `from` still allows every caller, so it needs a source identity '
    + '(or a PolicyException for a public path)'),
];

/** Bad upstream resources our covering rules deliberately do not report. */
export const MISSED: readonly Missed[] = [
  ...['rb-bad--badrb01.yaml', 'rb-bad--badrb02.yaml'].map((f) => ({
    file: `kyverno/other/restrict-binding-clusteradmin/${f}`,
    practice: 'NS-1',
    why: 'the roleRef is kind Role: a namespaced Role that happens to be called cluster-admin, not the built-in ClusterRole; '
      + 'what it grants is judged on the Role itself (RBAC-WILD-001, RBAC-ESC-001, RBAC-SENS-001, RBAC-SECRET-001)',
  })),
  {
    file: `${GK_PSP}/seccomp/psp-seccomp/example_disallowed_localhost.yaml`,
    practice: 'POD-1',
    why: 'restricted admits any Localhost profile: which profile files a cluster approves (here profile.json, not profile.log) '
      + 'is the constraint\'s parameter, node configuration outside the manifests',
  },
];

/** Our false alarms and misses, expected to fail until the rule file is fixed. */
export const KNOWN_BUGS: readonly KnownBug[] = [];
