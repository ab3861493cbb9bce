// The public API of the workload domain; internal helpers stay out of the package root.
export { HardenedNamespace } from './hardened-namespace';
export type { HardenedNamespaceProps } from './hardened-namespace';
export { AppTeamNamespace } from './app-team-namespace';
export { MeshWorkload } from './mesh-workload';
export type { MeshWorkloadIdentity } from './mesh-workload';
export { AdoptedWorkload } from './adopted-workload';
export type { AdoptedWorkloadProps } from './adopted-workload';
export { SecureService } from './secure-service';
export { SecureStatefulSet } from './secure-stateful-set';
export type { SecureStatefulSetProps, StatefulVolume } from './secure-stateful-set';
export { JobRestartPolicy, SecureJob } from './secure-job';
export type { JobRunProps, SecureJobProps } from './secure-job';
export { SecureCronJob } from './secure-cron-job';
export type { SecureCronJobProps } from './secure-cron-job';
export type { SecureServiceAttributes, SecureServiceProps } from './secure-service';
export type {
  AllowFromOptions, BypassOptions, EgressPeer, ISecureService, JwtRequirement, MeshWorkloadProps, MetricsEndpoint, OutboundBypassOptions,
  SecretStoreMount, ServingWorkloadProps,
} from './workload-props';
export type { ServicePort } from './service-port';
export { HealthProbeType } from './pod-settings';
export type { HealthProbe } from './pod-settings';
