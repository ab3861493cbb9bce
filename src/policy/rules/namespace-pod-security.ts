import { KUBERNETES_SYSTEM_NAMESPACES } from '../../core/names';
import { PolicyRule, RuleContext, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { asMap, asString, celMetaEntry, celString, celStrings, pathOf } from './mesh-shared';
import { isMeshNamespaceLabels } from './network-control-plane';
import { celIsKind } from './workload-pod-specs';

/** Pod Security Admission's namespace labels. */
export const PSA_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const PSA_ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';

/**
 * The oldest Kubernetes minor version a namespace may pin the `restricted` profile to: the first
 * whose restricted profile has every check POD-1 relies on the cluster for. Pod Security
 * Admission versions its checks (`MinimumVersion` of each check in k8s.io/pod-security-admission):
 *
 * | since | restricted-profile check |
 * |---|---|
 * | 1.0 | runAsNonRoot, restricted volume types, and the baseline checks (host namespaces, privileged, hostPath, hostPorts, AppArmor, SELinux, `/proc` mount, sysctls, ...) |
 * | 1.8 | allowPrivilegeEscalation: false |
 * | 1.19 | seccomp profile RuntimeDefault or Localhost |
 * | 1.22 | capabilities drop ALL, add only NET_BIND_SERVICE |
 * | 1.23 | runAsUser is not 0 |
 *
 * The AppArmor check is unversioned: it reads the 1.30 `appArmorProfile` field and the older
 * annotation at every pinned version. Later versions add nothing POD-1 needs: 1.25 exempts Windows pods (`spec.os.name: windows`)
 * from the Linux-only checks, 1.27/1.29/1.32 allow more namespaced sysctls (all loosen), 1.34
 * forbids `host` in probes and lifecycle handlers (a baseline check outside POD-1), 1.35 moves
 * the `/proc` mount check to restricted without a change in what it refuses. So a pin to v1.22
 * admits containers that run as UID 0, v1.21 also containers that keep every default capability,
 * v1.18 also pods without seccomp.
 */
export const MIN_POD_SECURITY_MINOR = 23;
/** {@link MIN_POD_SECURITY_MINOR} as a label value. */
export const MIN_POD_SECURITY_VERSION = `v1.${MIN_POD_SECURITY_MINOR}`;

/** The checks a restricted profile pinned below each version lacks, newest first. */
const ADDED_IN: readonly { readonly minor: number; readonly check: string }[] = [
  { minor: 23, check: 'runAsUser other than 0 (1.23)' },
  { minor: 22, check: 'capabilities drop ALL (1.22)' },
  { minor: 19, check: 'a seccomp profile (1.19)' },
  { minor: 8, check: 'allowPrivilegeEscalation: false (1.8)' },
];

/** Pod Security Admission's own syntax for a version label: `latest` or `v1.<minor>` without leading zeros. */
const VERSION_SYNTAX = /^v1\.(0|[1-9][0-9]*)$/;

/** A regular expression alternative matching the decimal numbers (no leading zero) at least `min`. */
function atLeastPattern(min: number): string {
  if (min <= 0) return '0|[1-9][0-9]*';
  if (min < 10) return `[${min}-9]|[1-9][0-9]+`;
  if (min < 100) {
    const tens = Math.floor(min / 10);
    const units = min % 10;
    return [`${tens}[${units}-9]`, ...(tens < 9 ? [`[${tens + 1}-9][0-9]`] : []), '[1-9][0-9]{2,}'].join('|');
  }
  throw new Error(`atLeastPattern: ${min} is out of range`);
}

/** The version values the rule accepts besides `latest`, as CEL's `matches` (RE2) reads them. */
export const ACCEPTED_VERSION_PATTERN = `^v1\\.(${atLeastPattern(MIN_POD_SECURITY_MINOR)})$`;

/**
 * What is wrong with `version` as the pinned version of the restricted profile (a Pod Security
 * label value, or HardenedNamespace's `podSecurityVersion`), or undefined when it is `latest` or
 * {@link MIN_POD_SECURITY_VERSION} or later.
 */
export function podSecurityVersionProblem(version: unknown): string | undefined {
  if (version === 'latest') return undefined;
  const match = typeof version === 'string' ? VERSION_SYNTAX.exec(version) : null;
  if (!match) return `${JSON.stringify(version)} is not a Kubernetes minor version ("v1.<minor>" or "latest")`;
  const minor = Number(match[1]);
  if (minor >= MIN_POD_SECURITY_MINOR) return undefined;
  const lacking = ADDED_IN.filter((a) => minor < a.minor).map((a) => a.check);
  return `"${version}" is older than ${MIN_POD_SECURITY_VERSION}: its restricted profile does not require ${lacking.join(', ')}`;
}

/** Namespaces exempt from the rule: Kubernetes' own, and the mesh control plane's. */
function exempt(name: string | undefined, ctx: RuleContext): boolean {
  return name !== undefined && (KUBERNETES_SYSTEM_NAMESPACES.includes(name) || name === ctx.controlPlaneNamespace);
}

/** The control-plane namespace the admission form exempts: Istio's default (CEL cannot read the app's layout). */
const ADMISSION_CONTROL_PLANE = 'istio-system';

/**
 * NS-PSA-001 (POD-1, OPS-1, NS-1): every namespace of the mesh enforces the Pod Security
 * `restricted` profile, pinned to no older version than {@link MIN_POD_SECURITY_VERSION}.
 *
 * A namespace is part of the mesh when it carries `istio-injection: enabled`, a non-empty
 * `istio.io/rev`, or `istio.io/dataplane-mode: ambient` (MESH-INJ-001/002 see to it that app
 * namespaces do). For such a namespace, after this rule:
 * - `pod-security.kubernetes.io/enforce` is `restricted`. Absent, the cluster's default applies
 *   (privileged unless the admission configuration says otherwise); `baseline` or `privileged`
 *   admit pods that run as root, keep capabilities or escalate privileges. Pod Security Admission
 *   is the cluster's own backstop for POD-1: it refuses such pods whoever creates them.
 * - `pod-security.kubernetes.io/enforce-version` is absent (the admission configuration's
 *   default, `latest` unless configured), `latest`, or
 *   `v1.<minor>` with minor at least 23: older pins drop checks POD-1 relies on (see
 *   {@link MIN_POD_SECURITY_MINOR} for which version brought which check). A value Pod Security
 *   Admission cannot read (`1.30`, `v1.030`) is reported too.
 * - `audit` and `warn` labels may be anything (weaker ones only report less).
 *
 * Exempt: Kubernetes' own namespaces and the mesh control-plane namespace, where Istio's node
 * agents need `privileged`: the CNI plugin's DaemonSet writes the CNI configuration on the host
 * (it is what lets app pods drop NET_ADMIN), and ambient's ztunnel manages pod network
 * namespaces. Namespaces outside the mesh are MESH-INJ-002's.
 *
 * The admission form reads the Namespace's labels alone; it exempts `istio-system` as the
 * control-plane namespace (CEL does not know the app's layout), so a control-plane namespace of
 * another name must stay out of the mesh (istiod is not injected) or carry a PolicyException.
 */
export const NS_PSA_001: PolicyRule = {
  id: 'NS-PSA-001',
  practices: ['POD-1', 'OPS-1', 'NS-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey('', 'Namespace')],
  title: `Mesh namespaces enforce the restricted Pod Security profile, pinned to ${MIN_POD_SECURITY_VERSION} or later`,
  explanation:
    'Pod Security Admission is the cluster-side guarantee of POD-1: in a namespace that enforces restricted, the API server refuses '
    + 'privileged, root, capability-keeping or privilege-escalating pods whoever creates them (kubectl, a controller, another '
    + 'pipeline). Without the enforce label the cluster default (usually privileged) applies; baseline or privileged admit such '
    + `pods; and a restricted profile pinned to a version older than ${MIN_POD_SECURITY_VERSION} lacks checks POD-1 relies on `
    + '(seccomp 1.19, drop ALL capabilities 1.22, runAsUser other than 0 1.23).',
  fix:
    'Create the namespace with HardenedNamespace (it labels enforce, audit and warn restricted, pinned to podSecurityVersion), or label it '
    + `pod-security.kubernetes.io/enforce: restricted with enforce-version latest or ${MIN_POD_SECURITY_VERSION} or later. Istio's own components `
    + 'that need privileges (the CNI node agent) belong in the control-plane namespace, which is exempt; an app namespace that must run a '
    + 'privileged pod needs a PolicyException scoped to it, and should hold nothing else.',
  check(object, ctx) {
    if (!isKind(object, '', 'Namespace')) return [];
    const name = asString(object.metadata?.name);
    const labels = asMap(object.metadata?.labels);
    if (exempt(name, ctx) || !isMeshNamespaceLabels(labels)) return [];
    const where = `namespace ${name ?? '<no name>'}`;
    const violations: RuleViolation[] = [];
    const enforce: unknown = labels?.[PSA_ENFORCE_LABEL];
    if (enforce !== 'restricted') {
      violations.push({
        path: pathOf('metadata.labels', PSA_ENFORCE_LABEL),
        message: enforce === undefined
          ? `${where} is in the mesh but has no ${PSA_ENFORCE_LABEL} label: the cluster's default (privileged unless configured) admits root, `
            + 'privileged and capability-keeping pods'
          : `${where} is in the mesh but ${PSA_ENFORCE_LABEL} is ${JSON.stringify(enforce)}, not "restricted": `
            + 'pods that run as root, keep capabilities or escalate privileges are admitted',
      });
    }
    const version: unknown = labels?.[PSA_ENFORCE_VERSION_LABEL];
    const problem = version === undefined ? undefined : podSecurityVersionProblem(version);
    if (problem) {
      violations.push({ path: pathOf('metadata.labels', PSA_ENFORCE_VERSION_LABEL), message: `${where}: ${PSA_ENFORCE_VERSION_LABEL} ${problem}` });
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [''], apiVersions: ['*'], resources: ['namespaces'] }],
    expression: admissionExpression(),
    message: 'NS-PSA-001: a mesh namespace must label pod-security.kubernetes.io/enforce: restricted, with enforce-version '
      + `absent, latest or ${MIN_POD_SECURITY_VERSION} or later`,
  },
};

/** CEL: the Namespace `object` is not a mesh namespace, is exempt, or enforces a recent enough restricted profile. */
function admissionExpression(): string {
  const labels = 'object.metadata.labels';
  const entry = (key: string, test: (v: string) => string) => celMetaEntry(labels, key, test, true);
  const inMesh = `(has(${labels}) && (${[
    entry('istio-injection', (v) => `${v} == 'enabled'`),
    entry('istio.io/rev', (v) => `${v} != ''`),
    entry('istio.io/dataplane-mode', (v) => `${v} == 'ambient'`),
  ].join(' || ')}))`;
  const exemptNames = celStrings([...KUBERNETES_SYSTEM_NAMESPACES, ADMISSION_CONTROL_PLANE]);
  const isExempt = `(has(object.metadata.name) && object.metadata.name in ${exemptNames})`;
  const enforceOk = entry(PSA_ENFORCE_LABEL, (v) => `${v} == 'restricted'`);
  const versionOk = `(!(${celString(PSA_ENFORCE_VERSION_LABEL)} in ${labels}) || `
    + `${entry(PSA_ENFORCE_VERSION_LABEL, (v) => `(${v} == 'latest' || ${v}.matches(${celString(ACCEPTED_VERSION_PATTERN)}))`)})`;
  return `!${celIsKind('', ['Namespace'])} || ${isExempt} || !${inMesh} || (${enforceOk} && ${versionOk})`;
}
