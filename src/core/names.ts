import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { assertNoProblems } from './errors';
import { checkDns1123Label } from '../validation/kubernetes-names';

/** The namespaces Kubernetes itself runs, where no mesh workload belongs. */
export const KUBERNETES_SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/**
 * A stable, readable, DNS-1123-label name for a generated object: the parts joined with `-`.
 * Names longer than `maxLength` keep a readable prefix and end with an 8-character hash of the
 * full name, so two long names never collide and the same input always gives the same name.
 *
 * @internal
 */
export function objectName(parts: readonly string[], maxLength: number = 63): string {
  const full = parts.filter((p) => p.length > 0).join('-');
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const prefix = full.slice(0, maxLength - hash.length - 1).replace(/[-.]+$/, '');
  return `${prefix}-${hash}`;
}

/**
 * Throws unless `value` is a DNS-1123 label (lower-case alphanumerics and `-`, ≤ 63 characters),
 * the rule for namespace names and for the names this library derives objects from.
 *
 * @internal
 */
export function assertDnsLabel(scope: IConstruct, field: string, value: string): void {
  assertNoProblems(scope, field, checkDns1123Label(value).map((p) => `"${value}" ${p}`),
    'Use lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters');
}

/**
 * Throws unless `port` is an integer in 1..65535.
 *
 * @internal
 */
export function assertPort(scope: IConstruct, field: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    assertNoProblems(scope, field, [`${port} is not a valid port`], 'Use an integer from 1 to 65535');
  }
}
