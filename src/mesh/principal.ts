import { IMeshPeer } from './mesh-peer';
import { checkDns1123Label, checkDns1123Subdomain } from '../validation/kubernetes-names';

/**
 * A workload identity the mesh authenticates with mTLS: the SPIFFE identity
 * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` of a Kubernetes ServiceAccount (AUTHZ-2).
 *
 * Authorization in this library is always on such an identity, never on IPs or namespaces
 * alone, and never on `*`.
 */
export class Principal implements IMeshPeer {
  /**
   * The identity of the ServiceAccount `serviceAccount` in `namespace`.
   *
   * @param trustDomain the SPIFFE trust domain; @default - the trust domain of the mesh that uses it
   */
  public static serviceAccount(namespace: string, serviceAccount: string, trustDomain?: string): Principal {
    return new Principal(namespace, serviceAccount, trustDomain);
  }

  /** Parses a SPIFFE principal as Istio writes it: `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public static fromSpiffeId(id: string): Principal {
    const m = /^(?:spiffe:\/\/)?([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
    if (!m) {
      throw new Error(`Principal.fromSpiffeId("${id}"): not a SPIFFE identity. Use "<trustDomain>/ns/<namespace>/sa/<serviceAccount>", e.g. "cluster.local/ns/bookinfo/sa/reviews"`);
    }
    return new Principal(m[2], m[3], m[1]);
  }

  /** The namespace of the ServiceAccount. */
  public readonly namespace: string;
  /** The ServiceAccount name. */
  public readonly serviceAccountName: string;
  /** The trust domain, when fixed; otherwise the mesh's. */
  public readonly trustDomain?: string;

  private constructor(namespace: string, serviceAccount: string, trustDomain?: string) {
    const problems = [
      ...checkDns1123Label(namespace).map((p) => `namespace "${namespace}" ${p}`),
      ...checkDns1123Subdomain(serviceAccount).map((p) => `serviceAccount "${serviceAccount}" ${p}`),
      ...(trustDomain !== undefined ? checkTrustDomain(trustDomain) : []),
    ];
    if (problems.length > 0) {
      throw new Error(`Principal ${trustDomain ?? '<mesh>'}/ns/${namespace}/sa/${serviceAccount}: ${problems.join('; ')}. A principal names one ServiceAccount exactly: no wildcards, lower-case DNS names`);
    }
    this.namespace = namespace;
    this.serviceAccountName = serviceAccount;
    this.trustDomain = trustDomain;
  }

  /** A principal is a peer by itself: its identity, and any pod of its namespace at L3/L4. */
  public get peerPrincipal(): Principal {
    return this;
  }

  /** The namespace of the ServiceAccount. */
  public get peerNamespace(): string {
    return this.namespace;
  }

  /** The principal string as AuthorizationPolicy `source.principals` expects it. */
  public principalIn(meshTrustDomain: string): string {
    return `${this.trustDomain ?? meshTrustDomain}/ns/${this.namespace}/sa/${this.serviceAccountName}`;
  }

  /** Whether two principals name the same identity. */
  public sameIdentityAs(other: Principal): boolean {
    return this.namespace === other.namespace && this.serviceAccountName === other.serviceAccountName && this.trustDomain === other.trustDomain;
  }

  /** Human-readable form for messages. */
  public toString(): string {
    return this.principalIn(this.trustDomain ?? '<trust-domain>');
  }
}

/** A trust domain: a non-empty DNS-like name without `/` or `*`. */
export function checkTrustDomain(trustDomain: string): string[] {
  if (trustDomain.includes('*')) return [`trust domain "${trustDomain}" must not contain "*"`];
  return checkDns1123Subdomain(trustDomain).map((p) => `trust domain "${trustDomain}" ${p}`);
}
