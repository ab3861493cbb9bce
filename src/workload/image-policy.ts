/**
 * Image integrity (IMG-1): an image must be pinned by digest, so what runs is exactly what was
 * reviewed and scanned, and come from an allowed registry when a list is configured. A tag can
 * be moved to other content at any time; a digest cannot.
 */

const DIGEST = /^@sha256:[0-9a-f]{64}$/;
// Docker's reference grammar: [registry[:port]/]path-component(/path-component)*[:tag][@digest]
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?${COMPONENT}(?:/${COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`);
/** The host names of Docker Hub: images without a registry, and these, are Docker Hub's. */
export const DOCKER_HUB_ALIASES: readonly string[] = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/** The registry host of an image reference (Docker Hub, as `docker.io`, when none is written). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry && !DOCKER_HUB_ALIASES.includes(first) ? first : 'docker.io';
}

/**
 * The repository with its registry made explicit, without tag or digest, as the registry serves
 * it: `istio/x` and `docker.io/istio/x` are `docker.io/istio/x`; `nginx` and `docker.io/nginx`
 * are the official image `docker.io/library/nginx`.
 */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const repo = colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest;
  const registry = registryOf(image);
  if (registry !== 'docker.io') return repo;
  const first = repo.split('/')[0];
  const path = DOCKER_HUB_ALIASES.includes(first) && repo.includes('/') ? repo.slice(first.length + 1) : repo;
  return path.includes('/') ? `docker.io/${path}` : `docker.io/library/${path}`;
}

/**
 * Whether `image` comes from one of `allowedRegistries` (a registry host, optionally with a path
 * prefix: `gcr.io/acme` allows `gcr.io/acme/app`, not `gcr.io/acme-other/app`). Docker Hub short
 * names count as `docker.io/library/...`.
 */
export function isFromAllowedRegistry(image: string, allowedRegistries: readonly string[]): boolean {
  const repo = repositoryOf(image);
  return allowedRegistries.some((r) => repo === r || repo.startsWith(`${r.replace(/\/+$/, '')}/`));
}

/** Problems with an image under the image policy; empty when it may run. */
export function checkImage(image: string, allowedRegistries: readonly string[]): string[] {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  if (/\s/.test(image) || !NAME.test(name)) {
    return [`image "${image}" is not an image reference ([registry/]repository[:tag]@sha256:<digest>)`];
  }
  const problems: string[] = [];
  if (at < 0 || !DIGEST.test(image.slice(at))) {
    problems.push(image.includes('@')
      ? `image "${image}" has a malformed digest (expected @sha256: and 64 lower-case hex characters)`
      : `image "${image}" is not pinned by digest (a tag such as ":latest" can change what runs)`);
  }
  if (allowedRegistries.length > 0) {
    if (!isFromAllowedRegistry(image, allowedRegistries)) problems.push(`image "${image}" is not from an allowed registry (${allowedRegistries.join(', ')})`);
  }
  return problems;
}
