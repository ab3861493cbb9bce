import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { LibraryApp, libraryApps } from './network-fixtures';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { AdmissionGuardrails } from '../../../src/policy/admission-guardrails';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { MeshRoleSets } from '../../../src/rbac/mesh-role-sets';
import { RbacSubject } from '../../../src/rbac/rbac-subject';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureService } from '../../../src/workload/secure-service';
import { synthValidated } from '../../helpers';

/**
 * Fixtures of the namespace and Secret rule tests (SECRET-DATA-001, NS-PSA-001, NS-SENS-001):
 * what the library synthesizes, and the YAML of the external corpus.
 */

export const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
export const HTTP = [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }];

/**
 * A chart with a sensitive-data namespace whose services mount a secret manager, next to a plain
 * namespace whose service does too (the CSI mount is not only for sensitive namespaces), with a
 * pinned podSecurityVersion, operators' roles and the admission guardrails.
 */
export function sensitiveChart(): Chart {
  const chart = new Chart(Testing.app(), 'test');
  new MeshBaseline(chart, 'mesh');
  const vault = new HardenedNamespace(chart, 'vault', { name: 'vault', sensitiveData: true, deployers: [RbacSubject.group('vault-owners')] });
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', podSecurityVersion: 'v1.31' });
  const ledger = new SecureService(chart, 'ledger', {
    namespace: vault,
    image: IMAGE,
    ports: HTTP,
    secretStore: { secretProviderClass: 'ledger-db', mountPath: '/mnt/secrets' },
    workloadIdentity: 'ledger-sa@acme-prod.iam.gserviceaccount.com',
  });
  const cart = new SecureService(chart, 'cart', { namespace: shop, image: IMAGE, ports: HTTP, secretStore: { secretProviderClass: 'cart', mountPath: '/mnt/s' } });
  ledger.allowFrom(cart, { ports: [8080], methods: ['GET'] });
  new MeshRoleSets(chart, 'roles', { meshAdmins: [RbacSubject.group('mesh-admins')], auditors: [RbacSubject.group('auditors')] });
  new AdmissionGuardrails(chart, 'guardrails');
  return chart;
}

/** What the library synthesizes (the network rules' apps, the blueprint among them) and the sensitive-data chart. */
export function ownOutputs(): LibraryApp[] {
  const objects = synthValidated(sensitiveChart()) as RuleObject[];
  return [...libraryApps(), { name: 'a sensitive-data namespace and a plain one, both with secretStore', objects, ctx: ruleContext(objects) }];
}

/** Every YAML file under `dir`, relative to it, sorted. */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(entry.name)) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** The objects of one YAML file (every document with a kind). */
export function objectsOf(file: string): RuleObject[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o && typeof o === 'object' && o.kind);
}
