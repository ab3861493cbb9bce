import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HardenedPodSpec, hardenedPodTemplate } from './pod-template';

/** What a SecureService's Deployment runs: the hardened pod and how many replicas. */
export interface HardenedDeploymentSpec extends HardenedPodSpec {
  readonly namespace: string;
  readonly replicas: number;
}

/**
 * The Deployment of a SecureService, written as its manifest around the hardened pod (POD-1,
 * OPS-3); more than one replica spreads over zones and nodes.
 *
 * A plain ApiObject rather than a cdk8s-plus Deployment: the manifest is the same, but it costs
 * a fraction to build and render, which matters for blueprints of thousands of services.
 */
export function hardenedDeployment(scope: Construct, id: string, spec: HardenedDeploymentSpec): ApiObject {
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
      template: hardenedPodTemplate({ ...spec, spread: spec.replicas > 1 }),
    },
  };
  return new ApiObject(scope, id, manifest);
}

/**
 * The PodDisruptionBudget of a workload of more than one replica: a voluntary disruption (a node
 * drain, a cluster upgrade) evicts at most one of its pods at a time. `AlwaysAllow` lets a drain
 * evict pods that are not ready anyway (crash-looping), so a broken release cannot block it.
 */
export function podDisruptionBudget(scope: Construct, id: string, name: string, namespace: string, app: string): ApiObject {
  const manifest: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { maxUnavailable: 1, selector: { matchLabels: { app } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  };
  return new ApiObject(scope, id, manifest);
}
