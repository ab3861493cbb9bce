import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import {
  CEL_IN_AMBIENT_NAMESPACE, celForPodMetadata, celOutsideZtunnel, inAmbientNamespace, outsideZtunnel,
} from './ambient-namespaces';
import { NETWORKING_GROUP, POD_RESOURCES, asMap, celString, isNonEmptyList, isSet, pathOf, podMetadata, specOf } from './mesh-shared';
import { POD_KINDS, celIsKind } from './workload-pod-specs';

/** Annotation key prefixes only a sidecar reads (its injector, its pilot-agent, its iptables set-up). */
export const SIDECAR_ONLY_ANNOTATION_PREFIXES: readonly string[] = ['sidecar.istio.io/', 'traffic.sidecar.istio.io/'];
/** Annotation keys only a sidecar reads besides those prefixes. */
export const SIDECAR_ONLY_ANNOTATIONS: readonly string[] = ['proxy.istio.io/config'];

/** Whether an annotation key is one only a sidecar reads. */
export function isSidecarOnlyAnnotation(key: string): boolean {
  return SIDECAR_ONLY_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)) || SIDECAR_ONLY_ANNOTATIONS.includes(key);
}

/** What the author of a sidecar-only annotation expected, and what happens instead in ambient. */
function annotationEffect(key: string): string {
  if (key.startsWith('traffic.sidecar.istio.io/')) {
    return 'no sidecar redirects its traffic and ztunnel captures every port and address, so the ports or ranges it names are neither '
      + 'excluded from nor limited to the mesh';
  }
  if (key === 'sidecar.istio.io/inject') return 'no sidecar is injected whatever it says, and the pod stays captured by ztunnel';
  if (key === 'proxy.istio.io/config') return 'ztunnel and waypoints take no per-pod proxy configuration';
  return 'no sidecar reads it';
}

/** What a Sidecar object declares, for messages. */
function sidecarDeclares(spec: { readonly [key: string]: unknown }): string {
  const parts: string[] = [];
  if (isSet(spec.outboundTrafficPolicy)) parts.push('outboundTrafficPolicy');
  if (isNonEmptyList(spec.egress)) parts.push('egress hosts');
  if (isNonEmptyList(spec.ingress)) parts.push('ingress listeners');
  if (isSet(spec.inboundConnectionPool)) parts.push('inboundConnectionPool');
  return parts.length > 0 ? `the ${parts.join(', ')} it declares restrict nothing` : 'it configures nothing';
}

/**
 * MESH-AMBIENT-003 (EXC-1, EGRESS-1, OPS-1): an ambient namespace carries no sidecar-only
 * configuration: no `Sidecar` object, and no pod (Pod or pod template) with `sidecar.istio.io/*`,
 * `traffic.sidecar.istio.io/*` or `proxy.istio.io/config` annotations.
 *
 * Ambient pods have no sidecar: ztunnel captures all their traffic in the pod's network namespace
 * and a waypoint handles L7. Nothing reads a Sidecar resource or these annotations for them
 * (istio.io docs/ambient; Istio's own analyzer reports a Sidecar in an ambient namespace as an
 * "IneffectivePolicy"). The configuration is inert, but its author believes something is in place:
 * an egress restriction (Sidecar `egress`, `outboundTrafficPolicy: REGISTRY_ONLY`,
 * `traffic.sidecar.istio.io/includeOutboundIPRanges`) that restricts nothing, or a bypass or
 * exception (`excludeInboundPorts`, `excludeOutboundIPRanges`, `sidecar.istio.io/inject: "false"`)
 * that does not happen, and which an EXC-1 PolicyException may even be recorded for.
 *
 * Severity WARNING, not ERROR: the pods keep ztunnel's mTLS and L4 authorization whatever these
 * say, an intended bypass fails closed (the traffic stays in the mesh), and the egress
 * restrictions a Sidecar expresses are held in ambient by the namespace's default-deny
 * NetworkPolicies (NETPOL-1, EGRESS-1), not by the Sidecar. The finding corrects a false belief
 * rather than closing a hole; and refusing, at admission, every third-party chart that carries a
 * harmless `sidecar.istio.io/proxyCPU` would block installs for no security gain.
 *
 * What is allowed after it: this configuration on sidecar pods of an ambient namespace (pod label
 * `sidecar.istio.io/inject: "true"`, or annotation `sidecar.istio.io/status`), on the waypoint and
 * gateway pods Istio deploys (label `gateway.networking.k8s.io/gateway-name`), and anywhere in a
 * namespace that is not ambient or that also injects sidecars. Not covered: `status.sidecar.istio.io/*`,
 * `readiness.status.sidecar.istio.io/*` and `inject.istio.io/templates` (equally inert, but they
 * neither restrict nor except anything); EnvoyFilters selecting ambient pods; annotations on a
 * workload's own metadata (pods never see them); a Sidecar whose workloadSelector picks only sidecar
 * pods of the namespace (declare a PolicyException).
 */
export const MESH_AMBIENT_003: PolicyRule = {
  id: 'MESH-AMBIENT-003',
  practices: ['EXC-1', 'EGRESS-1', 'OPS-1'],
  severity: RuleSeverity.WARNING,
  since: '2',
  kinds: [...POD_KINDS, kindKey(NETWORKING_GROUP, 'Sidecar')],
  title: 'Ambient namespaces carry no sidecar-only configuration (Sidecar objects, sidecar.istio.io/* or traffic.sidecar.istio.io/* annotations, proxy.istio.io/config)',
  explanation:
    'Ambient pods have no sidecar, so nothing reads a Sidecar object or the sidecar.istio.io/*, traffic.sidecar.istio.io/* and '
    + 'proxy.istio.io/config annotations for them. Their author believes a restriction is in place (Sidecar egress hosts, '
    + 'REGISTRY_ONLY, includeOutboundIPRanges) that restricts nothing, or a bypass or exception (excludeInboundPorts, '
    + 'excludeOutboundIPRanges, inject "false") that does not happen.',
  fix:
    'Remove the Sidecar object and the annotations. Restrict egress with NetworkPolicies (the ambient HardenedNamespace writes a default '
    + 'deny); opt a pod out of ambient only with istio.io/dataplane-mode: none, which MESH-AMBIENT-004 requires a '
    + 'PolicyException for. If the pod is meant to run a sidecar, label it sidecar.istio.io/inject: "true".',
  check(object, context) {
    if (!inAmbientNamespace(object, context)) return [];
    const namespace = object.metadata?.namespace;
    if (isKind(object, NETWORKING_GROUP, 'Sidecar')) {
      return [{
        path: '',
        message: `Sidecar in ambient namespace ${namespace} does nothing for its ambient pods (ztunnel and waypoints ignore Sidecar objects): `
          + `${sidecarDeclares(specOf(object))}`,
      }];
    }
    const pod = podMetadata(object);
    if (!pod || outsideZtunnel(pod.metadata)) return [];
    const annotations = asMap(pod.metadata?.annotations);
    if (!annotations) return [];
    const violations: RuleViolation[] = [];
    for (const key of Object.keys(annotations)) {
      if (!isSidecarOnlyAnnotation(key)) continue;
      violations.push({
        path: pathOf(`${pod.path}.annotations`, key),
        message: `annotation ${key} on a pod of ambient namespace ${namespace} does nothing: ${annotationEffect(key)}`,
      });
    }
    return violations;
  },
  admission: {
    resources: [...POD_RESOURCES, { apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['sidecars'] }],
    expression: `!(${CEL_IN_AMBIENT_NAMESPACE}) || (${celIsKind(NETWORKING_GROUP, ['Sidecar'])} ? false : (${celForPodMetadata((m) => `${celOutsideZtunnel(m)}`
      + ` || !has(${m}.annotations) || !${m}.annotations.exists(k, ${[
        ...SIDECAR_ONLY_ANNOTATION_PREFIXES.map((p) => `k.startsWith(${celString(p)})`),
        ...SIDECAR_ONLY_ANNOTATIONS.map((a) => `k == ${celString(a)}`),
      ].join(' || ')})`)}))`,
    message: 'MESH-AMBIENT-003 (EXC-1, EGRESS-1, OPS-1): in an ambient namespace Sidecar objects and sidecar.istio.io/*, traffic.sidecar.istio.io/* '
      + 'and proxy.istio.io/config pod annotations do nothing (no sidecar reads them): remove them, or label the pod sidecar.istio.io/inject: "true"',
  },
};
