import { IConstruct } from 'constructs';
import { ServicePort } from './service-port';
import { AllowFromOptions } from './workload-props';
import { assertNoProblems, configError } from '../core/errors';
import { isHttpProtocol } from '../mesh/app-protocol';
import { checkHttpMethod, checkPathFor } from '../mesh/http-match';
import { IMeshPeer } from '../mesh/mesh-peer';
import { Principal } from '../mesh/principal';
import { PolicyException } from '../policy/policy-exception';

/** What an allowFrom call resolves to: container ports, paths and methods, sorted. */
export interface ResolvedGrant {
  readonly targetPorts: number[];
  readonly paths: string[];
  readonly methods: string[];
}

/** The target of a grant: a mesh workload of this app, or a service imported from another repo. */
export interface GrantTarget extends IConstruct {
  readonly namespaceName: string;
  readonly workloadName: string;
  readonly ports: ServicePort[];
}

/** Checks an allowFrom call against the caller and the target's ports. */
export function resolveGrant(target: GrantTarget, caller: IMeshPeer, options: AllowFromOptions): ResolvedGrant {
  const where = `${target.namespaceName}/${target.workloadName}`;
  if (!(caller?.peerPrincipal instanceof Principal)) {
    throw configError(target, 'allowFrom.caller', 'the caller has no mesh identity, and access is only ever granted to an authenticated identity (AUTHZ-2)',
      'Pass a SecureService, an imported service, or Principal.serviceAccount(namespace, serviceAccount)');
  }
  for (const [field, list] of [['ports', options.ports], ['paths', options.paths], ['methods', options.methods]] as const) {
    if (list !== undefined && list.length === 0) {
      throw configError(target, `allowFrom.${field}`, `an empty ${field} list grants nothing`, `Omit ${field} to allow every ${field.slice(0, -1)}, or name at least one`);
    }
  }
  const requested = options.ports ?? target.ports.map((p) => p.port);
  const ports = requested.map((number) => {
    const port = target.ports.find((p) => p.port === number);
    if (!port) {
      throw configError(target, 'allowFrom.ports', `${where} does not expose port ${number}`,
        `Grant one of its Service ports: ${target.ports.map((p) => `${p.port} (${p.name})`).join(', ')}`);
    }
    return port;
  });
  const paths = [...new Set(options.paths ?? [])].sort();
  const methods = [...new Set(options.methods ?? [])].sort();
  if (paths.length > 0 || methods.length > 0) {
    const opaque = ports.filter((p) => !isHttpProtocol(p.protocol));
    if (opaque.length > 0) {
      throw configError(target, 'allowFrom', `paths/methods on ${opaque.map((p) => `${p.protocol} port ${p.port}`).join(', ')} would never match (Istio sees no HTTP there), so the rule would silently deny`,
        'Grant paths and methods only on http, http2 or grpc ports, and grant TCP/TLS ports in a separate allowFrom without paths or methods');
    }
  }
  for (const path of paths) {
    for (const port of ports) assertNoProblems(target, 'allowFrom.paths', checkPathFor(port.protocol, path), 'Write exact paths or "/prefix/*", normalized');
  }
  for (const method of methods) assertNoProblems(target, 'allowFrom.methods', checkHttpMethod(method), 'Use upper-case HTTP methods');
  const targetPorts = [...new Set(ports.map((p) => p.targetPort ?? p.port))].sort((a, b) => a - b);
  return { targetPorts, paths, methods };
}

/** Throws unless `exception` relaxes `ruleId` (the knob it unlocks). */
export function requireException(scope: IConstruct, field: string, exception: PolicyException | undefined, ruleId: string): void {
  if (!(exception instanceof PolicyException)) {
    throw configError(scope, field, `a PolicyException for ${ruleId} is required`, 'Create one with a justification, an owner and an expiry date');
  }
  if (!exception.rules.includes(ruleId)) {
    throw configError(scope, field, `the exception at ${exception.node.path} does not relax ${ruleId} (it relaxes ${exception.rules.join(', ')})`,
      `Add ${ruleId} to its rules, or use an exception made for this bypass`);
  }
}
