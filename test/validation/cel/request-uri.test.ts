import * as fc from 'fast-check';
import { hostnameOf, parseRequestUri, portOf, RequestUri } from '../../../src/validation/cel/request-uri';

function parsed(raw: string): RequestUri {
  const u = parseRequestUri(raw);
  if (typeof u === 'string') throw new Error(`expected ${raw} to parse: ${u}`);
  return u;
}

describe('parseRequestUri (Go url.ParseRequestURI)', () => {
  test('absolute URL: scheme lower-cased, host, port, path and query', () => {
    const u = parsed('HTTPS://issuer.example.com:8443/.well-known/jwks.json?a=1');
    expect(u.scheme).toBe('https');
    expect(u.host).toBe('issuer.example.com:8443');
    expect(hostnameOf(u)).toBe('issuer.example.com');
    expect(portOf(u)).toBe('8443');
    expect(u.path).toBe('/.well-known/jwks.json');
    expect(u.rawQuery).toBe('a=1');
  });

  test('IPv6 literal host', () => {
    const u = parsed('http://[::1]:80/x');
    expect(hostnameOf(u)).toBe('::1');
    expect(portOf(u)).toBe('80');
  });

  test('absolute path without scheme is a request URI', () => {
    expect(parsed('/jwks').scheme).toBe('');
  });

  test('opaque URI with a scheme is accepted (mailto:)', () => {
    expect(parsed('mailto:a@b.c').opaque).toBe('a@b.c');
  });

  test.each([
    ['', 'empty url'],
    ['relative/path', 'invalid URI for request'],
    [':nope', 'missing protocol scheme'],
    ['http://host:port/x', 'invalid port'],
    ['http://a b/x', 'invalid character'],
    ['http://[::1/x', 'missing'],
    ['http://x/\u0001', 'control character'],
  ])('rejects %j (%s)', (raw, expected) => {
    const u = parseRequestUri(raw);
    expect(typeof u).toBe('string');
    expect(u).toContain(expected);
  });

  test('property: any http(s) URL built from a DNS name, port and path parses back to its parts', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    fc.assert(
      fc.property(fc.constantFrom('http', 'https'), fc.array(label, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 65535 }), fc.stringMatching(/^(\/[a-z0-9._-]{0,8}){0,3}$/),
        (scheme, labels, port, path) => {
          const u = parsed(`${scheme}://${labels.join('.')}:${port}${path}`);
          expect(u.scheme).toBe(scheme);
          expect(hostnameOf(u)).toBe(labels.join('.'));
          expect(portOf(u)).toBe(String(port));
          expect(u.path).toBe(path);
        }),
    );
  });
});
