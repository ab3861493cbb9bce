import { readFileSync } from 'fs';
import { resolve } from 'path';
import { Construct, IConstruct } from 'constructs';
import {
  CONTRACT_API_VERSION, CONTRACT_KIND, CONTRACT_VERSION, ContractDocument, ContractExternalHost, ContractIngressGateway, ContractNamespace,
  parseContract, renderContract,
} from './contract-document';
import { configError } from '../core/errors';
import { AccessGrant } from '../mesh/access-grant';
import { AmbientEgressGateway } from '../mesh/ambient-egress-gateway';
import { DataPlane } from '../mesh/data-plane';
import { assertAnonymousReachable, resolveEdgeRoute } from '../mesh/edge-auth';
import { AllowExternalOptions, EgressGateway, openEgressGatewayCallerSide } from '../mesh/egress-gateway';
import { callerName } from '../mesh/external-grant';
import { GatewayApiIngress, writeReferenceGrant } from '../mesh/gateway-api-ingress';
import { IngressGateway, RouteOptions } from '../mesh/ingress-gateway';
import { IMesh } from '../mesh/mesh';
import { MeshBaseline } from '../mesh/mesh-baseline';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { PolicyEnforcement, appRuleSet } from '../policy/policy-enforcement';
import { AppTeamNamespace } from '../workload/app-team-namespace';
import { HardenedNamespace } from '../workload/hardened-namespace';
import { MeshWorkload } from '../workload/mesh-workload';
import { SecureService } from '../workload/secure-service';

/**
 * What a platform repository publishes so that app teams' repositories join its mesh (issue
 * "many repos, one mesh"; MTLS-1, AUTHZ-2, NS-1, RBAC-1, INGRESS-1, EGRESS-1, EXC-1): a versioned
 * file, `mesh-contract.yaml`, generated from the platform app and read by every app repository.
 *
 * It carries:
 * - the mesh (trust domain, root and control-plane namespaces, revision, data planes, registries,
 *   proxy repositories, monitoring), so principals and every rule are the platform's;
 * - the operator groups, the rule set and the longest exception lifetime, so an app repository's
 *   checks and its `secure-mesh.yaml` cannot drift from the platform's (synthesis fails when they do);
 * - the namespaces the platform created for app teams (`AppTeamNamespace`), with their data plane
 *   and profile;
 * - the ingress gateways, with their identity, hosts, issuers and the routes into app teams'
 *   namespaces; and the external hosts the platform routes out, with the callers it admits.
 *
 * In the platform repository: `writeFileSync('mesh-contract.yaml', MeshContract.yamlOf(app))` after
 * synthesis, and commit it. Publish it to app teams as a pinned file or package.
 *
 * In an app team's repository: `const contract = MeshContract.fromFile(app, 'contract', path)`, then
 * - `contract.namespace(chart, id, name)`: the team's namespace, as a HardenedNamespace whose
 *   baseline (Namespace object, isolation, team roles) the platform writes and whose workloads,
 *   grants, Sidecar and exception registry are written here;
 * - `contract.ingressGateway(name).route(service, options)`: the service's side of a route the
 *   platform declared (the grant of the gateway's identity, and the internal token after an
 *   exchange); a route the platform did not declare is refused;
 * - `contract.allowExternal(host, { from })`: the callers' side of an external host the platform
 *   routes (egress to its gateway or waypoint); a caller the platform does not admit is refused.
 *
 * Grants between workloads of different repositories take both sides: the target's repository
 * admits the caller (`target.allowFrom(SecureService.fromAttributes(...caller...))`: its ALLOW rule
 * and ingress NetworkPolicy), the caller's repository opens its egress
 * (`SecureService.fromAttributes(...target...).allowFrom(caller)`: its egress NetworkPolicy and
 * Sidecar host). `cdk8s-secure-mesh audit` over both outputs reports a grant written on one side
 * only (NET-GRANT-001).
 */
export class MeshContract extends Construct {
  /** The file name the platform repository writes and app repositories read. */
  public static readonly FILE_NAME = 'mesh-contract.yaml';
  /** `apiVersion` of the file. */
  public static readonly API_VERSION = CONTRACT_API_VERSION;
  /** `kind` of the file. */
  public static readonly KIND = CONTRACT_KIND;
  /** The contract version this library writes and reads. */
  public static readonly CONTRACT_VERSION = CONTRACT_VERSION;

  /**
   * The mesh contract of the platform app `scope` belongs to, as the file's content
   * (deterministic: the same app gives the same bytes). Throws when the app has no mesh.
   *
   * @param scope any construct of the platform app
   */
  public static yamlOf(scope: IConstruct): string {
    return renderContract(collectContract(scope));
  }

  /**
   * Reads the platform's contract from `file` into this app. Throws naming the file and the
   * field when it is not a contract this library reads.
   *
   * @param file path of mesh-contract.yaml (relative to the working directory)
   */
  public static fromFile(scope: Construct, id: string, file: string): MeshContract {
    let text: string;
    try {
      text = readFileSync(resolve(file), 'utf8');
    } catch (e) {
      throw new Error(`[${scope.node.path}/${id}] ${file}: cannot read the mesh contract (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). `
        + 'Fetch the platform repository\'s mesh-contract.yaml (the version you pin) to that path');
    }
    return new MeshContract(scope, id, parseContract(text, file), file);
  }

  /**
   * Reads the platform's contract from its YAML text.
   *
   * @param source a name for messages @default 'mesh contract'
   */
  public static fromYaml(scope: Construct, id: string, text: string, source?: string): MeshContract {
    const from = source ?? 'mesh contract';
    return new MeshContract(scope, id, parseContract(text, from), from);
  }

  /** The platform's mesh. */
  public readonly mesh: IMesh;
  /** Where the contract was read from. */
  public readonly source: string;
  /** The rule set the platform pins, if it pins one (this app must declare the same). */
  public readonly ruleSet?: string;
  /** The longest a PolicyException may last here, in days. */
  public readonly maxExceptionDays: number;
  /** Groups of mesh administrators. */
  public readonly meshAdminGroups: string[];
  /** Other operator groups. */
  public readonly operatorGroups: string[];
  /** The namespaces the platform gives app teams, sorted. */
  public readonly namespaceNames: string[];
  /** The ingress gateways, as `namespace/name`, sorted. */
  public readonly ingressGatewayNames: string[];
  /** The external hosts the platform routes out for app teams, sorted. */
  public readonly externalHostNames: string[];

  private readonly doc: ContractDocument;
  private readonly gateways = new Map<string, ImportedIngressGateway>();

  private constructor(scope: Construct, id: string, doc: ContractDocument, source: string) {
    super(scope, id);
    this.doc = doc;
    this.source = source;
    const m = doc.mesh;
    const imported = MeshBaseline.fromAttributes({
      trustDomain: m.trustDomain,
      rootNamespace: m.rootNamespace,
      controlPlaneNamespace: m.controlPlaneNamespace,
      revision: m.revision,
      allowedRegistries: m.allowedRegistries,
      proxyImageRepositories: m.proxyImageRepositories,
      monitoringNamespace: m.monitoringNamespace,
      monitoringPodLabels: m.monitoringPodLabels,
      ambient: m.ambient,
      defaultDataPlane: m.defaultDataPlane as DataPlane,
    });
    // The exception lifetime travels with the mesh, so the app's secure-mesh.yaml is compared with it too.
    this.mesh = Object.assign({}, imported, { maxExceptionDays: doc.maxExceptionDays });
    this.ruleSet = doc.ruleSet;
    this.maxExceptionDays = doc.maxExceptionDays;
    this.meshAdminGroups = [...doc.meshAdminGroups].sort();
    this.operatorGroups = [...doc.operatorGroups].sort();
    this.namespaceNames = doc.appNamespaces.map((n) => n.name).sort();
    this.ingressGatewayNames = doc.ingressGateways.map((g) => `${g.namespace}/${g.name}`).sort();
    this.externalHostNames = doc.externalHosts.map((h) => h.host).sort();

    const enforcement = PolicyEnforcement.of(this);
    enforcement._useMesh(this.mesh, false);
    // The platform's groups are this app's too: the RBAC rules trust them, and secure-mesh.yaml must agree.
    enforcement._useControlPlaneNamespace(m.controlPlaneNamespace);
    this.meshAdminGroups.forEach((g) => enforcement._addMeshAdminGroup(g));
    this.operatorGroups.forEach((g) => enforcement._addOperatorGroup(g));
    enforcement._useMaxExceptionDays(doc.maxExceptionDays);
    this.node.addValidation({ validate: () => this.ruleSetProblems() });
  }

  /**
   * The app team's namespace `name`, which the platform created (`AppTeamNamespace`): a
   * HardenedNamespace with the contract's data plane and profile. The platform's repository writes
   * its baseline (the Namespace object, STRICT mTLS, allow-nothing, the default-deny, DNS, istiod
   * and scraping NetworkPolicies, the `default` ServiceAccount, the team roles), which this
   * repository therefore cannot weaken; this one writes the rest: the `Sidecar`, its own exception
   * registry, the waypoint when one is needed, and its workloads with their grants. Both outputs
   * together are what a HardenedNamespace of the same props writes. The namespace becomes one this
   * repository owns: REPO-SCOPE-001 reports anything written outside the namespaces it owns, or
   * cluster-scoped.
   *
   * @param scope where the namespace's constructs go
   * @param id the construct id
   * @param name a namespace the contract lists
   */
  public namespace(scope: Construct, id: string, name: string): HardenedNamespace {
    const entry = this.doc.appNamespaces.find((n) => n.name === name);
    if (!entry) {
      throw configError(this, 'namespace', `"${name}" is not a namespace the platform gives app teams (${this.source} lists ${listed(this.namespaceNames)})`,
        'Use one of those, or ask the platform team to add an AppTeamNamespace for it and publish the contract again');
    }
    PolicyEnforcement.of(this)._declareAppNamespace(name);
    return new PlatformCreatedNamespace(scope, id, this.mesh, entry);
  }

  /**
   * The platform's ingress gateway `name` (its `namespace/name`, or the name alone when it is
   * unique): a peer to grant, whose `route` writes the service's side of the platform's routes.
   *
   * @param name the gateway's name, or `namespace/name`
   */
  public ingressGateway(name: string): ImportedIngressGateway {
    const matches = this.doc.ingressGateways.filter((g) => `${g.namespace}/${g.name}` === name || g.name === name);
    if (matches.length !== 1) {
      throw configError(this, 'ingressGateway', `${matches.length ? `"${name}" names ${matches.length} gateways` : `"${name}" is not an ingress gateway of the contract`} `
        + `(${this.source} lists ${listed(this.ingressGatewayNames)})`, 'Name one of those as namespace/name');
    }
    const entry = matches[0];
    const key = `${entry.namespace}/${entry.name}`;
    let gateway = this.gateways.get(key);
    if (!gateway) {
      gateway = ImportedIngressGateway._of(this, entry, this.mesh.trustDomain);
      this.gateways.set(key, gateway);
    }
    return gateway;
  }

  /**
   * Lets the workloads in `options.from` call `host` the way the platform routes it: their egress
   * NetworkPolicy reaches the platform's egress gateway (on its HTTPS port; their sidecars see the
   * host and the gateway) or egress waypoint (on HBONE), and nothing else. The platform's side
   * (the ServiceEntry, the routes, and the gateway's AuthorizationPolicy admitting these
   * identities) is in its repository: a host it does not route, or a caller it does not admit, is
   * refused here, with what to ask the platform team for.
   *
   * @param host an external host the contract lists
   * @param options the callers: mesh workloads of this app
   */
  public allowExternal(host: string, options: AllowExternalOptions): AccessGrant[] {
    const entry = this.doc.externalHosts.find((h) => h.host === host);
    if (!entry) {
      throw configError(this, 'allowExternal.host', `"${host}" is not an external host the platform routes for app teams (${this.source} lists `
        + `${listed(this.externalHostNames)})`, 'Ask the platform team to grant it to your callers (allowExternal with SecureService.fromAttributes(...) in its app)');
    }
    const callers = options?.from ?? [];
    if (callers.length === 0) throw configError(this, 'allowExternal.from', `an empty caller list grants ${host} to nobody`, 'Name at least one mesh workload');
    return callers.map((c, i) => this.openExternal(entry, c, `allowExternal.from[${i}]`));
  }

  private openExternal(entry: ContractExternalHost, caller: IMeshPeer, field: string): AccessGrant {
    if (!(caller instanceof MeshWorkload)) {
      throw configError(this, field, 'the caller is not a mesh workload of this app, so its egress cannot be opened here',
        'Pass SecureService, SecureStatefulSet, SecureJob or SecureCronJob instances of this app');
    }
    const principal = caller.peerPrincipal.principalIn(this.mesh.trustDomain);
    if (!entry.callers.includes(principal)) {
      throw configError(this, field, `the platform does not admit ${principal} to ${entry.host} (it admits ${listed(entry.callers)})`,
        `Ask the platform team to add SecureService.fromAttributes({ namespace: '${caller.namespaceName}', name: '${caller.workloadName}', `
        + `serviceAccountName: '${caller.serviceAccountName}', ... }) to allowExternal's callers for ${entry.host}, and publish the contract again`);
    }
    const ambient = caller.peerDataPlane === DataPlane.AMBIENT;
    const via = entry.via;
    if (ambient !== (via.kind === 'AmbientEgressGateway')) {
      throw configError(this, field, `${callerName(caller)} is ${ambient ? 'an ambient' : 'a sidecar'} workload, and the platform routes ${entry.host} through `
        + `${via.kind === 'EgressGateway' ? 'an egress gateway that only sidecars reach' : 'an egress waypoint that only ambient workloads reach'}`,
      'Call it from a workload of the data plane the platform routes it for, or ask the platform team to route it for yours');
    }
    const objects = via.kind === 'EgressGateway'
      ? openEgressGatewayCallerSide(caller, { namespace: via.namespace, selector: via.podLabels, httpsTargetPort: via.port, serviceHost: via.serviceHost ?? '' },
        entry.host, this.mesh.controlPlaneNamespace)
      : caller._allowEgress({ namespace: via.namespace, podLabels: via.podLabels }, [via.port]);
    return new AccessGrant({
      callerPrincipal: principal, target: entry.host, targetPorts: [entry.port], paths: [], methods: [], objects: [...new Set(objects)],
    });
  }

  /** The app must check against the platform's rule set: its context key or secure-mesh.yaml must name it. */
  private ruleSetProblems(): string[] {
    if (this.ruleSet === undefined) return [];
    const declared = appRuleSet(this);
    if (declared === this.ruleSet) return [];
    return [`[${this.node.path}] ruleSet: the platform's contract (${this.source}) pins rule set ${this.ruleSet}, this app declares `
      + `${declared === undefined ? 'none (the latest)' : declared}. Declare ruleSet: "${this.ruleSet}" in secure-mesh.yaml, so both repositories check the same rules`];
  }
}

/** The platform's half of the namespace is written there: this one writes what runs in it. */
class PlatformCreatedNamespace extends HardenedNamespace {
  constructor(scope: Construct, id: string, mesh: IMesh, entry: ContractNamespace) {
    super(scope, id, {
      name: entry.name,
      mesh,
      dataPlane: entry.dataPlane as DataPlane,
      podSecurityVersion: entry.podSecurityVersion,
      allowedRegistries: entry.allowedRegistries,
      sensitiveData: entry.sensitiveData,
      metricsScrapingPorts: entry.metricsScrapingPorts,
    });
  }

  /** @internal */
  protected _createdByPlatform(): boolean {
    return true;
  }
}

/**
 * An ingress gateway of the platform, read from its mesh contract: a peer to grant (its identity
 * and pods), and the service's side of the routes the platform declared.
 */
export class ImportedIngressGateway implements IMeshPeer {
  /**
   * The gateway `entry` of `contract`.
   *
   * @internal
   */
  public static _of(contract: MeshContract, entry: ContractIngressGateway, trustDomain: string): ImportedIngressGateway {
    return new ImportedIngressGateway(contract, entry, trustDomain);
  }

  /** The gateway's name. */
  public readonly gatewayName: string;
  /** The gateway's namespace. */
  public readonly namespace: string;
  /** The hosts it serves. */
  public readonly hosts: string[];
  public readonly peerPrincipal: Principal;
  public readonly peerNamespace: string;
  public readonly peerPodLabels?: { [key: string]: string };

  /** The Services each namespace's ReferenceGrant lets this gateway's HTTPRoutes name (Gateway API only). */
  private readonly referenceGrants = new Map<string, Set<string>>();

  private constructor(private readonly contract: MeshContract, private readonly entry: ContractIngressGateway, trustDomain: string) {
    this.gatewayName = entry.name;
    this.namespace = entry.namespace;
    this.hosts = [...entry.hosts];
    this.peerPrincipal = Principal.serviceAccount(entry.namespace, entry.serviceAccountName, trustDomain);
    this.peerNamespace = entry.namespace;
    this.peerPodLabels = { ...entry.podLabels };
  }

  /**
   * The service's side of a route the platform declared with the same host, port, paths, methods
   * and public access (`route(SecureService.fromAttributes(...), options)` of its IngressGateway or
   * GatewayApiIngress): grants the gateway's identity exactly that on `service`, after a token
   * exchange makes `service` require the internal issuer's token, and for a Gateway API gateway
   * writes the ReferenceGrant that lets the gateway's HTTPRoutes name `service` (and no other Service). A route the platform did not declare is refused,
   * so the edge and the service cannot disagree about what is exposed. Returns the grant.
   */
  public route(service: SecureService, options: RouteOptions): AccessGrant {
    // Whether a route is public (anonymous) is the platform's decision, with its PolicyException.
    const r = resolveEdgeRoute(this.contract, this.entry.hosts, this.entry.externalIssuers, service, options, true);
    const name = `${service.namespaceName}/${service.serviceName}`;
    const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(a) === JSON.stringify(b);
    const declared = this.entry.routes.filter((x) => x.service === name);
    const route = declared.find((x) => x.host === r.host && x.port === r.port.port && same(x.paths, r.paths) && same(x.methods, r.methods));
    if (!route) {
      const asked = `${r.host} ${r.paths.join(',')} ${r.methods.join(',') || 'any method'} on ${r.port.port}`;
      const known = declared.map((x) => `${x.host} ${x.paths.join(',')} ${x.methods.join(',') || 'any method'} on ${x.port}${x.publicAccess ? ' (public)' : ''}`);
      throw configError(this.contract, 'ingressGateway.route', `the platform's gateway ${this.namespace}/${this.gatewayName} routes no ${asked} to ${name} `
        + `(its routes to ${name}: ${known.length ? known.join('; ') : 'none'})`,
      'Grant exactly a route the platform declared, or ask the platform team to route it (IngressGateway.route with SecureService.fromAttributes) and publish the contract again');
    }
    if (route.publicAccess) {
      assertAnonymousReachable(this.contract, 'ingressGateway.route', service, this.entry.tokenExchange !== undefined || service.requiredJwtIssuers.length > 0,
        `The platform routes ${r.host} ${r.paths.join(',')} to it without a token (public): ask the platform team to route it with sign-in`);
    }
    const exchange = this.entry.tokenExchange;
    if (exchange && !service.requiredJwtIssuers.includes(exchange.internalIssuer.issuer)) service.requireJwt(exchange.internalIssuer);
    // Gateway API: the platform's HTTPRoute names this Service across namespaces only with this namespace's consent.
    if (this.entry.api === 'gateway-api' && service.namespaceName !== this.namespace) {
      writeReferenceGrant(service.namespace, this.referenceGrants, this.namespace, this.gatewayName, service);
    }
    return service.allowFrom(this, {
      ports: [r.port.port],
      ...(r.paths.includes('/*') ? {} : { paths: r.paths }),
      ...(r.methods.length ? { methods: r.methods } : {}),
    });
  }
}

function listed(items: readonly string[]): string {
  return items.length ? items.join(', ') : 'none';
}

/** The platform app's contract, from its constructs. */
function collectContract(scope: IConstruct): ContractDocument {
  const root = scope.node.root;
  const enforcement = PolicyEnforcement.of(root);
  const declared = enforcement._declaredMesh();
  const mesh = declared.mesh;
  if (!mesh) {
    throw configError(scope, 'MeshContract', 'the app declares no mesh, so there is no contract to publish',
      'Write the contract from the platform app: the one with the MeshBaseline (or MeshBaseline.fromAttributes used by its constructs)');
  }
  const all = root.node.findAll();
  const ruleSet = appRuleSet(scope);
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    apiVersion: CONTRACT_API_VERSION,
    kind: CONTRACT_KIND,
    contractVersion: CONTRACT_VERSION,
    mesh: {
      trustDomain: mesh.trustDomain,
      rootNamespace: mesh.rootNamespace,
      controlPlaneNamespace: mesh.controlPlaneNamespace,
      ...(mesh.revision !== undefined ? { revision: mesh.revision } : {}),
      allowedRegistries: [...mesh.allowedRegistries],
      proxyImageRepositories: [...mesh.proxyImageRepositories],
      ...(mesh.monitoringNamespace !== undefined ? { monitoringNamespace: mesh.monitoringNamespace } : {}),
      ...(mesh.monitoringPodLabels !== undefined ? { monitoringPodLabels: { ...mesh.monitoringPodLabels } } : {}),
      ambient: mesh.ambientEnabled,
      defaultDataPlane: mesh.defaultDataPlane,
    },
    meshAdminGroups: declared.meshAdminGroups,
    operatorGroups: declared.operatorGroups,
    ...(ruleSet !== undefined ? { ruleSet } : {}),
    maxExceptionDays: enforcement.maxExceptionDays,
    appNamespaces: all.filter((c): c is AppTeamNamespace => c instanceof AppTeamNamespace).map((n) => n._profile()).sort(byName).map((p) => ({
      name: p.name,
      dataPlane: p.dataPlane,
      podSecurityVersion: p.podSecurityVersion,
      allowedRegistries: p.allowedRegistries,
      sensitiveData: p.sensitiveData,
      metricsScrapingPorts: p.metricsScrapingPorts,
    })),
    ingressGateways: all.filter((c): c is IngressGateway | GatewayApiIngress => c instanceof IngressGateway || c instanceof GatewayApiIngress)
      .map((g) => g._contractEntry())
      .sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1)),
    externalHosts: all.filter((c): c is EgressGateway | AmbientEgressGateway => c instanceof EgressGateway || c instanceof AmbientEgressGateway)
      .flatMap((g) => g._contractHosts())
      .sort((a, b) => (a.host < b.host ? -1 : 1)),
  };
}
