/** Names an object for messages: `Kind/namespace/name`, or `Kind/name` without a namespace. */
export function describeObject(obj: unknown): string {
  const o = (obj ?? {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const kind = typeof o.kind === 'string' && o.kind ? o.kind : '<no kind>';
  const name = typeof o.metadata?.name === 'string' && o.metadata.name ? o.metadata.name : '<no name>';
  const ns = typeof o.metadata?.namespace === 'string' && o.metadata.namespace ? `${o.metadata.namespace}/` : '';
  return `${kind}/${ns}${name}`;
}

/** Splits `group/version` (or `version` for the core group) into its parts. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
