import { existsSync } from 'fs';
import { join, resolve } from 'path';

/**
 * Upstream test inputs (Istio's validation documents, the external corpora, the authorization
 * conformance cases) are never committed: they are read from ../shared beside the clone, as in
 * CI, or from $SECURE_MESH_SHARED. Where they are absent, the suites that need them are skipped
 * with a notice that says so.
 */
const SHARED_DIRS = [process.env.SECURE_MESH_SHARED, resolve(__dirname, '..', '..', 'shared')].filter((d): d is string => !!d);

/** The directory or file `relative` under the shared directory, or undefined when it is absent. */
export function sharedPath(relative: string): string | undefined {
  for (const dir of SHARED_DIRS) {
    const path = join(dir, relative);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * `describe` over a shared input: runs `body(path)` when `relative` exists under ../shared,
 * otherwise registers a skipped suite whose title and a console warning name what is missing.
 */
export function describeWithShared(relative: string, title: string, body: (path: string) => void): void {
  const path = sharedPath(relative);
  if (path) {
    describe(title, () => body(path));
    return;
  }
  const notice = `SKIPPED: ${title} needs ../shared/${relative} (upstream test inputs are not committed; put shared/ beside the clone or set SECURE_MESH_SHARED)`;
  // eslint-disable-next-line no-console
  console.warn(notice);
  describe.skip(notice, () => {
    test('needs the shared upstream inputs', () => undefined);
  });
}

/** Istio's own validation documents (istio/istio pkg/config/validation testdata), split into documents. */
export const ISTIO_TESTDATA = 'reference/istio-testdata';

/** The documents of one Istio testdata file, with the `_err` Istio expects separated out. */
export function istioTestdata(file: string): { doc: any; err?: string }[] {
  const dir = sharedPath(ISTIO_TESTDATA);
  if (!dir) throw new Error(`../shared/${ISTIO_TESTDATA} is absent: call istioTestdata() inside describeWithShared()`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseAllDocuments } = require('yaml') as typeof import('yaml');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const text = (require('fs') as typeof import('fs')).readFileSync(join(dir, file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS()).filter((o) => o && o.kind)
    .map(({ _err, ...doc }) => ({ doc, err: _err }));
}
