import { BAD, GOOD, fixtureReport } from './fixture-report';
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

  test('excepted findings say until when; the fix of each rule found is listed once', () => {
    expect(text).toMatch(/IMG-DIGEST-001 +│ error/);
    expect(text).toContain('excepted');
    expect(text).toContain('2099-12-31');
    expect(text.split('Bind app teams with a RoleBinding').length - 1).toBe(1);
    expect(text).toContain('How to fix');
  });

  test('the summary line ends the report', () => {
    expect(text.trimEnd().split('\n').pop()).toBe('6 objects, 15 errors, 1 warning, 1 excepted');
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
