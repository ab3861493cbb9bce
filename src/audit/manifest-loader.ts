import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, Node, isMap, isSeq, parseAllDocuments } from 'yaml';
import { unclosedConstructBefore } from './yaml-problem-start';
import { CONSTRUCT_PATHS_FILE } from '../policy/construct-paths';
import { RuleObject, groupOf } from '../policy/rule';
import { lookupCoreKind } from '../validation/core-catalog';
import { pinnedCrdCatalog, pinnedGatewayApiCatalog } from '../validation/crd-catalog';

/** The name the loader gives standard input (`-`). */
export const STDIN_NAME = '<stdin>';

/** File extensions read when a directory is given. */
export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Files a directory walk skips: what synthesis writes beside the manifests when a validation
 * plugin runs (cdk8s' `construct-metadata.json`, this library's `secure-mesh-constructs.json`).
 * Named explicitly, they are read like any file.
 */
export const NOT_MANIFESTS = ['construct-metadata.json', CONSTRUCT_PATHS_FILE];

/** Largest file read by default (bytes); larger files are skipped with an error. */
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

/** One Kubernetes object read from a file, with where it was found. */
export interface LoadedManifest {
  /** The object as parsed. */
  readonly object: RuleObject;
  /** The file it came from, as given (or found under a given directory); `<stdin>` for `-`. */
  readonly file: string;
  /** 1-based line of the object's first key (of the item, for `List` items). */
  readonly line: number;
  /** 0-based index of the YAML document in the file (0 for a JSON file). */
  readonly documentIndex: number;
  /** 0-based index in the enclosing `List` (or array), when the object was one of its items. */
  readonly itemIndex?: number;
}

/** Something the loader could not use: the run continues without it. */
export interface LoadIssue {
  /** `error`: input that was skipped and makes the audit incomplete; `warning`: read, but suspicious. */
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 0-based document index, when the issue is about one document. */
  readonly documentIndex?: number;
  readonly message: string;
}

/** The manifests loaded and the issues met on the way. */
export interface LoadResult {
  readonly manifests: LoadedManifest[];
  readonly issues: LoadIssue[];
  /** Files read (in order), after expanding directories. */
  readonly files: string[];
}

/** Options of {@link loadManifests}. */
export interface LoadOptions {
  /** Reads standard input for `-` (tests pass a string). @default - file descriptor 0 */
  readonly readStdin?: () => string | Buffer;
  /** Files larger than this are skipped with an error. @default DEFAULT_MAX_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** Called after each file is read, with the number of files done and the total. */
  readonly onFile?: (done: number, total: number) => void;
  /**
   * Warn about objects of Kubernetes or Istio API groups whose kind (or version) is not served.
   * @default true
   */
  readonly checkKinds?: boolean;
}

/** `file:line` (or `file`), as reported to users. */
export function location(file: string, line?: number): string {
  return line ? `${file}:${line}` : file;
}

/** One line per issue: `error: file:line (document N): message`. */
export function formatIssue(issue: LoadIssue): string {
  const doc = issue.documentIndex === undefined ? '' : ` (document ${issue.documentIndex})`;
  return `${issue.severity}: ${location(issue.file, issue.line)}${doc}: ${issue.message}`;
}

/**
 * Expands `inputs` into the files to read: files as given, directories recursively (only
 * `.yaml`, `.yml` and `.json`, sorted by path so output is deterministic; not `NOT_MANIFESTS`),
 * `-` for stdin.
 * Missing paths become issues.
 */
export function expandInputs(inputs: readonly string[]): { files: string[]; issues: LoadIssue[] } {
  const files: string[] = [];
  const issues: LoadIssue[] = [];
  for (const input of inputs) {
    if (input === '-') {
      files.push(input);
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch (e: any) {
      issues.push({ severity: 'error', file: input, message: e?.code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${e?.message ?? e}` });
      continue;
    }
    if (stat.isDirectory()) files.push(...walk(input));
    else files.push(input);
  }
  return { files, issues };
}

function walk(dir: string): string[] {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    // Symbolic links to directories are not followed (no cycles); links to files are read.
    if (e.isDirectory()) {
      out.push(...walk(p));
    } else if (MANIFEST_EXTENSIONS.includes(path.extname(e.name).toLowerCase()) && !NOT_MANIFESTS.includes(e.name)
      && (e.isFile() || (e.isSymbolicLink() && isFile(p)))) {
      out.push(p);
    }
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Loads Kubernetes objects from files, directories and `-` (stdin).
 *
 * Multi-document YAML and JSON (an object, an array of objects, or a `List`) are read; `List`
 * objects are expanded into their items; empty documents are skipped. Bad input never throws:
 * unparseable documents, binary or oversized files and documents that are not Kubernetes objects
 * become issues naming the file, line and document index, and the rest is still loaded.
 */
export function loadManifests(inputs: readonly string[], options: LoadOptions = {}): LoadResult {
  const { files, issues } = expandInputs(inputs);
  const manifests: LoadedManifest[] = [];
  files.forEach((file, i) => {
    const read = readInput(file, options);
    if (typeof read !== 'string') {issues.push(read);} else {
      const name = file === '-' ? STDIN_NAME : file;
      const parsed = parseManifests(read, name);
      manifests.push(...parsed.manifests);
      issues.push(...parsed.issues);
      if (parsed.manifests.length === 0 && parsed.issues.length === 0) {
        issues.push({ severity: 'warning', file: name, message: 'no Kubernetes objects (empty input)' });
      }
    }
    options.onFile?.(i + 1, files.length);
  });
  if (options.checkKinds ?? true) issues.push(...unknownKindIssues(manifests));
  return { manifests, issues, files: files.map((f) => (f === '-' ? STDIN_NAME : f)) };
}

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/**
 * Warnings for objects in a Kubernetes group (core, `apps`, `*.k8s.io`, ...) or an Istio group
 * (`*.istio.io`) whose apiVersion and kind neither Kubernetes, the pinned Istio 1.30 CRDs nor the
 * Gateway API v1.5.1 CRDs Istio uses serve: a typo in a kind hides the object from every rule. Other groups (third-party CRDs) are
 * not judged. The object is still audited.
 */
export function unknownKindIssues(manifests: readonly LoadedManifest[]): LoadIssue[] {
  const issues: LoadIssue[] = [];
  for (const m of manifests) {
    const { apiVersion, kind } = m.object as { apiVersion: string; kind: string };
    const group = groupOf(m.object);
    const istio = group.endsWith('.istio.io');
    if (!istio && group.includes('.') && !group.endsWith('.k8s.io')) continue;
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    const served = istio ? pinnedCrdCatalog().lookup(group, version, kind)
      : group === GATEWAY_API_GROUP ? pinnedGatewayApiCatalog().lookup(group, version, kind) : lookupCoreKind(apiVersion, kind);
    if (served) continue;
    issues.push({
      severity: 'warning',
      file: m.file,
      line: m.line,
      documentIndex: m.documentIndex,
      message: `unknown kind: ${apiVersion} ${kind} is not served by ${istio ? 'Istio 1.30' : group === GATEWAY_API_GROUP ? 'Gateway API v1.5.1' : 'Kubernetes'}: a cluster would reject it, and a misspelt kind escapes every rule`,
    });
  }
  return issues;
}

function readInput(file: string, options: LoadOptions): string | LoadIssue {
  const name = file === '-' ? STDIN_NAME : file;
  let data: Buffer;
  try {
    const raw = file === '-' ? (options.readStdin ?? (() => fs.readFileSync(0)))() : fs.readFileSync(file);
    data = typeof raw === 'string' ? Buffer.from(raw, 'utf-8') : raw;
  } catch (e: any) {
    return { severity: 'error', file: name, message: `cannot read: ${e?.message ?? e}` };
  }
  const max = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (data.length > max) {
    return { severity: 'error', file: name, message: `skipped: ${megabytes(data.length)} is larger than the ${megabytes(max)} limit (raise it with --max-file-size)` };
  }
  if (data.subarray(0, 8192).includes(0)) {
    return { severity: 'error', file: name, message: 'skipped: binary file (contains NUL bytes), not YAML or JSON' };
  }
  return data.toString('utf-8').replace(/^\uFEFF/, '');
}

function megabytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Parses the text of one file (YAML, or JSON: JSON is read by the YAML parser too, so items get
 * line numbers; `.json` files are first checked with the strict JSON parser).
 */
export function parseManifests(text: string, file: string): { manifests: LoadedManifest[]; issues: LoadIssue[] } {
  const manifests: LoadedManifest[] = [];
  const issues: LoadIssue[] = [];
  if (path.extname(file).toLowerCase() === '.json') {
    const problem = jsonProblem(text);
    if (problem) return { manifests, issues: [{ severity: 'error', file, ...problem }] };
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter, prettyErrors: true }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = [docs];
  } catch (e: any) {
    return { manifests, issues: [{ severity: 'error', file, message: `not YAML: ${e?.message ?? e}` }] };
  }
  const lineOf = (node: Node | null | undefined, fallback: number): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : fallback;

  docs.forEach((doc, documentIndex) => {
    const docLine = lineCounter.linePos(doc.range?.[0] ?? 0).line;
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      // The parser reports where it noticed; an unclosed quote or bracket started earlier, so name that line.
      const start = unclosedConstructBefore(text, err.pos[0]);
      const startLine = start ? lineCounter.linePos(start.offset).line : undefined;
      const noticed = err.linePos?.[0]?.line ?? docLine;
      const opened = startLine !== undefined && startLine < noticed ? ` (${start!.what} opened at line ${startLine} is not closed)` : '';
      issues.push({
        severity: 'error',
        file,
        documentIndex,
        line: startLine !== undefined && startLine < noticed ? startLine : noticed,
        message: `invalid YAML, document skipped: ${firstLine(err.message)}${opened}${doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more error(s))` : ''}`,
      });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e: any) {
      issues.push({ severity: 'error', file, documentIndex, line: docLine, message: `invalid YAML, document skipped: ${firstLine(e?.message ?? String(e))}` });
      return;
    }
    if (value === null || value === undefined) return; // empty document
    collect(value, doc.contents, lineOf(doc.contents, docLine), documentIndex, undefined);
  });
  return { manifests, issues };

  function collect(value: unknown, node: Node | null | undefined, line: number, documentIndex: number, itemIndex: number | undefined): void {
    if (Array.isArray(value)) {
      value.forEach((item, i) => collect(item, seqItem(node, i), lineOf(seqItem(node, i), line), documentIndex, i));
      return;
    }
    const at = { file, line, documentIndex };
    if (typeof value !== 'object' || value === null) {
      issues.push({ severity: 'error', ...at, message: `not a Kubernetes object (a ${typeof value}: ${JSON.stringify(value).slice(0, 40)}); skipped` });
      return;
    }
    const o = value as RuleObject;
    if (isList(o)) {
      const items = isMap(node) ? (node.get('items', true) as Node | undefined) : undefined;
      (o.items as unknown[]).forEach((item, i) => collect(item, seqItem(items, i), lineOf(seqItem(items, i), line), documentIndex, i));
      return;
    }
    if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
      issues.push({ severity: 'error', ...at, message: `not a Kubernetes object: no ${typeof o.kind !== 'string' ? 'kind' : 'apiVersion'}; skipped` });
      return;
    }
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
      const generateName = (o.metadata as { generateName?: unknown } | undefined)?.generateName;
      const generated = typeof generateName === 'string' ? ` (generateName "${generateName}")` : '';
      issues.push({ severity: 'warning', ...at, message: `${o.kind} has no metadata.name${generated}; audited as ${o.kind}/<no name>` });
    }
    manifests.push(itemIndex === undefined ? { object: o, ...at } : { object: o, ...at, itemIndex });
  }
}

/** A `List` (`kind: List`, or a typed list such as `ConfigMapList`) with an `items` array. */
function isList(o: RuleObject): boolean {
  return typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items);
}

function seqItem(node: Node | null | undefined, i: number): Node | undefined {
  return isSeq(node) ? (node.items[i] as Node | undefined) : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/:\s*$/, '');
}

/** The strict JSON parser's complaint, with the line, or undefined when the text is JSON. */
function jsonProblem(text: string): { line?: number; message: string } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e: any) {
    const message = String(e?.message ?? e);
    const pos = /position (\d+)/.exec(message);
    const line = /line (\d+)/.exec(message);
    return {
      line: line ? Number(line[1]) : pos ? text.slice(0, Number(pos[1])).split('\n').length : undefined,
      message: `invalid JSON, file skipped: ${firstLine(message)}`,
    };
  }
}
