import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../../src/imports/security.istio.io';

/**
 * The example platform blueprint.
 *
 * For now it holds the two mesh-wide objects every blueprint starts from, written with the
 * generated Istio bindings (the high-level constructs of the next issues replace them):
 * - MTLS-1: a mesh-wide STRICT PeerAuthentication in the root namespace, so no workload accepts plaintext;
 * - AUTHZ-1: a mesh-wide allow-nothing AuthorizationPolicy, so every request is denied unless
 *   another policy allows it.
 */
export class BlueprintChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { disableResourceNameHashes: true, ...props });

    new PeerAuthentication(this, 'mesh-strict-mtls', {
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    // An ALLOW policy without rules matches nothing: with it in place, requests are denied by default.
    new AuthorizationPolicy(this, 'mesh-allow-nothing', {
      metadata: { name: 'allow-nothing', namespace: 'istio-system' },
      spec: {},
    });
  }
}
