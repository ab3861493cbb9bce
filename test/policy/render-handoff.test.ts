import { ApiObject, App, Chart, JsonPatch, Lazy, Testing } from 'cdk8s';
import { AppProtocol, HardenedNamespace, MeshBaseline, SecureService } from '../../src';
import { HandOffBatch } from '../../src/policy/render-handoff';
import { findObject, synthValidated } from '../helpers';

const IMAGE = `gcr.io/acme/app@sha256:${'a'.repeat(64)}`;

function bareObject(): ApiObject {
  const chart = new Chart(Testing.app(), 'c');
  return new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } });
}

function meshApp(): { app: App; chart: Chart; svc: SecureService } {
  const app = Testing.app();
  app.node.setContext('cdk8s-secure-mesh:today', '2026-11-29');
  const chart = new Chart(app, 'c');
  new MeshBaseline(chart, 'mesh');
  const ns = new HardenedNamespace(chart, 'ns', { name: 'shop' });
  const svc = new SecureService(chart, 'cart', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }] });
  return { app, chart, svc };
}

const rerenderNever = (): unknown => {
  throw new Error('rendered twice');
};

describe('HandOffBatch', () => {
  test('the first toJson returns the handed document; taking it keeps the batch; a second toJson ends the batch and re-checks', () => {
    const [o, other] = [bareObject(), bareObject()];
    const rerender = jest.fn((a: ApiObject) => ({ rechecked: a.name }));
    const batch = HandOffBatch.begin(rerender);
    const handed = { handed: true };
    batch.handOff(o, handed);
    batch.handOff(other, { other: true });
    expect(o.toJson()).toBe(handed);
    expect(batch.intact).toBe(true);
    expect(rerender).not.toHaveBeenCalled();
    expect(o.toJson()).toEqual({ rechecked: 'cm' });
    expect(rerender).toHaveBeenCalledWith(o);
    expect(batch.intact).toBe(false);
    // Ending the batch withdrew every hand-off: the objects render themselves.
    expect(Object.prototype.hasOwnProperty.call(o, 'toJson')).toBe(false);
    expect(other.toJson()).toMatchObject({ kind: 'ConfigMap', data: { a: '1' } });
  });

  test('a batch ends with the synchronous run: after it, a mutation is rendered', async () => {
    const o = bareObject();
    const batch = HandOffBatch.begin(rerenderNever);
    batch.handOff(o, { stale: true });
    await Promise.resolve();
    expect(batch.intact).toBe(false);
    o.metadata.addLabel('fresh', 'yes');
    expect(o.toJson().metadata.labels).toEqual({ fresh: 'yes' });
  });

  test('a newer batch withdraws the older one; withdraw and withdrawAll cancel hand-offs', () => {
    const [a, b, c] = [bareObject(), bareObject(), bareObject()];
    const older = HandOffBatch.begin(rerenderNever);
    older.handOff(a, {});
    const newer = HandOffBatch.begin(rerenderNever);
    expect(older.intact).toBe(false);
    expect(a.toJson().kind).toBe('ConfigMap');
    older.handOff(a, {});
    expect(a.toJson().kind).toBe('ConfigMap');
    newer.handOff(b, {});
    newer.handOff(c, {});
    newer.withdraw(b);
    expect(newer.intact).toBe(false);
    expect(b.toJson().kind).toBe('ConfigMap');
    newer.withdrawAll();
    expect(c.toJson().kind).toBe('ConfigMap');
  });

  test('an object with its own toJson is handed off too, and gets it back when the batch ends', () => {
    const o = bareObject();
    const own = () => ({ own: true });
    Object.defineProperty(o, 'toJson', { value: own, configurable: true, writable: true });
    const batch = HandOffBatch.begin(rerenderNever);
    expect(batch.handOff(o, { handed: true })).toBe(true);
    expect(o.toJson()).toEqual({ handed: true });
    batch.withdrawAll();
    expect(o.toJson()).toEqual({ own: true });
    expect(Object.getOwnPropertyDescriptor(o, 'toJson')!.value).toBe(own);
  });

  test('a non-configurable own toJson cannot be wrapped: handOff says so', () => {
    const o = bareObject();
    Object.defineProperty(o, 'toJson', { value: () => ({ fixed: true }), configurable: false, writable: false });
    expect(HandOffBatch.begin(rerenderNever).handOff(o, { handed: true })).toBe(false);
    expect(o.toJson()).toEqual({ fixed: true });
  });
});

describe('synthesis renders each object once and writes what the rules checked', () => {
  /** A PeerAuthentication whose own toJson answers STRICT to the check and PERMISSIVE afterwards. */
  function swapping(chart: Chart, id: string): ApiObject {
    const pa = new ApiObject(chart, id, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: id, namespace: 'shop' }, spec: { mtls: { mode: 'STRICT' } } });
    const strict = pa.toJson.bind(pa);
    let calls = 0;
    Object.defineProperty(pa, 'toJson', {
      configurable: true,
      writable: true,
      value: () => {
        const doc = strict();
        return calls++ === 0 ? doc : { ...doc, spec: { mtls: { mode: 'PERMISSIVE' } } };
      },
    });
    return pa;
  }

  test('an ApiObject whose own toJson answers differently the second time writes what was checked', () => {
    const { chart } = meshApp();
    swapping(chart, 'swapper');
    const written = synthValidated(chart);
    expect(findObject(written, 'PeerAuthentication', 'swapper', 'shop').spec.mtls.mode).toBe('STRICT');
  });


  test('the written documents equal a fresh rendering of every object', () => {
    const { chart } = meshApp();
    const written = synthValidated(chart);
    const fresh = chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson());
    expect(written).toHaveLength(fresh.length);
    expect(new Set(written.map((o) => JSON.stringify(o)))).toEqual(new Set(fresh.map((o) => JSON.stringify(o))));
  });

  test('each object is rendered once per synth (enforcement and output share the rendering)', () => {
    const { chart } = meshApp();
    const deployment = chart.node.findAll().find((c): c is ApiObject => c instanceof ApiObject && c.kind === 'Deployment')!;
    const render = jest.spyOn(ApiObject.prototype, 'toJson');
    try {
      Testing.synth(chart);
      expect(render.mock.contexts.filter((self) => self === deployment)).toHaveLength(1);
      render.mockClear();
      // synthYaml validates twice (once itself, once in chart.toJson): still one rendering.
      (chart.node.root as App).synthYaml();
      expect(render.mock.contexts.filter((self) => self === deployment)).toHaveLength(1);
    } finally {
      render.mockRestore();
    }
  });

  test('a change made after one synth is written (and checked) by the next synth', () => {
    const { chart, svc } = meshApp();
    Testing.synth(chart);
    svc.deployment.metadata.addLabel('team', 'payments');
    expect(findObject(Testing.synth(chart), 'Deployment', 'cart', 'shop').metadata.labels.team).toBe('payments');
    // A weakening JSON patch after a clean synth still fails the next one.
    svc.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostNetwork', true));
    expect(() => Testing.synth(chart)).toThrow(/POD-HOST-001/);
  });

  test('an app of many charts is rendered and checked once per synth, not once per chart', () => {
    const app = Testing.app();
    app.node.setContext('cdk8s-secure-mesh:today', '2026-11-29');
    new MeshBaseline(new Chart(app, 'base'), 'mesh');
    const charts = Array.from({ length: 5 }, (_, i) => new Chart(app, `team${i}`));
    charts.forEach((chart, i) => {
      const ns = new HardenedNamespace(chart, 'ns', { name: `team-${i}` });
      new SecureService(chart, 'api', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }] });
    });
    const objects = app.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    const render = jest.spyOn(ApiObject.prototype, 'toJson');
    try {
      const yaml = app.synthYaml();
      expect(yaml.split('\n---\n')).toHaveLength(objects.length);
      // The exception registries are computed from the check's report: rendered for the check and again after it.
      const fromReport = (o: ApiObject) => o.kind === 'ConfigMap' && o.name === 'secure-mesh-exceptions';
      expect(objects.filter(fromReport)).toHaveLength(6);
      for (const o of objects) {
        expect([o.node.path, render.mock.contexts.filter((self) => self === o).length]).toEqual([o.node.path, fromReport(o) ? 2 : 1]);
      }
    } finally {
      render.mockRestore();
    }
  });

  test('a chart synthesized again in the same run, after a change, is checked again', () => {
    const app = Testing.app();
    app.node.setContext('cdk8s-secure-mesh:today', '2026-11-29');
    const first = new Chart(app, 'first');
    new MeshBaseline(first, 'mesh');
    const second = new Chart(app, 'second');
    const ns = new HardenedNamespace(second, 'ns', { name: 'shop' });
    const svc = new SecureService(second, 'cart', { namespace: ns, image: IMAGE, ports: [{ name: 'http', port: 80, protocol: AppProtocol.HTTP }] });
    second.toJson();
    svc.deployment.metadata.addLabel('team', 'payments');
    expect(findObject(second.toJson(), 'Deployment', 'cart', 'shop').metadata.labels.team).toBe('payments');
    svc.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostNetwork', true));
    expect(() => second.toJson()).toThrow(/Validation failed[\s\S]*POD-HOST-001/);
    // A failed check is repeated, so a fix made in the same run is seen.
    svc.deployment.addJsonPatch(JsonPatch.replace('/spec/template/spec/hostNetwork', false));
    expect(() => app.synthYaml()).not.toThrow();
  });

  test('a construct added between two synths of one synchronous run is checked', () => {
    const { app, chart } = meshApp();
    app.synthYaml();
    new ApiObject(chart, 'raw', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw', namespace: 'shop' }, spec: { hostNetwork: true, containers: [] } });
    expect(() => app.synthYaml()).toThrow(/POD-HOST-001/);
  });

  test('a Lazy that swaps one object for another while it is rendered (the same count) does not get the swap written unchecked', () => {
    const { app, chart } = meshApp();
    const second = new Chart(app, 'second');
    new ApiObject(second, 'harmless', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'harmless', namespace: 'shop' }, data: { a: 'b' } });
    let swapped = false;
    new ApiObject(chart, 'swapper', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'swapper', namespace: 'shop' },
      data: Lazy.any({
        produce: () => {
          if (!swapped) {
            swapped = true;
            second.node.tryRemoveChild('harmless');
            new ApiObject(second, 'raw', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'raw', namespace: 'shop' }, spec: { hostNetwork: true, containers: [] } });
          }
          return { a: 'b' };
        },
      }),
    });
    expect(() => app.synthYaml()).toThrow(/POD-HOST-001/);
  });
});
