import * as fs from 'fs';
import * as path from 'path';
import { END, START, ruleCatalogMarkdown, withCatalogue } from '../../build-tools/rule-catalog';
import { INVARIANT_RULE_IDS } from '../../src/policy/admission-invariants';
import { ALL_RULES } from '../../src/policy/rule-pack';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the README rule catalogue', () => {
  test('lists every rule, with its severity, practices, rule set and admission form', () => {
    const table = ruleCatalogMarkdown();
    for (const rule of ALL_RULES) {
      expect(table).toContain(`| ${rule.id} | ${rule.severity} | ${rule.practices.join(', ')} | ${rule.since ?? '1'} | ${rule.admission || rule.admissionFor || INVARIANT_RULE_IDS.includes(rule.id) ? 'yes' : '—'} |`);
    }
    expect(table.split('\n')).toHaveLength(ALL_RULES.length + 2);
  });

  test('README.md is current (run `npx projen docs:rules` after changing a rule)', () => {
    expect(withCatalogue(README)).toBe(README);
  });

  test('a README without the markers is an error, not a silent append', () => {
    expect(() => withCatalogue('# x\n')).toThrow(`README.md: the markers ${START} and ${END} are missing`);
  });
});
