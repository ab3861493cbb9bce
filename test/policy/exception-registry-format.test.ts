import * as fc from 'fast-check';
import {
  RECORDS_KEY, RegistryRecord, exceptionStamp, recordsFromYaml, recordsToYaml, registryKey, registryValue,
} from '../../src/policy/exception-registry-format';

const RECORD: RegistryRecord = {
  id: 'shop/cart/scraper',
  rules: ['MESH-MTLS-002', 'MESH-AUTHZ-004'],
  owner: 'team-observability',
  justification: 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.',
  expires: '2027-03-31',
  objects: ['PeerAuthentication/shop/cart-plaintext-8080', 'AuthorizationPolicy/shop/cart-plaintext-8080'],
  ports: [9090, 8080],
};

describe('exception registry format', () => {
  test('admission keys and values: Kind.name -> sorted, unique RULE@expires', () => {
    expect(registryKey('Deployment', 'cart')).toBe('Deployment.cart');
    expect(exceptionStamp('MESH-EXC-001', '2027-01-31')).toBe('MESH-EXC-001@2027-01-31');
    expect(registryValue(['POD-PRIV-001@2027-01-31', 'MESH-EXC-001@2027-01-31', 'POD-PRIV-001@2027-01-31'])).toBe('MESH-EXC-001@2027-01-31,POD-PRIV-001@2027-01-31');
  });

  test('records are written deterministically (sorted ids, rules, objects, ports) and read back', () => {
    const yaml = recordsToYaml([{ ...RECORD, id: 'z' }, RECORD]);
    expect(yaml).toBe(recordsToYaml([RECORD, { ...RECORD, id: 'z' }]));
    expect(yaml).toMatch(/^- id: shop\/cart\/scraper\n {2}rules:\n {4}- MESH-AUTHZ-004\n {4}- MESH-MTLS-002/);
    const { records, problems } = recordsFromYaml(yaml);
    expect(problems).toEqual([]);
    expect(records[0]).toEqual({ ...RECORD, rules: ['MESH-AUTHZ-004', 'MESH-MTLS-002'], objects: [...RECORD.objects].sort(), ports: [8080, 9090] });
  });

  test('a mesh-wide reason is kept; no ports, no ports key', () => {
    const yaml = recordsToYaml([{ ...RECORD, ports: [], meshWideReason: 'One vendor agent in two namespaces, replaced together next quarter.' }]);
    expect(yaml).not.toContain('ports');
    expect(recordsFromYaml(yaml).records[0].meshWideReason).toMatch(/^One vendor agent/);
  });

  test.each([
    ['not YAML', '- [', /exceptions.yaml is not YAML/],
    ['not a list', 'id: x', /must be a list of exception records/],
    ['a record without owner', '- {id: x, rules: [A], justification: j, expires: "2027-01-01", objects: [A/b]}', /exceptions.yaml\[0\] is not an exception record/],
    ['an expiry that is not a date', '- {id: x, rules: [A], owner: o, justification: j, expires: soon, objects: [A/b]}', /exceptions.yaml\[0\]/],
    ['ports that are not integers', '- {id: x, rules: [A], owner: o, justification: j, expires: "2027-01-01", objects: [A/b], ports: [http]}', /exceptions.yaml\[0\]/],
  ])('%s is a problem, not a crash', (_name, text, problem) => {
    const { records, problems } = recordsFromYaml(text);
    expect(records).toEqual([]);
    expect(problems.join('\n')).toMatch(problem);
  });

  test('empty data is no records and no problem', () => {
    expect(recordsFromYaml('')).toEqual({ records: [], problems: [] });
    expect(RECORDS_KEY).toBe('exceptions.yaml');
  });

  test('property: any records round-trip', () => {
    const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() === s && s.length > 0);
    fc.assert(fc.property(fc.array(fc.record({
      id: text,
      rules: fc.array(text, { minLength: 1, maxLength: 3 }),
      owner: text,
      justification: text,
      expires: fc.constantFrom('2027-01-01', '2030-12-31'),
      objects: fc.array(text, { minLength: 1, maxLength: 3 }),
    }), { maxLength: 4 }), (records) => {
      const { records: back, problems } = recordsFromYaml(recordsToYaml(records));
      expect(problems).toEqual([]);
      expect(back.length).toBe(records.length);
    }), { numRuns: 50 });
  });
});
