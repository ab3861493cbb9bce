import { libraryApp, plainApp } from '../../bench/blueprint';

describe('benchmark baseline', () => {
  test('the plain-ApiObject baseline synthesizes exactly the documents the library does', () => {
    const library = libraryApp(12);
    const documents = library.charts.flatMap((c) => c.toJson());
    expect(documents.length).toBeGreaterThan(100);
    expect(plainApp(documents).synthYaml()).toBe(library.synthYaml());
  });
});
