// Helpers of the browser tests: webview page bundles, a fake VS Code host for them, and a static server on
// 127.0.0.1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Playwright from 'playwright-core';
import { createHostEndpoint } from '../../core/protocol/index.js';
import type { HostEndpoint, WireMessage } from '../../core/protocol/index.js';
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
  return buildWebviewPage('trainer', dir);
}

/**
 * A webview page's bundle (webview/<name>.ts) with esbuild.mjs's webview options into `dir/<name>.js`, and its
 * stylesheet (webview/<name>.css) beside it when there is one. Returns the bundle's path.
 */
export function buildWebviewPage(name: string, dir: string): string {
  const out = path.join(dir, `${name}.js`);
  const result = spawnSync(
    path.join(repoRoot, 'node_modules', '.bin', 'esbuild'),
    [
      path.join(repoRoot, 'webview', `${name}.ts`),
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
  assert.equal(result.status, 0, `esbuild failed on webview/${name}.ts: ${result.stderr}`);
  const css = path.join(repoRoot, 'webview', `${name}.css`);
  if (fs.existsSync(css)) fs.copyFileSync(css, path.join(dir, `${name}.css`));
  return out;
}

/** JSON cannot carry a Uint8Array: the shim and the fake host tag it. */
interface TaggedBytes {
  readonly __bytes: number[];
}

function revive(_key: string, value: unknown): unknown {
  return typeof value === 'object' && value !== null && '__bytes' in value
    ? Uint8Array.from((value as TaggedBytes).__bytes)
    : value;
}

/** Runs in the page before its scripts: what VS Code's webview gives a page, posting to the fake host. */
const vscodeApiShim = `
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__pasToHost(JSON.stringify(m, (k, v) => v instanceof Uint8Array ? { __bytes: Array.from(v) } : v)),
  });`;

/**
 * Plays VS Code's extension host for a page that is about to load: core/protocol's host endpoint over the
 * page's window messages (and an acquireVsCodeApi shim). Call before page.goto. `problems` collects what the
 * endpoint's guards refused.
 */
export async function fakeVsCodeHost(
  page: Playwright.Page,
): Promise<{ host: HostEndpoint; problems: string[] }> {
  let deliver: ((message: unknown) => void) | undefined;
  const problems: string[] = [];
  const host = createHostEndpoint(
    {
      post(message: WireMessage) {
        void page.evaluate((m) => {
          window.postMessage(m, '*');
        }, message);
      },
      listen(handler) {
        deliver = handler;
        return () => {
          deliver = undefined;
        };
      },
    },
    { onProblem: (m) => problems.push(m) },
  );
  await page.exposeFunction('__pasToHost', (json: string) => {
    deliver?.(JSON.parse(json, revive));
  });
  await page.addInitScript(vscodeApiShim);
  return { host, problems };
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
    '.css': 'text/css',
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
