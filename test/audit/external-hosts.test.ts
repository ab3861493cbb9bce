import { ExternalEntry, SidecarScope, exportedTo, parseServiceEntries, parseSidecars, sidecarFor, sidecarSees } from '../../src/audit/external-hosts';
import { Workload } from '../../src/audit/workloads';

/**
 * External hosts as the audit reads them (src/audit/external-hosts.ts): ServiceEntries, their
 * exportTo, and the Sidecar resources that decide whether a caller's sidecar knows a host.
 */

const ROOT = 'istio-system';

function entry(namespace: string, name: string, spec: any, labels?: any): any {
  return { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace, ...(labels ? { labels } : {}) }, spec };
}

function sidecar(namespace: string, name: string, spec: any): any {
  return { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name, namespace }, spec };
}

/** The fields of a workload these functions read. */
function pods(namespace: string, labels: { [k: string]: string } = {}): Workload {
  return { id: `${namespace}/caller`, namespace, labels } as Workload;
}

describe('parseServiceEntries', () => {
  test('reads hosts (lower-cased), location, ports (targetPort else number, protocol, sorted), labels and exportTo', () => {
    const [e] = parseServiceEntries([entry('egress', 'api', {
      hosts: ['API.Example.com', 'files.example.com'],
      location: 'MESH_INTERNAL',
      ports: [
        { number: 8443, name: 'tls-alt', protocol: 'TLS' },
        { number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 },
        { number: 9000, name: 'grpc-api' },
        { number: 7000 },
      ],
      exportTo: ['.', 'shop'],
    }, { 'istio.io/use-waypoint': 'waypoint', 'count': 3 })]);
    expect(e).toEqual({
      ref: 'ServiceEntry/egress/api',
      namespace: 'egress',
      name: 'api',
      hosts: ['api.example.com', 'files.example.com'],
      location: 'MESH_INTERNAL',
      ports: [
        { number: 80, targetPort: 443, name: 'http', protocol: 'http' },
        { number: 7000, targetPort: 7000, name: undefined, protocol: 'auto' },
        { number: 8443, targetPort: 8443, name: 'tls-alt', protocol: 'tcp' },
        { number: 9000, targetPort: 9000, name: 'grpc-api', protocol: 'grpc' },
      ],
      labels: { 'istio.io/use-waypoint': 'waypoint' },
      exportTo: ['.', 'shop'],
    });
  });

  test('defaults: MESH_EXTERNAL, no exportTo (every namespace), namespace default', () => {
    const o = entry('x', 'plain', { hosts: ['a.example.com'] });
    delete o.metadata.namespace;
    expect(parseServiceEntries([o])).toEqual([{
      ref: 'ServiceEntry/default/plain', namespace: 'default', name: 'plain', hosts: ['a.example.com'], location: 'MESH_EXTERNAL', ports: [], labels: {}, exportTo: undefined,
    }]);
  });

  test('odd shapes are skipped field by field, never thrown on', () => {
    const odd = [
      entry('egress', 'odd', { hosts: ['', 7, null, 'ok.example.com'], ports: [null, 'x', { number: 1.5 }, { number: '80' }, { number: 443, targetPort: 0 }, { number: 444, targetPort: -3 }], exportTo: [1, '*'] }),
      entry('egress', 'no-spec', null),
      entry('egress', 'string-lists', { hosts: 'a.example.com', ports: 'x', exportTo: '*', location: 5 }),
    ];
    expect(parseServiceEntries(odd).map(({ name, hosts, ports, exportTo, location }) => ({ name, hosts, ports, exportTo, location }))).toEqual([
      { name: 'no-spec', hosts: [], ports: [], exportTo: undefined, location: 'MESH_EXTERNAL' },
      {
        name: 'odd',
        hosts: ['ok.example.com'],
        ports: [{ number: 443, targetPort: 443, name: undefined, protocol: 'auto' }, { number: 444, targetPort: 444, name: undefined, protocol: 'auto' }],
        exportTo: ['1', '*'],
        location: 'MESH_EXTERNAL',
      },
      { name: 'string-lists', hosts: [], ports: [], exportTo: undefined, location: 'MESH_EXTERNAL' },
    ]);
  });

  test('only networking.istio.io ServiceEntries with a name, sorted by reference', () => {
    const objects = [
      entry('b', 'z', {}), entry('a', 'y', {}), entry('b', 'a', {}),
      { ...entry('a', 'other-group', {}), apiVersion: 'example.com/v1' },
      { ...entry('a', 'wrong-kind', {}), kind: 'WorkloadEntry' },
      { ...entry('a', 'x', {}), metadata: { namespace: 'a' } },
      null, 'ServiceEntry',
    ];
    expect(parseServiceEntries(objects).map((e) => e.ref)).toEqual(['ServiceEntry/a/y', 'ServiceEntry/b/a', 'ServiceEntry/b/z']);
  });
});

describe('exportedTo', () => {
  const withExport = (exportTo?: string[]): ExternalEntry => parseServiceEntries([entry('egress', 'api', { hosts: ['a.example.com'], ...(exportTo ? { exportTo } : {}) })])[0];

  test.each<[string, string[] | undefined, string, boolean]>([
    ['no exportTo: every namespace', undefined, 'shop', true],
    ['"*"', ['*'], 'shop', true],
    ['"." to its own namespace', ['.'], 'egress', true],
    ['"." to another namespace', ['.'], 'shop', false],
    ['a named namespace', ['shop'], 'shop', true],
    ['another named namespace', ['bank'], 'shop', false],
    ['its own namespace by name', ['egress'], 'egress', true],
    ['"~": no namespace', ['~'], 'egress', false],
    ['"." and a name', ['.', 'shop'], 'shop', true],
  ])('%s (to %s)', (_what, exportTo, namespace, exported) => {
    expect(exportedTo(withExport(exportTo), namespace)).toBe(exported);
  });
});

describe('parseSidecars', () => {
  test('reads the selector, the egress hosts of every listener and the outbound traffic policy', () => {
    expect(parseSidecars([sidecar('shop', 'web', {
      workloadSelector: { labels: { app: 'web', n: 1 } },
      egress: [{ hosts: ['./*', 7] }, { port: { number: 443 }, hosts: ['egress/api.example.com'] }, 'bad', { port: { number: 80 } }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    })])).toEqual([{
      ref: 'Sidecar/shop/web', namespace: 'shop', selector: { app: 'web' }, egressHosts: ['./*', 'egress/api.example.com'], outboundMode: 'REGISTRY_ONLY',
    }]);
  });

  test('no egress section (or an empty one): egressHosts absent, everything exported is imported; no selector: absent', () => {
    expect(parseSidecars([
      sidecar('shop', 'a', { egress: [] }),
      sidecar('shop', 'b', { workloadSelector: { labels: {} }, outboundTrafficPolicy: { mode: 7 } }),
      sidecar('shop', 'c', null),
    ])).toEqual([
      { ref: 'Sidecar/shop/a', namespace: 'shop' },
      { ref: 'Sidecar/shop/b', namespace: 'shop' },
      { ref: 'Sidecar/shop/c', namespace: 'shop' },
    ]);
  });

  test('an egress section whose listeners name no host imports nothing', () => {
    expect(parseSidecars([sidecar('shop', 'a', { egress: [{ port: { number: 80 } }] })])[0].egressHosts).toEqual([]);
  });

  test('only networking.istio.io Sidecars, sorted by reference', () => {
    const objects = [sidecar('shop', 'z', {}), sidecar('bank', 'a', {}), { ...sidecar('shop', 'b', {}), apiVersion: 'v1' }, sidecar('shop', 'c', {})];
    expect(parseSidecars(objects).map((s) => s.ref)).toEqual(['Sidecar/bank/a', 'Sidecar/shop/c', 'Sidecar/shop/z']);
  });
});

describe('sidecarFor: which Sidecar applies to a workload', () => {
  const scopes = parseSidecars([
    sidecar(ROOT, 'mesh-default', {}),
    sidecar(ROOT, 'mesh-selected', { workloadSelector: { labels: { app: 'web' } } }),
    sidecar('shop', 'ns-default', {}),
    sidecar('shop', 'web', { workloadSelector: { labels: { app: 'web' } } }),
    sidecar('shop', 'web-v2', { workloadSelector: { labels: { app: 'web', version: 'v2' } } }),
    sidecar('shop', 'a-web', { workloadSelector: { labels: { app: 'web' } } }),
  ]);
  const refOf = (w: Workload, root = ROOT) => sidecarFor(scopes, w, root)?.ref;

  test('one of its namespace that selects it, the first by name among several', () => {
    expect(refOf(pods('shop', { app: 'web' }))).toBe('Sidecar/shop/a-web');
    expect(refOf(pods('shop', { app: 'web', version: 'v2' }))).toBe('Sidecar/shop/a-web');
  });

  test('else its namespace\'s Sidecar without selector', () => {
    expect(refOf(pods('shop', { app: 'api' }))).toBe('Sidecar/shop/ns-default');
  });

  test('else the root namespace\'s Sidecar without selector (never a selecting one of the root namespace)', () => {
    expect(refOf(pods('bank', { app: 'web' }))).toBe(`Sidecar/${ROOT}/mesh-default`);
  });

  test('in the root namespace itself, its selecting Sidecar applies', () => {
    expect(refOf(pods(ROOT, { app: 'web' }))).toBe(`Sidecar/${ROOT}/mesh-selected`);
  });

  test('none when the root namespace has no default Sidecar', () => {
    expect(refOf(pods('bank'), 'mesh-root')).toBeUndefined();
    expect(sidecarFor([], pods('shop'), ROOT)).toBeUndefined();
  });
});

describe('sidecarSees: does the caller\'s sidecar know the host?', () => {
  const api = parseServiceEntries([entry('egress', 'api', { hosts: ['api.example.com', 'files.example.org'] })])[0];
  const onlyShop = parseServiceEntries([entry('egress', 'api', { hosts: ['api.example.com'], exportTo: ['shop', '.'] })])[0];
  const importing = (...hosts: string[]): SidecarScope[] => parseSidecars([sidecar('shop', 'default', { egress: [{ hosts }] })]);

  test('no Sidecar and exported everywhere: seen', () => {
    expect(sidecarSees([], pods('shop'), api, 'api.example.com', ROOT)).toEqual({ sees: true, why: 'ServiceEntry/egress/api is exported to namespace shop', scope: undefined });
  });

  test('not exported to the caller\'s namespace: not seen, whatever the Sidecar imports', () => {
    const scope = importing('*/*');
    expect(sidecarSees(scope, pods('bank'), onlyShop, 'api.example.com', ROOT)).toEqual({
      sees: false, why: 'ServiceEntry/egress/api is not exported to namespace bank (exportTo [shop, .])', scope: undefined,
    });
    expect(sidecarSees(scope, pods('shop'), onlyShop, 'api.example.com', ROOT)).toEqual({
      sees: true, why: 'ServiceEntry/egress/api is exported to namespace shop and Sidecar/shop/default imports it', scope: scope[0],
    });
  });

  test.each<[string, string, string, boolean]>([
    ['*/*', 'api.example.com', 'every namespace, every host', true],
    ['egress/*', 'api.example.com', 'the entry\'s namespace, every host', true],
    ['egress/api.example.com', 'api.example.com', 'the exact host', true],
    ['egress/API.Example.com', 'api.example.com', 'the exact host, case-insensitively', true],
    ['egress/*.example.com', 'api.example.com', 'a wildcard over the host\'s domain', true],
    ['egress/*.example.com', 'files.example.org', 'a wildcard over another domain', false],
    ['*/files.example.org', 'files.example.org', 'any namespace, the exact host', true],
    ['egress/api.example.com', 'files.example.org', 'another host of the entry', false],
    ['shop/*', 'api.example.com', 'another namespace', false],
    ['./*', 'api.example.com', '"." is the Sidecar\'s namespace, not the entry\'s', false],
    ['~/*', 'api.example.com', '"~" imports nothing', false],
    ['api.example.com', 'api.example.com', 'a host without namespace/ is not an import', false],
  ])('egress host %p, request for %p: %s', (pattern, host, _what, seen) => {
    const scope = importing(pattern);
    expect(sidecarSees(scope, pods('shop'), api, host, ROOT)).toEqual(seen
      ? { sees: true, why: 'ServiceEntry/egress/api is exported to namespace shop and Sidecar/shop/default imports it', scope: scope[0] }
      : { sees: false, why: `Sidecar/shop/default does not import egress/${host} (egress hosts [${pattern}])`, scope: scope[0] });
  });

  test('"." imports an entry of the Sidecar\'s own namespace', () => {
    const local = parseServiceEntries([entry('shop', 'local', { hosts: ['db.example.com'] })])[0];
    expect(sidecarSees(importing('./*'), pods('shop'), local, 'db.example.com', ROOT).sees).toBe(true);
  });

  test('the root namespace\'s default Sidecar applies to a namespace without one, and its "." is the root namespace', () => {
    const root = parseSidecars([sidecar(ROOT, 'default', { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } })]);
    expect(sidecarSees(root, pods('shop'), api, 'api.example.com', ROOT)).toEqual({
      sees: false, why: `Sidecar/${ROOT}/default does not import egress/api.example.com (egress hosts [./*, istio-system/*])`, scope: root[0],
    });
    expect(sidecarSees(root, pods('shop'), api, 'api.example.com', ROOT).scope?.outboundMode).toBe('REGISTRY_ONLY');
  });

  test('a Sidecar without egress section imports every exported host, and sees says so without naming it', () => {
    const open = parseSidecars([sidecar('shop', 'default', { outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })]);
    expect(sidecarSees(open, pods('shop'), api, 'files.example.org', ROOT)).toEqual({
      sees: true, why: 'ServiceEntry/egress/api is exported to namespace shop', scope: open[0],
    });
  });
});

describe('exportTo: [] is unset', () => {
  test('an empty list exports the entry everywhere, as Istio reads it (only a non-empty list narrows)', () => {
    const [parsed] = parseServiceEntries([{
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'api', namespace: 'egress' },
      spec: { hosts: ['api.example.com'], exportTo: [], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] },
    }] as any);
    expect(parsed.exportTo).toBeUndefined();
    expect(exportedTo(parsed, 'shop')).toBe(true);
  });
});
