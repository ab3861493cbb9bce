import { PolicyRule } from '../rule';
import { MESH_PROXY_001, POD_UID_001 } from './mesh-proxy-overrides';
import { NS_PSA_001 } from './namespace-pod-security';
import { NS_SENS_001 } from './namespace-sensitive-data';
import { NET_AMBIENT_001 } from './network-ambient-probes';
import { NET_CP_001 } from './network-control-plane';
import { NET_DENY_001 } from './network-default-deny';
import { NET_GRANT_001 } from './network-grant-pairing';
import { NET_L4_002 } from './network-l4-all-ports';
import { NET_L4_001 } from './network-l4-counterpart';
import { NET_EGRESS_001 } from './network-open-egress';
import { RBAC_ADMISSION_001 } from './rbac-admission-writers';
import { RBAC_SUBJ_001 } from './rbac-binding-subjects';
import { RBAC_BUILTIN_001 } from './rbac-built-in-roles';
import { RBAC_CA_001 } from './rbac-ca-secrets';
import { RBAC_CRB_001 } from './rbac-cluster-role-binding';
import { RBAC_ESC_001 } from './rbac-escalation-verbs';
import { RBAC_POLICY_001 } from './rbac-policy-writers';
import { RBAC_SECRET_001 } from './rbac-secret-access';
import { RBAC_SENS_001 } from './rbac-sensitive-access';
import { RBAC_WILD_001 } from './rbac-wildcard';
import { REPO_SCOPE_001 } from './repo-scope';
import { SECRET_DATA_001 } from './secret-data-001';
import { POD_CAP_001 } from './workload-capabilities';
import { POD_CAP_002 } from './workload-capabilities-restricted';
import { POD_HOST_001 } from './workload-host-namespaces';
import { POD_HOSTPATH_001 } from './workload-host-path';
import { POD_HOSTPORT_001 } from './workload-host-ports';
import { IMG_DIGEST_001 } from './workload-image-digest';
import { IMG_REG_001 } from './workload-image-registry';
import { POD_ESC_001 } from './workload-privilege-escalation';
import { POD_PRIV_001 } from './workload-privileged';
import { POD_PID_001 } from './workload-process-namespace';
import { POD_ROFS_001 } from './workload-read-only-root';
import { POD_PSS_001 } from './workload-restricted-profile';
import { POD_ROOT_001 } from './workload-run-as-non-root';
import { POD_SECCOMP_001 } from './workload-seccomp';
import { POD_SA_001 } from './workload-service-account';

/**
 * The workload, RBAC and NetworkPolicy rules (POD-1, IMG-1, RBAC-1, NS-1, CA-1, AUTHZ-2, AUTHZ-4,
 * NETPOL-1, OPS-1, OPS-2): pod hardening, image pinning, one identity per workload, least-privilege
 * RBAC, CA secret protection, the L4 counterparts of mesh authorization and an app repository's
 * namespace boundary.
 */
export const WORKLOAD_RULES: PolicyRule[] = [
  POD_PRIV_001,
  POD_CAP_001,
  POD_CAP_002,
  POD_HOST_001,
  POD_ESC_001,
  POD_ROOT_001,
  POD_SECCOMP_001,
  POD_HOSTPATH_001,
  POD_HOSTPORT_001,
  POD_PSS_001,
  POD_ROFS_001,
  POD_PID_001,
  POD_UID_001,
  MESH_PROXY_001,
  IMG_DIGEST_001,
  IMG_REG_001,
  RBAC_WILD_001,
  RBAC_ESC_001,
  RBAC_CRB_001,
  RBAC_CA_001,
  RBAC_SUBJ_001,
  RBAC_BUILTIN_001,
  RBAC_SENS_001,
  RBAC_SECRET_001,
  RBAC_POLICY_001,
  RBAC_ADMISSION_001,
  NET_L4_001,
  NET_L4_002,
  NET_DENY_001,
  NET_AMBIENT_001,
  NET_GRANT_001,
  NET_EGRESS_001,
  NET_CP_001,
  POD_SA_001,
  SECRET_DATA_001,
  NS_PSA_001,
  NS_SENS_001,
  REPO_SCOPE_001,
];
