import { AppProtocol, isHttpProtocol } from '../../src/mesh/app-protocol';

describe('AppProtocol', () => {
  test('values are the Service appProtocol names Istio understands', () => {
    expect(AppProtocol.HTTP).toBe('http');
    expect(AppProtocol.HTTP2).toBe('http2');
    expect(AppProtocol.GRPC).toBe('grpc');
    expect(AppProtocol.TCP).toBe('tcp');
    expect(AppProtocol.TLS).toBe('tls');
    expect(Object.values(AppProtocol)).toEqual(['http', 'http2', 'grpc', 'tcp', 'tls']);
  });

  test.each([AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.GRPC])('%s carries HTTP attributes (paths and methods can be authorized)', (protocol) => {
    expect(isHttpProtocol(protocol)).toBe(true);
  });

  test.each([AppProtocol.TCP, AppProtocol.TLS])('%s is opaque: only callers and ports can be authorized', (protocol) => {
    expect(isHttpProtocol(protocol)).toBe(false);
  });

  test('an unknown value is not treated as HTTP', () => {
    expect(isHttpProtocol('HTTP' as AppProtocol)).toBe(false);
    expect(isHttpProtocol('https' as AppProtocol)).toBe(false);
    expect(isHttpProtocol('' as AppProtocol)).toBe(false);
  });
});
