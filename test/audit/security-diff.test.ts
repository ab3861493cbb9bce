import { Chart, Testing } from 'cdk8s';
import { addDays, annotate, excepted, loaded, record, registry } from './registry-fixtures';
import { AccessDecision } from '../../src/audit/access-types';
import { LoadedManifest } from '../../src/audit/manifest-loader';
import { SecurityDiff, securityDiff } from '../../src/audit/security-diff';
import { SecureMeshConfig } from '../../src/config/secure-mesh-config';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { CLOCK_CONTEXT_KEY, PolicyException } from '../../src/policy/policy-exception';
import { RuleObject, RuleSeverity } from '../../src/policy/rule';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { SecureService } from '../../src/workload/secure-service';

const TODAY = '2026-06-01';
const DIGEST = `sha256:${'a'.repeat(64)}`;

// --- a small blueprint, synthesized by the library -------------------------------------------

/** What the sample pull request changes in the blueprint. */
interface BlueprintChange {
  /** Grant productpage -> ratings (GET /ratings/*). */
  readonly grantProductpageToRatings?: boolean;
  /** Drop the grant reviews -> ratings. */
  readonly dropReviewsToRatings?: boolean;
  /** reviews runs an image by tag, under a new PolicyException for IMG-DIGEST-001. */
  readonly reviewsImageException?: boolean;
  /** Methods of the grant productpage -> reviews. @default ['GET'] */
  readonly reviewsMethods?: string[];
}

/**
 * The starter's shape: a mesh baseline, one hardened namespace and three services with two
 * grants (productpage -> reviews, reviews -> ratings), synthesized with the clock pinned to TODAY.
 */
function blueprint(change: BlueprintChange = {}): LoadedManifest[] {
  const app = Testing.app();
  app.node.setContext(CLOCK_CONTEXT_KEY, TODAY);
  const chart = new Chart(app, 'blueprint', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh', { allowedRegistries: ['docker.io/istio'] });
  const bookinfo = new HardenedNamespace(chart, 'bookinfo', { name: 'bookinfo' });
  const imageException = change.reviewsImageException ? new PolicyException(chart, 'reviews-image', {
    rules: ['IMG-DIGEST-001'],
    objects: ['Deployment/bookinfo/reviews'],
    owner: 'team-bookinfo@example.com',
    expires: addDays(TODAY, 60),
    justification: 'The reviews image is only published by tag until the vendor ships digests next quarter.',
  }) : undefined;
  const secureService = (name: string, byTag = false) => new SecureService(chart, name, {
    namespace: bookinfo,
    image: byTag ? `docker.io/istio/${name}:1.20.1` : `docker.io/istio/${name}@${DIGEST}`,
    ports: [{ name: 'http', port: 9080, protocol: AppProtocol.HTTP }],
    ...(byTag ? { imageException } : {}),
  });
  const productpage = secureService('productpage');
  const reviews = secureService('reviews', change.reviewsImageException);
  const ratings = secureService('ratings');
  reviews.allowFrom(productpage, { ports: [9080], methods: change.reviewsMethods ?? ['GET'], paths: ['/reviews/*'] });
  if (!change.dropReviewsToRatings) ratings.allowFrom(reviews, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
  if (change.grantProductpageToRatings) ratings.allowFrom(productpage, { ports: [9080], methods: ['GET'], paths: ['/ratings/*'] });
  return loaded(Testing.synth(chart), 'dist/blueprint.k8s.yaml');
}

/** The parts of a diff that list changes, as `[section, items]` with at least one item. */
function nonEmpty(d: SecurityDiff): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  for (const group of ['edges', 'exceptions', 'findings'] as const) {
    for (const [key, list] of Object.entries(d[group])) if ((list as unknown[]).length > 0) out.push([`${group}.${key}`, list as unknown[]]);
  }
  return out;
}

describe('securityDiff over two syntheses of a blueprint', () => {
  const BASE = blueprint();

  test('THE sample change: one grant added, one removed, one new exception, and nothing else', () => {
    const head = blueprint({ grantProductpageToRatings: true, dropReviewsToRatings: true, reviewsImageException: true });
    const d = securityDiff(BASE, head, { today: TODAY });
    expect(nonEmpty(d).map(([section, items]) => [section, items.length])).toEqual([
      ['edges.added', 1],
      ['edges.removed', 1],
      ['exceptions.added', 1],
    ]);
    expect(d.edges.added).toEqual([{
      from: 'bookinfo/productpage',
      to: 'bookinfo/ratings',
      port: 9080,
      protocol: 'http',
      decision: AccessDecision.ALLOWED,
      allowedBy: ['AuthorizationPolicy/bookinfo/ratings rules[0]'],
      conditions: ['GET /ratings/*'],
      networkIngress: ['NetworkPolicy/bookinfo/ratings-ingress'],
      networkEgress: ['NetworkPolicy/bookinfo/productpage-egress'],
      mtlsMode: 'STRICT',
      plaintextAccepted: false,
    }]);
    expect(d.edges.removed).toEqual([expect.objectContaining({
      from: 'bookinfo/reviews',
      to: 'bookinfo/ratings',
      port: 9080,
      allowedBy: ['AuthorizationPolicy/bookinfo/ratings rules[0]'],
      conditions: ['GET /ratings/*'],
      // What refuses it in HEAD: nothing grants it any more, and the namespace allows nothing else.
      now: expect.objectContaining({ decision: AccessDecision.DENIED, decidedBy: 'AuthorizationPolicy/bookinfo/allow-nothing', layer: 'authorization' }),
    })]);
    expect(d.exceptions.added).toEqual([{
      id: 'blueprint/reviews-image',
      rules: ['IMG-DIGEST-001'],
      objects: ['Deployment/bookinfo/reviews'],
      ports: [],
      owner: 'team-bookinfo@example.com',
      justification: 'The reviews image is only published by tag until the vendor ships digests next quarter.',
      expires: addDays(TODAY, 60),
      daysLeft: 60,
      registries: ['bookinfo/secure-mesh-exceptions'],
      covers: ['IMG-DIGEST-001 Deployment/bookinfo/reviews spec.template.spec.containers[0].image'],
    }]);
    // The finding the exception covers is the exception's, not a new finding.
    expect(d.findings).toEqual({ new: [], fixed: [], excepted: [] });
    expect(d.verdict).toEqual({
      changed: true,
      widensAccess: true,
      narrowsAccess: true,
      widensExceptions: true,
      newFindings: false,
      summary: 'widens access, narrows access, adds or widens exceptions',
    });
    expect(d.counts).toMatchObject({ edgesAdded: 1, edgesRemoved: 1, exceptionsAdded: 1, findingsNew: 0 });
  });

  test('the reverse change: the grant back, the other gone, the exception removed', () => {
    const head = blueprint({ grantProductpageToRatings: true, dropReviewsToRatings: true, reviewsImageException: true });
    const d = securityDiff(head, BASE, { today: TODAY });
    expect(nonEmpty(d).map(([section, items]) => [section, items.length])).toEqual([
      ['edges.added', 1],
      ['edges.removed', 1],
      ['exceptions.removed', 1],
    ]);
    expect(d.edges.added.map((e) => `${e.from}->${e.to}`)).toEqual(['bookinfo/reviews->bookinfo/ratings']);
    expect(d.verdict.widensExceptions).toBe(false);
    expect(d.verdict.summary).toBe('widens access, narrows access, removes exceptions');
  });

  test('no change: the same synthesis twice, and the same objects in another order and file', () => {
    const d = securityDiff(BASE, blueprint(), { today: TODAY });
    expect(nonEmpty(d)).toEqual([]);
    expect(d.verdict).toEqual({
      changed: false, widensAccess: false, narrowsAccess: false, widensExceptions: false, newFindings: false, summary: 'no change to security',
    });
    const moved = loaded([...BASE].reverse().map((m) => m.object), 'elsewhere/other.yaml');
    expect(nonEmpty(securityDiff(BASE, moved, { today: TODAY }))).toEqual([]);
  });

  test('a grant that allows more methods widens its edge: the requests added and removed, the edge kept', () => {
    const d = securityDiff(BASE, blueprint({ reviewsMethods: ['GET', 'POST'] }), { today: TODAY });
    expect(nonEmpty(d).map(([section]) => section)).toEqual(['edges.widened']);
    expect(d.edges.widened).toEqual([expect.objectContaining({
      from: 'bookinfo/productpage',
      to: 'bookinfo/reviews',
      port: 9080,
      requestsAdded: ['GET,POST /reviews/*'],
      requestsRemoved: ['GET /reviews/*'],
      widened: ['requests added: GET,POST /reviews/*'],
      narrowed: ['requests removed: GET /reviews/*'],
      other: [],
    })]);
    expect(d.verdict.widensAccess).toBe(true);
  });

  test('deterministic: the same result however the inputs are ordered', () => {
    const head = blueprint({ grantProductpageToRatings: true, dropReviewsToRatings: true, reviewsImageException: true });
    const a = securityDiff(BASE, head, { today: TODAY });
    const b = securityDiff([...BASE].reverse(), [...head].reverse(), { today: TODAY });
    expect(b).toEqual(a);
  });
});

// --- hand-made manifests ----------------------------------------------------------------------

const NS = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } };

function deployment(name: string, port: number): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: 'app', image: `gcr.io/acme/${name}@${DIGEST}`, ports: [{ containerPort: port }] }] } },
    },
  };
}

function service(name: string, port: number, portName: string): RuleObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { selector: { app: name }, ports: [{ name: portName, port, targetPort: port }] } };
}

function authz(name: string, spec: object): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop' }, spec };
}

function peerAuthn(name: string, mode: string, selector?: string): RuleObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace: 'shop' },
    spec: { ...(selector ? { selector: { matchLabels: { app: selector } } } : {}), mtls: { mode } },
  };
}

const caller = (sa: string) => ({ source: { principals: [`cluster.local/ns/shop/sa/${sa}`] } });

/** web -> api (GET /api/*), api -> db (5432), STRICT mTLS, allow-nothing. */
function shop(apiRules: object[] = [{ from: [caller('web')], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }], extra: RuleObject[] = []): RuleObject[] {
  return [
    NS, deployment('web', 8080), deployment('api', 8080), deployment('db', 5432),
    service('api', 8080, 'http'), service('db', 5432, 'tcp-pg'),
    peerAuthn('default', 'STRICT'),
    authz('allow-nothing', {}),
    authz('api', { selector: { matchLabels: { app: 'api' } }, rules: apiRules }),
    authz('db', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [caller('api')], to: [{ operation: { ports: ['5432'] } }] }] }),
    ...extra,
  ];
}

const NO_BASELINE = { today: TODAY, expectMeshBaseline: false };

describe('securityDiff: access edges', () => {
  test('a rule that admits any request widens the edge ("any request" covers every listed request)', () => {
    const d = securityDiff(loaded(shop()), loaded(shop([{ from: [caller('web')] }])), NO_BASELINE);
    expect(d.edges.widened).toEqual([expect.objectContaining({
      from: 'shop/web', to: 'shop/api', port: 8080, widened: ['any request is allowed (was: GET /api/*)'], narrowed: [],
    })]);
    expect(d.edges.added.map((e) => `${e.from}->${e.to}:${e.port}`)).toEqual([]);
  });

  test('dropping one of two rules narrows the edge: a change, not a widening', () => {
    const two = [
      { from: [caller('web')], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] },
      { from: [caller('web')], to: [{ operation: { methods: ['POST'], paths: ['/api/orders'] } }] },
    ];
    const d = securityDiff(loaded(shop(two)), loaded(shop()), NO_BASELINE);
    expect(d.edges.widened).toEqual([]);
    expect(d.edges.changed).toEqual([expect.objectContaining({ narrowed: ['requests removed: POST /api/orders'], widened: [], requestsAdded: [] })]);
    expect(d.verdict).toMatchObject({ widensAccess: false, narrowsAccess: true, summary: 'narrows access' });
  });

  test('PERMISSIVE mTLS widens every edge into the namespace (plaintext admitted) and is a new finding', () => {
    const head = shop(undefined, []).map((o) => (o.kind === 'PeerAuthentication' ? peerAuthn('default', 'PERMISSIVE') : o));
    const d = securityDiff(loaded(shop()), loaded(head), NO_BASELINE);
    expect(d.edges.widened.map((e) => [`${e.from}->${e.to}:${e.port}`, e.widened])).toEqual([
      ['shop/api->shop/db:5432', ['plaintext callers are admitted (mTLS STRICT -> PERMISSIVE)']],
      ['shop/web->shop/api:8080', ['plaintext callers are admitted (mTLS STRICT -> PERMISSIVE)']],
    ]);
    expect(d.findings.new).toEqual([expect.objectContaining({
      ruleId: 'MESH-MTLS-002', severity: RuleSeverity.ERROR, object: 'PeerAuthentication/shop/default', path: 'spec.mtls.mode',
    })]);
    expect(d.verdict).toMatchObject({ widensAccess: true, newFindings: true });
  });

  test('a removed edge says how HEAD answers: refused by a policy, or its workload is gone', () => {
    const withoutGrant = shop(undefined).map((o) => (o.metadata?.name === 'db' && o.kind === 'AuthorizationPolicy'
      ? authz('db', { selector: { matchLabels: { app: 'db' } }, rules: [] }) : o));
    const refused = securityDiff(loaded(shop()), loaded(withoutGrant), NO_BASELINE);
    expect(refused.edges.removed).toEqual([expect.objectContaining({
      from: 'shop/api',
      to: 'shop/db',
      port: 5432,
      allowedBy: ['AuthorizationPolicy/shop/db rules[0]'],
      now: expect.objectContaining({ decision: AccessDecision.DENIED, layer: 'authorization' }),
    })]);
    const withoutDb = shop().filter((o) => o.metadata?.name !== 'db');
    const gone = securityDiff(loaded(shop()), loaded(withoutDb), NO_BASELINE);
    expect(gone.edges.removed.map((e) => e.now)).toEqual([{ decision: 'absent', decidedBy: '', layer: '', reason: 'the target shop/db is not in HEAD' }]);
  });

  test('declared workloads take part on both sides', () => {
    const gateway = { name: 'istio-ingressgateway', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway' } };
    const fromGateway = { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }] };
    const d = securityDiff(loaded(shop()), loaded(shop([...[{ from: [caller('web')], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }], fromGateway])),
      { ...NO_BASELINE, workloads: [gateway] });
    expect(d.edges.added.map((e) => `${e.from}->${e.to}:${e.port} ${e.conditions.join()}`)).toEqual(['istio-system/istio-ingressgateway->shop/api:8080 any request']);
  });

  test('the mesh settings apply to both sides: principals of another trust domain match nothing', () => {
    const base = loaded(shop());
    const head = loaded(shop([{ from: [{ source: { principals: ['retail.example.com/ns/shop/sa/web'] } }] }]));
    const local = securityDiff(base, head, NO_BASELINE);
    expect(local.edges.removed.map((e) => `${e.from}->${e.to}`)).toEqual(['shop/web->shop/api']);
    const retail = securityDiff(base, head, { ...NO_BASELINE, config: SecureMeshConfig.fromSettings({ trustDomain: 'retail.example.com' }) });
    expect(retail.edges.removed).toEqual([]);
    expect(retail.edges.widened.map((e) => e.widened)).toEqual([['any request is allowed (was: GET /api/*)']]);
  });
});

// --- exceptions and findings ------------------------------------------------------------------

const LENIENT = peerAuthn('lenient', 'PERMISSIVE', 'api');
const BASELINE = [peerAuthn('default', 'STRICT'), authz('allow-nothing', {})];
const EXC = {
  id: 'shop/lenient-api',
  rules: ['MESH-MTLS-002'],
  owner: 'team-shop@example.com',
  justification: 'The legacy scraper cannot speak mTLS; only the monitoring namespace reaches it.',
};

/** The shop with LENIENT under an exception (annotation and registry, as synthesis writes them). */
function withException(props: Partial<typeof EXC> & { expires: string; ports?: number[] }, objects: RuleObject[] = [LENIENT]): RuleObject[] {
  const e = excepted(objects, { ...EXC, ...props });
  return [...BASELINE, ...e.objects, ...e.registries];
}

describe('securityDiff: exceptions', () => {
  test('added: an exception that covers a finding BASE had makes it "now excepted", not fixed', () => {
    const d = securityDiff(loaded([...BASELINE, LENIENT]), loaded(withException({ expires: addDays(TODAY, 30) })), NO_BASELINE);
    expect(d.exceptions.added.map((x) => [x.id, x.rules, x.objects, x.daysLeft, x.covers])).toEqual([
      ['shop/lenient-api', ['MESH-MTLS-002'], ['PeerAuthentication/shop/lenient'], 30, ['MESH-MTLS-002 PeerAuthentication/shop/lenient spec.mtls.mode']],
    ]);
    expect(d.findings.fixed).toEqual([]);
    expect(d.findings.excepted).toEqual([expect.objectContaining({
      ruleId: 'MESH-MTLS-002', object: 'PeerAuthentication/shop/lenient', path: 'spec.mtls.mode', exceptionId: 'shop/lenient-api',
    })]);
    expect(d.verdict.widensExceptions).toBe(true);
  });

  test('removed: the finding it covered is new again, naming the exception it lost', () => {
    const d = securityDiff(loaded(withException({ expires: addDays(TODAY, 30) })), loaded([...BASELINE, LENIENT]), NO_BASELINE);
    expect(d.exceptions.removed.map((x) => x.id)).toEqual(['shop/lenient-api']);
    expect(d.findings.new).toEqual([expect.objectContaining({ ruleId: 'MESH-MTLS-002', object: 'PeerAuthentication/shop/lenient', exceptionId: 'shop/lenient-api' })]);
    expect(d.verdict).toMatchObject({ widensExceptions: false, newFindings: true });
  });

  test('widened: more objects, more ports, a later expiry; each named', () => {
    const other = peerAuthn('other', 'PERMISSIVE', 'db');
    const base = withException({ expires: addDays(TODAY, 30) });
    const head = withException({ expires: addDays(TODAY, 60), ports: [9090] }, [LENIENT, other]);
    const d = securityDiff(loaded(base), loaded(head), NO_BASELINE);
    expect(d.exceptions.added).toEqual([]);
    expect(d.exceptions.widened).toEqual([expect.objectContaining({
      id: 'shop/lenient-api',
      widened: ['objects added: PeerAuthentication/shop/other', 'ports added: 9090', `expires later: ${addDays(TODAY, 30)} -> ${addDays(TODAY, 60)}`],
      narrowed: [],
      other: [],
    })]);
    expect(d.verdict.widensExceptions).toBe(true);
    // The other object was a new violation only HEAD has; its exception covers it.
    expect(d.findings.new).toEqual([]);
  });

  test('changed, not widened: an earlier expiry, another owner', () => {
    const d = securityDiff(loaded(withException({ expires: addDays(TODAY, 60) })),
      loaded(withException({ expires: addDays(TODAY, 30), owner: 'team-platform@example.com' })), NO_BASELINE);
    expect(d.exceptions.widened).toEqual([]);
    expect(d.exceptions.changed).toEqual([expect.objectContaining({
      id: 'shop/lenient-api',
      widened: [],
      narrowed: [`expires earlier: ${addDays(TODAY, 60)} -> ${addDays(TODAY, 30)}`],
      other: ['owner: team-shop@example.com -> team-platform@example.com'],
    })]);
    expect(d.verdict).toMatchObject({ changed: true, widensExceptions: false, summary: 'narrows exceptions' });
  });

  test('expiring: HEAD\'s exceptions within 14 days (or the option\'s), expired ones too; not a change by itself', () => {
    const soon = loaded(withException({ expires: addDays(TODAY, 10) }));
    const d = securityDiff(soon, soon, NO_BASELINE);
    expect(d.verdict.changed).toBe(false);
    expect(d.exceptions.expiring.map((x) => [x.id, x.expires, x.daysLeft])).toEqual([['shop/lenient-api', addDays(TODAY, 10), 10]]);
    expect(d.counts.exceptionsExpiring).toBe(1);
    const later = loaded(withException({ expires: addDays(TODAY, 20) }));
    expect(securityDiff(later, later, NO_BASELINE).exceptions.expiring).toEqual([]);
    expect(securityDiff(later, later, { ...NO_BASELINE, expiringWithinDays: 30 }).exceptions.expiring.map((x) => x.daysLeft)).toEqual([20]);
    const expired = securityDiff(later, later, { ...NO_BASELINE, today: addDays(TODAY, 25) });
    expect(expired.exceptions.expiring.map((x) => x.daysLeft)).toEqual([-5]);
  });

  test('an exception recorded in several namespaces\' registries is one exception', () => {
    const elsewhere: RuleObject = { ...LENIENT, metadata: { name: 'lenient', namespace: 'billing' } };
    const meshWideReason = 'The same legacy scraper reads both namespaces until its replacement ships.';
    const e = excepted([LENIENT, elsewhere], { ...EXC, expires: addDays(TODAY, 30), meshWideReason });
    const d = securityDiff(loaded(BASELINE), loaded([...BASELINE, ...e.objects, ...e.registries]), NO_BASELINE);
    expect(d.exceptions.added.map((x) => [x.id, x.objects, x.registries, x.meshWideReason, x.covers.length])).toEqual([
      ['shop/lenient-api', ['PeerAuthentication/billing/lenient', 'PeerAuthentication/shop/lenient'],
        ['billing/secure-mesh-exceptions', 'shop/secure-mesh-exceptions'], meshWideReason, 2],
    ]);
  });
});

describe('securityDiff: findings', () => {
  test('new and fixed, keyed by rule, object and path, not by file or line', () => {
    const other = peerAuthn('other', 'PERMISSIVE', 'db');
    const d = securityDiff(loaded([...BASELINE, LENIENT]), loaded([other, ...BASELINE], 'moved.yaml'), NO_BASELINE);
    expect(d.findings.new.map((f) => [f.ruleId, f.object, f.path, f.file, f.line])).toEqual([
      ['MESH-MTLS-002', 'PeerAuthentication/shop/other', 'spec.mtls.mode', 'moved.yaml', 1],
    ]);
    expect(d.findings.fixed.map((f) => [f.ruleId, f.object, f.path, f.file, f.line])).toEqual([
      ['MESH-MTLS-002', 'PeerAuthentication/shop/lenient', 'spec.mtls.mode', 'objects.yaml', 21],
    ]);
    expect(d.verdict).toMatchObject({ newFindings: true, summary: 'adds findings, fixes findings' });
  });

  test('a hand-written annotation without registry is no exception: its EXC-UNREGISTERED finding is new', () => {
    const d = securityDiff(loaded([...BASELINE, LENIENT]), loaded([...BASELINE, annotate(LENIENT, `MESH-MTLS-002@${addDays(TODAY, 30)}`)]), NO_BASELINE);
    expect(d.exceptions.added).toEqual([]);
    expect(d.findings.new.map((f) => f.ruleId)).toEqual(['EXC-UNREGISTERED']);
    expect(d.findings.excepted).toEqual([]);
  });

  test('an exception record the audit refuses (longer than allowed) covers nothing and shows as a new registry finding', () => {
    const head = [...BASELINE, annotate(LENIENT, `MESH-MTLS-002@${addDays(TODAY, 200)}`),
      registry('shop', [record({ ...EXC, expires: addDays(TODAY, 200), objects: [LENIENT] })])];
    const d = securityDiff(loaded([...BASELINE, LENIENT]), loaded(head), NO_BASELINE);
    expect(d.exceptions.added.map((x) => x.id)).toEqual(['shop/lenient-api']);
    expect(d.findings.new.map((f) => f.ruleId)).toEqual(['EXC-REGISTRY']);
    expect(d.findings.excepted).toEqual([]);
  });
});

describe('securityDiff: options', () => {
  test('today must be a date and the expiring window a whole number of days', () => {
    expect(() => securityDiff([], [], { today: '2026-02-30' })).toThrow(/today must be YYYY-MM-DD/);
    expect(() => securityDiff([], [], { today: TODAY, expiringWithinDays: -1 })).toThrow(/expiringWithinDays must be a whole number/);
  });

  test('today defaults to the system clock (UTC)', () => {
    expect(securityDiff([], [], {}).today).toBe(new Date().toISOString().slice(0, 10));
  });
});
