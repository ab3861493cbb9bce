import { readFileSync } from 'fs';
import { Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { BlueprintChart } from '../../../examples/blueprint/blueprint';
import { SecureMeshConfig } from '../../../src/config/secure-mesh-config';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { AdmissionGuardrails } from '../../../src/policy/admission-guardrails';
import { RuleContext, RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MeshRoleSets } from '../../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';

/**
 * What the library itself writes for RBAC, for the RBAC rules' "own output passes" tests: the
 * Bookinfo blueprint, and a chart with every RBAC construct and every kind of subject they accept
 * (deployers as a group, a user, a service account of another namespace and of their own; a
 * sensitive-data namespace; mesh admins as a group and a control-plane service account; security
 * admins, auditors), with the admission guardrails. Each comes with the context synthesis would
 * use (the groups MeshRoleSets declares).
 */
export function ownRbacOutputs(): { readonly name: string; readonly objects: RuleObject[]; readonly ctx: RuleContext }[] {
  const chart = new Chart(Testing.app(), 'own');
  new MeshBaseline(chart, 'mesh');
  new HardenedNamespace(chart, 'shop', {
    name: 'shop',
    deployers: [
      RbacSubject.group('shop-devs'), RbacSubject.user('alice@example.com'),
      RbacSubject.serviceAccount('argocd', 'argocd-application-controller'), RbacSubject.serviceAccount('shop', 'ci'),
    ],
    viewers: [RbacSubject.group('sre')],
  });
  new HardenedNamespace(chart, 'vault', { name: 'vault', sensitiveData: true, deployers: [RbacSubject.group('vault-owners')] });
  new MeshRoleSets(chart, 'roles', {
    meshAdmins: [RbacSubject.group('mesh-admins'), RbacSubject.serviceAccount('istio-system', 'mesh-operator')],
    securityAdmins: [RbacSubject.group('security-admins'), RbacSubject.serviceAccount('istio-system', 'policy-sync')],
    auditors: [RbacSubject.group('auditors')],
  });
  new AdmissionGuardrails(chart, 'guardrails');
  return [
    { name: 'every RBAC construct', chart },
    { name: 'the Bookinfo blueprint', chart: new BlueprintChart(Testing.app(), 'blueprint') as Chart },
  ].map(({ name, chart: c }) => {
    const objects = synthValidated(c);
    const settings = SecureMeshConfig.fromApp(c);
    return {
      name,
      objects,
      ctx: ruleContext(objects, {
        rootNamespace: settings.rootNamespace,
        controlPlaneNamespace: settings.controlPlaneNamespace,
        meshAdminGroups: settings.meshAdminGroups,
        operatorGroups: settings.operatorGroups,
      }),
    };
  });
}

/** One document of a YAML file. */
export function readYaml(path: string): RuleObject {
  return parse(readFileSync(path, 'utf8'));
}

/** RBAC object builders shared by the RBAC rule tests. */
export const RBAC = 'rbac.authorization.k8s.io';
export const role = (namespace: string, name: string, ...rules: object[]): RuleObject => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name, namespace }, rules });
export const clusterRole = (name: string, rules: object[], labels?: { [key: string]: string }, aggregationRule?: object): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name, ...(labels ? { labels } : {}) }, rules, ...(aggregationRule ? { aggregationRule } : {}),
});
export const rb = (namespace: string, name: string, roleRef: { kind: string; name: string }, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name, namespace }, roleRef: { apiGroup: RBAC, ...roleRef }, subjects,
});
export const crb = (name: string, roleName: string, ...subjects: object[]): RuleObject => ({
  apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName }, subjects,
});
export const group = (name: string) => ({ kind: 'Group', apiGroup: RBAC, name });
export const user = (name: string) => ({ kind: 'User', apiGroup: RBAC, name });
export const sa = (namespace: string, name: string) => ({ kind: 'ServiceAccount', namespace, name });
export const R = (name: string) => ({ kind: 'Role', name });
export const CR = (name: string) => ({ kind: 'ClusterRole', name });
