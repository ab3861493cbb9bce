import { App, Chart, JsonPatch, Testing } from 'cdk8s';
import { Validation } from '../../src';
import { AuthorizationPolicy, AuthorizationPolicySpecAction } from '../../src/imports/security.istio.io';

const strictMtls = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

describe('Validation (public API)', () => {
  test('validateYaml accepts a valid multi-document file and skips empty documents', () => {
    expect(Validation.validateYaml(`${strictMtls}---\n---\n${strictMtls}`)).toEqual([]);
  });

  test('validateYaml reports each finding with its document index', () => {
    const findings = Validation.validateYaml(`${strictMtls}---\n${strictMtls.replace('STRICT', 'PERMISSIVEISH')}`);
    expect(findings).toEqual([expect.objectContaining({ documentIndex: 1, path: 'spec.mtls.mode', layer: 'schema', rule: 'enum' })]);
  });

  test('validateYaml refuses text that is not YAML', () => {
    expect(() => Validation.validateYaml('a: [b')).toThrow(/Invalid YAML/);
  });

  test('validateChart and validateApp validate what cdk8s synthesizes, JSON patches included', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const policy = new AuthorizationPolicy(chart, 'custom', {
      metadata: { name: 'ext-authz', namespace: 'bookinfo' },
      spec: { action: AuthorizationPolicySpecAction.CUSTOM, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] },
    });
    const findings = Validation.validateChart(chart);
    expect(findings).toEqual([expect.objectContaining({ object: 'AuthorizationPolicy/bookinfo/ext-authz', layer: 'webhook' })]);
    expect(findings[0].message).toMatch(/provider/i);
    expect(Validation.validateApp(app)).toEqual(findings);

    // The escape hatch cannot smuggle an invalid object past the harness.
    policy.addJsonPatch(JsonPatch.add('/spec/provider', { name: 'oauth2-proxy' }));
    expect(Validation.validateApp(app)).toEqual([]);
    policy.addJsonPatch(JsonPatch.add('/spec/rules/0/from', [{ source: {} }]));
    expect(Validation.validateApp(app).map((f) => f.path)).toEqual(['spec.rules[0].from[0].source']);
  });

  test('assertValid passes valid manifests and throws with every finding otherwise', () => {
    expect(() => Validation.assertValid([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bookinfo' } }])).not.toThrow();
    expect(() => Validation.assertValid([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bookinfo' } },
      { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'any', namespace: 'x' }, spec: { hosts: ['*'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS' } },
    ])).toThrow(/finding\(s\):\n {2}- Namespace\/Bookinfo metadata\.name: name "Bookinfo".*\n(.|\n)*ServiceEntry\/x\/any spec\.hosts\[0\]: Invalid value: hostname cannot be wildcard \[cel: self != "\*"\]/);
  });

  test('formatFindings: one indented line per finding', () => {
    expect(Validation.formatFindings([])).toBe('');
    const findings = Validation.validateManifests([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '-x' } }]);
    expect(Validation.formatFindings(findings)).toMatch(/^ {2}- Namespace\/-x metadata\.name: .*\[api-server: metadata\.name\]$/);
  });

  test('works on a whole App with several charts', () => {
    const app = new App({ outdir: '/tmp/unused' });
    new Chart(app, 'a');
    new Chart(app, 'b');
    expect(Validation.validateApp(app)).toEqual([]);
  });
});
