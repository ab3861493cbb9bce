/**
 * The API server's syntax rules for names, labels and annotations
 * (k8s.io/apimachinery/pkg/util/validation), applied to every object before it is stored.
 * Each check returns the list of problems, empty when the value is valid.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A DNS-1123 label (RFC 1123): lower-case alphanumerics and '-', at most 63 characters. */
export function checkDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(`must be no more than 63 characters (is ${value.length})`);
  if (!DNS1123_LABEL.test(value)) {
    errs.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')");
  }
  return errs;
}

/** A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters. */
export function checkDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(`must be no more than 253 characters (is ${value.length})`);
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')");
  }
  return errs;
}

/** A DNS-1035 label (Service names): like a DNS-1123 label but starting with a letter. */
export function checkDns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(`must be no more than 63 characters (is ${value.length})`);
  if (!DNS1035_LABEL.test(value)) {
    errs.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name')");
  }
  return errs;
}

/** A name usable as a URL path segment (RBAC object names): not `.`/`..`, no `/` or `%`. */
export function checkPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const bad = ['/', '%'].filter((c) => value.includes(c));
  return bad.map((c) => `may not contain '${c}'`);
}

/** A qualified name (label and annotation keys): `[prefix/]name`, prefix a DNS subdomain, name ≤ 63. */
export function checkQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts;
    name = rest;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...checkDns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part must be no more than 63 characters (is ${name.length})`);
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) {
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', '123-abc')");
  }
  return errs;
}

/** A label value: empty, or ≤ 63 alphanumerics, '-', '_' or '.' starting and ending alphanumeric. */
export function checkLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(`must be no more than 63 characters (is ${value.length})`);
  if (!LABEL_VALUE.test(value)) {
    errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return errs;
}

/** IANA service name (container and Service port names): ≤ 15 chars, lower-case, a letter, no '--'. */
export function checkIanaServiceName(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push(`must be no more than 15 characters (is ${value.length})`);
  if (!/^[-a-z0-9]+$/.test(value)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) errs.push("must not contain consecutive hyphens ('--')");
  if (/^-|-$/.test(value)) errs.push('must not begin or end with a hyphen');
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  return errs;
}

/** Which rule the API server applies to `metadata.name` of a kind. */
export type NameRule = (value: string) => string[];

const NAME_RULES: Record<string, NameRule> = {
  'Namespace': checkDns1123Label,
  'Service': checkDns1035Label,
  'rbac.authorization.k8s.io/Role': checkPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRole': checkPathSegmentName,
  'rbac.authorization.k8s.io/RoleBinding': checkPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': checkPathSegmentName,
};

/** The name rule of `group/kind` (core group: just `kind`); DNS-1123 subdomain for the rest, custom resources included. */
export function nameRuleFor(group: string, kind: string): NameRule {
  return NAME_RULES[group ? `${group}/${kind}` : kind] ?? checkDns1123Subdomain;
}
