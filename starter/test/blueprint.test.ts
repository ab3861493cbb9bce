import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { AccessMatrix, SecureMeshConfig, Validation } from 'cdk8s-secure-mesh';
import { BlueprintChart } from '../blueprint';

/**
 * Who may call whom, as `caller -> target:port` (workloads as `namespace/name`). This is the
 * intent; the test below checks the synthesized YAML against it. Add a line here with every
 * `allowFrom` you add to blueprint.ts.
 */
const INTENDED_CALLS = [
  'bookinfo/productpage -> bookinfo/reviews:9080',
  'bookinfo/reviews -> bookinfo/ratings:9080',
];

/** The mesh settings file the audit, the access command and the cdk8s synth plugin read. */
const CONFIG_FILE = path.join(__dirname, '..', 'secure-mesh.yaml');

const app = Testing.app();
const chart = new BlueprintChart(app, 'blueprint');
// Synthesis fails when secure-mesh.yaml disagrees with the blueprint, so regenerate it first.
if (process.env.UPDATE_SECURE_MESH_YAML) fs.writeFileSync(CONFIG_FILE, SecureMeshConfig.fromApp(app).toYaml());
const objects = Testing.synth(chart);

describe('blueprint', () => {
  test('shape: review every change to the YAML in this snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('a cluster with Istio 1.30 accepts every object (schema, CEL, istiod webhook)', () => {
    Validation.assertValid(objects);
  });

  test('the access matrix is exactly the intended call graph: no edge more, no edge less', () => {
    const matrix = AccessMatrix.fromManifests(objects);
    expect(matrix.edges().map((e) => `${e.from} -> ${e.to}:${e.port}`).sort()).toEqual([...INTENDED_CALLS].sort());
    for (const edge of matrix.edges()) {
      expect([edge.mtlsMode, edge.plaintextAccepted]).toEqual(['STRICT', false]);
    }
    expect(matrix.warnings()).toEqual([]);
  });

  test('only what is granted: reviews accepts GET /reviews/* from productpage, and nothing from ratings', () => {
    const matrix = AccessMatrix.fromManifests(objects);
    const call = { from: 'bookinfo/productpage', to: 'bookinfo/reviews', port: 9080 };
    expect(matrix.check({ ...call, method: 'GET', path: '/reviews/0' }).allowed).toBe(true);
    expect(matrix.check({ ...call, method: 'POST', path: '/reviews/0' }).allowed).toBe(false);
    expect(matrix.check({ ...call, from: 'bookinfo/ratings', method: 'GET', path: '/reviews/0' }).allowed).toBe(false);
    expect(matrix.check({ from: 'bookinfo/productpage', to: 'bookinfo/ratings', port: 9080, method: 'GET', path: '/ratings/0' }).allowed).toBe(false);
  });

  test('secure-mesh.yaml says what the blueprint declares (regenerate: UPDATE_SECURE_MESH_YAML=1 npm test)', () => {
    expect(fs.readFileSync(CONFIG_FILE, 'utf-8')).toEqual(SecureMeshConfig.fromApp(app).toYaml());
  });
});
