import { MESH_AMBIENT_001 } from './mesh-ambient-001';
import { MESH_AMBIENT_002 } from './mesh-ambient-002';
import { MESH_AMBIENT_003 } from './mesh-ambient-003';
import { MESH_AMBIENT_004 } from './mesh-ambient-004';
import { MESH_AUTHZ_001 } from './mesh-authz-001';
import { MESH_AUTHZ_002 } from './mesh-authz-002';
import { MESH_AUTHZ_003 } from './mesh-authz-003';
import { MESH_AUTHZ_004 } from './mesh-authz-004';
import { MESH_AUTHZ_005 } from './mesh-authz-005';
import { MESH_AUTHZ_006 } from './mesh-authz-006';
import { MESH_AUTHZ_007 } from './mesh-authz-007';
import { MESH_AUTHZ_008 } from './mesh-authz-008';
import { MESH_AUTHZ_009 } from './mesh-authz-009';
import { MESH_AUTHZ_010 } from './mesh-authz-010';
import { MESH_DR_001 } from './mesh-dr-001';
import { MESH_DR_002 } from './mesh-dr-002';
import { MESH_DR_003 } from './mesh-dr-003';
import { MESH_EGRESS_001 } from './mesh-egress-001';
import { MESH_EGRESS_002 } from './mesh-egress-002';
import { MESH_EGRESS_003 } from './mesh-egress-003';
import { MESH_EXC_001 } from './mesh-exc-001';
import { MESH_EXT_001 } from './mesh-ext-001';
import { MESH_INGRESS_001 } from './mesh-ingress-001';
import { MESH_INGRESS_002 } from './mesh-ingress-002';
import { MESH_INGRESS_003 } from './mesh-ingress-003';
import { MESH_INJ_001 } from './mesh-inj-001';
import { MESH_INJ_002 } from './mesh-inj-002';
import { MESH_JWT_001 } from './mesh-jwt-001';
import { MESH_JWT_002 } from './mesh-jwt-002';
import { MESH_JWT_003 } from './mesh-jwt-003';
import { MESH_MTLS_001 } from './mesh-mtls-001';
import { MESH_MTLS_002 } from './mesh-mtls-002';
import { MESH_TEL_001 } from './mesh-tel-001';
import { PolicyRule } from '../rule';
import { MESH_TOKEN_001 } from './mesh-token-001';

/**
 * The mesh rules (MTLS-1, AUTHZ-1/2/3, EXC-1, OPS-1, OPS-3, JWT-1, TOKEN-1, EGRESS-1, INGRESS-1): Istio security
 * resources, sidecar injection/bypass on workloads, Sidecar egress, gateways and their routes, and
 * the ambient data plane's foot-guns (L7 at ztunnel, tokens without a waypoint). One
 * rule per file; ids are stable.
 */
export const MESH_RULES: PolicyRule[] = [
  MESH_MTLS_001,
  MESH_MTLS_002,
  MESH_DR_001,
  MESH_DR_002,
  MESH_DR_003,
  MESH_AUTHZ_001,
  MESH_AUTHZ_002,
  MESH_AUTHZ_003,
  MESH_AUTHZ_004,
  MESH_AUTHZ_005,
  MESH_AUTHZ_006,
  MESH_AUTHZ_007,
  MESH_AUTHZ_008,
  MESH_AUTHZ_009,
  MESH_AUTHZ_010,
  MESH_INJ_001,
  MESH_INJ_002,
  MESH_EXC_001,
  MESH_JWT_001,
  MESH_JWT_002,
  MESH_JWT_003,
  MESH_TOKEN_001,
  MESH_EGRESS_001,
  MESH_EGRESS_002,
  MESH_EGRESS_003,
  MESH_INGRESS_001,
  MESH_INGRESS_002,
  MESH_INGRESS_003,
  MESH_EXT_001,
  MESH_TEL_001,
  MESH_AMBIENT_001,
  MESH_AMBIENT_002,
  MESH_AMBIENT_003,
  MESH_AMBIENT_004,
];
