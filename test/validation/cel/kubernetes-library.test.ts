import { celModules } from '../../../src/validation/cel/cel-module';
import { KUBERNETES_CEL_FUNCTIONS } from '../../../src/validation/cel/kubernetes-library';

// The library's own (vendored) CEL: values and functions of two copies of @bufbuild/cel do not mix.
const { isCelError, run } = celModules().cel;

function evaluate(expr: string, self: unknown = null): unknown {
  const result = run(expr, { self } as any, { funcs: KUBERNETES_CEL_FUNCTIONS });
  if (isCelError(result)) throw new Error(result.message);
  return result;
}

describe('Kubernetes CEL URL library', () => {
  test('url().getScheme() as the RequestAuthentication jwksUri rule uses it', () => {
    const rule = 'url(self).getScheme() in ["http", "https"]';
    expect(evaluate(rule, 'https://issuer.example.com/jwks')).toBe(true);
    expect(evaluate(rule, 'ftp://issuer.example.com/jwks')).toBe(false);
  });

  test('isURL() accepts absolute URIs and absolute paths only', () => {
    expect(evaluate('isURL(self)', 'oci://registry/x')).toBe(true);
    expect(evaluate('isURL(self)', '/abs')).toBe(true);
    expect(evaluate('isURL(self)', 'registry/x')).toBe(false);
  });

  test('the WasmPlugin url rule: bare registry paths are checked with an http:// prefix', () => {
    const rule = 'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "file", "oci"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "file", "oci"])';
    expect(evaluate(rule, 'ghcr.io/org/plugin:1.0')).toBe(true);
    expect(evaluate(rule, 'ftp://x/y')).toBe(false);
  });

  test('accessors: host, hostname, port, escaped path, query', () => {
    const u = 'url("https://a.example.com:8443/p/q?x=1&x=2&y=")';
    expect(evaluate(`${u}.getHost()`)).toBe('a.example.com:8443');
    expect(evaluate(`${u}.getHostname()`)).toBe('a.example.com');
    expect(evaluate(`${u}.getPort()`)).toBe('8443');
    expect(evaluate(`${u}.getEscapedPath()`)).toBe('/p/q');
    expect(evaluate(`${u}.getQuery()["x"]`)).toEqual(expect.anything());
    expect(evaluate(`${u}.getQuery()["x"].size() == 2 && ${u}.getQuery()["y"] == [""]`)).toBe(true);
  });

  test('url() of an invalid URL is an evaluation error, as in the API server', () => {
    expect(() => evaluate('url(self).getScheme() == "http"', 'not a url')).toThrow(/url: invalid URI for request/);
  });

  test('URL methods refuse plain maps', () => {
    expect(() => evaluate('{"scheme": "http"}.getScheme() == "http"')).toThrow(/only to values returned by url\(\)/);
  });

  test('string extensions used by the CRDs (substring) are available', () => {
    expect(evaluate('self.substring(7, 8) == "/"', 'unix:///var/run/x.sock')).toBe(true);
  });
});
