import { Workload } from '../../src/audit/workloads';

/** Options of a test workload. */
export interface TestWorkloadOptions {
  /** @default - the workload name */
  readonly serviceAccount?: string;
  /** @default [] */
  readonly ports?: { port: number; name?: string }[];
}

/** A workload as the evaluators see it: a sidecar-injected Deployment whose SA is its name unless given. */
export function testWorkload(
  namespace: string, name: string, labels: { [k: string]: string } = { app: name }, options: TestWorkloadOptions = {},
): Workload {
  const sa = options.serviceAccount ?? name;
  return {
    id: `${namespace}/${name}`,
    kind: 'Deployment',
    name,
    namespace,
    serviceAccount: sa,
    principal: `cluster.local/ns/${namespace}/sa/${sa}`,
    labels,
    ports: (options.ports ?? []).map((p) => ({ ...p, protocol: 'auto', services: [] })),
    sidecar: true,
    sidecarReason: 'test',
    dataPlane: 'sidecar',
    dataPlaneReason: 'test',
    origin: 'manifest',
    excludeInboundPorts: [],
    excludeOutboundPorts: [],
    excludesOutboundIpRanges: false,
  } as Workload;
}
