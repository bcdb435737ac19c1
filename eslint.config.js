// Lint: typescript-eslint's type-aware recommended rules over every TypeScript file of the
// workspace, with formatting left to Prettier (eslint-config-prettier is not needed: the
// recommended sets hold no formatting rules).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'deploy/validate/**',
      '.build/**',
      '**/*.cjs',
      '**/*.mjs',
      '**/*.js',
      'packages/console/vite.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Test files are outside the packages' build configs; tsconfig.test.json types them.
      parserOptions: {
        project: ['./tsconfig.test.json', './packages/*/tsconfig.json', './services/*/tsconfig.json', './migrations/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Tests read JSON answers of the API under test and assert on them with chai, which checks
    // their shape at run time; typing every answer would only restate the assertions.
    files: ['**/*.test.ts', '**/*.testkit.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'chaos/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // chai's property assertions (`expect(x).to.be.empty`) are expressions by design.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Fakes of async interfaces are async without awaiting: a throw in them must be a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Preact ignores what an event handler returns; the console's handlers catch their own errors
    // and show them, so an async handler is fine where a DOM attribute expects a void one.
    files: ['packages/console/src/**/*.tsx'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }] },
  },
  {
    // Migrations are frozen in time: they must not depend on today's table types (Kysely's advice).
    files: ['migrations/src/migrations/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
