/**
 * A parsed URL with the parts Kubernetes' CEL URL library exposes.
 * Mirrors Go's `net/url.ParseRequestURI`, which `url()` and `isURL()` use in the API server.
 */
export interface RequestUri {
  readonly raw: string;
  readonly scheme: string;
  /** `host[:port]` as written (IPv6 literal with brackets). */
  readonly host: string;
  readonly path: string;
  readonly rawQuery: string;
  readonly opaque: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Parses `raw` as Go's `url.ParseRequestURI` does: an absolute URI (`scheme:...`) or an absolute
 * path (`/...`). Returns an error message instead of throwing when Go would return an error.
 */
export function parseRequestUri(raw: string): RequestUri | string {
  if (/[\u0000-\u001f\u007f]/.test(raw)) return `net/url: invalid control character in URL: ${JSON.stringify(raw)}`;
  if (raw === '') return 'empty url';
  if (raw.startsWith(':')) return 'missing protocol scheme';

  let rest = raw;
  let scheme = '';
  const m = SCHEME.exec(raw);
  if (m) {
    scheme = m[1].toLowerCase();
    rest = raw.slice(m[0].length);
  }

  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }

  if (!rest.startsWith('/')) {
    if (scheme) return { raw, scheme, host: '', path: '', rawQuery, opaque: rest };
    return 'invalid URI for request';
  }

  let host = '';
  // Go reads an authority only after a scheme when parsing a request URI.
  if (scheme && rest.startsWith('//')) {
    const authorityEnd = rest.indexOf('/', 2);
    const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
    rest = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    host = at >= 0 ? authority.slice(at + 1) : authority;
    const hostError = checkHost(host);
    if (hostError) return hostError;
  }
  return { raw, scheme, host, path: rest, rawQuery, opaque: '' };
}

function checkHost(host: string): string | undefined {
  let port = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return 'missing \']\' in host';
    port = host.slice(close + 1);
    if (port && !port.startsWith(':')) return `invalid port ${JSON.stringify(port)} after host`;
    port = port.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) port = host.slice(colon + 1);
    const name = colon >= 0 ? host.slice(0, colon) : host;
    if (/[\s<>"{}|\\^`]/.test(name)) return `invalid character in host name ${JSON.stringify(name)}`;
  }
  if (port && !/^[0-9]+$/.test(port)) return `invalid port ${JSON.stringify(':' + port)} after host`;
  return undefined;
}

/** The hostname without port and brackets (Go's `URL.Hostname()`). */
export function hostnameOf(uri: RequestUri): string {
  if (uri.host.startsWith('[')) return uri.host.slice(1, uri.host.indexOf(']'));
  const colon = uri.host.lastIndexOf(':');
  return colon >= 0 ? uri.host.slice(0, colon) : uri.host;
}

/** The port, or '' (Go's `URL.Port()`). */
export function portOf(uri: RequestUri): string {
  const close = uri.host.lastIndexOf(']');
  const colon = uri.host.lastIndexOf(':');
  return colon > close ? uri.host.slice(colon + 1) : '';
}
