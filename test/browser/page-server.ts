// Helpers of the browser tests: the trainer page bundle and a static server on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Playwright from 'playwright-core';
import { repoRoot } from '../helpers/paths.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Why a browser test cannot run here, or false. */
export const browserSkip = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (scripts/e2e-setup.sh installs it)`;

/** playwright-core, loaded at run time from node_modules (it is not bundle-friendly). */
export function playwright(): typeof Playwright {
  return createRequire(path.join(repoRoot, 'package.json'))('playwright-core') as typeof Playwright;
}

/** Chromium with WebGPU: --enable-unsafe-webgpu alone gives the SwiftShader adapter headless (recipes/webgpu). */
export function launchChromium(): Promise<Playwright.Browser> {
  return playwright().chromium.launch({
    executablePath: CHROMIUM,
    args: ['--enable-unsafe-webgpu', '--headless=new', '--no-sandbox', '--disable-gpu-sandbox'],
  });
}

/** The static files every trainer page needs: the page, the bundle, tfjs's .wasm files, a model folder. */
export function trainerPageFiles(dir: string, modelDir: string): Map<string, string> {
  const files = new Map<string, string>([
    ['/', path.join(dir, 'index.html')],
    ['/trainer.js', buildTrainerBundle(dir)],
  ]);
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>trainer</title><body><script src="/trainer.js"></script></body>',
  );
  const wasmDir = path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of fs.readdirSync(wasmDir).filter((n) => n.endsWith('.wasm')))
    files.set(`/wasm/${f}`, path.join(wasmDir, f));
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'])
    files.set(`/model/${f}`, path.join(modelDir, f));
  return files;
}

/** The webview bundle of trainer.ts, with esbuild.mjs's webview options, into `dir` (not dist/: no races). */
export function buildTrainerBundle(dir: string): string {
  const out = path.join(dir, 'trainer.js');
  const result = spawnSync(
    path.join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      path.join(repoRoot, 'webview', 'trainer.ts'),
      '--bundle',
      '--platform=browser',
      '--format=iife',
      '--target=chrome120,es2022',
      '--minify',
      `--outfile=${out}`,
      '--log-level=warning',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `esbuild failed on webview/trainer.ts: ${result.stderr}`);
  return out;
}

/** A static server for the page, the bundle, the tfjs wasm files, the model folder and the dataset. */
export async function serve(
  files: ReadonlyMap<string, string>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
  };
  const server = http.createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
