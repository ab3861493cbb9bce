import { DATAPLANE_MODE_LABEL } from '../../mesh/data-plane';
import { PolicyRule, RuleSeverity } from '../rule';
import {
  CEL_IN_AMBIENT_NAMESPACE, DATAPLANE_MODE_NONE, celForPodMetadata, celOutsideZtunnel, inAmbientNamespace, outsideZtunnel,
} from './ambient-namespaces';
import { POD_RESOURCES, asMap, celString, pathOf, podMetadata } from './mesh-shared';
import { POD_KINDS } from './workload-pod-specs';

/**
 * MESH-AMBIENT-004 (MTLS-1, EXC-1): no pod of an ambient namespace opts out of ambient with
 * `istio.io/dataplane-mode: none`.
 *
 * The label on a pod (a Pod, or the pod template of a Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, Job, CronJob or ReplicationController) makes the Istio CNI leave it out of ztunnel
 * (istio.io docs/ambient/usage/add-workloads, "Pod selection logic"; the CNI's enablement
 * selector matches pods of an ambient namespace whose label is "NotIn [none]"). The pod then has no
 * mesh at all: it sends and accepts plaintext, has no workload identity, and no
 * AuthorizationPolicy applies to it; only NetworkPolicies stand between it and the network. It is
 * the ambient form of `sidecar.istio.io/inject: "false"` (MESH-INJ-001).
 *
 * What is allowed after it: sidecar pods of the namespace (label `sidecar.istio.io/inject:
 * "true"` or annotation `sidecar.istio.io/status`: the sidecar gives them mTLS) and the waypoint
 * and gateway pods Istio deploys (label `gateway.networking.k8s.io/gateway-name`: Istio labels
 * them `none` itself, they are Envoy proxies with their own identity); any other value of the
 * label (only `none` opts out); pods of namespaces that are not ambient. Not covered: host-network
 * pods (also never captured; POD-HOST-001 refuses hostNetwork); the label on a
 * workload's own metadata (pods never get it).
 */
export const MESH_AMBIENT_004: PolicyRule = {
  id: 'MESH-AMBIENT-004',
  practices: ['MTLS-1', 'EXC-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [...POD_KINDS],
  title: 'No pod of an ambient namespace opts out of ambient (istio.io/dataplane-mode: none) unless it runs a sidecar',
  explanation:
    'A pod labelled istio.io/dataplane-mode: none in an ambient namespace is left out of ztunnel: it sends and accepts plaintext, '
    + 'has no workload identity, and no AuthorizationPolicy applies to it, so anything the network lets through reaches it. It is the '
    + 'ambient form of turning sidecar injection off.',
  fix:
    'Remove the label so ztunnel captures the pod. When a workload truly cannot be in the mesh, declare a PolicyException with a '
    + 'justification, an owner and an expiry, make its traffic natively encrypted and authenticated, and narrow it with a NetworkPolicy; '
    + 'a pod that must run a sidecar instead is labelled sidecar.istio.io/inject: "true".',
  check(object, context) {
    if (!inAmbientNamespace(object, context)) return [];
    const pod = podMetadata(object);
    if (!pod || outsideZtunnel(pod.metadata)) return [];
    if (asMap(pod.metadata?.labels)?.[DATAPLANE_MODE_LABEL] !== DATAPLANE_MODE_NONE) return [];
    return [{
      path: pathOf(`${pod.path}.labels`, DATAPLANE_MODE_LABEL),
      message: `label ${DATAPLANE_MODE_LABEL}: ${DATAPLANE_MODE_NONE} takes this pod of ambient namespace ${object.metadata?.namespace} out of ztunnel: `
        + 'no mTLS, no workload identity, no authorization policy',
    }];
  },
  admission: {
    resources: POD_RESOURCES,
    expression: `!(${CEL_IN_AMBIENT_NAMESPACE}) || (${celForPodMetadata((m) => `${celOutsideZtunnel(m)} || !(has(${m}.labels)`
      + ` && ${celString(DATAPLANE_MODE_LABEL)} in ${m}.labels && ${m}.labels[${celString(DATAPLANE_MODE_LABEL)}] == ${celString(DATAPLANE_MODE_NONE)})`)})`,
    message: 'MESH-AMBIENT-004 (MTLS-1, EXC-1): a pod of an ambient namespace must not opt out with istio.io/dataplane-mode: none '
      + '(no mTLS, no authorization) unless it runs a sidecar; use a PolicyException',
  },
};
