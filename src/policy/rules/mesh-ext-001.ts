import { PolicyRule, RuleSeverity, isKind, kindKey } from '../rule';
import { NETWORKING_GROUP } from './mesh-shared';

const EXTENSIONS_GROUP = 'extensions.istio.io';

/**
 * MESH-EXT-001 (AUTHZ-2, IMG-1): no EnvoyFilter or WasmPlugin without a PolicyException.
 *
 * Both change the proxy below Istio's API: an EnvoyFilter can remove or reorder the RBAC
 * (authorization) and JWT filters, rewrite identities or open listeners; a WasmPlugin loads code
 * into every selected proxy, from an image or URL whose pinning nothing else checks. Neither is
 * something the practices can reason about, so each takes an explicit, owned, expiring exception.
 */
export const MESH_EXT_001: PolicyRule = {
  id: 'MESH-EXT-001',
  practices: ['AUTHZ-2', 'IMG-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(NETWORKING_GROUP, 'EnvoyFilter'), kindKey(EXTENSIONS_GROUP, 'WasmPlugin')],
  title: 'No EnvoyFilter or WasmPlugin without a PolicyException',
  explanation:
    'An EnvoyFilter patches the generated Envoy configuration directly: it can remove or reorder the authorization (RBAC) and '
    + 'JWT filters, change how identities are read, or open listeners, and no other rule sees what it does. A WasmPlugin runs '
    + 'code in every proxy it selects, loaded from an image or URL that may not be pinned.',
  fix:
    'Use Istio\'s APIs (AuthorizationPolicy, RequestAuthentication, Telemetry, DestinationRule) for what they cover. Where an '
    + 'EnvoyFilter or WasmPlugin is unavoidable, declare a PolicyException for MESH-EXT-001 scoped to that object, with the '
    + 'reason, an owner and an expiry, and pin a WasmPlugin url by digest (oci://...@sha256:... or a sha256 field).',
  check(object) {
    const kind = isKind(object, NETWORKING_GROUP, 'EnvoyFilter') ? 'EnvoyFilter' : isKind(object, EXTENSIONS_GROUP, 'WasmPlugin') ? 'WasmPlugin' : undefined;
    if (!kind) return [];
    return [{
      path: '',
      message: kind === 'EnvoyFilter'
        ? 'an EnvoyFilter patches the proxy configuration below Istio\'s API (it can remove the authorization filter)'
        : 'a WasmPlugin loads code into the selected proxies',
    }];
  },
  admission: {
    resources: [
      { apiGroups: [NETWORKING_GROUP], apiVersions: ['*'], resources: ['envoyfilters'] },
      { apiGroups: [EXTENSIONS_GROUP], apiVersions: ['*'], resources: ['wasmplugins'] },
    ],
    // Refuses every object of these kinds (the binding matches nothing else); other kinds pass.
    expression: "!(object.kind in ['EnvoyFilter', 'WasmPlugin'])",
    message: 'MESH-EXT-001 (AUTHZ-2, IMG-1): EnvoyFilters and WasmPlugins are admitted only under a PolicyException',
  },
};
