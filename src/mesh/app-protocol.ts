/**
 * The protocol a Service port speaks, written to the Service's `appProtocol` so Istio knows it
 * without guessing from the port name.
 */
export enum AppProtocol {
  /** HTTP/1.1 (and HTTP/2 with upgrade). Paths and methods can be authorized. */
  HTTP = 'http',
  /** HTTP/2 (h2c). Paths and methods can be authorized. */
  HTTP2 = 'http2',
  /** gRPC. Methods can be authorized per `/package.Service/Method` path. */
  GRPC = 'grpc',
  /** Opaque TCP. Only callers and ports can be authorized. */
  TCP = 'tcp',
  /** TLS originated by the application (Istio sees SNI only). Only callers and ports can be authorized. */
  TLS = 'tls',
}

/** Whether Istio can match HTTP attributes (paths, methods) on a port of this protocol. */
export function isHttpProtocol(protocol: AppProtocol): boolean {
  return protocol === AppProtocol.HTTP || protocol === AppProtocol.HTTP2 || protocol === AppProtocol.GRPC;
}
