import { BAD, BROKEN, fixtureReport } from './fixture-report';
import { JSON_REPORT_VERSION, renderJson, sortKeys } from '../../../src/audit/reporters/json';

describe('JSON reporter', () => {
  test('the whole result, versioned: summary, findings, exceptions and what was skipped', () => {
    const doc = JSON.parse(renderJson(fixtureReport(BAD)));
    expect(Object.keys(doc)).toEqual(['exceptions', 'findings', 'issues', 'meshBaselineExpected', 'summary', 'today', 'tool', 'version']);
    expect(doc.version).toBe(JSON_REPORT_VERSION);
    expect(doc.tool).toEqual({ name: 'cdk8s-secure-mesh', version: '1.2.3' });
    expect(doc.summary).toEqual({ errors: 15, excepted: 1, objects: 6, warnings: 1 });
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
    expect(doc.exceptions.map((e: any) => [e.ruleId, e.status])).toEqual([['IMG-DIGEST-001', 'valid'], ['POD-PRIV-001', 'expired']]);
    expect(JSON.parse(renderJson(fixtureReport(BROKEN))).issues).toEqual([
      expect.objectContaining({ severity: 'error', file: 'test/fixtures/audit/broken/invalid.json', line: 5 }),
      expect.objectContaining({ severity: 'error', file: 'test/fixtures/audit/broken/invalid.yaml', line: 10, documentIndex: 1 }),
    ]);
  });

  test('stable: sorted keys, byte-identical output for the same input', () => {
    expect(renderJson(fixtureReport(BAD))).toBe(renderJson(fixtureReport(BAD)));
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: 3 } }))).toBe('{"a":{"c":3,"d":[{"x":2,"z":1}]},"b":1}');
  });
});
