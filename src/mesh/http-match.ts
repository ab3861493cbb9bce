import { AppProtocol } from './app-protocol';

/**
 * Checks of the paths and methods an ALLOW rule may name (AUTHZ-3).
 *
 * Istio matches `paths` after normalizing the request path, so a rule written for `/admin`
 * must not be bypassable by `/./admin`, `//admin` or `/%61dmin`: a path is accepted only in its
 * normalized form, exact (`/api/v1/items`) or as a prefix (`/api/*`). Each check returns the
 * problems, empty when the value is fine.
 */

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
const GRPC_METHOD = /^\/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\/([A-Za-z_][A-Za-z0-9_]*|\*)$/;
// No ';': backends such as Tomcat resolve path parameters (`/public/..;/admin` is `/admin`).
const PATH_SEGMENT = /^[A-Za-z0-9\-._~!$&'()+,=:@]*$/;

/** Problems with an HTTP path for an ALLOW rule: exact or `prefix/*`, absolute and normalized. */
export function checkHttpPath(path: string): string[] {
  if (path === '') return ['path must not be empty'];
  if (!path.startsWith('/')) return [`path "${path}" must be absolute (start with "/")`];
  const body = path.endsWith('/*') ? path.slice(0, -1) : path;
  const problems: string[] = [];
  if (body.includes('*')) problems.push(`path "${path}" may use "*" only as a trailing "/*" prefix match`);
  if (/[?#]/.test(body)) problems.push(`path "${path}" must not contain "?" or "#" (Istio matches the path without query or fragment)`);
  if (/%/.test(body)) problems.push(`path "${path}" must not contain percent-encoding such as %2F or %5C (write the decoded, normalized path)`);
  if (body.includes('\\')) problems.push(`path "${path}" must not contain "\\"`);
  if (body.includes(';')) problems.push(`path "${path}" must not contain ";" (path parameters such as "..;" are resolved by some backends)`);
  if (body.includes('//')) problems.push(`path "${path}" must not contain "//" (merged by path normalization)`);
  const segments = body.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) problems.push(`path "${path}" must not contain "." or ".." segments (resolved by path normalization)`);
  if (problems.length === 0 && segments.some((s) => !PATH_SEGMENT.test(s))) {
    problems.push(`path "${path}" contains characters that are not allowed unencoded in a URL path`);
  }
  return problems;
}

/** Problems with an HTTP method: one of the upper-case standard methods. */
export function checkHttpMethod(method: string): string[] {
  if (HTTP_METHODS.has(method)) return [];
  const hint = HTTP_METHODS.has(method.toUpperCase()) ? ` (did you mean "${method.toUpperCase()}"?)` : '';
  return [`method "${method}" is not an upper-case HTTP method${hint}; use one of ${[...HTTP_METHODS].join(', ')}`];
}

/** Problems with a gRPC method path: `/package.Service/Method` or `/package.Service/*`. */
export function checkGrpcMethod(path: string): string[] {
  return GRPC_METHOD.test(path) ? [] : [`gRPC method "${path}" must look like "/package.Service/Method" or "/package.Service/*"`];
}

/** Problems with a path on a port of `protocol` (gRPC ports take method paths). */
export function checkPathFor(protocol: AppProtocol, path: string): string[] {
  return protocol === AppProtocol.GRPC ? checkGrpcMethod(path) : checkHttpPath(path);
}
