import { ApiObject, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';

/** What a SecureService's Deployment runs. */
export interface HardenedDeploymentSpec {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  /** Pod labels; `app` is also the Deployment's selector. */
  readonly podLabels: { readonly [key: string]: string };
  readonly serviceAccountName: string;
  readonly automountServiceAccountToken: boolean;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: { readonly [name: string]: string };
  readonly containerPorts: readonly { readonly name: string; readonly containerPort: number }[];
  /** Requests and limits; cdk8s-plus' defaults when absent. */
  readonly resources?: kplus.ContainerResources;
  /** A Secrets Store CSI volume mounted read-only (SECRET-1). */
  readonly secretStore?: { readonly secretProviderClass: string; readonly mountPath: string };
  /** Pod template annotations, read at synthesis (callers may add to it until then). */
  readonly podAnnotations: { readonly [key: string]: string };
}

/** cdk8s-plus' default requests and limits, which the library has always written. */
const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(1000), limit: kplus.Cpu.millis(1500) },
  memory: { request: Size.mebibytes(512), limit: Size.mebibytes(2048) },
};

/**
 * The Deployment of a SecureService, written as its manifest (POD-1, OPS-3): the pods run as
 * non-root with a read-only root filesystem, no privilege escalation, every capability dropped,
 * the RuntimeDefault seccomp profile, no host network, and no API token unless asked for.
 *
 * A plain ApiObject rather than a cdk8s-plus Deployment: the manifest is the same, but it costs
 * a fraction to build and render, which matters for blueprints of thousands of services.
 */
export function hardenedDeployment(scope: Construct, id: string, spec: HardenedDeploymentSpec): ApiObject {
  const volumeName = 'secret-store';
  // Typed with the Kubernetes API's own model, so a misspelt field is a compile error.
  const manifest: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      minReadySeconds: 0,
      progressDeadlineSeconds: 600,
      replicas: spec.replicas,
      selector: { matchLabels: { app: spec.podLabels.app } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
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
            imagePullPolicy: 'Always',
            args: spec.args ? [...spec.args] : undefined,
            env: envVars(spec.env),
            // A workload that only calls declares no container port.
            ...(spec.containerPorts.length ? { ports: spec.containerPorts.map((p) => ({ containerPort: p.containerPort, name: p.name })) } : {}),
            resources: resourceRequirements(spec.resources ?? DEFAULT_RESOURCES),
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
              privileged: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
            },
            volumeMounts: spec.secretStore ? [{ mountPath: spec.secretStore.mountPath, name: volumeName, readOnly: true }] : undefined,
          }],
          dnsPolicy: 'ClusterFirst',
          hostNetwork: false,
          restartPolicy: 'Always',
          securityContext: { fsGroupChangePolicy: 'Always', runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          serviceAccountName: spec.serviceAccountName,
          setHostnameAsFQDN: false,
          terminationGracePeriodSeconds: 30,
          volumes: spec.secretStore ? [{
            name: volumeName,
            csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: spec.secretStore.secretProviderClass } },
          }] : undefined,
        },
      },
    },
  };
  return new ApiObject(scope, id, manifest);
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
