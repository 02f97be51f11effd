// The trainer page as VS Code runs it: a fake host (this test, with core/protocol's host endpoint) talks to the
// webview bundle in headless Chromium through an acquireVsCodeApi shim. Checks the whole message flow:
// ready → trainer/init → trainer/backend (wasm, as asked) → trainer/start → trainer/modelFiles,
// trainer/readDataset → trainer/progress → trainer/saveAdapter (a loadable PEFT adapter) → trainer/finished.
// Three steps on tfjs-wasm (fast); the WebGPU parity is trainer.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSafetensors } from '../../core/formats/safetensors.js';
import { createHostEndpoint } from '../../core/protocol/index.js';
import type { BackendInfo, TrainProgress, TrainSettings, WireMessage } from '../../core/protocol/index.js';
import { bundledModel, fixture } from '../helpers/paths.js';
import { browserSkip, launchChromium, serve, trainerPageFiles } from './page-server.js';

/** JSON cannot carry a Uint8Array: the shim and the host tag it. */
interface TaggedBytes {
  readonly __bytes: number[];
}
function revive(_key: string, value: unknown): unknown {
  return typeof value === 'object' && value !== null && '__bytes' in value
    ? Uint8Array.from((value as TaggedBytes).__bytes)
    : value;
}

// runs in the page before its scripts: what VS Code's webview gives a page, posting to the exposed function
const shim = `
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__pasToHost(JSON.stringify(m, (k, v) => v instanceof Uint8Array ? { __bytes: Array.from(v) } : v)),
  });`;

test(
  'the trainer page runs a training for a (fake) VS Code host over core/protocol',
  { skip: browserSkip, timeout: 300_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-browser-host-'));
    const browser = await launchChromium();
    const server = { close: async () => {} };
    try {
      const rows = fs
        .readFileSync(fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'), 'utf8')
        .split('\n')
        .slice(0, 40);
      const dataset = rows.join('\n') + '\n';
      const files = trainerPageFiles(dir, bundledModel());
      const started = await serve(files);
      server.close = started.close;
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

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
      await page.addInitScript(shim);

      const modelFiles = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
      const asked: string[] = [];
      host.handle('trainer/modelFiles', ({ modelPath }) => {
        asked.push(`model ${modelPath}`);
        return modelFiles.map((name) => ({ name, uri: `${started.url}model/${name}` }));
      });
      host.handle('trainer/readDataset', ({ path: p }) => {
        asked.push(`data ${p}`);
        return { text: dataset };
      });
      let saved: { folder: string; files: Map<string, Uint8Array> } | undefined;
      host.handle('trainer/saveAdapter', ({ folder, files: f }) => {
        saved = { folder, files: new Map(f.map((x) => [x.name, x.bytes])) };
        return { folderUri: `file://${folder}` };
      });
      const progress: TrainProgress[] = [];
      host.on('trainer/progress', (p) => progress.push(p));
      const logs: string[] = [];
      host.on('log', (l) => logs.push(`${l.level}: ${l.message}`));
      const once = <T>(subscribe: (resolve: (v: T) => void) => void): Promise<T> =>
        new Promise<T>((resolve) => {
          subscribe(resolve);
        });
      const ready = once<unknown>((r) => host.on('ready', r));
      const backend = once<BackendInfo>((r) => host.on('trainer/backend', r));
      const finished = once<{ reason: string; message: string }>((r) => host.on('trainer/finished', r));

      await page.goto(started.url);
      await ready;
      const settings: TrainSettings = {
        modelPath: '/models/stories260K',
        datasetPath: '/data/sms40.tsv',
        task: 'classification',
        method: 'PREFIX_TUNING',
        virtualTokens: 10,
        init: 'RANDOM',
        learningRate: 3e-3,
        epochs: 1,
        batchSize: 8,
        maxLength: 32,
        seed: 1,
        maxSteps: 3,
        outputFolder: '/out/adapter',
      };
      host.notify('trainer/init', {
        settings,
        backend: 'wasm',
        forceWebGPU: false,
        wasmBaseUri: `${started.url}wasm`,
      });
      const info = await backend;
      assert.equal(info.backend, 'wasm', `fell back: ${info.fallbackReason ?? ''}`);
      host.notify('trainer/start', settings);
      const end = await finished;
      assert.equal(end.reason, 'completed', end.message);
      assert.deepEqual(asked, ['model /models/stories260K', 'data /data/sms40.tsv']);
      assert.deepEqual(
        progress.map((p) => p.step).filter((s) => s === 1 || s === 3),
        [1, 3],
      );
      for (const p of progress) assert.ok(Number.isFinite(p.loss) && p.loss > 0, `loss ${p.loss}`);
      assert.equal(saved?.folder, '/out/adapter');
      const config = JSON.parse(new TextDecoder().decode(saved.files.get('adapter_config.json'))) as Record<
        string,
        unknown
      >;
      assert.equal(config.peft_type, 'PREFIX_TUNING');
      assert.equal(config.task_type, 'SEQ_CLS');
      const weights = parseSafetensors(saved.files.get('adapter_model.safetensors') ?? new Uint8Array());
      assert.deepEqual(weights.tensors.get('prompt_embeddings')?.shape, [10, 5 * 2 * 32]);
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(problems, []);
      assert.deepEqual(
        logs.filter((l) => l.startsWith('error')),
        [],
      );
    } finally {
      await browser.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
