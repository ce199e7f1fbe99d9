// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // INVARIANT: the kernel is pure: no I/O, no Node built-ins, no adapters or shells (DESIGN §11).
    files: ['src/kernel/**/*.ts'],
    ignores: ['src/kernel/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'src/kernel is pure: take I/O through a port',
          })),
          patterns: [
            { group: ['node:*'], message: 'src/kernel is pure: take I/O through a port' },
            {
              group: ['**/governor/**', '**/adapters/**', '**/shells/**', '**/sdk/**'],
              message: 'dependencies point into the kernel, never out of it',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        'process',
        'Buffer',
        'require',
        '__dirname',
        'setTimeout',
        'setInterval',
        'fetch',
      ],
    },
  },
  {
    files: ['src/governor/**/*.ts'],
    ignores: ['src/governor/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', '**/shells/**'],
              message: 'the governor sees adapters only through ports',
            },
          ],
        },
      ],
    },
  },
  {
    // the demo's sandboxed agent scripts: plain Node ESM, run by `agentos run`
    files: ['examples/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
);
