import * as net from 'net';
import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, DataPlane } from './data-plane';
import { IMesh, MeshAttributes, injectionLabelsFor, istiodPodLabelsFor } from './mesh';
import { MONITORING_FIX, monitoringProblems } from './proxy-ports';
import { assertNoProblems, configError } from '../core/errors';
import { assertDnsLabel } from '../core/names';
import { NetworkPolicyIngressRule, networkPolicy } from '../network/network-policy';
import { podsInNamespace, tcpPorts } from '../network/peers';
import { ExceptionRegistry } from '../policy/exception-registry';
import { DEFAULT_MAX_EXCEPTION_DAYS, MAX_EXCEPTION_DAYS_LIMIT } from '../policy/exception-registry-format';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { PolicyException } from '../policy/policy-exception';
import { DRY_RUN_ANNOTATION } from '../policy/rules/mesh-authz-008';
import { DEFAULT_PROXY_IMAGE_REPOSITORIES, PROXY_REPOSITORY_FIX, proxyRepositoryProblems } from '../policy/rules/mesh-proxy-overrides';
import { checkDns1123Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

/** Marks MeshBaseline instances, also across copies of this library loaded side by side. */
const MESH_BASELINE_SYMBOL = Symbol.for('cdk8s-secure-mesh.MeshBaseline');

const DEFAULT_ROOT_NAMESPACE = 'istio-system';
const DEFAULT_TRUST_DOMAIN = 'cluster.local';
const DEFAULT_ACCESS_LOG_PROVIDERS = ['envoy'];

/** istiod's xDS and CA port (mTLS): every sidecar and gateway of the mesh connects here. */
const XDS_CA_PORT = 15012;
/** istiod's webhook port (TLS): the API server calls the injection and validation webhooks here. */
const WEBHOOK_PORT = 15017;
/** istiod's monitoring port (plaintext HTTP metrics): scraped by Prometheus. */
const MONITORING_PORT = 15014;

const DNS_LABEL_FIX = 'Use lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters';

/**
 * Properties of the mesh-wide security baseline. Every prop is optional: the defaults give a
 * strict-mTLS, default-deny, registry-only mesh whose control plane is reachable only by the mesh.
 */
export interface MeshBaselineProps {
  /**
   * The mesh root namespace (Istio's `meshConfig.rootNamespace`): the mesh-wide
   * PeerAuthentication, AuthorizationPolicy, Sidecar and Telemetry are created here and apply to
   * every namespace of the mesh.
   *
   * @default 'istio-system' - Istio's default root namespace; policies placed anywhere else would
   * not be mesh-wide.
   */
  readonly rootNamespace?: string;

  /**
   * The namespace istiod runs in. The control-plane NetworkPolicies (CP-1) are created here.
   *
   * @default - the root namespace, as in a default Istio installation.
   */
  readonly controlPlaneNamespace?: string;

  /**
   * The SPIFFE trust domain of workload identities (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`),
   * used by authorization policies that name callers.
   *
   * @default 'cluster.local' - Istio's default trust domain; set it to your mesh's trust domain
   * (e.g. `PROJECT_ID.svc.id.goog` on Cloud Service Mesh) so principals match real identities.
   */
  readonly trustDomain?: string;

  /**
   * The control-plane revision (`istio.io/rev`) for canary or revisioned installs. It changes
   * the injection label that makes a namespace part of the mesh (`istio.io/rev: <revision>`
   * instead of `istio-injection: enabled`) and the istiod pod labels the CP-1 policy selects.
   *
   * @default - the default revision: namespaces join the mesh with `istio-injection: enabled`.
   */
  readonly revision?: string;

  /**
   * Registries (hosts, optionally with a path, e.g. `us-docker.pkg.dev/my-project`) workload
   * images may come from (IMG-1). Enforced by the image rules, not by this construct.
   *
   * @default [] - any registry; images must still be pinned by digest, so a tag cannot be
   * silently re-pointed to another image.
   */
  readonly allowedRegistries?: string[];

  /**
   * The namespace your Prometheus runs in (OPS-3). Only pods of this namespace may reach istiod's
   * monitoring port 15014 (plaintext metrics), and every HardenedNamespace of the mesh lets them
   * scrape its proxies: pilot-agent's merged metrics on 15020 and Envoy's on 15090, which the
   * sidecar does not capture, so no AuthorizationPolicy can narrow them (see HardenedNamespace
   * `metricsScrapingPorts`).
   *
   * @default - none: 15014, 15020 and 15090 are reachable from nowhere until you name the namespace
   * that scrapes them, because the metrics endpoints are unauthenticated and describe the mesh.
   */
  readonly monitoringNamespace?: string;

  /**
   * Labels of the Prometheus pods in `monitoringNamespace` (e.g.
   * `{ 'app.kubernetes.io/name': 'prometheus' }`): only those pods may scrape istiod and the
   * proxies. Recommended: 15020 also serves the app's own metrics (merged) and the rewritten
   * health probes and lifecycle hooks (`/app-health/...`, `/app-lifecycle/...`, answered by calling
   * the app, with no authentication), which no other pod of the monitoring namespace (dashboards,
   * exporters, anything deployed there later) needs.
   *
   * @default - every pod of the monitoring namespace
   */
  readonly monitoringPodLabels?: { [key: string]: string };

  /**
   * The CIDR ranges (IPv4 or IPv6, e.g. `172.16.0.2/32`) the Kubernetes API server calls
   * istiod's webhooks from. Setting it narrows istiod's webhook port 15017 to these sources.
   *
   * @default - any source, but ONLY on port 15017: the API server's address is cluster-specific
   * (on GKE the control plane is outside the pod network) and 15017 serves only the TLS sidecar
   * injection and config validation webhooks, so opening it is the price of not breaking them.
   */
  readonly apiServerCidrs?: string[];

  /**
   * The access-log providers (names of `meshConfig.extensionProviders`, or the built-in `envoy`)
   * the mesh-wide Telemetry turns on for every workload (OPS-3).
   *
   * @default ['envoy'] - Envoy's built-in access log to the proxy's stdout, so every request is
   * logged (and auditable) without extra configuration.
   */
  readonly accessLogProviders?: string[];

  /**
   * Whether the cluster runs Istio's ambient components (ztunnel and the Istio CNI in ambient
   * mode: the `ambient` profile), so HardenedNamespaces may choose `DataPlane.AMBIENT`. With it,
   * istiod also accepts xDS/CA (15012) from namespaces labelled `istio.io/dataplane-mode: ambient`
   * (their waypoints are Envoy proxies that need it).
   *
   * @default - true when `defaultDataPlane` is AMBIENT, else false: a namespace asking for ambient
   * on a mesh without ztunnel would run with no mTLS and no authorization at all
   */
  readonly ambient?: boolean;

  /**
   * The data plane HardenedNamespaces of this mesh use unless they choose one
   * (`HardenedNamespaceProps.dataPlane`). See `DataPlane` for who enforces what in each.
   *
   * @default DataPlane.SIDECAR
   */
  readonly defaultDataPlane?: DataPlane;

  /**
   * The longest a PolicyException may last, in days from the day synthesis checks it (EXC-1):
   * an exception whose `expires` lies further out fails synthesis, so every exception is
   * reviewed again at least this often. At most 365.
   *
   * @default 90
   */
  readonly maxExceptionDays?: number;

  /**
   * The image repositories (no tag, no digest) the injector takes the proxy from, e.g. a mirror
   * `registry.example.com/istio/proxyv2`, or the managed mesh's. Admission recognizes the injected
   * `istio-proxy` and `istio-validation` only with these images (with any tag: the mesh, not the
   * app, chooses the proxy version), so a look-alike container from another repository is checked
   * like any other (EXC-1, IMG-1).
   *
   * @default ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2'] - Istio's official hubs
   */
  readonly proxyImageRepositories?: string[];
}

/**
 * The mesh-wide security baseline: one per mesh (and per cdk8s App).
 *
 * After it is applied:
 * - MTLS-1: every workload of the mesh accepts only mutual TLS (`PeerAuthentication` `default`,
 *   mode STRICT, in the root namespace); plaintext is refused.
 * - AUTHZ-1: every request to a mesh workload is denied unless another `AuthorizationPolicy`
 *   allows it (`allow-nothing`: an ALLOW policy without rules matches nothing, and any ALLOW
 *   policy selecting a workload makes unmatched requests fail).
 * - EGRESS-1: sidecars reach only hosts in the mesh's service registry (Kubernetes services and
 *   `ServiceEntry` hosts), never arbitrary external hosts (`Sidecar` `default`, REGISTRY_ONLY).
 * - OPS-3: every workload writes access logs (`Telemetry` `mesh-default`).
 * - CP-1: in the control-plane namespace, istiod accepts only
 *   - 15012 (xDS + CA, mTLS) from namespaces carrying the mesh injection label, from namespaces
 *     labelled `istio.io/dataplane-mode: ambient` when the mesh runs ambient (`ambient`: their
 *     waypoints are Envoy proxies), and from pods of the control-plane namespace itself (gateways
 *     and ztunnel installed there),
 *   - 15017 (webhooks, TLS) from `apiServerCidrs`, or from any source when those are not given,
 *   - 15014 (metrics) from `monitoringNamespace` only (its pods with `monitoringPodLabels` when
 *     given), and from nowhere when it is not given;
 *   15010 (plaintext xDS), 8080 (debug, readiness) and every other port stay closed. Every other
 *   pod of the control-plane namespace accepts nothing until a policy allows it
 *   (`default-deny-ingress`). Kubelet health probes come from the node, which common CNIs
 *   (Calico, Cilium, GKE Dataplane V2) exempt from NetworkPolicy.
 *
 * Namespaces join the mesh (and may reach istiod) only through the injection label
 * (`injectionLabels`) or, on a mesh that runs ambient, the ambient label; a namespace that relies
 * on pod-level injection cannot reach istiod. `defaultDataPlane` picks which of the two
 * HardenedNamespaces use unless they choose (see `DataPlane`).
 *
 * Egress from the control-plane namespace is not restricted: istiod must reach the Kubernetes
 * API server, whose address is cluster-specific and unknown here. Restrict it in the cluster's
 * firewall (or add an egress NetworkPolicy) where the address is known.
 *
 * None of these objects can be switched off by props: weakening them takes a `PolicyException`.
 */
export class MeshBaseline extends Construct implements IMesh {
  /**
   * Whether `x` is a MeshBaseline (also one created by another copy of this library).
   *
   * @param x any value
   */
  public static isMeshBaseline(x: any): boolean {
    return x !== null && typeof x === 'object' && MESH_BASELINE_SYMBOL in x;
  }

  /**
   * The one MeshBaseline of the App `scope` belongs to (searched from the root of the tree, so a
   * construct in another chart of the same App finds it). Throws when the App has none.
   *
   * @param scope any construct of the App
   */
  public static of(scope: IConstruct): IMesh {
    const found = findBaselines(scope.node.root);
    if (found.length === 0) {
      throw configError(scope, 'mesh', 'no MeshBaseline in this app',
        'Add a MeshBaseline to the app, or pass `mesh: MeshBaseline.fromAttributes({...})` for a mesh whose baseline is managed elsewhere');
    }
    return found[0];
  }

  /**
   * A mesh whose baseline is managed elsewhere (another repository or pipeline), with the same
   * defaults as a MeshBaseline. Synthesizes nothing.
   *
   * @param attrs the mesh's attributes
   */
  public static fromAttributes(attrs: MeshAttributes): IMesh {
    const rootNamespace = attrs.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
    const controlPlaneNamespace = attrs.controlPlaneNamespace ?? rootNamespace;
    const trustDomain = attrs.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    const allowedRegistries = [...(attrs.allowedRegistries ?? [])];
    const check = (field: string, problems: string[], fix: string) => {
      if (problems.length > 0) throw new Error(`[MeshBaseline.fromAttributes] ${field}: ${problems.join('; ')}. ${fix}`);
    };
    check('rootNamespace', labelProblems(rootNamespace), DNS_LABEL_FIX);
    check('controlPlaneNamespace', labelProblems(controlPlaneNamespace), DNS_LABEL_FIX);
    if (attrs.revision !== undefined) check('revision', labelProblems(attrs.revision), DNS_LABEL_FIX);
    check('trustDomain', trustDomainProblems(trustDomain), TRUST_DOMAIN_FIX);
    check('allowedRegistries', registryProblems(allowedRegistries), REGISTRY_FIX);
    const proxyImageRepositories = [...(attrs.proxyImageRepositories ?? DEFAULT_PROXY_IMAGE_REPOSITORIES)];
    check('proxyImageRepositories', proxyRepositoryProblems(proxyImageRepositories), PROXY_REPOSITORY_FIX);
    if (attrs.monitoringNamespace !== undefined) check('monitoringNamespace', labelProblems(attrs.monitoringNamespace), DNS_LABEL_FIX);
    const monitoringPodLabels = attrs.monitoringPodLabels === undefined ? undefined : { ...attrs.monitoringPodLabels };
    check('monitoringPodLabels', monitoringProblems(attrs.monitoringNamespace, monitoringPodLabels), MONITORING_FIX);
    const [defaultDataPlane, ambientEnabled] = dataPlaneSettings(undefined, attrs.defaultDataPlane, attrs.ambient);
    return new ImportedMesh(rootNamespace, controlPlaneNamespace, trustDomain, attrs.revision, allowedRegistries, proxyImageRepositories,
      attrs.monitoringNamespace, monitoringPodLabels, defaultDataPlane, ambientEnabled);
  }

  /** The mesh root namespace: the mesh-wide policies are created here. */
  public readonly rootNamespace: string;
  /** The namespace istiod runs in; the CP-1 NetworkPolicies are created here. */
  public readonly controlPlaneNamespace: string;
  /** The SPIFFE trust domain of workload identities. */
  public readonly trustDomain: string;
  /** The control-plane revision, or undefined for the default revision. */
  public readonly revision?: string;
  /** Registries images may come from (IMG-1); empty means any registry, still pinned by digest. */
  public readonly allowedRegistries: string[];
  /** The monitoring namespace allowed to scrape istiod on 15014 and the proxies on 15020/15090, if any. */
  public readonly monitoringNamespace?: string;
  /** Labels of the scraping pods in the monitoring namespace, or undefined for all its pods. */
  public readonly monitoringPodLabels?: { [key: string]: string };
  /** The CIDRs allowed to reach istiod's webhooks on 15017, or undefined for any source. */
  public readonly apiServerCidrs?: string[];
  /** The longest a PolicyException may last, in days. */
  public readonly maxExceptionDays: number;
  /** The repositories the injected proxy comes from. */
  public readonly proxyImageRepositories: string[];
  /** The access-log providers turned on mesh-wide. */
  public readonly accessLogProviders: string[];
  /** Labels that make a namespace part of the mesh (and allowed to reach istiod). */
  public readonly injectionLabels: { [key: string]: string };
  /** Labels that select the istiod pods in the control-plane namespace. */
  public readonly istiodPodLabels: { [key: string]: string };
  /** The data plane namespaces use unless they choose one. */
  public readonly defaultDataPlane: DataPlane;
  /** Whether the cluster runs ambient (ztunnel), so namespaces may choose it. */
  public readonly ambientEnabled: boolean;
  private readonly allowNothing: ApiObject;

  /**
   * Creates the mesh-wide baseline. Throws when the App already has a MeshBaseline or a prop is invalid.
   *
   * @param scope the chart (or construct) to create the baseline objects in
   * @param id the construct id
   * @param props the mesh's settings, all optional and secure by default
   */
  constructor(scope: Construct, id: string, props: MeshBaselineProps = {}) {
    super(scope, id);
    Object.defineProperty(this, MESH_BASELINE_SYMBOL, { value: true });

    const other = findBaselines(this.node.root).find((b) => b !== this);
    if (other) {
      throw configError(this, 'MeshBaseline', `a second MeshBaseline in the same app (the first is ${other.node.path})`,
        `Keep one MeshBaseline per mesh and app: remove ${this.node.path} or ${other.node.path}, and use MeshBaseline.of(this) to reach the one that stays`);
    }

    this.rootNamespace = props.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
    this.controlPlaneNamespace = props.controlPlaneNamespace ?? this.rootNamespace;
    this.trustDomain = props.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.revision = props.revision;
    this.allowedRegistries = [...(props.allowedRegistries ?? [])];
    this.monitoringNamespace = props.monitoringNamespace;
    this.monitoringPodLabels = props.monitoringPodLabels === undefined ? undefined : { ...props.monitoringPodLabels };
    this.apiServerCidrs = props.apiServerCidrs === undefined ? undefined : [...props.apiServerCidrs];
    this.accessLogProviders = [...(props.accessLogProviders ?? DEFAULT_ACCESS_LOG_PROVIDERS)];
    // OPS-1: the rule set runs over the app's final manifests; the baseline's presence rules apply.
    const enforcement = PolicyEnforcement.of(this);
    enforcement._useMesh(this, true);
    if (props.maxExceptionDays !== undefined) {
      if (!Number.isInteger(props.maxExceptionDays) || props.maxExceptionDays < 1 || props.maxExceptionDays > MAX_EXCEPTION_DAYS_LIMIT) {
        throw configError(this, 'maxExceptionDays', `${props.maxExceptionDays} is not a whole number of days from 1 to ${MAX_EXCEPTION_DAYS_LIMIT}`,
          `Give the longest an exception may last (default ${DEFAULT_MAX_EXCEPTION_DAYS}); longer than a year is not a temporary exception`);
      }
      enforcement._useMaxExceptionDays(props.maxExceptionDays);
    }
    this.maxExceptionDays = props.maxExceptionDays ?? DEFAULT_MAX_EXCEPTION_DAYS;
    this.proxyImageRepositories = [...(props.proxyImageRepositories ?? DEFAULT_PROXY_IMAGE_REPOSITORIES)];
    assertNoProblems(this, 'proxyImageRepositories', proxyRepositoryProblems(this.proxyImageRepositories), PROXY_REPOSITORY_FIX);

    assertDnsLabel(this, 'rootNamespace', this.rootNamespace);
    assertDnsLabel(this, 'controlPlaneNamespace', this.controlPlaneNamespace);
    if (this.revision !== undefined) assertDnsLabel(this, 'revision', this.revision);
    if (this.monitoringNamespace !== undefined) assertDnsLabel(this, 'monitoringNamespace', this.monitoringNamespace);
    assertNoProblems(this, 'monitoringPodLabels', monitoringProblems(this.monitoringNamespace, this.monitoringPodLabels), MONITORING_FIX);
    assertNoProblems(this, 'trustDomain', trustDomainProblems(this.trustDomain), TRUST_DOMAIN_FIX);
    assertNoProblems(this, 'allowedRegistries', registryProblems(this.allowedRegistries), REGISTRY_FIX);
    if (this.apiServerCidrs !== undefined) {
      assertNoProblems(this, 'apiServerCidrs', cidrListProblems(this.apiServerCidrs),
        'List the API server\'s source ranges as CIDRs (e.g. "172.16.0.2/32"), or leave apiServerCidrs unset to accept any source on 15017 only');
    }
    assertNoProblems(this, 'accessLogProviders', providerProblems(this.accessLogProviders),
      'Name at least one access-log provider ("envoy" or a meshConfig.extensionProviders name), each once; turning access logging off takes a PolicyException');

    this.injectionLabels = injectionLabelsFor(this.revision);
    this.istiodPodLabels = istiodPodLabelsFor(this.revision);
    [this.defaultDataPlane, this.ambientEnabled] = dataPlaneSettings(this, props.defaultDataPlane, props.ambient);

    // MTLS-1: mesh-wide STRICT mTLS; no selector, so it applies to every workload of the mesh.
    // Plain manifests, not the generated bindings: importing those costs every app that loads the package.
    new ApiObject(this, 'StrictMtls', {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: this.rootNamespace },
      spec: { mtls: { mode: 'STRICT' } },
    });

    // AUTHZ-1: an ALLOW policy without rules matches nothing, so every request is denied unless
    // another policy allows it.
    this.allowNothing = new ApiObject(this, 'AllowNothing', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-nothing', namespace: this.rootNamespace },
      spec: {},
    });

    // EGRESS-1: the mesh-wide default Sidecar (root namespace, no workloadSelector).
    new ApiObject(this, 'RegistryOnly', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', namespace: this.rootNamespace },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });

    // OPS-3: access logs for every workload.
    new ApiObject(this, 'AccessLogging', {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'mesh-default', namespace: this.rootNamespace },
      spec: { accessLogging: [{ providers: this.accessLogProviders.map((name) => ({ name })) }] },
    });

    // EXC-1: the mesh-wide exception registry (control plane and cluster-scoped objects), the platform repo's.
    new ExceptionRegistry(this, 'Exceptions', { namespace: this.controlPlaneNamespace });
    if (this.rootNamespace !== this.controlPlaneNamespace) new ExceptionRegistry(this, 'RootExceptions', { namespace: this.rootNamespace });

    // CP-1: istiod reachable only on its mesh-facing ports, from the mesh.
    networkPolicy(this, 'IstiodIngress', 'istiod-ingress', this.controlPlaneNamespace, {
      podSelector: { matchLabels: { ...this.istiodPodLabels } },
      policyTypes: ['Ingress'],
      ingress: this.istiodIngressRules(),
    });

    // CP-1: every other pod of the control-plane namespace is unreachable until allowed.
    networkPolicy(this, 'ControlPlaneDefaultDeny', 'default-deny-ingress', this.controlPlaneNamespace, { podSelector: {}, policyTypes: ['Ingress'] });
  }

  private istiodIngressRules(): NetworkPolicyIngressRule[] {
    const tcp = (port: number) => tcpPorts([port]);
    const rules: NetworkPolicyIngressRule[] = [
      {
        // Sidecars of mesh namespaces, and gateways in the control-plane namespace itself.
        from: [
          { namespaceSelector: { matchLabels: { ...this.injectionLabels } } },
          // Ambient namespaces' waypoints (Envoy) take xDS and certificates from istiod too.
          ...(this.ambientEnabled ? [{ namespaceSelector: { matchLabels: { [DATAPLANE_MODE_LABEL]: AMBIENT_MODE } } }] : []),
          { podSelector: {} },
        ],
        ports: tcp(XDS_CA_PORT),
      },
      this.apiServerCidrs
        ? { from: this.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(WEBHOOK_PORT) }
        : { ports: tcp(WEBHOOK_PORT) },
    ];
    if (this.monitoringNamespace !== undefined) {
      rules.push({ from: [podsInNamespace(this.monitoringNamespace, this.monitoringPodLabels)], ports: tcp(MONITORING_PORT) });
    }
    return rules;
  }

  /**
   * Rolls the mesh-wide default deny out in dry-run, as Istio documents for a running cluster: the
   * allow-nothing policy gets `istio.io/dry-run: "true"`, so Istio logs which requests it would
   * deny (proxy logs, `istio_requests_total` with the dry-run labels) and enforces nothing.
   *
   * While it lasts, workloads that no ALLOW policy of their own selects accept every request:
   * this is the mesh before default deny, made visible. It takes a PolicyException for
   * MESH-AUTHZ-008 (owner, reason, expiry): after its expiry synthesis fails until this call is
   * removed, so the phase cannot outlive its plan. Narrow the exception to
   * `AuthorizationPolicy/<root namespace>/allow-nothing` with `objects`.
   *
   * @param exception the PolicyException that declares the rollout phase (it must relax MESH-AUTHZ-008)
   */
  public dryRunAllowNothing(exception: PolicyException): void {
    if (!(exception instanceof PolicyException)) {
      throw configError(this, 'dryRunAllowNothing.exception', 'a PolicyException is required', 'Declare the rollout with new PolicyException(...) for MESH-AUTHZ-008');
    }
    if (!exception.rules.includes('MESH-AUTHZ-008')) {
      throw configError(this, 'dryRunAllowNothing.exception', `the exception at ${exception.node.path} does not relax MESH-AUTHZ-008 (it relaxes ${exception.rules.join(', ')})`,
        'Add MESH-AUTHZ-008 to its rules, or declare an exception for this rollout');
    }
    this.allowNothing.metadata.addAnnotation(DRY_RUN_ANNOTATION, 'true');
  }
}

/** A mesh managed elsewhere (`MeshBaseline.fromAttributes`). */
class ImportedMesh implements IMesh {
  public readonly injectionLabels: { [key: string]: string };
  public readonly istiodPodLabels: { [key: string]: string };

  constructor(
    public readonly rootNamespace: string,
    public readonly controlPlaneNamespace: string,
    public readonly trustDomain: string,
    public readonly revision: string | undefined,
    public readonly allowedRegistries: string[],
    public readonly proxyImageRepositories: string[],
    public readonly monitoringNamespace: string | undefined,
    public readonly monitoringPodLabels: { [key: string]: string } | undefined,
    public readonly defaultDataPlane: DataPlane,
    public readonly ambientEnabled: boolean,
  ) {
    this.injectionLabels = injectionLabelsFor(revision);
    this.istiodPodLabels = istiodPodLabelsFor(revision);
  }
}

/** The default data plane and whether ambient runs, checked: an ambient default needs ambient. */
function dataPlaneSettings(scope: IConstruct | undefined, defaultDataPlane: DataPlane | undefined,
  ambient: boolean | undefined): [DataPlane, boolean] {
  const plane = defaultDataPlane ?? DataPlane.SIDECAR;
  if (!Object.values(DataPlane).includes(plane)) {
    const message = `"${plane}" is not a data plane`;
    if (scope) throw configError(scope, 'defaultDataPlane', message, 'Use DataPlane.SIDECAR or DataPlane.AMBIENT');
    throw new Error(`[MeshBaseline.fromAttributes] defaultDataPlane: ${message}. Use DataPlane.SIDECAR or DataPlane.AMBIENT`);
  }
  if (plane === DataPlane.AMBIENT && ambient === false) {
    const message = 'is AMBIENT but ambient is false: namespaces would rely on a ztunnel the cluster does not run';
    if (scope) throw configError(scope, 'defaultDataPlane', message, 'Set ambient: true (the cluster runs Istio\'s ambient profile), or keep the sidecar default');
    throw new Error(`[MeshBaseline.fromAttributes] defaultDataPlane ${message}. Set ambient: true, or keep the sidecar default`);
  }
  return [plane, ambient ?? plane === DataPlane.AMBIENT];
}

function findBaselines(root: IConstruct): MeshBaseline[] {
  return root.node.findAll().filter((c) => MeshBaseline.isMeshBaseline(c)) as MeshBaseline[];
}

function labelProblems(value: string): string[] {
  return checkDns1123Label(value).map((p) => `"${value}" ${p}`);
}

const TRUST_DOMAIN_FIX = 'Use the mesh\'s trust domain as a lower-case DNS name without scheme or path, e.g. "cluster.local" or "my-project.svc.id.goog"';

function trustDomainProblems(value: string): string[] {
  if (value.length === 0) return ['must not be empty'];
  if (value.includes('/')) return [`"${value}" must not contain "/" (it is the host part of spiffe://<trustDomain>/ns/<ns>/sa/<sa>)`];
  return checkDns1123Subdomain(value).map((p) => `"${value}" ${p}`);
}

const REGISTRY_FIX = 'List registry hosts, optionally with a path, without scheme or trailing "/", e.g. "gcr.io/my-project" or "us-docker.pkg.dev/my-project/repo"';

function registryProblems(registries: readonly string[]): string[] {
  const problems: string[] = [];
  registries.forEach((r, i) => {
    if (r.length === 0) problems.push(`entry ${i} is empty`);
    else if (r.includes('://')) problems.push(`"${r}" has a scheme (drop "${r.slice(0, r.indexOf('://') + 3)}")`);
    else if (/\s/.test(r)) problems.push(`"${r}" contains whitespace`);
    else if (r.endsWith('/')) problems.push(`"${r}" ends with "/" (use "${r.replace(/\/+$/, '')}")`);
    else if (r.startsWith('/') || r.includes('//')) problems.push(`"${r}" has an empty path segment`);
    else if (r.includes('@')) problems.push(`"${r}" is an image reference, not a registry (drop the digest)`);
  });
  return problems;
}

function providerProblems(providers: readonly string[]): string[] {
  if (providers.length === 0) return ['is empty, which would turn access logging off'];
  const problems: string[] = [];
  providers.forEach((p, i) => {
    if (p.trim().length === 0) problems.push(`entry ${i} is empty`);
    else if (/\s/.test(p)) problems.push(`"${p}" contains whitespace`);
    else if (providers.indexOf(p) !== i) problems.push(`"${p}" is listed twice`);
  });
  return problems;
}

function cidrListProblems(cidrs: readonly string[]): string[] {
  if (cidrs.length === 0) return ['is empty, which would close the webhook port 15017 and break sidecar injection and config validation'];
  return cidrs.flatMap((c) => cidrProblems(c));
}

/** Problems of one CIDR: `<IPv4 or IPv6 address>/<prefix>`, host bits zero. */
function cidrProblems(cidr: string): string[] {
  const parts = cidr.split('/');
  if (parts.length !== 2) {
    const version = net.isIP(cidr);
    return version === 0
      ? [`"${cidr}" is not a CIDR`]
      : [`"${cidr}" has no prefix length. Did you mean "${cidr}/${version === 4 ? 32 : 128}"?`];
  }
  const [address, prefix] = parts;
  const version = address.includes('%') ? 0 : net.isIP(address);
  if (version === 0) return [`"${cidr}": "${address}" is not an IPv4 or IPv6 address`];
  const bits = version === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > bits) {
    return [`"${cidr}": prefix length must be an integer from 0 to ${bits}`];
  }
  const value = version === 4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
  const hostBits = BigInt(bits - Number(prefix));
  const block = 2n ** hostBits;
  const network = (value / block) * block;
  if (network !== value) {
    const canonical = version === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network);
    return [`"${cidr}" has host bits set. Did you mean "${canonical}/${prefix}"?`];
  }
  return [];
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => acc * 256n + BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [3n, 2n, 1n, 0n].map((i) => ((value / 256n ** i) % 256n).toString()).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Embedded IPv4 (e.g. ::ffff:10.0.0.1): rewrite it as two hextets.
    const v4 = ipv4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 / 65536n).toString(16)}:${(v4 % 65536n).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? [] : new Array(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].reduce((acc, g) => acc * 65536n + BigInt(parseInt(g, 16)), 0n);
}

function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value / 65536n ** BigInt(7 - i)) % 65536n));
  // Compress the longest run (≥ 2) of zero groups as "::" (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
