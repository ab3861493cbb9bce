import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';

/**
 * The NetworkPolicies this library writes (AUTHZ-4, NETPOL-1, CP-1), as plain manifests in the
 * API server's own shape (networking.k8s.io/v1). Plain ApiObjects cost a fraction of the
 * generated bindings to build and render, which counts in blueprints of thousands of services.
 */

/** A label selector: only `matchLabels` (every policy the library writes selects by labels). */
export interface LabelSelector {
  readonly matchLabels?: { readonly [key: string]: string };
}

/** A NetworkPolicy port: a protocol and a port number. */
export interface NetworkPolicyPort {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
}

/** A NetworkPolicy peer: pods (of namespaces) by labels, or an IP block. */
export interface NetworkPolicyPeer {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string };
}

/** An ingress rule: who may connect (`from`; everyone when absent) on which ports (all when absent). */
export interface NetworkPolicyIngressRule {
  readonly from?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

/** An egress rule: where the pods may connect (`to`; anywhere when absent) on which ports. */
export interface NetworkPolicyEgressRule {
  readonly to?: readonly NetworkPolicyPeer[];
  readonly ports?: readonly NetworkPolicyPort[];
}

/** What a NetworkPolicy says; rule lists may be produced at synthesis (grants added later). */
export interface NetworkPolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly ('Ingress' | 'Egress')[];
  readonly ingress?: readonly NetworkPolicyIngressRule[] | (() => readonly NetworkPolicyIngressRule[]);
  readonly egress?: readonly NetworkPolicyEgressRule[] | (() => readonly NetworkPolicyEgressRule[]);
}

/** A NetworkPolicy named `name` in `namespace`. */
export function networkPolicy(scope: Construct, id: string, name: string, namespace: string, spec: NetworkPolicySpec): ApiObject {
  const rules = <T>(value: readonly T[] | (() => readonly T[]) | undefined) =>
    (typeof value === 'function' ? Lazy.any({ produce: () => value() }) : value);
  const manifest: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec: {
      podSelector: spec.podSelector,
      policyTypes: [...spec.policyTypes],
      ingress: rules(spec.ingress) as INetworkPolicySpec['ingress'],
      egress: rules(spec.egress) as INetworkPolicySpec['egress'],
    },
  };
  return new ApiObject(scope, id, manifest);
}
