import { writeFileSync } from 'fs';
import { App } from 'cdk8s';
import { PlatformChart } from './platform';
import { MeshContract, Validation } from '../../../src';

const app = new App();
new PlatformChart(app, 'platform');

// Refuse to write YAML that a cluster with Istio 1.30 would reject.
Validation.assertValid(app.charts.flatMap((chart) => chart.toJson()));
app.synth();

// What app teams' repositories build on: commit it, and publish it (a pinned file or package).
writeFileSync(MeshContract.FILE_NAME, MeshContract.yamlOf(app));
