// The public API of the mesh domain; internal helpers stay out of the package root.
export { AccessGrant } from './access-grant';
export type { AccessGrantProps } from './access-grant';
export { AppProtocol } from './app-protocol';
export type { IMesh, MeshAttributes } from './mesh';
export { MeshBaseline } from './mesh-baseline';
export type { MeshBaselineProps } from './mesh-baseline';
export type { IMeshPeer } from './mesh-peer';
export { Principal } from './principal';
export { GatewayTls, GatewayTlsMode, TlsVersion } from './gateway-tls';
export { IngressGateway } from './ingress-gateway';
export type { ClaimToHeader, ExternalJwtIssuer, IngressGatewayProps, RouteOptions, TokenExchange } from './ingress-gateway';
export { EdgeProtection, EdgeProtectionKind } from './edge-protection';
export type { GkeCloudArmorOptions } from './edge-protection';
export { ExternalHost, ExternalHostMode } from './external-host';
export type { HttpsOriginatedOptions } from './external-host';
export { EgressGateway } from './egress-gateway';
export type { AllowExternalOptions, EgressGatewayProps, ExternalAccess } from './egress-gateway';
