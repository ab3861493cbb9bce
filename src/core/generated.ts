import { existsSync } from 'fs';
import { join } from 'path';

/**
 * generated/ at the package root: the vendored bundles the build writes from installed packages
 * (CEL, Kubernetes' validators). It is not committed; the published package always contains it.
 * The same path works from src/ (tests) and lib/.
 */
const GENERATED_DIR = join(__dirname, '..', '..', 'generated');

function generatedFile(relative: string): string {
  const file = join(GENERATED_DIR, relative);
  if (!existsSync(file)) {
    throw new Error(`cdk8s-secure-mesh: ${file} is missing. It is written by the build: in a checkout of cdk8s-secure-mesh run `
      + '"npx projen generate" (npm test and compile do); a published package always contains it.');
  }
  return file;
}

/** Loads a vendored CommonJS bundle of generated/. */
export function requireGenerated(relative: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(generatedFile(relative));
}
