import { libraryApp } from '../../bench/blueprint';
import { plainBlueprintApp } from '../../bench/plain-blueprint';

describe('benchmark baseline', () => {
  test.each([50, 100, 250])('the hand-written plain cdk8s blueprint synthesizes exactly what the library does (%i services)', (services) => {
    const library = libraryApp(services).synthYaml();
    expect(library.split('\n---\n').length).toBeGreaterThan(services * 7);
    expect(plainBlueprintApp(services).synthYaml()).toBe(library);
  });

  test('the baseline refuses the same-namespace grants it does not model', () => {
    expect(() => plainBlueprintApp(57)).toThrow(/cross-namespace grants only/);
  });
});
