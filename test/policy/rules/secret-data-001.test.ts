import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { objectsOf, ownOutputs, yamlFilesUnder } from './namespace-secret-fixtures';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { RuleObject } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { SECRET_DATA_001 as rule } from '../../../src/policy/rules/secret-data-001';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { synthValidated } from '../../helpers';
import { describeWithShared } from '../../shared';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function secret(fields: object = {}, namespace: string | undefined = 'shop', name = 'creds'): RuleObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, ...fields };
}

/** A GCP service-account key file as the console downloads it (the key material shortened, not a real key). */
const SA_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'acme-prod',
  private_key_id: '0123456789abcdef',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
  client_email: 'ledger@acme-prod.iam.gserviceaccount.com',
  client_id: '1234567890',
}, null, 2);
const SA_KEY_YAML = 'type: service_account\nproject_id: acme-prod\nprivate_key: "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"\nclient_email: a@acme-prod.iam.gserviceaccount.com\n';
const TLS_KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----\n';
const DOCKER_CONFIG = JSON.stringify({ auths: { 'gcr.io': { auth: b64('_json_key:secret') } } });

const ctx = ruleContext([]);

const GOOD: [string, RuleObject][] = [
  ['no data at all', secret()],
  ['data: {}', secret({ data: {} })],
  ['stringData: {}', secret({ stringData: {} })],
  ['data: null', secret({ data: null })],
  ['keys with empty values (placeholders a controller fills)', secret({ data: { token: '' }, stringData: { password: '' } })],
  ['a service-account-token Secret without data (the token controller fills it)', secret({
    type: 'kubernetes.io/service-account-token', metadata: { name: 'ci-token', namespace: 'shop', annotations: { 'kubernetes.io/service-account.name': 'ci' } },
  })],
  ['a dockerconfigjson Secret without data', secret({ type: 'kubernetes.io/dockerconfigjson' })],
  ['kube-system (the cluster\'s own)', secret({ data: { token: b64('x') } }, 'kube-system')],
  ['the control-plane namespace (the platform\'s: cacerts, gateway credentials)', secret({ type: 'kubernetes.io/tls', data: { 'tls.key': b64(TLS_KEY) } }, 'istio-system')],
];

/** [name, object, path, message fragment] */
const BAD: [string, RuleObject, string, string][] = [
  ['an Opaque Secret with data', secret({ data: { password: b64('hunter2') } }), 'data',
    'Secret data holds values under key "password": a credential committed to Git with the manifests (OPS-2)'],
  ['stringData', secret({ stringData: { password: 'hunter2', user: 'admin' } }), 'stringData', 'Secret stringData holds values under keys "password", "user"'],
  ['type absent is Opaque; a custom type is named', secret({ type: 'acme.com/api-key', data: { key: b64('k') } }), 'data', 'holds values of type acme.com/api-key under key "key"'],
  ['a Secret without a namespace (it lands in an app\'s)', secret({ data: { a: b64('b') } }, undefined), 'data', 'under key "a"'],
  ['kube-public is not exempt', secret({ data: { a: b64('b') } }, 'kube-public'), 'data', 'under key "a"'],
  ['dockerconfigjson with data (registry credentials)', secret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(DOCKER_CONFIG) } }), 'data',
    'Secret data holds registry credentials under key ".dockerconfigjson"'],
  ['TLS with data (a private key)', secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('-----BEGIN CERTIFICATE-----'), 'tls.key': b64(TLS_KEY) } }), 'data',
    'holds a TLS certificate and its private key under keys "tls.crt", "tls.key": a credential committed to Git with the manifests (OPS-2), '
    + 'readable by everyone who can read the repository; "tls.key" holds a private key'],
  ['a service-account-token Secret with a token written in', secret({ type: 'kubernetes.io/service-account-token', data: { token: b64('eyJhbGciOi') } }), 'data',
    'holds a ServiceAccount token under key "token"'],
  ['a GCP service-account key, base64 in data', secret({ data: { 'key.json': b64(SA_KEY) } }), 'data',
    '"key.json" is a GCP service-account key (type: service_account, private_key): a long-lived cloud credential; '
    + 'workloads get cloud access through Workload Identity instead (WI-1)'],
  ['a GCP service-account key, plain in stringData', secret({ stringData: { 'credentials.json': SA_KEY } }), 'stringData', '"credentials.json" is a GCP service-account key'],
  ['a GCP service-account key as YAML', secret({ stringData: { 'sa.yaml': SA_KEY_YAML } }), 'stringData', '"sa.yaml" is a GCP service-account key'],
  ['a GCP service-account key written into data unencoded (the API server would refuse it; it is in Git all the same)',
    secret({ data: { 'key.json': SA_KEY } }), 'data', '"key.json" is a GCP service-account key'],
  ['data a string', secret({ data: 'eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=' }), 'data', 'Secret data is a string, not a map of keys (the API server refuses it)'],
  ['data a list', secret({ data: ['a'] }), 'data', 'Secret data is a list, not a map of keys'],
  ['stringData a number', secret({ stringData: 42 }), 'stringData', 'Secret stringData is a number'],
  ['a value of another type counts as a value', secret({ data: { port: 5432 } }), 'data', 'under key "port"'],
];

describe('SECRET-DATA-001 no Secret with data in an app namespace (WI-1, SECRET-1)', () => {
  test.each(GOOD)('passes: %s', (_name, object) => {
    expect(rule.check(object, ctx)).toEqual([]);
  });

  test.each(BAD)('fails: %s', (_name, object, path, message) => {
    expect(rule.check(object, ctx)).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  test('data and stringData are reported each at its own path', () => {
    expect(rule.check(secret({ data: { a: b64('1') }, stringData: { b: '2' } }), ctx).map((v) => v.path)).toEqual(['data', 'stringData']);
  });

  test('the whole message of a plain Secret', () => {
    expect(rule.check(secret({ data: { password: b64('hunter2') } }), ctx)).toEqual([{
      path: 'data',
      message: 'Secret data holds values under key "password": a credential committed to Git with the manifests (OPS-2), '
        + 'readable by everyone who can read the repository',
    }]);
  });

  test('only keys with values are named, and long lists are cut', () => {
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, b64('v')]));
    expect(rule.check(secret({ data: { empty: '', ...many } }), ctx)[0].message).toContain('"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7" and 2 more');
  });

  test('a service-account key is recognized by its fields, not by any "private_key"', () => {
    const config = secret({ stringData: { 'app.yaml': 'tls:\n  private_key: /etc/tls/key.pem\n' } });
    expect(rule.check(config, ctx)[0].message).not.toContain('service-account key');
    const bare = secret({ stringData: { 'key.json': '{"private_key": "k", "client_email": "a@p.iam.gserviceaccount.com"}' } });
    expect(rule.check(bare, ctx)[0].message).toContain('"key.json" is a GCP service-account key');
  });

  test('the exempt namespaces are the context\'s control plane and kube-system; a separate root namespace is checked', () => {
    const layout = ruleContext([], { rootNamespace: 'mesh-root', controlPlaneNamespace: 'istio-cp' });
    const withData = (ns: string) => secret({ data: { a: b64('b') } }, ns);
    expect(rule.check(withData('istio-cp'), layout)).toEqual([]);
    expect(rule.check(withData('kube-system'), layout)).toEqual([]);
    expect(rule.check(withData('istio-system'), layout)).toHaveLength(1);
    expect(rule.check(withData('mesh-root'), layout)).toHaveLength(1);
  });

  test.each([
    ['metadata null', { apiVersion: 'v1', kind: 'Secret', metadata: null, data: { a: 'b' } }],
    ['namespace a number', { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 5 }, data: { a: 'b' } }],
    ['type a number', secret({ type: 5, data: { a: b64('b') } })],
    ['a value null', secret({ data: { a: null } })],
    ['a value an object', secret({ stringData: { a: { nested: true } } })],
    ['data true', secret({ data: true })],
    ['no kind', {}],
  ])('odd shape does not throw: %s', (_name, object) => {
    expect(() => rule.check(object as RuleObject, ctx)).not.toThrow();
  });

  test('other kinds are ignored (a ConfigMap, a Secret of another group)', () => {
    expect(rule.check({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { password: 'x' } }, ctx)).toEqual([]);
    expect(rule.check({ ...secret({ data: { a: b64('b') } }), apiVersion: 'bitnami.com/v1alpha1' }, ctx)).toEqual([]);
    expect(rule.check({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 's', namespace: 'shop' }, spec: { encryptedData: { a: 'AgB' } } }, ctx)).toEqual([]);
  });

  test('the rule has no admission form (Secrets are created with data in the cluster by design) and is in rule set 2', () => {
    expect(rule.admission).toBeUndefined();
    expect(rule.since).toBe('2');
    expect(rule.kinds).toEqual(['/Secret']);
  });

  test('what the library synthesizes passes', () => {
    for (const app of ownOutputs()) {
      expect({ app: app.name, found: app.objects.flatMap((o) => rule.check(o, app.ctx)) }).toEqual({ app: app.name, found: [] });
    }
  });

  describe('in synthesis', () => {
    function app() {
      const chart = new Chart(Testing.app(), 'test');
      new MeshBaseline(chart, 'mesh');
      new HardenedNamespace(chart, 'shop', { name: 'shop' });
      return chart;
    }

    test('a Secret without values synthesizes', () => {
      const chart = app();
      new ApiObject(chart, 'token', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'ci', namespace: 'shop' } });
      expect(() => synthValidated(chart)).not.toThrow();
    });

    test('a raw Secret with a service-account key next to the library\'s objects fails', () => {
      const chart = app();
      new ApiObject(chart, 'gcp-key', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gcp-key', namespace: 'shop' }, data: { 'key.json': b64(SA_KEY) } });
      expect(() => Testing.synth(chart)).toThrow(/SECRET-DATA-001 \(WI-1, SECRET-1\): \[test\/gcp-key\] Secret\/shop\/gcp-key data: .*"key\.json" is a GCP service-account key/);
    });

    test('a JSON patch that writes data into a Secret without values fails', () => {
      const chart = app();
      const token = new ApiObject(chart, 'token', { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name: 'ci', namespace: 'shop' } });
      token.addJsonPatch(JsonPatch.add('/data', { token: b64('eyJhbGciOi') }));
      expect(() => Testing.synth(chart)).toThrow(/SECRET-DATA-001 \(WI-1, SECRET-1\): \[test\/token\] Secret\/shop\/ci data: Secret data holds a ServiceAccount token/);
    });
  });
});

/*
 * The external corpus labels no Secret (none of its policies is about Secret values), and its
 * real applications commit none with values: every object of apps/ passes.
 */
describeWithShared('external-corpus/apps', 'the external corpus agrees (real applications commit no Secret with values)', (dir) => {
  test.each(yamlFilesUnder(dir))('%s', (file) => {
    expect(objectsOf(`${dir}/${file}`).flatMap((o) => rule.check(o, ctx))).toEqual([]);
  });
});
