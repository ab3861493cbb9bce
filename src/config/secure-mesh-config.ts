import { existsSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import { IConstruct } from 'constructs';
import { ENFORCEMENT_ID } from '../policy/enforcement-id';
import { DEFAULT_MAX_EXCEPTION_DAYS, MAX_EXCEPTION_DAYS_LIMIT } from '../policy/exception-registry-format';
import { RULE_SET_CONTEXT_KEY, ruleSetProblem } from '../policy/rule-sets';
import { DEFAULT_PROXY_IMAGE_REPOSITORIES, proxyRepositoryProblems } from '../policy/rules/mesh-proxy-overrides';

/**
 * The mesh settings the checks trust (OPS-1, RBAC-1, MTLS-1): the SPIFFE trust domain behind
 * every principal, the mesh root and control-plane namespaces, and the operator groups allowed
 * cluster-wide bindings.
 */
export interface SecureMeshSettings {
  /**
   * Trust domain of workload identities (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`).
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;

  /**
   * Other trust domains whose principals count as this mesh's (Istio's `trustDomainAliases`,
   * e.g. during a trust-domain migration).
   * @default [] - none
   */
  readonly trustDomainAliases?: string[];

  /**
   * The mesh root namespace: policies there apply to every namespace.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;

  /**
   * The namespace istiod (and the CA key) runs in.
   * @default - the root namespace
   */
  readonly controlPlaneNamespace?: string;

  /**
   * Groups of mesh administrators: the only subjects of ClusterRoleBindings besides operators,
   * and the only readers of the CA key (RBAC-CRB-001, RBAC-CA-001).
   * @default [] - none
   */
  readonly meshAdminGroups?: string[];

  /**
   * Other operator groups (security admins, auditors) that may hold ClusterRoleBindings.
   * @default [] - none
   */
  readonly operatorGroups?: string[];

  /**
   * Registries images may come from (IMG-1, IMG-REG-001), as MeshBaseline `allowedRegistries`:
   * a registry host, optionally with a path prefix (`gcr.io/acme`).
   * @default [] - any registry
   */
  readonly allowedRegistries?: string[];

  /**
   * The rule set the blueprint was written against (`'1'`, `'2'`, ...): rules added or made
   * stricter in a later set report as warnings, not errors, until you move up. Pin it so that
   * upgrading the library never fails your synth without notice; read the changelog, fix the new
   * warnings, then raise it.
   * @default - the latest rule set
   */
  readonly ruleSet?: string;

  /**
   * The longest a PolicyException may last, in days (EXC-1), as MeshBaseline `maxExceptionDays`:
   * the audit reports registry entries that expire further out.
   * @default 90
   */
  readonly maxExceptionDays?: number;

  /**
   * The repositories the injected proxy comes from, as MeshBaseline `proxyImageRepositories`: the
   * admission guardrails the audit compares recognize the injector's containers only with these.
   * @default ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2']
   */
  readonly proxyImageRepositories?: string[];

  /**
   * Set in an app team's repository: the namespaces this repository owns (the platform creates
   * them and their RepoSync/AppProject); REPO-SCOPE-001 then reports anything the output writes
   * outside them or cluster-scoped. Empty (default): a platform or single-app repository, no
   * boundary.
   * @default [] - not an app repository
   */
  readonly appNamespaces?: string[];
}

const KEYS: readonly (keyof SecureMeshSettings)[] = [
  'trustDomain', 'trustDomainAliases', 'rootNamespace', 'controlPlaneNamespace', 'meshAdminGroups', 'operatorGroups', 'allowedRegistries', 'ruleSet',
  'maxExceptionDays', 'proxyImageRepositories', 'appNamespaces',
];
const LIST_KEYS = new Set<string>(['trustDomainAliases', 'meshAdminGroups', 'operatorGroups', 'allowedRegistries', 'proxyImageRepositories', 'appNamespaces']);

/**
 * The one configuration of the checks that run outside synthesis: `cdk8s-secure-mesh audit` and
 * `access`, the cdk8s-cli validation plugin and `AccessMatrix` read `secure-mesh.yaml` (in the
 * working directory, or a file named explicitly). Commit it and review changes to it like code:
 * it decides which identities and groups the checks trust. Flags and plugin properties override
 * single settings.
 *
 * The settings are never taken from the manifests being checked (a manifest could forge them).
 * The library can write the file from the blueprint (`SecureMeshConfig.fromApp(app).toYaml()`),
 * and synthesis fails when a `secure-mesh.yaml` in the working directory disagrees with the
 * app's MeshBaseline or MeshRoleSets, so the file cannot drift from the mesh it describes.
 *
 * ```yaml
 * apiVersion: secure-mesh.cdk8s.io/v1alpha1
 * kind: SecureMeshConfig
 * trustDomain: retail.example.com
 * trustDomainAliases: []
 * rootNamespace: istio-system
 * controlPlaneNamespace: istio-system
 * meshAdminGroups: [mesh-admins]
 * operatorGroups: [security-admins, auditors]
 * ```
 */
export class SecureMeshConfig {
  /** The file name looked up in the working directory. */
  public static readonly FILE_NAME = 'secure-mesh.yaml';
  /** `apiVersion` of the file. */
  public static readonly API_VERSION = 'secure-mesh.cdk8s.io/v1alpha1';
  /** `kind` of the file. */
  public static readonly KIND = 'SecureMeshConfig';

  /**
   * Reads and checks a config file. Throws, naming the file and the field, on unknown fields,
   * wrong types or invalid values.
   */
  public static fromFile(file: string): SecureMeshConfig {
    const path = resolve(file);
    if (!existsSync(path)) throw new Error(`${file}: no such config file. Write one (see SecureMeshConfig) or leave the option out.`);
    let doc: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      doc = (require('yaml') as typeof import('yaml')).parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
    }
    return SecureMeshConfig.fromDocument(doc, file);
  }

  /**
   * The settings the checks use: `file` when given (it must exist), else `secure-mesh.yaml` in
   * the working directory when there is one, else the defaults; then `overrides` (flags, plugin
   * properties) replace single settings.
   *
   * @param file the config file @default - ./secure-mesh.yaml when it exists
   * @param overrides settings that replace the file's @default - none
   */
  public static load(file?: string, overrides: SecureMeshSettings = {}): SecureMeshConfig {
    const base = file !== undefined ? SecureMeshConfig.fromFile(file) : SecureMeshConfig.find() ?? new SecureMeshConfig({}, 'defaults');
    return base.withOverrides(overrides);
  }

  /**
   * The config file `secure-mesh.yaml` of `directory`, or undefined when there is none.
   * @param directory where to look @default - the working directory
   */
  public static find(directory?: string): SecureMeshConfig | undefined {
    const file = directory === undefined ? SecureMeshConfig.FILE_NAME : join(directory, SecureMeshConfig.FILE_NAME);
    return existsSync(file) ? SecureMeshConfig.fromFile(file) : undefined;
  }

  /** Settings given in code (checked like the file's). */
  public static fromSettings(settings: SecureMeshSettings): SecureMeshConfig {
    return new SecureMeshConfig(checkSettings(settings as { [key: string]: unknown }, 'settings'), 'settings');
  }

  /**
   * The settings a blueprint declares: trust domain and namespaces of its `MeshBaseline` (or
   * imported mesh), the Group subjects of its `MeshRoleSets`, and, in an app team's repository,
   * the namespaces it owns (`appNamespaces`). Write them to `secure-mesh.yaml` with `toYaml()`.
   */
  public static fromApp(scope: IConstruct): SecureMeshConfig {
    const declared = declaredSettings(scope);
    return new SecureMeshConfig(checkSettings({ ...declared.mesh, ...declared.groups } as { [key: string]: unknown }, 'app'), 'app');
  }

  private static fromDocument(doc: unknown, source: string): SecureMeshConfig {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error(`${source}: expected a mapping with apiVersion: ${SecureMeshConfig.API_VERSION} and kind: ${SecureMeshConfig.KIND}`);
    }
    const { apiVersion, kind, ...settings } = doc as { [key: string]: unknown };
    if (apiVersion !== SecureMeshConfig.API_VERSION || kind !== SecureMeshConfig.KIND) {
      throw new Error(`${source}: apiVersion/kind must be ${SecureMeshConfig.API_VERSION}/${SecureMeshConfig.KIND}, got ${String(apiVersion)}/${String(kind)}`);
    }
    return new SecureMeshConfig(checkSettings(settings, source), source);
  }

  /** Trust domain of workload identities. */
  public readonly trustDomain: string;
  /** Trust domains whose principals count as this mesh's. */
  public readonly trustDomainAliases: string[];
  /** The mesh root namespace. */
  public readonly rootNamespace: string;
  /** The namespace istiod runs in. */
  public readonly controlPlaneNamespace: string;
  /** Groups of mesh administrators. */
  public readonly meshAdminGroups: string[];
  /** Other operator groups allowed ClusterRoleBindings. */
  public readonly operatorGroups: string[];
  /** Registries images may come from; empty: any. */
  public readonly allowedRegistries: string[];
  /** The declared rule set, if any (the latest applies when absent). */
  public readonly ruleSet?: string;
  /** The longest a PolicyException may last, in days. */
  public readonly maxExceptionDays: number;
  /** The repositories the injected proxy comes from. */
  public readonly proxyImageRepositories: string[];
  /**
   * Set in an app team's repository: the namespaces this repository owns (the platform creates
   * them and their RepoSync/AppProject); REPO-SCOPE-001 then reports anything the output writes
   * outside them or cluster-scoped. Empty (default): a platform or single-app repository, no
   * boundary.
   */
  public readonly appNamespaces: string[];
  /** Where the settings come from: the file, `settings`, `app`, or `defaults`, with ` + overrides` when overridden. */
  public readonly source: string;

  private constructor(settings: SecureMeshSettings, source: string) {
    this.trustDomain = settings.trustDomain ?? 'cluster.local';
    this.trustDomainAliases = [...(settings.trustDomainAliases ?? [])];
    this.rootNamespace = settings.rootNamespace ?? 'istio-system';
    this.controlPlaneNamespace = settings.controlPlaneNamespace ?? this.rootNamespace;
    this.meshAdminGroups = [...(settings.meshAdminGroups ?? [])];
    this.operatorGroups = [...(settings.operatorGroups ?? [])];
    this.allowedRegistries = [...(settings.allowedRegistries ?? [])];
    this.ruleSet = settings.ruleSet;
    this.maxExceptionDays = settings.maxExceptionDays ?? DEFAULT_MAX_EXCEPTION_DAYS;
    this.proxyImageRepositories = [...(settings.proxyImageRepositories ?? DEFAULT_PROXY_IMAGE_REPOSITORIES)];
    this.appNamespaces = [...(settings.appNamespaces ?? [])];
    this.source = source;
  }

  /**
   * These settings with `overrides` applied (flags, plugin properties): each setting given
   * replaces this one's; lists replace lists.
   */
  public withOverrides(overrides: SecureMeshSettings): SecureMeshConfig {
    const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
    if (Object.keys(given).length === 0) return this;
    const checked = checkSettings(given, 'overrides');
    // A control plane that followed the root namespace follows a new root namespace too.
    const followsRoot = checked.rootNamespace !== undefined && this.controlPlaneNamespace === this.rootNamespace;
    const controlPlane = checked.controlPlaneNamespace ?? (followsRoot ? checked.rootNamespace : this.controlPlaneNamespace);
    return new SecureMeshConfig({ ...this.settings(), ...checked, controlPlaneNamespace: controlPlane }, `${this.source} + overrides`);
  }

  /** The settings as a struct. */
  public settings(): SecureMeshSettings {
    return {
      trustDomain: this.trustDomain,
      trustDomainAliases: [...this.trustDomainAliases],
      rootNamespace: this.rootNamespace,
      controlPlaneNamespace: this.controlPlaneNamespace,
      meshAdminGroups: [...this.meshAdminGroups],
      operatorGroups: [...this.operatorGroups],
      allowedRegistries: [...this.allowedRegistries],
      ...(this.ruleSet !== undefined ? { ruleSet: this.ruleSet } : {}),
      ...(this.maxExceptionDays !== DEFAULT_MAX_EXCEPTION_DAYS ? { maxExceptionDays: this.maxExceptionDays } : {}),
      ...(!isDefaultProxyList(this.proxyImageRepositories) ? { proxyImageRepositories: [...this.proxyImageRepositories] } : {}),
      ...(this.appNamespaces.length > 0 ? { appNamespaces: [...this.appNamespaces] } : {}),
    };
  }

  /** The file's content (deterministic: same settings, same bytes). */
  public toYaml(): string {
    const list = (items: readonly string[]) => `[${items.map(yamlScalar).join(', ')}]`;
    return [
      '# Mesh settings of cdk8s-secure-mesh: read by `cdk8s-secure-mesh audit` and `access`, the cdk8s',
      '# validation plugin and AccessMatrix. Review changes like code: they decide which identities',
      '# and groups the checks trust. Synthesis fails when this file disagrees with the blueprint.',
      `apiVersion: ${SecureMeshConfig.API_VERSION}`,
      `kind: ${SecureMeshConfig.KIND}`,
      `trustDomain: ${yamlScalar(this.trustDomain)}`,
      `trustDomainAliases: ${list(this.trustDomainAliases)}`,
      `rootNamespace: ${yamlScalar(this.rootNamespace)}`,
      `controlPlaneNamespace: ${yamlScalar(this.controlPlaneNamespace)}`,
      `meshAdminGroups: ${list(this.meshAdminGroups)}`,
      `operatorGroups: ${list(this.operatorGroups)}`,
      ...(this.allowedRegistries.length > 0 ? [`allowedRegistries: ${list(this.allowedRegistries)}`] : []),
      ...(this.ruleSet !== undefined ? [`ruleSet: ${yamlScalar(this.ruleSet)}`] : []),
      ...(this.maxExceptionDays !== DEFAULT_MAX_EXCEPTION_DAYS ? [`maxExceptionDays: ${this.maxExceptionDays}`] : []),
      ...(!isDefaultProxyList(this.proxyImageRepositories) ? [`proxyImageRepositories: ${list(this.proxyImageRepositories)}`] : []),
      ...(this.appNamespaces.length > 0 ? [`appNamespaces: ${list(this.appNamespaces)}`] : []),
      '',
    ].join('\n');
  }

  /**
   * What this file says that differs from what the blueprint declares (`fromApp`), one line
   * per setting the blueprint declares; empty when they agree.
   */
  public differencesFrom(scope: IConstruct): string[] {
    const declared = declaredSettings(scope);
    const given = { ...declared.mesh, ...declared.groups } as { [key: string]: unknown };
    const mine = {
      ...this.settings(),
      maxExceptionDays: this.maxExceptionDays,
      proxyImageRepositories: this.proxyImageRepositories,
      appNamespaces: this.appNamespaces,
    } as { [key: string]: unknown };
    const out: string[] = [];
    for (const key of KEYS) {
      if (!(key in given)) continue;
      const a = JSON.stringify(LIST_KEYS.has(key) ? [...(mine[key] as string[])].sort() : mine[key]);
      const b = JSON.stringify(LIST_KEYS.has(key) ? [...(given[key] as string[])].sort() : given[key]);
      if (a !== b) out.push(`${key}: the file says ${a}, the blueprint ${b}`);
    }
    return out;
  }
}

/** Whether `repositories` are Istio's official hubs (the default, left out of the file). */
function isDefaultProxyList(repositories: readonly string[]): boolean {
  return JSON.stringify([...repositories].sort()) === JSON.stringify([...DEFAULT_PROXY_IMAGE_REPOSITORIES].sort());
}

/** A string as a YAML scalar: plain when YAML reads it back as the same string, else double-quoted. */
function yamlScalar(value: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('yaml') as typeof import('yaml');
  let plain = /^[A-Za-z0-9][A-Za-z0-9._@/-]*$/.test(value);
  try {
    plain &&= parse(value) === value;
  } catch {
    plain = false;
  }
  return plain ? value : JSON.stringify(value);
}

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkSettings(settings: { [key: string]: unknown }, source: string): SecureMeshSettings {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown field "${key}" (known: ${KEYS.join(', ')})`);
      continue;
    }
    if (value === undefined) continue;
    if (key === 'maxExceptionDays') {
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_EXCEPTION_DAYS_LIMIT) {
        problems.push(`maxExceptionDays must be a whole number of days from 1 to ${MAX_EXCEPTION_DAYS_LIMIT}`);
      }
      continue;
    }
    if (key === 'ruleSet') {
      // YAML reads `ruleSet: 2` as a number: the same set.
      const name = typeof value === 'number' ? String(value) : value;
      const problem = ruleSetProblem(name);
      if (problem) problems.push(`ruleSet ${problem}`);
      else settings[key] = name;
      continue;
    }
    if (LIST_KEYS.has(key)) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
        problems.push(`${key} must be a list of non-empty strings`);
        continue;
      }
      if (key === 'trustDomainAliases') for (const td of value as string[]) problems.push(...trustDomainProblems(`${key}`, td));
      if (key === 'proxyImageRepositories') problems.push(...proxyRepositoryProblems(value).map((p) => `${key} ${p}`));
      if (key === 'appNamespaces') problems.push(...namespaceListProblems(key, value as string[]));
    } else if (typeof value !== 'string') {
      problems.push(`${key} must be a string`);
    } else if (key === 'trustDomain') {
      problems.push(...trustDomainProblems(key, value));
    } else if (!LABEL.test(value) || value.length > 63) {
      problems.push(`${key} "${value}" is not a namespace name (DNS-1123 label)`);
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return settings as SecureMeshSettings;
}

/** Each entry a namespace name (DNS-1123 label), none twice. */
function namespaceListProblems(key: string, names: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (!LABEL.test(name) || name.length > 63) problems.push(`${key} [${i}] "${name}" is not a namespace name (DNS-1123 label)`);
    else if (seen.has(name)) problems.push(`${key} [${i}] "${name}" is listed twice`);
    seen.add(name);
  });
  return problems;
}

function trustDomainProblems(key: string, value: string): string[] {
  if (!/^[A-Za-z0-9]([-A-Za-z0-9._]*[A-Za-z0-9])?$/.test(value)) {
    return [`${key} "${value}" is not a trust domain (letters, digits, '-', '.', '_'; the host part of spiffe://<trustDomain>/ns/<ns>/sa/<sa>)`];
  }
  return [];
}

/** What PolicyEnforcement records while the app is built (read without importing it: no cycle). */
interface DeclaredMesh {
  readonly mesh?: {
    readonly rootNamespace: string;
    readonly controlPlaneNamespace: string;
    readonly trustDomain: string;
    readonly allowedRegistries: string[];
    readonly maxExceptionDays?: number;
    readonly proxyImageRepositories?: string[];
  };
  readonly hasRoleSets: boolean;
  readonly meshAdminGroups: string[];
  readonly operatorGroups: string[];
  /** The namespaces an app repository owns (absent from older enforcements). */
  readonly appNamespaces?: string[];
}


function declaredSettings(scope: IConstruct): { mesh: SecureMeshSettings; groups: SecureMeshSettings } {
  const enforcement = scope.node.root.node.tryFindChild(ENFORCEMENT_ID) as { _declaredMesh?: () => DeclaredMesh } | undefined;
  const declared = enforcement?._declaredMesh?.();
  const ruleSet: unknown = scope.node.tryGetContext(RULE_SET_CONTEXT_KEY);
  const declaredSet = typeof ruleSet === 'string' || typeof ruleSet === 'number' ? { ruleSet: String(ruleSet) } : {};
  if (!declared) return { mesh: declaredSet, groups: {} };
  const mesh = declared.mesh;
  const layout = mesh ? {
    trustDomain: mesh.trustDomain,
    rootNamespace: mesh.rootNamespace,
    controlPlaneNamespace: mesh.controlPlaneNamespace,
    allowedRegistries: [...mesh.allowedRegistries],
    ...(typeof mesh.maxExceptionDays === 'number' ? { maxExceptionDays: mesh.maxExceptionDays } : {}),
    ...(Array.isArray(mesh.proxyImageRepositories) ? { proxyImageRepositories: [...mesh.proxyImageRepositories] } : {}),
  } : {};
  const appNamespaces = Array.isArray(declared.appNamespaces) && declared.appNamespaces.length > 0
    ? { appNamespaces: [...declared.appNamespaces].sort() } : {};
  return {
    mesh: { ...declaredSet, ...layout, ...appNamespaces },
    groups: declared.hasRoleSets ? { meshAdminGroups: declared.meshAdminGroups, operatorGroups: declared.operatorGroups } : {},
  };
}
