import { AppProtocol } from '../mesh/app-protocol';
import { checkIanaServiceName } from '../validation/kubernetes-names';

/** A port of a mesh service. */
export interface ServicePort {
  /** Port name, unique in the service; an IANA service name (≤ 15 characters, e.g. `http`). */
  readonly name: string;
  /** The Service port callers connect to. */
  readonly port: number;
  /**
   * The container port the traffic reaches. Authorization and NetworkPolicy use this one.
   *
   * @default - the same as `port`
   */
  readonly targetPort?: number;
  /** The protocol the port speaks (Service `appProtocol`). */
  readonly protocol: AppProtocol;
}

function checkPortNumber(field: string, n: unknown): string[] {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535 ? [] : [`${field} ${String(n)} is outside 1-65535`];
}

/** Problems with a service's port list: empty, bad names or numbers, duplicates, unknown protocols. */
export function checkServicePorts(ports: readonly ServicePort[], allowNone = false): string[] {
  if (!Array.isArray(ports)) return ['ports must be a list'];
  if (ports.length === 0) return allowNone ? [] : ['a service needs at least one port'];
  const problems: string[] = [];
  const protocols = Object.values(AppProtocol) as string[];
  ports.forEach((p, i) => {
    problems.push(...checkIanaServiceName(p.name ?? '').map((e) => `ports[${i}].name "${p.name}" ${e}`));
    problems.push(...checkPortNumber(`ports[${i}].port`, p.port));
    if (p.targetPort !== undefined) problems.push(...checkPortNumber(`ports[${i}].targetPort`, p.targetPort));
    if (!protocols.includes(p.protocol)) problems.push(`ports[${i}].protocol "${p.protocol}" is not one of ${protocols.join(', ')}`);
  });
  // Invalid values are reported above; only valid ones can collide.
  const duplicates = (values: unknown[], what: string) => values
    .filter((v, i) => (typeof v !== 'number' || Number.isInteger(v)) && values.findIndex((w) => Object.is(w, v)) !== i)
    .map((v) => `duplicate ${what} ${String(v)}`);
  problems.push(...duplicates(ports.map((p) => p.name), 'port name'));
  problems.push(...duplicates(ports.map((p) => p.port), 'port'));
  problems.push(...duplicates(ports.map((p) => p.targetPort ?? p.port), 'container port'));
  return [...new Set(problems)];
}
