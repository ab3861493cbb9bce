import { cdk8s, javascript } from 'projen';

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
  // Non-jsii runtime dependencies are bundled into the package. Each is CommonJS and has no peer
  // dependencies (npm does not install peers of bundled packages: test/package/bundled-deps.test.ts).
  bundledDeps: [
    'ajv@^8.17.1',
    'yaml@^2.8.0',
    // The audit command: argument parsing, terminal tables, colour, progress (all CommonJS).
    'commander@^13.1.0',
    'cli-table3@^0.6.5',
    'picocolors@^1.1.1',
    'cli-progress@^3.12.0',
  ],
  bin: { 'cdk8s-secure-mesh': 'lib/cli/main.js' },
  devDeps: [
    'cdk8s-cli@^2.200.0', 'fast-check@^4.0.0', '@types/node@^20', '@types/cli-progress@^3.11.0', '@types/sarif@^2.1.7',
    // Vendored at build time into one file each (build-tools/generate.ts): the CEL evaluator with its
    // peer @bufbuild/protobuf, and Kubernetes' compiled OpenAPI validators (4.x: CommonJS), so the
    // package ships only the code that runs, not their ESM copies, type files or peers to install.
    '@bufbuild/cel@^0.6.1', '@bufbuild/protobuf@^2.6.2', 'kubernetes-models@4.5.1', 'esbuild@^0.28.0',
    // Jest transforms TypeScript with swc (type-checking is `tsc -p test/tsconfig.json` in .ci/run).
    '@swc/core@^1.16.0', '@swc/jest@^0.2.39',
  ],

  // Keep releases and GitHub workflows out: CI is .ci/run.
  release: false,
  github: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  // Stack traces still map to src/ lines, but the .js files do not carry the sources (about
  // half of what the package installed).
  tsconfig: { compilerOptions: { inlineSourceMap: true, inlineSources: false } },

  docgen: true,
  eslintOptions: {
    dirs: ['src'],
    ignorePatterns: ['src/imports/**', 'examples/**/imports/**', '*.js', '*.d.ts', 'node_modules/', 'dist/'],
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      // Coverage (v8 -> istanbul per file) triples the suite's time; `npm run test:coverage` collects it.
      collectCoverage: false,
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/lib/'],
      transform: {
        '^.+\\.[t]sx?$': new javascript.Transform('@swc/jest', {
          jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
          module: { type: 'commonjs' },
        }),
      },
    },
  },
  gitignore: ['/dist/', 'examples/*/dist/', 'examples/multi-repo/*/dist/', '.jsii.tabl.json', '/bench/out/', '/generated/'],
});

// The vendored bundles the build writes from installed packages (never committed). Runs before
// compile, tests, the example and the bench.
const generate = project.addTask('generate', {
  description: 'Generate generated/vendor (CEL with its protobuf peer, Kubernetes validators) from installed packages',
  steps: [{ exec: 'ts-node --transpile-only build-tools/generate.ts' }],
});
project.preCompileTask.spawn(generate);
project.addTask('test:coverage', {
  description: 'Run the tests with coverage (coverage/)',
  steps: [{ spawn: 'generate' }, { exec: 'jest --coverage --passWithNoTests --ci' }],
});
project.testTask.prependSpawn(generate);

// Regenerate the Istio bindings and the harness's schemas from the pinned CRDs (read from
// ../shared/crds or the pinned release, checksum-verified).
project.addTask('import', {
  description: 'Regenerate src/imports/ and schemas/ from the pinned Istio CRDs (imports/pins.json)',
  steps: [{ exec: 'ts-node --transpile-only build-tools/import-crds.ts' }],
});

// The README's main job: synthesize the example blueprint into examples/blueprint/dist, validate
// every object, then run the README's audit and access commands on it as a user would (no flags:
// the settings come from examples/blueprint/secure-mesh.yaml). Then the same for its ambient
// variant (examples/blueprint-ambient: the same blueprint on ztunnel and waypoints), and the same
// blueprint as two repositories (examples/multi-repo): the platform's first (it writes the mesh
// contract), then the Bookinfo team's, which reads it; each audited alone with its own settings,
// then both together with the platform's, where a grant written on one side only would show.
const exampleSteps = (dir: string, root = '../..') => [
  { exec: 'cdk8s synth --no-check-upgrade --output dist', cwd: dir },
  { exec: `ts-node --transpile-only ${root}/examples/blueprint/validate-output.ts dist`, cwd: dir },
  { exec: `ts-node --transpile-only ${root}/src/cli/main.ts audit dist/`, cwd: dir },
  { exec: `ts-node --transpile-only ${root}/src/cli/main.ts access dist/`, cwd: dir },
];
const multiRepo = 'examples/multi-repo';
project.addTask('synth:example', {
  description: 'Synthesize examples/blueprint (sidecar), examples/blueprint-ambient and the two repositories of examples/multi-repo into their dist/, '
    + 'validate every object, audit them (the two repositories also together) and print their access matrices',
  steps: [
    { spawn: 'generate' },
    ...exampleSteps('examples/blueprint'),
    ...exampleSteps('examples/blueprint-ambient'),
    ...exampleSteps(`${multiRepo}/platform`, '../../..'),
    ...exampleSteps(`${multiRepo}/app-bookinfo`, '../../..'),
    { exec: 'ts-node --transpile-only ../../../src/cli/main.ts audit dist/ ../app-bookinfo/dist/', cwd: `${multiRepo}/platform` },
    { exec: 'ts-node --transpile-only ../../../src/cli/main.ts access dist/ ../app-bookinfo/dist/', cwd: `${multiRepo}/platform` },
  ],
});

// The README's rule catalogue, generated from the rules (a test fails when it is stale).
project.addTask('docs:rules', {
  description: 'Rewrite the rule catalogue in README.md from the rules',
  steps: [{ exec: 'ts-node --transpile-only build-tools/rule-catalog.ts' }],
});

// Benchmarks: ratios measured in the same run, each point in its own process.
project.addTask('bench', {
  description: 'Synth benchmarks: library vs plain cdk8s, scaling, memory, rule enforcement share',
  // compile: the import-cost point loads lib/ as users do (pre-compile runs generate).
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --transpile-only bench/run.ts' }],
});

// What users may import: the root (constructs, Validation, AccessMatrix, ...), the CLI and the
// validation plugin by their documented paths, and what the jsii runtime reads. Nothing else of lib/.
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', require: './lib/index.js', default: './lib/index.js' },
  './validation-plugin': { types: './lib/cli/validation-plugin.d.ts', require: './lib/cli/validation-plugin.js', default: './lib/cli/validation-plugin.js' },
  './lib/cli/validation-plugin.js': './lib/cli/validation-plugin.js',
  './lib/cli/main.js': './lib/cli/main.js',
  './.jsii': './.jsii',
  './package.json': './package.json',
});

project.addPackageIgnore('/examples/');
project.addPackageIgnore('/build-tools/');
project.addPackageIgnore('/imports/');
project.addPackageIgnore('*.tgz');
project.addPackageIgnore('/generated/stamp.json');
project.addPackageIgnore('/bench/');
project.addPackageIgnore('/.ci/');

project.synth();
