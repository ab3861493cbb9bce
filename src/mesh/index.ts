export * from './access-grant';
export * from './app-protocol';
export * from './mesh';
export * from './mesh-baseline';
export * from './mesh-peer';
export * from './principal';
export * from './gateway-tls';
export * from './ingress-gateway';
