import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expandInputs, formatIssue, loadManifests, parseManifests, STDIN_NAME, unknownKindIssues } from '../../src/audit/manifest-loader';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'audit');

const created: string[] = [];
afterAll(() => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-loader-'));
  created.push(dir);
  return dir;
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\n`;

describe('parseManifests: multi-document YAML', () => {
  test('each object gets its file, the line of its first key and its document index; empty documents are skipped', () => {
    const text = `# header comment\n---\n${cm('a')}---\n---\n# only a comment\n---\n${cm('b')}`;
    const { manifests, issues } = parseManifests(text, 'x.yaml');
    expect(issues).toEqual([]);
    expect(manifests.map((m) => [m.object.metadata?.name, m.line, m.documentIndex])).toEqual([
      ['a', 3, 0],
      ['b', 12, 3],
    ]);
    expect(manifests[0].file).toBe('x.yaml');
    expect(text.split('\n')[11]).toBe('apiVersion: v1');
  });

  test('a List is expanded into its items, each with its own line', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - ${cm('a').trimEnd().split('\n').join('\n    ')}\n  - ${cm('b').trimEnd().split('\n').join('\n    ')}\n`;
    const { manifests } = parseManifests(text, 'list.yaml');
    expect(manifests.map((m) => [m.object.metadata?.name, m.line, m.itemIndex])).toEqual([['a', 4, 0], ['b', 9, 1]]);
  });

  test('typed lists (ConfigMapList) are expanded too', () => {
    const { manifests } = parseManifests(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', items: [JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }))] }), 'l.json');
    expect(manifests.map((m) => m.object.kind)).toEqual(['ConfigMap']);
  });

  test('a syntax error skips only its document, with file, line and document index', () => {
    const { manifests, issues } = parseManifests(fs.readFileSync(path.join(FIXTURES, 'broken', 'invalid.yaml'), 'utf-8'), 'invalid.yaml');
    expect(manifests.map((m) => m.object.metadata?.name)).toEqual(['before', 'after']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'error', file: 'invalid.yaml', line: 10, documentIndex: 1 });
    expect(formatIssue(issues[0])).toMatch(/^error: invalid\.yaml:10 \(document 1\): invalid YAML, document skipped: /);
  });

  test.each([
    ['an unclosed flow sequence', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [a\ndata: {}\n', 5, 'the flow sequence ("[") opened at line 5 is not closed'],
    ['an unclosed flow mapping', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\ndata: {}\n', 3, 'the flow mapping ("{") opened at line 3 is not closed'],
    ['an unterminated quote', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "x\ndata:\n  a: b\n', 4, 'the "-quoted string opened at line 4 is not closed'],
  ])('a parse error names the line where the problem starts: %s', (_name, text, line, opened) => {
    const { issues } = parseManifests(text, 'p.yaml');
    expect(issues).toEqual([expect.objectContaining({ line, message: expect.stringContaining(`(${opened})`) })]);
  });

  test('a problem that starts where it is noticed keeps that line, with no "opened at"', () => {
    const { issues } = parseManifests('apiVersion: v1\nkind: ConfigMap\n  metadata: x\n', 'p.yaml');
    expect(issues).toHaveLength(1);
    expect(issues[0].message).not.toContain('opened at');
  });

  test('documents that are not Kubernetes objects are reported, not audited', () => {
    const { manifests, issues } = parseManifests('just a string\n---\nfoo: bar\n---\nkind: ConfigMap\nmetadata: {name: x}\n', 'odd.yaml');
    expect(manifests).toEqual([]);
    expect(issues.map((i) => [i.documentIndex, i.line, i.message])).toEqual([
      [0, 1, expect.stringContaining('not a Kubernetes object (a string')],
      [1, 3, 'not a Kubernetes object: no kind; skipped'],
      [2, 5, 'not a Kubernetes object: no apiVersion; skipped'],
    ]);
  });

  test('an object without a name is audited, with a warning', () => {
    const { manifests, issues } = parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: web-\n', 'pod.yaml');
    expect(manifests).toHaveLength(1);
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringContaining('no metadata.name (generateName "web-")') })]);
  });
});

describe('parseManifests: JSON', () => {
  test('a List in JSON keeps item lines', () => {
    const { manifests } = parseManifests(fs.readFileSync(path.join(FIXTURES, 'bad', 'list.json'), 'utf-8'), 'list.json');
    expect(manifests.map((m) => [m.object.kind, m.line, m.documentIndex, m.itemIndex])).toEqual([
      ['PeerAuthentication', 5, 0, 0],
      ['ClusterRoleBinding', 11, 0, 1],
    ]);
  });

  test('a JSON array of objects and a single object', () => {
    const arr = parseManifests('[\n {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},\n {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}\n]', 'a.json');
    expect(arr.manifests.map((m) => [m.object.metadata?.name, m.line])).toEqual([['a', 2], ['b', 3]]);
    const one = parseManifests('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}', 'one.json');
    expect(one.manifests.map((m) => m.line)).toEqual([1]);
  });

  test('invalid JSON is a clear error with the line, and the file is skipped', () => {
    const { manifests, issues } = parseManifests(fs.readFileSync(path.join(FIXTURES, 'broken', 'invalid.json'), 'utf-8'), 'invalid.json');
    expect(manifests).toEqual([]);
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', file: 'invalid.json', line: 5, message: expect.stringMatching(/^invalid JSON, file skipped: /) })]);
  });
});

describe('loadManifests: files, directories, stdin', () => {
  test('directories are read recursively, only .yaml/.yml/.json, sorted by path', () => {
    const dir = tmpdir();
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), cm('b'));
    fs.writeFileSync(path.join(dir, 'a', 'z.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'z' } }));
    fs.writeFileSync(path.join(dir, 'a', 'c.YML'), cm('c'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    const result = loadManifests([dir]);
    expect(result.files.map((f) => path.relative(dir, f))).toEqual([path.join('a', 'c.YML'), path.join('a', 'z.json'), 'b.yaml']);
    expect(result.manifests.map((m) => m.object.metadata?.name)).toEqual(['c', 'z', 'b']);
    expect(result.issues).toEqual([]);
  });

  test('an explicitly named file is read whatever its extension', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'manifest.txt'), cm('t'));
    expect(loadManifests([path.join(dir, 'manifest.txt')]).manifests).toHaveLength(1);
  });

  test('- reads standard input', () => {
    const result = loadManifests(['-'], { readStdin: () => cm('from-stdin') });
    expect(result.manifests.map((m) => [m.file, m.object.metadata?.name])).toEqual([[STDIN_NAME, 'from-stdin']]);
    expect(result.files).toEqual([STDIN_NAME]);
  });

  test('bad inputs are skipped with an error each, and the rest is loaded', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'binary.yaml'), Buffer.from([0x61, 0x3a, 0x00, 0x01, 0x02]));
    fs.writeFileSync(path.join(dir, 'big.yaml'), cm('big').repeat(1).padEnd(4096, '#'));
    fs.writeFileSync(path.join(dir, 'empty.yaml'), '');
    fs.writeFileSync(path.join(dir, 'ok.yaml'), cm('ok'));
    const missing = path.join(dir, 'missing.yaml');
    const result = loadManifests([dir, missing], { maxFileBytes: 1024 });
    expect(result.manifests.map((m) => m.object.metadata?.name)).toEqual(['ok']);
    const byFile = Object.fromEntries(result.issues.map((i) => [path.basename(i.file), `${i.severity}: ${i.message}`]));
    expect(byFile).toEqual({
      'binary.yaml': 'error: skipped: binary file (contains NUL bytes), not YAML or JSON',
      'big.yaml': expect.stringMatching(/^error: skipped: 0\.0 MB is larger than the 0\.0 MB limit/),
      'empty.yaml': 'warning: no Kubernetes objects (empty input)',
      'missing.yaml': 'error: no such file or directory',
    });
  });

  test('a byte-order mark is ignored', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'bom.yaml'), `\uFEFF${cm('bom')}`);
    expect(loadManifests([dir]).manifests.map((m) => m.line)).toEqual([1]);
  });

  test('onFile reports progress over the files', () => {
    const calls: number[][] = [];
    loadManifests([path.join(FIXTURES, 'bad')], { onFile: (done, total) => calls.push([done, total]) });
    expect(calls).toEqual([[1, 3], [2, 3], [3, 3]]);
  });

  test("a directory walk skips cdk8s' construct-metadata.json (read when named)", () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'app.k8s.yaml'), cm('a'));
    fs.writeFileSync(path.join(dir, 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources: { a: { path: 'app/a' } } }));
    const loaded = loadManifests([dir]);
    expect(loaded.files).toEqual([path.join(dir, 'app.k8s.yaml')]);
    expect(loaded.issues).toEqual([]);
    expect(loadManifests([path.join(dir, 'construct-metadata.json')]).issues.map((i) => i.severity)).toContain('error');
  });

  test('expandInputs keeps - and reports missing paths', () => {
    expect(expandInputs(['-', '/nonexistent/x'])).toEqual({
      files: ['-'],
      issues: [{ severity: 'error', file: '/nonexistent/x', message: 'no such file or directory' }],
    });
  });
});

describe('unknown kinds', () => {
  test('a kind that Kubernetes or Istio 1.30 does not serve is a warning naming file, line and document; the object is still audited', () => {
    const text = [
      'apiVersion: security.istio.io/v1\nkind: PeerAuthentcation\nmetadata: {name: typo, namespace: shop}',
      'apiVersion: security.istio.io/v2\nkind: PeerAuthentication\nmetadata: {name: version, namespace: shop}',
      'apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: typo, namespace: shop}',
      'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ok, namespace: shop}',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ok}',
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: third-party, namespace: shop}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: shop}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoutes\nmetadata: {name: typo, namespace: shop}',
    ].join('\n---\n');
    const { manifests } = parseManifests(text, 'kinds.yaml');
    expect(manifests).toHaveLength(8);
    expect(unknownKindIssues(manifests).map(formatIssue)).toEqual([
      'warning: kinds.yaml:1 (document 0): unknown kind: security.istio.io/v1 PeerAuthentcation is not served by Istio 1.30: a cluster would reject it, and a misspelt kind escapes every rule',
      'warning: kinds.yaml:5 (document 1): unknown kind: security.istio.io/v2 PeerAuthentication is not served by Istio 1.30: a cluster would reject it, and a misspelt kind escapes every rule',
      'warning: kinds.yaml:9 (document 2): unknown kind: apps/v1 Deploymnt is not served by Kubernetes: a cluster would reject it, and a misspelt kind escapes every rule',
      'warning: kinds.yaml:29 (document 7): unknown kind: gateway.networking.k8s.io/v1 HTTPRoutes is not served by Gateway API v1.5.1: a cluster would reject it, and a misspelt kind escapes every rule',
    ]);
  });

  test('loadManifests checks kinds unless told not to', () => {
    const stdin = () => 'apiVersion: v1\nkind: ConfgMap\nmetadata: {name: x}\n';
    expect(loadManifests(['-'], { readStdin: stdin }).issues.map((i) => i.severity)).toEqual(['warning']);
    expect(loadManifests(['-'], { readStdin: stdin, checkKinds: false }).issues).toEqual([]);
  });
});
