import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AccessGrant } from './access-grant';
import {
  EdgeRoute, assertAnonymousReachable, checkExternalIssuer, checkNoAnonymousOverlap, contractIssuer, contractRoutes, edgeJwtRules,
  edgeRequestPrincipals, requiredJwtIssuersOf, resolveEdgeRoute,
} from './edge-auth';
import { GATEWAY_STATUS_PORT, GOOGLE_CLOUD_HEALTH_CHECK_RANGES, healthCheckNetworkPolicy, healthCheckRangeProblems } from './edge-health-checks';
import { EdgeProtection, edgeServiceProblems, renderEdgeProtection } from './edge-protection';
import { GatewayTls, TlsVersion } from './gateway-tls';
import { checkDnsHostname } from './hostname';
import { checkRedirectException, redirectAuthorizationPolicy } from './https-redirect';
import { IMesh } from './mesh';
import { MeshBaseline } from './mesh-baseline';
import { IMeshPeer } from './mesh-peer';
import { Principal } from './principal';
import type { ContractIngressGateway } from '../contract/contract-document';
import { assertNoProblems, configError } from '../core/errors';
import { assertDnsLabel, assertPort, objectName } from '../core/names';
import { networkPolicy } from '../network/network-policy';
import { sortedLabels, tcpPorts } from '../network/peers';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { PolicyException } from '../policy/policy-exception';
import { SecureService } from '../workload/secure-service';
import { ISecureService, JwtRequirement } from '../workload/workload-props';


/** Copies a verified JWT claim into a request header for the upstream service. */
export interface ClaimToHeader {
  /** The claim, e.g. `sub`. */
  readonly claim: string;
  /** The header to write; never a protected header (authorization, cookie, host, x-forwarded-*, x-envoy-*, ...). */
  readonly header: string;
}

/** An external token issuer accepted at the edge only (TOKEN-1, USERAUTH-1). */
export interface ExternalJwtIssuer {
  /** The issuer URL (`iss` claim); https. */
  readonly issuer: string;
  /** Where the issuer publishes its signing keys; https. */
  readonly jwksUri: string;
  /** Accepted audiences: tokens minted for other applications are rejected. */
  readonly audiences: string[];
  /**
   * Claims copied into headers for upstream services.
   *
   * @default - none
   */
  readonly outputClaimToHeaders?: ClaimToHeader[];
}

/** Token exchange at the edge (TOKEN-1). */
export interface TokenExchange {
  /**
   * Name of the ext-authz extension provider (in mesh config `extensionProviders`) that swaps
   * the external token for a short-lived, narrowly scoped internal one.
   */
  readonly provider: string;
  /** The internal issuer services behind the gateway accept (and the only one they accept). */
  readonly internalIssuer: JwtRequirement;
}

/** Props of an IngressGateway. */
export interface IngressGatewayProps {
  /** Host names served (DNS names, no wildcards). */
  readonly hosts: string[];
  /** TLS termination: `GatewayTls.simple(credentialName)` or `GatewayTls.mutual(...)`. */
  readonly tls: GatewayTls;
  /**
   * Oldest TLS version clients may use.
   *
   * @default TlsVersion.TLSV1_2 - TLS 1.0 and 1.1 are broken
   */
  readonly minProtocolVersion?: TlsVersion;
  /**
   * Serve port 80 only to redirect clients to HTTPS (a browser that types the bare host lands on
   * HTTPS; nothing is served in plaintext).
   *
   * The redirect needs `httpsRedirectException`: the gateway's ALLOW policy is checked before
   * Envoy's router sends the 301, so without its own rule a request without a token would be
   * answered 403, not redirected. `true` without that exception is refused.
   *
   * @default - true when `httpsRedirectException` is given; otherwise false: port 80 is closed
   */
  readonly httpsRedirect?: boolean;
  /**
   * The PolicyException for MESH-AUTHZ-004 that lets requests without an end-user token reach
   * port 80's redirect. It must cover `AuthorizationPolicy/<namespace>/<name>-https-redirect`, the
   * ALLOW policy it adds: the HTTP target port and the gateway's hosts (also as `host:80`), nothing
   * else. Without it, the gateway's ALLOW policy (checked before Envoy's router redirects) answers
   * such requests with 403 instead of the 301. Safe because that server redirects every request
   * and routes nothing.
   *
   * @default - no redirect: port 80 is closed (see `httpsRedirect`)
   */
  readonly httpsRedirectException?: PolicyException;
  /**
   * Source ranges of the load balancer's health checks: a NetworkPolicy admits them to the gateway
   * pods on TCP `statusPort` (`/healthz/ready`), and to nothing else. CIDRs, none wider than a /8
   * (IPv4) or /16 (IPv6). `[]` opens nothing.
   *
   * With container-native load balancing on GKE (NEGs: a GKE Ingress or Gateway), the checks reach
   * the pod itself and need this. A `LoadBalancer` Service (passthrough Network Load Balancer,
   * `externalTrafficPolicy` Cluster or Local) checks the nodes (kube-proxy, `healthCheckNodePort`)
   * instead, so the opening is unused there but harmless.
   *
   * @default ['35.191.0.0/16', '130.211.0.0/22'] - Google Cloud's health-check ranges for
   * Application Load Balancers (https://cloud.google.com/load-balancing/docs/firewall-rules)
   */
  readonly healthCheckSourceRanges?: string[];
  /**
   * The gateway pods' status port (Istio's `status.sidecar.istio.io/port`), where load balancers
   * check `/healthz/ready`.
   *
   * @default 15021 - Istio's
   */
  readonly statusPort?: number;
  /**
   * WAF and DDoS protection at the edge (INGRESS-1): `EdgeProtection.gkeIngressBackendConfig(...)`,
   * `EdgeProtection.gkeGatewayBackendPolicy(...)`, or `EdgeProtection.none(reason)`. The choice is
   * recorded on the Gateway object (`secure-mesh.cdk8s.io/edge-protection`).
   *
   * @default - undeclared: nothing is written for the edge, and the Gateway is annotated
   * `secure-mesh.cdk8s.io/edge-protection: undeclared`, so the gap shows in the YAML and the audit
   */
  readonly edgeProtection?: EdgeProtection;
  /**
   * Issuers of end-user tokens accepted at the gateway. Every route not declared public requires
   * a valid token of one of them.
   *
   * @default - none: only public routes can be added
   */
  readonly externalIssuers?: ExternalJwtIssuer[];
  /**
   * Exchange external tokens for internal ones at the edge.
   *
   * @default - no exchange
   */
  readonly tokenExchange?: TokenExchange;
  /**
   * Name of the Gateway object (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The mesh.
   *
   * @default - the MeshBaseline of this app
   */
  readonly mesh?: IMesh;
  /**
   * Namespace of the gateway deployment.
   *
   * @default 'istio-system' - where the standard istio-ingressgateway runs
   */
  readonly namespace?: string;
  /**
   * Labels of the gateway pods.
   *
   * @default { istio: 'ingressgateway' } - the standard gateway's labels
   */
  readonly selector?: { [key: string]: string };
  /**
   * ServiceAccount of the gateway pods (its mesh identity).
   *
   * @default 'istio-ingressgateway-service-account'
   */
  readonly serviceAccountName?: string;
  /**
   * Container port behind Service port 443.
   *
   * @default 8443 - the standard gateway's
   */
  readonly httpsTargetPort?: number;
  /**
   * Container port behind Service port 80.
   *
   * @default 8080 - the standard gateway's
   */
  readonly httpTargetPort?: number;
}

/** How to route to a service through the gateway. */
export interface RouteOptions {
  /** The host the route serves (one of the gateway's hosts). */
  readonly host: string;
  /**
   * Paths routed and authorized: exact (`/productpage`) or prefix (`/static/*`), normalized.
   *
   * @default ['/*'] - every path
   */
  readonly paths?: string[];
  /**
   * Methods routed and authorized.
   *
   * @default - every method
   */
  readonly methods?: string[];
  /**
   * The service port to route to.
   *
   * @default - the service's only HTTP port
   */
  readonly port?: number;
  /**
   * Serve the route to anonymous users (no end-user token) (USERAUTH-1). An ALLOW rule without
   * an identity breaks MESH-AUTHZ-004, so this takes a PolicyException that relaxes it and
   * covers the gateway: anonymous pages are a deliberate, owned, expiring decision.
   *
   * @default - a valid token of an external issuer is required
   */
  readonly publicAccess?: PolicyException;
}

/**
 * Whether some path is both admitted by the ALLOW path `grantPath` and matched by the
 * VirtualService match IngressGateway writes for the route path `routePath`: `exact` for an exact
 * path, `prefix: "/p/"` for `/p/*` (a string prefix, as Istio's ALLOW `/p/*` is), `prefix: "/"` for `/*`.
 */
export function admittedAndRoutedByVirtualService(grantPath: string, routePath: string): boolean {
  const routed = (p: string) => (routePath.endsWith('*') ? p.startsWith(routePath.slice(0, -1)) : p === routePath);
  if (!grantPath.endsWith('*')) return routed(grantPath);
  const grantPrefix = grantPath.slice(0, -1);
  if (!routePath.endsWith('*')) return routePath.startsWith(grantPrefix);
  const routePrefix = routePath.slice(0, -1);
  return routePrefix.startsWith(grantPrefix) || grantPrefix.startsWith(routePrefix);
}

/**
 * The mesh's front door (INGRESS-1, TOKEN-1, USERAUTH-1).
 *
 * After construction the gateway accepts HTTPS (TLS 1.2+ with a certificate from a Secret) on
 * its hosts; it routes nothing and authorizes nothing. Its pods take connections on the HTTPS
 * target port from anywhere, and on the status port (15021) from the load balancer's health
 * checkers only. Port 80 is closed unless `httpsRedirectException` is given: then it serves only
 * a redirect to HTTPS, which every request reaches (a narrow ALLOW rule on the HTTP port and the
 * hosts). With `edgeProtection`, a Cloud Armor policy is attached at the GKE load balancer; the
 * choice (or its absence) is recorded on the Gateway object.
 * Each `route(service, { host, paths, methods })` adds, from one call, the VirtualService route
 * AND the grant of the gateway's identity on the service with the same paths and methods
 * (`service.allowFrom(gateway)`), so routing and authorization cannot drift apart. Unless the
 * route is declared public, the gateway requires a valid end-user token of an external issuer.
 * With token exchange, the gateway does not forward external tokens; an ext-authz provider
 * swaps them for internal ones, and services accept only the internal issuer.
 */
export class IngressGateway extends Construct implements IMeshPeer {
  /**
   * Google Cloud's health-check source ranges for Application Load Balancers (IPv4), the default
   * of `healthCheckSourceRanges` (https://cloud.google.com/load-balancing/docs/firewall-rules).
   */
  public static readonly GOOGLE_CLOUD_HEALTH_CHECK_RANGES: string[] = [...GOOGLE_CLOUD_HEALTH_CHECK_RANGES];

  /** The Gateway object name. */
  public readonly gatewayName: string;
  /** Namespace of the gateway pods and the Gateway object. */
  public readonly namespace: string;
  /** Host names served. */
  public readonly hosts: string[];
  /** The gateway's identity. */
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };
  /** The source ranges admitted to the status port for load-balancer health checks (empty: none). */
  public readonly healthCheckSourceRanges: string[];
  /**
   * Annotations the gateway's Service must carry for the edge protection (the GKE Ingress needs
   * NEGs and the BackendConfig reference); put them in the Istio gateway chart's
   * `service.annotations`. Empty when nothing is needed.
   */
  public readonly edgeServiceAnnotations: { [key: string]: string };

  private readonly mesh: IMesh;
  private readonly externalIssuers: ExternalJwtIssuer[];
  private readonly tokenExchange?: TokenExchange;
  private readonly routes: EdgeRoute[] = [];

  constructor(scope: Construct, id: string, props: IngressGatewayProps) {
    super(scope, id);
    this.mesh = props.mesh ?? MeshBaseline.of(this);
    PolicyEnforcement.of(this)._useMesh(this.mesh, false);
    this.gatewayName = props.name ?? id;
    assertDnsLabel(this, 'name', this.gatewayName);
    this.namespace = props.namespace ?? 'istio-system';
    assertDnsLabel(this, 'namespace', this.namespace);
    if (!props.hosts || props.hosts.length === 0) throw configError(this, 'hosts', 'no host', 'Name the DNS names the gateway serves');
    props.hosts.forEach((h, i) => assertNoProblems(this, `hosts[${i}]`, checkDnsHostname(h), 'Use a DNS name such as "shop.example.com"'));
    if (new Set(props.hosts).size !== props.hosts.length) throw configError(this, 'hosts', 'duplicate hosts', 'List each host once');
    if (!(props.tls instanceof GatewayTls)) throw configError(this, 'tls', 'TLS is required', 'Use GatewayTls.simple(credentialName) or GatewayTls.mutual(...)');
    const httpsTargetPort = props.httpsTargetPort ?? 8443;
    const httpTargetPort = props.httpTargetPort ?? 8080;
    assertPort(this, 'httpsTargetPort', httpsTargetPort);
    assertPort(this, 'httpTargetPort', httpTargetPort);
    const statusPort = props.statusPort ?? GATEWAY_STATUS_PORT;
    assertPort(this, 'statusPort', statusPort);
    if (new Set([httpsTargetPort, httpTargetPort, statusPort]).size !== 3) {
      throw configError(this, 'statusPort', `the HTTPS (${httpsTargetPort}), HTTP (${httpTargetPort}) and status (${statusPort}) ports must differ`,
        'Give each its own container port');
    }
    assertNoProblems(this, 'healthCheckSourceRanges', healthCheckRangeProblems(props.healthCheckSourceRanges ?? []),
      'List the load balancer\'s health-check source ranges as CIDRs (e.g. "35.191.0.0/16"), or [] to open nothing');
    this.healthCheckSourceRanges = [...(props.healthCheckSourceRanges ?? GOOGLE_CLOUD_HEALTH_CHECK_RANGES)];
    if (props.edgeProtection !== undefined && !(props.edgeProtection instanceof EdgeProtection)) {
      throw configError(this, 'edgeProtection', 'not an EdgeProtection',
        'Use EdgeProtection.gkeIngressBackendConfig(...), EdgeProtection.gkeGatewayBackendPolicy(...) or EdgeProtection.none(reason)');
    }
    this.hosts = [...props.hosts].sort();
    this.externalIssuers = (props.externalIssuers ?? []).map((iss, i) => checkExternalIssuer(this, `externalIssuers[${i}]`, iss));
    if (props.tokenExchange) {
      if (!props.tokenExchange.provider || /\s/.test(props.tokenExchange.provider)) {
        throw configError(this, 'tokenExchange.provider', `"${props.tokenExchange.provider}" is not a provider name`, 'Name the ext-authz provider from meshConfig.extensionProviders');
      }
      if (this.externalIssuers.length === 0) {
        throw configError(this, 'tokenExchange', 'a token exchange needs an external issuer to exchange from', 'Declare externalIssuers');
      }
      if (this.externalIssuers.some((e) => e.issuer === props.tokenExchange!.internalIssuer.issuer)) {
        throw configError(this, 'tokenExchange.internalIssuer', 'the internal issuer must differ from the external ones', 'Use a mesh-internal issuer for the exchanged tokens');
      }
      this.tokenExchange = props.tokenExchange;
    }

    this.peerNamespace = this.namespace;
    this.peerPodLabels = sortedLabels(props.selector ?? { istio: 'ingressgateway' });
    this.peerPrincipal = Principal.serviceAccount(this.namespace, props.serviceAccountName ?? 'istio-ingressgateway-service-account', this.mesh.trustDomain);
    const meta = (name: string) => ({ name, namespace: this.namespace });
    const selector = { matchLabels: this.peerPodLabels };

    const httpsServer = {
      port: { number: 443, name: 'https', protocol: 'HTTPS' },
      hosts: this.hosts,
      tls: {
        mode: props.tls.mode,
        credentialName: props.tls.credentialName,
        minProtocolVersion: props.minProtocolVersion ?? TlsVersion.TLSV1_2,
      },
    };
    const redirect = props.httpsRedirect ?? props.httpsRedirectException !== undefined;
    const redirectPolicyName = objectName([this.gatewayName, 'https-redirect']);
    if (props.httpsRedirectException !== undefined && !redirect) {
      throw configError(this, 'httpsRedirectException', 'there is no redirect to open (httpsRedirect is false)', 'Remove the exception, or turn httpsRedirect on');
    }
    if (redirect && props.httpsRedirectException === undefined) {
      throw configError(this, 'httpsRedirect', 'the redirect would answer 403 to every request without a token: the gateway\'s ALLOW policy runs before Envoy\'s router redirects',
        `Give httpsRedirectException (a PolicyException for MESH-AUTHZ-004 covering AuthorizationPolicy/${this.namespace}/${redirectPolicyName}), or leave httpsRedirect unset to keep port 80 closed`);
    }
    const redirectException = props.httpsRedirectException === undefined ? undefined
      : checkRedirectException(this, 'httpsRedirectException', props.httpsRedirectException, `AuthorizationPolicy/${this.namespace}/${redirectPolicyName}`);
    const edge = renderEdgeProtection(this, props.edgeProtection, { gatewayName: this.gatewayName, namespace: this.namespace, statusPort });
    this.edgeServiceAnnotations = edge.serviceAnnotations;
    const gateway = new ApiObject(this, 'Gateway', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: meta(this.gatewayName),
      spec: {
        selector: this.peerPodLabels,
        servers: redirect
          ? [httpsServer, { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: this.hosts, tls: { httpsRedirect: true } }]
          : [httpsServer],
      },
    });
    Object.entries(edge.gatewayAnnotations).forEach(([k, v]) => gateway.metadata.addAnnotation(k, v));

    // INGRESS-1: the gateway pods take connections from anywhere, on the gateway ports only.
    networkPolicy(this, 'IngressPolicy', objectName([this.gatewayName, 'ingress']), this.namespace, {
      podSelector: selector,
      policyTypes: ['Ingress'],
      ingress: [{ ports: tcpPorts(redirect ? [httpsTargetPort, httpTargetPort] : [httpsTargetPort]) }],
    });
    // Load-balancer health checks reach the status port from their source ranges only.
    healthCheckNetworkPolicy(this, objectName([this.gatewayName, 'lb-health-checks']), this.namespace, this.peerPodLabels,
      this.healthCheckSourceRanges, statusPort);
    if (redirectException) {
      redirectAuthorizationPolicy(this, redirectPolicyName, this.namespace, this.peerPodLabels, httpTargetPort, this.hosts);
    }

    if (this.externalIssuers.length > 0) {
      new ApiObject(this, 'RequestAuthentication', {
        apiVersion: 'security.istio.io/v1',
        kind: 'RequestAuthentication',
        metadata: meta(objectName([this.gatewayName, 'jwt'])),
        spec: {
          selector,
          // TOKEN-1: the external token never travels into the mesh.
          jwtRules: edgeJwtRules(this.externalIssuers),
        },
      });
    }

    if (this.tokenExchange) {
      new ApiObject(this, 'TokenExchange', {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: meta(objectName([this.gatewayName, 'token-exchange'])),
        spec: {
          selector,
          action: 'CUSTOM',
          provider: { name: this.tokenExchange.provider },
          // With the redirect rule, port 80 only redirects: the exchange runs on the HTTPS port alone.
          rules: [{ to: [{ operation: redirectException ? { hosts: this.hosts, ports: [String(httpsTargetPort)] } : { hosts: this.hosts } }] }],
        },
      });
    }

    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: meta(this.gatewayName),
      spec: {
        selector,
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.renderEdgeRules() }),
      },
    });

    this.node.addValidation({ validate: () => this.externalIssuerInsideMesh() });
    this.node.addValidation({
      validate: () => edgeServiceProblems(this.node.root, props.edgeProtection, this.namespace, this.edgeServiceAnnotations)
        .map((p) => `[${this.node.path}] edgeProtection: ${p}`),
    });
  }

  /**
   * Routes `host` + paths + methods to `service` and grants the gateway's identity exactly that
   * on the service. Returns the grant.
   *
   * For a service of an app team's repository (`SecureService.fromAttributes`), this writes the
   * gateway's side only: the route and the edge's ALLOW rule. The platform's contract lists the
   * route (`MeshContract.yamlOf`), and the team's repository writes the service's side with the
   * same host, paths and methods (`MeshContract.ingressGateway(...).route`): the grant of the
   * gateway's identity and, after a token exchange, the internal issuer's JWT requirement. Until
   * it does, the service refuses the routed requests.
   */
  public route(service: ISecureService, options: RouteOptions): AccessGrant {
    const r = resolveEdgeRoute(this, this.hosts, this.externalIssuers, service, options);
    // After a token exchange every routed service accepts only the internal issuer's tokens.
    if (r.isPublic) assertAnonymousReachable(this, 'route.publicAccess', service, this.tokenExchange !== undefined, 'Route it without publicAccess (sign-in at the edge)');
    const key = JSON.stringify([service.node.path, r.host, r.port.port, r.paths, r.methods, r.isPublic]);
    if (!this.routes.some((x) => JSON.stringify([x.service.node.path, x.host, x.port.port, x.paths, x.methods, x.isPublic]) === key)) {
      checkNoAnonymousOverlap(this, this.routes, r, admittedAndRoutedByVirtualService);
      this.routes.push(r);
    }
    if (this.tokenExchange && service instanceof SecureService && !service.requiredJwtIssuers.includes(this.tokenExchange.internalIssuer.issuer)) {
      service.requireJwt(this.tokenExchange.internalIssuer);
    }
    this.ensureVirtualService();
    return service.allowFrom(this, {
      ports: [r.port.port],
      ...(r.paths.includes('/*') ? {} : { paths: r.paths }),
      ...(r.methods.length ? { methods: r.methods } : {}),
    });
  }

  /**
   * The gateway as the platform's mesh contract publishes it: identity, hosts, issuers, and the
   * routes to services of app teams' repositories (which write the services' side).
   *
   * @internal
   */
  public _contractEntry(): ContractIngressGateway {
    const exchange = this.tokenExchange;
    return {
      name: this.gatewayName,
      namespace: this.namespace,
      api: 'istio',
      serviceAccountName: this.peerPrincipal.serviceAccountName,
      podLabels: { ...this.peerPodLabels },
      hosts: [...this.hosts],
      externalIssuers: this.externalIssuers.map(contractIssuer),
      ...(exchange ? {
        tokenExchange: {
          provider: exchange.provider,
          internalIssuer: {
            issuer: exchange.internalIssuer.issuer, jwksUri: exchange.internalIssuer.jwksUri, audiences: [...exchange.internalIssuer.audiences],
          },
        },
      } : {}),
      routes: contractRoutes([...this.routes].sort(byKey)),
    };
  }

  /** The VirtualService of the gateway's routes, created with the first route (a VirtualService needs one). */
  private ensureVirtualService(): void {
    if (this.node.tryFindChild('VirtualService')) return;
    new ApiObject(this, 'VirtualService', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: this.gatewayName, namespace: this.namespace },
      spec: {
        hosts: this.hosts,
        gateways: [this.gatewayName],
        // Only this gateway uses the routes; no sidecar of the namespace picks them up.
        exportTo: ['.'],
        http: Lazy.any({ produce: () => this.renderHttpRoutes() }),
      },
    });
  }

  private renderHttpRoutes(): any[] {
    return [...this.routes].sort(byKey).map((r, i) => ({
      name: objectName([r.service.namespaceName, r.service.serviceName, String(i)]),
      match: r.paths.flatMap((path) => {
        const uri = path === '/*' ? { prefix: '/' } : path.endsWith('/*') ? { prefix: path.slice(0, -1) } : { exact: path };
        const authority = { exact: r.host };
        return r.methods.length ? r.methods.map((m) => ({ authority, uri, method: { exact: m } })) : [{ authority, uri }];
      }),
      route: [{ destination: { host: r.service.host, port: { number: r.port.port } } }],
    }));
  }

  private renderEdgeRules(): any[] | undefined {
    if (this.routes.length === 0) return undefined;
    const requestPrincipals = edgeRequestPrincipals(this.externalIssuers);
    return [...this.routes].sort(byKey).map((r) => ({
      ...(r.isPublic ? {} : { from: [{ source: { requestPrincipals } }] }),
      to: [{
        operation: {
          hosts: [r.host],
          ...(r.paths.includes('/*') ? {} : { paths: r.paths }),
          ...(r.methods.length ? { methods: r.methods } : {}),
        },
      }],
    }));
  }

  /**
   * TOKEN-1: an external issuer is accepted at the edge only, never by a mesh service; and a
   * public route never leads to a service that requires a token.
   */
  private externalIssuerInsideMesh(): string[] {
    const external = new Set(this.externalIssuers.map((e) => e.issuer));
    const publicToJwt = this.routes.filter((r) => r.isPublic && requiredJwtIssuersOf(r.service).length > 0).map((r) =>
      `[${this.node.path}] route.publicAccess: ${r.service.serviceName} requires a JWT, so the public route to ${r.host} would always be denied. `
      + 'Route it without publicAccess');
    return [...publicToJwt, ...this.node.root.node.findAll()
      .filter((c: IConstruct): c is SecureService => c instanceof SecureService)
      .flatMap((svc) => svc.requiredJwtIssuers.filter((i) => external.has(i)).map((i) =>
        `[${svc.node.path}] requireJwt.issuer: "${i}" is an external issuer of gateway ${this.node.path}, accepted at the edge only (TOKEN-1). `
        + 'Require the internal issuer of the token exchange instead'))];
  }
}

function byKey(a: EdgeRoute, b: EdgeRoute): number {
  const ka = `${a.host}|${a.service.host}|${a.paths.join(',')}|${a.methods.join(',')}`;
  const kb = `${b.host}|${b.service.host}|${b.paths.join(',')}|${b.methods.join(',')}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

