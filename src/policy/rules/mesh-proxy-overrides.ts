import type * as Yaml from 'yaml';
import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind } from '../rule';
import { JsonMap, asMap, isSet, pathOf, podMetadata } from './mesh-shared';
import {
  CONTAINER_LISTS, POD_KINDS, POD_SPEC_RESOURCES, celHas, celIsKind, celString, celStrings, containersOf, isRecord, podSpecsOf, securityContextOf,
} from './workload-pod-specs';

/*
 * What Istio's sidecar injector writes, and where it is read (istio/istio, Istio 1.30):
 *
 * - manifests/charts/istio-control/istio-discovery/files/injection-template.yaml: the `istio-proxy`
 *   container (image `.ProxyImage`, args `proxy sidecar ...`, no `command`, securityContext
 *   runAsUser/runAsGroup `.ProxyUID`/`.ProxyGID`, 1337 by default), in `containers`, or in
 *   `initContainers` with `restartPolicy: Always` when native sidecars are on; the init container
 *   `istio-init` (args `istio-iptables ... -u 1337 ...`, root, NET_ADMIN/NET_RAW) or, with the CNI
 *   plugin, `istio-validation` (same args plus `--run-validation --skip-rule-apply`, runs as
 *   1337:1337); no init container at all with `sidecar.istio.io/interceptionMode: NONE`; pod
 *   annotations `istio.io/rev`, `sidecar.istio.io/interceptionMode` (CNI), the
 *   `traffic.sidecar.istio.io/*` it renders (`excludeInboundPorts: "15020"`, ...), labels
 *   `security.istio.io/tlsMode`, `service.istio.io/canonical-name`/`-revision`. No pod-level
 *   securityContext (the legacy `fsGroup: 1337` injection was removed in Istio 1.19).
 * - pkg/kube/inject/inject.go: `ProxyImage()` builds `<hub>/proxyv2:<tag>` (image types such as
 *   `distroless` and `debug` are tag suffixes, `imageURL()`); `selectTemplates()` reads
 *   `inject.istio.io/templates` (comma-separated, trimmed, default `sidecar`); `GetProxyIDs()`
 *   defaults the proxy UID/GID to 1337 (OpenShift takes them from the namespace's UID range).
 * - pkg/kube/inject/webhook.go: a user-declared `istio-proxy`/`istio-init`/`istio-validation` is
 *   merged over the injector's (`reapplyOverwrittenContainers`: the user's command, args, image,
 *   securityContext win) and recorded in `proxy.istio.io/overrides`; `reinsertOverrides` re-adds
 *   the containers listed in that annotation; `adjustInitContainerUser` rewrites istio-init's
 *   `-u` (the UID iptables exempts) to a user-set istio-proxy runAsUser; `applyMetadata` writes
 *   `sidecar.istio.io/status`.
 * - pkg/kube/inject/validate.go: `sidecar.istio.io/interceptionMode` must be exactly REDIRECT,
 *   TPROXY or NONE (case-sensitive); `proxy.istio.io/config` is YAML or JSON applied onto
 *   ProxyConfig (`protomarshal.ApplyYAML`: JSON names or proto names, enums by name or number).
 * - tools/istio-iptables: the OUTPUT chain returns (skips the sidecar) for packets of sockets
 *   owned by `--uid-owner 1337` or `--gid-owner 1337`; the gid match is on the process's
 *   effective (fs) GID, not its supplementary groups.
 */

/** The UID and GID iptables exempts from redirection: the proxy's (Istio's default). */
export const PROXY_ID = 1337;
/** The injector's container names (pkg/kube/inject/inject.go). */
const PROXY = 'istio-proxy';
const INIT = 'istio-init';
const VALIDATION = 'istio-validation';
const INJECTED_NAMES: readonly string[] = [PROXY, INIT, VALIDATION];

const INTERCEPTION_MODE = 'sidecar.istio.io/interceptionMode';
/** The interception modes that redirect traffic; NONE turns redirection off (and Istio rejects anything else). */
const REDIRECTING_MODES: readonly string[] = ['REDIRECT', 'TPROXY'];
const PROXY_CONFIG = 'proxy.istio.io/config';
const PROXY_IMAGE = 'sidecar.istio.io/proxyImage';
const TEMPLATES = 'inject.istio.io/templates';
const DEFAULT_TEMPLATE = 'sidecar';
const OVERRIDES = 'proxy.istio.io/overrides';
const STATUS_PORT = 'status.sidecar.istio.io/port';
const DEFAULT_STATUS_PORT = '15020';
const STATUS = 'sidecar.istio.io/status';
const REVISION = 'istio.io/rev';

/**
 * ProxyConfig fields a pod may not set in `proxy.istio.io/config`, by the stem of their name
 * (lower case, without `_`, so both the JSON and the proto spelling match).
 */
const PROXY_CONFIG_DENIED: readonly { readonly stem: string; readonly field: string; readonly why: string }[] = [
  { stem: 'interception', field: 'interceptionMode', why: 'sets the interception mode (NONE turns traffic redirection off)' },
  { stem: 'binarypath', field: 'binaryPath', why: 'replaces the program pilot-agent runs as the proxy (with UID 1337, whose traffic is never redirected)' },
  { stem: 'customconfigfile', field: 'customConfigFile', why: 'replaces the Envoy configuration istiod serves' },
  { stem: 'bootstraptemplate', field: 'proxyBootstrapTemplatePath', why: 'replaces the Envoy bootstrap template' },
];
/**
 * The admission form of the `proxy.istio.io/config` test. CEL cannot parse YAML, so it rejects
 * any value that mentions a denied field (in any case, anywhere: keys, values, comments), or
 * holds a backslash (a YAML/JSON escape can spell a key, `"\u0069nterceptionMode"`) or a `!`
 * (a YAML tag, `!!binary`, can too). `check()` parses the value and reads its keys.
 */
const PROXY_CONFIG_DENIED_CEL = '(?i)(interception|binary_?path|custom_?config_?file|bootstrap_?template)|[\\\\!]';

/** Options of {@link meshProxyRules}. */
export interface MeshProxyRuleOptions {
  /**
   * The image repositories (no tag, no digest) the mesh's proxy comes from, e.g.
   * `['docker.io/istio/proxyv2']`: admission then accepts the injector's containers only with
   * these images, and any other container using one of them is reported.
   *
   * Recognition uses these repositories only (any tag, Istio's `distroless` and `debug` variants
   * being tag suffixes, or digest); detection of the proxy image in an app's own container also
   * uses a heuristic (any repository whose path ends in `/proxyv2`), so a mirror is still caught.
   *
   * @default DEFAULT_PROXY_IMAGE_REPOSITORIES - Istio's official hubs
   */
  readonly proxyImageRepositories?: readonly string[];
}

/**
 * The hubs Istio's own installation pulls the proxy from (values.global.hub `docker.io/istio`, and
 * the `gcr.io/istio-release` mirror). A mesh with its own mirror, or a managed mesh, names its
 * repositories (MeshBaseline `proxyImageRepositories`).
 */
export const DEFAULT_PROXY_IMAGE_REPOSITORIES: readonly string[] = ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2'];

/** How to write proxyImageRepositories, for errors. */
export const PROXY_REPOSITORY_FIX = 'write registry/path without tag or digest, e.g. "registry.example.com/istio/proxyv2", or leave it unset for Istio\'s hubs';

/**
 * What is wrong with a list of proxy image repositories (MeshBaseline, secure-mesh.yaml, the rule
 * options): one definition for all three. Each is `registry[:port]/path`, lower case, no tag, no
 * digest; the list is not empty.
 */
export function proxyRepositoryProblems(repositories: readonly unknown[]): string[] {
  if (!Array.isArray(repositories) || repositories.length === 0) return ['an empty list: name at least one repository'];
  return repositories.flatMap((r, i) => (typeof r === 'string' && /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/.test(r)
    ? [] : [`[${i}] ${JSON.stringify(r)} is not an image repository (registry/path, no tag, no digest)`]));
}

/** Any repository whose path ends in `/proxyv2`: how the proxy image is detected in an app's own container. */
const PROXY_IMAGE_HEURISTIC = `^[^@\\s]*/proxyv2${'(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z0-9_+.-]+:[A-Fa-f0-9]{32,})?$'}`;

const TAG_AND_DIGEST = '(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[A-Za-z0-9_+.-]+:[A-Fa-f0-9]{32,})?$';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The regular expression (RE2 and JavaScript alike) of the mesh's proxy images: `repositories`
 * (default Istio's official hubs) with any tag or digest.
 */
export function proxyImagePattern(repositories: readonly string[] = DEFAULT_PROXY_IMAGE_REPOSITORIES): string {
  const problems = proxyRepositoryProblems(repositories);
  if (problems.length) throw new Error(`proxyImageRepositories: ${problems.join('; ')}. Fix: ${PROXY_REPOSITORY_FIX}`);
  return `^(${repositories.map(escapeRegExp).join('|')})${TAG_AND_DIGEST}`;
}

/** Lower-cases ASCII letters only, as CEL's `lowerAscii()` does. */
function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

// ---------------------------------------------------------------------------------------------
// check(): the app's manifests, before injection

/** The YAML parser, loaded on the first annotation to read: importing the package root stays cheap (bench: import cost). */
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (yamlModule ??= require('yaml') as typeof Yaml);
}

/** What is wrong with a `proxy.istio.io/config` value (empty when nothing the rule cares about). */
export function proxyConfigProblems(raw: string): string[] {
  const { parseDocument, visit } = yaml();
  // merge: Istio's YAML reader (sigs.k8s.io/yaml, YAML 1.1) resolves `<<` merge keys.
  const doc = parseDocument(raw, { prettyErrors: false, merge: true });
  if (doc.errors.length > 0) return [`is not valid YAML or JSON (${doc.errors[0].message.split('\n')[0]}), so what Istio reads from it cannot be checked`];
  let tagged = false;
  visit(doc, {
    Node(_key, node) {
      if ('tag' in node && node.tag) tagged = true;
    },
  });
  if (tagged) return ['uses a YAML tag (`!...`), which can spell a field differently from how it reads'];
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return [`cannot be read (${(e as Error).message})`];
  }
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) return ['is not a mapping of ProxyConfig fields'];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    const norm = lowerAscii(key).replace(/_/g, '');
    const denied = PROXY_CONFIG_DENIED.find((d) => norm.includes(d.stem));
    if (denied) problems.push(`sets ${key}: ${describe(value[key])}, which ${denied.why}`);
  }
  return problems;
}

function annotationViolations(annotations: JsonMap, base: string, where: string): RuleViolation[] {
  const out: RuleViolation[] = [];
  const at = (key: string) => pathOf(base, key);

  const mode = annotations[INTERCEPTION_MODE];
  if (isSet(mode) && !(typeof mode === 'string' && REDIRECTING_MODES.includes(mode))) {
    out.push({
      path: at(INTERCEPTION_MODE),
      message: mode === 'NONE'
        ? `${where} annotation ${INTERCEPTION_MODE}: "NONE" turns traffic redirection off: the pod's traffic bypasses the sidecar (no mTLS, no authorization policy)`
        : `${where} annotation ${INTERCEPTION_MODE}: ${describe(mode)} is not an interception mode Istio accepts (exactly REDIRECT or TPROXY)`,
    });
  }

  const config = annotations[PROXY_CONFIG];
  if (isSet(config)) {
    const problems = typeof config === 'string' ? proxyConfigProblems(config) : ['is not a string'];
    for (const p of problems) out.push({ path: at(PROXY_CONFIG), message: `${where} annotation ${PROXY_CONFIG} ${p}` });
  }

  if (isSet(annotations[PROXY_IMAGE])) {
    out.push({
      path: at(PROXY_IMAGE),
      message: `${where} annotation ${PROXY_IMAGE}: ${describe(annotations[PROXY_IMAGE])} replaces the mesh's proxy image (the proxy runs as UID 1337, whose traffic is never redirected)`,
    });
  }

  const templates = annotations[TEMPLATES];
  if (isSet(templates) && !(typeof templates === 'string' && templates.trim() === DEFAULT_TEMPLATE)) {
    out.push({
      path: at(TEMPLATES),
      message: `${where} annotation ${TEMPLATES}: ${describe(templates)} injects something other than the mesh's "${DEFAULT_TEMPLATE}" template (e.g. a proxyless agent without traffic redirection)`,
    });
  }

  if (isSet(annotations[OVERRIDES])) {
    out.push({
      path: at(OVERRIDES),
      message: `${where} annotation ${OVERRIDES} makes the injector re-insert the containers it lists over its own (a customized istio-proxy or istio-init)`,
    });
  }

  const statusPort = annotations[STATUS_PORT];
  if (isSet(statusPort) && statusPort !== DEFAULT_STATUS_PORT) {
    out.push({
      path: at(STATUS_PORT),
      message: `${where} annotation ${STATUS_PORT}: ${describe(statusPort)} moves the proxy's status port, which the injector excludes from inbound redirection: traffic to that port bypasses the sidecar`,
    });
  }
  return out;
}

/** The control-plane revision a Namespace's pods are injected by, or undefined when it does not say. */
function namespaceRevision(ns: RuleObject): string | undefined {
  const labels = asMap(ns.metadata?.labels);
  // istio-injection: enabled takes precedence over istio.io/rev (the default revision injects);
  // any other istio-injection value turns injection off, which is MESH-INJ-001's to report.
  const injection = labels?.['istio-injection'];
  if (injection === 'enabled') return 'default';
  if (isSet(injection)) return undefined;
  const rev = labels?.[REVISION];
  return typeof rev === 'string' && rev !== '' ? rev : undefined;
}

function revisionViolations(object: RuleObject, metadata: JsonMap | undefined, path: string, where: string, ctx: RuleContext): RuleViolation[] {
  const nsName = object.metadata?.namespace;
  if (!metadata || typeof nsName !== 'string') return [];
  const ns = ctx.objects.find((o) => isKind(o, '', 'Namespace') && o.metadata?.name === nsName);
  const nsRev = ns && namespaceRevision(ns);
  if (nsRev === undefined) return [];
  const out: RuleViolation[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const raw = asMap(metadata[field])?.[REVISION];
    if (!isSet(raw) || raw === nsRev) continue;
    out.push({
      path: pathOf(`${path}.${field}`, REVISION),
      message: `${where} ${field === 'labels' ? 'label' : 'annotation'} ${REVISION}: ${describe(raw)} selects a control-plane revision other than `
        + `namespace ${nsName}'s ("${nsRev}"): its proxy would come from another injector, or from none`,
    });
  }
  return out;
}

function checkProxy(object: RuleObject, ctx: RuleContext, image: RegExp): RuleViolation[] {
  const out: RuleViolation[] = [];
  const pod = podMetadata(object);
  if (pod) {
    const where = isKind(object, '', 'Pod') ? 'Pod' : `${object.kind} pod template`;
    const annotations = asMap(pod.metadata?.annotations);
    if (annotations) {
      out.push(...annotationViolations(annotations, `${pod.path}.annotations`, where));
      if (isSet(annotations[STATUS])) {
        out.push({
          path: pathOf(`${pod.path}.annotations`, STATUS),
          message: `${where} annotation ${STATUS} is the injector's record of what it injected; written in a manifest it changes how the injector treats the pod`,
        });
      }
    }
    out.push(...revisionViolations(object, pod.metadata, pod.path, where, ctx));
  }
  for (const spec of podSpecsOf(object)) {
    for (const c of containersOf(spec)) {
      const name = typeof c.container.name === 'string' ? lowerAscii(c.container.name) : undefined;
      if (name !== undefined && INJECTED_NAMES.includes(name)) {
        out.push({
          path: `${c.path}.name`,
          message: `${c.label} is declared in the manifest: the injector writes ${name} itself and merges a declared one over its own `
            + '(its image, command, args and user win), so the proxy or the iptables setup would be the manifest\'s, not the mesh\'s',
        });
      } else if (typeof c.container.image === 'string' && image.test(c.container.image)) {
        out.push({
          path: `${c.path}.image`,
          message: `${c.label} runs the proxy image ${c.container.image} outside the injector's containers (it carries the proxy's tools and may run as its user, 1337)`,
        });
      }
    }
  }
  return out;
}

/** What is wrong with a UID/GID field value, or undefined when it is absent or fine. */
function idProblem(value: unknown): 'shape' | 'proxy' | undefined {
  if (!isSet(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'shape';
  return value === PROXY_ID ? 'proxy' : undefined;
}

const ID_MEANING: { readonly [field: string]: string } = {
  runAsUser: 'UID 1337 is the proxy\'s: iptables never redirects its traffic to the sidecar',
  runAsGroup: 'GID 1337 is the proxy\'s group: iptables never redirects traffic of processes with that group',
};

function checkIds(object: RuleObject): RuleViolation[] {
  const out: RuleViolation[] = [];
  for (const spec of podSpecsOf(object)) {
    const sc = securityContextOf(spec.spec);
    const base = `${spec.path}.securityContext`;
    for (const field of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const problem = idProblem(sc[field]);
      if (problem === 'shape') out.push({ path: `${base}.${field}`, message: `the pod's securityContext.${field} is ${describe(sc[field])}, not an integer ID` });
      if (problem === 'proxy') {
        out.push({
          path: `${base}.${field}`,
          message: field === 'fsGroup'
            ? 'the pod\'s fsGroup 1337 gives every container GID 1337, the proxy\'s group, as a supplementary group: a process can make it its effective GID '
              + '(a setgid file it owns) and bypass the sidecar'
            : `the pod's securityContext.${field} 1337 applies to every container that does not set its own: ${ID_MEANING[field]}`,
        });
      }
    }
    const groups: unknown = sc.supplementalGroups;
    if (isSet(groups) && !Array.isArray(groups)) {
      out.push({ path: `${base}.supplementalGroups`, message: `the pod's securityContext.supplementalGroups is ${describe(groups)}, not a list of group IDs` });
    } else if (Array.isArray(groups)) {
      groups.forEach((g, i) => {
        const problem = idProblem(g);
        if (problem === 'shape') out.push({ path: `${base}.supplementalGroups[${i}]`, message: `the pod's supplementalGroups[${i}] is ${describe(g)}, not an integer group ID` });
        if (problem === 'proxy') {
          out.push({
            path: `${base}.supplementalGroups[${i}]`,
            message: 'the pod\'s supplementalGroups gives every container GID 1337, the proxy\'s group: a process can make it its effective GID (a setgid file it owns) and bypass the sidecar',
          });
        }
      });
    }
    for (const c of containersOf(spec)) {
      const csc = securityContextOf(c.container);
      for (const field of ['runAsUser', 'runAsGroup'] as const) {
        const problem = idProblem(csc[field]);
        const path = `${c.path}.securityContext.${field}`;
        if (problem === 'shape') out.push({ path, message: `${c.label} sets securityContext.${field} to ${describe(csc[field])}, not an integer ID` });
        if (problem === 'proxy') out.push({ path, message: `${c.label} sets securityContext.${field} 1337: ${ID_MEANING[field]} (no mTLS, no authorization policy)` });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Admission CEL: Pods arrive after injection; the templated kinds are never mutated by the injector

interface PodForm {
  readonly group: string;
  readonly kinds: readonly string[];
  readonly spec: readonly string[];
  readonly meta: readonly string[];
  /** Pods are checked after injection: the injector's own containers and status are expected. */
  readonly injected: boolean;
}

/** The same places as workload-pod-specs.ts and podMetadata(), with the metadata of each pod template. */
const FORMS: readonly PodForm[] = [
  { group: '', kinds: ['Pod'], spec: ['spec'], meta: ['metadata'], injected: true },
  { group: '', kinds: ['ReplicationController'], spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'], injected: false },
  {
    group: 'apps',
    kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
    spec: ['spec', 'template', 'spec'],
    meta: ['spec', 'template', 'metadata'],
    injected: false,
  },
  { group: 'batch', kinds: ['Job'], spec: ['spec', 'template', 'spec'], meta: ['spec', 'template', 'metadata'], injected: false },
  {
    group: 'batch',
    kinds: ['CronJob'],
    spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    meta: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
    injected: false,
  },
];

/**
 * CEL over `object`: for the pod kinds, `metaOk` over the pod metadata and `specOk` over the pod
 * spec (each true when absent), told whether the object is a Pod (after injection); true for other kinds.
 */
function celForPod(specOk: (spec: string, injected: boolean) => string, metaOk?: (meta: string, injected: boolean) => string): string {
  let expr = 'true';
  for (const f of [...FORMS].reverse()) {
    const spec = `object.${f.spec.join('.')}`;
    const meta = `object.${f.meta.join('.')}`;
    const parts = [`(!${celHas('object', f.spec)} || (${specOk(spec, f.injected)}))`];
    if (metaOk) parts.unshift(`(!${celHas('object', f.meta)} || (${metaOk(meta, f.injected)}))`);
    expr = `${celIsKind(f.group, f.kinds)} ? (${parts.join(' && ')}) : ${expr}`;
  }
  return expr;
}

/** CEL: the container `c` has a string name equal (lower-cased ASCII) to `name`. */
function celNamed(c: string, names: readonly string[]): string {
  return `(has(${c}.name) && type(${c}.name) == string && ${c}.name.lowerAscii() in ${celStrings(names)})`;
}

/** CEL: the container `c` runs one of the mesh's proxy images. */
function celProxyImage(c: string, pattern: string): string {
  return `(has(${c}.image) && type(${c}.image) == string && ${c}.image.matches(${celString(pattern)}))`;
}

/** CEL: `c.securityContext.field` is the integer `value`. */
function celIdIs(c: string, field: string, value: number): string {
  return `(${celHas(c, ['securityContext', field])} && type(${c}.securityContext.${field}) == int && ${c}.securityContext.${field} == ${value})`;
}

/** CEL: `c.args` is a list that starts with `first`. */
function celArgsStart(c: string, first: readonly string[]): string {
  return `(has(${c}.args) && type(${c}.args) == list && size(${c}.args) >= ${first.length} && ${first.map((a, i) => `${c}.args[${i}] == ${celString(a)}`).join(' && ')})`;
}

/** CEL: a lifecycle hook that runs nothing in the container but pilot-agent. */
function celHookOk(c: string, hook: string): string {
  const h = `${c}.lifecycle.${hook}`;
  return `(!has(${h}) || !has(${h}.exec) || (has(${h}.exec.command) && size(${h}.exec.command) > 0 && ${h}.exec.command[0] == 'pilot-agent'))`;
}

/**
 * CEL: `c`, in the list `list` of a Pod, is the `istio-proxy` the injector writes: the mesh's
 * image, no `command`, args `proxy sidecar ...`, UID and GID 1337, in `containers` or as a native
 * sidecar (an init container with restartPolicy Always), and no hook or probe that runs another
 * program in it (the non-distroless proxy image has a shell).
 */
function celInjectedProxy(c: string, list: string, pattern: string): string {
  const placement = list === 'containers' ? `!has(${c}.restartPolicy)`
    : list === 'initContainers' ? `(has(${c}.restartPolicy) && ${c}.restartPolicy == 'Always')` : 'false';
  return `(${[
    placement,
    celProxyImage(c, pattern),
    `!has(${c}.command)`,
    celArgsStart(c, ['proxy', 'sidecar']),
    celIdIs(c, 'runAsUser', PROXY_ID),
    celIdIs(c, 'runAsGroup', PROXY_ID),
    `(!has(${c}.lifecycle) || (${celHookOk(c, 'postStart')} && ${celHookOk(c, 'preStop')}))`,
    ...['readinessProbe', 'livenessProbe', 'startupProbe'].map((p) => `(!has(${c}.${p}) || !has(${c}.${p}.exec))`),
  ].join(' && ')})`;
}

/**
 * CEL: `c`, in the list `list` of a Pod, is the `istio-init` or `istio-validation` the injector
 * writes: a plain init container with the mesh's image, no `command`, `istio-iptables` args that
 * exempt UID 1337 (one `-u 1337`, no other UID or GID option).
 */
function celInjectedInit(c: string, list: string, pattern: string): string {
  if (list !== 'initContainers') return 'false';
  return `(${[
    `(!has(${c}.restartPolicy) || ${c}.restartPolicy != 'Always')`,
    celProxyImage(c, pattern),
    `!has(${c}.command)`,
    celArgsStart(c, ['istio-iptables']),
    `${c}.args.all(a, type(a) == string)`,
    `size(${c}.args.filter(a, a.startsWith('-u'))) == 1`,
    `!${c}.args.exists(a, a.startsWith('--proxy-uid') || a.startsWith('--proxy-gid') || a.startsWith('-g'))`,
    `${c}.args.join('\\n').matches(${celString(`(^|\\n)-u\\n${PROXY_ID}(\\n|$)`)})`,
  ].join(' && ')})`;
}

/** CEL: the container `c` of `list` is, by its whole shape, one the injector wrote and that runs as 1337 (istio-proxy, istio-validation). */
function celInjected1337(c: string, list: string, pattern: string): string {
  const named = (n: string) => `(type(${c}.name) == string && ${c}.name.lowerAscii() == ${celString(n)})`;
  return `(has(${c}.name) && ((${named(PROXY)} && ${celInjectedProxy(c, list, pattern)}) || (${named(VALIDATION)} && ${celInjectedInit(c, list, pattern)})))`;
}

/**
 * CEL: in a Pod that the injector marked (`sidecar.istio.io/status`), the container `c` of `list`
 * is one the injector wrote, recognized by its whole shape (name, the mesh's proxy image
 * repository with any tag or digest, placement, no command, its args and UIDs), never by its name
 * alone. Rules about what an app's containers run (the image digest) exempt these: the mesh
 * chooses the proxy image, and managed meshes pin it by tag.
 */
export function celInjectorContainer(c: string, list: string, repositories?: readonly string[]): string {
  const pattern = proxyImagePattern(repositories ?? DEFAULT_PROXY_IMAGE_REPOSITORIES);
  const annotations = 'object.metadata.annotations';
  const marked = `(has(${annotations}) && ${celString(STATUS)} in ${annotations})`;
  const named = (n: string) => `(type(${c}.name) == string && ${c}.name.lowerAscii() == ${celString(n)})`;
  return `(${marked} && has(${c}.name) && ((${named(PROXY)} && ${celInjectedProxy(c, list, pattern)}) || `
    + `((${named(INIT)} || ${named(VALIDATION)}) && ${celInjectedInit(c, list, pattern)})))`;
}

/**
 * CEL: a container of a pod (after injection when `injected`) is acceptable to MESH-PROXY-001:
 * the injector's containers are recognized by the mesh's proxy images (`pattern`); the proxy
 * image in any other container is detected by `detect` (those images or the heuristic).
 */
function celContainerOk(c: string, list: string, injected: boolean, pattern: string, detect: string): string {
  if (!injected) return `(!${celNamed(c, INJECTED_NAMES)} && !${celProxyImage(c, detect)})`;
  const name = `${c}.name.lowerAscii()`;
  return `(${celNamed(c, INJECTED_NAMES)} ? (${name} == ${celString(PROXY)} ? ${celInjectedProxy(c, list, pattern)} : ${celInjectedInit(c, list, pattern)})`
    + ` : !${celProxyImage(c, detect)})`;
}

/** CEL: the annotations map `a` (known to exist) passes MESH-PROXY-001. */
function celAnnotationsOk(a: string, injected: boolean): string {
  const key = (k: string) => celString(k);
  const str = (k: string) => `type(${a}[${key(k)}]) == string`;
  return [
    `(!(${key(INTERCEPTION_MODE)} in ${a}) || ${a}[${key(INTERCEPTION_MODE)}] in ${celStrings(REDIRECTING_MODES)})`,
    `(!(${key(PROXY_CONFIG)} in ${a}) || (${str(PROXY_CONFIG)} && !${a}[${key(PROXY_CONFIG)}].matches(${celString(PROXY_CONFIG_DENIED_CEL)})))`,
    `!(${key(PROXY_IMAGE)} in ${a})`,
    `(!(${key(TEMPLATES)} in ${a}) || (${str(TEMPLATES)} && ${a}[${key(TEMPLATES)}].trim() == ${celString(DEFAULT_TEMPLATE)}))`,
    `!(${key(OVERRIDES)} in ${a})`,
    `(!(${key(STATUS_PORT)} in ${a}) || ${a}[${key(STATUS_PORT)}] == ${celString(DEFAULT_STATUS_PORT)})`,
    ...(injected ? [] : [`!(${key(STATUS)} in ${a})`]),
  ].map((t) => `(${t})`).join(' && ');
}

/** CEL: `base.field` (a UID/GID) is absent, null, or an integer other than 1337. */
function celIdOk(base: string, field: string): string {
  const v = `${base}.${field}`;
  return `(!has(${v}) || type(${v}) == null_type || (type(${v}) == int && ${v} != ${PROXY_ID}))`;
}

// ---------------------------------------------------------------------------------------------
// The rules

/**
 * MESH-PROXY-001 and POD-UID-001 (EXC-1, OPS-1), built for the mesh's proxy images (see
 * {@link MeshProxyRuleOptions}). {@link MESH_PROXY_001} and {@link POD_UID_001} use the default.
 */
export function meshProxyRules(options: MeshProxyRuleOptions = {}): { readonly proxy: PolicyRule; readonly uid: PolicyRule } {
  const pattern = proxyImagePattern(options.proxyImageRepositories);
  const detect = `(${PROXY_IMAGE_HEURISTIC})|(${pattern})`;
  const image = new RegExp(detect);

  // MESH-PROXY-001: see MESH_PROXY_001 below for what it allows.
  const proxy: PolicyRule = {
    id: 'MESH-PROXY-001',
    practices: ['EXC-1', 'OPS-1'],
    severity: RuleSeverity.ERROR,
    since: '2',
    kinds: POD_KINDS,
    title: 'No pod customizes or escapes the injected proxy',
    explanation:
      'Istio\'s iptables send a pod\'s traffic through the injected proxy, except traffic of UID/GID 1337 (the proxy\'s own). A pod '
      + 'that declares its own istio-proxy/istio-init/istio-validation (the injector merges it over its own: image, command, args '
      + 'and user win), runs the proxy image elsewhere, sets interceptionMode NONE (annotation or proxy.istio.io/config), swaps '
      + 'the proxy image, binary, Envoy configuration or injection template, moves the status port, or selects another '
      + 'control-plane revision than its namespace gets a proxy and iptables setup that are not the mesh\'s: traffic can bypass '
      + 'mTLS and authorization policy.',
    fix:
      'Remove the container or annotation and let the injector write the proxy. Proxy settings that are the platform\'s (image, '
      + 'interception mode, templates, revision) belong in the mesh configuration and the Namespace labels. A PolicyException with '
      + 'justification, owner and expiry fits only workloads that are a proxy themselves (an Istio gateway Deployment uses '
      + 'inject.istio.io/templates: gateway and declares istio-proxy with image auto), in a namespace kept apart by NetworkPolicy.',
    check(object, ctx) {
      return checkProxy(object, ctx, image);
    },
    // The cluster's proxy images (MeshBaseline proxyImageRepositories) when the context names them.
    admissionFor: (ctx) => forRepositories(ctx.proxyImageRepositories ?? options.proxyImageRepositories).proxy.admission!,
    admission: {
      resources: POD_SPEC_RESOURCES,
      expression: celForPod(
        (spec, injected) => CONTAINER_LISTS.map((list) =>
          `(!has(${spec}.${list}) || ${spec}.${list}.all(c, ${celContainerOk('c', list, injected, pattern, detect)}))`).join(' && '),
        (meta, injected) => `(!has(${meta}.annotations) || (${celAnnotationsOk(`${meta}.annotations`, injected)}))`,
      ),
      message: 'MESH-PROXY-001: pods may not customize or escape the injected proxy: no declared or altered istio-proxy/istio-init/'
        + 'istio-validation, no proxy image elsewhere, no interceptionMode NONE, no proxy.istio.io/config interceptionMode/binaryPath/'
        + 'customConfigFile/proxyBootstrapTemplatePath, no sidecar.istio.io/proxyImage, proxy.istio.io/overrides, inject.istio.io/templates '
        + 'other than sidecar or status.sidecar.istio.io/port other than 15020',
    },
  };

  // POD-UID-001: see POD_UID_001 below for what it allows.
  const uid: PolicyRule = {
    id: 'POD-UID-001',
    practices: ['EXC-1', 'OPS-1'],
    severity: RuleSeverity.ERROR,
    since: '2',
    kinds: POD_KINDS,
    title: 'No app container runs as UID or GID 1337',
    explanation:
      'Istio\'s iptables skip redirection for traffic of UID 1337 and GID 1337, the proxy\'s own, so that the proxy\'s traffic does not '
      + 'loop. An app container running as UID or GID 1337 (its own runAsUser/runAsGroup, or the pod\'s), or holding GID 1337 as a '
      + 'supplementary group (fsGroup, supplementalGroups) that a setgid file turns into its effective GID, sends and receives '
      + 'traffic around the sidecar: no mTLS, no authorization policy, no telemetry.',
    fix:
      'Run the app as another UID and GID (e.g. runAsUser: 10001, runAsGroup: 10001) and remove 1337 from fsGroup and '
      + 'supplementalGroups. Build images whose USER is not 1337. There is no legitimate app use of the proxy\'s IDs; a '
      + 'PolicyException fits only a workload that is itself a proxy outside sidecar interception.',
    check(object) {
      return checkIds(object);
    },
    admissionFor: (ctx) => forRepositories(ctx.proxyImageRepositories ?? options.proxyImageRepositories).uid.admission!,
    admission: {
      resources: POD_SPEC_RESOURCES,
      expression: celForPod((spec, injected) => {
        const sc = `${spec}.securityContext`;
        const groups = `${sc}.supplementalGroups`;
        const podOk = `(!has(${sc}) || (${[
          celIdOk(sc, 'runAsUser'), celIdOk(sc, 'runAsGroup'), celIdOk(sc, 'fsGroup'),
          `(!has(${groups}) || type(${groups}) == null_type || (type(${groups}) == list && ${groups}.all(g, type(g) == int && g != ${PROXY_ID})))`,
        ].join(' && ')}))`;
        const containersOk = CONTAINER_LISTS.map((list) => {
          const idsOk = `(!has(c.securityContext) || (${celIdOk('c.securityContext', 'runAsUser')} && ${celIdOk('c.securityContext', 'runAsGroup')}))`;
          const ok = injected ? `(${celInjected1337('c', list, pattern)} || ${idsOk})` : idsOk;
          return `(!has(${spec}.${list}) || ${spec}.${list}.all(c, ${ok}))`;
        });
        return [podOk, ...containersOk].join(' && ');
      }),
      message: 'POD-UID-001: no container but the injected istio-proxy/istio-validation may run as UID or GID 1337 '
        + '(runAsUser, runAsGroup, the pod\'s fsGroup or supplementalGroups): Istio\'s iptables do not redirect that traffic',
    },
  };

  return { proxy, uid };
}

const DEFAULT_RULES = meshProxyRules();

/** The rules built for `repositories` (cached: the guardrails and the audit ask for the same ones). */
const BUILT = new Map<string, { readonly proxy: PolicyRule; readonly uid: PolicyRule }>();
function forRepositories(repositories: readonly string[] = DEFAULT_PROXY_IMAGE_REPOSITORIES): ReturnType<typeof meshProxyRules> {
  const key = JSON.stringify([...repositories].sort());
  let built = BUILT.get(key);
  if (!built) {
    const isDefault = key === JSON.stringify([...DEFAULT_PROXY_IMAGE_REPOSITORIES].sort());
    built = isDefault ? DEFAULT_RULES : meshProxyRules({ proxyImageRepositories: [...repositories].sort() });
    BUILT.set(key, built);
  }
  return built;
}

/**
 * MESH-PROXY-001 (EXC-1, OPS-1): no pod customizes or escapes the injected proxy.
 *
 * The proxy, its image, its iptables setup and the control-plane revision that injects it are
 * the mesh's. After this rule, an app's manifests (synth, audit) carry none of:
 * - an `istio-proxy`, `istio-init` or `istio-validation` container (any case, any list): the
 *   injector merges a declared one over its own, so its image, command, args and user win;
 * - a container running the proxy image (it carries the proxy's tools and user);
 * - `sidecar.istio.io/interceptionMode` other than exactly REDIRECT or TPROXY (NONE turns
 *   redirection off, anything else Istio rejects);
 * - `proxy.istio.io/config` setting interceptionMode, binaryPath, customConfigFile or
 *   proxyBootstrapTemplatePath (JSON or proto spelling), or that is not a YAML/JSON mapping;
 * - `sidecar.istio.io/proxyImage` (any value), `inject.istio.io/templates` other than `sidecar`,
 *   `proxy.istio.io/overrides`, `status.sidecar.istio.io/port` other than 15020 (the injector
 *   excludes that port from inbound redirection), `sidecar.istio.io/status`;
 * - a pod `istio.io/rev` label or annotation other than its Namespace's revision (`default` for
 *   `istio-injection: enabled`), when the Namespace is among the objects.
 * `sidecar.istio.io/inject` and the Namespace injection labels are MESH-INJ-001's; the
 * `traffic.sidecar.istio.io/*` annotations are MESH-EXC-001's.
 *
 * Admission sees Pods after injection, so on Pods it admits the injector's own containers when
 * their whole shape is the injector's (name, the mesh's image, placement, no command, its args,
 * its UIDs, no hook or probe running another program), and `sidecar.istio.io/status`. The
 * workload kinds, which the injector never mutates, get the same strict test as `check()`. The
 * revision comparison needs the Namespace, so it is `check()`'s only. CEL cannot parse
 * `proxy.istio.io/config`: it rejects any value mentioning a denied field anywhere, or holding a
 * backslash or `!` (escapes and tags can spell a field); `check()` parses it.
 *
 * The injector's `istio-proxy` is admitted only as UID and GID 1337 (REDIRECT interception with
 * Istio's default IDs): TPROXY (the proxy as root with NET_ADMIN) and OpenShift, where the
 * injector takes the proxy's UID from the namespace's range, need a PolicyException or their own
 * rule. The proxy image test is a heuristic unless the hub is named ({@link MeshProxyRuleOptions}).
 *
 * This constant uses the default (heuristic) proxy image test; {@link meshProxyRules} builds it
 * for a named hub.
 */
export const MESH_PROXY_001: PolicyRule = DEFAULT_RULES.proxy;

/**
 * POD-UID-001 (EXC-1, OPS-1): no app container runs as UID or GID 1337.
 *
 * Istio's iptables return early (no redirection to the sidecar) for traffic of UID 1337 and of
 * effective GID 1337, so a process with either talks to the network directly. Reported: a
 * container's `runAsUser`/`runAsGroup` 1337; the pod's `runAsUser`/`runAsGroup` 1337 (inherited
 * by every container without its own); the pod's `fsGroup` 1337 or 1337 in
 * `supplementalGroups`. iptables matches the effective GID, not supplementary groups, but a
 * process that has 1337 as a supplementary group can take it as its effective GID by running a
 * setgid file it owns (unless `allowPrivilegeEscalation: false`, which sets no_new_privs), so
 * those count too. A UID/GID that is not an integer (`"1337"`) is reported as well: it
 * cannot be judged. Containers are checked in every list, ephemeral ones included.
 *
 * Admission sees Pods after injection and exempts the `istio-proxy` and `istio-validation` the
 * injector wrote (judged by their whole shape, as MESH-PROXY-001 does, never by name alone);
 * every other container, and the pod level, may not use 1337. Not visible in a manifest: the
 * user an image declares (`USER 1337`) when runAsUser is unset, and the groups an image's
 * /etc/group gives the user.
 *
 * This constant uses the default (heuristic) proxy image test; {@link meshProxyRules} builds it
 * for a named hub.
 */
export const POD_UID_001: PolicyRule = DEFAULT_RULES.uid;
