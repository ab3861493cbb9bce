import type { CelFunc, CelMap } from '@bufbuild/cel';
import { celModules } from './cel-module';
import { RequestUri, hostnameOf, parseRequestUri, portOf } from './request-uri';

const { CelScalar, celError, celFunc, celMap, celMethod, isCelMap, listType, mapType } = celModules().cel;
const { strings } = celModules().ext;

/**
 * The Kubernetes CEL library functions the pinned CRDs use, on top of CEL's standard library.
 *
 * The API server adds its own libraries to CEL (k8s.io/apiserver/pkg/cel/library). The Istio
 * CRDs use the URL library (`url()`, `isURL()`, `getScheme()`) and the string extensions
 * (`substring`); `duration()`, `matches()`, `exists_one()` and `int()` are standard CEL.
 * A rule calling anything else fails to evaluate and is reported, never skipped.
 */

// CEL here has no opaque object types without protobuf descriptors, so a URL value is a map
// tagged with this key; the URL methods refuse any other map.
const URL_TAG = '\u0000k8s.io/url';
const URL_VALUE = mapType(CelScalar.STRING, CelScalar.DYN);

function toCelUrl(uri: RequestUri): CelMap {
  return celMap(
    new Map<string, string>([
      [URL_TAG, uri.raw],
      ['scheme', uri.scheme],
      ['host', uri.host],
      ['path', uri.path],
      ['rawQuery', uri.rawQuery],
    ]),
  );
}

function fromCelUrl(value: unknown): RequestUri {
  if (!isCelMap(value) || typeof value.get(URL_TAG) !== 'string') {
    throw celError('URL methods apply only to values returned by url()');
  }
  const parsed = parseRequestUri(value.get(URL_TAG) as string);
  if (typeof parsed === 'string') throw celError(parsed);
  return parsed;
}

function urlMethod(name: string, read: (uri: RequestUri) => string): CelFunc {
  return celMethod(name, URL_VALUE, [], CelScalar.STRING, function (this: unknown) {
    return read(fromCelUrl(this));
  });
}

function parseQuery(rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** `url(string) -> URL`, `isURL(string) -> bool` and the URL accessors of Kubernetes' URL library. */
export const KUBERNETES_URL_LIBRARY: CelFunc[] = [
  celFunc('url', [CelScalar.STRING], URL_VALUE, (raw: string) => {
    const parsed = parseRequestUri(raw);
    if (typeof parsed === 'string') throw celError(`url: ${parsed}`);
    return toCelUrl(parsed);
  }),
  celFunc('isURL', [CelScalar.STRING], CelScalar.BOOL, (raw: string) => typeof parseRequestUri(raw) !== 'string'),
  urlMethod('getScheme', (u) => u.scheme),
  urlMethod('getHost', (u) => u.host),
  urlMethod('getHostname', hostnameOf),
  urlMethod('getPort', portOf),
  urlMethod('getEscapedPath', (u) => u.path),
  celMethod('getQuery', URL_VALUE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function (this: unknown) {
    return parseQuery(fromCelUrl(this).rawQuery);
  }),
];

/** Every function available to CRD validation rules, in addition to CEL's standard library. */
export const KUBERNETES_CEL_FUNCTIONS: CelFunc[] = [...strings, ...KUBERNETES_URL_LIBRARY];
