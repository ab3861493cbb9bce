import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { BAD, BROKEN, GOOD, REGISTERED, REPO, fixtureReport } from './fixture-report';
import { AUDIT_RULES } from '../../../src/audit/audit';
import { artifactUri, buildSarif, renderSarif } from '../../../src/audit/reporters/sarif';

/**
 * The official SARIF 2.1.0 schema (draft-07; see test/fixtures/audit/README.md for its source).
 * ajv's default dialect is draft-07. The three formats the schema uses (uri, uri-reference,
 * date-time) are added here by hand (ajv-formats is not a dependency), so `format` is validated.
 */
function sarifValidator() {
  const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'audit', 'sarif-schema-2.1.0.json'), 'utf-8'));
  // strict: false — the official schema uses keywords ajv's strict mode frowns on (e.g. a
  // `default` of [] on a string); unicodeRegExp: false — its `language` pattern has a lone `]`,
  // valid in plain ECMA-262 regular expressions (as draft-07 specifies) but not with the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/.test(s) && canParseUrl(s));
  ajv.addFormat('uri-reference', (s: string) => /^([A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(s));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s));
  return ajv.compile(schema);
}

function canParseUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

const validate = sarifValidator();

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(ok ? [] : validate.errors).toEqual([]);
}

describe('SARIF reporter', () => {
  test('the output for findings, exceptions and skipped input is valid against the SARIF 2.1.0 schema', () => {
    expectValid(JSON.parse(renderSarif(fixtureReport(BAD), { baseDir: REPO })));
    expectValid(JSON.parse(renderSarif(fixtureReport(BAD, REGISTERED), { baseDir: REPO })));
    expectValid(JSON.parse(renderSarif(fixtureReport(BROKEN, GOOD), { baseDir: REPO })));
    expectValid(JSON.parse(renderSarif({ result: fixtureReport(GOOD).result }, { baseDir: REPO })));
  });

  test('the validator is not a rubber stamp: a malformed log is rejected', () => {
    const log: any = buildSarif(fixtureReport(BAD), { baseDir: REPO });
    log.runs[0].results[0].level = 'fatal';
    log.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
    log.runs[0].results[2].locations[0].physicalLocation.artifactLocation.uri = 'has space.yaml';
    expect(validate(log)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toEqual(expect.arrayContaining([
      '/runs/0/results/0/level',
      '/runs/0/results/1/locations/0/physicalLocation/region/startLine',
      '/runs/0/results/2/locations/0/physicalLocation/artifactLocation/uri',
    ]));
  });

  test('the driver describes every rule: description, help = the fix, tags = the practices', () => {
    const driver = buildSarif(fixtureReport(BAD)).runs[0].tool.driver;
    expect(driver.name).toBe('cdk8s-secure-mesh');
    expect(driver.semanticVersion).toBe('1.2.3');
    expect(driver.rules!.map((r) => r.id)).toEqual(AUDIT_RULES.map((r) => r.id));
    for (const rule of AUDIT_RULES) {
      const d = driver.rules!.find((r) => r.id === rule.id)!;
      expect(d.shortDescription!.text).toBe(rule.title);
      expect(d.fullDescription!.text).toBe(rule.explanation);
      expect(d.help!.text).toBe(rule.fix);
      expect(d.properties!.tags).toEqual([...rule.practices]);
      expect(d.defaultConfiguration!.level).toBe(rule.severity);
    }
  });

  test('results point at the file (relative URI) and line, so code scanning annotates the object', () => {
    const run = buildSarif(fixtureReport(BAD), { baseDir: REPO }).runs[0];
    const crb = run.results!.find((r) => r.ruleId === 'RBAC-CRB-001')!;
    expect(crb.level).toBe('error');
    expect(crb.message.text).toMatch(/^ClusterRoleBinding\/developers-admin subjects\[0\]: binds ClusterRole "cluster-admin"/);
    expect(crb.locations![0].physicalLocation).toEqual({
      artifactLocation: { uri: 'test/fixtures/audit/bad/list.json' },
      region: { startLine: 11 },
    });
    expect(crb.ruleIndex).toBe(AUDIT_RULES.findIndex((r) => r.id === 'RBAC-CRB-001'));
    expect(run.results!.filter((r) => r.level === 'warning').map((r) => r.ruleId)).toEqual(['NET-L4-002']);
  });

  test('excepted findings carry an accepted external suppression at the registry: owner, justification and expiry', () => {
    const run = buildSarif(fixtureReport(BAD, REGISTERED), { baseDir: REPO }).runs[0];
    const suppressed = run.results!.filter((r) => r.suppressions);
    expect(suppressed.map((r) => [r.ruleId, r.message.text!.split(' ')[0]])).toEqual([['MESH-MTLS-002', 'PeerAuthentication/shop/metrics']]);
    expect(suppressed[0].suppressions).toEqual([{
      kind: 'external',
      status: 'accepted',
      justification: 'Exception shop/metrics-scraper, owned by team-observability@example.com and valid until 2026-02-15 (registry '
        + 'shop/secure-mesh-exceptions): The legacy metrics scraper cannot speak mTLS; a NetworkPolicy admits only the monitoring namespace.',
      location: {
        physicalLocation: { artifactLocation: { uri: 'test/audit/fixtures/registered/shop.yaml' }, region: { startLine: 4 } },
        logicalLocations: [{ fullyQualifiedName: 'ConfigMap/shop/secure-mesh-exceptions', kind: 'object' }],
      },
      properties: { owner: 'team-observability@example.com', expires: '2026-02-15', exceptionId: 'shop/metrics-scraper', registry: 'shop/secure-mesh-exceptions' },
    }]);
    const expired = run.results!.find((r) => r.ruleId === 'EXC-EXPIRED')!;
    expect(expired.suppressions).toBeUndefined();
    expect(expired.message.text).toContain('POD-PRIV-001');
  });

  test('a hand-written annotation is no suppression: the finding is an open result, and so is EXC-UNREGISTERED', () => {
    const run = buildSarif(fixtureReport(BAD), { baseDir: REPO }).runs[0];
    expect(run.results!.filter((r) => r.suppressions)).toEqual([]);
    expect(run.results!.find((r) => r.ruleId === 'IMG-DIGEST-001')!.level).toBe('error');
    const unregistered = run.results!.find((r) => r.ruleId === 'EXC-UNREGISTERED')!;
    expect(unregistered.level).toBe('error');
    expect(unregistered.message.text).toContain('exception entry "IMG-DIGEST-001@2099-12-31" is not in the exception registry');
  });

  test('skipped input becomes tool execution notifications, and the invocation is not successful', () => {
    const invocation = buildSarif(fixtureReport(BROKEN), { baseDir: REPO }).runs[0].invocations![0];
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications!.map((n) => [n.level, n.locations![0].physicalLocation!.artifactLocation!.uri])).toEqual([
      ['error', 'test/fixtures/audit/broken/invalid.json'],
      ['error', 'test/fixtures/audit/broken/invalid.yaml'],
    ]);
    expect(buildSarif(fixtureReport(GOOD)).runs[0].invocations![0]).toEqual({ executionSuccessful: true });
  });

  test('the output is byte-identical for the same input', () => {
    expect(renderSarif(fixtureReport(BAD), { baseDir: REPO })).toBe(renderSarif(fixtureReport(BAD), { baseDir: REPO }));
  });

  test('artifact URIs: relative and percent-encoded inside the base, file: URIs outside it', () => {
    expect(artifactUri('a dir/x#1.yaml', '/repo')).toBe('a%20dir/x%231.yaml');
    expect(artifactUri('/elsewhere/x.yaml', '/repo')).toBe('file:///elsewhere/x.yaml');
    expect(artifactUri('<stdin>', '/repo')).toBe('stdin');
  });
});
