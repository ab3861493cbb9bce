import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessGrant } from './access-grant';
import { DataPlane } from './data-plane';
import { ExternalHostLedger, ExternalHostRecord as HostRecord, callerName, checkExternalGrant, contractHostsOf, sortedCallers } from './external-grant';
import { ExternalHost, ExternalHostMode } from './external-host';
import { IMesh } from './mesh';
import { MeshBaseline } from './mesh-baseline';
import { IMeshPeer } from './mesh-peer';
import { Principal } from './principal';
import type { ContractExternalHost } from '../contract/contract-document';
import { assertNoProblems, configError } from '../core/errors';
import { assertDnsLabel, assertPort, objectName } from '../core/names';
import { NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, networkPolicy } from '../network/network-policy';
import { dnsEgressRule, podsInNamespace, sortedLabels, tcpPorts } from '../network/peers';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { checkDns1035Label, checkDns1123Subdomain, checkLabelValue, checkQualifiedName } from '../validation/kubernetes-names';
import { MeshWorkload } from '../workload/mesh-workload';

/** Cluster DNS suffix of Service FQDNs (`<service>.<namespace>.svc.<clusterDomain>`). */
const CLUSTER_DOMAIN = 'cluster.local';
/** istiod's xDS and CA port: the egress gateway gets its configuration and certificate here. */
const XDS_CA_PORT = 15012;
/** The mesh gateway name that binds a VirtualService rule to every sidecar. */
const MESH_GATEWAY = 'mesh';

/** Where callers reach an egress gateway: its namespace, pods, container port and Service. */
export interface EgressGatewayEndpoint {
  readonly namespace: string;
  readonly selector: { [key: string]: string };
  readonly httpsTargetPort: number;
  readonly serviceHost: string;
}

/**
 * The caller's side of an egress-gateway grant of `host` (EGRESS-1, AUTHZ-4): the caller's pods
 * may reach the gateway's pods on its HTTPS container port, and its namespace's sidecars see the
 * host (exported by the gateway namespace) and, outside the control-plane namespace, the gateway's
 * Service. Returns the objects that carry it.
 *
 * @internal
 */
export function openEgressGatewayCallerSide(caller: MeshWorkload, gateway: EgressGatewayEndpoint, host: string,
  controlPlaneNamespace: string): string[] {
  const to = { namespace: gateway.namespace, podLabels: gateway.selector };
  const objects = caller._allowEgress(to, [gateway.httpsTargetPort], `${gateway.namespace}/${host}`);
  if (gateway.namespace !== controlPlaneNamespace) {
    // The caller's Sidecar sees the control-plane namespace already; elsewhere it must import the gateway Service.
    objects.push(...caller._allowEgress(to, [gateway.httpsTargetPort], `${gateway.namespace}/${gateway.serviceHost}`));
  }
  return [...new Set(objects)];
}

/** Callers granted one external host (the declarative form of `allowExternal`). */
export interface ExternalAccess {
  /** The external host. */
  readonly host: ExternalHost;
  /**
   * The workloads that may call it; at least one: mesh workloads of this app, or services of an
   * app team's repository (`SecureService.fromAttributes`), which open their own side there.
   */
  readonly from: IMeshPeer[];
}

/** Who may call an external host through the egress gateway. */
export interface AllowExternalOptions {
  /**
   * The workloads that may call the host; at least one. Every other workload stays refused.
   *
   * A mesh workload of this app gets both sides here. A service of an app team's repository
   * (`SecureService.fromAttributes`) gets the gateway's side only: its identity is admitted and its
   * pods may connect, and its repository opens its own egress with
   * `MeshContract.allowExternal(host, ...)`, which the platform's contract lists.
   */
  readonly from: IMeshPeer[];
}

/** Props of an EgressGateway. Every prop is optional: the defaults describe Istio's standard egress gateway. */
export interface EgressGatewayProps {
  /**
   * The mesh whose workloads use this gateway.
   *
   * @default - the MeshBaseline of this app (an error when there is none)
   */
  readonly mesh?: IMesh;
  /**
   * Namespace the egress gateway pods run in. The ServiceEntries, Gateway, VirtualServices,
   * DestinationRules, AuthorizationPolicy and gateway NetworkPolicies are created here, and CA
   * Secrets for TLS origination (`caCredentialName`) must live here.
   *
   * @default 'istio-system' - where istioctl's profiles and the `istio-egress` chart put the
   * standard `istio-egressgateway`
   */
  readonly namespace?: string;
  /**
   * Labels of the egress gateway pods: the Gateway, the AuthorizationPolicy and the
   * NetworkPolicies select them. Must not be empty (an empty selector would select every pod of
   * the namespace, istiod included).
   *
   * @default { istio: 'egressgateway' } - the labels of the standard egress gateway
   * (`manifests/charts/gateways/istio-egress/values.yaml`: `app: istio-egressgateway`, `istio: egressgateway`)
   */
  readonly selector?: { [key: string]: string };
  /**
   * ServiceAccount of the egress gateway pods: its SPIFFE identity is the gateway's principal.
   *
   * @default 'istio-egressgateway-service-account' - the standard chart's `<gateway name>-service-account`
   */
  readonly serviceAccountName?: string;
  /**
   * Name of the egress gateway's Kubernetes Service. Sidecars send granted traffic to
   * `<serviceName>.<namespace>.svc.cluster.local`; it also names the per-gateway objects.
   *
   * @default 'istio-egressgateway' - the standard chart's Service
   */
  readonly serviceName?: string;
  /**
   * The Service port sidecars reach the egress gateway on (mTLS). It is the Gateway servers' port.
   *
   * @default 443 - the standard chart's `https` Service port
   */
  readonly httpsPort?: number;
  /**
   * The container port behind `httpsPort`: the port the NetworkPolicies open and the
   * AuthorizationPolicy names (both see the traffic at the pod, after the Service).
   *
   * @default 8443 - the standard chart maps Service port 443 to target port 8443 (and 80 to 8080,
   * which no grant of this construct uses: nothing reaches the egress gateway in plaintext)
   */
  readonly httpsTargetPort?: number;
  /**
   * External hosts and their callers, as if `allowExternal(host, { from })` were called for each.
   *
   * @default - none: the gateway forwards nothing until `allowExternal` is called
   */
  readonly hosts?: ExternalAccess[];
}

/**
 * The mesh's only way out (EGRESS-1; with MTLS-1, AUTHZ-2 and AUTHZ-4).
 *
 * The mesh baseline makes sidecars REGISTRY_ONLY, so no workload reaches a host outside the
 * registry; hardened namespaces let pods connect to nothing outside the cluster. This construct
 * describes an existing Istio egress gateway deployment (it does not deploy one) and, right
 * after construction, it forwards nothing: its ALLOW AuthorizationPolicy has no rule, its
 * ingress NetworkPolicy admits no pod, and its egress NetworkPolicy lets the gateway pods reach
 * only the cluster DNS and istiod (15012).
 *
 * Each `allowExternal(host, { from: [a, b] })` lets exactly the services `a` and `b` reach
 * `host:port`, only through the egress gateway, and nobody else:
 * - the host enters the registry of the gateway namespace and of `a`'s and `b`'s namespaces only
 *   (ServiceEntry `exportTo`), and their sidecars import it (`Sidecar` egress `<gwNs>/<host>`);
 *   for `httpsOriginated`, `a` and `b` see only the application's HTTP port (see below);
 * - their sidecars send traffic for the host to the egress gateway over mesh mTLS
 *   (VirtualService `mesh` rule, DestinationRule subset `ISTIO_MUTUAL` with `sni: <host>`), so
 *   the gateway learns the caller's identity;
 * - the gateway admits the call only from `a`'s and `b`'s principals, and only for that host
 *   (AuthorizationPolicy: the Host header for `httpsOriginated`, `connection.sni` for `https`),
 *   on its container port;
 * - at L3/L4, `a` and `b` may open connections only to the egress gateway pods on their
 *   container port (their egress NetworkPolicy; still never to an IP outside the cluster), the
 *   gateway pods accept connections only from `a`'s and `b`'s pods on that port, and the gateway
 *   pods may connect out only on the granted external ports;
 * - for `https`, the application's TLS stream is forwarded unchanged to the host; for
 *   `httpsOriginated`, the gateway opens TLS to the host (SNI `host`), verifying its certificate
 *   against the CA Secret and its names against `subjectAltNames`.
 *
 * Every Gateway server terminates the mesh mTLS (`ISTIO_MUTUAL`), also for `https` hosts (TLS
 * server, routed on to the host with a TCP route). A `PASSTHROUGH` server, as in Istio's plain
 * "Egress Gateways" task, would never learn the caller's identity, so an ALLOW rule on
 * principals could only refuse everyone, or, without it, admit everyone.
 *
 * For an `httpsOriginated` host the callers see only the application's HTTP port: the host's TLS
 * port, which the gateway needs to reach the host, is registered in a second ServiceEntry
 * (`originate-tls-<host>`) visible in the gateway namespace only, so no caller's sidecar has a
 * route that opens it straight to the host (MESH-EGRESS-003). No namespace sees both entries:
 * Istio merges the ports of two entries for one host only when their exportTo (and namespace,
 * resolution, labels) are equal, and otherwise keeps just the older one where both are visible
 * (see `createHostObjects`).
 *
 * The gateway pods' egress is open to `0.0.0.0/0` and `::/0` on the external ports: an external
 * DNS name resolves to addresses that change (CDNs, cloud load balancers) and NetworkPolicy has
 * no DNS-name peers, so the L3 rule cannot name the host. What the gateway connects to is
 * narrowed in Envoy instead: it routes only registered, granted hosts, and only for the granted
 * callers. Restrict the gateway nodes' egress further in the cloud firewall where addresses are
 * known.
 *
 * Callers are sidecar workloads. An ambient workload has no sidecar to follow the mesh route, so
 * granting one is an error: ambient workloads reach external hosts through an
 * `AmbientEgressGateway` (the egress namespace's waypoint). Each external host leaves through one
 * egress construct of either kind.
 *
 * Note for the default namespace `istio-system`, which is usually also the mesh root namespace:
 * an AuthorizationPolicy with a selector in the root namespace applies to pods with those labels
 * in every namespace. It only ever allows the granted callers, and callers' NetworkPolicies reach
 * only the gateway pods of the gateway namespace.
 */
export class EgressGateway extends Construct implements IMeshPeer {
  /** The mesh the gateway serves. */
  public readonly mesh: IMesh;
  /** Namespace of the egress gateway pods and of every object this construct creates. */
  public readonly namespace: string;
  /** Labels of the egress gateway pods. */
  public readonly selector: { [key: string]: string };
  /** The egress gateway's ServiceAccount. */
  public readonly serviceAccountName: string;
  /** The egress gateway's Service name. */
  public readonly serviceName: string;
  /** The egress gateway's Service FQDN, `<serviceName>.<namespace>.svc.cluster.local`. */
  public readonly serviceHost: string;
  /** The Service port sidecars reach the gateway on. */
  public readonly httpsPort: number;
  /** The container port behind `httpsPort`. */
  public readonly httpsTargetPort: number;
  /** The gateway's own identity. */
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };

  private readonly ledger = new ExternalHostLedger();

  constructor(scope: Construct, id: string, props: EgressGatewayProps = {}) {
    super(scope, id);
    this.mesh = props.mesh ?? MeshBaseline.of(this);
    PolicyEnforcement.of(this)._useMesh(this.mesh, false);
    this.namespace = props.namespace ?? 'istio-system';
    assertDnsLabel(this, 'namespace', this.namespace);
    this.selector = sortedLabels(props.selector ?? { istio: 'egressgateway' });
    this.checkSelector();
    this.serviceAccountName = props.serviceAccountName ?? 'istio-egressgateway-service-account';
    assertNoProblems(this, 'serviceAccountName', checkDns1123Subdomain(this.serviceAccountName).map((p) => `"${this.serviceAccountName}" ${p}`),
      'Use the name of the egress gateway\'s ServiceAccount');
    this.serviceName = props.serviceName ?? 'istio-egressgateway';
    assertNoProblems(this, 'serviceName', checkDns1035Label(this.serviceName).map((p) => `"${this.serviceName}" ${p}`),
      'Use the name of the egress gateway\'s Service');
    this.httpsPort = props.httpsPort ?? 443;
    assertPort(this, 'httpsPort', this.httpsPort);
    this.httpsTargetPort = props.httpsTargetPort ?? 8443;
    assertPort(this, 'httpsTargetPort', this.httpsTargetPort);
    this.checkUnique();

    this.serviceHost = `${this.serviceName}.${this.namespace}.svc.${CLUSTER_DOMAIN}`;
    this.peerPrincipal = Principal.serviceAccount(this.namespace, this.serviceAccountName, this.mesh.trustDomain);
    this.peerNamespace = this.namespace;
    this.peerPodLabels = { ...this.selector };

    // EGRESS-1 / AUTHZ-2: the gateway forwards for granted identities only; no rule = nothing.
    new ApiObject(this, 'AuthorizationPolicy', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: this.meta(this.serviceName),
      spec: {
        selector: { matchLabels: { ...this.selector } },
        action: 'ALLOW',
        rules: Lazy.any({ produce: () => this.renderRules() }),
      },
    });

    // AUTHZ-4: exactly the granted callers' pods, on the gateway's container port.
    networkPolicy(this, 'IngressPolicy', objectName([this.serviceName, 'ingress']), this.namespace, {
      podSelector: { matchLabels: { ...this.selector } },
      policyTypes: ['Ingress'],
      ingress: () => this.renderIngress(),
    });

    // EGRESS-1: the gateway pods reach DNS, istiod and the granted external ports, nothing else.
    networkPolicy(this, 'EgressPolicy', objectName([this.serviceName, 'egress']), this.namespace, {
      podSelector: { matchLabels: { ...this.selector } },
      policyTypes: ['Egress'],
      egress: () => this.renderEgress(),
    });

    for (const access of props.hosts ?? []) this.allowExternal(access.host, { from: access.from });
  }

  /**
   * Lets exactly the services in `options.from` reach `host` through this egress gateway, and
   * nobody else (see the class comment for every object involved). Returns one grant per
   * caller. Idempotent: granting the same host to the same caller again returns the same grant;
   * granting it to more callers extends the callers. Granting a host again with other settings
   * (mode, ports, CA or names) is an error, and so is an ambient caller (see the class comment).
   *
   * @param host the external host
   * @param options the callers
   */
  public allowExternal(host: ExternalHost, options: AllowExternalOptions): AccessGrant[] {
    const callers = checkExternalGrant(this, host, options?.from, 'its egress NetworkPolicy and Sidecar');
    callers.forEach((c, i) => {
      // Ambient pods have no sidecar: the mesh route, DestinationRule and Sidecar import written
      // here would not apply to them, and ztunnel would send them nowhere near this gateway.
      if (c.peerDataPlane === DataPlane.AMBIENT) {
        throw configError(this, `allowExternal.from[${i}]`, `${callerName(c)} is an ambient workload: it has no sidecar, so the mesh route `
          + 'to this egress gateway (VirtualService "mesh", DestinationRule, Sidecar hosts) does nothing for it',
        'Grant it the host through an AmbientEgressGateway (the egress namespace\'s waypoint), or run it in a sidecar namespace');
      }
    });
    const record = this.recordFor(host);
    return callers.map((caller) => this.grantCaller(record, caller));
  }

  /** The external hosts granted so far, sorted by host. */
  public get externalHosts(): ExternalHost[] {
    return this.ledger.hosts;
  }

  /** The grants made so far, sorted by host then caller. */
  public get accessGrants(): AccessGrant[] {
    return this.ledger.grants;
  }

  /**
   * The hosts granted to services of app teams' repositories, as the platform's mesh contract
   * publishes them (those repositories open their callers' side).
   *
   * @internal
   */
  public _contractHosts(): ContractExternalHost[] {
    return contractHostsOf(this.ledger, {
      kind: 'EgressGateway', namespace: this.namespace, podLabels: { ...this.selector }, port: this.httpsTargetPort, serviceHost: this.serviceHost,
    });
  }

  private recordFor(host: ExternalHost): HostRecord {
    return this.ledger.recordFor(this, host, (record) => {
      this.ensureSharedObjects();
      this.createHostObjects(record);
    });
  }

  private grantCaller(record: HostRecord, caller: IMeshPeer): AccessGrant {
    const principal = caller.peerPrincipal.principalIn(this.mesh.trustDomain);
    const key = JSON.stringify([principal, caller.peerNamespace, caller.peerPodLabels ?? {}]);
    const existing = record.callers.get(key);
    if (existing) return existing.grant;

    // A service of another repository opens its side there (MeshContract.allowExternal).
    const callerObjects = caller instanceof MeshWorkload
      ? openEgressGatewayCallerSide(caller, this, record.external.host, this.mesh.controlPlaneNamespace) : [];
    const objects = [...this.hostObjects(record), ...callerObjects];
    const grant = new AccessGrant({
      callerPrincipal: principal,
      target: record.external.host,
      targetPorts: [record.external.port],
      paths: [],
      methods: [],
      objects,
    });
    record.callers.set(key, { caller, principal, grant });
    return grant;
  }

  /** The objects in the gateway namespace that carry a host's grants, as `Kind/namespace/name`. */
  private hostObjects(record: HostRecord): string[] {
    const at = (kind: string, name: string) => `${kind}/${this.namespace}/${name}`;
    return [
      at('ServiceEntry', this.perHostName(record)),
      ...(record.external.mode === ExternalHostMode.HTTPS_ORIGINATED ? [at('ServiceEntry', this.originationName(record))] : []),
      at('Gateway', this.serviceName),
      at('VirtualService', this.perHostName(record)),
      at('DestinationRule', this.serviceName),
      ...(record.external.mode === ExternalHostMode.HTTPS_ORIGINATED ? [at('DestinationRule', this.originationName(record))] : []),
      at('AuthorizationPolicy', this.serviceName),
      at('NetworkPolicy', objectName([this.serviceName, 'ingress'])),
      at('NetworkPolicy', objectName([this.serviceName, 'egress'])),
    ];
  }

  /** The Gateway and the sidecar-to-gateway DestinationRule: one each, created with the first host. */
  private ensureSharedObjects(): void {
    if (this.node.tryFindChild('Gateway')) return;
    new ApiObject(this, 'Gateway', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: this.meta(this.serviceName),
      spec: {
        selector: { ...this.selector },
        servers: Lazy.any({ produce: () => this.sortedRecords().map((r) => this.renderServer(r)) }),
      },
    });
    // MTLS-1: every sidecar-to-gateway hop is Istio mTLS, with the external host as SNI so the
    // gateway picks the right server. One object for all subsets: Istio merges DestinationRules
    // of one host unreliably when their exportTo differ.
    new ApiObject(this, 'DestinationRule', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: this.meta(this.serviceName),
      spec: {
        host: this.serviceHost,
        exportTo: Lazy.any({ produce: () => this.exportTo(this.sortedRecords()) }),
        subsets: Lazy.any({
          produce: () => this.sortedRecords().map((r) => ({
            name: objectName([r.slug]),
            trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL', sni: r.external.host } },
          })),
        }),
      },
    });
  }

  private createHostObjects(record: HostRecord): void {
    const { external } = record;
    const scope = new Construct(this, external.host);
    const originated = external.mode === ExternalHostMode.HTTPS_ORIGINATED;

    const entry = (id: string, name: string, exportTo: unknown, ports: object[]) => new ApiObject(scope, id, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: this.meta(name),
      spec: { hosts: [external.host], exportTo, location: 'MESH_EXTERNAL', resolution: 'DNS', ports },
    });
    if (originated) {
      // EGRESS-1: the callers see the application's HTTP port only, which their mesh route sends to
      // the gateway; the host's TLS port is registered for the gateway namespace alone, so no
      // caller's sidecar can open it straight to the host.
      //
      // Two entries for one host, and no namespace sees both. istiod indexes each ServiceEntry
      // under its own exportTo (istio/istio pilot/pkg/model/push_context.go, initServiceRegistry:
      // privateByNamespace / exportedToNamespace), so a namespace sees exactly the entries exported
      // to it. Where two entries of one host are visible together, their ports are merged only if
      // namespace, resolution, labels and exportTo are all equal; otherwise the newer entry is
      // ignored (pilot/pkg/model/sidecar.go, appendSidecarServices/canMergeServices, since Istio
      // 1.22: istio/istio#49595, istio/istio#52546; gateways build their scope the same way,
      // DefaultSidecarScopeForGateway). A TLS-port entry with exportTo ["."] next to an HTTP entry
      // exported to [".", callers] would thus leave the gateway with one of the two, possibly
      // without the TLS port. Hence the callers' entry is not exported to the gateway namespace,
      // and the gateway's entry carries the HTTP port too, for callers that live in the gateway
      // namespace (same port name and number in both, so their endpoints agree).
      const http = { number: external.appPort, name: 'http', protocol: 'HTTP' };
      entry('ServiceEntry', this.perHostName(record), Lazy.any({ produce: () => this.callerExportTo(record) }), [http]);
      entry('GatewayServiceEntry', this.originationName(record), ['.'], [http, { number: external.port, name: 'https', protocol: 'HTTPS' }]);
    } else {
      entry('ServiceEntry', this.perHostName(record), Lazy.any({ produce: () => this.exportTo([record]) }),
        [{ number: external.port, name: 'tls', protocol: 'TLS' }]);
    }

    const gatewayRef = `${this.namespace}/${this.serviceName}`;
    const toGateway = [{ destination: { host: this.serviceHost, subset: objectName([record.slug]), port: { number: this.httpsPort } } }];
    const toHost = [{ destination: { host: external.host, port: { number: external.port } } }];
    new ApiObject(scope, 'VirtualService', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: this.meta(this.perHostName(record)),
      spec: {
        hosts: [external.host],
        gateways: [gatewayRef, MESH_GATEWAY],
        exportTo: Lazy.any({ produce: () => this.exportTo([record]) }),
        ...(originated
          ? {
            http: [
              { match: [{ gateways: [MESH_GATEWAY], port: external.appPort }], route: toGateway },
              { match: [{ gateways: [gatewayRef], port: this.httpsPort }], route: toHost },
            ],
          }
          : {
            // The app's TLS stream, wrapped in mesh mTLS to the gateway, which unwraps it and
            // forwards the app's TLS unchanged (a TCP route: the gateway terminated only the mTLS).
            tls: [{ match: [{ gateways: [MESH_GATEWAY], port: external.port, sniHosts: [external.host] }], route: toGateway }],
            tcp: [{ match: [{ gateways: [gatewayRef], port: this.httpsPort }], route: toHost }],
          }),
      },
    });

    if (originated) {
      // EGRESS-1: TLS is originated here, at the gateway, and the server is verified.
      new ApiObject(scope, 'OriginateTls', {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: this.meta(this.originationName(record)),
        spec: {
          host: external.host,
          exportTo: ['.'],
          trafficPolicy: {
            portLevelSettings: [{
              port: { number: external.port },
              tls: {
                mode: 'SIMPLE',
                credentialName: external.caCredentialName,
                sni: external.host,
                subjectAltNames: [...external.subjectAltNames],
              },
            }],
          },
        },
      });
    }
  }

  private renderServer(record: HostRecord): any {
    const originated = record.external.mode === ExternalHostMode.HTTPS_ORIGINATED;
    return {
      port: {
        number: this.httpsPort,
        name: objectName([originated ? 'https' : 'tls', record.slug]),
        protocol: originated ? 'HTTPS' : 'TLS',
      },
      // Only VirtualServices of the gateway namespace may bind to the server.
      hosts: [`./${record.external.host}`],
      tls: { mode: 'ISTIO_MUTUAL' },
    };
  }

  /** One ALLOW rule per host: its callers' principals, on the gateway port, for that host only. */
  private renderRules(): any[] | undefined {
    const records = this.sortedRecords().filter((r) => r.callers.size > 0);
    if (records.length === 0) return undefined;
    return records.map((r) => {
      const principals = [...new Set(sortedCallers(r).map((c) => c.principal))].sort();
      const ports = [String(this.httpsTargetPort)];
      const from = [{ source: { principals } }];
      if (r.external.mode === ExternalHostMode.HTTPS_ORIGINATED) {
        // The Host header, with or without the port the app called.
        const hosts = [r.external.host, `${r.external.host}:${r.external.appPort}`];
        return { from, to: [{ operation: { hosts, ports } }] };
      }
      // TLS from the app: no HTTP to inspect; the SNI of the mTLS hop names the host.
      return { from, to: [{ operation: { ports } }], when: [{ key: 'connection.sni', values: [r.external.host] }] };
    });
  }

  private renderIngress(): NetworkPolicyIngressRule[] {
    const peers = new Map<string, NetworkPolicyPeer>();
    for (const r of this.ledger.sorted()) {
      for (const c of r.callers.values()) {
        const peer = podsInNamespace(c.caller.peerNamespace, c.caller.peerPodLabels);
        peers.set(JSON.stringify(peer), peer);
      }
    }
    return [...peers.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, peer]) => ({ from: [peer], ports: tcpPorts([this.httpsTargetPort]) }));
  }

  private renderEgress(): NetworkPolicyEgressRule[] {
    const rules: NetworkPolicyEgressRule[] = [
      dnsEgressRule(),
      { to: [podsInNamespace(this.mesh.controlPlaneNamespace, this.mesh.istiodPodLabels)], ports: tcpPorts([XDS_CA_PORT]) },
    ];
    const ports = this.ledger.sorted().map((r) => r.external.port);
    if (ports.length > 0) {
      // External DNS names have no stable addresses, so L3 cannot narrow further (see class comment).
      rules.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: tcpPorts(ports) });
    }
    return rules;
  }

  /** `.` (the gateway namespace) plus the callers' namespaces of `records`, sorted and unique. */
  private exportTo(records: HostRecord[]): string[] {
    return ['.', ...this.callerNamespaces(records)];
  }

  /**
   * The callers' namespaces of `record` outside the gateway namespace, or `~` (no namespace) when
   * every caller lives there: an empty exportTo would export the entry to every namespace.
   */
  private callerExportTo(record: HostRecord): string[] {
    const namespaces = this.callerNamespaces([record]);
    return namespaces.length > 0 ? namespaces : ['~'];
  }

  /** The callers' namespaces of `records` other than the gateway namespace, sorted and unique. */
  private callerNamespaces(records: HostRecord[]): string[] {
    const namespaces = new Set<string>();
    for (const r of records) for (const c of r.callers.values()) namespaces.add(c.caller.peerNamespace);
    namespaces.delete(this.namespace);
    return [...namespaces].sort();
  }

  private sortedRecords(): HostRecord[] {
    return this.ledger.sorted();
  }

  private perHostName(record: HostRecord): string {
    return objectName(['egress', record.slug]);
  }

  private originationName(record: HostRecord): string {
    return objectName(['originate-tls', record.slug]);
  }

  private meta(name: string): { name: string; namespace: string } {
    return { name, namespace: this.namespace };
  }

  private checkSelector(): void {
    const entries = Object.entries(this.selector);
    if (entries.length === 0) {
      throw configError(this, 'selector', 'an empty selector would select every pod of the namespace (istiod included)',
        'Give the labels of the egress gateway pods, e.g. { istio: \'egressgateway\' }');
    }
    const problems = entries.flatMap(([k, v]) => [
      ...checkQualifiedName(k).map((p) => `key "${k}" ${p}`),
      ...checkLabelValue(v).map((p) => `value "${v}" of "${k}" ${p}`),
    ]);
    assertNoProblems(this, 'selector', problems, 'Use valid Kubernetes label keys and values');
  }

  private checkUnique(): void {
    const other = this.node.root.node.findAll().find((c) => c !== this && c instanceof EgressGateway
      && c.namespace === this.namespace && c.serviceName === this.serviceName);
    if (other) {
      throw configError(this, 'serviceName', `egress gateway "${this.namespace}/${this.serviceName}" is already defined at ${other.node.path}`,
        'Describe each egress gateway once and grant all its hosts on that construct');
    }
  }
}

