import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { parseAllDocuments, stringify } from 'yaml';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { run } from '../../src/cli/main';
import { CEL_ENGINE, CONSTRAINT_API_VERSION, TEMPLATE_API_VERSION } from '../../src/policy/gatekeeper-translation';

function buffer() {
  let text = '';
  return { isTTY: false, write: (s: string) => { text += s; return true; }, text: () => text };
}

let dir: string;
let blueprint: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatekeeper-cli-'));
  blueprint = path.join(dir, 'blueprint.k8s.yaml');
  fs.writeFileSync(blueprint, Testing.synth(new BlueprintChart(Testing.app(), 'blueprint')).map((o) => stringify(o)).join('---\n'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('cdk8s-secure-mesh gatekeeper', () => {
  test('the example\'s guardrails become one CEL ConstraintTemplate per policy and constraints per registry', async () => {
    const stdout = buffer();
    const stderr = buffer();
    expect(await run(['gatekeeper', blueprint], { stdout, stderr })).toBe(0);
    const docs = parseAllDocuments(stdout.text()).map((d) => d.toJS());
    const templates = docs.filter((d) => d.apiVersion === TEMPLATE_API_VERSION);
    const constraints = docs.filter((d) => d.apiVersion === CONSTRAINT_API_VERSION);
    const policies = Testing.synth(new BlueprintChart(Testing.app(), 'blueprint')).filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    expect(templates).toHaveLength(policies.length);
    for (const t of templates) expect(t.spec.targets[0].code[0].engine).toBe(CEL_ENGINE);
    expect(constraints.length).toBeGreaterThanOrEqual(templates.length);
    // The bookinfo registry travels in the constraints of the namespaced policies.
    expect(constraints.some((c) => c.spec.match?.namespaces?.includes('bookinfo') && c.spec.parameters?.metadata?.namespace === 'bookinfo')).toBe(true);
  });

  test('-o writes a file; --scoped-enforcement-actions uses scoped actions', async () => {
    const out = path.join(dir, 'gatekeeper.yaml');
    expect(await run(['gatekeeper', blueprint, '-o', out, '--scoped-enforcement-actions'], { stdout: buffer(), stderr: buffer() })).toBe(0);
    const constraints = parseAllDocuments(fs.readFileSync(out, 'utf8')).map((d) => d.toJS()).filter((d) => d.apiVersion === CONSTRAINT_API_VERSION);
    expect(constraints.every((c) => c.spec.enforcementAction === 'scoped')).toBe(true);
  });

  test('input without guardrails, or unreadable, is a usage error', async () => {
    const plain = path.join(dir, 'plain.yaml');
    fs.writeFileSync(plain, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n');
    const stderr = buffer();
    expect(await run(['gatekeeper', plain], { stdout: buffer(), stderr })).toBe(2);
    expect(stderr.text()).toMatch(/no ValidatingAdmissionPolicy in the input/);
    expect(await run(['gatekeeper', path.join(dir, 'missing.yaml')], { stdout: buffer(), stderr: buffer() })).toBe(2);
  });
});
