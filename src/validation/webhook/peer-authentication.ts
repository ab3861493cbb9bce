/**
 * istiod webhook rules for security.istio.io PeerAuthentication (`ValidatePeerAuthentication`, PA-1..PA-4).
 */
import { entries, isObject, isSet, validateSelectorLabels, violation } from './common';
import { KubeObject, WebhookViolation } from './types';

const UINT32_MAX = 4294967295;

/** PA-3: a `portLevelMtls` key is a decimal port in 1..65535. */
function portKeyError(key: string): string | undefined {
  if (!/^\d+$/.test(key) || Number(key) > UINT32_MAX) {
    return `type conversion error from portLevelMtls key "${key}": keys must be port numbers`;
  }
  const port = Number(key);
  return port >= 1 && port <= 65535 ? undefined : `port must be in range 1..65535, found ${key}`;
}

/** Validates a PeerAuthentication like `ValidatePeerAuthentication` (errors only). */
export function validatePeerAuthentication(obj: KubeObject): WebhookViolation[] {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const out: WebhookViolation[] = [];
  const labels = isObject(spec.selector) ? spec.selector.matchLabels : undefined;
  const ports = entries(spec.portLevelMtls);
  if (entries(labels).length === 0 && ports.length > 0) {
    out.push(violation(['spec', 'portLevelMtls'], 'PA-1',
      'mesh/namespace peer authentication cannot have port level mTLS: add a selector with matchLabels or remove portLevelMtls'));
  }
  if (isSet(spec.portLevelMtls) && ports.length === 0) {
    out.push(violation(['spec', 'portLevelMtls'], 'PA-2',
      'port level mTLS, if defined, must have at least one element: remove the empty portLevelMtls'));
  }
  for (const [key] of ports) {
    const err = portKeyError(key);
    if (err) out.push(violation(['spec', 'portLevelMtls', key], 'PA-3', err));
  }
  out.push(...validateSelectorLabels(labels, ['spec', 'selector', 'matchLabels'], 'PA-4'));
  return out;
}
