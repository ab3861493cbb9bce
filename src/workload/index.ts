export * from './hardened-namespace';
export * from './secure-service';
export * from './service-port';
