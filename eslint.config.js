import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/layers.js';

const root = import.meta.dirname;

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'test-results/**', 'playwright-report/**', 'release/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Type-aware rules read each file through the TypeScript project that owns it (the
    // solution tsconfig.json references one tsconfig per runtime).
    languageOptions: { globals: { ...globals.node }, parserOptions: { projectService: true, tsconfigRootDir: root } },
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
      // Issue 9 names these two. Template expressions take strings only: a number, boolean,
      // nullish, Error or object is turned into text on purpose, with String() or a formatter,
      // so `undefined`, `[object Object]` and unlocalised numbers cannot slip into text.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allow: [], allowAny: false, allowBoolean: false, allowNullish: false, allowNumber: false, allowRegExp: false, allowNever: false },
      ],
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
    // Plain JavaScript belongs to no tsconfig: no type information, so no type-aware rules.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Config files are read by their tools, which want a default export.
    files: ['*.config.{ts,js}', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
