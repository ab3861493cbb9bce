import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { HardenedNamespace } from './hardened-namespace';
import { HealthProbe } from './pod-settings';
import { ServicePort } from './service-port';
import { AccessGrant } from '../mesh/access-grant';
import { IMeshPeer } from '../mesh/mesh-peer';
import { PolicyException } from '../policy/policy-exception';

/** What every mesh workload kind takes: where it runs, what it runs, and as whom (POD-1, IMG-1, WI-1, SECRET-1). */
export interface MeshWorkloadProps {
  /** The hardened namespace the service runs in. */
  readonly namespace: HardenedNamespace;
  /**
   * Name of the workload, its Service (if it serves) and pods (`app` label); a DNS-1035 label.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /** Container image, pinned by digest (`repo@sha256:...`), from an allowed registry (IMG-1). */
  readonly image: string;
  /**
   * Name of the dedicated ServiceAccount, whose SPIFFE identity is the service's principal.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;
  /**
   * Google service account to impersonate through GKE Workload Identity (WI-1); written as the
   * `iam.gke.io/gcp-service-account` annotation. Never store service-account keys in Secrets.
   *
   * @default - no cloud identity
   */
  readonly workloadIdentity?: string;
  /**
   * Mount the Kubernetes API token into the pods. Only for workloads that call the API server.
   *
   * @default false - a stolen token cannot be used against the API server
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Container resource requests and limits (of the app container; Istio sets the sidecar's).
   *
   * The default is small, for a typical mesh microservice; size it from measured usage. Requests
   * are what the scheduler reserves; a limit is enforced by the kernel: memory over its limit is
   * OOM-killed, CPU over its limit is throttled (Kubernetes, "Resource Management for Pods and
   * Containers"). So memory is capped (a leak kills this container, not its neighbours on the
   * node), and CPU is not: CPU is compressible, a container may use idle CPU beyond its request
   * and yields it back under contention in proportion to requests, while a CPU limit would
   * throttle it (latency spikes) even on an idle node. The pod is in the Burstable QoS class.
   *
   * @default - requests cpu 100m and memory 128Mi; limit memory 256Mi; no CPU limit
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The numeric user the pod's containers run as (pod securityContext `runAsUser`). An integer
   * ≥ 1, never 0 (root) nor 1337 (Istio's proxy UID, whose traffic bypasses the sidecar).
   * `runAsNonRoot: true` stays, so an image whose user is root is refused by the kubelet either way.
   *
   * @default - the image's user (its `USER`, which must be non-root)
   */
  readonly runAsUser?: number;
  /**
   * The primary group of the pod's processes (pod securityContext `runAsGroup`): ≥ 1, never 0
   * (root's group) nor 1337 (Istio's proxy GID).
   *
   * @default - the image's group
   */
  readonly runAsGroup?: number;
  /**
   * The group that owns the pod's volumes and is added to its processes (pod securityContext
   * `fsGroup`): ≥ 1, never 0 nor 1337 (it would give every container the proxy's group).
   *
   * @default - no fsGroup: volumes keep their default ownership
   */
  readonly fsGroup?: number;
  /**
   * Directories the app may write to, each an `emptyDir` volume (on the node's disk, deleted with
   * the pod) mounted at that absolute path, e.g. `['/tmp']`. The root filesystem stays read-only
   * (POD-ROFS-001); emptyDir is a volume type the restricted profile allows.
   *
   * @default - no writable directory
   */
  readonly writablePaths?: string[];
  /**
   * The most each writable directory may hold (emptyDir `sizeLimit`); the kubelet evicts the pod
   * when one grows past it.
   *
   * @default - no size limit (bounded only by the node's ephemeral storage)
   */
  readonly writablePathSizeLimit?: Size;
  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly env?: { [name: string]: string };
  /**
   * Arguments of the container entrypoint.
   *
   * @default - the image's
   */
  readonly args?: string[];
  /**
   * Value of the `version` pod label (Istio telemetry).
   *
   * @default - no version label
   */
  readonly version?: string;
  /**
   * An exception allowing an image that is not pinned by digest (rule IMG-DIGEST-001). The
   * registry allow-list still applies.
   *
   * @default - images must be pinned by digest
   */
  readonly imageException?: PolicyException;
  /**
   * Secrets from a secret manager, mounted read-only through the Secrets Store CSI driver
   * (SECRET-1): the `SecretProviderClass` (managed with the secret manager's provider) and where
   * to mount it. Kubernetes Secrets are never needed.
   *
   * @default - no secrets
   */
  readonly secretStore?: SecretStoreMount;
}

/** What a workload that serves also takes: its ports, health checks and metrics. */
export interface ServingWorkloadProps extends MeshWorkloadProps {
  /**
   * Ports the workload serves; each has a name, a port, an optional container port and a protocol.
   *
   * A SecureService also takes `[]`: a workload that only calls (a load generator, a client, a
   * worker) gets its own identity, the hardened pod and egress to what it is granted, but no
   * Service and no DestinationRule, and it accepts no traffic at all (its AuthorizationPolicy and
   * ingress NetworkPolicy admit nothing, and `allowFrom` and gateway routes to it are refused).
   */
  readonly ports: ServicePort[];
  /**
   * The readiness probe: until it passes, the pod receives no traffic from the Service.
   *
   * Istio rewrites it to the sidecar agent's status port 15020, so it works under STRICT mTLS
   * with no NetworkPolicy or AuthorizationPolicy opening for the kubelet (see `HealthProbe`).
   *
   * @default - no readiness probe: the pod is ready as soon as its containers run
   */
  readonly readinessProbe?: HealthProbe;
  /**
   * The liveness probe: when it fails `failureThreshold` times, the kubelet restarts the
   * container. Check only what a restart fixes (not dependencies: their outage would restart
   * every replica). Rewritten by Istio like the readiness probe.
   *
   * @default - no liveness probe: the container restarts only when its process exits
   */
  readonly livenessProbe?: HealthProbe;
  /**
   * The startup probe: liveness and readiness probes wait until it passes once, so a slow start
   * is not taken for a hang. Rewritten by Istio like the readiness probe.
   *
   * @default - no startup probe
   */
  readonly startupProbe?: HealthProbe;
  /**
   * Container ports that only serve health checks (e.g. a management port 8081): probes may use
   * them. They are not Service ports, and no caller can be granted them; the kubelet reaches them
   * through the sidecar agent. Never one of Istio's own ports (15000-15090 range listeners).
   *
   * @default - probes use the service's container ports only
   */
  readonly healthPorts?: number[];
  /**
   * Where the app serves Prometheus metrics. Written as the `prometheus.io/scrape`, `port` and
   * `path` pod annotations, which Istio's metrics merging (on by default) rewrites: the sidecar
   * agent fetches the app's metrics over the pod's loopback and serves them, merged with its own,
   * on port 15020 (`/stats/prometheus`). So Prometheus scrapes 15020 only (opened to the mesh's
   * `monitoringNamespace` by the namespace's `allow-metrics-scraping` NetworkPolicy; not by default
   * in a sensitive-data namespace, see `metricsScrapingPorts`), needs no mesh certificate, and the
   * metrics port itself stays closed to every caller: it is neither a Service port nor grantable.
   *
   * @default - no app metrics (the sidecar's own metrics are still on 15020 and 15090)
   */
  readonly metrics?: MetricsEndpoint;
}

/** Where an app serves Prometheus metrics. */
export interface MetricsEndpoint {
  /**
   * The container port: one of the workload's container ports or `healthPorts`, or a port of its
   * own (never one of Istio's 15000-15090 listeners).
   */
  readonly port: number;
  /**
   * The HTTP path.
   *
   * @default '/metrics'
   */
  readonly path?: string;
}

/** A SecretProviderClass mounted through the Secrets Store CSI driver. */
export interface SecretStoreMount {
  /** Name of the SecretProviderClass in the service's namespace. */
  readonly secretProviderClass: string;
  /** Absolute path to mount the secrets at, e.g. `/mnt/secrets`. */
  readonly mountPath: string;
}

/** Options of a sidecar bypass: the exception that allows it and who may still reach the port. */
export interface BypassOptions {
  /** The PolicyException relaxing the rule (it must name it and cover this service). */
  readonly exception: PolicyException;
  /**
   * Peers allowed to reach the bypassed port (compensating NetworkPolicy).
   *
   * @default - only pods of the service's own namespace
   */
  readonly from?: IMeshPeer[];
}

/** Options of an outbound IP-range bypass. */
export interface OutboundBypassOptions {
  /** The PolicyException relaxing MESH-EXC-001 (it must name it and cover this service). */
  readonly exception: PolicyException;
  /** The only TCP ports the pods may reach in those ranges (compensating NetworkPolicy). */
  readonly ports: number[];
}

/** What a caller may do on the target: which ports, paths and methods (AUTHZ-3). */
export interface AllowFromOptions {
  /**
   * Service ports the caller may call. The policies use the matching container ports, since
   * Istio and NetworkPolicy see the traffic at the pod.
   *
   * @default - every port of the service
   */
  readonly ports?: number[];
  /**
   * Paths the caller may request: exact (`/api/v1/items`) or prefix (`/api/*`), normalized. On a
   * gRPC port, methods as `/package.Service/Method`. Only on HTTP, HTTP2 and gRPC ports.
   *
   * @default - any path on the granted ports
   */
  readonly paths?: string[];
  /**
   * Upper-case HTTP methods the caller may use (`GET`, `POST`, ...). Only on HTTP-family ports.
   *
   * @default - any method
   */
  readonly methods?: string[];
}

/** End-user authentication with JWTs (JWT-1). */
export interface JwtRequirement {
  /** The issuer (`iss` claim) accepted. */
  readonly issuer: string;
  /** Where the issuer publishes its signing keys; must be https. */
  readonly jwksUri: string;
  /** Accepted audiences (`aud` claim): a token minted for another service is rejected. */
  readonly audiences: string[];
}

/** Pods a service may open connections to. */
export interface EgressPeer {
  /** Namespace of the pods. */
  readonly namespace: string;
  /**
   * Labels of the pods.
   *
   * @default - every pod of the namespace
   */
  readonly podLabels?: { [key: string]: string };
}

/** A mesh service that can be granted to callers: one of ours, or one imported from another repo. */
export interface ISecureService extends IMeshPeer, IConstruct {
  /** The Kubernetes Service name. */
  readonly serviceName: string;
  /** The namespace of the service. */
  readonly namespaceName: string;
  /** The Service FQDN, `<name>.<namespace>.svc.cluster.local`. */
  readonly host: string;
  /** The ports of the service. */
  readonly ports: ServicePort[];
  /**
   * Lets `caller` call this service on the given ports, paths and methods, and nothing else.
   * Idempotent: the same call twice creates one grant.
   */
  allowFrom(caller: IMeshPeer, options?: AllowFromOptions): AccessGrant;
}
