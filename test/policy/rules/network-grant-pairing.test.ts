import { Chart, Cron, Testing } from 'cdk8s';
import { NS_LABEL, libraryApps, namespace, netpol, tcp } from './network-fixtures';
import { auditManifests } from '../../../src/audit/audit';
import { LoadedManifest } from '../../../src/audit/manifest-loader';
import { AmbientEgressGateway } from '../../../src/mesh/ambient-egress-gateway';
import { AppProtocol } from '../../../src/mesh/app-protocol';
import { DataPlane } from '../../../src/mesh/data-plane';
import { ExternalHost } from '../../../src/mesh/external-host';
import { MeshBaseline } from '../../../src/mesh/mesh-baseline';
import { Principal } from '../../../src/mesh/principal';
import { RuleObject, RuleSeverity } from '../../../src/policy/rule';
import { ruleContext } from '../../../src/policy/rule-test-kit';
import { NET_GRANT_001 as RULE } from '../../../src/policy/rules/network-grant-pairing';
import { HardenedNamespace } from '../../../src/workload/hardened-namespace';
import { SecureCronJob } from '../../../src/workload/secure-cron-job';
import { SecureJob } from '../../../src/workload/secure-job';
import { SecureService } from '../../../src/workload/secure-service';
import { SecureStatefulSet } from '../../../src/workload/secure-stateful-set';
import { synthValidated } from '../../helpers';

// ---- Fixtures: shop/web (Deployment, SA web) calls payments/ledger (Deployment, SA ledger) on 8080 -----------------------

const WEB = 'cluster.local/ns/shop/sa/web';
const SIDECAR = { 'istio-injection': 'enabled' };
const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };
const WAYPOINT_PODS = { 'gateway.networking.k8s.io/gateway-name': 'waypoint' };

type Labels = { [key: string]: string };
function deployment(name: string, ns: string, labels: Labels = { app: name }, serviceAccountName: string | null = name): RuleObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: 'app' }] } } },
  };
}
function authz(name: string, spec: object, ns = 'payments'): RuleObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: ns }, spec };
}
const pods = (ns: string, labels: object) => ({ namespaceSelector: { matchLabels: { [NS_LABEL]: ns } }, podSelector: { matchLabels: labels } });
/** An ALLOW for ledger's pods (`selector` null: a namespace-wide policy). */
const grant = (principals: string[], ports: string[] = ['8080'], selector: object | null = { matchLabels: { app: 'ledger' } }) => authz('ledger', {
  ...(selector ? { selector } : {}), action: 'ALLOW', rules: [{ from: [{ source: { principals } }], to: [{ operation: { ports } }] }],
});
const egressTo = (rules: object[], name = 'web-egress', selector: object = { matchLabels: { app: 'web' } }, ns = 'shop') =>
  netpol(name, { podSelector: selector, policyTypes: ['Egress'], egress: rules }, ns);
const DENY = netpol('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'shop');
const DNS = netpol('allow-dns', {
  podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [pods('kube-system', { 'k8s-app': 'kube-dns' })], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
}, 'shop');
const ISTIOD = netpol('allow-istiod', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [pods('istio-system', { app: 'istiod' })], ports: tcp(15012) }] }, 'shop');
const WEB_POD = deployment('web', 'shop');
const LEDGER_POD = deployment('ledger', 'payments');
const LEDGER_GRANT = grant([WEB]);
const WEB_EGRESS = egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(8080) }]);
const BASE = [namespace('shop', SIDECAR), namespace('payments', SIDECAR), DENY, DNS, ISTIOD, WEB_POD, LEDGER_POD];
const BOTH = [...BASE, LEDGER_GRANT, WEB_EGRESS];

/** Ambient: payments' ledger Service goes through the payments waypoint; its waypoint policy admits web. */
const WAYPOINT_GATEWAY: RuleObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'payments', labels: { 'istio.io/waypoint-for': 'service' } },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
};
const LEDGER_SERVICE: RuleObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'ledger', namespace: 'payments', labels: { 'istio.io/use-waypoint': 'waypoint' } },
  spec: { selector: { app: 'ledger' }, ports: [{ name: 'http', port: 8080 }] },
};
const WAYPOINT_GRANT = (principals: string[]) => authz('ledger-waypoint', {
  targetRefs: [{ group: '', kind: 'Service', name: 'ledger' }],
  action: 'ALLOW',
  rules: [{ from: [{ source: { principals } }], to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }],
});
const WAYPOINTED = [namespace('shop', AMBIENT), namespace('payments', AMBIENT), DENY, DNS, WEB_POD, LEDGER_POD, WAYPOINT_GATEWAY, LEDGER_SERVICE,
  grant(['cluster.local/ns/payments/sa/waypoint'])];

function run(objects: RuleObject[]) {
  return RULE.checkAll!(ruleContext(objects)).map((f) => ({ object: `${f.object?.kind}/${f.object?.metadata?.name}`, path: f.violation.path, port: f.violation.port }));
}
const without = (objects: RuleObject[], ...drop: RuleObject[]) => objects.filter((o) => !drop.includes(o));
const KIND1 = { object: 'AuthorizationPolicy/ledger', path: 'spec.rules[0].from[0].source.principals[0]', port: 8080 };
const KIND2 = { object: 'NetworkPolicy/web-egress', path: 'spec.egress[0]', port: 8080 };

describe('NET-GRANT-001', () => {
  test('metadata: AUTHZ-4 and NETPOL-1, an error of rule set 2, checkAll only, no admission form', () => {
    expect(RULE.id).toBe('NET-GRANT-001');
    expect(RULE.practices).toEqual(['AUTHZ-4', 'NETPOL-1']);
    expect(RULE.severity).toBe(RuleSeverity.ERROR);
    expect(RULE.since).toBe('2');
    expect(RULE.kinds).toEqual([]);
    expect(RULE.admission).toBeUndefined();
    expect(RULE.admissionFor).toBeUndefined();
    for (const o of BOTH) expect(RULE.check(o, ruleContext(BOTH))).toEqual([]);
  });

  const GOOD: [string, RuleObject[]][] = [
    ['both sides: ALLOW for web on 8080, web\'s egress to ledger on 8080', BOTH],
    ['egress by a port range, by a port-less rule, by a peer-less rule', [...BASE, LEDGER_GRANT,
      egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: [{ protocol: 'TCP', port: 8000, endPort: 9000 }] }])]],
    ['egress without ports (every port) and with `to` absent', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'ledger' })] }]), egressTo([{ ports: tcp(8080) }], 'open')]],
    ['a namespace-wide egress policy of the caller counts', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(8080) }], 'all', {})]],
    ['several targets of the ALLOW selector: the caller\'s side exists when one of them is opened',
      [...BOTH, deployment('ledger-v2', 'payments', { app: 'ledger', version: 'v2' }, 'ledger')]],
    ['target side only, but the caller\'s namespace is not isolated for egress', without([...BASE, LEDGER_GRANT], DENY)],
    ['target side only, but default deny selects other pods', [...without([...BASE, LEDGER_GRANT], DENY), netpol('deny', { podSelector: { matchLabels: { app: 'x' } }, policyTypes: ['Egress'] }, 'shop')]],
    ['target side only, but the default deny governs ingress only', [...without([...BASE, LEDGER_GRANT], DENY), netpol('deny', { podSelector: {}, policyTypes: ['Ingress'] }, 'shop')]],
    ['target side only, but the caller is not in the set (an imported service, a bare Principal)', without([...BASE, LEDGER_GRANT], WEB_POD)],
    ['target side only, but the caller runs as another ServiceAccount', [...without([...BASE, LEDGER_GRANT], WEB_POD), deployment('web', 'shop', { app: 'web' }, 'frontend')]],
    ['target side only, but the target is not in the set', without([...BASE, LEDGER_GRANT], LEDGER_POD)],
    ['target side only, but the principal is a wildcard', [...BASE, grant(['cluster.local/ns/shop/sa/*'])]],
    ['target side only, but the ALLOW is namespace-wide (no selector, or an empty one)', [...BASE, grant([WEB], ['8080'], null), { ...grant([WEB], ['8080'], {}), metadata: { name: 'all', namespace: 'payments' } }]],
    ['target side only, but the rule names every port of a sidecar target (no L4 port to judge)', [...BASE, authz('ledger', {
      selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { principals: [WEB] } }] }],
    })]],
    ['caller\'s side unknown: an ipBlock peer', [...BASE, LEDGER_GRANT, egressTo([{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: tcp(8080) }])]],
    ['caller\'s side unknown: a named port', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: [{ protocol: 'TCP', port: 'http' }] }])]],
    ['caller side only, but the target is not in the set', without(BOTH, LEDGER_POD, LEDGER_GRANT)],
    ['caller side only, but to a whole namespace (no podSelector), an ipBlock, DNS or istiod', [...BASE,
      egressTo([{ to: [{ namespaceSelector: { matchLabels: { [NS_LABEL]: 'payments' } } }], ports: tcp(8080) }, { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: tcp(8080) }])]],
    ['caller side only, but to namespaces chosen by other labels', [...BASE,
      egressTo([{ to: [{ namespaceSelector: { matchLabels: { team: 'payments' } }, podSelector: { matchLabels: { app: 'ledger' } } }], ports: tcp(8080) }])]],
    ['caller side only, but the rule lists no ports', [...BASE, egressTo([{ to: [pods('payments', { app: 'ledger' })] }])]],
    ['the ALLOW admits the caller on every port (no `to`)', [...BASE, WEB_EGRESS, authz('ledger', { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { principals: [WEB] } }] }] })]],
    ['the ALLOW admits the caller\'s namespace', [...BASE, WEB_EGRESS, authz('ledger', { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { ports: ['8080'] } }] }] })]],
    ['the ALLOW admits a principal prefix, or everyone', [...BASE, WEB_EGRESS, authz('ledger', { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/*'] } }] }] }),
      egressTo([{ to: [pods('payments', { app: 'other' })], ports: tcp(9090) }], 'other-egress'), deployment('other', 'payments'), authz('other', { selector: { matchLabels: { app: 'other' } }, rules: [{}] })]],
    ['another trust domain on the target\'s side', [...BASE, WEB_EGRESS, grant(['example.org/ns/shop/sa/web'])]],
    ['the ALLOW is namespace-wide', [...BASE, WEB_EGRESS, grant([WEB], ['8080'], null)]],
    ['ambient target: ztunnel policy on the app port, caller\'s egress on HBONE 15008', [namespace('shop', SIDECAR), namespace('payments', AMBIENT), DENY, WEB_POD, LEDGER_POD, LEDGER_GRANT,
      egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(15008) }])]],
    ['ambient caller to a sidecar target: HBONE 15008', [namespace('shop', AMBIENT), namespace('payments', SIDECAR), DENY, WEB_POD, LEDGER_POD, LEDGER_GRANT,
      egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(15008) }])]],
    ['through the waypoint: the waypoint policy admits web, web\'s egress opens the waypoint\'s pods on 15008', [...WAYPOINTED, WAYPOINT_GRANT([WEB]),
      egressTo([{ to: [pods('payments', WAYPOINT_PODS)], ports: tcp(15008) }])]],
    ['through the waypoint, waypoint principal only on the pods: no caller of the set', WAYPOINTED],
    ['a CronJob, a Job, a StatefulSet, a DaemonSet and a Pod as callers, with their egress', [...BASE, grant(['cluster.local/ns/shop/sa/report', 'cluster.local/ns/shop/sa/sync',
      'cluster.local/ns/shop/sa/db', 'cluster.local/ns/shop/sa/agent', 'cluster.local/ns/shop/sa/default']),
    { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'report' } }, spec: { serviceAccountName: 'report', containers: [] } } } } } },
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'sync', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'sync' } }, spec: { serviceAccountName: 'sync', containers: [] } } } },
    { ...deployment('db', 'shop'), apiVersion: 'apps/v1', kind: 'StatefulSet' },
    { ...deployment('agent', 'shop'), kind: 'DaemonSet' },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'shop', labels: { app: 'debug' } }, spec: { containers: [] } },
    egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(8080) }], 'to-ledger', { matchExpressions: [{ key: 'app', operator: 'In', values: ['report', 'sync', 'db', 'agent', 'debug'] }] })]],
  ];
  test.each(GOOD)('GOOD: %s', (_name, objects) => {
    expect(run(objects)).toEqual([]);
  });

  const BAD: [string, RuleObject[], { object: string; path: string; port: number }[]][] = [
    ['target side only: ledger grants web, web\'s egress does not open ledger', [...BASE, LEDGER_GRANT], [KIND1]],
    ['target side only: web\'s egress opens another port (and that port has no grant: the caller side of it is alone too)',
      [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(9090) }])], [KIND1, { ...KIND2, port: 9090 }]],
    ['target side only: web\'s egress opens other pods of payments, not in the set', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'other' })], ports: tcp(8080) }])], [KIND1]],
    ['target side only: web\'s egress opens ledger in another namespace', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('billing', { app: 'ledger' })], ports: tcp(8080) }])], [KIND1]],
    ['target side only: the egress rule selects other pods of shop', [...BASE, LEDGER_GRANT,
      egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(8080) }], 'api-egress', { matchLabels: { app: 'api' } })], [KIND1]],
    ['target side only: egress by UDP', [...BASE, LEDGER_GRANT, egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: [{ protocol: 'UDP', port: 8080 }] }])], [KIND1]],
    ['target side only, the second principal of the second rule', [...BASE, authz('ledger', {
      selector: { matchLabels: { app: 'ledger' } },
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/ops/sa/debug'] } }], to: [{ operation: { ports: ['8080'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/shop/sa/api', WEB] } }], to: [{ operation: { ports: ['8080', '9090'] } }] },
      ],
    }), WEB_EGRESS], [{ object: 'AuthorizationPolicy/ledger', path: 'spec.rules[1].from[0].source.principals[1]', port: 9090 }]],
    ['caller side only: web opens ledger, nothing grants web', [...BASE, WEB_EGRESS], [KIND2]],
    ['caller side only: ledger grants another principal', [...BASE, grant(['cluster.local/ns/shop/sa/api']), WEB_EGRESS], [KIND2]],
    ['caller side only: ledger grants web another port (which web\'s egress does not open: both halves alone)', [...BASE, grant([WEB], ['9090']), WEB_EGRESS],
      [{ ...KIND1, port: 9090 }, KIND2]],
    ['caller side only: a DENY policy is no grant', [...BASE, authz('ledger', { ...LEDGER_GRANT.spec, action: 'DENY' }), WEB_EGRESS], [KIND2]],
    ['caller side only: notPrincipals excludes web', [...BASE, authz('ledger', {
      selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { notPrincipals: [WEB] } }] }],
    }), WEB_EGRESS], [KIND2]],
    ['caller side only: the second peer and port of the rule', [...BASE, deployment('audit', 'payments'), authz('audit', {
      selector: { matchLabels: { app: 'audit' } }, rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { ports: ['8080'] } }] }],
    }), egressTo([{ ports: tcp(8080, 9443), to: [pods('payments', { app: 'audit' }), { podSelector: { matchLabels: { app: 'cache' } } }] }]), deployment('cache', 'shop')],
    [{ object: 'NetworkPolicy/web-egress', path: 'spec.egress[0]', port: 9443 }, { object: 'NetworkPolicy/web-egress', path: 'spec.egress[0]', port: 8080 }]],
    ['ambient target: the caller opens the app port, not HBONE 15008', [namespace('shop', SIDECAR), namespace('payments', AMBIENT), DENY, WEB_POD, LEDGER_POD, LEDGER_GRANT, WEB_EGRESS],
      [{ ...KIND1, port: 15008 }]],
    ['through the waypoint: the caller opens ledger\'s pods, not the waypoint\'s', [...WAYPOINTED, WAYPOINT_GRANT([WEB]), egressTo([{ to: [pods('payments', { app: 'ledger' })], ports: tcp(15008) }])],
      [{ object: 'AuthorizationPolicy/ledger-waypoint', path: 'spec.rules[0].from[0].source.principals[0]', port: 15008 }]],
    ['through the waypoint: target side only', [...WAYPOINTED, WAYPOINT_GRANT([WEB])],
      [{ object: 'AuthorizationPolicy/ledger-waypoint', path: 'spec.rules[0].from[0].source.principals[0]', port: 15008 }]],
    ['through the waypoint: caller side only (the waypoint admits another principal)', [...WAYPOINTED, WAYPOINT_GRANT(['cluster.local/ns/shop/sa/api']),
      egressTo([{ to: [pods('payments', WAYPOINT_PODS)], ports: tcp(15008) }])], [{ ...KIND2, port: 15008 }]],
    ['a CronJob caller without its egress', [...BASE, grant(['cluster.local/ns/shop/sa/report']),
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { app: 'report' } }, spec: { serviceAccountName: 'report', containers: [] } } } } } }],
    [KIND1]],
    ['the default ServiceAccount: a workload without serviceAccountName', [...without(BASE, WEB_POD), deployment('web', 'shop', { app: 'web' }, null), grant(['cluster.local/ns/shop/sa/default'])], [KIND1]],
  ];
  test.each(BAD)('BAD: %s', (_name, objects, expected) => {
    expect(run(objects)).toEqual(expected);
  });

  test('messages say which side declared the grant', () => {
    const [targetOnly] = RULE.checkAll!(ruleContext([...BASE, LEDGER_GRANT]));
    expect(targetOnly.object).toBe(LEDGER_GRANT);
    expect(targetOnly.violation.message).toBe('cluster.local/ns/shop/sa/web is granted port 8080 of app=ledger (Deployment/payments/ledger) by the target\'s side, '
      + 'namespace "payments", but the caller\'s egress NetworkPolicy does not open it: no egress rule selecting Deployment/shop/web admits those pods (TCP 8080): '
      + 'the grant is declared on the target\'s side only');
    const [callerOnly] = RULE.checkAll!(ruleContext([...BASE, WEB_EGRESS]));
    expect(callerOnly.object).toBe(WEB_EGRESS);
    expect(callerOnly.violation.message).toBe('egress rule 0 opens app=ledger in "payments" (Deployment/payments/ledger) on TCP 8080 to Deployment/shop/web '
      + '(ServiceAccount "shop/web"), but no ALLOW AuthorizationPolicy of those pods (or of their Service) admits its principal on port 8080: '
      + 'the grant is declared on the caller\'s side only');
    const [hbone] = RULE.checkAll!(ruleContext([namespace('shop', SIDECAR), namespace('payments', AMBIENT), DENY, WEB_POD, LEDGER_POD, LEDGER_GRANT]));
    expect(hbone.violation.message).toContain('admits those pods (HBONE on TCP 15008)');
    const [waypoint] = RULE.checkAll!(ruleContext([...WAYPOINTED, WAYPOINT_GRANT([WEB])]));
    expect(waypoint.violation.message).toBe('cluster.local/ns/shop/sa/web is granted Service "payments/ledger" (spec.targetRefs[0]), which goes through waypoint '
      + '"payments/waypoint", by the target\'s side, namespace "payments", but the caller\'s egress NetworkPolicy does not open it: no egress rule selecting '
      + 'Deployment/shop/web admits the waypoint\'s pods (gateway.networking.k8s.io/gateway-name=waypoint in "payments") on TCP 15008: '
      + 'the grant is declared on the target\'s side only');
  });

  test('one finding per (principal, L4 port) and per (egress rule, port), however many times it repeats', () => {
    const twice = authz('ledger', {
      selector: { matchLabels: { app: 'ledger' } },
      rules: [{ from: [{ source: { principals: [WEB] } }], to: [{ operation: { ports: ['8080', '8080'] } }, { operation: { ports: ['8080'] } }] }],
    });
    expect(run([...BASE, twice, deployment('web-v2', 'shop', { app: 'web', version: 'v2' }, 'web')])).toEqual([KIND1]);
    const repeated = egressTo([{ to: [pods('payments', { app: 'ledger' }), pods('payments', { app: 'ledger' })], ports: tcp(8080, 8080) }]);
    expect(run([...BASE, repeated, deployment('web-v2', 'shop', { app: 'web', version: 'v2' }, 'web')])).toEqual([KIND2]);
    // In ambient every app port of the grant is one HBONE hop.
    const ports = grant([WEB], ['8080', '9090']);
    expect(run([namespace('shop', AMBIENT), namespace('payments', AMBIENT), DENY, WEB_POD, LEDGER_POD, ports])).toEqual([{ ...KIND1, port: 15008 }]);
  });

  test('odd shapes do not throw', () => {
    const odd: RuleObject[] = [
      authz('a', null as any), authz('b', { selector: 'x', rules: 'x' }), authz('c', { selector: { matchLabels: { app: 'ledger' } }, rules: [null, 'x', { from: 'x', to: 5 }] }),
      authz('d', { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [null, { source: 'x' }, { source: { principals: 'x', notPrincipals: 5, namespaces: [5] } }], to: [null, { operation: { ports: 'x', notPorts: 5 } }] }] }),
      authz('e', { targetRefs: 'x', rules: [{ from: [{ source: { principals: [WEB] } }] }] }), authz('f', { targetRefs: [null, { kind: 'Service', name: 5 }, { kind: 'Service', name: 'ledger' }] }),
      netpol('g', null as any), netpol('h', { podSelector: 'x', policyTypes: 'Egress', egress: 'x' }, 'shop'), netpol('i', { podSelector: {}, policyTypes: ['Egress'], egress: [null, 'x', { to: 'x', ports: 'x' }, { to: [null, 'x', { podSelector: 'x' }, { namespaceSelector: 'x', podSelector: { matchLabels: { app: 'ledger' } } }], ports: [null, { port: 'x' }, { port: {} }] }] }, 'shop'),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'shop' }, spec: { template: null } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'y', namespace: 'shop' }, spec: { template: { metadata: 'x', spec: { serviceAccountName: 5, containers: [] } } } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: null as any, spec: { template: { spec: { containers: [] } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ledger', namespace: 'payments', labels: 'x' as any }, spec: { selector: 'x' } },
      { kind: 'Namespace' }, {} as RuleObject,
    ];
    expect(() => RULE.checkAll!(ruleContext([...BOTH, ...odd]))).not.toThrow();
    expect(() => RULE.checkAll!(ruleContext([...WAYPOINTED, ...odd]))).not.toThrow();
    expect(() => RULE.checkAll!(ruleContext(odd))).not.toThrow();
  });
});

// ---- What the library writes -------------------------------------------------------------------------------------------

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;
const HTTP = [{ name: 'http', port: 8080, protocol: AppProtocol.HTTP }];
const TCP = [{ name: 'tcp', port: 5432, protocol: AppProtocol.TCP }];

function findingsOf(objects: RuleObject[]): string[] {
  return RULE.checkAll!(ruleContext(objects)).map((f) => `${f.object?.kind}/${f.object?.metadata?.namespace}/${f.object?.metadata?.name} ${f.violation.path}: ${f.violation.message}`);
}

describe('NET-GRANT-001 over what the library synthesizes', () => {
  const apps = libraryApps();
  test.each(apps.map((a) => [a.name, a] as const))('%s', (_name, app) => {
    expect(RULE.checkAll!(app.ctx)).toEqual([]);
  });

  test('their grants are judged: without the callers\' egress policies, or without the ALLOW policies, each one is reported once', () => {
    for (const app of apps.filter((a) => /full app|blueprint/.test(a.name))) {
      const noEgress = app.objects.filter((o) => !(o.kind === 'NetworkPolicy' && /-egress$/.test(String(o.metadata?.name))));
      const noAllow = app.objects.filter((o) => o.kind !== 'AuthorizationPolicy');
      const targetOnly = RULE.checkAll!(ruleContext(noEgress));
      const callerOnly = RULE.checkAll!(ruleContext(noAllow));
      expect(targetOnly.length).toBeGreaterThan(0);
      expect(targetOnly.every((f) => f.object?.kind === 'AuthorizationPolicy')).toBe(true);
      expect(callerOnly.every((f) => f.object?.kind === 'NetworkPolicy')).toBe(true);
      expect(callerOnly).toHaveLength(targetOnly.length);
    }
  });

  test('sidecar: grants across namespaces, imported services both ways, a bare Principal, a Job, a CronJob and a StatefulSet', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', {});
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop' });
    const payments = new HardenedNamespace(chart, 'payments', { name: 'payments' });
    const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports: HTTP });
    const api = new SecureService(chart, 'api', { namespace: shop, image: IMAGE, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }] });
    const ledger = new SecureService(chart, 'ledger', { namespace: payments, image: IMAGE, ports: HTTP });
    const db = new SecureStatefulSet(chart, 'db', { namespace: payments, image: IMAGE, ports: TCP });
    const job = new SecureJob(chart, 'sync', { namespace: shop, image: IMAGE });
    const cron = new SecureCronJob(chart, 'report', { namespace: shop, image: IMAGE, schedule: Cron.daily() });
    api.allowFrom(web, { methods: ['GET'] });
    ledger.allowFrom(web);
    ledger.allowFrom(api, { paths: ['/balance'] });
    ledger.allowFrom(job);
    ledger.allowFrom(cron);
    db.allowFrom(ledger);
    ledger.allowFrom(Principal.serviceAccount('batch', 'nightly'));
    // Imported: a target in another repo (caller's side here), and a caller from another repo (target's side here).
    SecureService.fromAttributes(chart, 'fx', { namespace: 'fx', name: 'rates', ports: HTTP }).allowFrom(ledger);
    api.allowFrom(SecureService.fromAttributes(chart, 'partner', { namespace: 'partner', name: 'portal', ports: HTTP }));
    const objects = synthValidated(chart) as RuleObject[];
    expect(findingsOf(objects)).toEqual([]);
    // The rule judged these grants: dropping web's egress policy makes both of its grants one-sided.
    expect(findingsOf(objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata?.name === 'web-egress'))).map((f) => f.split(':')[0])).toEqual([
      'AuthorizationPolicy/shop/api spec.rules[1].from[0].source.principals[0]',
      'AuthorizationPolicy/payments/ledger spec.rules[4].from[0].source.principals[0]',
    ]);
  });

  test('ambient: L4 grants at ztunnel, an L7 grant through the waypoint, an ambient caller of a sidecar service, imported waypoint services, an egress waypoint', () => {
    const chart = Testing.chart();
    new MeshBaseline(chart, 'mesh', { ambient: true });
    const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.AMBIENT });
    const payments = new HardenedNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.AMBIENT });
    const legacy = new HardenedNamespace(chart, 'legacy', { name: 'legacy' });
    const egressNs = new HardenedNamespace(chart, 'egress-ns', { name: 'istio-egress', dataPlane: DataPlane.AMBIENT });
    const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports: HTTP });
    const api = new SecureService(chart, 'api', { namespace: shop, image: IMAGE, ports: HTTP });
    const db = new SecureService(chart, 'db', { namespace: payments, image: IMAGE, ports: TCP });
    const ledger = new SecureService(chart, 'ledger', { namespace: payments, image: IMAGE, ports: HTTP });
    const old = new SecureService(chart, 'old', { namespace: legacy, image: IMAGE, ports: HTTP });
    const job = new SecureJob(chart, 'sync', { namespace: shop, image: IMAGE });
    db.allowFrom(api);
    ledger.allowFrom(web, { paths: ['/api/*'], methods: ['GET'] });
    ledger.allowFrom(job);
    old.allowFrom(web);
    web.allowFrom(old);
    SecureService.fromAttributes(chart, 'remote', { namespace: 'fx', name: 'rates', ports: HTTP, dataPlane: DataPlane.AMBIENT, usesWaypoint: true }).allowFrom(api);
    ledger.allowFrom(SecureService.fromAttributes(chart, 'partner', { namespace: 'partner', name: 'portal', ports: HTTP, dataPlane: DataPlane.AMBIENT }));
    new AmbientEgressGateway(chart, 'egress', { namespace: egressNs }).allowExternal(ExternalHost.https('api.example.com'), { from: [web, job] });
    const objects = synthValidated(chart) as RuleObject[];
    expect(objects.some((o) => o.kind === 'AuthorizationPolicy' && o.metadata?.name === 'ledger-waypoint')).toBe(true);
    expect(findingsOf(objects)).toEqual([]);
    // Judged: without the job's egress policy its waypoint grant is one-sided (the egress waypoint's is a ServiceEntry's, not judged).
    expect(findingsOf(objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata?.name === 'sync-egress'))).map((f) => f.split(':')[0])).toEqual([
      'AuthorizationPolicy/payments/ledger-waypoint spec.rules[1].from[0].source.principals[0]',
    ]);
  });
});

// ---- Two repositories --------------------------------------------------------------------------------------------------

const PLATFORM = MeshBaseline.fromAttributes({});

/** Repo B: namespace payments, service ledger; grants shop/web unless `grant` is false. */
function repoB(grants = true): Chart {
  const chart = new Chart(Testing.app(), 'repo-b');
  const payments = new HardenedNamespace(chart, 'payments', { name: 'payments', mesh: PLATFORM });
  const ledger = new SecureService(chart, 'ledger', { namespace: payments, image: IMAGE, ports: HTTP });
  if (grants) ledger.allowFrom(SecureService.fromAttributes(chart, 'web', { namespace: 'shop', name: 'web', ports: HTTP }));
  return chart;
}

/** Repo A: namespace shop, service web; opens its side to payments/ledger unless `call` is false. */
function repoA(call = true): Chart {
  const chart = new Chart(Testing.app(), 'repo-a');
  const shop = new HardenedNamespace(chart, 'shop', { name: 'shop', mesh: PLATFORM });
  const web = new SecureService(chart, 'web', { namespace: shop, image: IMAGE, ports: HTTP });
  const ledger = SecureService.fromAttributes(chart, 'ledger', { namespace: 'payments', name: 'ledger', ports: HTTP });
  if (call) ledger.allowFrom(web);
  return chart;
}

const synth = (chart: Chart) => synthValidated(chart) as RuleObject[];

describe('NET-GRANT-001 over two repositories\' outputs together', () => {
  test('each repository alone: nothing to judge; together, both sides: nothing', () => {
    const a = synth(repoA());
    const b = synth(repoB());
    expect(findingsOf(a)).toEqual([]);
    expect(findingsOf(b)).toEqual([]);
    expect(findingsOf([...a, ...b])).toEqual([]);
  });

  test('repo A forgets its side (no allowFrom on the imported ledger): one finding, on B\'s grant', () => {
    const a = synth(repoA(false));
    expect(findingsOf(a)).toEqual([]);
    const found = RULE.checkAll!(ruleContext([...a, ...synth(repoB())]));
    expect(found.map((f) => [f.object?.kind, f.object?.metadata?.namespace, f.object?.metadata?.name, f.violation.path, f.violation.port])).toEqual([
      ['AuthorizationPolicy', 'payments', 'ledger', 'spec.rules[0].from[0].source.principals[0]', 8080],
    ]);
    expect(found[0].violation.message).toMatch(/the grant is declared on the target's side only$/);
  });

  test('repo B never grants: one finding, on A\'s egress rule', () => {
    const b = synth(repoB(false));
    expect(findingsOf(b)).toEqual([]);
    const found = RULE.checkAll!(ruleContext([...synth(repoA()), ...b]));
    expect(found.map((f) => [f.object?.kind, f.object?.metadata?.namespace, f.object?.metadata?.name, f.violation.path, f.violation.port])).toEqual([
      ['NetworkPolicy', 'shop', 'web-egress', 'spec.egress[0]', 8080],
    ]);
    expect(found[0].violation.message).toMatch(/the grant is declared on the caller's side only$/);
  });
});

/** The objects as the audit reads them from files. */
function manifests(file: string, objects: RuleObject[]): LoadedManifest[] {
  return objects.map((object, i) => ({ object, file, line: i + 1, documentIndex: i }));
}

// Runs only once NET-GRANT-001 is registered: auditManifests uses the registered rule pack (ALL_RULES).
describe('in synthesis and audit', () => {
  const grantFindings = (a: RuleObject[], b: RuleObject[]) => auditManifests([...manifests('repo-a.yaml', a), ...manifests('repo-b.yaml', b)], { validateManifests: false })
    .findings.filter((f) => f.ruleId === 'NET-GRANT-001').map((f) => [f.object, f.path, f.severity]);

  test('the audit of the two outputs together reports a grant declared on one side only', () => {
    expect(grantFindings(synth(repoA()), synth(repoB()))).toEqual([]);
    expect(grantFindings(synth(repoA(false)), synth(repoB()))).toEqual([
      ['AuthorizationPolicy/payments/ledger', 'spec.rules[0].from[0].source.principals[0]', RuleSeverity.ERROR],
    ]);
    expect(grantFindings(synth(repoA()), synth(repoB(false)))).toEqual([
      ['NetworkPolicy/shop/web-egress', 'spec.egress[0]', RuleSeverity.ERROR],
    ]);
  });
});
