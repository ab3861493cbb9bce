import { PolicyRule, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { SECURITY_GROUP, asString, celEach, isSet, jwtRulesOf } from './mesh-shared';

/**
 * MESH-JWT-002 (JWT-1): RequestAuthentication verifies tokens against keys fetched over https.
 *
 * Inline `jwks` pins signing keys into the manifests: they are not rotated with the issuer (a
 * revoked key keeps being accepted) and a change of keys is a change of the repository. A
 * `jwksUri` over plain http lets anyone on the path between istiod and the issuer substitute
 * their own keys, and then mint tokens the mesh accepts.
 */
export const MESH_JWT_002: PolicyRule = {
  id: 'MESH-JWT-002',
  practices: ['JWT-1'],
  severity: RuleSeverity.ERROR,
  kinds: [kindKey(SECURITY_GROUP, 'RequestAuthentication')],
  title: 'RequestAuthentication fetches the signing keys from an https jwksUri (no inline jwks, no http)',
  explanation:
    'istiod fetches the issuer\'s signing keys from jwksUri. Over http, anyone on the path can substitute keys and mint tokens '
    + 'the mesh accepts. Inline jwks pin the keys in the manifests: the issuer\'s rotation and revocation never reach the '
    + 'mesh, so a revoked or leaked key stays valid until someone edits the YAML.',
  fix:
    'Set jwksUri to the issuer\'s https JWKS endpoint (requireJwt and IngressGateway external issuers do) and remove jwks. A '
    + 'test issuer without an endpoint belongs in a test cluster, or under a PolicyException with an expiry.',
  check(object) {
    if (!isKind(object, SECURITY_GROUP, 'RequestAuthentication')) return [];
    const violations: RuleViolation[] = [];
    for (const { rule, index: i } of jwtRulesOf(object)) {
      if (isSet(rule.jwks)) {
        violations.push({ path: `spec.jwtRules[${i}].jwks`, message: `jwtRules[${i}] (issuer ${asString(rule.issuer) ?? '?'}) carries inline jwks: the keys are never rotated or revoked` });
      }
      const uri = asString(rule.jwksUri);
      if (uri !== undefined && !/^https:\/\//i.test(uri)) {
        violations.push({ path: `spec.jwtRules[${i}].jwksUri`, message: `jwksUri "${uri}" is not https: the signing keys can be substituted in transit` });
      }
    }
    return violations;
  },
  admission: {
    resources: [{ apiGroups: [SECURITY_GROUP], apiVersions: ['*'], resources: ['requestauthentications'] }],
    expression: celEach('object.spec.jwtRules', 'r', "!has(r.jwks) && (!has(r.jwksUri) || r.jwksUri.lowerAscii().startsWith('https://'))"),
    message: 'MESH-JWT-002 (JWT-1): a RequestAuthentication must fetch its keys from an https jwksUri (no inline jwks, no http)',
  },
};
