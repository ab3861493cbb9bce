import { App } from 'cdk8s';
import { DataPlane, Validation } from '../../src';
import { BlueprintChart } from '../blueprint/blueprint';

// The same blueprint on Istio's ambient data plane: same grants, same call graph, rendered for
// ztunnel (L4) and the namespace waypoint (L7).
const app = new App();
new BlueprintChart(app, 'blueprint', { dataPlane: DataPlane.AMBIENT });

// Refuse to write YAML that a cluster with Istio 1.30 would reject.
Validation.assertValid(app.charts.flatMap((chart) => chart.toJson()));
app.synth();
