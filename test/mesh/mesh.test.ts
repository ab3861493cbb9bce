import { injectionLabelsFor, istiodPodLabelsFor } from '../../src/mesh/mesh';

describe('injectionLabelsFor', () => {
  test('default revision: istio-injection enabled', () => {
    expect(injectionLabelsFor(undefined)).toEqual({ 'istio-injection': 'enabled' });
  });

  test('an empty revision is the default revision', () => {
    expect(injectionLabelsFor('')).toEqual({ 'istio-injection': 'enabled' });
  });

  test('a revision: istio.io/rev only (istio-injection would override the revision label)', () => {
    expect(injectionLabelsFor('canary-1-30')).toEqual({ 'istio.io/rev': 'canary-1-30' });
  });

  test('returns a fresh object each time', () => {
    const a = injectionLabelsFor(undefined);
    a.extra = 'x';
    expect(injectionLabelsFor(undefined)).toEqual({ 'istio-injection': 'enabled' });
  });
});

describe('istiodPodLabelsFor', () => {
  test('default revision: app istiod', () => {
    expect(istiodPodLabelsFor(undefined)).toEqual({ app: 'istiod' });
  });

  test('an empty revision is the default revision', () => {
    expect(istiodPodLabelsFor('')).toEqual({ app: 'istiod' });
  });

  test('a revision: app istiod and istio.io/rev', () => {
    expect(istiodPodLabelsFor('canary-1-30')).toEqual({ 'app': 'istiod', 'istio.io/rev': 'canary-1-30' });
  });
});
