/**
 * The rings, as rules that fail `npm test` (README "Layout"):
 *   engine/    ring 1, what ships inside a Lambda: imports no outer ring
 *   functions/ infra/   ring 2: Lambda handlers and the CDK app; may import engine/
 *   local/ cli/ bench/  ring 3: the local runtime, the sluice command, benchmarks; may import rings 1-2
 *   jobs/      the job catalog and the demo job: imports engine/ only, through #sluice/... (package.json "imports")
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-is-ring-one',
      comment: 'engine/ ships inside a Lambda: it imports no handler, CDK, local runtime, CLI, benchmark or job code.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: '^(functions|infra|local|cli|bench|jobs|scripts|test)/' },
    },
    {
      name: 'protocol-is-pure',
      comment:
        'engine/protocol is pure: it imports only the errors, json and other protocol files (no ports, no adapters, no I/O), ' +
        'and zod, which is pure validation with no I/O (the WAL record decoder checks stored records with it).',
      severity: 'error',
      from: { path: '^engine/protocol/' },
      // node:crypto only for hashing (MD5 of keys, as Kinesis hashes partition keys): pure, no I/O.
      to: { pathNot: ['^engine/(protocol/|errors\\.ts$|json\\.ts$)', '^(node:)?crypto$', '(^|/)node_modules/zod/'] },
    },
    {
      name: 'adapters-do-not-import-each-other',
      comment: 'One adapter per port and backend: aws, kafka and memory adapters share code only through engine/ (ports, protocol, state).',
      severity: 'error',
      from: { path: '^engine/adapters/([^/]+)/' },
      to: { path: '^engine/adapters/([^/]+)/', pathNot: '^engine/adapters/$1/' },
    },
    {
      name: 'ring-two-stays-out-of-ring-three',
      comment: 'Handlers and the CDK app are deployed: they import no local runtime, CLI or benchmark code.',
      severity: 'error',
      from: { path: '^(functions|infra)/' },
      to: { path: '^(local|cli|bench|scripts|test)/' },
    },
    {
      name: 'jobs-use-the-engine-only',
      comment: 'Jobs are bundled into the executor: they import engine/ (and each other), nothing else of the repository.',
      severity: 'error',
      from: { path: '^jobs/' },
      to: { path: '^(functions|infra|local|cli|bench|scripts|test)/' },
    },
    {
      name: 'jobs-import-the-engine-by-package-path',
      comment:
        "Jobs import the engine through package.json's imports (#sluice/job, #sluice/catalog, #sluice/testing), " +
        'never by a relative path into engine/, so a job reads the same wherever it sits.',
      severity: 'error',
      from: { path: '^jobs/' },
      to: { path: '^engine/', dependencyTypesNot: ['aliased-subpath-import'] },
    },
    {
      name: 'nothing-imports-tests-or-scripts',
      comment: 'scripts/ are entry points and test/ is the suite: no product code imports them.',
      severity: 'error',
      from: { pathNot: '^(test|scripts|bin)/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form a layered graph: no two folders import each other, directly or through others.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment: 'No file imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a moved file left a stale path).',
      severity: 'error',
      from: {},
      // aws-lambda is a types-only package (@types/aws-lambda).
      to: { couldNotResolve: true, pathNot: '^aws-lambda$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.sluice)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
