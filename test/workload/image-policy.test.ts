import * as fc from 'fast-check';
import { checkImage, registryOf, repositoryOf } from '../../src/workload/image-policy';

const HEX = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8);
const DIGEST = `@sha256:${HEX}`;

const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 });
const pathComponent = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*$/).filter((s) => s.length <= 20);
const repoPath = fc.array(pathComponent, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);

describe('image policy (IMG-1)', () => {
  test('the test digest is well-formed', () => {
    expect(HEX).toMatch(/^[0-9a-f]{64}$/);
  });

  describe('registryOf', () => {
    test.each([
      ['nginx', 'docker.io'],
      ['nginx:1.25', 'docker.io'],
      [`nginx${DIGEST}`, 'docker.io'],
      ['istio/proxyv2', 'docker.io'],
      ['istio/proxyv2:1.22.0', 'docker.io'],
      ['docker.io/istio/proxyv2', 'docker.io'],
      ['gcr.io/my-project/app', 'gcr.io'],
      ['us-docker.pkg.dev/my-project/repo/app', 'us-docker.pkg.dev'],
      ['localhost:5000/app', 'localhost:5000'],
      ['localhost/app', 'localhost'],
      ['registry:5000/app', 'registry:5000'],
    ])('%s -> %s', (image, registry) => {
      expect(registryOf(image)).toBe(registry);
    });
  });

  describe('repositoryOf', () => {
    test.each([
      ['nginx', 'docker.io/library/nginx'],
      ['nginx:latest', 'docker.io/library/nginx'],
      [`nginx${DIGEST}`, 'docker.io/library/nginx'],
      [`nginx:1.25${DIGEST}`, 'docker.io/library/nginx'],
      ['istio/x', 'docker.io/istio/x'],
      [`istio/proxyv2:1.22.0${DIGEST}`, 'docker.io/istio/proxyv2'],
      ['docker.io/istio/x', 'docker.io/istio/x'],
      ['docker.io/library/nginx:1.25', 'docker.io/library/nginx'],
      ['gcr.io/p/x', 'gcr.io/p/x'],
      [`gcr.io/p/x:v1${DIGEST}`, 'gcr.io/p/x'],
      ['us-docker.pkg.dev/p/repo/x:v1', 'us-docker.pkg.dev/p/repo/x'],
      ['localhost:5000/x', 'localhost:5000/x'],
      ['localhost:5000/x:v1', 'localhost:5000/x'],
      [`localhost:5000/team/x${DIGEST}`, 'localhost:5000/team/x'],
      ['localhost/x', 'localhost/x'],
    ])('%s -> %s', (image, repo) => {
      expect(repositoryOf(image)).toBe(repo);
    });

    test('property: registry and repository of generated references', () => {
      const registry = fc.constantFrom('gcr.io', 'us-docker.pkg.dev', 'localhost:5000', 'registry.example.com:443', 'localhost');
      fc.assert(fc.property(registry, repoPath, fc.option(tag), fc.option(hex64), (reg, path, t, digest) => {
        const image = `${reg}/${path}${t ? `:${t}` : ''}${digest ? `@sha256:${digest}` : ''}`;
        expect(registryOf(image)).toBe(reg);
        expect(repositoryOf(image)).toBe(`${reg}/${path}`);
      }));
    });

    test('property: Docker Hub references without a registry', () => {
      fc.assert(fc.property(pathComponent, fc.option(pathComponent), fc.option(tag), fc.option(hex64), (name, org, t, digest) => {
        fc.pre(org === null || !/[.:]/.test(org));
        const path = org ? `${org}/${name}` : name;
        const image = `${path}${t ? `:${t}` : ''}${digest ? `@sha256:${digest}` : ''}`;
        expect(registryOf(image)).toBe('docker.io');
        expect(repositoryOf(image)).toBe(org ? `docker.io/${org}/${name}` : `docker.io/library/${name}`);
      }));
    });
  });

  describe('checkImage: pinning by digest', () => {
    test.each([
      `nginx${DIGEST}`,
      `nginx:1.25${DIGEST}`,
      `istio/proxyv2${DIGEST}`,
      `gcr.io/p/x${DIGEST}`,
      `localhost:5000/x:v1${DIGEST}`,
    ])('accepts digest-pinned %s', (image) => {
      expect(checkImage(image, [])).toEqual([]);
    });

    test.each(['nginx', 'nginx:latest', 'nginx:1.2', 'istio/proxyv2:1.22.0', 'gcr.io/p/x:v1', 'localhost:5000/x'])('rejects tag-only %s', (image) => {
      expect(checkImage(image, [])).toEqual([`image "${image}" is not pinned by digest (a tag such as ":latest" can change what runs)`]);
    });

    test.each([
      'nginx@sha256:abc',
      `nginx@sha256:${HEX.toUpperCase()}`,
      `nginx@sha256:${HEX}0`,
      `nginx@sha256:${HEX.slice(1)}`,
      `nginx@sha512:${HEX}${HEX}`,
      `nginx@${HEX}`,
      'nginx@',
      `nginx@sha256:${HEX.slice(1)}g`,
      `nginx@sha256:${HEX}:latest`,
    ])('rejects malformed digest %s', (image) => {
      expect(checkImage(image, [])).toEqual([`image "${image}" has a malformed digest (expected @sha256: and 64 lower-case hex characters)`]);
    });

    test.each(['', ' ', 'nginx latest', `nginx${DIGEST} `, `\tnginx${DIGEST}`, `nginx\n${DIGEST}`])('rejects %j as not an image reference', (image) => {
      expect(checkImage(image, [])).toEqual([expect.stringContaining(`image "${image}" is not an image reference`)]);
      expect(checkImage(image, ['gcr.io'])).toEqual([expect.stringContaining(`image "${image}" is not an image reference`)]);
    });

    test('property: any reference with a well-formed digest is accepted when no registry list is set', () => {
      fc.assert(fc.property(repoPath, fc.option(tag), hex64, (path, t, digest) => {
        expect(checkImage(`${path}${t ? `:${t}` : ''}@sha256:${digest}`, [])).toEqual([]);
      }));
    });

    test('property: any tag-only reference is rejected', () => {
      fc.assert(fc.property(repoPath, fc.option(tag), (path, t) => {
        const image = `${path}${t ? `:${t}` : ''}`;
        expect(checkImage(image, []).join()).toContain('is not pinned by digest');
      }));
    });
  });

  describe('checkImage: allowed registries', () => {
    test('an empty list allows any registry', () => {
      expect(checkImage(`evil.example.com/x${DIGEST}`, [])).toEqual([]);
    });

    test.each([
      [`gcr.io/p/x${DIGEST}`, ['gcr.io']],
      [`gcr.io/p/x${DIGEST}`, ['gcr.io/p']],
      [`gcr.io/p/x${DIGEST}`, ['gcr.io/p/']],
      [`gcr.io/p/x${DIGEST}`, ['gcr.io/p/x']],
      [`gcr.io/p/x${DIGEST}`, ['quay.io', 'gcr.io/p']],
      [`us-docker.pkg.dev/my-project/repo/x${DIGEST}`, ['us-docker.pkg.dev/my-project']],
      [`nginx${DIGEST}`, ['docker.io']],
      [`nginx${DIGEST}`, ['docker.io/library']],
      [`istio/proxyv2${DIGEST}`, ['docker.io/istio']],
      [`docker.io/istio/proxyv2${DIGEST}`, ['docker.io/istio']],
      [`localhost:5000/x${DIGEST}`, ['localhost:5000']],
    ])('accepts %s from %j', (image, allowed) => {
      expect(checkImage(image, allowed)).toEqual([]);
    });

    test.each([
      [`docker.io/istio-evil/x${DIGEST}`, ['docker.io/istio']],
      [`istio-evil/x${DIGEST}`, ['docker.io/istio']],
      [`gcr.io/p-evil/x${DIGEST}`, ['gcr.io/p']],
      [`gcr.io.evil.com/p/x${DIGEST}`, ['gcr.io']],
      [`evil.com/gcr.io/p/x${DIGEST}`, ['gcr.io']],
      [`gcr.io/x${DIGEST}`, ['gcr.io/p']],
      [`nginx${DIGEST}`, ['docker.io/istio']],
      [`nginx${DIGEST}`, ['gcr.io']],
      [`istio/proxyv2${DIGEST}`, ['docker.io/library']],
      [`localhost:5001/x${DIGEST}`, ['localhost:5000']],
      [`localhost/x${DIGEST}`, ['localhost:5000']],
      [`us-docker.pkg.dev/other/x${DIGEST}`, ['us-docker.pkg.dev/my-project', 'gcr.io']],
    ])('rejects %s under %j, listing the allowed registries', (image, allowed) => {
      expect(checkImage(image, allowed)).toEqual([`image "${image}" is not from an allowed registry (${allowed.join(', ')})`]);
    });

    test('a tag-only image from a disallowed registry has both problems', () => {
      expect(checkImage('evil.io/x:latest', ['gcr.io'])).toEqual([
        'image "evil.io/x:latest" is not pinned by digest (a tag such as ":latest" can change what runs)',
        'image "evil.io/x:latest" is not from an allowed registry (gcr.io)',
      ]);
    });

    test('a tag-only image from an allowed registry is still rejected', () => {
      expect(checkImage('gcr.io/p/x:latest', ['gcr.io'])).toEqual(['image "gcr.io/p/x:latest" is not pinned by digest (a tag such as ":latest" can change what runs)']);
    });

    test('property: allowing a path never allows a sibling path that merely shares its prefix', () => {
      fc.assert(fc.property(repoPath, pathComponent, fc.stringMatching(/^-?[a-z0-9]{1,8}$/), hex64, (allowedPath, name, suffix, digest) => {
        const allowed = `gcr.io/${allowedPath}`;
        expect(checkImage(`${allowed}/${name}@sha256:${digest}`, [allowed])).toEqual([]);
        expect(checkImage(`${allowed}${suffix}/${name}@sha256:${digest}`, [allowed]).join()).toContain('is not from an allowed registry');
      }));
    });
  });
});

describe('Docker Hub normalization and reference grammar (regressions)', () => {
  const pin = `@sha256:${'c'.repeat(64)}`;

  test('docker.io/<name> is the official library image, not an organisation', () => {
    expect(repositoryOf(`docker.io/istio${pin}`)).toBe('docker.io/library/istio');
    expect(checkImage(`docker.io/istio${pin}`, ['docker.io/istio'])).toEqual([expect.stringMatching(/not from an allowed registry/)]);
    expect(checkImage(`docker.io/nginx${pin}`, ['docker.io/library'])).toEqual([]);
  });

  test('index.docker.io is Docker Hub', () => {
    expect(repositoryOf(`index.docker.io/istio/proxyv2${pin}`)).toBe('docker.io/istio/proxyv2');
    expect(checkImage(`index.docker.io/istio/proxyv2${pin}`, ['docker.io/istio'])).toEqual([]);
  });

  test.each([[pin], [`Nginx${pin}`], [`nginx:${pin}`]])('malformed reference %s is rejected', (image) => {
    expect(checkImage(image, [])).toEqual([expect.stringMatching(/is not an image reference/)]);
  });

  test('a digest after another "@" part is malformed', () => {
    expect(checkImage(`nginx@foo${pin}`, [])).toEqual([expect.stringMatching(/malformed digest/)]);
  });
});
