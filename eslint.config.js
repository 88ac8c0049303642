import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layer rules (docs/architecture.md "Layer rules"): which src folders a folder may import.
// `escapes(depth, allowed)` matches a relative import that climbs `depth` levels — out of the file's
// top-level src folder — into any folder but the allowed ones.
const escapes = (depth, allowed) => `^(?:\\.\\./){${depth}}(?!(?:${allowed.join('|')})/)`;
const onlyImports = (files, depth, allowed, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: escapes(depth, allowed), message }] }] },
});
const NO_IO = { regex: '^node:', message: 'src/core has no I/O: no Node built-ins (docs/architecture.md "Layer rules").' };
const layerRules = [
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: escapes(1, ['core']), message: 'src/core imports nothing from other src folders (docs/architecture.md "Layer rules").' }, NO_IO] },
      ],
    },
  },
  onlyImports(['src/distro/**/*.ts'], 1, ['core', 'distro'], 'src/distro imports only src/core (docs/architecture.md "Layer rules").'),
  onlyImports(['src/raft/*.ts'], 1, ['core', 'raft'], 'src/raft imports only src/core (docs/architecture.md "Layer rules").'),
  onlyImports(['src/raft/disk/**/*.ts'], 2, ['core', 'raft'], 'src/raft imports only src/core (docs/architecture.md "Layer rules").'),
  {
    files: ['src/transport/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '/core/registry(?:\\.js)?$', message: 'transport reads naming state through naming/catalog.ts, never the registry (docs/architecture.md "Layer rules").' },
            {
              regex: '/core/metadata(?:\\.js)?$',
              importNames: ['MetadataIndex'],
              message: 'transport reads naming state through naming/catalog.ts, never the metadata index (docs/architecture.md "Layer rules").',
            },
          ],
        },
      ],
    },
  },
  // The cluster transport does not import the SDK transport; the shared codec is src/wire/.
  {
    files: ['src/cluster/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+transport/', message: 'the cluster code does not import the SDK/HTTP transports; shared codec code lives in src/wire/ (docs/architecture.md "Layer rules").' }] },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'console/dist/**', 'bench/results/**', 'vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
  // Type-aware promise rules (issue 12): a promise is awaited, returned, or handled with .catch;
  // `void` marks a deliberate fire-and-forget whose errors are handled inside it.
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['console/src/**/*.ts', 'console/src/**/*.tsx'],
    languageOptions: { parserOptions: { project: './console/tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
);
