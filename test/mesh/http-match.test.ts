import * as fc from 'fast-check';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { checkGrpcMethod, checkHttpMethod, checkHttpPath, checkPathFor } from '../../src/mesh/http-match';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'];

/** Characters allowed unencoded in a path segment (RFC 3986 pchar without pct-encoded). */
const SEGMENT_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()+,=:@'];
/** A non-empty segment that path normalization leaves alone (not "." or ".."). */
const segment = fc.string({ unit: fc.constantFrom(...SEGMENT_CHARS), minLength: 1, maxLength: 12 })
  .filter((s) => s !== '.' && s !== '..');
const segments = fc.array(segment, { maxLength: 6 });
const exactPath = segments.map((segs) => (segs.length ? segs.map((s) => `/${s}`).join('') : '/'));
const prefixPath = segments.map((segs) => `${segs.map((s) => `/${s}`).join('')}/*`);
const normalizedPath = fc.oneof(exactPath, prefixPath);

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
const grpcService = fc.array(ident, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));

/** `value` with `insert` at a position chosen by `i`. */
function insertAt(value: string, insert: string, i: number): string {
  const at = i % (value.length + 1);
  return `${value.slice(0, at)}${insert}${value.slice(at)}`;
}

describe('checkHttpPath (AUTHZ-3)', () => {
  test.each([
    '/',
    '/admin',
    '/api/v1/items',
    '/api/v1.2/items',
    '/a..b/c.d',
    '/~user/a-b_c',
    "/a!$&'()+,=:@",
    '/*',
    '/api/*',
    '/api/v1/*',
    '/api/',
  ])('accepts normalized %j', (path) => {
    expect(checkHttpPath(path)).toEqual([]);
  });

  test('rejects the empty path', () => {
    expect(checkHttpPath('')).toEqual(['path must not be empty']);
  });

  test.each(['admin', 'api/v1', '*', './admin', '../admin', '%2Fadmin', 'http://host/admin'])('rejects relative %j', (path) => {
    expect(checkHttpPath(path)).toEqual([`path "${path}" must be absolute (start with "/")`]);
  });

  test.each([
    ['/api*', /may use "\*" only as a trailing "\/\*" prefix match/],
    ['/api/**', /may use "\*" only as a trailing "\/\*" prefix match/],
    ['/*/admin', /may use "\*" only as a trailing "\/\*" prefix match/],
    ['/api/v*/items', /may use "\*" only as a trailing "\/\*" prefix match/],
    ['/admin?x=1', /must not contain "\?" or "#" \(Istio matches the path without query or fragment\)/],
    ['/admin#frag', /must not contain "\?" or "#"/],
    ['/%61dmin', /must not contain percent-encoding such as %2F or %5C \(write the decoded, normalized path\)/],
    ['/a%2Fb', /percent-encoding/],
    ['/a%2fb', /percent-encoding/],
    ['/a%5Cb', /percent-encoding/],
    ['/a\\b', /must not contain "\\"/],
    ['//admin', /must not contain "\/\/" \(merged by path normalization\)/],
    ['/api//*', /must not contain "\/\/"/],
    ['/admin//', /must not contain "\/\/"/],
    ['/./admin', /must not contain "\." or "\.\." segments \(resolved by path normalization\)/],
    ['/a/../admin', /must not contain "\." or "\.\." segments/],
    ['/admin/..', /"\.\." segments/],
    ['/admin/.', /"\.\." segments/],
    ['/../*', /"\.\." segments/],
    ['/a/b c', /contains characters that are not allowed unencoded in a URL path/],
    ['/caf\u00e9', /not allowed unencoded/],
    ['/a"b', /not allowed unencoded/],
    ['/a<b>', /not allowed unencoded/],
    ['/a\nb', /not allowed unencoded/],
  ])('rejects %j', (path, message) => {
    const problems = checkHttpPath(path);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(message);
    expect(problems.every((p) => p.startsWith(`path "${path}" `))).toBe(true);
  });

  test('reports every problem at once', () => {
    const problems = checkHttpPath('//a/../b%2F?*');
    expect(problems.join('\n')).toMatch(/"\*"/);
    expect(problems.join('\n')).toMatch(/"\?" or "#"/);
    expect(problems.join('\n')).toMatch(/percent-encoding/);
    expect(problems.join('\n')).toMatch(/"\/\/"/);
    expect(problems.join('\n')).toMatch(/"\.\." segments/);
    expect(problems).toHaveLength(5);
  });

  test('the character check is only reported when nothing more specific is', () => {
    expect(checkHttpPath('/a b/%2F')).toHaveLength(1);
    expect(checkHttpPath('/a b/%2F').join()).toMatch(/percent-encoding/);
  });

  describe('properties', () => {
    test('normalized exact and prefix paths built from safe segments are accepted', () => {
      fc.assert(fc.property(normalizedPath, (path) => {
        expect(checkHttpPath(path)).toEqual([]);
      }));
    });

    test('a path that does not start with "/" is rejected as relative', () => {
      fc.assert(fc.property(normalizedPath, (path) => {
        const relative = path.slice(1);
        expect(checkHttpPath(relative).join('\n')).toMatch(/must be absolute|must not be empty/);
      }));
    });

    test.each(['//', '%2F', '%2f', '%5C', '%5c', '%2e', '\\', '?', '#'])('inserting %j anywhere is rejected', (insert) => {
      fc.assert(fc.property(normalizedPath, fc.nat(), (path, i) => {
        const bad = insertAt(path, insert, i);
        expect(checkHttpPath(bad)).not.toEqual([]);
      }));
    });

    test.each(['.', '..'])('inserting a %j segment anywhere is rejected', (dot) => {
      fc.assert(fc.property(segments, fc.nat(), fc.boolean(), (segs, i, prefix) => {
        const withDot = [...segs];
        withDot.splice(i % (segs.length + 1), 0, dot);
        const path = `${withDot.map((s) => `/${s}`).join('')}${prefix ? '/*' : ''}`;
        expect(checkHttpPath(path).join('\n')).toMatch(/"\." or "\.\." segments/);
      }));
    });

    test('a "*" anywhere after the leading "/" but a trailing "/*" is rejected', () => {
      fc.assert(fc.property(normalizedPath, fc.nat(), (path, i) => {
        const bad = `/${insertAt(path.slice(1), '*', i)}`;
        const isTrailingPrefix = bad.endsWith('/*') && bad.indexOf('*') === bad.length - 1;
        fc.pre(!isTrailingPrefix);
        expect(checkHttpPath(bad).join('\n')).toMatch(/may use "\*" only as a trailing "\/\*" prefix match/);
      }));
    });
  });
});

describe('checkHttpMethod', () => {
  test.each(METHODS)('accepts %s', (method) => {
    expect(checkHttpMethod(method)).toEqual([]);
  });

  test.each(METHODS.map((m) => [m.toLowerCase(), m]))('rejects lower-case %j with a hint for %j', (method, upper) => {
    const problems = checkHttpMethod(method);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`method "${method}" is not an upper-case HTTP method (did you mean "${upper}"?)`);
    expect(problems[0]).toContain(`use one of ${METHODS.join(', ')}`);
  });

  test('mixed case gets the hint too', () => {
    expect(checkHttpMethod('Get').join()).toContain('did you mean "GET"?');
  });

  test.each(['', '*', 'FOO', 'GETS', 'PROPFIND', ' GET', 'GET '])('rejects unknown %j without a hint', (method) => {
    const problems = checkHttpMethod(method);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`method "${method}" is not an upper-case HTTP method; use one of GET, HEAD, POST`);
    expect(problems[0]).not.toContain('did you mean');
  });
});

describe('checkGrpcMethod', () => {
  test.each([
    '/bookinfo.Reviews/GetReview',
    '/grpc.health.v1.Health/Check',
    '/Svc/Method',
    '/pkg.Svc/*',
    '/_pkg._Svc/_m1',
  ])('accepts %j', (path) => {
    expect(checkGrpcMethod(path)).toEqual([]);
  });

  test.each([
    '',
    'pkg.Svc/Method',
    '/pkg.Svc',
    '/pkg.Svc/',
    '/pkg.Svc/Method/extra',
    '/pkg.Svc/Get*',
    '/pkg.Svc/**',
    '/*/Method',
    '/*',
    '/pkg..Svc/Method',
    '/.pkg.Svc/Method',
    '/pkg.Svc./Method',
    '/1pkg.Svc/Method',
    '/pkg.Svc/1Method',
    '/pkg-x.Svc/Method',
    '//pkg.Svc/Method',
    '/pkg.Svc/Method?x',
    '/api/v1/items',
  ])('rejects %j, showing the expected form', (path) => {
    expect(checkGrpcMethod(path)).toEqual([`gRPC method "${path}" must look like "/package.Service/Method" or "/package.Service/*"`]);
  });

  test('property: /package.Service/Method and /package.Service/* are accepted', () => {
    fc.assert(fc.property(grpcService, fc.oneof(ident, fc.constant('*')), (svc, method) => {
      expect(checkGrpcMethod(`/${svc}/${method}`)).toEqual([]);
    }));
  });

  test('property: without the leading "/" or the method, it is rejected', () => {
    fc.assert(fc.property(grpcService, ident, (svc, method) => {
      expect(checkGrpcMethod(`${svc}/${method}`)).not.toEqual([]);
      expect(checkGrpcMethod(`/${svc}`)).not.toEqual([]);
      expect(checkGrpcMethod(`/${svc}/${method}/`)).not.toEqual([]);
    }));
  });
});

describe('checkPathFor', () => {
  test('gRPC ports take method paths', () => {
    expect(checkPathFor(AppProtocol.GRPC, '/pkg.Svc/Method')).toEqual([]);
    expect(checkPathFor(AppProtocol.GRPC, '/pkg.Svc/*')).toEqual([]);
    expect(checkPathFor(AppProtocol.GRPC, '/api/v1/items').join()).toMatch(/gRPC method "\/api\/v1\/items" must look like/);
  });

  test.each([AppProtocol.HTTP, AppProtocol.HTTP2, AppProtocol.TCP, AppProtocol.TLS])('%s ports take HTTP paths', (protocol) => {
    expect(checkPathFor(protocol, '/api/v1/items')).toEqual([]);
    expect(checkPathFor(protocol, '/api/*')).toEqual([]);
    expect(checkPathFor(protocol, '/a/../admin').join()).toMatch(/"\." or "\.\." segments/);
    expect(checkPathFor(protocol, '/pkg.Svc/Method')).toEqual([]);
    expect(checkPathFor(protocol, 'api').join()).toMatch(/must be absolute/);
  });
});

describe('path parameters (regression)', () => {
  test.each([['/public/..;/admin'], ['/a/.;/b'], ['/a;jsessionid=1']])('%s is rejected: some backends resolve ";" path parameters', (path) => {
    expect(checkHttpPath(path)).toEqual(expect.arrayContaining([expect.stringMatching(/must not contain ";"/)]));
  });
});
