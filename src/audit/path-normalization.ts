/**
 * The request path an Istio sidecar (or gateway, or waypoint) matches AuthorizationPolicy `paths` and
 * `notPaths` against, computed offline the way Istio and Envoy compute it.
 *
 * Istio (istio.io content/en/docs/reference/config/security/normalization/index.md, and
 * docs/ops/best-practices/security "Customize your system on path normalization"): the mesh config
 * `meshConfig.pathNormalization.normalization` picks one of four levels, applied by Envoy before
 * routing and authorization; the normalized path is both what policies see and what the backend
 * receives.
 * - `NONE`: no normalization (vulnerable to CVE-2021-31920).
 * - `BASE` (the default; `DEFAULT` in the proto means BASE): RFC 3986 section 6 normalization as
 *   Envoy's `normalize_path` implements it: percent-encoded unreserved characters decoded once
 *   (`%2d` `%2e` `%30`-`%39` `%41`-`%5a` `%5f` `%61`-`%7a` `%7e`, hex case-insensitive, no double
 *   decoding), `\` turned into `/`, `.` and `..` segments removed; `%00` refused with 400.
 * - `MERGE_SLASHES`: BASE, then runs of `/` merged.
 * - `DECODE_AND_MERGE_SLASHES`: first `%2F` `%2f` `%5C` `%5c` decoded to `/` and `\`, then BASE,
 *   then merging.
 * - In every level, and independently of it, "Istio authorization policy will remove anything after
 *   the question mark (?) when comparing with the path", and the fragment (`#...`) is stripped
 *   before routing and authorization (Istio's bootstrap sets Envoy's
 *   `envoy.reloadable_features.http_reject_path_with_fragment` to false, so Envoy strips the fragment
 *   instead of answering 400: istio/istio pkg/bootstrap/config.go `extractRuntimeFlags`, CVE-2021-39156).
 * - Paths are case-sensitive: Envoy "does not perform case normalization" (HttpConnectionManager
 *   `normalize_path` docs), and Istio's matchers are exact/prefix/suffix StringMatchers without
 *   `ignore_case` (istio/istio pilot/pkg/security/authz/matcher/string.go). Percent-escapes Envoy keeps
 *   keep their hex case (`%2f` stays `%2f`).
 *
 * How Istio configures Envoy (istio/istio pilot/pkg/networking/core/listener_builder.go,
 * `buildHTTPConnectionManager`, shared by sidecars, gateways and waypoints):
 * `path_with_escaped_slashes_action: KEEP_UNCHANGED` except DECODE_AND_MERGE_SLASHES
 * (`UNESCAPE_AND_FORWARD`); `normalize_path` false for NONE, true otherwise; `merge_slashes` true for
 * MERGE_SLASHES and DECODE_AND_MERGE_SLASHES.
 *
 * What Envoy does, in order (envoyproxy/envoy source/common/http/conn_manager_utility.cc
 * `ConnectionManagerUtility::maybeNormalizePath`; source/common/http/path_utility.cc):
 * 1. strip the fragment from the first `#`;
 * 2. `unescapeSlashes`: replace `%2F` `%2f` `%5C` `%5c` in the part before `?` (one pass, no re-scan);
 * 3. `canonicalPath`: Chromium's URL path canonicalizer (`url::CanonicalizePath`; Envoy's snapshot was
 *    source/common/chromium_url/url_canon_path.cc) on the part before `?`; a failure (a decoded NUL)
 *    is answered 400 `path_normalization_failed`;
 * 4. `mergeSlashes` on the part before `?`.
 * The RBAC filter then matches the `url_path`: the path with query and fragment removed
 * (envoy.type.matcher.v3.PathMatcher; `PathUtil::removeQueryAndFragment`).
 *
 * The canonicalizer below follows Chromium's `DoPartialPath` step by step: `%2e` counts as a dot
 * (`IsDot`), a dot segment is one preceded by `/` in the output and followed by `/`, `\` or the end;
 * `..` backs up to the previous slash but never above the root (`/../x` -> `/x`); a valid escape of
 * an unreserved character is decoded, any other valid escape is copied as written, a `%` that does not
 * start a valid escape (`%zz`, `%2`) is copied as is ("we use the permissive behavior": no 400), with
 * Chromium's `CheckForNestedEscapes` turning the `%` into `%25` when decoding would otherwise form a
 * new escape (`%%30%30` -> `%2500`); characters not allowed in a path (`"`, `<`, `>`, `^`, `` ` ``,
 * `{`, `|`, `}`, bytes >= 0x7f) are percent-escaped with upper-case hex.
 *
 * Checked against Istio's integration test tests/integration/security/normalization_test.go (every
 * level) and Envoy's test/common/http/path_utility_test.cc; see test/audit/path-normalization.test.ts.
 */

/** `meshConfig.pathNormalization.normalization` (istio.io reference/config/istio.mesh.v1alpha1). */
export enum PathNormalization {
  /** No normalization: policies see, and the backend receives, the path as sent. */
  NONE = 'NONE',
  /** Istio's default: RFC 3986 normalization (Envoy `normalize_path`), backslashes to slashes. */
  BASE = 'BASE',
  /** BASE, then consecutive slashes merged (Envoy `merge_slashes`). */
  MERGE_SLASHES = 'MERGE_SLASHES',
  /** `%2F`/`%5C` decoded first (Envoy `UNESCAPE_AND_FORWARD`), then MERGE_SLASHES. */
  DECODE_AND_MERGE_SLASHES = 'DECODE_AND_MERGE_SLASHES',
}

/** What Istio uses when the mesh config names no level (`DEFAULT` maps to BASE in the listener builder). */
export const DEFAULT_PATH_NORMALIZATION = PathNormalization.BASE;

/** The level a mesh config value names (`DEFAULT` is BASE); undefined for anything else. */
export function pathNormalizationFromMeshConfig(value: unknown): PathNormalization | undefined {
  if (value === undefined || value === null || value === 'DEFAULT') return DEFAULT_PATH_NORMALIZATION;
  return typeof value === 'string' && (Object.values(PathNormalization) as string[]).includes(value) ? value as PathNormalization : undefined;
}

/** The HttpConnectionManager settings Istio's listener builder writes for a level. */
export interface EnvoyPathSettings {
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  readonly pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' | 'UNESCAPE_AND_FORWARD';
}

/** Istio's mapping of a level to Envoy's `normalize_path`, `merge_slashes` and `path_with_escaped_slashes_action`. */
export function envoyPathSettings(level: PathNormalization): EnvoyPathSettings {
  switch (level) {
    case PathNormalization.NONE: return { normalizePath: false, mergeSlashes: false, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' };
    case PathNormalization.MERGE_SLASHES: return { normalizePath: true, mergeSlashes: true, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' };
    case PathNormalization.DECODE_AND_MERGE_SLASHES: return { normalizePath: true, mergeSlashes: true, pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' };
    default: return { normalizePath: true, mergeSlashes: false, pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' };
  }
}

/**
 * The path policies are matched against, or why Envoy refuses the request before any policy runs
 * (then no policy decides: the caller gets an error status, not a 403).
 */
export type NormalizedPath = { readonly path: string } | { readonly rejected: string };

/** Envoy behaviour that differs between releases. */
export interface PathNormalizationOptions {
  /**
   * Envoy 1.38.4 / 1.39.1 and later (CVE-2026-73551, runtime guard
   * `envoy.reloadable_features.strip_dotdot_segments_with_parameters`, on unless reverted) rewrite
   * segments starting with `..;` or `.;` to `..` and `.` before canonicalizing, when `normalize_path`
   * is on (`PathUtil::stripParametersFromDotSegments`). Earlier releases, and Istio's own
   * normalization test, keep `/..;/admin` as is. Default false (the earlier behaviour).
   */
  readonly stripDotSegmentParameters?: boolean;
}

/**
 * The path Istio matches `paths`/`notPaths` against for the request target `target` (path, optional
 * `?query` and `#fragment`) under `level`, or the reason Envoy refuses the request first.
 */
export function normalizeRequestPath(target: string, level: PathNormalization = DEFAULT_PATH_NORMALIZATION,
  options: PathNormalizationOptions = {}): NormalizedPath {
  const refused = refusedByCodec(target);
  if (refused) return { rejected: refused };
  // Envoy strips the fragment first and works on the part before '?'; the RBAC url_path is the same part.
  const end = target.search(/[?#]/);
  let path = end < 0 ? target : target.slice(0, end);
  // ConnectionManagerImpl answers 404 before normalizing: an empty path, or one not in origin form.
  if (path === '') return { rejected: 'the request has no path (Envoy answers 404 before authorization)' };
  if (!path.startsWith('/')) {
    return { rejected: `the path ${JSON.stringify(path)} does not start with "/" (Envoy answers 404 for a path that is not in origin form, before authorization)` };
  }
  const settings = envoyPathSettings(level);
  if (settings.pathWithEscapedSlashesAction === 'UNESCAPE_AND_FORWARD') path = unescapeSlashes(path);
  if (settings.normalizePath) {
    if (options.stripDotSegmentParameters) path = stripParametersFromDotSegments(path);
    const canonical = canonicalizePath(Buffer.from(path, 'utf8'));
    if (canonical === undefined) {
      return { rejected: `the path ${JSON.stringify(target)} contains %00 (an encoded NUL), which Envoy's normalize_path refuses with 400 before authorization` };
    }
    path = canonical;
  }
  if (settings.mergeSlashes) path = mergeSlashes(path);
  return { path };
}

/**
 * Characters no HTTP codec hands to Envoy's HCM inside a request target: HTTP/1.1's request-target
 * cannot hold whitespace or control characters (the request line is split on spaces; RFC 9112 3.2),
 * and HTTP/2's `:path` is checked by nghttp2 (`nghttp2_check_path`: header-value characters without
 * SP and HTAB; NUL, CR and LF are never valid). Envoy's path_utility_test notes that NUL, CR and LF
 * "should be excluded by http parser". The exact status (400, or a stream reset on HTTP/2) varies.
 */
function refusedByCodec(target: string): string | undefined {
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) {
      const name = c === 0x20 ? 'a space' : `the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      return `the request target contains ${name}, which HTTP/1.1 and HTTP/2 codecs refuse before Envoy routes or authorizes it`;
    }
  }
  return undefined;
}

/** Envoy `PathUtil::unescapeSlashes`: `%2F`/`%2f` to `/` and `%5C`/`%5c` to `\`, left to right, without re-scanning. */
function unescapeSlashes(path: string): string {
  return path.replace(/%2f|%5c/gi, (m) => (m[2] === 'f' || m[2] === 'F' ? '/' : '\\'));
}

/** Envoy `PathUtil::stripParametersFromDotSegments`: `..;x` and `.;x` segments (split on literal `/`) become `..` and `.`. */
function stripParametersFromDotSegments(path: string): string {
  if (!path.includes('.;')) return path;
  return path.split('/').map((s) => (s.startsWith('..;') ? '..' : s.startsWith('.;') ? '.' : s)).join('/');
}

/**
 * Envoy `PathUtil::mergeSlashes` / `PathTransformer::mergeSlashes`: keep a leading and a trailing
 * slash, join the non-empty segments with one slash. A path made only of slashes (`//`, `///`)
 * therefore comes out as `//`, as that code does.
 */
function mergeSlashes(path: string): string {
  if (!path.includes('//')) return path;
  const prefix = path.startsWith('/') ? '/' : '';
  const suffix = path.endsWith('/') ? '/' : '';
  return prefix + path.split('/').filter((s) => s !== '').join('/') + suffix;
}

// ---------------------------------------------------------------------------------------------
// Chromium's URL path canonicalizer (url/url_canon_path.cc, as vendored by Envoy), on bytes.

/**
 * Chromium's kPathCharLookup: what the canonical path does with each byte. `pass` and `unescape`
 * bytes are copied as they come; an escape of an `unescape` byte is decoded; `escape` bytes are
 * written `%XX`; `invalid` (NUL) fails; `.` goes through the dot logic.
 */
type CharKind = 'pass' | 'unescape' | 'escape' | 'invalid' | 'dot';
const PATH_CHAR: readonly CharKind[] = (() => {
  const table: CharKind[] = new Array<CharKind>(0x100).fill('escape'); // control characters and bytes >= 0x80
  table[0] = 'invalid';
  const set = (chars: string, kind: CharKind) => { for (const ch of chars) table[ch.charCodeAt(0)] = kind; };
  set('!$&\'()*+,/:;=@[]', 'pass');
  set(' "#%<>?\\^`{|}\x7f', 'escape');
  set('-_~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'unescape');
  table[0x2e] = 'dot';
  return table;
})();

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PERCENT = 0x25;
const HEX = '0123456789ABCDEF';

const isSlash = (b: number | undefined) => b === SLASH || b === BACKSLASH;
const hexValue = (b: number | undefined): number => {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
};
/** The value of the escape `%XY` starting at `i`, or -1 (Chromium `DecodeEscaped`). */
const decodeEscaped = (s: ArrayLike<number>, i: number, end: number): number => {
  if (i + 3 > end) return -1;
  const hi = hexValue(s[i + 1]);
  const lo = hexValue(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
};
/** 1 for `.`, 3 for `%2e`/`%2E`, 0 otherwise (Chromium `IsDot`). */
const dotLength = (s: Uint8Array, i: number, end: number): number => {
  if (s[i] === DOT) return 1;
  return s[i] === PERCENT && i + 3 <= end && s[i + 1] === 0x32 && (s[i + 2] === 0x65 || s[i + 2] === 0x45) ? 3 : 0;
};

/**
 * The canonical path (always starting with `/`), or undefined where Chromium reports failure (an
 * escaped NUL), which Envoy answers with 400.
 */
function canonicalizePath(s: Uint8Array): string | undefined {
  const end = s.length;
  const out: number[] = [];
  if (end === 0 || !isSlash(s[0])) out.push(SLASH);
  let success = true;
  let lastInvalidPercent = Number.MIN_SAFE_INTEGER;
  const pushEscaped = (b: number) => out.push(PERCENT, HEX.charCodeAt(Math.floor(b / 16)), HEX.charCodeAt(b % 16));

  for (let i = 0; i < end; i++) {
    const b = s[i];
    const kind = PATH_CHAR[b];
    if (kind === 'pass' || kind === 'unescape') {
      out.push(b);
      continue;
    }
    const dotLen = dotLength(s, i, end);
    if (dotLen > 0) {
      if (out[out.length - 1] === SLASH) {
        const [disposition, consumed] = classifyAfterDot(s, i + dotLen, end);
        if (disposition === 'up') backUpToPreviousSlash(out);
        if (disposition === 'file') out.push(DOT);
        i += dotLen + consumed - 1;
      } else {
        out.push(DOT);
        i += dotLen - 1;
      }
    } else if (b === BACKSLASH) {
      out.push(SLASH);
    } else if (b === PERCENT) {
      const value = decodeEscaped(s, i, end);
      if (value >= 0) {
        i += 2;
        const unescapedKind = PATH_CHAR[value];
        if (unescapedKind === 'unescape') {
          out.push(value);
          if (lastInvalidPercent >= out.length - 3) checkForNestedEscapes(s, i + 1, end, lastInvalidPercent, out);
        } else {
          // Kept escaped exactly as written (hex case preserved); an escaped NUL fails.
          out.push(PERCENT, s[i - 1], s[i]);
          if (unescapedKind === 'invalid') success = false;
        }
      } else {
        lastInvalidPercent = out.length;
        out.push(PERCENT);
      }
    } else if (kind === 'invalid') {
      pushEscaped(b);
      success = false;
    } else {
      pushEscaped(b);
    }
  }
  return success ? Buffer.from(out).toString('latin1') : undefined;
}

/** What the dot just read is, and how many input characters after it belong to it (Chromium `ClassifyAfterDot`). */
function classifyAfterDot(s: Uint8Array, afterDot: number, end: number): ['file' | 'current' | 'up', number] {
  if (afterDot === end) return ['current', 0];
  if (isSlash(s[afterDot])) return ['current', 1];
  const second = dotLength(s, afterDot, end);
  if (second > 0) {
    const afterSecond = afterDot + second;
    if (afterSecond === end) return ['up', second];
    if (isSlash(s[afterSecond])) return ['up', second + 1];
  }
  return ['file', 0];
}

/** Drops the last segment of `out` (which ends in `/`), stopping at the root (Chromium `BackUpToPreviousSlash`). */
function backUpToPreviousSlash(out: number[]): void {
  let i = out.length - 1;
  if (i === 0) return;
  i--;
  while (out[i] !== SLASH && i > 0) i--;
  out.length = i + 1;
}

/**
 * Chromium `CheckForNestedEscapes`: after decoding an escape within two characters of a `%` that
 * did not start a valid escape, make sure the output does not now hold a valid escape (`%%30%30`
 * must not become `%00`); if it would, that `%` becomes `%25`.
 */
function checkForNestedEscapes(s: Uint8Array, nextInput: number, end: number, lastInvalidPercent: number, out: number[]): void {
  const length = out.length;
  const lastUnescaped = out[length - 1];
  const appendNext = lastInvalidPercent === length - 2;
  if (appendNext) {
    if (nextInput === end || s[nextInput] >= 0x80) return;
    out.push(s[nextInput]);
  }
  if (decodeEscaped(out, lastInvalidPercent, out.length) >= 0) {
    if (!appendNext) out.push(out[lastInvalidPercent + 1]);
    out[lastInvalidPercent + 1] = 0x32; // '2'
    out[lastInvalidPercent + 2] = 0x35; // '5'
    out.push(lastUnescaped);
  } else if (appendNext) {
    out.length = length;
  }
}
