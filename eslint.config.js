import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/layers.js';

const root = import.meta.dirname;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'test-results/**', 'playwright-report/**', 'release/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { layers: layersPlugin },
    rules: {
      'layers/layers': ['error', { root }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'No default exports: name what you export.' }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer'],
              message: 'Raw IPC only in main/electron/ipc.ts and preload/; use the typed contract in shared/rpc.ts.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    files: ['main/electron/ipc.ts', 'preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The web chat widget: a hand-written browser script served as it is (no build), so it
    // is linted as what it is: a classic script in ES2019, browser globals, no layers.
    files: ['server/channels/webchat/static/**/*.js'],
    languageOptions: { ecmaVersion: 2019, sourceType: 'script', globals: { ...globals.browser } },
    rules: { 'layers/layers': 'off', '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
  {
    // Config files are read by their tools, which want a default export.
    files: ['*.config.{ts,js}', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
