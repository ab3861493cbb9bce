import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import { CONSTRUCT_PATHS_FILE, readConstructPaths, writeConstructPaths } from '../../src/policy/construct-paths';

describe('construct paths by kind, namespace and name (for the validation plugin)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-paths-'));
  const saved = process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
    else process.env.CDK8S_RECORD_CONSTRUCT_METADATA = saved;
  });

  function twoObjectsOfOneName(outdir: string) {
    const app = new App({ outdir });
    const chart = new Chart(app, 'platform');
    const crb = new ApiObject(chart, 'crb', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'mesh-admins' } });
    const rb = new ApiObject(chart, 'rb', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'mesh-admins', namespace: 'istio-system' } });
    return { app, rendered: [crb, rb].map((apiObject) => ({ apiObject, object: apiObject.toJson() })) };
  }

  test('written beside the manifests when cdk8s-cli records construct metadata; two objects of one name keep their own paths', () => {
    process.env.CDK8S_RECORD_CONSTRUCT_METADATA = 'true';
    const { app, rendered } = twoObjectsOfOneName(path.join(dir, 'dist'));
    writeConstructPaths(app, rendered);
    const file = path.join(dir, 'dist', CONSTRUCT_PATHS_FILE);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      objects: { 'ClusterRoleBinding/mesh-admins': 'platform/crb', 'RoleBinding/istio-system/mesh-admins': 'platform/rb' },
    });
    const paths = readConstructPaths([path.join(dir, 'dist', 'platform.k8s.yaml')]);
    expect(paths.get('ClusterRoleBinding/mesh-admins')).toBe('platform/crb');
    expect(paths.get('RoleBinding/istio-system/mesh-admins')).toBe('platform/rb');
  });

  test('not written when cdk8s-cli does not ask for construct metadata (plain synth, tests)', () => {
    delete process.env.CDK8S_RECORD_CONSTRUCT_METADATA;
    const { app, rendered } = twoObjectsOfOneName(path.join(dir, 'quiet'));
    writeConstructPaths(app, rendered);
    expect(fs.existsSync(path.join(dir, 'quiet', CONSTRUCT_PATHS_FILE))).toBe(false);
  });

  test('a missing or damaged file names no construct', () => {
    fs.mkdirSync(path.join(dir, 'damaged'));
    fs.writeFileSync(path.join(dir, 'damaged', CONSTRUCT_PATHS_FILE), '{ not json');
    expect(readConstructPaths([path.join(dir, 'damaged', 'a.yaml'), path.join(dir, 'absent', 'b.yaml')]).size).toBe(0);
  });
});
