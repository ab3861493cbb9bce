import { Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { ITopologySpreadConstraint } from 'kubernetes-models/v1/TopologySpreadConstraint';

/**
 * The hardened pod every mesh workload kind runs (POD-1, OPS-3), written as its manifest: one app
 * container, non-root, read-only root filesystem, no privilege escalation, every capability
 * dropped, the RuntimeDefault seccomp profile, no host network, and no API token unless asked for.
 * Deployments, StatefulSets, Jobs and CronJobs wrap the same template.
 */
export interface HardenedPodSpec {
  /** The app container's name (the workload's name). */
  readonly name: string;
  /** Pod labels; `app` selects the pods for the workload's policies. */
  readonly podLabels: { readonly [key: string]: string };
  readonly serviceAccountName: string;
  readonly automountServiceAccountToken: boolean;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: { readonly [name: string]: string };
  readonly containerPorts: readonly { readonly name: string; readonly containerPort: number }[];
  /** Requests and limits; {@link DEFAULT_RESOURCES} when absent. */
  readonly resources?: kplus.ContainerResources;
  /** Probes, already rendered (see `renderProbe`). */
  readonly readinessProbe?: { readonly [key: string]: any };
  readonly livenessProbe?: { readonly [key: string]: any };
  readonly startupProbe?: { readonly [key: string]: any };
  /** Pod-level user and groups; unset leaves the image's (non-root, runAsNonRoot stays). */
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  /** Directories mounted as emptyDir volumes, so the root filesystem stays read-only. */
  readonly writablePaths?: readonly string[];
  /** sizeLimit of each writable emptyDir. */
  readonly writablePathSizeLimit?: Size;
  /** A Secrets Store CSI volume mounted read-only (SECRET-1). */
  readonly secretStore?: { readonly secretProviderClass: string; readonly mountPath: string };
  /** Persistent volumes mounted read-write (a StatefulSet's volumeClaimTemplates, by claim name). */
  readonly persistentMounts?: readonly { readonly name: string; readonly mountPath: string }[];
  /** Pod template annotations, read at synthesis (callers may add to it until then). */
  readonly podAnnotations: { readonly [key: string]: string };
  /** `Always` for long-running pods; `Never` or `OnFailure` for a Job's. @default 'Always' */
  readonly restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  /** Spread the pods over zones and nodes (more than one replica). @default false */
  readonly spread?: boolean;
}

/**
 * The default requests and limits (see SecureServiceProps.resources): 100m CPU and 128Mi requested,
 * memory capped at 256Mi, no CPU limit.
 */
export const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
};

/** An image pinned by digest: its content never changes, so a cached copy is the same image. */
const DIGEST_PINNED = /@sha256:[0-9a-f]{64}$/;

/** The pod spread of more than one replica: soft, over zones, then nodes. */
export function topologySpread(app: string): ITopologySpreadConstraint[] {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    labelSelector: { matchLabels: { app } },
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
  }));
}

/** The pod template of a hardened workload (`spec.template` of its Deployment, StatefulSet or Job). */
export function hardenedPodTemplate(spec: HardenedPodSpec): IPodTemplateSpec {
  const volumeName = 'secret-store';
  const writable = (spec.writablePaths ?? []).map((mountPath, i) => ({ name: `writable-${i}`, mountPath }));
  const volumeMounts = [
    ...(spec.secretStore ? [{ mountPath: spec.secretStore.mountPath, name: volumeName, readOnly: true }] : []),
    ...writable.map((w) => ({ mountPath: w.mountPath, name: w.name })),
    ...(spec.persistentMounts ?? []).map((m) => ({ mountPath: m.mountPath, name: m.name })),
  ];
  const sizeLimit = spec.writablePathSizeLimit ? `${spec.writablePathSizeLimit.toMebibytes()}Mi` : undefined;
  const volumes = [
    ...(spec.secretStore ? [{
      name: volumeName,
      csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: spec.secretStore.secretProviderClass } },
    }] : []),
    ...writable.map((w) => ({ name: w.name, emptyDir: sizeLimit ? { sizeLimit } : {} })),
  ];
  return {
    metadata: {
      labels: { ...spec.podLabels },
      annotations: Lazy.any({
        produce: () => (Object.keys(spec.podAnnotations).length > 0 ? { ...spec.podAnnotations } : undefined),
      }) as unknown as { [key: string]: string },
    },
    spec: {
      automountServiceAccountToken: spec.automountServiceAccountToken,
      containers: [{
        name: spec.name,
        image: spec.image,
        // A digest never changes content, so pulling again only adds registry round trips; a tag (admitted by an exception) can move.
        imagePullPolicy: DIGEST_PINNED.test(spec.image) ? 'IfNotPresent' : 'Always',
        args: spec.args ? [...spec.args] : undefined,
        env: envVars(spec.env),
        // A workload that only calls declares no container port.
        ...(spec.containerPorts.length ? { ports: spec.containerPorts.map((p) => ({ containerPort: p.containerPort, name: p.name })) } : {}),
        resources: resourceRequirements(spec.resources ?? DEFAULT_RESOURCES),
        readinessProbe: spec.readinessProbe,
        livenessProbe: spec.livenessProbe,
        startupProbe: spec.startupProbe,
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
        },
        volumeMounts: volumeMounts.length > 0 ? volumeMounts : undefined,
      }],
      dnsPolicy: 'ClusterFirst',
      hostNetwork: false,
      restartPolicy: spec.restartPolicy ?? 'Always',
      securityContext: {
        fsGroup: spec.fsGroup,
        fsGroupChangePolicy: 'Always',
        runAsGroup: spec.runAsGroup,
        runAsNonRoot: true,
        runAsUser: spec.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      serviceAccountName: spec.serviceAccountName,
      setHostnameAsFQDN: false,
      terminationGracePeriodSeconds: 30,
      ...(spec.spread ? { topologySpreadConstraints: topologySpread(spec.podLabels.app) } : {}),
      volumes: volumes.length > 0 ? volumes : undefined,
    },
  };
}

function envVars(env: { readonly [name: string]: string } | undefined): { name: string; value: string }[] | undefined {
  const entries = Object.entries(env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length > 0 ? entries.map(([name, value]) => ({ name, value })) : undefined;
}

type Quantities = { [resource: string]: string };

/** Requests and limits as Kubernetes quantities, the way cdk8s-plus writes them (memory in Mi, ephemeral storage in Gi). */
export function resourceRequirements(r: kplus.ContainerResources): { limits?: Quantities; requests?: Quantities } | undefined {
  const pick = (which: 'limit' | 'request') => {
    const out: Quantities = {};
    const cpu = r.cpu?.[which]?.amount;
    const memory = r.memory?.[which];
    const storage = r.ephemeralStorage?.[which];
    if (cpu) out.cpu = cpu;
    if (memory) out.memory = `${memory.toMebibytes()}Mi`;
    if (storage) out['ephemeral-storage'] = `${storage.toGibibytes()}Gi`;
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const limits = pick('limit');
  const requests = pick('request');
  return limits || requests ? { limits, requests } : undefined;
}
