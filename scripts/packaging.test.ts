/**
 * Packaging smoke test: `npm run package` with electron-builder's `dir` target and a stub
 * Electron distribution (the real binary cannot be downloaded here), then a look inside
 * the resulting app.asar. It proves the archive holds the entry points and every module
 * they import, and that the native SQLite module sits outside the archive. It does not run
 * the packaged app.
 */
import { extractFile, listPackage } from '@electron/asar';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const workDir = mkdtempSync(path.join(tmpdir(), 'omnidesk-package-'));
const outputDir = path.join(workDir, 'release');
const resourcesDir = path.join(outputDir, 'linux-unpacked', 'resources');
const asarPath = path.join(resourcesDir, 'app.asar');
let files = new Set<string>();
let packageLog = '';

beforeAll(() => {
  // electron-builder copies this folder as "Electron" and renames the `electron` executable.
  const stubDist = path.join(workDir, 'electron-stub');
  mkdirSync(stubDist, { recursive: true });
  writeFileSync(path.join(stubDist, 'electron'), '#!/bin/sh\necho "stub Electron: the packaged app is not run in this test" >&2\nexit 1\n');
  chmodSync(path.join(stubDist, 'electron'), 0o755);

  const result = spawnSync(
    process.execPath,
    ['scripts/package.mjs', '--linux', 'dir', `-c.electronDist=${stubDist}`, '-c.npmRebuild=false', `-c.directories.output=${outputDir}`],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  packageLog = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`npm run package failed (exit ${String(result.status)}):\n${packageLog.slice(-6000)}`);
  files = new Set(listPackage(asarPath, { isPack: false }).map((file) => file.split(path.sep).join('/')));
}, 180_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('the packaged app (electron-builder --linux dir, stub Electron)', () => {
  test('app.asar holds the manifest, the main process, the core process entry, the preload and the renderer', () => {
    expect(existsSync(asarPath), packageLog.slice(-3000)).toBe(true);
    for (const file of [
      '/package.json',
      '/dist/electron/main/electron/main.js',
      '/dist/electron/main/electron/ipc.js',
      // utilityProcess.fork's entry (main/electron/coreProcess.ts) and the core it runs.
      '/dist/electron/main/electron/coreHost.js',
      '/dist/electron/main/core/coreHost.js',
      '/dist/electron/main/core/index.js',
      '/dist/electron/preload/preload.cjs',
      '/dist/renderer/index.html',
    ]) {
      expect(files.has(file), `${file} missing from app.asar`).toBe(true);
    }
    const manifest = JSON.parse(extractFile(asarPath, 'package.json').toString('utf8')) as { main: string; type: string };
    expect(manifest.type).toBe('module');
    expect(files.has(`/${manifest.main}`), `package.json main (${manifest.main}) is not in app.asar`).toBe(true);
  });

  test('better-sqlite3-multiple-ciphers is in the archive and its native .node file is unpacked beside it', () => {
    expect(files.has('/node_modules/better-sqlite3-multiple-ciphers/lib/index.js')).toBe(true);
    const unpacked = path.join(resourcesDir, 'app.asar.unpacked', 'node_modules', 'better-sqlite3-multiple-ciphers', 'build', 'Release', 'better_sqlite3.node');
    expect(existsSync(unpacked), `${unpacked} missing`).toBe(true);
  });

  test('only compiled output ships: no TypeScript sources, server code, source maps or dev tools', () => {
    const leaked = [...files].filter(
      (file) =>
        (!file.startsWith('/node_modules/') && (file.endsWith('.ts') || file.endsWith('.tsx'))) ||
        file.startsWith('/server/') ||
        file.startsWith('/renderer/') ||
        (file.startsWith('/dist/') && file.endsWith('.map')) ||
        file.startsWith('/node_modules/tsx/') ||
        file.startsWith('/node_modules/electron/'),
    );
    expect(leaked).toEqual([]);
  });

  test('every import of the compiled main process and core resolves inside the archive', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    const compiled = [...files].filter((file) => file.startsWith('/dist/electron/') && /\.(c|m)?js$/.test(file));
    expect(compiled.length).toBeGreaterThan(3);
    const unresolved: string[] = [];
    for (const file of compiled) {
      const source = extractFile(asarPath, file.slice(1)).toString('utf8');
      // A specifier has no spaces or commas: a word list holding 'from' (shared/knowledge.ts's stop words) is not an import.
      const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'\s,]+)["']/gm)].map((match) => match[1]!);
      for (const specifier of specifiers) {
        if (specifier === 'electron' || builtins.has(specifier)) continue;
        if (specifier.startsWith('.')) {
          const target = path.posix.resolve(path.posix.dirname(file), specifier);
          if (!files.has(target)) unresolved.push(`${file} → ${specifier}`);
          continue;
        }
        const parts = specifier.split('/');
        const packageName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
        if (!files.has(`/node_modules/${packageName}/package.json`)) unresolved.push(`${file} → ${specifier}`);
      }
    }
    expect(unresolved).toEqual([]);
  });
});

describe('the packaged node_modules', () => {
  // Used only while installing better-sqlite3-multiple-ciphers (it fetches prebuilt binaries); left out on purpose.
  const INSTALL_TIME_ONLY = new Set(['prebuild-install']);

  test('every packaged package has its runtime dependencies packaged too', () => {
    const manifests = [...files].filter(
      (file) =>
        /^\/node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(file) ||
        /\/node_modules\/(@[^/]+\/)?[^/@]+\/node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(file),
    );
    expect(manifests.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const manifestFile of manifests) {
      const manifest = JSON.parse(extractFile(asarPath, manifestFile.slice(1)).toString('utf8')) as { name?: string; dependencies?: Record<string, string> };
      const packageDir = path.posix.dirname(manifestFile);
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        if (INSTALL_TIME_ONLY.has(dependency)) continue;
        // Node looks in the package's own node_modules, then in each parent's.
        let dir = packageDir;
        let found = false;
        while (dir !== '/' && !found) {
          found = files.has(`${dir}/node_modules/${dependency}/package.json`);
          dir = path.posix.dirname(dir);
        }
        found ||= files.has(`/node_modules/${dependency}/package.json`);
        if (!found) missing.push(`${manifest.name ?? manifestFile} needs ${dependency}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
