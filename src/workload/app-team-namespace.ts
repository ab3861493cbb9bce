import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { HardenedNamespaceProps, claimNamespace } from './hardened-namespace';
import { NamespaceProfile, resolveNamespaceProfile, writeDefaultServiceAccount, writeNamespaceIsolation, writeNamespaceObject } from './namespace-baseline';
import { DataPlane } from '../mesh/data-plane';
import { IMesh } from '../mesh/mesh';
import { MeshBaseline } from '../mesh/mesh-baseline';
import { PolicyEnforcement } from '../policy/policy-enforcement';
import { NamespaceTeamRoles } from '../rbac/namespace-team-roles';

/**
 * A namespace the platform's repository gives an app team's repository (NS-1, RBAC-1, MTLS-1,
 * AUTHZ-1, NETPOL-1): the platform writes the namespace's baseline, which the team's repository
 * cannot weaken because it never writes it; the team's repository, applied by a namespace-scoped
 * sync (Config Sync `RepoSync`, an Argo CD `AppProject` limited to this namespace), writes what
 * runs in it with `MeshContract.namespace`.
 *
 * After this construct, in the platform's output:
 * - the Namespace carries the label that puts its pods in the mesh (injection, or ambient with
 *   `dataPlane: DataPlane.AMBIENT`) and Pod Security `restricted`, pinned to a version;
 * - no workload of the namespace accepts plaintext or any request (namespace STRICT
 *   PeerAuthentication and allow-nothing), no pod can receive or open a connection (default-deny
 *   NetworkPolicy) except DNS, xDS/CA to istiod and the monitoring namespace's scrape, as in a
 *   HardenedNamespace; the `default` ServiceAccount mounts no token;
 * - the deployers get `app-deployer` and the viewers `app-viewer`, bound in this namespace only
 *   (workloads yes, security policy no);
 * - the namespace is listed in the platform's mesh contract (`MeshContract.yamlOf`) with its data
 *   plane, profile version, registries, sensitive-data profile and scraped proxy ports, so the
 *   team's `MeshContract.namespace(...)` writes the rest exactly as a HardenedNamespace of the same
 *   props would: the `Sidecar`, the team's own exception registry, the waypoint when needed, and
 *   its workloads' grants. Both outputs together are the HardenedNamespace's.
 *
 * Until the team's repository is applied, nothing in the namespace is granted anything.
 */
export class AppTeamNamespace extends Construct {
  /** The namespace name. */
  public readonly name: string;
  /** The mesh the namespace joins. */
  public readonly mesh: IMesh;
  /** The namespace's data plane. */
  public readonly dataPlane: DataPlane;
  /** The team roles of the namespace. */
  public readonly teamRoles: NamespaceTeamRoles;
  private readonly profile: NamespaceProfile;

  /**
   * @param props as for a HardenedNamespace: the team's repository gets these settings through
   * the contract
   */
  constructor(scope: Construct, id: string, props: HardenedNamespaceProps) {
    super(scope, id);
    this.mesh = props.mesh ?? MeshBaseline.of(this);
    PolicyEnforcement.of(this)._useMesh(this.mesh, false);
    this.profile = resolveNamespaceProfile(this, this.mesh, props);
    this.name = this.profile.name;
    this.dataPlane = this.profile.dataPlane;
    claimNamespace(this, this.name);
    const namespace = writeNamespaceObject(this, 'Resource', this.mesh, this.profile);
    writeNamespaceIsolation(this, this.mesh, this.profile);
    writeDefaultServiceAccount(this, this.name);
    this.teamRoles = new NamespaceTeamRoles(this, 'TeamRoles', { namespace: this.name, deployers: props.deployers, viewers: props.viewers });
    // Everything in the namespace is applied after the namespace itself.
    for (const child of this.node.findAll()) {
      if (child instanceof ApiObject && child !== namespace) child.addDependency(namespace);
    }
  }

  /**
   * The namespace's profile, as the contract publishes it.
   *
   * @internal
   */
  public _profile(): NamespaceProfile {
    return { ...this.profile, allowedRegistries: [...this.profile.allowedRegistries], metricsScrapingPorts: [...this.profile.metricsScrapingPorts] };
  }
}
