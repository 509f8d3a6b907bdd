// ESLint flat config: typescript-eslint's recommended rules on top of ESLint's, for src, test, bench.
// (Biome was the first choice, but the registry this project installs from serves only its Linux
// binaries, so a lockfile that `npm ci` accepts on every platform cannot be written.)
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'scratch/', 'test/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-control-regex': 'off',
      'no-misleading-character-class': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
