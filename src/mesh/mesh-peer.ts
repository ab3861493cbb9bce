import { DataPlane } from './data-plane';
import { Principal } from './principal';

/**
 * Something that can call a mesh service: it has an mTLS identity, and pods that NetworkPolicy
 * can select. `SecureService`, imported services and `Principal`s are peers; gateways will be too.
 */
export interface IMeshPeer {
  /** The identity the target's AuthorizationPolicy admits (AUTHZ-2). */
  readonly peerPrincipal: Principal;
  /** The namespace the peer's pods run in (NetworkPolicy `namespaceSelector`). */
  readonly peerNamespace: string;
  /**
   * Labels of the peer's pods (NetworkPolicy `podSelector`).
   *
   * @default - any pod of the peer's namespace (the identity check still applies at L7)
   */
  readonly peerPodLabels?: { [key: string]: string };
  /**
   * The data plane of the peer's pods: ambient callers reach their targets on HBONE (15008), so
   * the targets' NetworkPolicies admit them there rather than on the app port.
   *
   * @default DataPlane.SIDECAR - a sidecar (or an Istio gateway, which is an Envoy of its own)
   */
  readonly peerDataPlane?: DataPlane;
}
