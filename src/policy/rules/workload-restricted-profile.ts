import { PolicyRule, RuleSeverity, RuleViolation } from '../rule';
import {
  POD_KINDS, POD_SPEC_RESOURCES, celForEachContainer, celForPodSpec, celHas, celString, celStrings, containersOf, isRecord,
  podSpecsOf, securityContextOf,
} from './workload-pod-specs';

/**
 * The sysctls Pod Security Admission's `baseline` (and so `restricted`) profile allows: namespaced
 * ones that cannot affect other pods on the node (Kubernetes 1.29's list).
 */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];

/** The SELinux types the profile allows a container to run as. */
export const ALLOWED_SELINUX_TYPES: readonly string[] = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];

/**
 * The volume types the `restricted` profile allows. `hostPath` is POD-HOSTPATH-001's, so it is not
 * reported here a second time.
 */
export const RESTRICTED_VOLUME_TYPES: readonly string[] = [
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
];

/**
 * The volume types of the core API that the restricted profile refuses (hostPath aside), for the
 * admission form: CEL reads typed volumes field by field. `check()` refuses any other key too.
 */
const REFUSED_VOLUME_TYPES: readonly string[] = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk',
  'gitRepo', 'glusterfs', 'image', 'iscsi', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO',
  'storageos', 'vsphereVolume',
];

/** The AppArmor types that confine a container. */
const CONFINING_APPARMOR_TYPES: readonly string[] = ['RuntimeDefault', 'Localhost'];
/** The pre-1.30 per-container AppArmor annotation prefix. */
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorAnnotationOk(value: unknown): boolean {
  return value === 'runtime/default' || (typeof value === 'string' && value.startsWith('localhost/'));
}

/** The metadata of the pod a pod spec belongs to (the Pod's own, or the template's). */
function podMetadataOf(object: { readonly [key: string]: any }, specPath: string): { path: string; metadata: { readonly [key: string]: any } } {
  const path = specPath.replace(/(^|\.)spec$/, '$1metadata');
  let node: unknown = object;
  for (const f of path.split('.')) node = isRecord(node) ? node[f] : undefined;
  return { path, metadata: isRecord(node) ? node : {} };
}

/** Violations of the pod- and container-level securityContext fields the profile restricts. */
function securityContextViolations(sc: { readonly [key: string]: any }, at: string, who: string): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (isRecord(sc.windowsOptions) && sc.windowsOptions.hostProcess !== undefined && sc.windowsOptions.hostProcess !== false) {
    out.push({ path: `${at}.windowsOptions.hostProcess`, message: `${who} runs as a Windows HostProcess (full access to the node)` });
  }
  if (isRecord(sc.appArmorProfile) && !CONFINING_APPARMOR_TYPES.includes(sc.appArmorProfile.type)) {
    out.push({ path: `${at}.appArmorProfile.type`, message: `${who} sets appArmorProfile.type ${JSON.stringify(sc.appArmorProfile.type)} (not RuntimeDefault or Localhost)` });
  }
  if (isRecord(sc.seLinuxOptions)) {
    const se = sc.seLinuxOptions;
    if (se.type !== undefined && se.type !== '' && !ALLOWED_SELINUX_TYPES.includes(se.type)) {
      out.push({ path: `${at}.seLinuxOptions.type`, message: `${who} runs as SELinux type ${JSON.stringify(se.type)} (allowed: ${ALLOWED_SELINUX_TYPES.join(', ')})` });
    }
    for (const field of ['user', 'role']) {
      if (se[field] !== undefined && se[field] !== '') {
        out.push({ path: `${at}.seLinuxOptions.${field}`, message: `${who} sets a custom SELinux ${field} ${JSON.stringify(se[field])}` });
      }
    }
  }
  return out;
}

/**
 * POD-PSS-001 (POD-1): the rest of Pod Security Admission's `restricted` profile, so that the
 * rules enforce the whole profile and not only the namespace label: no Windows HostProcess,
 * AppArmor confined (RuntimeDefault or Localhost, field or annotation), no custom SELinux user,
 * role or type outside the container types, the default `/proc` mount, only safe sysctls, and
 * only the volume types the profile allows.
 *
 * The profile's other checks are their own rules: privileged (POD-PRIV-001), capabilities
 * (POD-CAP-001), host namespaces (POD-HOST-001), hostPath (POD-HOSTPATH-001), hostPort
 * (POD-HOSTPORT-001), privilege escalation and drop ALL (POD-ESC-001), root (POD-ROOT-001) and
 * seccomp (POD-SECCOMP-001).
 */
export const POD_PSS_001: PolicyRule = {
  id: 'POD-PSS-001',
  practices: ['POD-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: POD_KINDS,
  title: 'Pods meet the rest of the restricted Pod Security profile (AppArmor, SELinux, /proc mount, sysctls, volume types, HostProcess)',
  explanation:
    'Each of these settings removes a kernel or node protection: an Unconfined AppArmor profile or a custom SELinux type '
    + 'lifts mandatory access control, an Unmasked /proc mount exposes kernel interfaces, unsafe sysctls change the node '
    + 'for every pod on it, a Windows HostProcess container runs as the node, and volume types outside the restricted '
    + 'list (nfs, iscsi, rbd, gitRepo, ...) reach storage and code past the pod\'s own. A namespace without the restricted '
    + 'label (or with a weakened one) admits all of them.',
  fix:
    'Remove the setting: keep appArmorProfile RuntimeDefault (or Localhost) and the annotations runtime/default or '
    + 'localhost/<profile>, leave seLinuxOptions user and role empty and type one of container_t, container_init_t, '
    + 'container_kvm_t, container_engine_t, leave procMount unset (Default), use only the safe sysctls, mount storage '
    + 'through a PersistentVolumeClaim, CSI or ephemeral volume. A PolicyException is right only for node-level '
    + 'infrastructure outside the mesh namespaces.',
  check(object) {
    const out: RuleViolation[] = [];
    for (const pod of podSpecsOf(object)) {
      const podSc = securityContextOf(pod.spec);
      out.push(...securityContextViolations(podSc, `${pod.path}.securityContext`, 'the pod'));
      (Array.isArray(podSc.sysctls) ? podSc.sysctls : []).forEach((s: unknown, i: number) => {
        const name = isRecord(s) ? s.name : undefined;
        if (!SAFE_SYSCTLS.includes(name)) {
          out.push({ path: `${pod.path}.securityContext.sysctls[${i}].name`, message: `the pod sets sysctl ${JSON.stringify(name)}, which is not in the safe set` });
        }
      });
      (Array.isArray(pod.spec.volumes) ? pod.spec.volumes : []).forEach((v: unknown, i: number) => {
        if (!isRecord(v)) return;
        const types = Object.keys(v).filter((k) => k !== 'name' && k !== 'hostPath' && !RESTRICTED_VOLUME_TYPES.includes(k));
        for (const type of types.sort()) {
          out.push({ path: `${pod.path}.volumes[${i}].${type}`, message: `volume ${JSON.stringify(v.name)} is of type ${type}, which the restricted profile does not allow` });
        }
      });
      const meta = podMetadataOf(object, pod.path);
      const annotations = isRecord(meta.metadata.annotations) ? meta.metadata.annotations : {};
      for (const key of Object.keys(annotations).sort()) {
        if (key.startsWith(APPARMOR_ANNOTATION) && !appArmorAnnotationOk(annotations[key])) {
          out.push({ path: `${meta.path}.annotations.${key}`, message: `AppArmor annotation ${key} is ${JSON.stringify(annotations[key])} (not runtime/default or localhost/<profile>)` });
        }
      }
      for (const c of containersOf(pod)) {
        const sc = securityContextOf(c.container);
        out.push(...securityContextViolations(sc, `${c.path}.securityContext`, c.label));
        if (sc.procMount !== undefined && sc.procMount !== 'Default') {
          out.push({ path: `${c.path}.securityContext.procMount`, message: `${c.label} sets procMount ${JSON.stringify(sc.procMount)} (only Default)` });
        }
      }
    }
    return out;
  },
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: celForPodSpec((spec) => {
      const meta = spec.replace(/\.spec$/, '.metadata');
      const scOk = (base: string): string => [
        `(!${celHas(base, ['securityContext', 'windowsOptions', 'hostProcess'])} || ${base}.securityContext.windowsOptions.hostProcess == false)`,
        `(!${celHas(base, ['securityContext', 'appArmorProfile'])} || (has(${base}.securityContext.appArmorProfile.type) `
        + `&& ${base}.securityContext.appArmorProfile.type in ${celStrings(CONFINING_APPARMOR_TYPES)}))`,
        `(!${celHas(base, ['securityContext', 'seLinuxOptions', 'type'])} || ${base}.securityContext.seLinuxOptions.type in ${celStrings(['', ...ALLOWED_SELINUX_TYPES])})`,
        `(!${celHas(base, ['securityContext', 'seLinuxOptions', 'user'])} || ${base}.securityContext.seLinuxOptions.user == '')`,
        `(!${celHas(base, ['securityContext', 'seLinuxOptions', 'role'])} || ${base}.securityContext.seLinuxOptions.role == '')`,
      ].join(' && ');
      return [
        scOk(spec),
        `(!${celHas(spec, ['securityContext', 'sysctls'])} || ${spec}.securityContext.sysctls.all(s, has(s.name) && s.name in ${celStrings(SAFE_SYSCTLS)}))`,
        `(!has(${spec}.volumes) || ${spec}.volumes.all(v, ${REFUSED_VOLUME_TYPES.map((t) => `!has(v.${t})`).join(' && ')}))`,
        `(!has(${meta}) || !has(${meta}.annotations) || ${meta}.annotations.all(k, !k.startsWith(${celString(APPARMOR_ANNOTATION)}) `
        + `|| ${meta}.annotations[k] == 'runtime/default' || ${meta}.annotations[k].startsWith('localhost/')))`,
        celForEachContainer(spec, (c) => `${scOk(c)} && (!${celHas(c, ['securityContext', 'procMount'])} || ${c}.securityContext.procMount == 'Default')`),
      ].join(' && ');
    }),
    message: 'POD-PSS-001: pods must meet the restricted Pod Security profile: no HostProcess, AppArmor RuntimeDefault or Localhost, '
      + 'no custom SELinux user, role or type, procMount Default, safe sysctls only, restricted volume types only',
  },
};
