// Dependency direction (ARCHITECTURE.md, "Folders"): transport -> operations -> domains -> kernel;
// adapters implement kernel ports; domains meet only through each other's index.ts; nothing in
// kernel or domains imports MCP, hono or HTTP types. Run with `npm run deps`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'kernel-is-the-bottom',
      comment: 'src/kernel is shared by every layer, so it imports none of them.',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/(domains|operations|transport)/' },
    },
    {
      name: 'kernel-uses-adapters-only-for-the-schema-type',
      comment:
        'The kernel may name Kysely<Database> (a type-only import of src/adapters/db/schema.ts); ' +
        'anything else from an adapter belongs behind a port in src/kernel/ports.ts.',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/db/schema\\.ts$' },
    },
    {
      name: 'kernel-imports-the-schema-as-types-only',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/adapters/db/schema\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domains-use-only-the-declaration-side-of-operations',
      comment:
        "A domain's *.ops.ts declares operations with define.ts, inputs.ts and presets.ts; the rest of src/operations sits above the domains.",
      severity: 'error',
      from: { path: '^src/domains/' },
      to: { path: '^src/operations/', pathNot: '^src/operations/(define|inputs|presets)\\.ts$' },
    },
    {
      name: 'domains-know-no-transport',
      severity: 'error',
      from: { path: '^src/domains/' },
      to: { path: '^src/transport/' },
    },
    {
      name: 'no-mcp-or-hono-below-the-transports',
      comment: 'Services are plain functions of (ctx, input); protocol types stay in src/transport.',
      severity: 'error',
      from: { path: '^src/(kernel|domains)/' },
      to: { path: '^node_modules/(@modelcontextprotocol/|hono/|@hono/)' },
    },
    {
      name: 'domains-meet-through-index',
      comment: 'Another domain is reached only through its index.ts, which says what it offers.',
      severity: 'error',
      from: { path: '^src/domains/([^/]+)/' },
      to: { path: '^src/domains/', pathNot: ['^src/domains/$1/', '^src/domains/[^/]+/index\\.ts$'] },
    },
    {
      name: 'adapters-know-no-domain',
      comment: 'Adapters implement kernel ports; they do not call services, operations or transports.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(domains|operations|transport)/' },
    },
    {
      name: 'operations-know-no-transport',
      severity: 'error',
      from: { path: '^src/operations/' },
      to: { path: '^src/transport/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle of runtime imports; cycles made only of type-only imports are harmless and allowed.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve would escape every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Sees `import type` too, so type-only imports obey the direction rules.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
