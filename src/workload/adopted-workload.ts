import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { HardenedNamespace } from './hardened-namespace';
import { MeshWorkload } from './mesh-workload';
import { CLUSTER_DOMAIN, writeService } from './secure-service';
import { ServicePort } from './service-port';
import { ISecureService } from './workload-props';
import { configError } from '../core/errors';

/** The pod label that selects an adopted Job's or CronJob's pods (cdk8s-plus selects those by no label of its own). */
export const ADOPTED_WORKLOAD_LABEL = 'secure-mesh.cdk8s.io/workload';

/** Props of an AdoptedWorkload. */
export interface AdoptedWorkloadProps {
  /** The hardened namespace the workload runs in; the workload's `metadata.namespace` must name it. */
  readonly namespace: HardenedNamespace;
  /**
   * The cdk8s-plus workload: a Deployment, StatefulSet, DaemonSet, Job or CronJob. It must run as
   * its own ServiceAccount (`serviceAccount`), which is its mesh identity.
   */
  readonly workload: kplus.Workload;
  /**
   * The ports it serves. For each, the construct writes the Service (named `name`, selecting the
   * workload's pods) and the DestinationRule that makes clients use mTLS, as for a SecureService;
   * do not expose the workload with a Service of your own.
   *
   * @default [] - it only calls: no Service, and no traffic is admitted
   */
  readonly ports?: ServicePort[];
  /**
   * The name of its policies and Service (a DNS-1035 label).
   *
   * @default - the workload's `metadata.name`
   */
  readonly name?: string;
}

/**
 * A workload written with cdk8s-plus elsewhere in the app, given a mesh identity and the same
 * policies as the library's own kinds (AUTHZ-1..4, MTLS-1): closed until granted, `allowFrom` to
 * grant callers, egress only to what it is granted.
 *
 * The policies select its pods by the labels cdk8s-plus selects them with (`matchLabels`; a Job
 * or CronJob has none, so its pods get the label `secure-mesh.cdk8s.io/workload: <name>`), and
 * its principal is its ServiceAccount. The construct does not rewrite the pod: the app's rules
 * judge it at synthesis like any object (POD-1: non-root, read-only root filesystem, no privilege
 * escalation, ALL capabilities dropped, RuntimeDefault seccomp, no API token, a digest-pinned image
 * from an allowed registry), so a setting cdk8s-plus leaves open fails synthesis with the rule
 * that names it. SecureService, SecureStatefulSet, SecureJob and SecureCronJob write all of that
 * for you; adopt a workload when it must stay a cdk8s-plus object.
 *
 * cdk8s-plus (27) cannot express two of those settings: its `Capability` enum has no `ALL`, and
 * its pods have no seccomp setting. Add them with JSON patches, which enforcement checks like
 * everything else:
 *
 * ```ts
 * ApiObject.of(deployment).addJsonPatch(
 *   JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
 *   JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
 * );
 * ```
 */
export class AdoptedWorkload extends MeshWorkload implements ISecureService {
  /** The Service name (the workload's name); meaningful only when it serves. */
  public readonly serviceName: string;
  /** The Service FQDN, `<name>.<namespace>.svc.cluster.local`. */
  public readonly host: string;
  private readonly workload: kplus.Workload;

  constructor(scope: Construct, id: string, props: AdoptedWorkloadProps) {
    const workload = props.workload;
    const isWorkload = workload instanceof kplus.Workload;
    const name = props.name ?? (isWorkload ? workload.name : id);
    // Deployments, StatefulSets and DaemonSets select their pods by a label cdk8s-plus writes; Jobs
    // and CronJobs select none (the Job controller adds its own), so their pods get ours.
    const selected = isWorkload ? { ...workload.matchLabels } : {};
    const podSelector = Object.keys(selected).length > 0 ? selected : { [ADOPTED_WORKLOAD_LABEL]: name };
    super(scope, id, {
      namespace: props.namespace,
      name,
      serviceAccountName: isWorkload ? workload.serviceAccount?.name ?? 'default' : 'default',
      ports: props.ports ?? [],
      podSelector,
    });
    if (!isWorkload) {
      throw configError(this, 'workload', 'not a cdk8s-plus workload', 'Pass a cdk8s-plus Deployment, StatefulSet, DaemonSet, Job or CronJob');
    }
    if (Object.keys(selected).length === 0) workload.podMetadata.addLabel(ADOPTED_WORKLOAD_LABEL, name);
    const where = `${workload.kind}/${workload.name} (${workload.node.path})`;
    if (workload.metadata.namespace !== this.namespaceName) {
      throw configError(this, 'workload', `${where} is in namespace "${workload.metadata.namespace ?? '(none: the default namespace)'}", not ${this.namespaceName}`,
        `Create it with metadata: { namespace: '${this.namespaceName}' }`);
    }
    if (!workload.serviceAccount) {
      throw configError(this, 'workload', `${where} runs as the namespace's "default" ServiceAccount, the identity every pod without one shares, so a grant to it would admit them all (AUTHZ-2)`,
        'Give it its own: serviceAccount: new kplus.ServiceAccount(chart, \'sa\', { metadata: { namespace }, automountToken: false }), or use SecureService, which does');
    }
    this.workload = workload;
    this.serviceName = this.workloadName;
    this.host = `${this.serviceName}.${this.namespaceName}.svc.${CLUSTER_DOMAIN}`;
    if (!this.callsOnly) this._service = writeService(this, this.serviceName, this.namespaceName, this.host, this.ports, false, podSelector);
  }

  /** @internal */
  protected _asTarget(): ISecureService {
    return this;
  }

  /**
   * The ports the containers' probes name, read at synthesis (containers may be added after
   * adoption); named ports resolve through the containers' ports.
   *
   * @internal
   */
  protected _kubeletProbePorts(): number[] {
    const ports = new Set<number>();
    for (const container of this.workload.containers) {
      const kube = container._toKube();
      const named = new Map((kube.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
      for (const probe of [kube.readinessProbe, kube.livenessProbe, kube.startupProbe]) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? (probe?.grpc ? { value: probe.grpc.port } : undefined);
        const value = port?.value;
        const number = typeof value === 'number' ? value : typeof value === 'string' ? named.get(value) ?? Number(value) : undefined;
        if (number !== undefined && Number.isInteger(number)) ports.add(number);
      }
    }
    return [...ports].sort((a, b) => a - b);
  }
}
