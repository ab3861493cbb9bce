import { App } from 'cdk8s';
import { BookinfoAppChart } from './bookinfo-app';
import { MeshContract, Validation } from '../../../src';

const app = new App();
// The platform's contract. In a real repository: the version you pin, fetched or installed as a
// package; here the platform example's file next door.
const contract = MeshContract.fromFile(app, 'contract', '../platform/mesh-contract.yaml');
new BookinfoAppChart(app, 'bookinfo', { contract });

// Refuse to write YAML that a cluster with Istio 1.30 would reject.
Validation.assertValid(app.charts.flatMap((chart) => chart.toJson()));
app.synth();
