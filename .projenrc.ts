import { cdk8s, javascript } from 'projen';

const ISTIO_CRDS = 'imports/istio-1.30.3-crds.yaml';

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-secure-mesh',
  description:
    'cdk8s constructs that synthesize Istio, NetworkPolicy and RBAC manifests following the service-mesh security guide, secure by default.',
  author: 'cdk8s-secure-mesh maintainers',
  authorAddress: 'maintainers@cdk8s-secure-mesh.dev',
  repositoryUrl: 'https://github.com/cdk8s-secure-mesh/cdk8s-secure-mesh.git',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  keywords: ['cdk8s', 'istio', 'service-mesh', 'security', 'zero-trust', 'networkpolicy', 'rbac'],

  // projen's cdk8s template defaults to cdk8s 1.x, which no longer installs: pin 2.x / 10.x.
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.3.0',
  jsiiVersion: '~6.0.0',
  peerDeps: ['cdk8s-plus-27@^2.9.5'],
  // Non-jsii runtime dependencies are bundled into the package.
  bundledDeps: [
    'ajv@^8.17.1',
    '@bufbuild/cel@^0.6.1',
    'yaml@^2.8.0',
    // 4.x ships CommonJS (5.x is ESM-only, which Jest here cannot load) and Kubernetes' OpenAPI schemas.
    'kubernetes-models@4.5.1',
    // The audit command: argument parsing, terminal tables, colour, progress (all CommonJS).
    'commander@^13.1.0',
    'cli-table3@^0.6.5',
    'picocolors@^1.1.1',
    'cli-progress@^3.12.0',
  ],
  bin: { 'cdk8s-secure-mesh': 'lib/cli/main.js' },
  devDeps: ['cdk8s-cli@^2.200.0', 'fast-check@^4.0.0', '@types/node@^20', '@types/cli-progress@^3.11.0', '@types/sarif@^2.1.7'],

  // Keep releases and GitHub workflows out: CI is .ci/run.
  release: false,
  github: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  docgen: true,
  eslintOptions: {
    dirs: ['src'],
    ignorePatterns: ['src/imports/**', 'examples/**/imports/**', '*.js', '*.d.ts', 'node_modules/', 'dist/'],
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/lib/'],
    },
  },
  gitignore: ['/dist/', 'examples/*/dist/', '.jsii.tabl.json', '/bench/out/'],
});

// Regenerate the Istio bindings from the pinned CRDs (offline: `cdk8s import` reads the local file).
project.addTask('import', {
  description: `Regenerate src/imports/ from the pinned CRDs in ${ISTIO_CRDS}`,
  steps: [
    { exec: `cdk8s import --language typescript --output src/imports ${ISTIO_CRDS}` },
  ],
});

// The README's main job: synthesize the example blueprint into dist/ and validate every object.
project.addTask('synth:example', {
  description: 'Synthesize examples/blueprint into dist/blueprint and validate every object',
  cwd: 'examples/blueprint',
  steps: [
    { exec: 'cdk8s synth --no-check-upgrade --output ../../dist/blueprint' },
    { exec: 'ts-node --transpile-only validate-output.ts ../../dist/blueprint' },
  ],
});

// Benchmarks: ratios measured in the same run, each point in its own process.
project.addTask('bench', {
  description: 'Synth benchmarks: library vs plain cdk8s, scaling, memory, rule enforcement share',
  steps: [{ exec: 'ts-node --transpile-only bench/run.ts' }],
});

project.addPackageIgnore('/examples/');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/.ci/');

project.synth();
