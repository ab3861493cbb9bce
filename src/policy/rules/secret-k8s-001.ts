import { SENSITIVE_DATA_LABEL } from './namespace-sensitive-data';
import { CONTAINER_LISTS, POD_SPEC_RESOURCES, celForPodSpec, celString, containersOf, isRecord, podSpecsOf } from './workload-pod-specs';
import { PolicyRule, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';


/** Kubernetes Secret references of one pod spec: secret volumes, projected secrets, env and envFrom. */
function secretReferences(o: RuleObject): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const pod of podSpecsOf(o)) {
    (Array.isArray(pod.spec.volumes) ? pod.spec.volumes : []).forEach((v: unknown, i: number) => {
      if (!isRecord(v)) return;
      if (v.secret) out.push({ path: `${pod.path}.volumes[${i}].secret`, message: `volume "${v.name}" mounts Kubernetes Secret "${v.secret.secretName}"` });
      (Array.isArray(v.projected?.sources) ? v.projected.sources : []).forEach((s: unknown, j: number) => {
        if (isRecord(s) && s.secret) out.push({ path: `${pod.path}.volumes[${i}].projected.sources[${j}].secret`, message: `volume "${v.name}" projects Kubernetes Secret "${s.secret.name}"` });
      });
    });
    for (const c of containersOf(pod)) {
      (Array.isArray(c.container.env) ? c.container.env : []).forEach((e: unknown, i: number) => {
        if (isRecord(e) && e.valueFrom?.secretKeyRef) out.push({ path: `${c.path}.env[${i}].valueFrom.secretKeyRef`, message: `${c.label} reads env ${e.name} from Kubernetes Secret "${e.valueFrom.secretKeyRef.name}"` });
      });
      (Array.isArray(c.container.envFrom) ? c.container.envFrom : []).forEach((e: unknown, i: number) => {
        if (isRecord(e) && e.secretRef) out.push({ path: `${c.path}.envFrom[${i}].secretRef`, message: `${c.label} loads its environment from Kubernetes Secret "${e.secretRef.name}"` });
      });
    }
  }
  return out;
}

/** CEL: the pod spec `spec` references no Kubernetes Secret (volumes, projected sources, env, envFrom). */
function celNoSecretReference(spec: string): string {
  const volumes = `(!has(${spec}.volumes) || ${spec}.volumes.all(v, !has(v.secret) && `
    + '(!has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, !has(s.secret)))))';
  const containers = CONTAINER_LISTS.map((list) => `(!has(${spec}.${list}) || ${spec}.${list}.all(c, `
    + '(!has(c.env) || c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef))) && '
    + '(!has(c.envFrom) || c.envFrom.all(e, !has(e.secretRef)))))');
  return [volumes, ...containers].join(' && ');
}

/**
 * SECRET-1: workloads of a sensitive-data namespace take secrets from a secret manager through
 * the Secrets Store CSI driver, never from Kubernetes Secrets (stored in etcd, readable by anyone
 * who can read Secrets in the namespace or mount them into a pod).
 *
 * The namespace decides, so at synth and in the audit the rule needs the Namespace among the
 * objects (`checkAll`); at admission it reads the request's `namespaceObject`, which the API
 * server binds for namespaced requests: the same references are refused in a namespace labelled
 * `secure-mesh.cdk8s.io/sensitive-data: "true"`.
 */
export const SECRET_K8S_001: PolicyRule = {
  id: 'SECRET-K8S-001',
  practices: ['SECRET-1'],
  severity: RuleSeverity.ERROR,
  kinds: [],
  title: 'Sensitive-data namespaces use the Secrets Store CSI driver, not Kubernetes Secrets',
  explanation: 'A Kubernetes Secret lives in etcd and can be read by anyone allowed to read Secrets in the namespace or to '
    + 'create pods that mount it; sensitive data belongs in a secret manager (KMS-backed) and reaches the pod only through '
    + 'a read-only CSI mount.',
  fix: 'Mount the secret with the Secrets Store CSI driver (SecureService `secretStore: { secretProviderClass, mountPath }`) '
    + 'and delete the Kubernetes Secret. A PolicyException is right only for a Secret the platform itself needs (e.g. an image '
    + 'pull secret) while it is migrated.',
  check: () => [],
  admission: {
    resources: POD_SPEC_RESOURCES,
    expression: `!(namespaceObject != null && has(namespaceObject.metadata.labels) && ${celString(SENSITIVE_DATA_LABEL)} in namespaceObject.metadata.labels `
      + `&& namespaceObject.metadata.labels[${celString(SENSITIVE_DATA_LABEL)}] == 'true') || (${celForPodSpec(celNoSecretReference)})`,
    message: 'SECRET-K8S-001: in a sensitive-data namespace, pods take secrets through the Secrets Store CSI driver, never from Kubernetes Secrets '
      + '(secret volumes, projected secrets, secretKeyRef, secretRef)',
  },
  checkAll(ctx) {
    const sensitive = new Set(ctx.objects
      .filter((o) => isKind(o, '', 'Namespace') && o.metadata?.labels?.[SENSITIVE_DATA_LABEL] === 'true')
      .map((o) => o.metadata?.name));
    return ctx.objects
      .filter((o) => sensitive.has(o.metadata?.namespace))
      .flatMap((object) => secretReferences(object).map((violation) => ({ object, violation })));
  },
};
