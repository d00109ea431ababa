/**
 * The layer rule (VS Code's code-layering idea): folders are layers, imports go downwards
 * only, and each layer may use only the packages listed for it. Errors, never warnings.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Layer → the layers it may import (itself included) and the packages it may use. */
export const LAYERS = {
  shared: { layers: ['shared'], packages: ['zod', 'intl-messageformat'], node: false },
  server: {
    layers: ['shared', 'server'],
    packages: [
      'zod',
      'socket.io',
      'nodemailer',
      'smtp-server',
      'mailparser',
      'imapflow',
      'fast-xml-parser',
      'libphonenumber-js',
      'iconv-lite',
      'rate-limiter-flexible',
      'better-sqlite3-multiple-ciphers',
      'pg',
      'ioredis',
      '@socket.io/redis-streams-adapter',
      'exceljs',
    ],
    node: true,
  },
  'main/core': { layers: ['shared', 'main/core'], packages: ['zod', 'better-sqlite3-multiple-ciphers', 'socket.io-client'], node: true },
  'main/web': { layers: ['shared', 'main/core', 'main/web'], packages: ['zod', 'ws'], node: true },
  'main/electron': { layers: ['shared', 'main/core', 'main/electron'], packages: ['zod', 'electron'], node: true },
  preload: { layers: ['shared', 'preload'], packages: ['electron'], node: false, typeOnly: ['shared'] },
  renderer: {
    layers: ['shared', 'renderer'],
    packages: [
      'react',
      'react/jsx-runtime',
      'react-dom',
      'react-dom/client',
      'zustand',
      'zustand/react/shallow',
      'zustand/vanilla',
      '@tanstack/react-virtual',
      'uplot',
      'uplot/dist/uPlot.min.css',
      'intl-messageformat',
    ],
    node: false,
  },
};

/** Test harnesses (e2e, bench, scripts, *.test.ts) may reach any layer to start real parts; `testing/` helpers may use these packages. */
const TEST_PACKAGES = ['vitest', 'fast-check', '@playwright/test', 'socket.io-client', 'nodemailer', 'imapflow'];

export function layerOf(file, root) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  for (const layer of Object.keys(LAYERS).sort((a, b) => b.length - a.length)) {
    if (rel === layer || rel.startsWith(`${layer}/`)) return layer;
  }
  return null;
}

function packageName(source) {
  const parts = source.split('/');
  return source.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export const layersPlugin = {
  rules: {
    layers: {
      meta: {
        type: 'problem',
        docs: { description: 'Imports go downwards between layers; each layer uses only its own packages.' },
        schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
      },
      create(context) {
        const root = context.options[0]?.root ?? context.cwd;
        const file = context.filename;
        const layer = layerOf(file, root);
        if (!layer) return {};
        const rules = LAYERS[layer];
        const isTest = /\.test\.tsx?$/.test(file);
        // A layer's `testing/` folder holds helpers its tests share: test packages, but still the layer's own imports.
        const isTestHelper = /(^|[\\/])testing[\\/]/.test(path.relative(root, file));

        function check(node, source, typeOnly) {
          if (typeof source !== 'string') return;
          if (source.startsWith('.')) {
            const target = layerOf(path.resolve(path.dirname(file), source), root);
            if (isTest || target === layer) return;
            if (!target || !rules.layers.includes(target)) {
              context.report({ node, message: `Layer "${layer}" must not import from "${target ?? source}" (allowed: ${rules.layers.join(', ')}).` });
            } else if (rules.typeOnly?.includes(target) && !typeOnly) {
              context.report({ node, message: `Layer "${layer}" may import only types from "${target}" (use "import type").` });
            }
            return;
          }
          if (NODE_BUILTINS.has(source)) {
            if (!rules.node) context.report({ node, message: `Layer "${layer}" runs outside Node and must not import "${source}".` });
            return;
          }
          const allowed = [...rules.packages, ...(isTest || isTestHelper ? TEST_PACKAGES : [])];
          if (!allowed.includes(source) && !allowed.includes(packageName(source))) {
            context.report({ node, message: `Layer "${layer}" must not use package "${source}" (allowed: ${allowed.join(', ')}).` });
          }
        }

        return {
          ImportDeclaration(node) {
            check(node, node.source.value, node.importKind === 'type');
          },
          ExportNamedDeclaration(node) {
            if (node.source) check(node, node.source.value, node.exportKind === 'type');
          },
          ExportAllDeclaration(node) {
            check(node, node.source.value, node.exportKind === 'type');
          },
          ImportExpression(node) {
            if (node.source.type === 'Literal') check(node, node.source.value, false);
          },
          CallExpression(node) {
            if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]?.type === 'Literal') {
              check(node, node.arguments[0].value, false);
            }
          },
        };
      },
    },
  },
};
