import { ApiObject, App, Chart } from 'cdk8s';
import { AppProtocol, HardenedNamespace, MeshBaseline, SecureService } from '../src';

/** Benchmark blueprint: N SecureServices over 50 hardened namespaces, each granted from 3 callers. */
export const NAMESPACES = 50;
const IMAGE = `gcr.io/acme/app@sha256:${'c'.repeat(64)}`;

/** Builds the library blueprint of `services` SecureServices into a new app. */
export function libraryApp(services: number): App {
  const app = new App({ outdir: '/tmp/cdk8s-secure-mesh-bench' });
  const chart = new Chart(app, 'bench', { disableResourceNameHashes: true });
  new MeshBaseline(chart, 'mesh');
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => new HardenedNamespace(chart, `ns${i}`, { name: `team-${i}` }));
  const all = Array.from({ length: services }, (_, i) => new SecureService(chart, `svc${i}`, {
    namespace: namespaces[i % NAMESPACES],
    image: IMAGE,
    ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP }],
  }));
  all.forEach((target, i) => {
    for (const offset of [1, 7, 13]) {
      target.allowFrom(all[(i + offset) % services], { methods: ['GET'], paths: ['/api/*'] });
    }
  });
  return app;
}

/** The same documents as plain cdk8s ApiObjects (the baseline: cdk8s and YAML cost only). */
export function plainApp(documents: any[]): App {
  const app = new App({ outdir: '/tmp/cdk8s-secure-mesh-bench' });
  const chart = new Chart(app, 'bench', { disableResourceNameHashes: true });
  documents.forEach((doc, i) => new ApiObject(chart, `o${i}`, doc));
  return app;
}
