import { PolicyRule, RuleContext, RuleObject, RuleSeverity, RuleViolation, isKind, kindKey } from '../rule';
import { asMap, asString } from './mesh-shared';

/** The Secret fields that carry values: base64 in `data`, plain text in `stringData`. */
const DATA_FIELDS = ['data', 'stringData'] as const;
type DataField = (typeof DATA_FIELDS)[number];

/** The namespaces whose Secrets the rule leaves alone: the cluster's own. The control-plane namespace is the context's. */
const EXEMPT_NAMESPACES: readonly string[] = ['kube-system'];

/** At most this many keys are named in a message. */
const KEYS_NAMED = 8;

/** What a Secret of this type holds, for messages (`type` absent is `Opaque`). */
const TYPE_NAMES: { readonly [type: string]: string } = {
  'kubernetes.io/service-account-token': 'a ServiceAccount token',
  'kubernetes.io/dockerconfigjson': 'registry credentials',
  'kubernetes.io/dockercfg': 'registry credentials',
  'kubernetes.io/tls': 'a TLS certificate and its private key',
  'kubernetes.io/basic-auth': 'a user name and password',
  'kubernetes.io/ssh-auth': 'an SSH private key',
  'bootstrap.kubernetes.io/token': 'a node bootstrap token',
};

/**
 * A GCP service-account key file (JSON, or the same fields as YAML): `type: service_account`, or
 * a `private_key` field beside a `client_email`.
 */
const SERVICE_ACCOUNT_TYPE = /["']?type["']?\s*:\s*["']?service_account\b/;
const PRIVATE_KEY_FIELD = /["']?private_key["']?\s*:/;
const CLIENT_EMAIL_FIELD = /["']?client_email["']?\s*:/;
/** A PEM private key (PKCS#1, PKCS#8, EC, OpenSSH...). */
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

/** Whether `value` holds something: a non-empty string, map or list; any number or boolean. Absent, null and empty hold nothing. */
function holdsSomething(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** The texts a value may carry: `stringData` as written; `data` base64-decoded, and as written (a hand-written value may not be base64). */
function textsOf(field: DataField, value: unknown): string[] {
  if (typeof value !== 'string') return [];
  if (field === 'stringData') return [value];
  return [Buffer.from(value, 'base64').toString('utf8'), value];
}

/** What a value looks like, when it looks like a well-known credential. */
function recognise(field: DataField, value: unknown): 'service-account-key' | 'private-key' | undefined {
  const texts = textsOf(field, value);
  if (texts.some((t) => SERVICE_ACCOUNT_TYPE.test(t) || (PRIVATE_KEY_FIELD.test(t) && CLIENT_EMAIL_FIELD.test(t)))) return 'service-account-key';
  if (texts.some((t) => PEM_PRIVATE_KEY.test(t))) return 'private-key';
  return undefined;
}

function quoted(keys: readonly string[]): string {
  const named = keys.slice(0, KEYS_NAMED).map((k) => JSON.stringify(k)).join(', ');
  return keys.length > KEYS_NAMED ? `${named} and ${keys.length - KEYS_NAMED} more` : named;
}

function fieldViolation(field: DataField, raw: unknown, holds: string): RuleViolation | undefined {
  if (!holdsSomething(raw)) return undefined;
  const map = asMap(raw);
  if (!map) {
    const shape = Array.isArray(raw) ? 'a list' : `a ${typeof raw}`;
    return {
      path: field,
      message: `Secret ${field} is ${shape}, not a map of keys (the API server refuses it), and what it holds is committed to Git with the manifests (OPS-2)`,
    };
  }
  const keys = Object.keys(map).filter((k) => holdsSomething(map[k]));
  if (keys.length === 0) return undefined;
  const serviceAccountKeys = keys.filter((k) => recognise(field, map[k]) === 'service-account-key');
  const privateKeys = keys.filter((k) => recognise(field, map[k]) === 'private-key');
  const notes = [
    ...(serviceAccountKeys.length > 0
      ? [`${quoted(serviceAccountKeys)} ${serviceAccountKeys.length === 1 ? 'is' : 'are'} a GCP service-account key (type: service_account, private_key): `
        + 'a long-lived cloud credential; workloads get cloud access through Workload Identity instead (WI-1)']
      : []),
    ...(privateKeys.length > 0 ? [`${quoted(privateKeys)} ${privateKeys.length === 1 ? 'holds' : 'hold'} a private key`] : []),
  ];
  return {
    path: field,
    message: `Secret ${field} holds ${holds} under ${keys.length === 1 ? 'key' : 'keys'} ${quoted(keys)}: `
      + `a credential committed to Git with the manifests (OPS-2), readable by everyone who can read the repository${notes.map((n) => `; ${n}`).join('')}`,
  };
}

/** Whether the Secret's namespace is one the rule leaves alone (Kubernetes' kube-system, the mesh control plane). */
function exempt(object: RuleObject, ctx: RuleContext): boolean {
  const namespace = asString(object.metadata?.namespace);
  return namespace !== undefined && (EXEMPT_NAMESPACES.includes(namespace) || namespace === ctx.controlPlaneNamespace);
}

/**
 * SECRET-DATA-001 (WI-1, SECRET-1): no Secret in an app namespace carries its values in the
 * manifests (`data` or `stringData`).
 *
 * The manifests are the source of truth and live in Git (OPS-2), so a Secret with values there is
 * a credential in the repository: every clone, fork, CI log and backup has it, and rotating it
 * means rewriting history. The classic case is a GCP service-account key (the JSON key file,
 * base64 in `data`), which WI-1 replaces with Workload Identity; the message says so when a
 * decoded value looks like one (`type: service_account`, `private_key`).
 *
 * After this rule, a Secret in an app namespace may exist only without values:
 * - a `kubernetes.io/service-account-token` Secret with no `data` (the token controller fills it);
 * - `data: {}` / `stringData: {}`, or keys whose values are empty (placeholders another controller fills);
 * - every type with values is reported alike: Opaque, `kubernetes.io/dockerconfigjson` (registry
 *   credentials), `kubernetes.io/tls` (a private key), `kubernetes.io/service-account-token` with a
 *   token written in.
 * A `data` that is not a map (`data: "x"`) is reported too: the API server refuses it, but the
 * value is in Git all the same.
 *
 * Values come from a secret manager instead: the Secrets Store CSI driver (SecureService
 * `secretStore`), or a controller that creates the Secret in the cluster (External Secrets,
 * cert-manager for TLS), or an encrypted form (a SealedSecret, which is another kind).
 *
 * App namespaces are all but `kube-system` and the mesh control-plane namespace, whose Secrets
 * (the plug-in CA `cacerts`, gateway credentials) belong to the platform and to CA-1's rules. The
 * mesh root namespace is checked when it is not the control-plane namespace: mesh-wide
 * configuration needs no Secret. A Secret without a namespace is checked (it lands in an app's).
 *
 * No admission form: in the cluster, Secrets are created with values by design (the token
 * controller, cert-manager, External Secrets, the Secrets Store CSI driver's sync, kubectl
 * create secret), so refusing Secrets with data at admission would break the cluster. The rule
 * looks at what is committed: at synth and in the CI audit of the repository.
 */
export const SECRET_DATA_001: PolicyRule = {
  id: 'SECRET-DATA-001',
  practices: ['WI-1', 'SECRET-1'],
  severity: RuleSeverity.ERROR,
  since: '2',
  kinds: [kindKey('', 'Secret')],
  title: 'No Secret with data in an app namespace (no credentials in Git; no service-account keys)',
  explanation:
    'The synthesized manifests are committed to Git (OPS-2): a Secret with data or stringData there is a credential in the '
    + 'repository, readable by everyone with access to it, kept in every clone and in history, and hard to rotate. A GCP '
    + 'service-account key stored this way is a long-lived cloud credential that Workload Identity makes unnecessary (WI-1).',
  fix:
    'Remove the values from the manifests: mount secrets from a secret manager through the Secrets Store CSI driver '
    + '(SecureService secretStore), or let a controller create the Secret in the cluster (External Secrets, cert-manager for '
    + 'TLS), and give workloads cloud access through Workload Identity (SecureService workloadIdentity), never a key file. '
    + 'Rotate any credential that was committed. A PolicyException fits only values that are not secret (e.g. a public test fixture).',
  check(object, ctx) {
    if (!isKind(object, '', 'Secret') || exempt(object, ctx)) return [];
    const type = asString(object.type) ?? 'Opaque';
    const holds = TYPE_NAMES[type] ?? (type === 'Opaque' ? 'values' : `values of type ${type}`);
    return DATA_FIELDS.map((field) => fieldViolation(field, object[field], holds)).filter((v): v is RuleViolation => v !== undefined);
  },
};

