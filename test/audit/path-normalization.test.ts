import * as fc from 'fast-check';
import {
  DEFAULT_PATH_NORMALIZATION, NormalizedPath, PathNormalization, envoyPathSettings, normalizeRequestPath, pathNormalizationFromMeshConfig,
} from '../../src/audit/path-normalization';
import { checkGrpcMethod, checkHttpPath } from '../../src/mesh/http-match';

/**
 * Sources of the expected values (all Apache-2.0, read through the search tool):
 * - DOC: istio/istio.io content/en/docs/reference/config/security/normalization/index.md and
 *   docs/ops/best-practices/security (the four levels and their order).
 * - IT: istio/istio tests/integration/security/normalization_test.go `TestNormalization`: the path the
 *   echo backend receives (= the path policies match) for each level, run against real proxies.
 * - ENVOY: envoyproxy/envoy test/common/http/path_utility_test.cc (canonicalPath, mergeSlashes,
 *   removeQueryAndFragment, unescapeSlashes).
 * - SOURCE: read from the implementation only (Chromium url_canon_path.cc as vendored by Envoy,
 *   path_utility.cc, conn_manager_utility.cc); no upstream test pins these, the test name says so.
 */

const { NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES } = PathNormalization;
const LEVELS = [NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES];
const NORMALIZING = [BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES];

const pathOf = (r: NormalizedPath): string | undefined => ('path' in r ? r.path : undefined);
const norm = (p: string, level: PathNormalization) => pathOf(normalizeRequestPath(p, level));

describe('levels and Istio\'s Envoy settings (listener_builder.go buildHTTPConnectionManager)', () => {
  test('BASE is the default, and DEFAULT / an absent value in mesh config mean BASE', () => {
    expect(DEFAULT_PATH_NORMALIZATION).toBe(BASE);
    expect(pathNormalizationFromMeshConfig(undefined)).toBe(BASE);
    expect(pathNormalizationFromMeshConfig('DEFAULT')).toBe(BASE);
    expect(pathNormalizationFromMeshConfig('MERGE_SLASHES')).toBe(MERGE_SLASHES);
    expect(pathNormalizationFromMeshConfig('merge_slashes')).toBeUndefined();
    expect(pathNormalizationFromMeshConfig(3)).toBeUndefined();
    expect(normalizeRequestPath('/a/../b')).toEqual({ path: '/b' });
  });

  test.each([
    [NONE, { normalizePath: false, mergeSlashes: false, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' }],
    [BASE, { normalizePath: true, mergeSlashes: false, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' }],
    [MERGE_SLASHES, { normalizePath: true, mergeSlashes: true, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' }],
    [DECODE_AND_MERGE_SLASHES, { normalizePath: true, mergeSlashes: true, pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' }],
  ])('%s', (level, settings) => {
    expect(envoyPathSettings(level)).toEqual(settings);
  });
});

describe('issue 16 examples and the conformance cases (default BASE)', () => {
  test.each([
    // it-path-normalization-* (IT authz_test.go TestAuthz_PathNormalization) and ref-normalization-* (DOC)
    ['/public/../private', '/private'],
    ['/public/./../private', '/private'],
    ['/public/.././private', '/private'],
    ['/public/%2E%2E/private', '/private'],
    ['/public/%2e%2e/private', '/private'],
    ['/public/%2E/%2E%2E/private', '/private'],
    ['/public/%2e/%2e%2e/private', '/private'],
    ['/public/%2E%2E/%2E/private', '/private'],
    ['/public/%2e%2e/%2e/private', '/private'],
    ['/public/../public', '/public'],
    ['/data/%61%62%63', '/data/abc'],
    ['/data\\abc', '/data/abc'],
    ['/public/./data/abc/../xyz', '/public/data/xyz'],
    ['/data%2fabc', '/data%2fabc'],
    ['/data//abc', '/data//abc'],
    ['/data/abc?v=1', '/data/abc'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeRequestPath(input)).toEqual({ path: expected });
  });

  test('DOC examples of the other levels', () => {
    expect(norm('/some%2fdata/%61%62%63', DECODE_AND_MERGE_SLASHES)).toBe('/some/data/abc');
    expect(norm('/some\\data', BASE)).toBe('/some/data');
    expect(norm('/some//data///abc', MERGE_SLASHES)).toBe('/some/data/abc');
    expect(norm('/a%2fb', DECODE_AND_MERGE_SLASHES)).toBe('/a/b');
    // DOC's "\da is normalized to /da" describes the canonicalizer alone (a leading backslash counts as the root
    // slash); a real request must start with "/", so Envoy answers 404 to "\da" first (SOURCE), and "/\da" keeps
    // an empty first segment.
    expect(normalizeRequestPath('\\da', BASE)).toEqual({ rejected: expect.stringContaining('404') });
    expect(norm('/\\da', BASE)).toBe('//da');
  });
});

describe('Istio integration test TestNormalization (IT): what each level forwards and matches', () => {
  // [input, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES]
  const rows: Array<[string, string, string, string, string]> = [
    ['/', '/', '/', '/', '/'],
    ['/app#foo', '/app', '/app', '/app', '/app'],
    ['/app/', '/app/', '/app/', '/app/', '/app/'],
    ['/app/../admin', '/app/../admin', '/admin', '/admin', '/admin'],
    ['/app', '/app', '/app', '/app', '/app'],
    ['/app//', '/app//', '/app//', '/app/', '/app/'],
    ['/app/%2f', '/app/%2f', '/app/%2f', '/app/%2f', '/app/'],
    ['/app%2f/', '/app%2f/', '/app%2f/', '/app%2f/', '/app/'],
    ['/xyz%30..//abc', '/xyz%30..//abc', '/xyz0..//abc', '/xyz0../abc', '/xyz0../abc'],
    ['/app/%2E./admin', '/app/%2E./admin', '/admin', '/admin', '/admin'],
    ['/app\\admin', '/app\\admin', '/app/admin', '/app/admin', '/app/admin'],
    ['/app/\\/\\/\\admin', '/app/\\/\\/\\admin', '/app//////admin', '/app/admin', '/app/admin'],
    ['/%2Fapp%5cadmin%5Cabc', '/%2Fapp%5cadmin%5Cabc', '/%2Fapp%5cadmin%5Cabc', '/%2Fapp%5cadmin%5Cabc', '/app/admin/abc'],
    ['/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc', '/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc', '/%5Capp%2f%5c%2F..%2fadmin%5c/abc',
      '/%5Capp%2f%5c%2F..%2fadmin%5c/abc', '/app/admin/abc'],
    ['/app//../admin', '/app//../admin', '/app/admin', '/app/admin', '/app/admin'],
    ['/app//../../admin', '/app//../../admin', '/admin', '/admin', '/admin'],
  ];
  test.each(rows)('%s', (input, ...expected) => {
    expect(LEVELS.map((level) => norm(input, level))).toEqual(expected);
  });

  test.each([
    ['/%c0%2e%c0%2e/admin', '/%c0.%c0./admin'],
    ['/%c0%2fadmin', '/%c0/admin'],
    // "NotNormalized": left alone even by the strictest level
    ...['/0x2e0x2e/admin', '/0x2e0x2e0x2fadmin', '/0x2e0x2e0x5cadmin', '/0x2f0x2fadmin', '/0x5c0x5cadmin', '/%25c0%25ae%25c1%259cadmin',
      '/%25c0%25ae%25c0%25ae/admin', '/%25c0%25afadmin', '/%25c1%259cadmin', '/%252e%252e/admin', '/%252e%252e%252fadmin', '/%c1%9cadmin',
      '/%c0%ae%c0%ae/admin', '/%c0%afadmin', '/.../admin', '/..../admin', '/..;/admin', '/;/admin', '/admin;a=b', '/admin;a=b/xyz',
      '/admin,a=b/xyz', '/Admin', '/ADMIN'].map((p) => [p, p]),
  ])('DECODE_AND_MERGE_SLASHES: %s -> %s', (input, expected) => {
    expect(norm(input, DECODE_AND_MERGE_SLASHES)).toBe(expected);
  });

  // IT "PercentEncoded": /admin%XX for XX = 01..ff at DECODE_AND_MERGE_SLASHES. Only unreserved characters
  // (ALPHA DIGIT - . _ ~) and the slashes are decoded (the backslash then becomes "/"); anything else,
  // including %25, stays as written (lower-case hex kept: no double decoding, no case change).
  const decodedByBase = (i: number) => /^[A-Za-z0-9\-._~]$/.test(String.fromCharCode(i));
  const bytes = Array.from({ length: 0xff }, (_, k) => k + 1);
  test('%01-%ff at DECODE_AND_MERGE_SLASHES (IT)', () => {
    for (const i of bytes) {
      const input = `/admin%${i.toString(16).padStart(2, '0')}`;
      const expected = decodedByBase(i) ? `/admin${String.fromCharCode(i)}` : i === 0x2f || i === 0x5c ? '/admin/' : input;
      expect([input, norm(input, DECODE_AND_MERGE_SLASHES)]).toEqual([input, expected]);
    }
  });
  test('%01-%ff at BASE: the same minus %2f and %5c, which stay encoded (DOC table)', () => {
    for (const i of bytes) {
      const hex = i.toString(16).padStart(2, '0');
      for (const input of [`/admin%${hex}`, `/admin%${hex.toUpperCase()}`]) {
        const expected = decodedByBase(i) ? `/admin${String.fromCharCode(i)}` : input;
        expect([input, norm(input, BASE)]).toEqual([input, expected]);
      }
    }
  });
  test('%00 is refused with 400 at every normalizing level (IT "Invalid", DOC)', () => {
    for (const level of NORMALIZING) {
      expect(normalizeRequestPath('/admin%00', level)).toEqual({ rejected: expect.stringMatching(/%00.*400/) });
    }
  });
});

describe('Envoy path_utility_test (ENVOY)', () => {
  test.each([
    ['/xyz', '/xyz'],
    ['/x/y/z', '/x/y/z'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/./c', '/a/b/c'],
    ['/a/b/../../../../c', '/c'],
    ['/a/..\\c', '/c'],
    ['/%c0%af', '/%c0%af'],
    ['/%5c%25', '/%5c%25'],
    ['/a/b/%2E%2E/c', '/a/c'],
    ['/a/b/%2e%2e/c', '/a/c'],
    ['/a/b/%2E./c', '/a/c'],
    ['/a/b/%2E/c', '/a/b/c'],
    ['/../a/b', '/a/b'],
    ['/./a/b', '/a/b'],
    ['/A/B/C', '/A/B/C'],
    ['/a/%2F%2f/c', '/a/%2F%2f/c'],
  ])('canonicalPath %s -> %s', (input, expected) => {
    expect(norm(input, BASE)).toBe(expected);
  });

  test.each(['/xyz/.%00../abc', '/xyz/%00.%00./abc', '/xyz/AAAAA%%0000/abc'])('canonicalPath refuses %s', (input) => {
    expect(normalizeRequestPath(input, BASE)).toEqual({ rejected: expect.stringContaining('400') });
  });

  test.each([
    ['/a//b/c/', '/a/b/c/'],
    ['/a', '/a'],
    ['//a/b/c', '/a/b/c'],
    ['/a//b/c', '/a/b/c'],
    ['/a/b/c//', '/a/b/c/'],
    ['/a///b/c', '/a/b/c'],
    ['/a////b/c', '/a/b/c'],
    ['/a//b?a=///c', '/a/b'],
    ['/a//b?', '/a/b'],
    ['//a/?b', '/a/'],
  ])('mergeSlashes %s -> %s', (input, expected) => {
    expect(norm(input, MERGE_SLASHES)).toBe(expected);
  });

  test.each([
    '/abc', '/abc?', '/abc?param=value', '/abc??', '/abc#', '/abc#fragment', '/abc#fragment?param=value', '/abc##', '/abc#?',
    '/abc?#', '/abc?#fragment', '/abc?param=value#', '/abc?param=value#fragment',
  ])('query and fragment removed from %s at every level', (input) => {
    for (const level of LEVELS) expect(norm(input, level)).toBe('/abc');
  });

  test.each([
    ['/a%2Fb%2fc/', '/a/b/c/'],
    ['/a%2F', '/a/'],
    ['/%%2fa/', '/%/a/'],
    ['/%2%2fa/', '/%2/a/'],
    ['/a%5Cb%5cc/', '/a/b/c/'],
    ['/x/%2E%2e/z%2f%2Fabc%5C../def', '/z/def'],
    ['/%2fa%5Cb%2fc%5c?%2fabcd%5C%%2f%', '/a/b/c/'],
  ])('unescapeSlashes then canonicalPath and mergeSlashes: %s -> %s', (input, expected) => {
    expect(norm(input, DECODE_AND_MERGE_SLASHES)).toBe(expected);
  });
});

describe('slashes: merged only from MERGE_SLASHES, %2F and %5C decoded only at DECODE_AND_MERGE_SLASHES', () => {
  test.each([
    ['//a///b', '//a///b', '//a///b', '/a/b', '/a/b'],
    ['/a%2Fb', '/a%2Fb', '/a%2Fb', '/a%2Fb', '/a/b'],
    ['/a%5Cb', '/a%5Cb', '/a%5Cb', '/a%5Cb', '/a/b'],
    ['/a%2F%2Fb', '/a%2F%2Fb', '/a%2F%2Fb', '/a%2F%2Fb', '/a/b'],
    ['/public/..%2fprivate', '/public/..%2fprivate', '/public/..%2fprivate', '/public/..%2fprivate', '/private'],
    ['/public/..%5Cprivate', '/public/..%5Cprivate', '/public/..%5Cprivate', '/public/..%5Cprivate', '/private'],
  ])('%s', (input, ...expected) => {
    expect(LEVELS.map((level) => norm(input, level))).toEqual(expected);
  });

  test('a path of slashes only stays "//" under merging (SOURCE: mergeSlashes keeps a leading and a trailing "/")', () => {
    expect(norm('//', MERGE_SLASHES)).toBe('//');
    expect(norm('///', MERGE_SLASHES)).toBe('//');
    expect(norm('/%2F', DECODE_AND_MERGE_SLASHES)).toBe('//');
  });
});

describe('NONE leaves the path alone', () => {
  test('apart from cutting query and fragment', () => {
    expect(normalizeRequestPath('/a/./b/../%61%2F%5c\\//c;x?q=/../#f', NONE)).toEqual({ path: '/a/./b/../%61%2F%5c\\//c;x' });
  });

  test('%00 passes at NONE (SOURCE: only normalize_path refuses it; DOC says "always rejected", uncertain)', () => {
    expect(normalizeRequestPath('/admin%00', NONE)).toEqual({ path: '/admin%00' });
  });

  test('property: any codec-valid path without ? or # is returned unchanged', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'/\\.%2eEfF5cCaz;~é"'.split(''), '%2e', '%2F', '..') }), (s) => {
      const input = `/${s}`;
      expect(normalizeRequestPath(input, NONE)).toEqual({ path: input });
    }));
  });
});

describe('what Envoy refuses before authorization (reported as rejected, not changed)', () => {
  test.each(['', '?x', '#f'])('no path: %j', (input) => {
    for (const level of LEVELS) expect(normalizeRequestPath(input, level)).toEqual({ rejected: expect.stringContaining('404') });
  });
  test.each(['a/b', '\\a', '*', 'http://host/a'])('not origin form: %j (404, conn_manager_impl AbsolutePath)', (input) => {
    for (const level of LEVELS) expect(normalizeRequestPath(input, level)).toEqual({ rejected: expect.stringContaining('does not start with "/"') });
  });
  test.each(['/a b', '/a\tb', '/a\nb', '/a\rb', '/a\u0000b', '/a\u007fb', '/a?x=1 2'])('whitespace or control character: %j (codec)', (input) => {
    for (const level of LEVELS) expect(normalizeRequestPath(input, level)).toEqual({ rejected: expect.stringContaining('codecs refuse') });
  });
});

describe('edge cases read from the canonicalizer (SOURCE)', () => {
  test.each([
    ['invalid escapes pass unchanged, no 400 (Chromium "permissive behavior")', '/a%zz/%2/%', '/a%zz/%2/%'],
    ['a nested escape that decoding would form is neutralized to %25', '/%%30%30', '/%2500'],
    ['... also when the second hex digit follows', '/%%32f', '/%252f'],
    ['characters not allowed in a path are escaped, upper-case hex', '/a"b<c>d^e`f{g|h}i', '/a%22b%3Cc%3Ed%5Ee%60f%7Bg%7Ch%7Di'],
    ['non-ASCII is escaped as UTF-8', '/caf\u00e9', '/caf%C3%A9'],
    ['dots inside a segment are not dot segments', '/a/..b/b../.../.a', '/a/..b/b../.../.a'],
    ['a trailing dot segment keeps the trailing slash', '/a/b/.', '/a/b/'],
    ['a trailing .. goes up and keeps the slash', '/a/b/..', '/a/'],
    ['%2e. and .%2e are both ..', '/a/b/.%2e/%2e./c', '/c'],
    ['.. with a backslash after it', '/a/b/..\\c', '/a/c'],
    ['path parameters are not touched by default', '/public/..;/private', '/public/..;/private'],
    ['case is never changed', '/Admin/%2e%2E/ADMIN', '/ADMIN'],
  ])('%s: %s -> %s', (_name, input, expected) => {
    expect(norm(input, BASE)).toBe(expected);
  });

  test('Envoy >= 1.38.4/1.39.1 strips ";params" from dot segments (option; ENVOY path_utility_test NormalizeValidPaths)', () => {
    const strip = (p: string) => pathOf(normalizeRequestPath(p, BASE, { stripDotSegmentParameters: true }));
    expect(strip('/xyz/..;foo=bar/abc')).toBe('/abc');
    expect(strip('/..;foo=bar/abc')).toBe('/abc');
    expect(strip('/xyz/..;foo=bar')).toBe('/');
    expect(strip('/xyz/.;foo=bar/abc')).toBe('/xyz/abc');
    expect(strip('/xyz/.;foo=bar')).toBe('/xyz/');
    expect(strip('/xyz/..;foo=bar/.;fff=zzz/remain;blah-bluh?query')).toBe('/remain;blah-bluh');
    expect(strip('/xyz/...;foo')).toBe('/xyz/...;foo');
    expect(normalizeRequestPath('/xyz/..;foo=bar', NONE, { stripDotSegmentParameters: true })).toEqual({ path: '/xyz/..;foo=bar' });
  });

  test('... but only literal "/..;": %2e%2e; and \\..; are still forwarded as "..;" (SOURCE, uncertain)', () => {
    const strip = (p: string) => pathOf(normalizeRequestPath(p, BASE, { stripDotSegmentParameters: true }));
    expect(strip('/public/%2e%2e;x/private')).toBe('/public/..;x/private');
    expect(strip('/public\\..;x/private')).toBe('/public/..;x/private');
  });
});

describe('properties', () => {
  // Inputs built from the pieces normalization reacts to.
  const piece = fc.constantFrom('/', '//', '\\', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '%', '%%', '%2', '%25', '%30', '%32',
    '%61', '%7e', '%zz', 'a', 'B', '0', '2', 'e', 'f', 'c', 'F', ';', '..;', '.;', '~', '-', '"', '\u00e9', '%c0', '?', '#');
  const requestTarget = fc.array(piece, { maxLength: 14 }).map((ps) => `/${ps.join('')}`);

  test('idempotent: normalizing the normalized path changes nothing, at every level', () => {
    fc.assert(fc.property(requestTarget, fc.constantFrom(...LEVELS), (input, level) => {
      const once = normalizeRequestPath(input, level);
      if ('path' in once) expect(normalizeRequestPath(once.path, level)).toEqual(once);
    }), { numRuns: 3000 });
  });

  test('never above the root and no dot segments left: the result starts with "/" and has no "." or ".." segment', () => {
    fc.assert(fc.property(requestTarget, fc.constantFrom(...NORMALIZING), (input, level) => {
      const path = norm(input, level);
      if (path === undefined) return;
      expect(path.startsWith('/')).toBe(true);
      expect(path.split('/').filter((s) => s === '.' || s === '..')).toEqual([]);
      expect(path).not.toMatch(/[\\?#]/);
    }), { numRuns: 3000 });
  });

  test('climbing: any number of ".." (plain or encoded) before a path ends at the root', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('..', '%2e%2e', '%2E.', '.%2e'), { minLength: 1, maxLength: 6 }), fc.constantFrom(...NORMALIZING),
      (ups, level) => {
        expect(norm(`/${ups.join('/')}/x`, level)).toBe('/x');
        expect(norm(`/a/${ups.join('/')}/x`, level)).toBe('/x');
      }));
  });

  test('MERGE_SLASHES gives BASE\'s result with runs of "/" merged (a path of slashes only stays "//")', () => {
    const merge = (p: string) => (/^\/+$/.test(p) ? p.slice(0, 2) : p.replace(/\/{2,}/g, '/'));
    fc.assert(fc.property(requestTarget, (input) => {
      const base = norm(input, BASE);
      expect(norm(input, MERGE_SLASHES)).toBe(base === undefined ? undefined : merge(base));
    }), { numRuns: 2000 });
  });
});

describe('paths the library grants are already normalized (checkHttpPath / checkGrpcMethod accept only fixed points)', () => {
  const segmentChar = fc.constantFrom(...'abzAZ09-._~!$&\'()+,=:@'.split(''));
  const segment = fc.string({ unit: segmentChar, minLength: 0, maxLength: 6 });
  const httpGrant = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([segs, prefix]) => `/${segs.join('/')}${prefix ? '/*' : ''}`)
    .filter((p) => checkHttpPath(p).length === 0);

  test('an accepted exact path, or the "/prefix/" of an accepted "/prefix/*", normalizes to itself at every level', () => {
    fc.assert(fc.property(httpGrant, fc.constantFrom(...LEVELS), (grant, level) => {
      const literal = grant.endsWith('/*') ? grant.slice(0, -1) : grant;
      expect(normalizeRequestPath(literal, level)).toEqual({ path: literal });
    }), { numRuns: 2000 });
  });

  test('gRPC method grants too', () => {
    for (const m of ['/pkg.Service/Method', '/a.b.C/*', '/Svc/Do_It']) {
      expect(checkGrpcMethod(m)).toEqual([]);
      const literal = m.endsWith('/*') ? m.slice(0, -1) : m;
      for (const level of LEVELS) expect(norm(literal, level)).toBe(literal);
    }
  });

  // Istio writes "/api/*" as an Envoy prefix match on "/api/" (matcher/string.go StringMatcherWithPrefix) applied to
  // the normalized url_path; exact paths are exact matches. Case-sensitive.
  const admits = (grant: string, request: string, level: PathNormalization) => {
    const path = norm(request, level);
    if (path === undefined) return false;
    return grant.endsWith('*') ? path.startsWith(grant.slice(0, -1)) : path === grant;
  };

  test.each([
    // [request, admitted by "/api/*" at NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES]
    ['/api/items', true, true, true, true],
    ['/api/../admin', true, false, false, false],
    ['/api/%2e%2e/admin', true, false, false, false],
    ['/api\\..\\admin', false, false, false, false],
    ['/api//../admin', true, true, true, true], // ".." eats the empty segment: /api/admin, still inside
    ['/api', false, false, false, false],
    ['/API/items', false, false, false, false],
    ['//api/items', false, false, true, true],
    ['/api%2fitems', false, false, false, true], // decoded to /api/items: inside
    // Admitted, yet a backend that decodes %2F / %5C itself reads /admin (CVE-2021-31920): only DECODE_AND_MERGE_SLASHES closes it.
    ['/api/..%2fadmin', true, true, true, false],
    ['/api/..%5cadmin', true, true, true, false],
    // Admitted by every level; a backend resolving path parameters (Tomcat "..;") reads /admin.
    ['/api/..;/admin', true, true, true, true],
  ])('"/api/*" and %j', (request, ...expected) => {
    expect(LEVELS.map((level) => admits('/api/*', request, level))).toEqual(expected);
  });

  test.each([
    // [request, admitted by exact "/api/v1/items" at NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES]
    ['/api/v1/items', true, true, true, true],
    ['/api/v1/items?x=1#f', true, true, true, true],
    ['/api/v1/%69tems', false, true, true, true],
    ['/api/v2/../v1/items', false, true, true, true],
    ['/api/v1//items', false, false, true, true],
    ['/api/v1/items/', false, false, false, false],
    ['/api/v1%2Fitems', false, false, false, true],
    ['/api/v1/items;x', false, false, false, false],
  ])('"/api/v1/items" and %j', (request, ...expected) => {
    expect(LEVELS.map((level) => admits('/api/v1/items', request, level))).toEqual(expected);
  });
});
