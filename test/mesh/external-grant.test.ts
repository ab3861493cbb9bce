import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { AccessGrant } from '../../src/mesh/access-grant';
import { AppProtocol } from '../../src/mesh/app-protocol';
import {
  ExternalHostLedger, ExternalHostRecord, checkExternalGrant, claimExternalHost, hostSlug, sortedCallers, valuesByKey,
} from '../../src/mesh/external-grant';
import { ExternalHost } from '../../src/mesh/external-host';
import { checkDnsHostname } from '../../src/mesh/hostname';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { MeshWorkload } from '../../src/workload/mesh-workload';
import { SecureService } from '../../src/workload/secure-service';

/**
 * What EgressGateway and AmbientEgressGateway share about granting an external host
 * (src/mesh/external-grant.ts), called directly: the per-host name, the argument checks, one egress
 * construct per host in an app, and the ledger of hosts and callers.
 */

/** Reads a slug back (the inverse `hostSlug` promises for DNS names): `--` is `-`, a lone `-` is `.`. */
function unslug(slug: string): string {
  return slug.replace(/--|-/g, (m) => (m === '--' ? '-' : '.'));
}

const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
/** Host names ExternalHost accepts: two to four DNS labels, some with inner (and repeated) dashes. */
const hostName = fc.array(dnsLabel, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.')).filter((h) => checkDnsHostname(h).length === 0);

describe('hostSlug', () => {
  test.each([
    ['api.example.com', 'api-example-com'],
    ['my-api.example.com', 'my--api-example-com'],
    ['my.api-example.com', 'my-api--example-com'],
    ['a--b.example.com', 'a----b-example-com'],
    ['x1.y2', 'x1-y2'],
  ])('%s -> %s', (host, slug) => {
    expect(hostSlug(host)).toBe(slug);
    expect(unslug(slug)).toBe(host);
  });

  test('property: injective over the host names ExternalHost accepts (two hosts never share a slug)', () => {
    fc.assert(fc.property(hostName, hostName, (a, b) => {
      expect(hostSlug(a) === hostSlug(b)).toBe(a === b);
    }), { numRuns: 1000 });
  });

  test('property: the slug reads back to the host, and is made of DNS-label characters', () => {
    fc.assert(fc.property(hostName, (h) => {
      const slug = hostSlug(h);
      expect(unslug(slug)).toBe(h);
      expect(slug).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    }), { numRuns: 500 });
  });

  test('property: hosts that differ only where a dash meets a dot keep distinct slugs', () => {
    fc.assert(fc.property(dnsLabel, dnsLabel, dnsLabel, (x, y, z) => {
      const dotted = `${x}.${y}-${z}.example`;
      const dashed = `${x}-${y}.${z}.example`;
      fc.pre(checkDnsHostname(dotted).length === 0 && checkDnsHostname(dashed).length === 0);
      expect(hostSlug(dotted)).not.toBe(hostSlug(dashed));
    }), { numRuns: 300 });
  });

  test('the guarantee rests on DNS labels never starting or ending with "-": names that break it collide, and ExternalHost refuses them', () => {
    expect(hostSlug('a-.b.example')).toBe(hostSlug('a.-b.example'));
    expect(() => ExternalHost.https('a-.b.example')).toThrow(/invalid DNS labels: "a-"/);
    expect(() => ExternalHost.https('a.-b.example')).toThrow(/invalid DNS labels: "-b"/);
  });
});

/** An app with two mesh workloads, and constructs standing for egress gateways. */
function app() {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'apps', { name: 'apps' });
  const image = `registry.acme.example/caller@sha256:${'e'.repeat(64)}`;
  const web = new SecureService(chart, 'web', { namespace: ns, image, ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }] });
  const batch = new SecureService(chart, 'batch', { namespace: ns, image, ports: [] });
  const egress = new Construct(chart, 'egress');
  const other = new Construct(chart, 'other-egress');
  return { chart, web, batch, egress, other };
}

describe('checkExternalGrant', () => {
  const api = ExternalHost.https('api.example.com');

  test('returns the callers as given', () => {
    const { web, batch, egress } = app();
    const from: MeshWorkload[] = [batch, web];
    expect(checkExternalGrant(egress, api, from, 'x')).toBe(from);
  });

  test('a host that is not an ExternalHost', () => {
    const { web, egress } = app();
    expect(() => checkExternalGrant(egress, 'api.example.com' as any, [web], 'x')).toThrow(
      '[test/egress] allowExternal.host: "api.example.com" is not an ExternalHost. Pass ExternalHost.https(host) or ExternalHost.httpsOriginated(host, { caCredentialName })');
    expect(() => checkExternalGrant(egress, { host: 'api.example.com', port: 443 } as any, [web], 'x'))
      .toThrow('[test/egress] allowExternal.host: {"host":"api.example.com","port":443} is not an ExternalHost');
  });

  test.each([[undefined], [[]]])('no callers (%p)', (from) => {
    const { egress } = app();
    expect(() => checkExternalGrant(egress, api, from as any, 'x')).toThrow(
      '[test/egress] allowExternal.from: an empty caller list grants api.example.com to nobody. '
      + 'Name at least one mesh workload (SecureService, SecureStatefulSet, SecureJob, SecureCronJob) that may call the host');
  });

  test('a caller that is neither a mesh workload nor a service of another repository, named by index and with what could not be opened', () => {
    const { chart, web, egress } = app();
    const imported = SecureService.fromAttributes(chart, 'imported', { namespace: 'elsewhere', name: 'svc', ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }] });
    expect(checkExternalGrant(egress, api, [web, imported], 'its egress NetworkPolicy and Sidecar')).toEqual([web, imported]);
    expect(() => checkExternalGrant(egress, api, [web, { peerNamespace: 'x' } as any], 'its egress NetworkPolicy and Sidecar')).toThrow(
      '[test/egress] allowExternal.from[1]: the caller is neither a mesh workload of this app nor a service of another repository, so its egress '
      + 'NetworkPolicy and Sidecar cannot be opened for its pods. Pass SecureService, SecureStatefulSet, SecureJob or SecureCronJob instances');
  });
});

describe('claimExternalHost: one egress construct per host in an app', () => {
  test('the same construct may claim again; another construct of the app may not', () => {
    const { egress, other } = app();
    const host = ExternalHost.https('api.example.com');
    claimExternalHost(egress, host);
    expect(() => claimExternalHost(egress, ExternalHost.https('api.example.com', 8443))).not.toThrow();
    expect(() => claimExternalHost(other, host)).toThrow(
      '[test/other-egress] allowExternal.host: api.example.com is already routed through the egress gateway at test/egress. '
      + 'Route each external host through one egress gateway, and grant its callers there');
  });

  test('other hosts, and the same host in another app, are free', () => {
    const first = app();
    claimExternalHost(first.egress, ExternalHost.https('api.example.com'));
    expect(() => claimExternalHost(first.other, ExternalHost.https('files.example.com'))).not.toThrow();
    expect(() => claimExternalHost(app().other, ExternalHost.https('api.example.com'))).not.toThrow();
  });
});

describe('ExternalHostLedger', () => {
  const grant = (callerPrincipal: string, target: string) =>
    new AccessGrant({ callerPrincipal, target, targetPorts: [443], paths: [], methods: [], objects: [] });

  test('recordFor creates the record once and calls created once; later calls with the same settings return it', () => {
    const { egress } = app();
    const ledger = new ExternalHostLedger();
    const created: ExternalHostRecord[] = [];
    const first = ledger.recordFor(egress, ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'api-ca' }), (r) => created.push(r));
    expect(first.slug).toBe('api-example-com');
    expect(first.external.host).toBe('api.example.com');
    expect(first.callers.size).toBe(0);
    const again = ledger.recordFor(egress, ExternalHost.httpsOriginated('api.example.com', { caCredentialName: 'api-ca', subjectAltNames: ['api.example.com'] }),
      (r) => created.push(r));
    expect(again).toBe(first);
    expect(created).toEqual([first]);
  });

  test('the same host with other settings is refused, naming both', () => {
    const { egress } = app();
    const ledger = new ExternalHostLedger();
    ledger.recordFor(egress, ExternalHost.https('api.example.com'), () => undefined);
    const created = jest.fn();
    expect(() => ledger.recordFor(egress, ExternalHost.https('api.example.com', 8443), created)).toThrow(
      '[test/egress] allowExternal.host: api.example.com is already granted as https://api.example.com:443 (TLS from the app) '
      + 'and this call asks for https://api.example.com:8443 (TLS from the app). Grant each external host with one setting: reuse the same ExternalHost for every caller');
    expect(created).not.toHaveBeenCalled();
    expect(ledger.hosts.map((h) => h.port)).toEqual([443]);
  });

  test('a host another egress construct of the app forwards is refused before anything is created or recorded', () => {
    const { egress, other } = app();
    new ExternalHostLedger().recordFor(egress, ExternalHost.https('api.example.com'), () => undefined);
    const ledger = new ExternalHostLedger();
    const created = jest.fn();
    expect(() => ledger.recordFor(other, ExternalHost.https('api.example.com'), created)).toThrow('api.example.com is already routed through the egress gateway at test/egress');
    expect(created).not.toHaveBeenCalled();
    expect(ledger.hosts).toEqual([]);
  });

  test('sorted, hosts and grants: hosts by name, callers by key, whatever the grant order', () => {
    const { egress } = app();
    const ledger = new ExternalHostLedger();
    const hosts = ['files.example.org', 'api.example.com', 'z.example.net', 'b.example.com'].map((h) => ExternalHost.https(h));
    for (const h of hosts) ledger.recordFor(egress, h, () => undefined);
    expect(ledger.sorted().map((r) => r.external.host)).toEqual(['api.example.com', 'b.example.com', 'files.example.org', 'z.example.net']);
    expect(ledger.hosts.map((h) => h.host)).toEqual(['api.example.com', 'b.example.com', 'files.example.org', 'z.example.net']);
    expect(ledger.hosts[0]).toBe(hosts[1]);

    const { web, batch } = app();
    const add = (host: string, key: string, principal: string) => {
      const record = ledger.recordFor(egress, ExternalHost.https(host), () => undefined);
      record.callers.set(key, { caller: principal.endsWith('web') ? web : batch, principal, grant: grant(principal, host) });
    };
    add('z.example.net', 'cluster.local/ns/apps/sa/web', 'cluster.local/ns/apps/sa/web');
    add('api.example.com', 'cluster.local/ns/apps/sa/web', 'cluster.local/ns/apps/sa/web');
    add('api.example.com', 'cluster.local/ns/apps/sa/batch', 'cluster.local/ns/apps/sa/batch');
    expect(ledger.grants.map((g) => g.toString())).toEqual([
      'cluster.local/ns/apps/sa/batch -> api.example.com:443',
      'cluster.local/ns/apps/sa/web -> api.example.com:443',
      'cluster.local/ns/apps/sa/web -> z.example.net:443',
    ]);
    expect(sortedCallers(ledger.sorted()[0]).map((c) => c.principal)).toEqual(['cluster.local/ns/apps/sa/batch', 'cluster.local/ns/apps/sa/web']);
  });

  test('an empty ledger', () => {
    const ledger = new ExternalHostLedger();
    expect([ledger.sorted(), ledger.hosts, ledger.grants]).toEqual([[], [], []]);
  });
});

describe('valuesByKey', () => {
  test('values in the code-point order of their keys, not insertion order', () => {
    expect(valuesByKey(new Map([['b', 2], ['B', 1], ['a', 3], ['', 0]]))).toEqual([0, 1, 3, 2]);
  });
});
