import * as fc from 'fast-check';
import { parse, stringify } from 'yaml';
import {
  CONTRACT_API_VERSION, CONTRACT_KIND, CONTRACT_SCHEMA, CONTRACT_VERSION, ContractDocument, ContractExternalHost, ContractIngressGateway,
  ContractNamespace, parseContract, renderContract,
} from '../../src/contract/contract-document';

const SOURCE = 'platform/mesh-contract.yaml';

/** A document with every optional field set. */
const FULL: ContractDocument = {
  apiVersion: CONTRACT_API_VERSION,
  kind: CONTRACT_KIND,
  contractVersion: CONTRACT_VERSION,
  mesh: {
    trustDomain: 'retail.example.com',
    rootNamespace: 'istio-system',
    controlPlaneNamespace: 'istio-cp',
    revision: 'canary',
    allowedRegistries: ['gcr.io/acme', 'docker.io/istio'],
    proxyImageRepositories: ['docker.io/istio/proxyv2'],
    monitoringNamespace: 'monitoring',
    monitoringPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    ambient: true,
    defaultDataPlane: 'sidecar',
  },
  meshAdminGroups: ['mesh-admins'],
  operatorGroups: ['auditors', 'security-admins'],
  ruleSet: '1',
  maxExceptionDays: 30,
  appNamespaces: [
    { name: 'team-a', dataPlane: 'sidecar', podSecurityVersion: 'v1.30', allowedRegistries: ['gcr.io/acme/team-a'], sensitiveData: false, metricsScrapingPorts: [15020, 15090] },
    { name: 'team-b', dataPlane: 'ambient', podSecurityVersion: 'latest', allowedRegistries: ['gcr.io/acme'], sensitiveData: true, metricsScrapingPorts: [] },
  ],
  ingressGateways: [{
    name: 'edge',
    namespace: 'istio-system',
    api: 'istio',
    serviceAccountName: 'istio-ingressgateway-service-account',
    podLabels: { istio: 'ingressgateway' },
    hosts: ['shop.acme.example'],
    externalIssuers: [{
      issuer: 'https://login.acme.example',
      jwksUri: 'https://login.acme.example/jwks.json',
      audiences: ['shop'],
      outputClaimToHeaders: [{ claim: 'sub', header: 'x-jwt-sub' }],
    }],
    tokenExchange: { provider: 'sts', internalIssuer: { issuer: 'https://sts.mesh.acme.example', jwksUri: 'https://sts.mesh.acme.example/jwks.json', audiences: ['web'] } },
    routes: [{ service: 'team-a/web', host: 'shop.acme.example', port: 8080, paths: ['/', '/cart/*'], methods: ['GET', 'POST'], publicAccess: false }],
  }],
  externalHosts: [
    {
      host: 'api.example.com',
      port: 443,
      via: { kind: 'EgressGateway', namespace: 'istio-system', podLabels: { istio: 'egressgateway' }, port: 8443, serviceHost: 'istio-egressgateway.istio-system.svc.cluster.local' },
      callers: ['retail.example.com/ns/team-a/sa/fetcher'],
    },
    {
      host: 'books.example.com',
      port: 443,
      via: { kind: 'AmbientEgressGateway', namespace: 'istio-egress', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' }, port: 15008 },
      callers: ['retail.example.com/ns/team-b/sa/reader'],
    },
  ],
};

/** FULL as YAML, changed by `edit` (a plain JSON copy). */
function edited(edit: (doc: any) => void): string {
  const doc = JSON.parse(JSON.stringify(FULL));
  edit(doc);
  return stringify(doc);
}

/** The message of parsing `text`, which must throw. */
function problem(text: string): string {
  try {
    parseContract(text, SOURCE);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('parseContract did not throw');
}

describe('the mesh contract document', () => {
  describe('render and parse', () => {
    test('round trip: parse(render(doc)) is doc, and rendering it again gives the same bytes', () => {
      const text = renderContract(FULL);
      expect(parseContract(text, SOURCE)).toEqual(FULL);
      expect(renderContract(parseContract(text, SOURCE))).toBe(text);
    });

    test('a header says what the file is and that it is generated; the document follows in field order', () => {
      const text = renderContract(FULL);
      const lines = text.split('\n');
      expect(lines.slice(0, 4).every((l) => l.startsWith('# '))).toBe(true);
      expect(text).toContain('MeshContract.yamlOf(app)');
      expect(text).toContain('Do not edit');
      expect(lines[4]).toBe(`apiVersion: ${CONTRACT_API_VERSION}`);
      expect(lines[5]).toBe(`kind: ${CONTRACT_KIND}`);
      expect(lines[6]).toBe(`contractVersion: ${CONTRACT_VERSION}`);
      expect(text.endsWith('\n')).toBe(true);
    });

    test('strings YAML would read as something else stay strings (ruleSet "1", a version "1.30", "yes")', () => {
      const doc: ContractDocument = {
        ...FULL, ruleSet: '2', mesh: { ...FULL.mesh, monitoringPodLabels: { enabled: 'yes', v: '1.30', n: '0123', empty: '' } },
      };
      expect(parseContract(renderContract(doc), SOURCE)).toEqual(doc);
    });

    test('optional fields left out are absent after parsing', () => {
      const { ruleSet: _r, ...noRuleSet } = FULL;
      const { revision: _v, monitoringNamespace: _m, monitoringPodLabels: _l, ...mesh } = FULL.mesh;
      const { tokenExchange: _t, ...gateway } = FULL.ingressGateways[0];
      const doc = {
        ...noRuleSet, mesh, ingressGateways: [{ ...gateway, externalIssuers: [] }], appNamespaces: [], externalHosts: [],
      } as ContractDocument;
      const parsed = parseContract(renderContract(doc), SOURCE);
      expect(parsed).toEqual(doc);
      expect('ruleSet' in parsed).toBe(false);
      expect('revision' in parsed.mesh).toBe(false);
    });

    test('the schema is closed at every level (an unknown field is an error, never ignored)', () => {
      const closedObjects: string[] = [];
      const walk = (schema: any, at: string) => {
        if (schema === null || typeof schema !== 'object') return;
        if (schema.type === 'object' && schema.properties) {
          if (schema.additionalProperties !== false) closedObjects.push(`${at} is open`);
          for (const [k, v] of Object.entries(schema.properties)) walk(v, `${at}.${k}`);
        }
        if (schema.items) walk(schema.items, `${at}[]`);
      };
      walk(CONTRACT_SCHEMA, '(document)');
      expect(closedObjects).toEqual([]);
    });
  });

  describe('errors name the source and the field', () => {
    const prefix = `${SOURCE}: not a MeshContract this library reads: `;
    const suffix = '. Write it with MeshContract.yamlOf(app) in the platform repository';

    test('an unknown field, at any level', () => {
      expect(problem(edited((d) => { d.extra = 1; }))).toBe(`${prefix}(document): unknown field "extra"${suffix}`);
      expect(problem(edited((d) => { d.mesh.trustDomian = 'x'; }))).toContain('mesh: unknown field "trustDomian"');
      expect(problem(edited((d) => { d.appNamespaces[1].viewers = []; }))).toContain('appNamespaces[1]: unknown field "viewers"');
      expect(problem(edited((d) => { d.ingressGateways[0].routes[0].timeout = '5s'; }))).toContain('ingressGateways[0].routes[0]: unknown field "timeout"');
      expect(problem(edited((d) => { d.externalHosts[0].via.tls = true; }))).toContain('externalHosts[0].via: unknown field "tls"');
    });

    test('a missing field', () => {
      expect(problem(edited((d) => { delete d.meshAdminGroups; }))).toBe(`${prefix}(document): missing "meshAdminGroups"${suffix}`);
      expect(problem(edited((d) => { delete d.mesh.trustDomain; }))).toContain('mesh: missing "trustDomain"');
      expect(problem(edited((d) => { delete d.appNamespaces[0].dataPlane; }))).toContain('appNamespaces[0]: missing "dataPlane"');
      expect(problem(edited((d) => { delete d.externalHosts[1].callers; }))).toContain('externalHosts[1]: missing "callers"');
      expect(problem(edited((d) => { delete d.ingressGateways[0].tokenExchange.internalIssuer.jwksUri; })))
        .toContain('ingressGateways[0].tokenExchange.internalIssuer: missing "jwksUri"');
    });

    test('a value outside an enum (dataPlane, via.kind)', () => {
      expect(problem(edited((d) => { d.appNamespaces[0].dataPlane = 'SIDECAR'; }))).toBe(`${prefix}appNamespaces[0].dataPlane: must be one of sidecar, ambient${suffix}`);
      expect(problem(edited((d) => { d.mesh.defaultDataPlane = 'proxyless'; }))).toContain('mesh.defaultDataPlane: must be one of sidecar, ambient');
      expect(problem(edited((d) => { d.externalHosts[0].via.kind = 'Waypoint'; }))).toContain('externalHosts[0].via.kind: must be one of EgressGateway, AmbientEgressGateway');
    });

    test('a bad port', () => {
      expect(problem(edited((d) => { d.ingressGateways[0].routes[0].port = 0; }))).toContain('ingressGateways[0].routes[0].port: must be >= 1');
      expect(problem(edited((d) => { d.externalHosts[0].port = 70000; }))).toContain('externalHosts[0].port: must be <= 65535');
      expect(problem(edited((d) => { d.externalHosts[1].via.port = '15008'; }))).toContain('externalHosts[1].via.port: must be integer');
      expect(problem(edited((d) => { d.appNamespaces[0].metricsScrapingPorts = [15020.5]; }))).toContain('appNamespaces[0].metricsScrapingPorts[0]: must be integer');
    });

    test('other wrong values: a name that is not a DNS label, a route service without its namespace, a type', () => {
      expect(problem(edited((d) => { d.appNamespaces[0].name = 'Team_A'; }))).toContain('appNamespaces[0].name: must match pattern');
      expect(problem(edited((d) => { d.ingressGateways[0].routes[0].service = 'web'; }))).toContain('ingressGateways[0].routes[0].service: must match pattern');
      expect(problem(edited((d) => { d.mesh.ambient = 'yes'; }))).toContain('mesh.ambient: must be boolean');
      expect(problem(edited((d) => { d.maxExceptionDays = 0; }))).toContain('maxExceptionDays: must be >= 1');
      expect(problem(edited((d) => { d.meshAdminGroups = ['']; }))).toContain('meshAdminGroups[0]: must NOT have fewer than 1 characters');
    });

    test('every problem is listed, sorted, each once', () => {
      const message = problem(edited((d) => { d.extra = 1; delete d.operatorGroups; d.appNamespaces[0].dataPlane = 'x'; }));
      expect(message).toBe(`${prefix}(document): missing "operatorGroups"; (document): unknown field "extra"; appNamespaces[0].dataPlane: must be one of sidecar, ambient${suffix}`);
    });

    test('the wrong apiVersion or kind', () => {
      expect(problem(edited((d) => { d.apiVersion = 'secure-mesh.cdk8s.io/v1'; }))).toBe(`${prefix}apiVersion: must be "${CONTRACT_API_VERSION}"${suffix}`);
      expect(problem(edited((d) => { d.kind = 'SecureMeshConfig'; }))).toBe(`${prefix}kind: must be "${CONTRACT_KIND}"${suffix}`);
    });

    test('a contractVersion newer than this library reads: upgrade, whatever else the document says', () => {
      expect(problem(edited((d) => { d.contractVersion = CONTRACT_VERSION + 1; d.newField = { anything: true }; }))).toBe(
        `${SOURCE}: contractVersion ${CONTRACT_VERSION + 1} is newer than this library reads (${CONTRACT_VERSION}). Upgrade cdk8s-secure-mesh to the version the platform repository uses`);
    });

    test('an older or malformed contractVersion is a field error', () => {
      expect(problem(edited((d) => { d.contractVersion = 0; }))).toBe(`${prefix}contractVersion: must be ${CONTRACT_VERSION}${suffix}`);
      expect(problem(edited((d) => { d.contractVersion = '2'; }))).toContain(`contractVersion: must be ${CONTRACT_VERSION}`);
    });

    test('not YAML, or not a mapping', () => {
      expect(problem('mesh: [unclosed')).toMatch(new RegExp(`^${SOURCE.replace(/[./]/g, '\\$&')}: not valid YAML: `));
      expect(problem('- a list')).toBe(`${prefix}(document): must be object${suffix}`);
      expect(problem('')).toBe(`${prefix}(document): must be object${suffix}`);
      expect(problem('just a string')).toContain('(document): must be object');
    });
  });

  describe('property-based', () => {
    const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,8}[a-z0-9])?$/);
    /** Non-empty strings, often ones YAML would read as something else when written plain. */
    const tricky = ['yes', 'no', 'null', '~', 'true', '1', '1.30', '0123', '0x1F', '1e3', '- x', 'a: b', '#c', ' x ', '"q"', "'s'", '*a', '&a', '!t', '%x', '@x',
      '`x', '{}', '[]', '?', 'multi\nline', 'tab\tx', 'é'];
    const text = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom(...tricky));
    const texts = fc.array(text, { maxLength: 3 });
    const labels = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9./-]{0,10}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 });
    const port = fc.integer({ min: 1, max: 65535 });
    const plane = fc.constantFrom('sidecar', 'ambient');
    const namespace: fc.Arbitrary<ContractNamespace> = fc.record({
      name: label,
      dataPlane: plane,
      podSecurityVersion: text,
      allowedRegistries: texts,
      sensitiveData: fc.boolean(),
      metricsScrapingPorts: fc.array(port, { maxLength: 2 }),
    });
    const issuer = fc.record({
      issuer: text,
      jwksUri: text,
      audiences: texts,
      outputClaimToHeaders: fc.array(fc.record({ claim: text, header: text }), { maxLength: 2 }),
    }, { requiredKeys: ['issuer', 'jwksUri', 'audiences'] });
    const gateway: fc.Arbitrary<ContractIngressGateway> = fc.record({
      name: label,
      namespace: label,
      api: fc.constantFrom('istio' as const, 'gateway-api' as const),
      serviceAccountName: text,
      podLabels: labels,
      hosts: texts,
      externalIssuers: fc.array(issuer, { maxLength: 2 }),
      tokenExchange: fc.record({ provider: text, internalIssuer: fc.record({ issuer: text, jwksUri: text, audiences: texts }) }),
      routes: fc.array(fc.record({
        service: fc.tuple(label, label).map(([n, s]) => `${n}/${s}`), host: text, port, paths: texts, methods: texts, publicAccess: fc.boolean(),
      }), { maxLength: 2 }),
    }, { requiredKeys: ['name', 'namespace', 'api', 'serviceAccountName', 'podLabels', 'hosts', 'externalIssuers', 'routes'] });
    const external: fc.Arbitrary<ContractExternalHost> = fc.record({
      host: text,
      port,
      via: fc.record({
        kind: fc.constantFrom('EgressGateway' as const, 'AmbientEgressGateway' as const), namespace: label, podLabels: labels, port, serviceHost: text,
      }, { requiredKeys: ['kind', 'namespace', 'podLabels', 'port'] }),
      callers: texts,
    });
    const doc: fc.Arbitrary<ContractDocument> = fc.record({
      apiVersion: fc.constant(CONTRACT_API_VERSION),
      kind: fc.constant(CONTRACT_KIND),
      contractVersion: fc.constant(CONTRACT_VERSION),
      mesh: fc.record({
        trustDomain: text,
        rootNamespace: label,
        controlPlaneNamespace: label,
        revision: label,
        allowedRegistries: texts,
        proxyImageRepositories: texts,
        monitoringNamespace: label,
        monitoringPodLabels: labels,
        ambient: fc.boolean(),
        defaultDataPlane: plane,
      }, { requiredKeys: ['trustDomain', 'rootNamespace', 'controlPlaneNamespace', 'allowedRegistries', 'proxyImageRepositories', 'ambient', 'defaultDataPlane'] }),
      meshAdminGroups: texts,
      operatorGroups: texts,
      ruleSet: text,
      maxExceptionDays: fc.integer({ min: 1, max: 365 }),
      appNamespaces: fc.array(namespace, { maxLength: 2 }),
      ingressGateways: fc.array(gateway, { maxLength: 2 }),
      externalHosts: fc.array(external, { maxLength: 2 }),
    }, {
      requiredKeys: ['apiVersion', 'kind', 'contractVersion', 'mesh', 'meshAdminGroups', 'operatorGroups', 'maxExceptionDays', 'appNamespaces',
        'ingressGateways', 'externalHosts'],
    });

    test('parse(render(x)) deep-equals x, and rendering is deterministic', () => {
      fc.assert(fc.property(doc, (x) => {
        const rendered = renderContract(x);
        expect(renderContract(x)).toBe(rendered);
        expect(renderContract(JSON.parse(JSON.stringify(x)))).toBe(rendered);
        const back = parseContract(rendered, SOURCE);
        expect(back).toEqual(x);
        expect(renderContract(back)).toBe(rendered);
      }), { numRuns: 100 });
    });

    test('the rendered YAML is the document (no header line leaks into it)', () => {
      fc.assert(fc.property(doc, (x) => {
        expect(parse(renderContract(x))).toEqual(JSON.parse(JSON.stringify(x)));
      }), { numRuns: 50 });
    });
  });
});
