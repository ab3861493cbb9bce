/**
 * Entry point of the istiod validating-webhook rules: one validator per `group/kind`, each wrapped with
 * the metadata rules (M-1, M-2), the version ignored as the webhook does.
 */
import { validateAuthorizationPolicy } from './authorization-policy';
import { validateDestinationRule } from './destination-rule';
import { validateGateway } from './gateway';
import { validateMetadata } from './metadata';
import { validatePeerAuthentication } from './peer-authentication';
import { validateRequestAuthentication } from './request-authentication';
import { validateServiceEntry } from './service-entry';
import { validateSidecar } from './sidecar';
import { validateTelemetry } from './telemetry';
import { KubeObject, WebhookValidator, WebhookViolation } from './types';
import { validateVirtualService } from './virtual-service';

export * from './types';

const VALIDATORS: Record<string, WebhookValidator> = {
  'security.istio.io/AuthorizationPolicy': validateAuthorizationPolicy,
  'security.istio.io/PeerAuthentication': validatePeerAuthentication,
  'security.istio.io/RequestAuthentication': validateRequestAuthentication,
  'networking.istio.io/Sidecar': validateSidecar,
  'networking.istio.io/ServiceEntry': validateServiceEntry,
  'networking.istio.io/DestinationRule': validateDestinationRule,
  'networking.istio.io/VirtualService': validateVirtualService,
  'networking.istio.io/Gateway': validateGateway,
  'telemetry.istio.io/Telemetry': validateTelemetry,
};

/** The `group/kind` keys that have webhook rules, e.g. `security.istio.io/AuthorizationPolicy`. */
export const WEBHOOK_KINDS: string[] = Object.keys(VALIDATORS);

/** The webhook validator (metadata rules included) for a group and kind, or `undefined` if none. */
export function webhookValidatorFor(group: string, kind: string): WebhookValidator | undefined {
  const validate = VALIDATORS[`${group}/${kind}`];
  if (!validate) return undefined;
  return (obj: KubeObject): WebhookViolation[] => [...validateMetadata(obj, kind), ...validate(obj)];
}
