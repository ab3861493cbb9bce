import * as path from 'path';
import { auditManifests } from '../../../src/audit/audit';
import { loadManifests } from '../../../src/audit/manifest-loader';
import { AuditReport } from '../../../src/audit/reporters/report';

/** The repository root: SARIF URIs in the tests are relative to it. */
export const REPO = path.resolve(__dirname, '..', '..', '..');

/** The fixture directories, relative to the repository root (as a CI job would pass them). */
export const BAD = path.join('test', 'fixtures', 'audit', 'bad');
export const BROKEN = path.join('test', 'fixtures', 'audit', 'broken');
export const GOOD = path.join('test', 'fixtures', 'audit', 'good');
/** An exception the registry of its namespace backs (accepted on the pinned date): owner, justification, expiry. */
export const REGISTERED = path.join('test', 'audit', 'fixtures', 'registered');

/** Loads and audits fixture paths (relative to the repository root) with a pinned clock. */
export function fixtureReport(...dirs: string[]): AuditReport {
  const loaded = loadManifests(dirs.map((d) => path.join(REPO, d)));
  const manifests = loaded.manifests.map((m) => ({ ...m, file: path.relative(REPO, m.file) }));
  const issues = loaded.issues.map((i) => ({ ...i, file: path.relative(REPO, i.file) }));
  return { result: auditManifests(manifests, { today: '2026-01-01' }), issues, toolVersion: '1.2.3' };
}
