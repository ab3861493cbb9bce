import { ValidationLayer, formatFinding } from '../../src/validation/finding';

describe('formatFinding', () => {
  test('names the object, the path, the message, the layer and the rule', () => {
    expect(formatFinding({
      object: 'AuthorizationPolicy/bookinfo/x',
      path: 'spec.provider',
      rule: 'AP-4',
      message: 'CUSTOM needs a provider',
      layer: ValidationLayer.WEBHOOK,
      documentIndex: 0,
    })).toBe('AuthorizationPolicy/bookinfo/x spec.provider: CUSTOM needs a provider [webhook: AP-4]');
  });

  test('without a path only the object is named', () => {
    expect(formatFinding({ object: 'X/y', path: '', rule: 'r', message: 'm', layer: ValidationLayer.API_SERVER, documentIndex: 1 }))
      .toBe('X/y: m [api-server: r]');
  });
});
