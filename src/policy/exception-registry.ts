import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import {
  RECORDS_KEY, REGISTRY_LABEL, REGISTRY_LABEL_VALUE, REGISTRY_NAME, RegistryRecord, exceptionStamp, recordsToYaml, registryKey, registryValue,
} from './exception-registry-format';
import { PolicyEnforcement, PolicyReport } from './policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException } from './policy-exception';
import { assertDnsLabel } from '../core/names';

/** Annotation a registry carries when synthesis ran with "today" overridden (context `cdk8s-secure-mesh:today`). */
export const CLOCK_OVERRIDE_ANNOTATION = 'secure-mesh.cdk8s.io/clock-override';

/** Props of an exception registry. */
export interface ExceptionRegistryProps {
  /**
   * The namespace whose exceptions the registry records. The registry of the mesh's
   * control-plane namespace is the mesh-wide one: it also records the exceptions of
   * cluster-scoped objects.
   */
  readonly namespace: string;
}

/**
 * The exceptions of one namespace as data reviewers can watch (EXC-1): the ConfigMap
 * `secure-mesh-exceptions` in that namespace, written from the PolicyExceptions that covered
 * objects of the namespace in this synthesis.
 *
 * - `Kind.name: RULE@expires,...` per covered object: what the admission guardrails read (their
 *   bindings look the registry up in the namespace of the request, so an app team's registry can
 *   only relax its own namespace);
 * - `exceptions.yaml`: each exception with its rules, owner, justification, expiry, objects and
 *   ports: what the audit matches the objects' annotations against and reviewers read in diffs.
 *
 * The repository that owns a namespace writes its registry (`HardenedNamespace` creates it); the
 * platform repository writes the mesh-wide one (`MeshBaseline` creates it). Synthesis fails when
 * an exception covers an object whose namespace has no registry in the app, and when two
 * registries claim one namespace. An empty registry is still written: the guardrails refuse
 * every checked write in a mesh namespace without one (fail closed).
 */
export class ExceptionRegistry extends Construct {
  /** Name of every registry ConfigMap. */
  public static readonly NAME = REGISTRY_NAME;

  /** The namespace recorded. */
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: ExceptionRegistryProps) {
    super(scope, id);
    assertDnsLabel(this, 'namespace', props.namespace);
    this.namespace = props.namespace;
    const enforcement = PolicyEnforcement.of(this);
    const override = PolicyException.clockOverride(this);
    const configMap = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: REGISTRY_NAME,
        namespace: this.namespace,
        labels: { [REGISTRY_LABEL]: REGISTRY_LABEL_VALUE },
        // Never silent: a registry written on a moved clock says so, for the reviewer and the audit.
        ...(override ? { annotations: { [CLOCK_OVERRIDE_ANNOTATION]: `${override} (context ${CLOCK_CONTEXT_KEY})` } } : {}),
      },
      data: Lazy.any({ produce: () => registryData(enforcement.report, this.namespace, enforcement._registryNamespaceOf.bind(enforcement)) }),
    });
    enforcement._rendersFromReport(configMap);
    enforcement._addRegistry(this.namespace, this);
  }
}

/**
 * The data of the registry of `namespace`: the stamps of every object an exception covered there,
 * and the exceptions' records limited to those objects. `registryOf` maps an object reference to
 * the namespace of the registry that records it (cluster-scoped objects: the control plane's).
 */
export function registryData(
  report: PolicyReport, namespace: string, registryOf: (ref: string) => string,
): { [key: string]: string } | undefined {
  const stamps = new Map<string, Set<string>>();
  const covered = new Map<string, Set<string>>();
  const byPath = new Map(report.exceptions.map((e) => [e.path, e]));
  for (const f of report.findings) {
    const ex = f.exception ? byPath.get(f.exception) : undefined;
    if (!ex || f.object === '<mesh>' || registryOf(f.object) !== namespace) continue;
    const parts = f.object.split('/');
    const key = registryKey(parts[0], parts[parts.length - 1]);
    stamps.set(key, (stamps.get(key) ?? new Set()).add(exceptionStamp(f.ruleId, ex.expires)));
    covered.set(ex.path, (covered.get(ex.path) ?? new Set()).add(f.object));
  }
  if (stamps.size === 0) return undefined;
  const records: RegistryRecord[] = [...covered.entries()].map(([path, objects]) => {
    const ex = byPath.get(path)!;
    return {
      id: path,
      rules: ex.rules,
      owner: ex.owner,
      justification: ex.justification,
      expires: ex.expires,
      objects: [...objects],
      ports: ex.ports,
      ...(ex.meshWideReason ? { meshWideReason: ex.meshWideReason } : {}),
    };
  });
  const data: { [key: string]: string } = {};
  for (const key of [...stamps.keys()].sort()) data[key] = registryValue(stamps.get(key)!);
  data[RECORDS_KEY] = recordsToYaml(records);
  return data;
}
