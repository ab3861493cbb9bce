// The public API of the workload domain; internal helpers stay out of the package root.
export { HardenedNamespace } from './hardened-namespace';
export type { HardenedNamespaceProps } from './hardened-namespace';
export { SecureService } from './secure-service';
export type {
  AllowFromOptions, BypassOptions, EgressPeer, ISecureService, JwtRequirement, OutboundBypassOptions, SecretStoreMount,
  SecureServiceAttributes, SecureServiceProps,
} from './secure-service';
export type { ServicePort } from './service-port';
export { HealthProbeType } from './pod-settings';
export type { HealthProbe } from './pod-settings';
