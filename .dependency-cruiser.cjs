/**
 * Import boundaries of src/ (docs/architecture.md#boundaries), checked in CI by
 * `npm run check:boundaries`: no import circles, and each capability folder under src/
 * (alerts, http, ingest, insights, …) is used from outside only through its index.ts.
 * Files directly in src/ (config.ts, clock.ts, logger.ts, errors.ts, …) are shared leaves
 * any folder may import; they too reach a folder only through its index.ts.
 * Type-only imports count: a circle of types is still a circle to read.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other, directly or round a loop, cannot be read or changed one at a time.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'front-door',
      severity: 'error',
      comment: "A capability folder is used from another folder only through its index.ts; its other files are private.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'front-door-from-shared',
      severity: 'error',
      comment: 'Files directly in src/ (main.ts, cli.ts, …) also reach a capability folder only through its index.ts.',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/.+', pathNot: ['^src/[^/]+/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|sdk)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
