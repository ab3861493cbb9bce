/**
 * istiod webhook rules for security.istio.io AuthorizationPolicy (`ValidateAuthorizationPolicy`, AP-1..AP-22).
 */
import {
  arr, isObject, isSet, len, str, validateIpOrCidr, validatePolicyTargeting, validatePortString, violation,
} from './common';
import { KubeObject, PathSegment, WebhookViolation } from './types';

type Path = PathSegment[];

const SOURCE_FIELDS = ['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks',
  'serviceAccounts', 'trustDomains'];
const ALL_SOURCE_FIELDS = SOURCE_FIELDS.flatMap((f) => [f, `not${f[0].toUpperCase()}${f.slice(1)}`]);
const OPERATION_FIELDS = ['ports', 'methods', 'paths', 'hosts', 'notPorts', 'notMethods', 'notPaths', 'notHosts'];
const IP_FIELDS = ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const CUSTOM_UNSUPPORTED_SOURCE = ['namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts',
  'trustDomains', 'notTrustDomains', 'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals'];
const CUSTOM_UNSUPPORTED_KEYS = ['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'];

/** Rules that hold for the whole policy: targeting, action and provider (AP-1..AP-8). */
function validatePolicyLevel(spec: any): WebhookViolation[] {
  const out = validatePolicyTargeting(spec, { oneOf: 'AP-1', selector: 'AP-2', targetRef: 'AP-3' });
  const action = str(spec.action) || 'ALLOW';
  const rulesUnset = len(spec.rules) === 0;
  if ((action === 'CUSTOM' || action === 'DENY') && rulesUnset) {
    out.push(violation(['spec', 'rules'], action === 'CUSTOM' ? 'AP-4' : 'AP-8',
      `${action} action without \`rules\` is meaningless as it will never be triggered: add an empty rule \`{}\` if you want it to be triggered for every request`));
  }
  if (action === 'CUSTOM' && !rulesUnset && str(isObject(spec.provider) ? spec.provider.name : undefined) === '') {
    out.push(violation(['spec', 'provider', 'name'], 'AP-5',
      '`provider.name` must not be empty: a CUSTOM policy must name an extension provider from the mesh config'));
  }
  if (isSet(spec.provider) && action !== 'CUSTOM') {
    out.push(violation(['spec', 'provider'], 'AP-7',
      `\`provider\` must not be set with non CUSTOM action, found ${action}: remove provider or use action CUSTOM`));
  }
  if (action === 'CUSTOM') out.push(...validateCustomRules(spec.rules));
  return out;
}

/** AP-6: CUSTOM supports neither identity-based sources nor identity/JWT `when` keys; `when` entries are not null. */
function validateCustomRules(rules: unknown): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  arr(rules).forEach((rule, i) => {
    if (!isObject(rule)) return;
    arr(rule.from).forEach((from, j) => {
      const src = isObject(from) && isObject(from.source) ? from.source : undefined;
      for (const f of CUSTOM_UNSUPPORTED_SOURCE) {
        if (src && len(src[f]) > 0) {
          out.push(violation(['spec', 'rules', i, 'from', j, 'source', f], 'AP-6',
            `from.${f} is currently not supported with CUSTOM action: match on ipBlocks/remoteIpBlocks or operation fields instead`));
        }
      }
    });
    arr(rule.when).forEach((when, j) => {
      const path: Path = ['spec', 'rules', i, 'when', j];
      if (!isObject(when)) {
        out.push(violation(path, 'AP-6', 'when field cannot be null: remove the empty entry'));
        return;
      }
      const key = str(when.key);
      if (CUSTOM_UNSUPPORTED_KEYS.includes(key) || key.startsWith('request.auth.')) {
        out.push(violation([...path, 'key'], 'AP-6', `${key} is currently not supported with CUSTOM action`));
      }
    });
  });
  return out;
}

/** AP-13 (`security.CheckServiceAccount`): ≤16 values, each `sa` or `ns/sa`, no `*`, ≤320 chars. */
export function checkServiceAccounts(values: unknown, path: Path, rule: string): WebhookViolation[] {
  const list = arr(values);
  const out: WebhookViolation[] = [];
  if (list.length > 16) out.push(violation(path, rule, `at most 16 service accounts are allowed, found ${list.length}: split them across several sources`));
  list.forEach((v, i) => {
    const err = serviceAccountError(str(v));
    if (err) out.push(violation([...path, i], rule, err));
  });
  return out;
}

function serviceAccountError(sa: string): string | undefined {
  if (sa === '') return 'empty value not allowed in serviceAccounts';
  if (sa.includes('*')) return `wildcard is not supported in serviceAccounts, found "${sa}": list each service account`;
  const parts = sa.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    return `invalid service account "${sa}": use the form "name" or "namespace/name"`;
  }
  if (sa.length > 320) return `service account "${sa.slice(0, 32)}..." is longer than 320 characters`;
  return undefined;
}

/** AP-16 (`security.CheckTrustDomainValues`): at most one `*`, only at the start or end, no `/`. */
export function trustDomainError(td: string): string | undefined {
  if (td === '') return 'empty value not allowed in trustDomains';
  if (td.includes('/')) return `trust domain "${td}" must not contain "/"`;
  const stars = td.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !td.startsWith('*') && !td.endsWith('*'))) {
    return `invalid trust domain "${td}": only one "*" is allowed, as a prefix or suffix wildcard`;
  }
  return undefined;
}

const PCHAR_RE = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/** AP-20 (`security.CheckValidPathTemplate`): only `{*}` / `{**}` operators, `{**}` last, pchar segments in templates. */
export function pathTemplateError(path: string): string | undefined {
  const isTemplate = path.includes('{*}') || path.includes('{**}');
  let sawMatchAny = false;
  for (const segment of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if (segment === '{*}' || segment === '{**}') {
      if (sawMatchAny) return `invalid or unsupported path ${path}: {**} is not the last operator`;
      sawMatchAny = segment === '{**}';
      continue;
    }
    if (/[{}]/.test(segment)) {
      return `invalid or unsupported path ${path}: contains '{' or '}' beyond a supported path template ({*} or {**})`;
    }
    if (isTemplate && !PCHAR_RE.test(segment)) {
      return `invalid or unsupported path ${path}: segment "${segment}" is not a valid path literal (no '*' or empty segments in a path template)`;
    }
  }
  return undefined;
}

/** AP-15: no empty string in a list (`security.CheckEmptyValues`). */
function checkEmptyValues(values: unknown, path: Path, field: string): WebhookViolation[] {
  const i = arr(values).findIndex((v) => str(v) === '');
  return i < 0 ? [] : [violation([...path, i], 'AP-15', `empty value not allowed, found in ${field}: remove the empty string`)];
}

/** AP-10..AP-16 for one `from[]` entry. */
function validateFrom(from: unknown, path: Path): WebhookViolation[] {
  if (!isObject(from)) return [violation(path, 'AP-10', '`from` entry must not be null: remove it or give it a source')];
  const src = from.source;
  if (!isObject(src)) return [violation([...path, 'source'], 'AP-10', '`from.source` must not be null: add a source with at least one field')];
  const sp: Path = [...path, 'source'];
  const out: WebhookViolation[] = [];
  if (!ALL_SOURCE_FIELDS.some((f) => len(src[f]) > 0)) {
    out.push(violation(sp, 'AP-11',
      '`from.source` must not be empty: name at least one of principals, requestPrincipals, namespaces, ipBlocks, remoteIpBlocks, serviceAccounts, trustDomains or their not* forms (Istio rejects an empty source)'));
  }
  const hasSa = len(src.serviceAccounts) + len(src.notServiceAccounts) > 0;
  if (hasSa && len(src.principals) + len(src.notPrincipals) + len(src.namespaces) + len(src.notNamespaces) > 0) {
    out.push(violation(sp, 'AP-12',
      'cannot set serviceAccounts with namespaces or principals in the same source: put them in separate `from` entries'));
  }
  for (const f of ['serviceAccounts', 'notServiceAccounts']) out.push(...checkServiceAccounts(src[f], [...sp, f], 'AP-13'));
  for (const f of IP_FIELDS) {
    arr(src[f]).forEach((v, i) => {
      const err = str(v) === '' ? undefined : validateIpOrCidr(str(v));
      if (err) out.push(violation([...sp, f, i], 'AP-14', `${err} in ${f}: use an IP address or CIDR range`));
    });
  }
  for (const f of ['principals', 'requestPrincipals', 'namespaces', 'ipBlocks', 'remoteIpBlocks', 'notPrincipals',
    'notRequestPrincipals', 'notNamespaces', 'notIpBlocks', 'notRemoteIpBlocks']) {
    out.push(...checkEmptyValues(src[f], [...sp, f], f));
  }
  for (const f of ['trustDomains', 'notTrustDomains']) {
    arr(src[f]).forEach((v, i) => {
      const err = trustDomainError(str(v));
      if (err) out.push(violation([...sp, f, i], 'AP-16', err));
    });
  }
  return out;
}

/** AP-15, AP-17..AP-20 for one `to[]` entry. */
function validateTo(to: unknown, path: Path): WebhookViolation[] {
  if (!isObject(to)) return [violation(path, 'AP-17', '`to` entry must not be null: remove it or give it an operation')];
  const op = to.operation;
  if (!isObject(op)) return [violation([...path, 'operation'], 'AP-17', '`to.operation` must not be null: add an operation with at least one field')];
  const opPath: Path = [...path, 'operation'];
  const out: WebhookViolation[] = [];
  if (!OPERATION_FIELDS.some((f) => len(op[f]) > 0)) {
    out.push(violation(opPath, 'AP-18',
      '`to.operation` must not be empty: name at least one of ports, methods, paths, hosts or their not* forms'));
  }
  for (const f of ['ports', 'notPorts']) {
    arr(op[f]).forEach((v, i) => {
      const err = validatePortString(typeof v === 'string' ? v : String(v));
      if (err) out.push(violation([...opPath, f, i], 'AP-19', `${err} in ${f}: ports are strings holding a number in 0..65535`));
    });
  }
  for (const f of OPERATION_FIELDS) out.push(...checkEmptyValues(op[f], [...opPath, f], f));
  for (const f of ['paths', 'notPaths']) {
    arr(op[f]).forEach((v, i) => {
      const err = pathTemplateError(str(v));
      if (err) out.push(violation([...opPath, f, i], 'AP-20', err));
    });
  }
  return out;
}

/** `validateMapKey`: the key has the form `a[b]`. */
function isMapKey(key: string): boolean {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2;
}

/** AP-22: `security.ValidateAttribute` key check (independent of the values). */
export function attributeKeyError(key: string): string | undefined {
  const mapKey = ['request.headers', 'request.auth.claims', 'experimental.envoy.filters.'].find((p) => key.startsWith(p));
  if (mapKey) return isMapKey(key) ? undefined : `bad key (${key}): should have format a[b]`;
  const known = ['source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'request.auth.principal',
    'request.auth.audiences', 'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni',
    'source.serviceAccount', 'source.trustDomain'];
  if (known.includes(key)) return undefined;
  if (key === 'destination.namespace') return `attribute ${key} is replaced by the metadata.namespace`;
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  if (key === 'destination.name' || key === 'destination.user') return `deprecated attribute ${key}: only supported in v1alpha1`;
  return `unknown attribute: ${key}`;
}

/** AP-22: value checks of `security.ValidateAttribute` for one value list. */
function attributeValueErrors(key: string, values: unknown, path: Path): WebhookViolation[] {
  const list = arr(values);
  const out: WebhookViolation[] = [];
  list.forEach((raw, i) => {
    const v = str(raw);
    let err: string | undefined;
    if (v === '') err = 'empty value not allowed';
    else if (['source.ip', 'remote.ip', 'destination.ip'].includes(key)) err = validateIpOrCidr(v);
    else if (key === 'destination.port') err = validatePortString(v);
    else if (key === 'source.serviceAccount') err = serviceAccountError(v);
    else if (key === 'source.trustDomain') err = trustDomainError(v);
    if (err) out.push(violation([...path, i], 'AP-22', `invalid value for key ${key}: ${err}`));
  });
  return out;
}

/** AP-22 for one `when[]` condition. */
function validateCondition(cond: unknown, path: Path): WebhookViolation[] {
  const key = isObject(cond) ? str(cond.key) : '';
  if (key === '') return [violation([...path, 'key'], 'AP-22', '`key` must not be empty: name a supported attribute such as source.ip or request.headers[name]')];
  const c = cond as Record<string, any>;
  if (len(c.values) === 0 && len(c.notValues) === 0) {
    return [violation(path, 'AP-22', `at least one of \`values\` or \`notValues\` must be set for key ${key}`)];
  }
  const keyErr = attributeKeyError(key);
  if (keyErr) return [violation([...path, 'key'], 'AP-22', `invalid \`key\` ${key}: ${keyErr}`)];
  return [...attributeValueErrors(key, c.values, [...path, 'values']),
    ...attributeValueErrors(key, c.notValues, [...path, 'notValues'])];
}

/** AP-9..AP-22 for one rule. */
function validateRule(rule: unknown, i: number): WebhookViolation[] {
  const path: Path = ['spec', 'rules', i];
  if (!isObject(rule)) return [violation(path, 'AP-9', `\`rule\` must not be null, found at rule ${i}: use \`{}\` to match every request`)];
  const out: WebhookViolation[] = [];
  if (Array.isArray(rule.from) && rule.from.length === 0) {
    out.push(violation([...path, 'from'], 'AP-10', '`from` must not be empty: remove it or add a source'));
  }
  arr(rule.from).forEach((f, j) => out.push(...validateFrom(f, [...path, 'from', j])));
  if (Array.isArray(rule.to) && rule.to.length === 0) {
    out.push(violation([...path, 'to'], 'AP-17', '`to` must not be empty: remove it or add an operation'));
  }
  arr(rule.to).forEach((t, j) => out.push(...validateTo(t, [...path, 'to', j])));
  arr(rule.when).forEach((c, j) => out.push(...validateCondition(c, [...path, 'when', j])));
  return out;
}

/** Validates an AuthorizationPolicy like `ValidateAuthorizationPolicy` (errors only). */
export function validateAuthorizationPolicy(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  return [...validatePolicyLevel(spec), ...arr(spec.rules).flatMap((r, i) => validateRule(r, i))];
}
