import { existsSync, readdirSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { Validation } from '../../src';

/**
 * Validates every YAML file in a directory exactly as written (usage: validate-output.ts DIR)
 * and says where the YAML is. Exits non-zero when any object would be rejected.
 */
const dir = resolve(process.argv[2] ?? 'dist');
if (!existsSync(dir)) {
  console.error(`No synthesized output in ${dir}: run 'cdk8s synth' first.`);
  process.exit(1);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
let objects = 0;
let findings = 0;
for (const file of files) {
  const text = readFileSync(join(dir, file), 'utf8');
  const fileFindings = Validation.validateYaml(text);
  objects += text.split(/^---$/m).filter((doc) => doc.trim()).length;
  findings += fileFindings.length;
  if (fileFindings.length > 0) console.error(`${file}:\n${Validation.formatFindings(fileFindings)}`);
}
if (findings > 0 || files.length === 0) {
  console.error(files.length === 0 ? `No YAML files in ${dir}.` : `${findings} finding(s): a cluster with Istio 1.30 would reject the YAML in ${dir}.`);
  process.exit(1);
}
console.log(`${objects} objects in ${files.length} file(s), all accepted by the schema, CEL and istiod webhook checks.`);
console.log(`The YAML is in ${dir}:`);
for (const file of files) console.log(`  ${join(dir, file)}`);
