import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { GATEWAY_READINESS_PATH } from './edge-health-checks';
import { objectName } from '../core/names';
import { reasonProblem } from '../policy/policy-exception';
import { checkDns1035Label } from '../validation/kubernetes-names';

/** Where WAF and DDoS protection is attached in front of an ingress gateway. */
export enum EdgeProtectionKind {
  /** A GKE Ingress (external Application Load Balancer) with a BackendConfig naming a Cloud Armor policy. */
  GKE_INGRESS_BACKEND_CONFIG = 'gke-ingress-backend-config',
  /** A GKE Gateway (Gateway API, Application Load Balancer) with a GCPBackendPolicy naming a Cloud Armor policy. */
  GKE_GATEWAY_BACKEND_POLICY = 'gke-gateway-backend-policy',
  /** Declared absent, with a reason. */
  NONE = 'none',
}

/** Options of the GKE Cloud Armor edge protections. */
export interface GkeCloudArmorOptions {
  /**
   * Name of the Cloud Armor backend security policy (a Compute Engine resource created with
   * gcloud, Terraform or Config Connector; this library only references it): 1-63 characters,
   * RFC 1035 (lower-case letters, digits and `-`, starting with a letter, not ending with `-`).
   */
  readonly securityPolicy: string;
  /**
   * Name of the gateway's Kubernetes Service (in the gateway namespace) that the load balancer
   * sends traffic to.
   *
   * @default 'istio-ingressgateway' - the Service Istio's gateway Helm chart installs
   */
  readonly serviceName?: string;
}

/** The Service every edge protection defaults to. */
export const DEFAULT_GATEWAY_SERVICE = 'istio-ingressgateway';

/** The annotation value of a Gateway whose edge protection was not declared. */
export const EDGE_PROTECTION_UNDECLARED = 'undeclared';

/** Annotation on the Gateway recording the edge protection (INGRESS-1): the kind, or `undeclared`. */
export const EDGE_PROTECTION_ANNOTATION = 'secure-mesh.cdk8s.io/edge-protection';
/** Annotation on the Gateway naming the Cloud Armor policy. */
export const CLOUD_ARMOR_POLICY_ANNOTATION = 'secure-mesh.cdk8s.io/cloud-armor-policy';
/** Annotation on the Gateway with the reason of `EdgeProtection.none`. */
export const EDGE_PROTECTION_REASON_ANNOTATION = 'secure-mesh.cdk8s.io/edge-protection-reason';

/**
 * WAF and DDoS protection at the edge, in front of an IngressGateway (INGRESS-1: Cloud Armor on
 * GKE).
 *
 * Cloud Armor backend security policies (WAF rules, rate limits, L7 DDoS defense) attach to the
 * backend service of a proxy load balancer, which GKE programs from Kubernetes objects in two
 * ways, each a factory here:
 *
 * - `gkeIngressBackendConfig`: a GKE Ingress (external Application Load Balancer) routes to the
 *   gateway's Service; a BackendConfig (cloud.google.com/v1) sets `securityPolicy.name` and the
 *   health check (HTTP on the status port, `/healthz/ready`: the gateway's readiness probe is not
 *   on its serving port, so GKE would not infer it). The Service must carry
 *   `cloud.google.com/neg: '{"ingress": true}'` (container-native load balancing: the load
 *   balancer reaches the pods directly), `cloud.google.com/backend-config: '{"default": "<name>"}'`
 *   and `cloud.google.com/app-protocols: '{"https": "HTTPS"}'` (the gateway terminates TLS on its
 *   https port). Istio's Helm chart installs that Service: put `IngressGateway.edgeServiceAnnotations`
 *   in its `service.annotations` value. Only the external Ingress supports Cloud Armor.
 * - `gkeGatewayBackendPolicy`: a GKE Gateway (gateway.networking.k8s.io, a GKE GatewayClass)
 *   whose HTTPRoute sends to the gateway's Service; a GCPBackendPolicy (networking.gke.io/v1,
 *   `default.securityPolicy`, `targetRef` to the Service) and a HealthCheckPolicy for the status
 *   port.
 *
 * Either way the Service should be `ClusterIP`: a `LoadBalancer` Service (the chart's default)
 * also gets an external passthrough Network Load Balancer whose address bypasses Cloud Armor.
 * When the Service is in the same app, synthesis checks both (its type and, for the Ingress, its
 * annotations).
 *
 * A passthrough Network Load Balancer (a `LoadBalancer` Service) cannot carry a backend security
 * policy: it does not terminate HTTP. Cloud Armor offers it advanced network DDoS protection and
 * network edge security policies (L3/L4 filters on addresses, ports, protocols; Cloud Armor
 * Enterprise required), attached to the load balancer's backend service outside Kubernetes; that
 * is not WAF, and `none(reason)` is the honest declaration there.
 *
 * Sources: https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration
 * (BackendConfig: Cloud Armor for the external Ingress, custom health checks),
 * https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources
 * (GCPBackendPolicy), https://cloud.google.com/armor/docs/network-edge-policies,
 * https://cloud.google.com/architecture/exposing-service-mesh-apps-through-gke-ingress.
 */
export class EdgeProtection {
  /** Cloud Armor through a GKE Ingress: writes a BackendConfig for the gateway's Service. */
  public static gkeIngressBackendConfig(options: GkeCloudArmorOptions): EdgeProtection {
    return EdgeProtection.cloudArmor(EdgeProtectionKind.GKE_INGRESS_BACKEND_CONFIG, 'gkeIngressBackendConfig', options);
  }

  /** Cloud Armor through a GKE Gateway: writes a GCPBackendPolicy and a HealthCheckPolicy for the gateway's Service. */
  public static gkeGatewayBackendPolicy(options: GkeCloudArmorOptions): EdgeProtection {
    return EdgeProtection.cloudArmor(EdgeProtectionKind.GKE_GATEWAY_BACKEND_POLICY, 'gkeGatewayBackendPolicy', options);
  }

  /**
   * No WAF in front of the gateway, on purpose: `reason` (a real sentence) says why and what
   * protects the edge instead (another provider's WAF in front, an internal-only gateway...).
   * It is recorded on the Gateway object.
   */
  public static none(reason: string): EdgeProtection {
    const text = typeof reason === 'string' ? reason.trim() : '';
    const problem = reasonProblem(text);
    if (problem) throw new Error(`EdgeProtection.none: ${problem[0]}. ${problem[1]}`);
    return new EdgeProtection(EdgeProtectionKind.NONE, undefined, undefined, text);
  }

  private static cloudArmor(kind: EdgeProtectionKind, factory: string, options: GkeCloudArmorOptions): EdgeProtection {
    const policy = options?.securityPolicy;
    const serviceName = options?.serviceName ?? DEFAULT_GATEWAY_SERVICE;
    const problems: string[] = [];
    if (typeof policy !== 'string' || policy.length === 0) {
      problems.push('securityPolicy is required: name the Cloud Armor security policy');
    } else if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(policy) || policy.length > 63) {
      problems.push(`securityPolicy "${policy}" is not a Compute Engine resource name: 1-63 characters, lower-case letters, digits and "-", `
        + 'starting with a letter and not ending with "-" (RFC 1035)');
    }
    problems.push(...checkDns1035Label(String(serviceName)).map((p) => `serviceName "${serviceName}" ${p}`));
    if (problems.length > 0) throw new Error(`EdgeProtection.${factory}: ${problems.join('; ')}`);
    return new EdgeProtection(kind, policy, serviceName, undefined);
  }

  /** Where the protection is attached. */
  public readonly kind: EdgeProtectionKind;
  /** The Cloud Armor security policy (GKE kinds). */
  public readonly securityPolicy?: string;
  /** The gateway's Service (GKE kinds). */
  public readonly serviceName?: string;
  /** Why there is none (`NONE`). */
  public readonly reason?: string;

  private constructor(kind: EdgeProtectionKind, securityPolicy?: string, serviceName?: string, reason?: string) {
    this.kind = kind;
    this.securityPolicy = securityPolicy;
    this.serviceName = serviceName;
    this.reason = reason;
  }
}

/** What the gateway writes for its edge protection. */
export interface EdgeProtectionOutput {
  /** Annotations for the Gateway object (the audit trail). */
  readonly gatewayAnnotations: { [key: string]: string };
  /** Annotations the gateway's Service must carry (empty when none are needed). */
  readonly serviceAnnotations: { [key: string]: string };
}

interface GatewayContext {
  readonly gatewayName: string;
  readonly namespace: string;
  readonly statusPort: number;
}

/** Writes the objects of `protection` (none when undefined or NONE) and returns the annotations. */
export function renderEdgeProtection(scope: Construct, protection: EdgeProtection | undefined, gw: GatewayContext): EdgeProtectionOutput {
  if (protection === undefined) return { gatewayAnnotations: { [EDGE_PROTECTION_ANNOTATION]: EDGE_PROTECTION_UNDECLARED }, serviceAnnotations: {} };
  if (protection.kind === EdgeProtectionKind.NONE) {
    return {
      gatewayAnnotations: { [EDGE_PROTECTION_ANNOTATION]: EdgeProtectionKind.NONE, [EDGE_PROTECTION_REASON_ANNOTATION]: protection.reason! },
      serviceAnnotations: {},
    };
  }
  const gatewayAnnotations = { [EDGE_PROTECTION_ANNOTATION]: protection.kind, [CLOUD_ARMOR_POLICY_ANNOTATION]: protection.securityPolicy! };
  const metadata = (name: string) => ({ name, namespace: gw.namespace });
  const backendName = objectName([gw.gatewayName, 'backend']);
  if (protection.kind === EdgeProtectionKind.GKE_INGRESS_BACKEND_CONFIG) {
    new ApiObject(scope, 'BackendConfig', {
      apiVersion: 'cloud.google.com/v1',
      kind: 'BackendConfig',
      metadata: metadata(backendName),
      spec: {
        securityPolicy: { name: protection.securityPolicy },
        healthCheck: { type: 'HTTP', port: gw.statusPort, requestPath: GATEWAY_READINESS_PATH },
      },
    });
    return { gatewayAnnotations, serviceAnnotations: ingressServiceAnnotations(backendName) };
  }
  const targetRef = { group: '', kind: 'Service', name: protection.serviceName };
  new ApiObject(scope, 'GCPBackendPolicy', {
    apiVersion: 'networking.gke.io/v1',
    kind: 'GCPBackendPolicy',
    metadata: metadata(backendName),
    spec: { targetRef, default: { securityPolicy: protection.securityPolicy } },
  });
  new ApiObject(scope, 'HealthCheckPolicy', {
    apiVersion: 'networking.gke.io/v1',
    kind: 'HealthCheckPolicy',
    metadata: metadata(objectName([gw.gatewayName, 'health-check'])),
    spec: {
      targetRef,
      default: {
        config: {
          type: 'HTTP',
          httpHealthCheck: { portSpecification: 'USE_FIXED_PORT', port: gw.statusPort, requestPath: GATEWAY_READINESS_PATH },
        },
      },
    },
  });
  return { gatewayAnnotations, serviceAnnotations: {} };
}

function ingressServiceAnnotations(backendConfigName: string): { [key: string]: string } {
  return {
    'cloud.google.com/app-protocols': JSON.stringify({ https: 'HTTPS' }),
    'cloud.google.com/backend-config': JSON.stringify({ default: backendConfigName }),
    'cloud.google.com/neg': JSON.stringify({ ingress: true }),
  };
}

/**
 * Problems of the gateway's Service when the app writes it too: a `LoadBalancer` type (a
 * passthrough load balancer that bypasses Cloud Armor) and, for the Ingress, missing or different
 * NEG and BackendConfig annotations.
 */
export function edgeServiceProblems(root: IConstruct, protection: EdgeProtection | undefined, namespace: string,
  serviceAnnotations: { [key: string]: string }): string[] {
  if (!protection || protection.kind === EdgeProtectionKind.NONE) return [];
  const services = root.node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Service' && c.apiVersion === 'v1')
    .filter((o) => o.name === protection.serviceName && (o.metadata.namespace ?? 'default') === namespace);
  const problems: string[] = [];
  for (const svc of services) {
    const manifest = svc.toJson();
    const where = `Service ${namespace}/${protection.serviceName} (${svc.node.path})`;
    if (manifest.spec?.type === 'LoadBalancer') {
      problems.push(`${where} is a LoadBalancer: its passthrough load balancer bypasses Cloud Armor. Make it ClusterIP (Helm value service.type)`);
    }
    if (protection.kind !== EdgeProtectionKind.GKE_INGRESS_BACKEND_CONFIG) continue;
    const annotations: { [key: string]: unknown } = manifest.metadata?.annotations ?? {};
    const neg = parseJson(annotations['cloud.google.com/neg']);
    if (neg?.ingress !== true) {
      problems.push(`${where} lacks cloud.google.com/neg: {"ingress": true}, so the Ingress does not use NEGs. Add IngressGateway.edgeServiceAnnotations to it`);
    }
    const wanted = JSON.parse(serviceAnnotations['cloud.google.com/backend-config']).default;
    const backend = parseJson(annotations['cloud.google.com/backend-config']);
    const named = backend ? [backend.default, ...Object.values(backend.ports ?? {})] : [];
    if (!named.includes(wanted)) {
      problems.push(`${where} does not name BackendConfig ${wanted} in cloud.google.com/backend-config, so Cloud Armor is not attached. `
        + 'Add IngressGateway.edgeServiceAnnotations to it');
    }
  }
  return problems;
}

function parseJson(value: unknown): any {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
