import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessGrant } from './access-grant';
import { DataPlane, GATEWAY_NAME_LABEL, isAmbientNamespaceLabels } from './data-plane';
import {
  EdgeRoute, checkExternalIssuer, checkNoAnonymousOverlap, contractIssuer, contractRoutes, edgeJwtRules, edgeRequestPrincipals, requiredJwtIssuersOf,
  resolveEdgeRoute,
} from './edge-auth';
import { GATEWAY_STATUS_PORT, GOOGLE_CLOUD_HEALTH_CHECK_RANGES, healthCheckNetworkPolicy, healthCheckRangeProblems } from './edge-health-checks';
import { MAX_ROUTE_MATCHES, admittedAndRouted, httpRouteMatches } from './gateway-api-http-route';
import { STRONG_CIPHER_SUITES, cipherSuiteProblems, listenerTlsOptionProblems, listenerTlsOptions } from './gateway-api-tls';
import { GatewayTls } from './gateway-tls';
import { checkDnsHostname } from './hostname';
import { checkRedirectException, redirectAuthorizationPolicy } from './https-redirect';
import type { ExternalJwtIssuer, RouteOptions } from './ingress-gateway';
import { IMesh } from './mesh';
import { MeshBaseline } from './mesh-baseline';
import { IMeshPeer } from './mesh-peer';
import { Principal } from './principal';
import type { ContractIngressGateway } from '../contract/contract-document';
import { assertNoProblems, configError } from '../core/errors';
import { KUBERNETES_SYSTEM_NAMESPACES, assertDnsLabel, assertPort, objectName } from '../core/names';
import { claimKey } from '../core/registry';
import { NetworkPolicyEgressRule, NetworkPolicyPeer, networkPolicy } from '../network/network-policy';
import { dnsEgressRule, podsInNamespace, tcpPorts } from '../network/peers';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { PolicyException } from '../policy/policy-exception';
import { GATEWAY_API_GROUP } from '../policy/rules/mesh-gateway-scope';
import { checkDns1035Label } from '../validation/kubernetes-names';
import { egressHop } from '../workload/mesh-workload';
import { ISTIO_RESERVED_PORTS } from '../workload/pod-settings';
import { SecureService } from '../workload/secure-service';
import { ISecureService } from '../workload/workload-props';

/** The GatewayClass Istio deploys ingress gateways for. */
const ISTIO_GATEWAY_CLASS = 'istio';
/** The port a redirect-only HTTP listener takes. */
const HTTP_PORT = 80;
/** istiod's xDS and CA port. */
const XDS_CA_PORT = 15012;
/** Most listeners a Gateway may have (Gateway API: `spec.listeners` maxItems). */
const MAX_LISTENERS = 64;

/** Props of a GatewayApiIngress. */
export interface GatewayApiIngressProps {
  /** Host names served (DNS names, no wildcards): one HTTPS listener each. */
  readonly hosts: string[];
  /**
   * TLS termination: `GatewayTls.simple(secretName)`, or `GatewayTls.mutual(secretName, ca)` to
   * require client certificates (written as Istio's `gateway.istio.io/tls-terminate-mode: MUTUAL`).
   * The Secret is in the gateway's namespace and holds a certificate for every host.
   */
  readonly tls: GatewayTls;
  /**
   * Restrict TLS 1.2 handshakes to these cipher suites (Istio 1.29+ reads them from the listener
   * option `gateway.istio.io/tls-cipher-suites`; older Istio ignores it). Only ECDHE key exchange
   * with AEAD ciphers is accepted (see `STRONG_CIPHER_SUITES`).
   *
   * @default - Envoy's default list (TLS 1.2 minimum; it also offers CBC and static-RSA suites to
   * TLS 1.2 clients)
   */
  readonly cipherSuites?: string[];
  /**
   * The port of the HTTPS listeners. Istio's gateway pods listen on the listener port itself
   * (the Service Istio deploys maps each port to the same container port).
   *
   * @default 443
   */
  readonly httpsPort?: number;
  /**
   * Serve port 80 only to redirect clients to HTTPS: an HTTP listener per host, whose only route
   * answers every request with a 301 to https. Takes `httpsRedirectException` for the same reason
   * as IngressGateway's: the gateway's ALLOW policy runs before the redirect, so without its own
   * rule a request without a token would be answered 403. `true` without it is refused.
   *
   * @default - true when `httpsRedirectException` is given; otherwise false: no listener on port 80
   */
  readonly httpsRedirect?: boolean;
  /**
   * The PolicyException for MESH-AUTHZ-004 that lets requests without an end-user token reach the
   * redirect. It must cover `AuthorizationPolicy/<namespace>/<name>-https-redirect`: an ALLOW rule
   * for port 80 and the gateway's hosts (also as `host:80`) only.
   *
   * @default - no redirect: port 80 is closed (see `httpsRedirect`)
   */
  readonly httpsRedirectException?: PolicyException;
  /**
   * Source ranges of the load balancer's health checks, admitted to the gateway pods on TCP 15021
   * (`/healthz/ready`) and nothing else. CIDRs, none wider than a /8 (IPv4) or /16 (IPv6); `[]`
   * opens nothing.
   *
   * @default ['35.191.0.0/16', '130.211.0.0/22'] - Google Cloud's health-check ranges for
   * Application Load Balancers (https://cloud.google.com/load-balancing/docs/firewall-rules)
   */
  readonly healthCheckSourceRanges?: string[];
  /**
   * Issuers of end-user tokens accepted at the gateway. Every route not declared public requires
   * a valid token of one of them.
   *
   * @default - none: only public routes can be added
   */
  readonly externalIssuers?: ExternalJwtIssuer[];
  /**
   * Name of the Gateway object: a DNS-1035 label of at most 57 characters, since Istio names the
   * Deployment, Service and ServiceAccount it deploys `<name>-istio`.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of the Gateway, its routes and policies, and of the pods Istio deploys for it. A
   * HardenedNamespace of the app (sidecar data plane), the control-plane namespace, or a platform
   * namespace that carries the mesh's injection labels: istiod's NetworkPolicy admits xDS only
   * from mesh namespaces. Not an ambient namespace: ztunnel would capture the gateway's pods.
   * Routed services of other namespaces get a ReferenceGrant naming this namespace.
   *
   * @default 'istio-ingress' - the namespace Istio's guides give ingress gateways
   */
  readonly namespace?: string;
  /**
   * The mesh.
   *
   * @default - the MeshBaseline of this app
   */
  readonly mesh?: IMesh;
}

interface RouteRecord extends EdgeRoute {
  readonly key: string;
  readonly routeName: string;
  readonly grant: AccessGrant;
}

/**
 * The mesh's front door on the Kubernetes Gateway API, for both data planes (INGRESS-1, JWT-1,
 * TOKEN-1, USERAUTH-1, AUTHZ-2..4).
 *
 * It writes a `gateway.networking.k8s.io/v1` Gateway of class `istio`; Istio deploys its pods
 * (Deployment, Service and ServiceAccount `<name>-istio`, pods labelled
 * `gateway.networking.k8s.io/gateway-name: <name>`, identity `<td>/ns/<namespace>/sa/<name>-istio`).
 * After construction the gateway accepts HTTPS on `httpsPort` for its hosts, one listener per
 * host, terminating TLS with the certificate of a Secret of its namespace; it routes nothing and
 * authorizes nothing. Only HTTPRoutes of its own namespace attach to it, and no ListenerSet (the
 * Gateway API default). There is no plaintext listener unless `httpsRedirectException` is given:
 * then port 80 only answers with a redirect to HTTPS. TLS 1.2 is the floor (Envoy's default: a
 * Gateway API listener has no version field), and nothing the construct writes can lower it: its
 * only TLS options are Istio's MUTUAL mode and a strong cipher list.
 *
 * Its pods take connections on the listener ports from anywhere, on 15021 from the load
 * balancer's health checkers, and open connections only to the cluster DNS, istiod (15012) and
 * the pods of the routed services: on their container ports in a sidecar namespace, on HBONE
 * (15008) to the pods or their waypoint in an ambient one.
 *
 * Each `route(service, { host, paths, methods })` writes, from one call, the HTTPRoute for that
 * host, paths and methods to the service's port AND the grant of the gateway's identity on the
 * service with the same port, paths and methods (`service.allowFrom(gateway)`), plus, for a
 * service of another namespace, the ReferenceGrant that lets this namespace's routes name it.
 * Routing and authorization cannot drift apart. Unless the route is declared public, the
 * gateway's ALLOW policy requires a verified token of an external issuer on it; the gateway
 * removes the token before forwarding (TOKEN-1).
 */
export class GatewayApiIngress extends Construct implements IMeshPeer {
  /**
   * Google Cloud's health-check source ranges for Application Load Balancers (IPv4), the default
   * of `healthCheckSourceRanges`.
   */
  public static readonly GOOGLE_CLOUD_HEALTH_CHECK_RANGES: string[] = [...GOOGLE_CLOUD_HEALTH_CHECK_RANGES];
  /** The cipher suites `cipherSuites` may list: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305. */
  public static readonly STRONG_CIPHER_SUITES: string[] = [...STRONG_CIPHER_SUITES];

  /** The Gateway object name. */
  public readonly gatewayName: string;
  /** Namespace of the Gateway and its pods. */
  public readonly namespace: string;
  /** Host names served, sorted. */
  public readonly hosts: string[];
  /** The port of the HTTPS listeners. */
  public readonly httpsPort: number;
  /** Whether port 80 serves the redirect to HTTPS. */
  public readonly httpsRedirect: boolean;
  /** Name of the Deployment, Service and ServiceAccount Istio deploys for the Gateway (`<name>-istio`). */
  public readonly deploymentName: string;
  /** The gateway's identity: the ServiceAccount Istio deploys. */
  public readonly peerPrincipal: Principal;
  /** Namespace of the gateway pods (the Gateway's). */
  public readonly peerNamespace: string;
  /** Labels of the gateway pods: `gateway.networking.k8s.io/gateway-name: <name>`. */
  public readonly peerPodLabels?: { [key: string]: string };
  /** The gateway pods are an Envoy of their own, never captured (see the class comment). */
  public readonly peerDataPlane?: DataPlane = DataPlane.SIDECAR;
  /** The source ranges admitted to the status port for load-balancer health checks (empty: none). */
  public readonly healthCheckSourceRanges: string[];

  private readonly mesh: IMesh;
  private readonly externalIssuers: ExternalJwtIssuer[];
  private readonly routes: RouteRecord[] = [];
  private readonly referenceGrants = new Map<string, Set<string>>();
  /** HTTPRoute names taken in the gateway namespace (the redirect's too). */
  private readonly routeNames = new Set<string>();

  constructor(scope: Construct, id: string, props: GatewayApiIngressProps) {
    super(scope, id);
    this.mesh = props.mesh ?? MeshBaseline.of(this);
    PolicyEnforcement.of(this)._useMesh(this.mesh, false);
    this.gatewayName = props.name ?? id;
    this.deploymentName = `${this.gatewayName}-${ISTIO_GATEWAY_CLASS}`;
    assertNoProblems(this, 'name', checkDns1035Label(this.deploymentName).map((p) => `"${this.gatewayName}" gives Istio's Service "${this.deploymentName}", which ${p}`),
      'Use a DNS-1035 label of at most 57 characters: lower-case letters, digits and "-", starting with a letter');
    this.namespace = props.namespace ?? 'istio-ingress';
    assertDnsLabel(this, 'namespace', this.namespace);
    if (KUBERNETES_SYSTEM_NAMESPACES.includes(this.namespace)) {
      throw configError(this, 'namespace', `"${this.namespace}" belongs to Kubernetes itself`, 'Run the gateway in a namespace of its own, e.g. "istio-ingress"');
    }
    const other = claimKey(this, `Gateway:${this.namespace}/${this.gatewayName}`);
    if (other) {
      throw configError(this, 'name', `Gateway ${this.namespace}/${this.gatewayName} is already defined at ${other.node.path}`, 'Give each gateway of a namespace its own name');
    }
    this.hosts = this.checkHosts(props.hosts);
    if (!(props.tls instanceof GatewayTls)) throw configError(this, 'tls', 'TLS is required', 'Use GatewayTls.simple(secretName) or GatewayTls.mutual(...)');
    if (props.cipherSuites !== undefined) {
      assertNoProblems(this, 'cipherSuites', cipherSuiteProblems(props.cipherSuites),
        'List ECDHE suites with AES-GCM or ChaCha20-Poly1305 only (GatewayApiIngress.STRONG_CIPHER_SUITES), or leave cipherSuites unset');
    }
    this.httpsPort = props.httpsPort ?? 443;
    assertPort(this, 'httpsPort', this.httpsPort);
    if (this.httpsPort === HTTP_PORT || ISTIO_RESERVED_PORTS.includes(this.httpsPort)) {
      throw configError(this, 'httpsPort', `${this.httpsPort} is ${this.httpsPort === HTTP_PORT ? 'the redirect port' : 'one of the gateway proxy\'s own ports'}`, 'Use 443, or another free port');
    }
    assertNoProblems(this, 'healthCheckSourceRanges', healthCheckRangeProblems(props.healthCheckSourceRanges ?? []),
      'List the load balancer\'s health-check source ranges as CIDRs (e.g. "35.191.0.0/16"), or [] to open nothing');
    this.healthCheckSourceRanges = [...(props.healthCheckSourceRanges ?? GOOGLE_CLOUD_HEALTH_CHECK_RANGES)];
    this.externalIssuers = (props.externalIssuers ?? []).map((e, i) => checkExternalIssuer(this, `externalIssuers[${i}]`, e));
    if (new Set(this.externalIssuers.map((e) => e.issuer)).size !== this.externalIssuers.length) {
      throw configError(this, 'externalIssuers', 'an issuer is listed twice', 'List each issuer once, with all its audiences');
    }

    const redirectPolicyName = objectName([this.gatewayName, 'https-redirect']);
    this.httpsRedirect = props.httpsRedirect ?? props.httpsRedirectException !== undefined;
    if (props.httpsRedirectException !== undefined && !this.httpsRedirect) {
      throw configError(this, 'httpsRedirectException', 'there is no redirect to open (httpsRedirect is false)', 'Remove the exception, or turn httpsRedirect on');
    }
    if (this.httpsRedirect && props.httpsRedirectException === undefined) {
      throw configError(this, 'httpsRedirect', 'the redirect would answer 403 to every request without a token: the gateway\'s ALLOW policy runs before the route redirects',
        `Give httpsRedirectException (a PolicyException for MESH-AUTHZ-004 covering AuthorizationPolicy/${this.namespace}/${redirectPolicyName}), `
        + 'or leave httpsRedirect unset to keep port 80 closed');
    }
    if (props.httpsRedirectException !== undefined) {
      checkRedirectException(this, 'httpsRedirectException', props.httpsRedirectException, `AuthorizationPolicy/${this.namespace}/${redirectPolicyName}`);
    }

    this.peerNamespace = this.namespace;
    this.peerPodLabels = { [GATEWAY_NAME_LABEL]: this.gatewayName };
    // Istio's deployment controller: ServiceAccount `<name>-<class>` unless annotated otherwise, which this Gateway is not.
    this.peerPrincipal = Principal.serviceAccount(this.namespace, this.deploymentName, this.mesh.trustDomain);

    const httpsTls = {
      mode: 'Terminate',
      certificateRefs: [{ group: '', kind: 'Secret', name: props.tls.credentialName }],
      ...withOptions(listenerTlsOptions(props.tls, props.cipherSuites)),
    };
    // Defence in depth: what the listener carries passes the same check a rule over hand-written Gateways would run.
    assertNoProblems(this, 'tls', listenerTlsOptionProblems(httpsTls.options), 'Only MUTUAL and a strong cipher list are written');
    const allowedRoutes = { namespaces: { from: 'Same' }, kinds: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute' }] };
    const listeners = [
      ...this.hosts.map((host) => ({ name: listenerName('https', host), hostname: host, port: this.httpsPort, protocol: 'HTTPS', tls: httpsTls, allowedRoutes })),
      ...(this.httpsRedirect ? this.hosts.map((host) => ({ name: listenerName('http', host), hostname: host, port: HTTP_PORT, protocol: 'HTTP', allowedRoutes })) : []),
    ];
    new ApiObject(this, 'Gateway', {
      apiVersion: `${GATEWAY_API_GROUP}/v1`,
      kind: 'Gateway',
      metadata: { name: this.gatewayName, namespace: this.namespace },
      spec: { gatewayClassName: ISTIO_GATEWAY_CLASS, listeners },
    });

    const selector = { matchLabels: { ...this.peerPodLabels } };
    // INGRESS-1: the gateway pods take connections from anywhere, on the listener ports only.
    networkPolicy(this, 'IngressPolicy', objectName([this.gatewayName, 'ingress']), this.namespace, {
      podSelector: selector,
      policyTypes: ['Ingress'],
      ingress: [{ ports: tcpPorts(this.httpsRedirect ? [this.httpsPort, HTTP_PORT] : [this.httpsPort]) }],
    });
    healthCheckNetworkPolicy(this, objectName([this.gatewayName, 'lb-health-checks']), this.namespace, { ...this.peerPodLabels },
      this.healthCheckSourceRanges, GATEWAY_STATUS_PORT);
    // NETPOL-1: out only to DNS, istiod and the routed services.
    networkPolicy(this, 'EgressPolicy', objectName([this.gatewayName, 'egress']), this.namespace, {
      podSelector: selector,
      policyTypes: ['Egress'],
      egress: () => this.renderEgress(),
    });

    if (this.httpsRedirect) {
      this.routeNames.add(redirectPolicyName);
      new ApiObject(this, 'HttpsRedirectRoute', {
        apiVersion: `${GATEWAY_API_GROUP}/v1`,
        kind: 'HTTPRoute',
        metadata: { name: redirectPolicyName, namespace: this.namespace },
        spec: {
          parentRefs: this.hosts.map((host) => this.parentRef(listenerName('http', host))),
          hostnames: this.hosts,
          // No match (every path), no backend: the only answer on port 80 is the redirect.
          rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301, ...(this.httpsPort !== 443 ? { port: this.httpsPort } : {}) } }] }],
        },
      });
      redirectAuthorizationPolicy(this, redirectPolicyName, this.namespace, { ...this.peerPodLabels }, HTTP_PORT, this.hosts);
    }

    const targetRefs = [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: this.gatewayName }];
    if (this.externalIssuers.length > 0) {
      new ApiObject(this, 'RequestAuthentication', {
        apiVersion: 'security.istio.io/v1',
        kind: 'RequestAuthentication',
        metadata: { name: objectName([this.gatewayName, 'jwt']), namespace: this.namespace },
        spec: { targetRefs, jwtRules: edgeJwtRules(this.externalIssuers) },
      });
    }
    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: this.gatewayName, namespace: this.namespace },
      spec: { targetRefs, action: 'ALLOW', rules: Lazy.any({ produce: () => this.renderEdgeRules() }) },
    });

    this.node.addValidation({ validate: () => [...this.namespaceProblems(), ...this.foreignGatewayProblems(), ...this.publicRouteProblems()] });
  }

  /**
   * Routes `host` + paths + methods to `service` (an HTTPRoute on the host's HTTPS listener) and
   * grants the gateway's identity exactly that port, those paths and methods on the service.
   * Returns the grant. Idempotent: the same call twice writes one route and one grant.
   *
   * For a service of an app team's repository (`SecureService.fromAttributes`), this writes the
   * gateway's side: the HTTPRoute, the edge's ALLOW rule and the gateway's egress to the service.
   * The platform's contract lists the route, and the team's repository writes the service's side
   * with the same host, paths and methods (`MeshContract.ingressGateway(...).route`): the grant of
   * the gateway's identity, and the ReferenceGrant in its namespace that lets this HTTPRoute name
   * its Service (the namespace owner's consent). Until it does, the route has no backend.
   */
  public route(service: ISecureService, options: RouteOptions): AccessGrant {
    const r = resolveEdgeRoute(this, this.hosts, this.externalIssuers, service, options);
    const key = JSON.stringify([service.node.path, r.host, r.port.port, r.paths, r.methods, r.isPublic]);
    const existing = this.routes.find((x) => x.key === key);
    if (existing) return existing.grant;
    const matches = httpRouteMatches(r.paths, r.methods);
    if (matches.length > MAX_ROUTE_MATCHES) {
      throw configError(this, 'route', `${r.paths.length} paths × ${Math.max(r.methods.length, 1)} methods make ${matches.length} matches, over the ${MAX_ROUTE_MATCHES} an HTTPRoute rule holds`,
        'Split the route into several route() calls, or use a prefix path');
    }
    checkNoAnonymousOverlap(this, this.routes, r, admittedAndRouted);
    const grant = service.allowFrom(this, {
      ports: [r.port.port],
      ...(r.paths.includes('/*') ? {} : { paths: r.paths }),
      ...(r.methods.length > 0 ? { methods: r.methods } : {}),
    });
    // `<gateway>-<namespace>-<service>`, then `-2`, `-3`... for further routes to the same service.
    const base = [this.gatewayName, service.namespaceName, service.serviceName];
    let routeName = objectName(base);
    for (let n = 2; this.routeNames.has(routeName); n++) routeName = objectName([...base, String(n)]);
    this.routeNames.add(routeName);
    const crossNamespace = service.namespaceName !== this.namespace;
    new ApiObject(this, `Route-${routeName}`, {
      apiVersion: `${GATEWAY_API_GROUP}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: routeName, namespace: this.namespace },
      spec: {
        parentRefs: [this.parentRef(listenerName('https', r.host))],
        hostnames: [r.host],
        rules: [{
          matches,
          backendRefs: [{ group: '', kind: 'Service', name: service.serviceName, ...(crossNamespace ? { namespace: service.namespaceName } : {}), port: r.port.port }],
        }],
      },
    });
    // A service of another repository: its namespace's owner writes the ReferenceGrant (its consent).
    if (crossNamespace && service instanceof SecureService) {
      writeReferenceGrant(this, this.referenceGrants, this.namespace, this.gatewayName, service);
    }
    this.routes.push({ ...r, key, routeName, grant });
    return grant;
  }

  /**
   * The gateway as the platform's mesh contract publishes it: identity, hosts, issuers, and the
   * routes to services of app teams' repositories (which write the services' side and the
   * ReferenceGrant).
   *
   * @internal
   */
  public _contractEntry(): ContractIngressGateway {
    return {
      name: this.gatewayName,
      namespace: this.namespace,
      api: 'gateway-api',
      serviceAccountName: this.deploymentName,
      podLabels: { ...this.peerPodLabels },
      hosts: [...this.hosts],
      externalIssuers: this.externalIssuers.map(contractIssuer),
      routes: contractRoutes([...this.routes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))),
    };
  }

  private parentRef(sectionName: string): object {
    return { group: GATEWAY_API_GROUP, kind: 'Gateway', name: this.gatewayName, sectionName };
  }

  private checkHosts(hosts: string[]): string[] {
    if (!Array.isArray(hosts) || hosts.length === 0) throw configError(this, 'hosts', 'no host', 'Name the DNS names the gateway serves');
    hosts.forEach((h, i) => assertNoProblems(this, `hosts[${i}]`, checkDnsHostname(h), 'Use a DNS name such as "shop.example.com"'));
    if (new Set(hosts).size !== hosts.length) throw configError(this, 'hosts', 'duplicate hosts', 'List each host once');
    if (hosts.length * 2 > MAX_LISTENERS) {
      throw configError(this, 'hosts', `${hosts.length} hosts need up to ${hosts.length * 2} listeners, over the ${MAX_LISTENERS} a Gateway holds`, 'Split the hosts over several gateways');
    }
    return [...hosts].sort();
  }

  /** One ALLOW rule per route: its host, the HTTPS port, paths and methods, and a verified token unless public. */
  private renderEdgeRules(): object[] | undefined {
    if (this.routes.length === 0) return undefined;
    const requestPrincipals = edgeRequestPrincipals(this.externalIssuers);
    return [...this.routes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => ({
      ...(r.isPublic ? {} : { from: [{ source: { requestPrincipals } }] }),
      to: [{
        operation: {
          // A client names a port other than 443 in the Host header, and `hosts` matches exactly.
          hosts: this.httpsPort === 443 ? [r.host] : [r.host, `${r.host}:${this.httpsPort}`],
          ports: [String(this.httpsPort)],
          ...(r.paths.includes('/*') ? {} : { paths: r.paths }),
          ...(r.methods.length > 0 ? { methods: r.methods } : {}),
        },
      }],
    }));
  }

  /**
   * The pods the gateway connects to: DNS, istiod, and each routed service. A sidecar service is
   * reached on its container ports; an ambient one on HBONE, at its waypoint when its Service uses
   * one (Istio gateways follow `istio.io/ingress-use-waypoint`), else at its pods.
   */
  private renderEgress(): NetworkPolicyEgressRule[] {
    const byPeer = new Map<string, { peer: NetworkPolicyPeer; ports: Set<number> }>();
    const add = (namespace: string, podLabels: { [key: string]: string } | undefined, ports: readonly number[]) => {
      const peer = podsInNamespace(namespace, podLabels);
      const key = JSON.stringify(peer);
      const entry = byPeer.get(key) ?? { peer, ports: new Set<number>() };
      ports.forEach((p) => entry.ports.add(p));
      byPeer.set(key, entry);
    };
    for (const r of this.routes) {
      const hop = egressHop(this.peerDataPlane, r.service, r.grant.targetPorts);
      add(hop.to.namespace, hop.to.podLabels, hop.ports);
    }
    const routed = [...byPeer.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, e]): NetworkPolicyEgressRule => ({ to: [e.peer], ports: tcpPorts([...e.ports]) }));
    return [
      dnsEgressRule(),
      { to: [podsInNamespace(this.mesh.controlPlaneNamespace, this.mesh.istiodPodLabels)], ports: tcpPorts([XDS_CA_PORT]) },
      ...routed,
    ];
  }

  /**
   * The gateway's namespace, when the app writes it: not ambient (ztunnel would capture pods
   * without a sidecar: istio-cni's PodRedirectionEnabled), and part of the mesh (istiod admits
   * xDS only from mesh namespaces), unless it is the control-plane namespace.
   */
  private namespaceProblems(): string[] {
    const nsObjects = this.node.root.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Namespace' && c.apiVersion === 'v1' && c.name === this.namespace);
    const problems: string[] = [];
    for (const ns of nsObjects) {
      const labels: { [key: string]: string } = ns.toJson().metadata?.labels ?? {};
      if (isAmbientNamespaceLabels(labels)) {
        problems.push(`namespace ${this.namespace} (${ns.node.path}) is ambient: ztunnel would capture the gateway's pods, which are an Envoy of their own. `
          + 'Run the gateway in a sidecar HardenedNamespace or a platform namespace with the mesh\'s injection labels');
      } else if (this.namespace !== this.mesh.controlPlaneNamespace && !injected(labels, this.mesh)) {
        problems.push(`namespace ${this.namespace} (${ns.node.path}) lacks the mesh's injection labels (${Object.entries(this.mesh.injectionLabels).map(([k, v]) => `${k}=${v}`).join(', ')}), `
          + 'so istiod\'s NetworkPolicy does not admit the gateway\'s pods. Label it, or use a HardenedNamespace');
      }
    }
    return problems.map((p) => `[${this.node.path}] namespace: ${p}`);
  }

  /**
   * No Istio Gateway (networking.istio.io) of the app programs this gateway's pods: its servers
   * (plaintext, a lower minimum TLS version, other hosts) would be merged into the same proxy,
   * next to the listeners this construct checked. Istio matches a Gateway's selector against
   * gateway pods of every namespace unless istiod scopes gateways to their namespace.
   */
  private foreignGatewayProblems(): string[] {
    const podLabels: { [key: string]: string } = {
      [GATEWAY_NAME_LABEL]: this.gatewayName,
      'gateway.networking.k8s.io/gateway-class-name': ISTIO_GATEWAY_CLASS,
      'gateway.istio.io/managed': 'istio.io-gateway-controller',
      'service.istio.io/canonical-name': this.deploymentName,
      'service.istio.io/canonical-revision': 'latest',
      'sidecar.istio.io/inject': 'false',
    };
    return this.node.root.node.findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Gateway' && c.apiVersion.startsWith('networking.istio.io/'))
      .filter((g) => {
        const sel = g.toJson().spec?.selector;
        return sel === undefined || sel === null || (typeof sel === 'object' && Object.entries(sel).every(([k, v]) => podLabels[k] === v));
      })
      .map((g) => `[${this.node.path}] ${g.node.path}: the Istio Gateway ${g.metadata.namespace ?? 'default'}/${g.name} selects the pods of Gateway API gateway `
        + `${this.namespace}/${this.gatewayName}, adding servers this construct did not check. Select other pods, or serve its hosts through route()`);
  }

  /** A public route whose service has since started to require a token would always be denied. */
  private publicRouteProblems(): string[] {
    return this.routes.filter((r) => r.isPublic && requiredJwtIssuersOf(r.service).length > 0).map((r) =>
      `[${this.node.path}] route.publicAccess: ${r.service.serviceName} requires a JWT, so the public route to ${r.host} would always be denied. Route it without publicAccess`);
  }
}

/**
 * The ReferenceGrant in `service`'s namespace that lets the HTTPRoutes of the gateway namespace
 * name the routed Services there, and no other (one per namespace and gateway, `granted` keeps
 * its Services by namespace). Written by whoever owns the service's namespace: the gateway's app,
 * or the app team's repository for a route the platform declared (MeshContract).
 *
 * @internal
 */
export function writeReferenceGrant(scope: Construct, granted: Map<string, Set<string>>, gatewayNamespace: string, gatewayName: string,
  service: ISecureService): void {
  const ns = service.namespaceName;
  let names = granted.get(ns);
  if (!names) {
    const services = new Set<string>();
    names = services;
    granted.set(ns, services);
    new ApiObject(scope, `ReferenceGrant-${ns}`, {
      apiVersion: `${GATEWAY_API_GROUP}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: objectName(['gateway', gatewayNamespace, gatewayName]), namespace: ns },
      spec: {
        from: [{ group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: gatewayNamespace }],
        to: Lazy.any({ produce: () => [...services].sort().map((name) => ({ group: '', kind: 'Service', name })) }),
      },
    });
  }
  names.add(service.serviceName);
}

/** A listener name: `<protocol>-<host>`, a DNS subdomain (hashed when too long). */
function listenerName(protocol: string, host: string): string {
  return objectName([protocol, host], 253);
}

/** Whether namespace `labels` carry every injection label of `mesh` (a sidecar mesh namespace). */
function injected(labels: { [key: string]: string }, mesh: IMesh): boolean {
  return Object.entries(mesh.injectionLabels).every(([k, v]) => labels[k] === v);
}

function withOptions(options: { [key: string]: string } | undefined): { options?: { [key: string]: string } } {
  return options ? { options } : {};
}
