import { ErrorObject } from 'ajv';
import { CrdCatalog, pinnedCrdCatalog, pinnedCrdSource, pinnedGatewayApiCatalog, pinnedGatewayApiSource, toStrictSchema } from '../../src/validation/crd-catalog';
import { describeWithShared } from '../shared';

const catalog = pinnedCrdCatalog();

describeWithShared('crds/istio/istio-1.30.3-crds.yaml', 'the generated catalog is the pinned upstream file', (file) => {
  test('same served versions and schemas as parsing the upstream YAML', () => {
    const upstream = CrdCatalog.fromFile(file);
    expect(catalog.versions()).toEqual(upstream.versions());
    expect(catalog.versions().length).toBeGreaterThan(30);
  });

  test('it records the release and checksum it was built from', () => {
    expect(pinnedCrdSource()).toMatchObject({ project: 'istio/istio', version: '1.30.3', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

function errorsOf(apiVersion: string, kind: string, spec: unknown): ErrorObject[] {
  const [group, version] = apiVersion.split('/');
  const crd = catalog.lookup(group, version, kind);
  if (!crd) throw new Error(`${apiVersion} ${kind} not served`);
  return catalog.validate(crd, { apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec });
}

function celMessages(errors: ErrorObject[]): string[] {
  return errors.filter((e) => e.keyword === 'x-kubernetes-validations').map((e) => `${e.instancePath}: ${e.message}`);
}

describe('CrdCatalog of the pinned Istio 1.30.3 CRDs', () => {
  test('serves the Istio kinds in their served versions only', () => {
    expect(catalog.lookup('security.istio.io', 'v1', 'AuthorizationPolicy')?.namespaced).toBe(true);
    expect(catalog.servedVersions('networking.istio.io', 'Sidecar').sort()).toEqual(['v1', 'v1alpha3', 'v1beta1']);
    expect(catalog.lookup('security.istio.io', 'v2', 'AuthorizationPolicy')).toBeUndefined();
    expect(catalog.hasKind('networking.istio.io', 'Gateway')).toBe(true);
    expect(catalog.hasKind('gateway.networking.k8s.io', 'Gateway')).toBe(false);
  });

  test('a valid mesh-wide STRICT PeerAuthentication passes', () => {
    expect(errorsOf('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'STRICT' } })).toEqual([]);
  });

  describe('schema failures', () => {
    test('unknown field (strict field validation)', () => {
      const errors = errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{ from: [{ source: { principalz: ['a'] } }] }] });
      expect(errors).toEqual([expect.objectContaining({ keyword: 'additionalProperties', instancePath: '/spec/rules/0/from/0/source', params: { additionalProperty: 'principalz' } })]);
    });

    test('unknown top-level field', () => {
      const crd = catalog.lookup('security.istio.io', 'v1', 'PeerAuthentication')!;
      expect(catalog.validate(crd, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'x' }, specs: {} }))
        .toEqual([expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'specs' } })]);
    });

    test('bad enum', () => {
      expect(errorsOf('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'STRICTEST' } }))
        .toEqual([expect.objectContaining({ keyword: 'enum', instancePath: '/spec/mtls/mode' })]);
    });

    test('wrong type: AuthorizationPolicy ports are strings', () => {
      expect(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{ to: [{ operation: { ports: [7070] } }] }] }))
        .toEqual([expect.objectContaining({ keyword: 'type', instancePath: '/spec/rules/0/to/0/operation/ports/0', params: { type: 'string' } })]);
    });

    test('required field missing: ServiceEntry hosts', () => {
      expect(errorsOf('networking.istio.io/v1', 'ServiceEntry', { ports: [{ number: 443, name: 'https', protocol: 'TLS' }] }))
        .toEqual(expect.arrayContaining([expect.objectContaining({ keyword: 'required', params: { missingProperty: 'hosts' } })]));
    });

    test('maxItems: serviceAccounts holds at most 16', () => {
      const serviceAccounts = Array.from({ length: 17 }, (_, i) => `ns/sa${i}`);
      expect(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{ from: [{ source: { serviceAccounts } }] }] }))
        .toEqual([expect.objectContaining({ keyword: 'maxItems' })]);
    });
  });

  describe('CEL rule families', () => {
    test('port out of range (ServiceEntry)', () => {
      expect(celMessages(errorsOf('networking.istio.io/v1', 'ServiceEntry', { hosts: ['api.example.com'], ports: [{ number: 70000, name: 'https', protocol: 'TLS' }], resolution: 'DNS' })))
        .toEqual(['/spec/ports/0/number: port must be between 1-65535']);
    });

    test('wildcard in selector keys', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { selector: { matchLabels: { 'app*': 'x' } } })))
        .toEqual(['/spec/selector/matchLabels: wildcard not allowed in label key match']);
    });

    test('wildcard in selector values', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { selector: { matchLabels: { app: '*' } } })))
        .toEqual([expect.stringMatching(/^\/spec\/selector\/matchLabels\/app: wildcard not allowed in label value match/)]);
    });

    test('selector together with targetRef', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { selector: { matchLabels: { app: 'a' } }, targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' } })))
        .toEqual(['/spec: only one of targetRefs or selector can be set']);
    });

    test('portLevelMtls without selector', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'PeerAuthentication', { mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'STRICT' } } })))
        .toEqual(['/spec: portLevelMtls requires selector']);
    });

    test('portLevelMtls key out of range', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'PeerAuthentication', { selector: { matchLabels: { app: 'a' } }, portLevelMtls: { 0: { mode: 'STRICT' } } })))
        .toEqual(['/spec/portLevelMtls: port must be between 1-65535']);
    });

    test('jwksUri not http(s)', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'RequestAuthentication', { jwtRules: [{ issuer: 'https://issuer', jwksUri: 'ftp://issuer/jwks' }] })))
        .toEqual(['/spec/jwtRules/0/jwksUri: url must have scheme http:// or https://']);
    });

    test('serviceAccounts combined with principals', () => {
      expect(celMessages(errorsOf('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{ from: [{ source: { serviceAccounts: ['ns/sa'], principals: ['x'] } }] }] })))
        .toEqual(['/spec/rules/0/from/0/source: Cannot set serviceAccounts with namespaces or principals']);
    });

    test('ServiceEntry host "*" and duplicated port numbers', () => {
      const messages = celMessages(errorsOf('networking.istio.io/v1', 'ServiceEntry', {
        hosts: ['*'],
        resolution: 'DNS',
        ports: [{ number: 443, name: 'a', protocol: 'TLS' }, { number: 443, name: 'b', protocol: 'TLS' }],
      }));
      expect(messages).toEqual(expect.arrayContaining(['/spec/hosts/0: hostname cannot be wildcard', '/spec/ports: port number cannot be duplicated']));
    });

    test('durations below 1ms', () => {
      expect(celMessages(errorsOf('networking.istio.io/v1', 'DestinationRule', { host: 'reviews', trafficPolicy: { connectionPool: { tcp: { connectTimeout: '0.5ms' } } } })))
        .toEqual(['/spec/trafficPolicy/connectionPool/tcp/connectTimeout: must be a valid duration greater than 1ms']);
    });

    test('a value a rule cannot evaluate is an error, not a skip', () => {
      const errors = errorsOf('networking.istio.io/v1', 'DestinationRule', { host: 'reviews', trafficPolicy: { connectionPool: { tcp: { connectTimeout: 'soon' } } } });
      expect(errors).toEqual([expect.objectContaining({ keyword: 'x-kubernetes-validations', params: expect.objectContaining({ evaluationError: true }) })]);
    });
  });

  test('a CRD from YAML text with CEL and list-type set', () => {
    const custom = CrdCatalog.fromYaml(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Cluster
  names: { kind: Widget, plural: widgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "self.min <= self.max"
                  message: "min must not exceed max"
              properties:
                min: { type: integer }
                max: { type: integer }
                tags: { type: array, items: { type: string }, x-kubernetes-list-type: set }
                free: { type: object, x-kubernetes-preserve-unknown-fields: true, properties: { a: { type: string } } }
    - name: v0
      served: false
      storage: false
`);
    const crd = custom.lookup('example.com', 'v1', 'Widget')!;
    expect(crd.namespaced).toBe(false);
    expect(custom.lookup('example.com', 'v0', 'Widget')).toBeUndefined();
    const ok = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { min: 1, max: 2, tags: ['a'], free: { b: 1 } } };
    expect(custom.validate(crd, ok)).toEqual([]);
    const bad = { ...ok, spec: { min: 3, max: 2, tags: ['a', 'a'] } };
    expect(custom.validate(crd, bad).map((e) => e.message)).toEqual([
      'min must not exceed max',
      expect.stringMatching(/Duplicate value: item 1 repeats item 0/),
    ]);
  });

  test('combine serves the versions of several catalogs, and refuses two schemas for one kind and version', () => {
    const widgets = (version: string) => CrdCatalog.fromVersions([{ group: 'example.com', version, kind: 'Widget', namespaced: true, schema: { type: 'object' } }]);
    const both = CrdCatalog.combine(widgets('v1'), widgets('v2'));
    expect(both.servedVersions('example.com', 'Widget')).toEqual(['v1', 'v2']);
    expect(CrdCatalog.combine(catalog, widgets('v1')).versions().length).toBe(catalog.versions().length + 1);
    expect(() => CrdCatalog.combine(widgets('v1'), widgets('v1'))).toThrow(/CrdCatalog\.combine: example\.com\/v1 Widget is served by more than one catalog/);
  });

  test('toStrictSchema closes declared objects and admits the type meta at the root', () => {
    const strict = toStrictSchema({ type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } }) as any;
    expect(strict.additionalProperties).toBe(false);
    expect(strict.properties.spec.additionalProperties).toBe(false);
    expect(Object.keys(strict.properties)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect((toStrictSchema({ type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true } } }) as any).properties.p.anyOf)
      .toEqual([{ type: 'integer' }, { type: 'string' }]);
  });
});

describeWithShared('crds/gateway-api/gateway-api-v1.5.1-standard-crds.yaml', 'the generated Gateway API catalog is the pinned upstream file', (file) => {
  test('same served versions and schemas as parsing the upstream YAML; it records the release and checksum', () => {
    expect(pinnedGatewayApiCatalog().versions()).toEqual(CrdCatalog.fromFile(file).versions());
    expect(pinnedGatewayApiSource()).toMatchObject({ project: 'kubernetes-sigs/gateway-api', version: 'v1.5.1', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('CrdCatalog of the pinned Gateway API v1.5.1 CRDs (standard channel)', () => {
  const gw = pinnedGatewayApiCatalog();
  const errors = (apiVersion: string, kind: string, spec: unknown) => {
    const [group, version] = apiVersion.split('/');
    return gw.validate(gw.lookup(group, version, kind)!, { apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec });
  };

  test('serves Gateway, HTTPRoute, GRPCRoute, ReferenceGrant and GatewayClass in their served versions', () => {
    expect(gw.lookup('gateway.networking.k8s.io', 'v1', 'Gateway')?.namespaced).toBe(true);
    expect(gw.lookup('gateway.networking.k8s.io', 'v1', 'HTTPRoute')?.plural).toBe('httproutes');
    expect(gw.lookup('gateway.networking.k8s.io', 'v1', 'GatewayClass')?.namespaced).toBe(false);
    expect(gw.hasKind('gateway.networking.k8s.io', 'GRPCRoute')).toBe(true);
    expect(gw.hasKind('gateway.networking.k8s.io', 'ReferenceGrant')).toBe(true);
    expect(gw.hasKind('networking.istio.io', 'Gateway')).toBe(false);
  });

  test('a valid Gateway passes; the CRD\'s CEL rules refuse TLS on an HTTP listener and a TCP listener with a hostname', () => {
    const https = { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'shop.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'shop-tls' }] } };
    expect(errors('gateway.networking.k8s.io/v1', 'Gateway', { gatewayClassName: 'istio', listeners: [https] })).toEqual([]);
    const httpWithTls = errors('gateway.networking.k8s.io/v1', 'Gateway', { gatewayClassName: 'istio', listeners: [{ ...https, protocol: 'HTTP', port: 80 }] });
    expect(celMessages(httpWithTls)).toEqual(["/spec/listeners: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"]);
    const tcpWithHost = errors('gateway.networking.k8s.io/v1', 'Gateway', {
      gatewayClassName: 'istio', listeners: [{ name: 'db', port: 5432, protocol: 'TCP', hostname: 'db.example.com' }],
    });
    expect(celMessages(tcpWithHost)).toEqual(["/spec/listeners: hostname must not be specified for protocols ['TCP', 'UDP']"]);
  });

  test('an HTTPRoute with an unknown field is refused (strict schema)', () => {
    expect(errors('gateway.networking.k8s.io/v1', 'HTTPRoute', { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] })).toEqual([]);
    expect(errors('gateway.networking.k8s.io/v1', 'HTTPRoute', { parentRefs: [{ name: 'edge' }], hostnamez: ['x'] }).length).toBeGreaterThan(0);
  });
});
