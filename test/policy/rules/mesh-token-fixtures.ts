import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { EgressGateway } from '../../../src/mesh/egress-gateway';
import { ExternalHost } from '../../../src/mesh/external-host';
import { GatewayTls } from '../../../src/mesh/gateway-tls';
import { IngressGateway } from '../../../src/mesh/ingress-gateway';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject } from '../../../src/policy/rule';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';

/** Fixtures of the token rule tests (MESH-JWT-003, MESH-TOKEN-001). */

export const EXTERNAL = 'https://login.example.com';
export const INTERNAL = 'https://sts.mesh.example.com';

export function jwtRule(issuer: string, extra: object = {}): object {
  return { issuer, jwksUri: `${issuer}/.well-known/jwks.json`, audiences: ['shop'], ...extra };
}

export function requestAuthn(name: string, namespace: string, spec: object | null | undefined): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'RequestAuthentication', metadata: { name, namespace }, ...(spec === undefined ? {} : { spec }) };
}

export function authz(name: string, namespace: string, spec: object): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec };
}

/** An Istio Gateway; `mode` is the TLS mode of its one server (ISTIO_MUTUAL: an egress gateway, not the edge). */
export function istioGateway(name: string, namespace: string, selector: { [key: string]: string }, mode = 'SIMPLE'): RuleObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: { selector, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode, ...(mode === 'SIMPLE' ? { credentialName: 'shop-tls' } : {}) } }] },
  };
}

/** A Kubernetes Gateway API Gateway. */
export function apiGateway(name: string, namespace: string, gatewayClassName = 'istio'): RuleObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: { gatewayClassName, listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com' }] },
  };
}

/** A Deployment whose pods carry `labels`. */
export function deployment(name: string, namespace: string, labels: { [key: string]: string }): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'proxy', image: 'istio/proxyv2' }] } } },
  };
}

export const EDGE = istioGateway('edge', 'istio-system', { istio: 'ingressgateway' });
export const EGRESS = istioGateway('egress', 'istio-system', { istio: 'egressgateway' }, 'ISTIO_MUTUAL');
export const EDGE_SELECTOR = { matchLabels: { istio: 'ingressgateway' } };

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

/**
 * What the library writes for TOKEN-1: an ingress gateway with an external issuer and a token
 * exchange, a service requiring the internal issuer (also without the gateway), and an egress
 * gateway (hosts the applications speak TLS to). `exchange: false` leaves the exchange out.
 */
export function tokenChart(exchange = true): Chart {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const svc = (id: string) => new SecureService(chart, id, { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }] });
  const web = svc('web');
  const orders = svc('orders');
  orders.requireJwt({ issuer: INTERNAL, jwksUri: `${INTERNAL}/.well-known/jwks.json`, audiences: ['orders'] });
  orders.allowFrom(web, { ports: [9080] });
  const edge = new IngressGateway(chart, 'edge', {
    hosts: ['shop.example.com'],
    tls: GatewayTls.simple('shop-tls'),
    externalIssuers: [{ issuer: EXTERNAL, jwksUri: `${EXTERNAL}/.well-known/jwks.json`, audiences: ['shop'], outputClaimToHeaders: [{ claim: 'sub', header: 'x-user' }] }],
    ...(exchange ? { tokenExchange: { provider: 'token-exchange', internalIssuer: { issuer: INTERNAL, jwksUri: `${INTERNAL}/.well-known/jwks.json`, audiences: ['web'] } } } : {}),
  });
  edge.route(web, { host: 'shop.example.com', methods: ['GET'] });
  const egress = new EgressGateway(chart, 'egress');
  egress.allowExternal(ExternalHost.https('api.example.com'), { from: [web] });
  egress.allowExternal(ExternalHost.https('books.example.com'), { from: [orders] });
  return chart;
}

/** Every object of the YAML files under `dir` (recursively), with its file. */
export function corpusObjects(dir: string): { file: string; object: RuleObject }[] {
  const out: { file: string; object: RuleObject }[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!/\.ya?ml$/.test(entry.name)) continue;
      for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
        const object = doc.toJS();
        if (object && typeof object === 'object' && object.kind) out.push({ file: path.relative(dir, full), object });
      }
    }
  };
  walk(dir);
  return out;
}
