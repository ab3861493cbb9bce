import { ApiObject, Testing } from 'cdk8s';
import { unknownKindIssues } from '../../src/audit/manifest-loader';
import { EdgeProtection, EdgeProtectionKind } from '../../src/mesh/edge-protection';
import { GatewayTls } from '../../src/mesh/gateway-tls';
import { IngressGateway, IngressGatewayProps } from '../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { Validation } from '../../src/validation/validation';
import { findObject, ofKind, synthValidated } from '../helpers';

const GKE_KINDS = ['BackendConfig', 'GCPBackendPolicy', 'HealthCheckPolicy'];

function world(props: Partial<IngressGatewayProps> = {}) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const gw = new IngressGateway(chart, 'edge', { hosts: ['shop.acme.example'], tls: GatewayTls.simple('shop-tls'), ...props });
  return { chart, gw };
}

/** The objects the harness refuses, as `Kind/ns/name path: rule`. */
function refused(objects: any[]): string[] {
  return Validation.validateManifests(objects).map((f) => `${f.object} ${f.path}: ${f.rule}`);
}

/** The synthesized objects with `edit` applied to a deep copy of the one object of `kind`. */
function withEdited(objects: any[], kind: string, edit: (o: any) => void): any[] {
  return objects.map((o) => {
    if (o.kind !== kind) return o;
    const copy = JSON.parse(JSON.stringify(o));
    edit(copy);
    return copy;
  });
}

/** A Service for the gateway, as an app that manages it itself would write it. */
function gatewayService(chart: any, type: string, annotations: { [k: string]: string } = {}) {
  return new ApiObject(chart, 'gateway-service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', annotations },
    spec: { type, selector: { istio: 'ingressgateway' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }, { name: 'http', port: 80, targetPort: 8080 }] },
  });
}

describe('EdgeProtection (INGRESS-1: WAF/DDoS at the edge)', () => {
  test('GKE Ingress: a BackendConfig with the Cloud Armor policy and the status-port health check; the Service annotations to add', () => {
    const { chart, gw } = world({ edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf' }) });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'BackendConfig', 'edge-backend', 'istio-system')).toEqual({
      apiVersion: 'cloud.google.com/v1',
      kind: 'BackendConfig',
      metadata: { name: 'edge-backend', namespace: 'istio-system' },
      spec: {
        securityPolicy: { name: 'edge-waf' },
        healthCheck: { type: 'HTTP', port: 15021, requestPath: '/healthz/ready' },
      },
    });
    expect(gw.edgeServiceAnnotations).toEqual({
      'cloud.google.com/app-protocols': '{"https":"HTTPS"}',
      'cloud.google.com/backend-config': '{"default":"edge-backend"}',
      'cloud.google.com/neg': '{"ingress":true}',
    });
    expect(findObject(objects, 'Gateway', 'edge', 'istio-system').metadata.annotations).toEqual({
      'secure-mesh.cdk8s.io/edge-protection': 'gke-ingress-backend-config',
      'secure-mesh.cdk8s.io/cloud-armor-policy': 'edge-waf',
    });
    expect(ofKind(objects, 'GCPBackendPolicy')).toEqual([]);
  });

  test('the BackendConfig health check follows statusPort (the port the health-check NetworkPolicy opens)', () => {
    const { chart } = world({ statusPort: 15030, edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf' }) });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'BackendConfig', 'edge-backend', 'istio-system').spec.healthCheck.port).toBe(15030);
    expect(findObject(objects, 'NetworkPolicy', 'edge-lb-health-checks', 'istio-system').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 15030 }]);
  });

  test('GKE Gateway: a GCPBackendPolicy and a HealthCheckPolicy targeting the gateway Service', () => {
    const { chart, gw } = world({
      namespace: 'edge-gw', edgeProtection: EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'edge-waf', serviceName: 'shop-gateway' }),
    });
    const objects = synthValidated(chart);
    const targetRef = { group: '', kind: 'Service', name: 'shop-gateway' };
    expect(findObject(objects, 'GCPBackendPolicy', 'edge-backend', 'edge-gw')).toEqual({
      apiVersion: 'networking.gke.io/v1',
      kind: 'GCPBackendPolicy',
      metadata: { name: 'edge-backend', namespace: 'edge-gw' },
      spec: { targetRef, default: { securityPolicy: 'edge-waf' } },
    });
    expect(findObject(objects, 'HealthCheckPolicy', 'edge-health-check', 'edge-gw').spec).toEqual({
      targetRef,
      default: { config: { type: 'HTTP', httpHealthCheck: { portSpecification: 'USE_FIXED_PORT', port: 15021, requestPath: '/healthz/ready' } } },
    });
    expect(gw.edgeServiceAnnotations).toEqual({});
    expect(ofKind(objects, 'BackendConfig')).toEqual([]);
  });

  test('none(reason): nothing written, the reason recorded on the Gateway', () => {
    const reason = 'Internal-only gateway reached through the corporate VPN; the VPN provider filters traffic.';
    const { chart } = world({ edgeProtection: EdgeProtection.none(reason) });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'Gateway', 'edge', 'istio-system').metadata.annotations).toEqual({
      'secure-mesh.cdk8s.io/edge-protection': 'none',
      'secure-mesh.cdk8s.io/edge-protection-reason': reason,
    });
    expect(objects.filter((o) => GKE_KINDS.includes(o.kind))).toEqual([]);
  });

  test('undeclared: nothing written, the gap recorded on the Gateway', () => {
    const objects = synthValidated(world().chart);
    expect(findObject(objects, 'Gateway', 'edge', 'istio-system').metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/edge-protection': 'undeclared' });
  });

  test('the factories record what they were given', () => {
    const p = EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'a' });
    expect([p.kind, p.securityPolicy, p.serviceName, p.reason]).toEqual([EdgeProtectionKind.GKE_GATEWAY_BACKEND_POLICY, 'a', 'istio-ingressgateway', undefined]);
    const n = EdgeProtection.none('  The gateway sits behind another provider\'s WAF and DDoS scrubbing service.  ');
    expect([n.kind, n.reason]).toEqual([EdgeProtectionKind.NONE, 'The gateway sits behind another provider\'s WAF and DDoS scrubbing service.']);
  });

  describe('the validation harness serves the GKE kinds (hand-written schemas, schemas/gke-crds.json)', () => {
    const ingress = () => Testing.synth(world({ edgeProtection: EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf' }) }).chart);
    const gateway = () => Testing.synth(world({ edgeProtection: EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'edge-waf' }) }).chart);

    test('everything either factory writes passes, the GKE objects included', () => {
      for (const objects of [ingress(), gateway()]) {
        expect(objects.filter((o) => GKE_KINDS.includes(o.kind)).length).toBeGreaterThan(0);
        expect(() => Validation.assertValid(objects)).not.toThrow();
      }
    });

    test.each<[string, () => any[], string, (o: any) => void, string[]]>([
      ['BackendConfig: a misspelt field', ingress, 'BackendConfig', (o) => { o.spec.healthCheck.requestpath = o.spec.healthCheck.requestPath; delete o.spec.healthCheck.requestPath; },
        ['BackendConfig/istio-system/edge-backend spec.healthCheck.requestpath: unknown field']],
      ['BackendConfig: a wrong type', ingress, 'BackendConfig', (o) => { o.spec.healthCheck.port = String(o.spec.healthCheck.port); },
        ['BackendConfig/istio-system/edge-backend spec.healthCheck.port: type']],
      ['BackendConfig: a missing required field', ingress, 'BackendConfig', (o) => { delete o.spec.securityPolicy.name; },
        ['BackendConfig/istio-system/edge-backend spec.securityPolicy.name: required']],
      ['GCPBackendPolicy: a misspelt field', gateway, 'GCPBackendPolicy', (o) => { o.spec.default = { securityPolicies: 'edge-waf' }; },
        ['GCPBackendPolicy/istio-system/edge-backend spec.default.securityPolicies: unknown field']],
      ['GCPBackendPolicy: a wrong type (the BackendConfig shape)', gateway, 'GCPBackendPolicy', (o) => { o.spec.default.securityPolicy = { name: 'edge-waf' }; },
        ['GCPBackendPolicy/istio-system/edge-backend spec.default.securityPolicy: type']],
      ['GCPBackendPolicy: a missing required field', gateway, 'GCPBackendPolicy', (o) => { delete o.spec.targetRef; },
        ['GCPBackendPolicy/istio-system/edge-backend spec.targetRef: required']],
      ['HealthCheckPolicy: a misspelt field', gateway, 'HealthCheckPolicy', (o) => { o.spec.default.config.httpHealthCheck.portSpec = 'USE_FIXED_PORT'; },
        ['HealthCheckPolicy/istio-system/edge-health-check spec.default.config.httpHealthCheck.portSpec: unknown field']],
      ['HealthCheckPolicy: a wrong type', gateway, 'HealthCheckPolicy', (o) => { o.spec.default.config.httpHealthCheck.port = '15021'; },
        ['HealthCheckPolicy/istio-system/edge-health-check spec.default.config.httpHealthCheck.port: type']],
      ['HealthCheckPolicy: a missing required field', gateway, 'HealthCheckPolicy', (o) => { delete o.spec.targetRef.kind; },
        ['HealthCheckPolicy/istio-system/edge-health-check spec.targetRef.kind: required']],
      ['HealthCheckPolicy: a timeout longer than the default interval (CEL)', gateway, 'HealthCheckPolicy', (o) => { o.spec.default.timeoutSec = 10; },
        ['HealthCheckPolicy/istio-system/edge-health-check spec.default: !has(self.timeoutSec) || self.timeoutSec <= (has(self.checkIntervalSec) ? self.checkIntervalSec : 5)']],
    ])('refused with the path: %s', (_what, synth, kind, edit, expected) => {
      const objects = withEdited(synth(), kind, edit);
      expect(refused(objects)).toEqual(expected);
      expect(() => Validation.assertValid(objects)).toThrow(/1 manifest validation finding/);
    });

    test('the audit\'s manifest loader does not call them unknown kinds', () => {
      const manifests = [...ingress(), ...gateway()].map((object, documentIndex) => ({ object, file: 'edge.yaml', line: 1, documentIndex }));
      expect(manifests.filter((m) => GKE_KINDS.includes(m.object.kind)).length).toBe(3);
      expect(unknownKindIssues(manifests)).toEqual([]);
    });
  });

  describe('the gateway Service, when the app writes it too', () => {
    const ingress = () => EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'edge-waf' });

    test('annotated as edgeServiceAnnotations and ClusterIP: synthesis passes', () => {
      const { chart, gw } = world({ edgeProtection: ingress() });
      gatewayService(chart, 'ClusterIP', gw.edgeServiceAnnotations);
      expect(findObject(synthValidated(chart), 'Service', 'istio-ingressgateway', 'istio-system').metadata.annotations['cloud.google.com/neg']).toBe('{"ingress":true}');
    });

    test('a per-port BackendConfig reference is accepted too', () => {
      const { chart, gw } = world({ edgeProtection: ingress() });
      gatewayService(chart, 'ClusterIP', { ...gw.edgeServiceAnnotations, 'cloud.google.com/backend-config': '{"ports": {"443": "edge-backend"}}' });
      expect(() => synthValidated(chart)).not.toThrow();
    });

    test('a LoadBalancer Service bypasses Cloud Armor: synthesis fails', () => {
      const { chart, gw } = world({ edgeProtection: ingress() });
      gatewayService(chart, 'LoadBalancer', gw.edgeServiceAnnotations);
      expect(() => Testing.synth(chart)).toThrow(
        /\[test\/edge\] edgeProtection: Service istio-system\/istio-ingressgateway \(test\/gateway-service\) is a LoadBalancer: its passthrough load balancer bypasses Cloud Armor\. Make it ClusterIP/);
    });

    test('the same for the GKE Gateway', () => {
      const { chart } = world({ edgeProtection: EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'edge-waf' }) });
      gatewayService(chart, 'LoadBalancer');
      expect(() => Testing.synth(chart)).toThrow(/is a LoadBalancer: its passthrough load balancer bypasses Cloud Armor/);
    });

    test('missing NEG and BackendConfig annotations: synthesis fails, naming both', () => {
      const { chart } = world({ edgeProtection: ingress() });
      gatewayService(chart, 'ClusterIP', { 'cloud.google.com/backend-config': '{"default": "other"}' });
      expect(() => Testing.synth(chart)).toThrow(/lacks cloud.google.com\/neg: \{"ingress": true\}/);
      expect(() => Testing.synth(chart)).toThrow(/does not name BackendConfig edge-backend in cloud.google.com\/backend-config, so Cloud Armor is not attached/);
    });

    test('a Service of the same name in another namespace is not the gateway\'s', () => {
      const { chart } = world({ edgeProtection: ingress() });
      new ApiObject(chart, 'elsewhere', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-ingressgateway', namespace: 'shop' }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } });
      expect(() => synthValidated(chart)).not.toThrow();
    });
  });

  describe('guards', () => {
    test.each([
      ['no policy name', () => EdgeProtection.gkeIngressBackendConfig({} as any), /EdgeProtection.gkeIngressBackendConfig: securityPolicy is required/],
      ['upper case', () => EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'Edge-WAF' }), /securityPolicy "Edge-WAF" is not a Compute Engine resource name: 1-63 characters/],
      ['starts with a digit', () => EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: '1waf' }), /EdgeProtection.gkeGatewayBackendPolicy: securityPolicy "1waf" is not/],
      ['ends with a dash', () => EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'waf-' }), /securityPolicy "waf-" is not/],
      ['64 characters', () => EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: `a${'b'.repeat(63)}` }), /is not a Compute Engine resource name/],
      ['a project path', () => EdgeProtection.gkeGatewayBackendPolicy({ securityPolicy: 'projects/p/global/securityPolicies/waf' }), /is not a Compute Engine resource name/],
      ['a bad Service name', () => EdgeProtection.gkeIngressBackendConfig({ securityPolicy: 'waf', serviceName: 'Istio_Gateway' }), /serviceName "Istio_Gateway" a DNS-1035 label must consist of/],
      ['no reason', () => EdgeProtection.none(''), /EdgeProtection.none: "" is not a justification/],
      ['a placeholder reason', () => EdgeProtection.none('TODO: explain why there is no WAF in front of this gateway'), /contains the placeholder "TODO"/],
    ])('%s', (_what, make, error) => {
      expect(make).toThrow(error);
    });

    test('edgeProtection that is not an EdgeProtection', () => {
      expect(() => world({ edgeProtection: { kind: 'none' } as any })).toThrow(/\[test\/edge\] edgeProtection: not an EdgeProtection\. Use EdgeProtection.gkeIngressBackendConfig/);
    });
  });
});
