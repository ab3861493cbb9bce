// The public API of the workload domain; internal helpers stay out of the package root.
export { HardenedNamespace, HardenedNamespaceProps } from './hardened-namespace';
export {
  AllowFromOptions, BypassOptions, EgressPeer, ISecureService, JwtRequirement, OutboundBypassOptions, SecretStoreMount, SecureService,
  SecureServiceAttributes, SecureServiceProps,
} from './secure-service';
export { ServicePort } from './service-port';
