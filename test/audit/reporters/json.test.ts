import { BAD, BROKEN, REGISTERED, fixtureReport } from './fixture-report';
import { JSON_REPORT_VERSION, renderJson, sortKeys } from '../../../src/audit/reporters/json';

describe('JSON reporter', () => {
  test('the whole result, versioned: summary, findings, exceptions and what was skipped', () => {
    const doc = JSON.parse(renderJson(fixtureReport(BAD)));
    expect(Object.keys(doc)).toEqual(['exceptions', 'findings', 'issues', 'meshBaselineExpected', 'summary', 'today', 'tool', 'version']);
    expect(doc.version).toBe(JSON_REPORT_VERSION);
    expect(doc.tool).toEqual({ name: 'cdk8s-secure-mesh', version: '1.2.3' });
    expect(doc.summary).toEqual({ errors: 17, excepted: 0, objects: 6, warnings: 1 });
    expect(doc.findings[0]).toEqual({
      excepted: false,
      file: 'test/fixtures/audit/bad/list.json',
      fix: expect.any(String),
      line: 5,
      message: 'mtls.mode is "DISABLE", not STRICT: the selected workloads accept plaintext or unauthenticated peers',
      object: 'PeerAuthentication/shop/lenient',
      path: 'spec.mtls.mode',
      practices: ['MTLS-1'],
      ruleId: 'MESH-MTLS-002',
      severity: 'error',
    });
    // The fixture's annotation entries are hand-written: no registry backs them.
    expect(doc.exceptions.map((e: any) => [e.ruleId, e.status])).toEqual([['IMG-DIGEST-001', 'unregistered'], ['POD-PRIV-001', 'expired']]);
    expect(JSON.parse(renderJson(fixtureReport(BROKEN))).issues).toEqual([
      expect.objectContaining({ severity: 'error', file: 'test/fixtures/audit/broken/invalid.json', line: 5 }),
      expect.objectContaining({ severity: 'error', file: 'test/fixtures/audit/broken/invalid.yaml', line: 10, documentIndex: 1 }),
    ]);
  });

  test('an accepted exception carries owner, justification, expiry, record id and registry, in the finding and in the exceptions', () => {
    const doc = JSON.parse(renderJson(fixtureReport(BAD, REGISTERED)));
    const record = {
      exceptionId: 'shop/metrics-scraper',
      owner: 'team-observability@example.com',
      justification: 'The legacy metrics scraper cannot speak mTLS; a NetworkPolicy admits only the monitoring namespace.',
      registry: 'shop/secure-mesh-exceptions',
    };
    expect(doc.exceptions).toEqual([
      {
        ...record,
        covered: 1,
        expires: '2026-02-15',
        file: 'test/audit/fixtures/registered/shop.yaml',
        line: 23,
        object: 'PeerAuthentication/shop/metrics',
        ruleId: 'MESH-MTLS-002',
        status: 'valid',
      },
      expect.objectContaining({ ruleId: 'IMG-DIGEST-001', status: 'unregistered', problem: expect.stringContaining('does not list IMG-DIGEST-001@2099-12-31') }),
      expect.objectContaining({ ruleId: 'POD-PRIV-001', status: 'expired' }),
    ]);
    const excepted = doc.findings.filter((f: any) => f.excepted);
    expect(excepted).toEqual([expect.objectContaining({
      ruleId: 'MESH-MTLS-002',
      object: 'PeerAuthentication/shop/metrics',
      exceptionExpires: '2026-02-15',
      exception: {
        id: record.exceptionId,
        owner: record.owner,
        justification: record.justification,
        expires: '2026-02-15',
        registry: record.registry,
        file: 'test/audit/fixtures/registered/shop.yaml',
        line: 4,
      },
    })]);
    expect(doc.summary).toEqual({ errors: 17, excepted: 1, objects: 8, warnings: 1 });
  });

  test('stable: sorted keys, byte-identical output for the same input', () => {
    expect(renderJson(fixtureReport(BAD))).toBe(renderJson(fixtureReport(BAD)));
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: 3 } }))).toBe('{"a":{"c":3,"d":[{"x":2,"z":1}]},"b":1}');
  });
});
