import { ExternalHost, ExternalHostMode } from '../../src/mesh/external-host';

describe('ExternalHost (EGRESS-1)', () => {
  test('https: TLS spoken by the app, port 443 by default', () => {
    const h = ExternalHost.https('api.example.com');
    expect(h.host).toBe('api.example.com');
    expect(h.port).toBe(443);
    expect(h.mode).toBe(ExternalHostMode.HTTPS);
    expect(h.appPort).toBeUndefined();
    expect(h.caCredentialName).toBeUndefined();
    expect(h.subjectAltNames).toEqual([]);
    expect(h.toString()).toBe('https://api.example.com:443 (TLS from the app)');
    expect(ExternalHost.https('api.example.com', 8443).port).toBe(8443);
  });

  test('httpsOriginated: the gateway originates TLS, verifying the host with a CA; SANs default to the host', () => {
    const h = ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'books-ca' });
    expect(h.mode).toBe(ExternalHostMode.HTTPS_ORIGINATED);
    expect(h.port).toBe(443);
    expect(h.appPort).toBe(80);
    expect(h.caCredentialName).toBe('books-ca');
    expect(h.subjectAltNames).toEqual(['books.example.com']);
    expect(h.toString()).toBe('https://books.example.com:443 (TLS originated by the egress gateway from http port 80, CA secret "books-ca", SANs [books.example.com])');
  });

  test('httpsOriginated: explicit ports and names (sorted, unique)', () => {
    const h = ExternalHost.httpsOriginated('books.example.com', {
      caCredentialName: 'books-ca', port: 8443, appPort: 8080, subjectAltNames: ['edge.example.net', 'books.example.com', 'edge.example.net'],
    });
    expect([h.port, h.appPort]).toEqual([8443, 8080]);
    expect(h.subjectAltNames).toEqual(['books.example.com', 'edge.example.net']);
  });

  test('sameAs compares every setting', () => {
    const a = ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'ca' });
    expect(a.sameAs(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'ca', subjectAltNames: ['books.example.com'] }))).toBe(true);
    expect(a.sameAs(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'other-ca' }))).toBe(false);
    expect(a.sameAs(ExternalHost.httpsOriginated('books.example.com', { caCredentialName: 'ca', appPort: 8080 }))).toBe(false);
    expect(a.sameAs(ExternalHost.https('books.example.com'))).toBe(false);
    expect(ExternalHost.https('a.example.com').sameAs(ExternalHost.https('a.example.com', 443))).toBe(true);
    expect(ExternalHost.https('a.example.com').sameAs(ExternalHost.https('a.example.com', 8443))).toBe(false);
  });

  describe('guards: plain errors naming the field and the fix', () => {
    test.each([
      ['a scheme', 'https://api.example.com', /ExternalHost.https\("https:\/\/api.example.com"\) host: .*must not include a scheme.*fully qualified DNS name/],
      ['a path', 'api.example.com/v1', /must not include a path/],
      ['a port', 'api.example.com:443', /must not include a port: give the port separately/],
      ['a wildcard', '*.example.com', /must not be a wildcard.*need a PolicyException/],
      ['an IPv4 address', '203.0.113.10', /is an IP address/],
      ['an IPv6 address', '2001:db8::1', /host: /],
      ['upper case', 'API.example.com', /must be lower case/],
      ['an invalid label', 'api_v1.example.com', /invalid DNS labels: "api_v1"/],
      ['an empty label', 'api..example.com', /invalid DNS labels/],
      ['a single label', 'localhost', /fully qualified name/],
      ['an empty host', '', /host must not be empty/],
    ])('host with %s', (_what, host, error) => {
      expect(() => ExternalHost.https(host)).toThrow(error);
      expect(() => ExternalHost.httpsOriginated(host, { caCredentialName: 'ca' })).toThrow(/ExternalHost.httpsOriginated\(.*\) host: /);
    });

    test.each([[0], [65536], [-1], [1.5], [NaN]])('port %p', (port) => {
      expect(() => ExternalHost.https('api.example.com', port)).toThrow(/ExternalHost.https\("api.example.com"\) port: .* is not a valid port. Use an integer from 1 to 65535/);
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'ca', port })).toThrow(/port: .* is not a valid port/);
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'ca', appPort: port })).toThrow(/appPort: .* is not a valid port/);
    });

    test('origination without a CA is refused', () => {
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: '' }))
        .toThrow(/ExternalHost.httpsOriginated\("api.example.com"\) caCredentialName: a CA is required.*Create a Secret with the CA certificate/);
      expect(() => ExternalHost.httpsOriginated('api.example.com', {} as any)).toThrow(/caCredentialName: a CA is required/);
      expect(() => ExternalHost.httpsOriginated('api.example.com', undefined as any)).toThrow(/caCredentialName: a CA is required/);
    });

    test('a CA secret name that is not a Secret name', () => {
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'Books CA' })).toThrow(/caCredentialName: "Books CA" a lowercase RFC 1123 subdomain/);
    });

    test('subjectAltNames: empty list or blank names', () => {
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'ca', subjectAltNames: [] }))
        .toThrow(/subjectAltNames: an empty list would accept a certificate issued for any name/);
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'ca', subjectAltNames: [' '] })).toThrow(/subjectAltNames: " " is not a name/);
    });

    test('the plain-HTTP app port and the TLS port must differ', () => {
      expect(() => ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'ca', port: 443, appPort: 443 }))
        .toThrow(/appPort: 443 is also the external TLS port/);
    });
  });
});
