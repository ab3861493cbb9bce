import { IConstruct } from 'constructs';
import { AccessGrant } from './access-grant';
import { ExternalHost } from './external-host';
import { IMeshPeer } from './mesh-peer';
import type { ContractExternalHost } from '../contract/contract-document';
import { configError } from '../core/errors';
import { claimKey } from '../core/registry';
import { MeshWorkload } from '../workload/mesh-workload';
import { isImportedService } from '../workload/secure-service';

/**
 * What EgressGateway and AmbientEgressGateway share about granting an external host (EGRESS-1):
 * the checks of an `allowExternal` call, one egress construct per host in an app, and the names
 * of the per-host objects.
 */

/**
 * A DNS-label form of a host name that never maps two hosts to one name: each `-` is doubled,
 * then each `.` becomes `-` (DNS labels never start or end with `-`, so the mapping is reversible).
 *
 * @internal
 */
export function hostSlug(host: string): string {
  return host.replace(/-/g, '--').replace(/\./g, '-');
}

/** A caller's name for messages: `namespace/workload`. */
export function callerName(c: IMeshPeer): string {
  const name = (c as { workloadName?: string }).workloadName ?? c.peerPrincipal.serviceAccountName;
  return `${c.peerNamespace}/${name}`;
}

/**
 * Checks the arguments of `allowExternal(host, { from })` and returns the callers: `host` must be
 * an ExternalHost, `from` a non-empty list of mesh workloads of this app (their egress
 * NetworkPolicy is opened here) or services of other repositories (`SecureService.fromAttributes`:
 * their repository opens their side). `opened` names what is opened for a caller, for the message.
 *
 * @internal
 */
export function checkExternalGrant(scope: IConstruct, host: ExternalHost, from: IMeshPeer[] | undefined, opened: string): IMeshPeer[] {
  if (!(host instanceof ExternalHost)) {
    throw configError(scope, 'allowExternal.host', `${JSON.stringify(host)} is not an ExternalHost`,
      'Pass ExternalHost.https(host) or ExternalHost.httpsOriginated(host, { caCredentialName })');
  }
  const callers = from ?? [];
  if (callers.length === 0) {
    throw configError(scope, 'allowExternal.from', `an empty caller list grants ${host.host} to nobody`,
      'Name at least one mesh workload (SecureService, SecureStatefulSet, SecureJob, SecureCronJob) that may call the host');
  }
  callers.forEach((c, i) => {
    if (!(c instanceof MeshWorkload) && !isImportedService(c)) {
      throw configError(scope, `allowExternal.from[${i}]`, `the caller is neither a mesh workload of this app nor a service of another repository, so ${opened} `
        + 'cannot be opened for its pods', 'Pass SecureService, SecureStatefulSet, SecureJob or SecureCronJob instances, or SecureService.fromAttributes(...) for a '
        + 'workload of an app team\'s repository (which opens its side with MeshContract.allowExternal)');
    }
  });
  return callers;
}

/**
 * Throws unless `host` has the settings `granted` was granted with (mode, ports, CA, names): each
 * external host is granted with one setting.
 *
 * @internal
 */
export function assertSameHost(scope: IConstruct, granted: ExternalHost, host: ExternalHost): void {
  if (!granted.sameAs(host)) {
    throw configError(scope, 'allowExternal.host', `${host.host} is already granted as ${granted} and this call asks for ${host}`,
      'Grant each external host with one setting: reuse the same ExternalHost for every caller');
  }
}

/**
 * The values of `map` in the order of their keys (stable output whatever the grant order).
 *
 * @internal
 */
export function valuesByKey<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/**
 * Claims `host` for the egress construct `scope` (an EgressGateway or an AmbientEgressGateway):
 * each external host leaves the mesh through one of them. Two ServiceEntries for one host would
 * compete: ztunnel ignores `exportTo` (istio/istio#55163), so every ambient pod would see both,
 * and one of them bypasses the other's waypoint or gateway.
 *
 * @internal
 */
export function claimExternalHost(scope: IConstruct, host: ExternalHost): void {
  const other = claimKey(scope, `ExternalHost:${host.host}`);
  if (other) {
    throw configError(scope, 'allowExternal.host', `${host.host} is already routed through the egress gateway at ${other.node.path}`,
      'Route each external host through one egress gateway, and grant its callers there');
  }
}

/** One caller granted an external host. */
export interface ExternalCallerRecord {
  /** A workload of this app, or a service of another repository (which opens its own side). */
  readonly caller: IMeshPeer;
  readonly principal: string;
  readonly grant: AccessGrant;
}

/** One external host an egress construct forwards, and its callers (by principal). */
export interface ExternalHostRecord {
  readonly external: ExternalHost;
  /** DNS-label form of the host, unique per host. */
  readonly slug: string;
  readonly callers: Map<string, ExternalCallerRecord>;
}

/**
 * The hosts an egress construct forwards and who may call each, in the deterministic order every
 * rendering uses (hosts by name, callers by principal).
 *
 * @internal
 */
export class ExternalHostLedger {
  private readonly records = new Map<string, ExternalHostRecord>();

  /**
   * The record of `host`. The first time, checks that no other egress construct of the app
   * forwards it, creates the record and calls `created` (to write the host's objects); later,
   * checks that `host` is granted with the same settings.
   */
  public recordFor(scope: IConstruct, host: ExternalHost, created: (record: ExternalHostRecord) => void): ExternalHostRecord {
    const existing = this.records.get(host.host);
    if (existing) {
      assertSameHost(scope, existing.external, host);
      return existing;
    }
    claimExternalHost(scope, host);
    const record: ExternalHostRecord = { external: host, slug: hostSlug(host.host), callers: new Map() };
    this.records.set(host.host, record);
    created(record);
    return record;
  }

  /** The records, sorted by host. */
  public sorted(): ExternalHostRecord[] {
    return [...this.records.values()].sort((a, b) => (a.external.host < b.external.host ? -1 : 1));
  }

  /** The hosts, sorted. */
  public get hosts(): ExternalHost[] {
    return this.sorted().map((r) => r.external);
  }

  /** Every grant, sorted by host then caller. */
  public get grants(): AccessGrant[] {
    return this.sorted().flatMap((r) => sortedCallers(r).map((c) => c.grant));
  }
}

/**
 * The hosts of `ledger` with callers of other repositories, reached `via` the egress construct,
 * as the platform's mesh contract lists them (sorted by host; callers sorted).
 *
 * @internal
 */
export function contractHostsOf(ledger: ExternalHostLedger, via: ContractExternalHost['via']): ContractExternalHost[] {
  return ledger.sorted().flatMap((r) => {
    const callers = [...new Set(sortedCallers(r).filter((c) => isImportedService(c.caller)).map((c) => c.principal))].sort();
    return callers.length ? [{ host: r.external.host, port: r.external.port, via: { ...via, podLabels: { ...via.podLabels } }, callers }] : [];
  });
}

/** A host's callers, sorted by principal. */
export function sortedCallers(record: ExternalHostRecord): ExternalCallerRecord[] {
  return valuesByKey(record.callers);
}
