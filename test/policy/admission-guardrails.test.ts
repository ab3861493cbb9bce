import { ApiObject, Chart, Testing } from 'cdk8s';
import { BlueprintChart } from '../../examples/blueprint/blueprint';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { admitsExpression } from '../../src/policy/admission-cel';
import { AdmissionGuardrails, EXCEPTIONS_CONFIGMAP, exceptedExpression, exceptionKey, workloadKey } from '../../src/policy/admission-guardrails';
import { EXCEPTION_ANNOTATION } from '../../src/policy/policy-enforcement';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { RuleObject, RuleSeverity } from '../../src/policy/rule';
import { PolicyRules } from '../../src/policy/rule-catalog';
import { ALL_RULES, ruleById } from '../../src/policy/rule-pack';
import { ruleContext } from '../../src/policy/rule-test-kit';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';
import { findObject, ofKind, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }];
/** Every rule emitted as a policy: those with a static admission form and those rendered with the app's context. */
const ADMISSION_RULES = ALL_RULES.filter((r) => r.admission || r.admissionFor);
const ADMISSION_IDS = ADMISSION_RULES.map((r) => r.id);
/** The rules whose admission form is the same on every cluster (the FIXTURES table). */
const STATIC_IDS = ALL_RULES.filter((r) => r.admission).map((r) => r.id);
const policyName = (ruleId: string) => `secure-mesh-${ruleId.toLowerCase()}`;

function world(props: ConstructorParameters<typeof AdmissionGuardrails>[2] = {}) {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, '2030-01-15');
  const chart = new Chart(app, 'test');
  new MeshBaseline(chart, 'mesh');
  const guardrails = new AdmissionGuardrails(chart, 'guardrails', props);
  return { app, chart, guardrails };
}

const guardrailObjects = (objects: any[]) => objects.filter((o) =>
  o.apiVersion === 'admissionregistration.k8s.io/v1' || (o.kind === 'ConfigMap' && o.metadata.name === EXCEPTIONS_CONFIGMAP));
const policyOf = (objects: any[], ruleId: string) => findObject(objects, 'ValidatingAdmissionPolicy', policyName(ruleId));
const bindingOf = (objects: any[], ruleId: string) => findObject(objects, 'ValidatingAdmissionPolicyBinding', policyName(ruleId));
const expressionOf = (objects: any[], ruleId: string): string => {
  const validations = policyOf(objects, ruleId).spec.validations;
  expect(validations).toHaveLength(1);
  return validations[0].expression;
};

describe('AdmissionGuardrails: emitted objects', () => {
  test('snapshot: the exceptions ConfigMap, and one policy and binding per rule with an admission form', () => {
    const { chart } = world();
    expect(guardrailObjects(synthValidated(chart))).toMatchSnapshot();
  });

  test('every object passes the validation harness (VAP schema), with or without warnOnly and another namespace', () => {
    for (const props of [{}, { warnOnly: true }, { namespace: 'mesh-guardrails' }]) {
      const { chart } = world(props);
      const objects = synthValidated(chart);
      expect(guardrailObjects(objects)).toHaveLength(1 + 2 * ADMISSION_RULES.length);
    }
  });

  test('ruleIds lists exactly the rules with an admission form, in rule-set order', () => {
    const { guardrails } = world();
    expect(guardrails.ruleIds).toEqual(ADMISSION_IDS);
    expect(guardrails.ruleIds.length).toBeGreaterThan(0);
    for (const r of ALL_RULES.filter((x) => !x.admission && !x.admissionFor)) expect(guardrails.ruleIds).not.toContain(r.id);
  });

  test('one policy and one binding per admission rule, none for rules without an admission form', () => {
    const { chart } = world();
    const objects = synthValidated(chart);
    const vaps = ofKind(objects, 'ValidatingAdmissionPolicy');
    const bindings = ofKind(objects, 'ValidatingAdmissionPolicyBinding');
    expect(vaps.map((p) => p.metadata.name).sort()).toEqual(ADMISSION_IDS.map(policyName).sort());
    expect(bindings.map((b) => b.metadata.name).sort()).toEqual(ADMISSION_IDS.map(policyName).sort());
    for (const r of ALL_RULES.filter((x) => !x.admission && !x.admissionFor)) {
      expect(vaps.map((p) => p.metadata.name)).not.toContain(policyName(r.id));
    }
    expect(ofKind(objects, 'ConfigMap').filter((c) => c.metadata.name === EXCEPTIONS_CONFIGMAP)).toHaveLength(1);
  });

  test('the ConfigMap is in istio-system by default, without data when no exception covers anything', () => {
    const { chart } = world();
    const cm = findObject(synthValidated(chart), 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system');
    expect(cm).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: EXCEPTIONS_CONFIGMAP, namespace: 'istio-system' } });
  });

  test.each(ADMISSION_RULES.map((r) => [r.id, r] as const))('%s: policy matches the rule resources, fails closed, names its practices', (id, rule) => {
    const { chart } = world();
    const objects = synthValidated(chart);
    const vap = policyOf(objects, id);
    // A layout rule is rendered with the app's context: its admin groups, control plane and gateways.
    const check = rule.admission ?? rule.admissionFor!(ruleContext(objects));
    expect(vap.metadata.annotations).toEqual({ 'secure-mesh.cdk8s.io/practices': rule.practices.join(',') });
    expect(vap.spec.failurePolicy).toBe('Fail');
    expect(vap.spec.paramKind).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(vap.spec.matchConstraints.resourceRules).toEqual(check.resources.map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'] })));
    expect(vap.spec.validations).toEqual([{
      expression: `${exceptedExpression(id)} || (${check.expression})`,
      message: expect.stringContaining(check.message.replace(/^[A-Z0-9-]+: /, '')),
      reason: 'Forbidden',
    }]);
    expect(vap.spec.validations[0].message.startsWith(`${id}`)).toBe(true);
  });

  test.each(ADMISSION_RULES.map((r) => [r.id, r] as const))('%s: binding references the policy, the exceptions map (Deny when missing) and the severity action', (id, rule) => {
    const { chart } = world();
    const binding = bindingOf(synthValidated(chart), id);
    expect(binding.spec).toEqual({
      policyName: policyName(id),
      paramRef: { name: EXCEPTIONS_CONFIGMAP, namespace: 'istio-system', parameterNotFoundAction: 'Deny' },
      validationActions: rule.severity === RuleSeverity.ERROR ? ['Deny'] : ['Warn', 'Audit'],
    });
  });

  test('ERROR rules deny; on an older rule set, the rules of later sets warn and audit', () => {
    const latest = synthValidated(world().chart);
    for (const r of ADMISSION_RULES) expect([r.id, bindingOf(latest, r.id).spec.validationActions]).toEqual([r.id, ['Deny']]);
    const older = synthValidated(world({ ruleSet: '1' }).chart);
    const newer = ADMISSION_RULES.filter((r) => r.since === '2');
    expect(newer.map((r) => r.id)).toEqual(expect.arrayContaining(['POD-CAP-002', 'POD-ESC-001', 'POD-PSS-001']));
    for (const r of ADMISSION_RULES) {
      expect([r.id, bindingOf(older, r.id).spec.validationActions]).toEqual([r.id, newer.includes(r) ? ['Warn', 'Audit'] : ['Deny']]);
    }
  });

  test('the rule set comes from the app (context key) when not given; an unknown one is refused', () => {
    const app = Testing.app();
    app.node.setContext(PolicyRules.RULE_SET_CONTEXT_KEY, '1');
    const chart = new Chart(app, 'test');
    new MeshBaseline(chart, 'mesh');
    new AdmissionGuardrails(chart, 'guardrails');
    expect(bindingOf(Testing.synth(chart), 'POD-ROFS-001').spec.validationActions).toEqual(['Warn', 'Audit']);
    expect(() => world({ ruleSet: '7' })).toThrow(/ruleSet.*"7" is not a rule set \(known: 1, 2/);
  });

  test('warnOnly: every binding warns and audits, none denies', () => {
    const { chart } = world({ warnOnly: true });
    const bindings = ofKind(synthValidated(chart), 'ValidatingAdmissionPolicyBinding');
    expect(bindings).toHaveLength(ADMISSION_RULES.length);
    for (const b of bindings) expect(b.spec.validationActions).toEqual(['Warn', 'Audit']);
  });

  test('namespace prop: the ConfigMap and every paramRef move there', () => {
    const { chart } = world({ namespace: 'mesh-guardrails' });
    const objects = synthValidated(chart);
    expect(findObject(objects, 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'mesh-guardrails')).toBeDefined();
    for (const b of ofKind(objects, 'ValidatingAdmissionPolicyBinding')) {
      expect(b.spec.paramRef).toEqual({ name: EXCEPTIONS_CONFIGMAP, namespace: 'mesh-guardrails', parameterNotFoundAction: 'Deny' });
    }
  });

  test.each(['Istio-System', '', 'a_b', '-x', 'x'.repeat(64), 'a.b'])('namespace %j is refused', (namespace) => {
    const chart = Testing.chart();
    expect(() => new AdmissionGuardrails(chart, 'guardrails', { namespace })).toThrow(/namespace/);
  });

  test('every binding depends on the ConfigMap: construct dependency and synthesized order', () => {
    const { chart, guardrails } = world();
    const exceptions = guardrails.node.findChild('Exceptions');
    for (const id of ADMISSION_IDS) {
      const binding = guardrails.node.findChild(`${id}-binding`);
      expect(binding.node.dependencies).toContain(exceptions);
    }
    const objects = synthValidated(chart);
    const cmIndex = objects.findIndex((o) => o.kind === 'ConfigMap' && o.metadata.name === EXCEPTIONS_CONFIGMAP);
    expect(cmIndex).toBeGreaterThanOrEqual(0);
    objects.forEach((o, i) => {
      if (o.kind === 'ValidatingAdmissionPolicyBinding') expect(i).toBeGreaterThan(cmIndex);
    });
  });
});

describe('exceptionKey and exceptedExpression', () => {
  test('exceptionKey: Kind.namespace.name, empty namespace for cluster-scoped objects', () => {
    expect(exceptionKey('Deployment', 'shop', 'cart')).toBe('Deployment.shop.cart');
    expect(exceptionKey('ClusterRole', undefined, 'ops')).toBe('ClusterRole..ops');
    expect(exceptionKey('Pod', '', 'p')).toBe('Pod..p');
  });

  const deployment: RuleObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: 'shop' } };
  const clusterRole: RuleObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ops' } };
  const map = (data?: { [key: string]: string }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: EXCEPTIONS_CONFIGMAP }, ...(data ? { data } : {}) });

  test('true only when the map lists the rule for this exact object', () => {
    const e = exceptedExpression('MESH-EXC-001');
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart': 'MESH-EXC-001' }))).toBe(true);
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart': 'MESH-INJ-001,MESH-EXC-001' }))).toBe(true);
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart': 'MESH-INJ-001' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart': 'MESH-EXC-0011' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart': 'MESH-EXC-00' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({ 'Deployment.other.cart': 'MESH-EXC-001' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({ 'StatefulSet.shop.cart': 'MESH-EXC-001' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({ 'Deployment.shop.cart2': 'MESH-EXC-001' }))).toBe(false);
    expect(admitsExpression(e, deployment, map({}))).toBe(false);
    expect(admitsExpression(e, deployment, map())).toBe(false);
    expect(admitsExpression(e, deployment, undefined)).toBe(false);
  });

  test('cluster-scoped objects use an empty namespace segment', () => {
    const e = exceptedExpression('RBAC-WILD-001');
    expect(admitsExpression(e, clusterRole, map({ [exceptionKey('ClusterRole', undefined, 'ops')]: 'RBAC-WILD-001' }))).toBe(true);
    expect(admitsExpression(e, clusterRole, map({ 'ClusterRole.istio-system.ops': 'RBAC-WILD-001' }))).toBe(false);
  });

  test('the rule id is embedded as a CEL string literal', () => {
    expect(exceptedExpression('POD-PRIV-001')).toContain("r == 'POD-PRIV-001'");
    expect(exceptedExpression('POD-PRIV-001')).toMatch(/^\(params != null && has\(params\.data\)/);
  });
});

// ---- Every rule with an admission form, evaluated through the emitted expression -----------------

const SC_OK = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
const container = (over: object = {}) => ({ name: 'app', image: IMAGE, securityContext: SC_OK, ...over });
const pod = (name: string, spec: object = {}, annotations?: { [key: string]: string }): RuleObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec: { containers: [container()], ...spec },
});
const deployment = (name: string, podSpec: object = {}, podAnnotations?: { [key: string]: string }): RuleObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, ...(podAnnotations ? { annotations: podAnnotations } : {}) },
      spec: { containers: [container()], ...podSpec },
    },
  },
});
const istio = (group: string, kind: string, name: string, spec: object): RuleObject => ({
  apiVersion: `${group}/v1`, kind, metadata: { name, namespace: 'shop' }, spec,
});
const authz = (name: string, spec: object) => istio('security.istio.io', 'AuthorizationPolicy', name, spec);
const CALLER = { source: { principals: ['cluster.local/ns/shop/sa/web'] } };
const role = (kind: 'Role' | 'ClusterRole', name: string, rules: object[]): RuleObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, ...(kind === 'Role' ? { namespace: 'shop' } : {}) }, rules,
});

/** For each rule with an admission form: objects it admits and objects it refuses. */
const FIXTURES: { [ruleId: string]: { good: RuleObject[]; bad: RuleObject[] } } = {
  'MESH-MTLS-002': {
    good: [istio('security.istio.io', 'PeerAuthentication', 'strict', { mtls: { mode: 'STRICT' } }), istio('security.istio.io', 'PeerAuthentication', 'inherit', {})],
    bad: [
      istio('security.istio.io', 'PeerAuthentication', 'permissive', { mtls: { mode: 'PERMISSIVE' } }),
      istio('security.istio.io', 'PeerAuthentication', 'port', { mtls: { mode: 'STRICT' }, portLevelMtls: { 9080: { mode: 'DISABLE' } } }),
    ],
  },
  'MESH-DR-001': {
    good: [istio('networking.istio.io', 'DestinationRule', 'mutual', { host: 'cart.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } })],
    bad: [
      istio('networking.istio.io', 'DestinationRule', 'plain', { host: 'cart', trafficPolicy: { tls: { mode: 'DISABLE' } } }),
      istio('networking.istio.io', 'DestinationRule', 'subset', { host: 'cart.shop.svc.cluster.local', subsets: [{ name: 'v1', trafficPolicy: { tls: { mode: 'SIMPLE' } } }] }),
    ],
  },
  'MESH-DR-002': {
    good: [istio('networking.istio.io', 'DestinationRule', 'verified', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'api-ca' } } })],
    bad: [istio('networking.istio.io', 'DestinationRule', 'unverified', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', insecureSkipVerify: true } } })],
  },
  'MESH-DR-003': {
    good: [istio('networking.istio.io', 'DestinationRule', 'named', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com', subjectAltNames: ['api.example.com'] } } })],
    bad: [istio('networking.istio.io', 'DestinationRule', 'any-name', { host: 'api.example.com', trafficPolicy: { tls: { mode: 'SIMPLE', sni: 'api.example.com' } } })],
  },
  'MESH-AUTHZ-002': {
    good: [authz('positive', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/*'] } }] }] })],
    bad: [authz('negative', { rules: [{ from: [CALLER], to: [{ operation: { notPaths: ['/admin'] } }] }] })],
  },
  'MESH-AUTHZ-003': {
    good: [authz('deny-negative', { action: 'DENY', rules: [{ to: [{ operation: { notPaths: ['/api/*'] } }] }] })],
    bad: [authz('deny-positive', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] })],
  },
  'MESH-AUTHZ-004': {
    good: [authz('identity', { rules: [{ from: [CALLER] }] })],
    bad: [authz('anyone', { rules: [{ to: [{ operation: { ports: ['9080'] } }] }] }), authz('ns-only', { rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] })],
  },
  'MESH-AUTHZ-005': {
    good: [authz('named', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'], requestPrincipals: ['https://issuer.example.com/*'] } }] }] })],
    bad: [authz('wildcard', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/*'] } }] }] })],
  },
  'MESH-AUTHZ-006': {
    good: [authz('normal', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/v1/*', '*.png'] } }] }] })],
    bad: [authz('dotdot', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/api/../admin'] } }] }] }), authz('encoded', { rules: [{ from: [CALLER], to: [{ operation: { paths: ['/a%2Fb'] } }] }] })],
  },
  'MESH-INJ-001': {
    good: [deployment('injected'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'meshed', labels: { 'istio-injection': 'enabled' } } }],
    bad: [
      deployment('uninjected', {}, { 'sidecar.istio.io/inject': 'false' }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'opted-out', labels: { 'istio-injection': 'disabled' } } },
    ],
  },
  'MESH-EXC-001': {
    good: [deployment('captured', {}, { 'traffic.sidecar.istio.io/includeInboundPorts': '*' })],
    bad: [deployment('bypass', {}, { 'traffic.sidecar.istio.io/excludeInboundPorts': '9080' }), pod('bypass-pod', {}, { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8' })],
  },
  'MESH-JWT-001': {
    good: [istio('security.istio.io', 'RequestAuthentication', 'jwt', { jwtRules: [{ issuer: 'https://issuer.example.com', outputClaimToHeaders: [{ header: 'x-user', claim: 'sub' }] }] })],
    bad: [istio('security.istio.io', 'RequestAuthentication', 'spoof', { jwtRules: [{ issuer: 'https://issuer.example.com', outputClaimToHeaders: [{ header: 'X-Forwarded-For', claim: 'sub' }] }] })],
  },
  'MESH-AUTHZ-008': {
    good: [authz('enforced', {}), { ...authz('explicitly-enforced', {}), metadata: { name: 'explicitly-enforced', namespace: 'shop', annotations: { 'istio.io/dry-run': 'false' } } }],
    bad: [{ ...authz('dry-run', {}), metadata: { name: 'dry-run', namespace: 'shop', annotations: { 'istio.io/dry-run': 'true' } } }],
  },
  'MESH-EGRESS-001': {
    good: [istio('networking.istio.io', 'Sidecar', 'registry-only', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }), istio('networking.istio.io', 'Sidecar', 'default', {})],
    bad: [istio('networking.istio.io', 'Sidecar', 'open', { outboundTrafficPolicy: { mode: 'ALLOW_ANY' } })],
  },
  'MESH-JWT-002': {
    good: [istio('security.istio.io', 'RequestAuthentication', 'https', { jwtRules: [{ issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks' }] })],
    bad: [istio('security.istio.io', 'RequestAuthentication', 'inline', { jwtRules: [{ issuer: 'https://issuer.example.com', jwks: '{"keys":[]}' }] })],
  },
  'MESH-TEL-001': {
    good: [{ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'logs', namespace: 'shop' }, spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] } }],
    bad: [{ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'quiet', namespace: 'shop' }, spec: { accessLogging: [{ disabled: true }] } }],
  },
  'MESH-EGRESS-002': {
    good: [istio('networking.istio.io', 'ServiceEntry', 'api', { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', exportTo: ['.'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })],
    bad: [istio('networking.istio.io', 'ServiceEntry', 'anything', { hosts: ['*.example.com'], location: 'MESH_EXTERNAL', resolution: 'NONE', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })],
  },
  'MESH-EXT-001': {
    // Every EnvoyFilter and WasmPlugin is refused; only objects of other kinds pass the expression.
    good: [istio('networking.istio.io', 'Sidecar', 'not-an-extension', {})],
    bad: [istio('networking.istio.io', 'EnvoyFilter', 'patch', { configPatches: [] })],
  },
  'MESH-INGRESS-001': {
    good: [istio('networking.istio.io', 'Gateway', 'edge', {
      servers: [
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'shop-cert' } },
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } },
      ],
    })],
    bad: [
      istio('networking.istio.io', 'Gateway', 'plaintext', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'] }] }),
      istio('networking.istio.io', 'Gateway', 'any-host', { servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'SIMPLE', credentialName: 'c' } }] }),
    ],
  },
  'MESH-INGRESS-002': {
    good: [istio('networking.istio.io', 'VirtualService', 'named', { hosts: ['shop.example.com'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'web' } }] }] })],
    bad: [istio('networking.istio.io', 'VirtualService', 'wildcard', { hosts: ['*'], gateways: ['istio-system/edge'], http: [{ route: [{ destination: { host: 'web' } }] }] })],
  },
  'POD-ROOT-001': {
    good: [pod('plain')],
    bad: [
      pod('root', { securityContext: {}, containers: [container({ securityContext: { ...SC_OK, runAsNonRoot: false } })] }),
      pod('uid-0', { containers: [container({ securityContext: { ...SC_OK, runAsUser: 0 } })] }),
    ],
  },
  'POD-SECCOMP-001': {
    good: [pod('plain')],
    bad: [pod('unconfined', { containers: [container({ securityContext: { ...SC_OK, seccompProfile: { type: 'Unconfined' } } })] })],
  },
  'POD-HOSTPATH-001': {
    good: [pod('plain', { volumes: [{ name: 'tmp', emptyDir: {} }] })],
    bad: [pod('docker-socket', { volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] })],
  },
  'POD-HOSTPORT-001': {
    good: [pod('plain', { containers: [container({ ports: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 0 }] })] })],
    bad: [pod('node-port', { containers: [container({ ports: [{ containerPort: 8080, hostPort: 80 }] })] })],
  },
  'POD-CAP-002': {
    good: [pod('bind-low-port', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } })] })],
    bad: [pod('chown', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['CHOWN'] } } })] })],
  },
  'POD-PSS-001': {
    good: [pod('plain', { volumes: [{ name: 'tmp', emptyDir: {} }] })],
    bad: [pod('unmasked', { containers: [container({ securityContext: { ...SC_OK, procMount: 'Unmasked' } })] }), pod('nfs', { volumes: [{ name: 'n', nfs: { server: 's', path: '/' } }] })],
  },
  'POD-ROFS-001': {
    good: [pod('read-only', { containers: [container({ securityContext: { ...SC_OK, readOnlyRootFilesystem: true } })] })],
    bad: [pod('writable', { containers: [container({ securityContext: { ...SC_OK, readOnlyRootFilesystem: false } })] })],
  },
  'POD-PID-001': {
    good: [pod('plain')],
    bad: [deployment('shared-pid', { shareProcessNamespace: true })],
  },
  'POD-PRIV-001': {
    good: [pod('plain')],
    bad: [pod('privileged', { containers: [container({ securityContext: { ...SC_OK, privileged: true } })] })],
  },
  'POD-CAP-001': {
    good: [pod('no-caps')],
    bad: [deployment('net-admin', { containers: [container({ securityContext: { ...SC_OK, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } } })] })],
  },
  'POD-HOST-001': {
    good: [pod('isolated', { hostNetwork: false })],
    bad: [pod('host-network', { hostNetwork: true }), deployment('host-pid', { hostPID: true })],
  },
  'POD-ESC-001': {
    good: [pod('restricted')],
    bad: [pod('escalating', { containers: [container({ securityContext: { runAsNonRoot: true } })] })],
  },
  'IMG-DIGEST-001': {
    good: [pod('pinned')],
    bad: [pod('tagged', { containers: [container({ image: 'gcr.io/acme/app:latest' })] })],
  },
  'RBAC-WILD-001': {
    good: [role('Role', 'reader', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }])],
    bad: [role('ClusterRole', 'everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), role('Role', 'all-verbs', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }])],
  },
  'RBAC-ESC-001': {
    good: [role('Role', 'reader', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }])],
    bad: [role('ClusterRole', 'binder', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] }]), role('Role', 'impersonator', [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }])],
  },
  'RBAC-SENS-001': {
    good: [role('Role', 'log-reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }])],
    bad: [role('Role', 'exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]), role('ClusterRole', 'node-proxy', [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }])],
  },
  'RBAC-SUBJ-001': {
    good: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'team', namespace: 'shop' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'Group', name: 'team-shop' }] }],
    bad: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'anyone' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'system:unauthenticated' }] }],
  },
  'POD-UID-001': {
    good: [pod('plain')],
    bad: [pod('as-proxy', { containers: [container({ securityContext: { ...SC_OK, runAsUser: 1337 } })] }), deployment('proxy-group', { securityContext: { runAsGroup: 1337 } })],
  },
  'NS-PSA-001': {
    good: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.30' } } }],
    bad: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lax', labels: { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'baseline' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old', labels: { 'istio.io/rev': 'stable', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.21' } } },
    ],
  },
  'MESH-PROXY-001': {
    good: [pod('plain')],
    bad: [pod('own-proxy', {}, { 'sidecar.istio.io/proxyImage': 'docker.io/someone/proxyv2:latest' }), deployment('no-capture', {}, { 'sidecar.istio.io/interceptionMode': 'NONE' })],
  },
};

const keyOf = (o: RuleObject) => exceptionKey(o.kind!, o.metadata?.namespace, o.metadata!.name!);
const paramsWith = (data?: { [key: string]: string }) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: EXCEPTIONS_CONFIGMAP, namespace: 'istio-system' }, ...(data ? { data } : {}),
});

describe('every admission rule, through its emitted expression (exception wrapper included)', () => {
  const { chart } = world();
  const objects = synthValidated(chart);
  const ctx = ruleContext(Object.values(FIXTURES).flatMap((f) => [...f.good, ...f.bad]));

  test('there is a fixture for every rule with an admission form, with good and bad objects', () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...STATIC_IDS].sort());
    for (const f of Object.values(FIXTURES)) {
      expect(f.good.length).toBeGreaterThan(0);
      expect(f.bad.length).toBeGreaterThan(0);
    }
  });

  describe.each(STATIC_IDS)('%s', (id) => {
    const rule = ruleById(id)!;
    const { good, bad } = FIXTURES[id];
    const other = STATIC_IDS.find((x) => x !== id)!;

    test('fixtures agree with check(): bad objects violate the rule, good objects do not', () => {
      for (const o of bad) expect([keyOf(o), rule.check(o, ctx).length > 0]).toEqual([keyOf(o), true]);
      for (const o of good) expect([keyOf(o), rule.check(o, ctx)]).toEqual([keyOf(o), []]);
    });

    test('bad object: refused without data, with an empty map, and with no param object', () => {
      const e = expressionOf(objects, id);
      for (const o of bad) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith())]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({}))]).toEqual([keyOf(o), false]);
        expect([keyOf(o), admitsExpression(e, o)]).toEqual([keyOf(o), false]);
      }
    });

    test('bad object: admitted when the map lists this rule for Kind.namespace.name (alone or among others)', () => {
      const e = expressionOf(objects, id);
      for (const o of bad) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: id }))]).toEqual([keyOf(o), true]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: `${other},${id}` }))]).toEqual([keyOf(o), true]);
      }
    });

    test('bad object: refused when the map lists only another rule for it, or this rule for another object', () => {
      const e = expressionOf(objects, id);
      for (const o of bad) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: other }))]).toEqual([keyOf(o), false]);
        const elsewhere = exceptionKey(o.kind!, o.metadata?.namespace ? 'elsewhere' : undefined, `${o.metadata!.name}-2`);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [elsewhere]: id }))]).toEqual([keyOf(o), false]);
      }
    });

    test('good object: admitted with or without exceptions', () => {
      const e = expressionOf(objects, id);
      for (const o of good) {
        expect([keyOf(o), admitsExpression(e, o, paramsWith())]).toEqual([keyOf(o), true]);
        expect([keyOf(o), admitsExpression(e, o, paramsWith({ [keyOf(o)]: other }))]).toEqual([keyOf(o), true]);
      }
    });
  });
});

// ---- End to end: a PolicyException in the app becomes an admission exception ---------------------

describe('end to end: excludeInboundPorts under a PolicyException', () => {
  function bypassWorld() {
    const { app, chart } = world();
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: HTTP });
    const exception = new PolicyException(cart, 'bypass', {
      rules: ['MESH-EXC-001'],
      justification: 'The legacy health checker cannot speak mTLS; only the shop namespace may reach port 9080.',
      owner: 'team-shop',
      expires: '2030-06-30',
    });
    cart.excludeInboundPorts([9080], { exception });
    new SecureService(chart, 'orders', { namespace: ns, image: IMAGE, ports: HTTP });
    return { app, chart };
  }

  test('the ConfigMap lists the excepted Deployment, and the MESH-EXC-001 policy admits exactly that object', () => {
    const { chart } = bypassWorld();
    const objects = synthValidated(chart);
    const cm = findObject(objects, 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system');
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    expect(cm.data).toEqual({ [exceptionKey('Deployment', 'shop', 'cart')]: 'MESH-EXC-001', [workloadKey('shop', 'cart')]: 'MESH-EXC-001' });
    expect(cm.data).toEqual({ 'Deployment.shop.cart': 'MESH-EXC-001', 'Workload.shop.cart': 'MESH-EXC-001' });
    expect(cart.spec.template.metadata.annotations['traffic.sidecar.istio.io/excludeInboundPorts']).toBe('9080');
    expect(cart.metadata.annotations[EXCEPTION_ANNOTATION]).toBe('MESH-EXC-001@2030-06-30');

    const excExpression = expressionOf(objects, 'MESH-EXC-001');
    expect(admitsExpression(excExpression, cart, cm)).toBe(true);
    // The same object is refused under another name, in another namespace, or without the map.
    expect(admitsExpression(excExpression, { ...cart, metadata: { ...cart.metadata, name: 'cart-copy' } }, cm)).toBe(false);
    expect(admitsExpression(excExpression, { ...cart, metadata: { ...cart.metadata, namespace: 'other' } }, cm)).toBe(false);
    expect(admitsExpression(excExpression, cart, { ...cm, data: undefined })).toBe(false);
    // The exception covers MESH-EXC-001 only: other policies still judge the Deployment on their own.
    expect(admitsExpression(expressionOf(objects, 'MESH-INJ-001'), cart, cm)).toBe(true);
    expect(admitsExpression(expressionOf(objects, 'MESH-INJ-001'), {
      ...cart, spec: { ...cart.spec, template: { ...cart.spec.template, metadata: { ...cart.spec.template.metadata, labels: { ...cart.spec.template.metadata.labels, 'sidecar.istio.io/inject': 'false' } } } },
    }, cm)).toBe(false);
  });

  test('what the controller creates from the excepted Deployment (ReplicaSet, Pods) is admitted too; other apps are not', () => {
    const { chart } = bypassWorld();
    const objects = synthValidated(chart);
    const cm = findObject(objects, 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system');
    const cart = findObject(objects, 'Deployment', 'cart', 'shop');
    const template = cart.spec.template;
    const createdPod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'cart-5d8f7c9b6-x2x7q', namespace: 'shop' }, spec: template.spec };
    const replicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'cart-5d8f7c9b6', namespace: 'shop', labels: template.metadata.labels }, spec: { selector: cart.spec.selector, template } };
    const expression = expressionOf(objects, 'MESH-EXC-001');
    expect(admitsExpression(expression, createdPod, cm)).toBe(true);
    expect(admitsExpression(expression, replicaSet, cm)).toBe(true);
    const otherApp = { ...createdPod, metadata: { ...createdPod.metadata, labels: { ...createdPod.metadata.labels, app: 'orders' } } };
    expect(admitsExpression(expression, otherApp, cm)).toBe(false);
    expect(admitsExpression(expression, { ...createdPod, metadata: { ...createdPod.metadata, namespace: 'other' } }, cm)).toBe(false);
  });

  test('every other synthesized workload is admitted by every policy without an exception', () => {
    const { chart } = bypassWorld();
    const objects = synthValidated(chart);
    const cm = findObject(objects, 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system');
    const orders = findObject(objects, 'Deployment', 'orders', 'shop');
    for (const id of ADMISSION_IDS) expect([id, admitsExpression(expressionOf(objects, id), orders, cm)]).toEqual([id, true]);
  });

  test('an exception that covers nothing adds nothing to the map', () => {
    const { chart } = world();
    const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const cart = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: HTTP });
    new PolicyException(cart, 'unused', {
      rules: ['MESH-EXC-001'],
      justification: 'Kept for the migration window of the legacy checker, which no longer runs.',
      owner: 'team-shop',
      expires: '2030-06-30',
    });
    expect(findObject(synthValidated(chart), 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system').data).toBeUndefined();
  });

  test('a raw bypassing Deployment outside the exception scope still fails synthesis', () => {
    const { chart } = bypassWorld();
    new ApiObject(chart, 'rogue', deployment('rogue', {}, { 'traffic.sidecar.istio.io/excludeInboundPorts': '9080' }) as any);
    expect(() => Testing.synth(chart)).toThrow(/MESH-EXC-001/);
  });
});

describe('AdmissionGuardrails: rules that need the cluster\'s settings, rendered with the app\'s', () => {
  const blueprint = () => {
    const chart = new BlueprintChart(Testing.app(), 'blueprint');
    const objects = synthValidated(chart);
    return { objects, cm: findObject(objects, 'ConfigMap', EXCEPTIONS_CONFIGMAP, 'istio-system') };
  };
  const LAYOUT = ['MESH-AUTHZ-007', 'RBAC-CRB-001', 'RBAC-BUILTIN-001', 'NET-DENY-001', 'NET-EGRESS-001', 'NET-CP-001'];
  const crb = (group: string) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `to-${group}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mesh-auditor' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  });
  const istiod = (port: number) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'istiod-debug', namespace: 'istio-system' },
    spec: { podSelector: { matchLabels: { app: 'istiod' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port }] }] },
  });

  test('each is emitted, with the binding its severity asks for', () => {
    const { objects } = blueprint();
    for (const id of LAYOUT) {
      expect([id, ALL_RULES.find((r) => r.id === id)!.admission]).toEqual([id, undefined]);
      expect([id, bindingOf(objects, id).spec.validationActions]).toEqual([id, ['Deny']]);
    }
  });

  test('every object the blueprint writes is admitted by every policy, these included', () => {
    const { objects, cm } = blueprint();
    for (const id of ofKind(objects, 'ValidatingAdmissionPolicy').map((p: any) => p.metadata.name)) {
      const expression = policyOf(objects, id.replace(/^secure-mesh-/, '').toUpperCase()).spec.validations[0].expression;
      const refused = objects.filter((o) => !admitsExpression(expression, o, cm)).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      expect([id, refused]).toEqual([id, []]);
    }
  });

  test('RBAC-CRB-001 carries the app\'s admin and operator groups: they pass, an app team does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'RBAC-CRB-001');
    expect(admitsExpression(expression, crb('mesh-admins'), cm)).toBe(true);
    expect(admitsExpression(expression, crb('auditors'), cm)).toBe(true);
    expect(admitsExpression(expression, crb('bookinfo-developers'), cm)).toBe(false);
  });

  test('NET-CP-001 carries the app\'s control-plane namespace: 15012 from its pods passes, 15010 does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'NET-CP-001');
    expect(admitsExpression(expression, istiod(15010), cm)).toBe(false);
    expect(admitsExpression(expression, istiod(15012), cm)).toBe(true);
  });

  test('NET-DENY-001 knows the app\'s gateways: their own policies pass, an allow-all does not', () => {
    const { objects, cm } = blueprint();
    const expression = expressionOf(objects, 'NET-DENY-001');
    const open = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'open', namespace: 'bookinfo' }, spec: { podSelector: {}, ingress: [{}] } };
    expect(admitsExpression(expression, open, cm)).toBe(false);
    expect(admitsExpression(expression, findObject(objects, 'NetworkPolicy', 'bookinfo-gateway-ingress', 'istio-system'), cm)).toBe(true);
  });
});
