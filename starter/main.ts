import { App } from 'cdk8s';
import { Validation } from 'cdk8s-secure-mesh';
import { BlueprintChart } from './blueprint';

const app = new App();
new BlueprintChart(app, 'blueprint');

// Refuse to write YAML that a cluster with Istio 1.30 would reject.
Validation.assertValid(app.charts.flatMap((chart) => chart.toJson()));
app.synth();
