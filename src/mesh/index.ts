// The public API of the mesh domain; internal helpers stay out of the package root.
export { AccessGrant, AccessGrantProps } from './access-grant';
export { AppProtocol } from './app-protocol';
export { IMesh, MeshAttributes } from './mesh';
export { MeshBaseline, MeshBaselineProps } from './mesh-baseline';
export { IMeshPeer } from './mesh-peer';
export { Principal } from './principal';
export { GatewayTls, GatewayTlsMode, TlsVersion } from './gateway-tls';
export { ClaimToHeader, ExternalJwtIssuer, IngressGateway, IngressGatewayProps, RouteOptions, TokenExchange } from './ingress-gateway';
export { ExternalHost, ExternalHostMode, HttpsOriginatedOptions } from './external-host';
export { AllowExternalOptions, EgressGateway, EgressGatewayProps, ExternalAccess } from './egress-gateway';
