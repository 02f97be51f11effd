// The attention view's page (webview/attention.ts) as VS Code runs it: a fake host (core/protocol's host endpoint)
// hands it the model and adapter files as URLs ('attention/init'); the page loads stories260K and the golden
// prompt-tuning / prefix-tuning adapter, runs the forward on tfjs-wasm and reports its shares
// ('attention/computed'), which must equal virtualAttentionShares of the same forward in Node (cpu) within 1e-5.
// The heatmap has one cell per layer × head; clicking one shows the text × virtual tokens matrix with the
// decoded tokens as row labels. Screenshots: test-results/attention-<adapter>.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Playwright from 'playwright-core';
import { initBackend } from '../../cli/backend.js';
import { readAdapterDir } from '../../cli/files.js';
import { loadModel, requireTokenizer } from '../../cli/load.js';
import type { LoadedModel } from '../../cli/load.js';
import { virtualAttentionShares } from '../../core/inspect/attention.js';
import { isPrefixMethod } from '../../core/prompts/peft.js';
import { runForward } from '../../core/prompts/run.js';
import type { AttentionComputed } from '../../core/protocol/index.js';
import { bundledModel, fixture, repoRoot } from '../helpers/paths.js';
import { browserSkip, buildWebviewPage, fakeVsCodeHost, launchChromium, serve } from './page-server.js';

const TEXT = 'Once upon a time, there was a little dog.';
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const ADAPTERS = ['stories260K_prompt_tuning', 'stories260K_prefix_tuning'];

function buildPage(dir: string): void {
  buildWebviewPage('attention', dir);
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    // the stylesheet is added by the test (page-server's static server has no text/css type)
    '<!doctype html><meta charset="utf-8"><title>attention</title>' +
      '<body><main id="app"></main><script src="/attention.js"></script></body>',
  );
}

void describe('attention view page', { skip: browserSkip, timeout: 300_000 }, () => {
  let dir: string;
  let browser: Playwright.Browser;
  let server: { url: string; close: () => Promise<void> };
  let loaded: LoadedModel;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-browser-attention-'));
    buildPage(dir);
    const files = new Map<string, string>([
      ['/', path.join(dir, 'index.html')],
      ['/attention.js', path.join(dir, 'attention.js')],
    ]);
    const wasmDir = path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
    for (const f of fs.readdirSync(wasmDir).filter((n) => n.endsWith('.wasm')))
      files.set(`/wasm/${f}`, path.join(wasmDir, f));
    for (const f of MODEL_FILES) files.set(`/model/${f}`, path.join(bundledModel(), f));
    for (const a of ADAPTERS)
      for (const f of ['adapter_config.json', 'adapter_model.safetensors'])
        files.set(`/adapters/${a}/${f}`, path.join(fixture('golden', 'adapters'), a, f));
    server = await serve(files);
    browser = await launchChromium();
    await initBackend('cpu');
    loaded = await loadModel(bundledModel());
  });

  after(async () => {
    loaded.model.dispose();
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ADAPTERS) {
    void it(`${name}: the page's shares equal Node's virtualAttentionShares (≤ 1e-5); heatmap and matrix`, async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      const { host, problems } = await fakeVsCodeHost(page);
      const errors: string[] = [];
      const computed = new Promise<AttentionComputed>((resolve, reject) => {
        host.on('attention/computed', resolve);
        host.on('log', (l) => {
          if (l.level === 'error') {
            errors.push(l.message);
            reject(new Error(l.message));
          }
        });
      });
      host.on('ready', () => {
        host.notify('attention/init', {
          adapterName: name,
          modelName: 'stories260K',
          modelFiles: MODEL_FILES.map((f) => ({ name: f, uri: `${server.url}model/${f}` })),
          adapterFiles: ['adapter_config.json', 'adapter_model.safetensors'].map((f) => ({
            name: f,
            uri: `${server.url}adapters/${name}/${f}`,
          })),
          text: TEXT,
          backend: 'wasm',
          forceWebGPU: false,
          wasmBaseUri: `${server.url}wasm/`,
        });
      });
      const t0 = performance.now();
      await page.goto(server.url);
      await page.addStyleTag({ path: path.join(dir, 'attention.css') });
      const result = await computed;
      const pageMs = performance.now() - t0;

      // the same forward in Node, and the definition's numbers
      const adapter = readAdapterDir(path.join(fixture('golden', 'adapters'), name));
      const tokenizer = requireTokenizer(loaded);
      const ids = tokenizer.encode(TEXT);
      const report = await runForward(loaded.model, adapter, {
        inputIds: { data: Int32Array.from(ids), shape: [1, ids.length] },
        outputAttentions: true,
      });
      const kind = isPrefixMethod(adapter.config.peftType) ? 'prefix' : 'soft';
      const expected = virtualAttentionShares(
        report.attentions!,
        0,
        ids.map(() => 1),
        8,
        kind,
      );
      assert.equal(result.backend, 'wasm');
      assert.equal(result.kind, kind);
      assert.equal(result.virtualTokens, 8);
      assert.equal(result.tokens.length, ids.length);
      assert.equal(result.shares.length, 5, 'stories260K has 5 layers');
      let worst = 0;
      result.shares.forEach((row, l) => {
        assert.equal(row.length, 8, 'and 8 heads');
        row.forEach((v, h) => {
          worst = Math.max(worst, Math.abs(v - expected.shares[l]![h]!));
        });
      });
      assert.ok(worst <= 1e-5, `largest difference page (wasm) vs Node (cpu): ${worst}`);

      // the heatmap: one cell per layer × head with the value in its title; a click shows that matrix
      assert.equal(await page.locator('.heatmap .cell').count(), 40);
      const cell = page.locator('.heatmap .cell[data-layer="2"][data-head="3"]');
      assert.match((await cell.getAttribute('title')) ?? '', /^layer 2, head 3: 0\.\d{6}$/);
      await cell.click();
      const caption = await page.locator('#token-matrix caption').innerText();
      assert.match(caption, /Layer 2, head 3/);
      assert.equal(
        await page.locator('#token-matrix tbody tr').count(),
        ids.length,
        'one row per text token',
      );
      const firstLabels = await page.locator('#token-matrix tbody th').allInnerTexts();
      assert.deepEqual(
        firstLabels,
        result.tokens.map((t) => JSON.stringify(t)),
      );
      // each row's mean over the rows is the cell's share
      const rowSums = (await page.locator('#token-matrix td.sum').allInnerTexts()).map(Number);
      const mean = rowSums.reduce((s, x) => s + x, 0) / rowSums.length;
      assert.ok(
        Math.abs(mean - result.shares[2]![3]!) < 2e-3,
        `matrix mean ${mean} vs share ${result.shares[2]![3]}`,
      );
      fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
      await page.screenshot({
        path: path.join(repoRoot, 'test-results', `attention-${name}.png`),
        fullPage: true,
      });
      console.log(
        `# ${name}: page load + forward ${pageMs.toFixed(0)} ms, max |Δ| ${worst.toExponential(2)}`,
      );
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(problems, []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});
