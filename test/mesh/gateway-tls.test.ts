import { GatewayTls, GatewayTlsMode } from '../../src/mesh/gateway-tls';

describe('GatewayTls', () => {
  test('simple and mutual', () => {
    expect(GatewayTls.simple('shop-tls')).toMatchObject({ mode: GatewayTlsMode.SIMPLE, credentialName: 'shop-tls', clientCaCredentialName: undefined });
    expect(GatewayTls.mutual('shop-tls', 'shop-tls-cacert')).toMatchObject({ mode: GatewayTlsMode.MUTUAL, clientCaCredentialName: 'shop-tls-cacert' });
    expect(GatewayTls.mutual('shop-tls', 'shop-tls').clientCaCredentialName).toBe('shop-tls');
  });

  test('TLS without a credential', () => {
    expect(() => GatewayTls.simple('')).toThrow(/GatewayTls.simple: TLS needs a credential/);
    expect(() => GatewayTls.simple('Bad_Name')).toThrow(/credentialName "Bad_Name"/);
  });

  test('MUTUAL without a CA, or with a CA Istio would not find', () => {
    expect(() => GatewayTls.mutual('shop-tls', '')).toThrow(/MUTUAL TLS needs a client CA/);
    expect(() => GatewayTls.mutual('shop-tls', 'other-ca')).toThrow(/would not be found: Istio reads it from "shop-tls" \(key ca.crt\) or "shop-tls-cacert"/);
  });
});
