import {
  CLOUD_ARMOR_POLICY_ANNOTATION, EDGE_PROTECTION_ANNOTATION, EDGE_PROTECTION_REASON_ANNOTATION, EDGE_PROTECTION_UNDECLARED, EdgeProtectionKind,
} from '../../mesh/edge-protection';
import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP, asMap, celHas, celString, celStrings, pathOf } from './mesh-shared';
import { celIsKind } from './workload-pod-specs';

/** The edge protections that attach Cloud Armor, and so name its policy. */
const CLOUD_ARMOR_KINDS: readonly string[] = [EdgeProtectionKind.GKE_INGRESS_BACKEND_CONFIG, EdgeProtectionKind.GKE_GATEWAY_BACKEND_POLICY];

/** Whether `value` is a string with something other than white space. */
function isWritten(value: unknown): boolean {
  return typeof value === 'string' && /\S/.test(value);
}

const ANNOTATIONS = 'metadata.annotations';

/**
 * MESH-INGRESS-003 (INGRESS-1): an ingress Gateway declares its WAF/DDoS protection at the edge.
 *
 * IngressGateway records its `edgeProtection` on the Istio Gateway it writes, in the annotation
 * `secure-mesh.cdk8s.io/edge-protection`: `gke-ingress-backend-config` or
 * `gke-gateway-backend-policy` (Cloud Armor, with the policy in
 * `secure-mesh.cdk8s.io/cloud-armor-policy`), `none` (with the reason in
 * `secure-mesh.cdk8s.io/edge-protection-reason`), or `undeclared` when the prop was not given.
 * This rule reports the gap: `undeclared`, a value that is none of the known kinds, `none`
 * without a reason, a Cloud Armor kind without its policy name. A WARNING: the edge may well be
 * protected outside Kubernetes (a WAF provider in front, a Terraform-managed load balancer), and
 * apps off GKE must still synthesize; the warning keeps the missing declaration visible.
 *
 * What is allowed after it: a Gateway without the annotation. The annotation is the library's own
 * record, and only IngressGateway writes it; EgressGateway's Gateways, east-west and mesh-internal
 * gateways, and Gateways written by hand (all three Istio Gateways of the external corpus: the
 * bookinfo, httpbin and Online Boutique samples) carry none. From a Gateway alone the rule cannot
 * tell whether it faces the internet (that depends on the Service and load balancer, often outside
 * the app) nor whether something protects it, so reporting them would be noise. The rule does not
 * check that the Cloud Armor objects exist or that the policy is attached: IngressGateway's own
 * validations check the Service it can see, and the policy itself is cloud infrastructure.
 */
export const MESH_INGRESS_003: PolicyRule = {
  id: 'MESH-INGRESS-003',
  practices: ['INGRESS-1'],
  severity: RuleSeverity.WARNING,
  since: '2',
  kinds: [kindKey(NETWORKING_GROUP, 'Gateway')],
  title: 'Ingress gateways declare their WAF/DDoS protection at the edge (no edge-protection: undeclared)',
  explanation:
    'An ingress gateway takes requests from the internet. Without WAF and DDoS protection in front of it (Cloud Armor on GKE), '
    + 'application-layer attacks and request floods reach the gateway and the services behind it unfiltered. A Gateway annotated '
    + `${EDGE_PROTECTION_ANNOTATION}: ${EDGE_PROTECTION_UNDECLARED} comes from an IngressGateway whose edgeProtection was never `
    + 'decided: nobody has said whether the edge is protected, or why it need not be.',
  fix:
    'Give the IngressGateway edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy }) (a GKE Ingress with a '
    + 'BackendConfig naming the Cloud Armor policy), EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy }) (a GKE Gateway with '
    + 'a GCPBackendPolicy), or EdgeProtection.none(\'reason\') when something else protects the edge or the gateway is not exposed '
    + `(another provider's WAF in front, an internal-only gateway). On a Gateway written by hand, set ${EDGE_PROTECTION_ANNOTATION} `
    + `to one of ${Object.values(EdgeProtectionKind).join(', ')} with ${CLOUD_ARMOR_POLICY_ANNOTATION} or, for none, `
    + `${EDGE_PROTECTION_REASON_ANNOTATION}. No PolicyException is needed: none(reason) is the declared answer.`,
  check(object) {
    if (!isKind(object, NETWORKING_GROUP, 'Gateway')) return [];
    const annotations = asMap(asMap(object.metadata)?.annotations);
    if (!annotations || !Object.prototype.hasOwnProperty.call(annotations, EDGE_PROTECTION_ANNOTATION)) return [];
    const value = annotations[EDGE_PROTECTION_ANNOTATION];
    const at = (key: string, message: string): RuleViolation[] => [{ path: pathOf(ANNOTATIONS, key), message }];
    if (value === EDGE_PROTECTION_UNDECLARED) {
      return at(EDGE_PROTECTION_ANNOTATION, 'the gateway declares no WAF/DDoS protection at the edge (edgeProtection was not given)');
    }
    if (value === EdgeProtectionKind.NONE) {
      return isWritten(annotations[EDGE_PROTECTION_REASON_ANNOTATION]) ? []
        : at(EDGE_PROTECTION_REASON_ANNOTATION, 'the gateway declares no edge protection (none) without saying why');
    }
    if (typeof value === 'string' && CLOUD_ARMOR_KINDS.includes(value)) {
      return isWritten(annotations[CLOUD_ARMOR_POLICY_ANNOTATION]) ? []
        : at(CLOUD_ARMOR_POLICY_ANNOTATION, `the gateway declares ${value} but names no Cloud Armor security policy`);
    }
    return at(EDGE_PROTECTION_ANNOTATION, `${JSON.stringify(value) ?? String(value)} is not a known edge protection `
      + `(${Object.values(EdgeProtectionKind).join(', ')}), so none is declared`);
  },
  admission: {
    resources: [{ apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['gateways'] }],
    expression: (() => {
      const a = `object.${ANNOTATIONS}`;
      const value = `${a}[${celString(EDGE_PROTECTION_ANNOTATION)}]`;
      const written = (key: string) => `(${celString(key)} in ${a} && ${a}[${celString(key)}].matches('\\\\S'))`;
      return `!${celIsKind(NETWORKING_GROUP, ['Gateway'])} || !${celHas(a)} || !(${celString(EDGE_PROTECTION_ANNOTATION)} in ${a}) `
        + `|| (${value} == ${celString(EdgeProtectionKind.NONE)} && ${written(EDGE_PROTECTION_REASON_ANNOTATION)}) `
        + `|| (${value} in ${celStrings(CLOUD_ARMOR_KINDS)} && ${written(CLOUD_ARMOR_POLICY_ANNOTATION)})`;
    })(),
    message: `MESH-INGRESS-003 (INGRESS-1): the Gateway declares no WAF/DDoS protection at the edge (${EDGE_PROTECTION_ANNOTATION} is `
      + `${EDGE_PROTECTION_UNDECLARED} or unknown, or its reason or Cloud Armor policy is missing): give IngressGateway edgeProtection `
      + '(EdgeProtection.gkeIngressBackendConfig, gkeGatewayBackendPolicy or none(reason))',
  },
};
