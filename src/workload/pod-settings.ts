/**
 * Production pod settings of a SecureService (POD-1, within the restricted Pod Security profile):
 * health probes, numeric user and groups, writable scratch directories beside the read-only root
 * filesystem. Pure checks return problems (strings); SecureService turns them into errors.
 */

/** How the kubelet checks a container's health. */
export enum HealthProbeType {
  /** An HTTP GET on `path`; any status from 200 to 399 is healthy. */
  HTTP = 'HTTP',
  /** A TCP connection to the port (Istio's agent makes it, so the sidecar cannot fake it). */
  TCP = 'TCP',
  /** The gRPC Health Checking Protocol (`grpc.health.v1.Health/Check`). */
  GRPC = 'GRPC',
}

/**
 * A readiness, liveness or startup probe of a SecureService's container.
 *
 * Under the mesh's STRICT mTLS the kubelet cannot reach the app's port itself (it has no mesh
 * certificate), so Istio's injector rewrites HTTP, TCP and gRPC probes to the sidecar agent's
 * status port 15020 (`sidecar.istio.io/rewriteAppHTTPProbers`, true by default; see Istio's
 * "Health Checking of Istio Services"): pilot-agent forwards each probe to the app over the pod's
 * loopback and returns only the status. The probe therefore works without PERMISSIVE mTLS, without
 * an AuthorizationPolicy for the kubelet, and without a NetworkPolicy hole: traffic from the node
 * where a pod runs is always allowed by NetworkPolicy. A TCP probe that Istio did not rewrite would
 * always succeed (the sidecar accepts every port), which the rewrite also fixes.
 */
export interface HealthProbe {
  /**
   * The container port probed: one of the service's container ports (`targetPort`, else `port`)
   * or one of its `healthPorts`.
   */
  readonly port: number;
  /**
   * The kind of check.
   *
   * @default HealthProbeType.HTTP
   */
  readonly type?: HealthProbeType;
  /**
   * The path of an HTTP probe, e.g. `/healthz` (required for HTTP, refused for TCP and gRPC).
   *
   * @default - none: an HTTP probe must name its path
   */
  readonly path?: string;
  /**
   * The service name a gRPC probe asks about (only for gRPC).
   *
   * @default - the server's overall health (the empty service name)
   */
  readonly grpcService?: string;
  /**
   * Seconds after the container starts before the first probe. A startup probe is the better way
   * to wait for a slow start.
   *
   * @default 0
   */
  readonly initialDelaySeconds?: number;
  /**
   * Seconds between probes.
   *
   * @default 10
   */
  readonly periodSeconds?: number;
  /**
   * Seconds before a probe times out.
   *
   * @default 1
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive failures before the container is marked unready (readiness), restarted
   * (liveness), or restarted for not starting (startup).
   *
   * @default 3 - and 30 for a startup probe (with the default period, 5 minutes to start)
   */
  readonly failureThreshold?: number;
}

/** Which probe a HealthProbe is used as. */
export type ProbeRole = 'readinessProbe' | 'livenessProbe' | 'startupProbe';

/** Ports Istio's sidecar and agent listen on in every pod: never an app's health port. */
export const ISTIO_RESERVED_PORTS: readonly number[] = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090];

/** Istio's proxy UID and GID (`global.proxy.runAsUser`/`runAsGroup`): iptables never redirects their traffic. */
export const ISTIO_PROXY_ID = 1337;

const MAX_ID = 2147483647;

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/** Problems with a list of dedicated health ports. */
export function checkHealthPorts(ports: readonly number[], containerPorts: readonly number[]): string[] {
  if (!Array.isArray(ports)) return ['healthPorts must be a list'];
  const problems: string[] = [];
  ports.forEach((p, i) => {
    if (!isInt(p) || p < 1 || p > 65535) problems.push(`healthPorts[${i}] ${String(p)} is outside 1-65535`);
    else if (ISTIO_RESERVED_PORTS.includes(p)) problems.push(`healthPorts[${i}] ${p} is one of Istio's own ports (${ISTIO_RESERVED_PORTS.join(', ')})`);
    else if (containerPorts.includes(p)) problems.push(`healthPorts[${i}] ${p} is already a container port of the service`);
    else if (ports.indexOf(p) !== i) problems.push(`duplicate health port ${p}`);
  });
  return problems;
}

/** Problems with a probe: its port must be one of `allowedPorts` (container ports and health ports). */
export function checkHealthProbe(role: ProbeRole, probe: HealthProbe, allowedPorts: readonly number[]): string[] {
  if (typeof probe !== 'object' || probe === null) return [`${role} must be a HealthProbe`];
  const problems: string[] = [];
  const type = probe.type ?? HealthProbeType.HTTP;
  if (!(Object.values(HealthProbeType) as string[]).includes(type)) {
    problems.push(`${role}.type "${String(type)}" is not one of ${Object.values(HealthProbeType).join(', ')}`);
  }
  if (!allowedPorts.includes(probe.port)) {
    problems.push(allowedPorts.length > 0
      ? `${role}.port ${String(probe.port)} is not a container port or health port of the service (${allowedPorts.join(', ')})`
      : `${role}.port ${String(probe.port)} is not a port of the service: it has no container port and no health port`);
  }
  if (type === HealthProbeType.HTTP) {
    if (probe.path === undefined) {
      problems.push(`${role}.path is required for an HTTP probe`);
    } else if (typeof probe.path !== 'string' || !/^\/[\x21-\x7e]*$/.test(probe.path)) {
      problems.push(`${role}.path "${String(probe.path)}" is not an absolute URL path without spaces`);
    }
  } else if (probe.path !== undefined) {
    problems.push(`${role}.path is only for an HTTP probe (this one is ${type})`);
  }
  if (probe.grpcService !== undefined && type !== HealthProbeType.GRPC) problems.push(`${role}.grpcService is only for a GRPC probe (this one is ${type})`);
  const seconds: [keyof HealthProbe, number][] = [['initialDelaySeconds', 0], ['periodSeconds', 1], ['timeoutSeconds', 1], ['failureThreshold', 1]];
  for (const [field, min] of seconds) {
    const v = probe[field];
    if (v !== undefined && (!isInt(v) || v < min || v > MAX_ID)) problems.push(`${role}.${field} ${String(v)} is not an integer ≥ ${min}`);
  }
  return problems;
}

/** The Kubernetes Probe of a checked HealthProbe, every timing written out. */
export function renderProbe(role: ProbeRole, probe: HealthProbe): { [key: string]: any } {
  const type = probe.type ?? HealthProbeType.HTTP;
  const handler = type === HealthProbeType.HTTP ? { httpGet: { path: probe.path, port: probe.port, scheme: 'HTTP' } }
    : type === HealthProbeType.GRPC ? { grpc: { port: probe.port, ...(probe.grpcService !== undefined ? { service: probe.grpcService } : {}) } }
      : { tcpSocket: { port: probe.port } };
  return {
    ...handler,
    failureThreshold: probe.failureThreshold ?? (role === 'startupProbe' ? 30 : 3),
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    periodSeconds: probe.periodSeconds ?? 10,
    timeoutSeconds: probe.timeoutSeconds ?? 1,
  };
}

/** Problems with a pod-level user or group ID: an integer ≥ 1, never root (0) nor Istio's proxy ID (1337). */
export function checkPodId(field: 'runAsUser' | 'runAsGroup' | 'fsGroup', value: number): string[] {
  if (!isInt(value) || value < 0 || value > MAX_ID) {
    return [`${field} ${String(value)} is not an integer from 1 to ${MAX_ID}`];
  }
  if (value === 0) return [`${field} 0 is root${field === 'runAsUser' ? '' : '\'s group'}`];
  if (value === ISTIO_PROXY_ID) {
    return [`${field} ${ISTIO_PROXY_ID} is Istio's proxy ${field === 'runAsUser' ? 'UID' : 'GID'}: iptables never redirects its traffic to the sidecar, `
      + 'so the app would bypass mTLS and authorization (POD-UID-001 refuses it)'];
  }
  return [];
}

/** Problems with the writable paths: absolute, normalized, unique, not `/` nor the kernel's own filesystems. */
export function checkWritablePaths(paths: readonly string[], otherMounts: readonly string[] = [], field = 'writablePaths'): string[] {
  if (!Array.isArray(paths)) return [`${field} must be a list`];
  if (paths.length === 0) return [`${field} is empty (omit it for none)`];
  const problems: string[] = [];
  paths.forEach((p, i) => {
    const at = `${field}[${i}] "${String(p)}"`;
    if (typeof p !== 'string' || !/^\/[^\s]*$/.test(p)) problems.push(`${at} is not an absolute path`);
    else if (p === '/') problems.push(`${at} is the root directory, which must stay read-only`);
    else if (p.endsWith('/') || p.includes('//') || p.split('/').some((s) => s === '.' || s === '..')) problems.push(`${at} is not normalized (no trailing "/", "//", "." or "..")`);
    else if (/^\/(proc|sys)(\/|$)/.test(p) || p === '/dev') problems.push(`${at} would hide a filesystem the container runtime provides`);
    else if (otherMounts.includes(p)) problems.push(`${at} is already a mount (writablePaths or secretStore.mountPath)`);
    else if (paths.indexOf(p) !== i) problems.push(`duplicate path ${p} in ${field}`);
  });
  return problems;
}
