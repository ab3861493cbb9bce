import { BAD, GOOD, REGISTERED, fixtureReport } from './fixture-report';
import { AUDIT_RULES } from '../../../src/audit/audit';
import { breakLines, renderTable } from '../../../src/audit/reporters/table';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;

describe('table reporter', () => {
  const text = renderTable(fixtureReport(BAD), { width: 140 });

  test('one row per finding: rule, severity, object, file:line and the finding', () => {
    const row = text.split('\n').find((l) => l.includes('RBAC-CRB-001') && l.includes('error'))!;
    expect(row).toContain('ClusterRoleBinding/');
    expect(row).toContain('test/fixtures/audit/');
    expect(text).toMatch(/│ list\.json:11 +│ binds ClusterRole "cluster-admin"/);
    expect(text).toContain('subjects[0]:');
    expect(text).toMatch(/MESH-AUTHZ-001 +│ error +│ <mesh>/);
  });

  test('excepted findings say until when and whose exception it is; the fix of each rule found is listed once', () => {
    // The fixture's hand-written annotation is not an exception: the finding is an open error.
    expect(text).toMatch(/IMG-DIGEST-001 +│ error +│/);
    expect(text).not.toMatch(/│ excepted +│/);
    const registered = renderTable(fixtureReport(BAD, REGISTERED), { width: 140 });
    const lines = registered.split('\n');
    const at = lines.findIndex((l) => /MESH-MTLS-002 +│ error +│ PeerAuthentication\/shop\/ +│ test\/audit\/fixtures\//.test(l));
    expect(at).toBeGreaterThan(0);
    const row = lines.slice(at, at + 4);
    expect(row.map((l) => l.split('│')[2].trim())).toEqual(['error', 'excepted', 'until', '2026-02-15']);
    expect(row.map((l) => l.split('│')[5].trim())).toEqual([
      'excepted until 2026-02-15', 'owner team-observability@example.com', 'exception shop/metrics-scraper (registry', 'shop/secure-mesh-exceptions)',
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(140);
    expect(text.split('Bind app teams with a RoleBinding').length - 1).toBe(1);
    expect(text).toContain('How to fix');
  });

  test('the summary line ends the report', () => {
    expect(text.trimEnd().split('\n').pop()).toBe('6 objects, 17 errors, 1 warning, 0 excepted');
    expect(renderTable(fixtureReport(GOOD))).toBe('No findings.\n6 objects, 0 errors, 0 warnings, 0 excepted\n');
  });

  test('nothing is truncated, and lines fit the width', () => {
    expect(text).not.toContain('…');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(140);
  });

  test('the longest rule id of the set fits the Rule column, in both tables', () => {
    const longest = [...AUDIT_RULES].sort((a, b) => b.id.length - a.id.length)[0];
    const report = fixtureReport(BAD);
    const renamed = { ...report, result: { ...report.result, findings: report.result.findings.map((f) => ({ ...f, ruleId: longest.id })) } };
    const rendered = renderTable(renamed, { width: 140 });
    expect(rendered).not.toContain('…');
    expect(rendered.split('\n').filter((l) => l.includes(`│ ${longest.id} `)).length).toBeGreaterThan(1);
    for (const line of rendered.split('\n')) expect(line.length).toBeLessThanOrEqual(140);
  });

  test('colour only when asked', () => {
    expect(text).not.toMatch(ANSI);
    expect(renderTable(fixtureReport(BAD), { color: true })).toMatch(ANSI);
  });

  test('breakLines splits long references after a slash', () => {
    expect(breakLines('ClusterRoleBinding/security-admins', 26)).toBe('ClusterRoleBinding/\nsecurity-admins');
    expect(breakLines('abcdefghij', 4)).toBe('abcd\nefgh\nij');
    expect(breakLines('spec.template.spec.containers[0].image', 20, '.')).toBe('spec.template.spec.\ncontainers[0].image');
  });
});
