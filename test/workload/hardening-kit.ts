import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { AccessMatrix } from '../../src/audit/access-matrix';
import { auditManifests } from '../../src/audit/audit';
import { AppProtocol } from '../../src/mesh/app-protocol';
import { MeshBaseline } from '../../src/mesh/mesh-baseline';
import { HardenedNamespace } from '../../src/workload/hardened-namespace';
import { MeshWorkload } from '../../src/workload/mesh-workload';
import { SecureService } from '../../src/workload/secure-service';
import { MeshWorkloadProps } from '../../src/workload/workload-props';
import { findObject, synthValidated } from '../helpers';

export const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

/** A workload kind under test: how to make one, where its pod spec is, and whether it serves. */
export interface KindUnderTest {
  /** The Kubernetes kind that runs the pods. */
  readonly kind: 'Deployment' | 'StatefulSet' | 'Job' | 'CronJob';
  /** JSON pointer of the pod spec inside the runner. */
  readonly podSpecPointer: string;
  /** Whether it serves (and so can be granted). */
  readonly serves: boolean;
  /** Makes a workload of this kind; a serving kind serves HTTP on 8080. */
  make(chart: Chart, ns: HardenedNamespace, id: string, props?: Partial<MeshWorkloadProps>): MeshWorkload;
  /** The object that runs the pods, as an ApiObject (for JSON patches). */
  runner(w: MeshWorkload): ApiObject;
}

export const SERVED_PORT = 8080;
export const HTTP = [{ name: 'http', port: SERVED_PORT, protocol: AppProtocol.HTTP }];

function world(kind: KindUnderTest) {
  const chart = Testing.chart();
  new MeshBaseline(chart, 'mesh', {});
  const ns = new HardenedNamespace(chart, 'shop', { name: 'shop' });
  const web = new SecureService(chart, 'web', { namespace: ns, image: IMAGE, ports: HTTP });
  const w = kind.make(chart, ns, 'subject');
  return { chart, ns, web, w };
}

const pointerGet = (o: any, pointer: string) => pointer.split('/').slice(1).reduce((x, k) => x?.[k], o);

/** The hardening facts every mesh workload kind must show, as SecureService's tests do for Deployments. */
export function describeHardening(kind: KindUnderTest): void {
  describe(`${kind.kind}: the hardened-workload core`, () => {
    test('its own ServiceAccount without an API token; the pods run as it, with no token mounted', () => {
      const { chart } = world(kind);
      const objects = synthValidated(chart);
      expect(findObject(objects, 'ServiceAccount', 'subject', 'shop').automountServiceAccountToken).toBe(false);
      const pod = pointerGet(findObject(objects, kind.kind, 'subject', 'shop'), kind.podSpecPointer);
      expect(pod.serviceAccountName).toBe('subject');
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    test('POD-1: non-root, read-only root, no escalation, ALL dropped, RuntimeDefault seccomp, no host namespaces', () => {
      const { chart } = world(kind);
      const pod = pointerGet(findObject(synthValidated(chart), kind.kind, 'subject', 'shop'), kind.podSpecPointer);
      expect(pod.containers).toHaveLength(1);
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.hostNetwork).toBe(false);
      expect(pod.hostPID).toBeUndefined();
      expect(pod.hostIPC).toBeUndefined();
    });

    test('closed until granted: its AuthorizationPolicy has no rules and its ingress NetworkPolicy admits nobody', () => {
      const { chart } = world(kind);
      const objects = synthValidated(chart);
      expect(findObject(objects, 'AuthorizationPolicy', 'subject', 'shop').spec).toEqual({ selector: { matchLabels: { app: 'subject' } }, action: 'ALLOW' });
      expect(findObject(objects, 'NetworkPolicy', 'subject-ingress', 'shop').spec.ingress).toEqual([]);
      expect(objects.some((o) => o.metadata.name === 'subject-egress')).toBe(false);
    });

    test('egress only for its grants: the target admits exactly its identity, its egress reaches only the target; no principal "*"', () => {
      const { chart, web, w } = world(kind);
      web.allowFrom(w, { methods: ['GET'] });
      const objects = synthValidated(chart);
      expect(findObject(objects, 'AuthorizationPolicy', 'web', 'shop').spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/subject'] } }],
        to: [{ operation: { ports: [String(SERVED_PORT)], methods: ['GET'] } }],
      }]);
      expect(findObject(objects, 'NetworkPolicy', 'subject-egress', 'shop').spec.egress).toEqual([{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } }],
        ports: [{ protocol: 'TCP', port: SERVED_PORT }],
      }]);
      expect(JSON.stringify(objects)).not.toMatch(/"principals":\["\*"\]/);
      const matrix = AccessMatrix.fromManifests(objects);
      expect(matrix.check({ from: 'shop/subject', to: 'shop/web', port: SERVED_PORT, method: 'GET', path: '/' }).allowed).toBe(true);
      expect(matrix.check({ from: 'shop/subject', to: 'shop/web', port: SERVED_PORT, method: 'DELETE', path: '/' }).allowed).toBe(false);
    });

    if (kind.serves) {
      test('a grant to it admits exactly that caller, on that port, at L7 and L3/L4', () => {
        const { chart, web, w } = world(kind);
        w.allowFrom(web, { ports: [SERVED_PORT], methods: ['GET'] });
        const objects = synthValidated(chart);
        expect(findObject(objects, 'AuthorizationPolicy', 'subject', 'shop').spec.rules).toEqual([{
          from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }],
          to: [{ operation: { ports: [String(SERVED_PORT)], methods: ['GET'] } }],
        }]);
        expect(findObject(objects, 'NetworkPolicy', 'subject-ingress', 'shop').spec.ingress).toEqual([{
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } }],
          ports: [{ protocol: 'TCP', port: SERVED_PORT }],
        }]);
        expect(findObject(objects, 'DestinationRule', 'subject', 'shop').spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
        const matrix = AccessMatrix.fromManifests(objects);
        expect(matrix.check({ from: 'shop/web', to: 'shop/subject', port: SERVED_PORT, method: 'GET', path: '/' }).allowed).toBe(true);
        expect(matrix.check({ from: 'shop/web', to: 'shop/subject', port: SERVED_PORT, method: 'POST', path: '/' }).allowed).toBe(false);
      });
    } else {
      test('it accepts no traffic: allowFrom and requireJwt are refused; no Service, no DestinationRule', () => {
        const { chart, web, w } = world(kind);
        expect(() => w.allowFrom(web)).toThrow(/\[test\/subject\] allowFrom: shop\/subject only calls \(a .*Job serves no port\): it accepts no traffic/);
        expect(() => w.requireJwt({ issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks', audiences: ['a'] })).toThrow(/requireJwt: .*no request reaches it/);
        const objects = synthValidated(chart);
        expect(objects.filter((o) => ['Service', 'DestinationRule'].includes(o.kind) && o.metadata.name === 'subject')).toEqual([]);
        const matrix = AccessMatrix.fromManifests(objects);
        expect(matrix.check({ from: 'shop/web', to: 'shop/subject', port: SERVED_PORT }).allowed).toBe(false);
      });
    }

    test('the audit of the output, grants included, reports no finding', () => {
      const { chart, web, w } = world(kind);
      web.allowFrom(w);
      if (kind.serves) w.allowFrom(web);
      const objects = synthValidated(chart);
      const result = auditManifests(objects.map((object, i) => ({ object, file: 'app.k8s.yaml', line: i + 1, documentIndex: i })));
      expect(result.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    });

    test('a JSON patch that runs the pod as root fails synthesis, naming the rule and the object', () => {
      const { chart, w } = world(kind);
      kind.runner(w).addJsonPatch(JsonPatch.replace(`${kind.podSpecPointer}/containers/0/securityContext/runAsNonRoot`, false));
      expect(() => Testing.synth(chart)).toThrow(new RegExp(`POD-ROOT-001.*${kind.kind}/shop/subject`, 's'));
    });

    test('one workload per name in a namespace, across kinds', () => {
      const { chart, ns } = world(kind);
      expect(() => new SecureService(chart, 'other', { namespace: ns, name: 'subject', image: IMAGE, ports: HTTP }))
        .toThrow(/\[test\/other\] name: workload "shop\/subject" is already defined at test\/subject/);
    });
  });
}
