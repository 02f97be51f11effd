// Issue 4, acceptance 2: the webview's training code on WebGPU (headless Chromium, SwiftShader adapter, forced)
// gives the same per-step losses as the CLI on tfjs-wasm for the same seed: each of the first 20 steps within
// 1e-3 relative.
//
// Three runs of the same 20 steps (the first 64 rows of the SMS spam fixture plus 16 of them relabelled, batch
// 8, seed 1, prefix tuning, max length 32; the CLI's other defaults):
//   1. the real CLI command (`prompt-adapter train`, in-process, --backend wasm): its training log holds the
//      steps it reported (the first, the last, and about one every 2 s);
//   2. the webview's training code (webview/trainer/run-classification.ts) in this Node process on tfjs-wasm,
//      which must repeat the CLI's losses exactly where the CLI logged them (same backend, same operations);
//   3. the webview bundle (webview/trainer.ts, built here with the webview target's esbuild options) in
//      headless Chromium on tfjs-webgpu, every op on the GPU (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD = 0).
// Skipped, with the reason, when Debian's Chromium is missing (scripts/e2e-setup.sh installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../cli/backend.js';
import { trainCommand } from '../../cli/commands/train.js';
import { loadModel, requireTokenizer } from '../../cli/load.js';
import { TRAINING_LOG_FILE } from '../../core/tasks/metadata.js';
import {
  CLI_CLASSIFICATION_DEFAULTS,
  runClassificationTraining,
} from '../../webview/trainer/run-classification.js';
import type { ClassificationRunSettings } from '../../webview/trainer/run-classification.js';
import type { TrainerPageApi, UrlRunRequest, UrlRunResult } from '../../webview/trainer/page-api.js';
import { bundledModel, fixture } from '../helpers/paths.js';
import { browserSkip, launchChromium, serve, trainerPageFiles } from './page-server.js';

const STEPS = 20;
const ROWS = 64;
const CONFLICTING = 16;
const settings: ClassificationRunSettings = {
  ...CLI_CLASSIFICATION_DEFAULTS,
  method: 'prefix',
  steps: STEPS,
  batchSize: 8,
  maxLength: 32,
  seed: 1,
};
const cliArgs = [
  '--task',
  'classification',
  '--method',
  'prefix',
  '--steps',
  String(STEPS),
  '--batch-size',
  '8',
  '--max-length',
  '32',
  '--seed',
  '1',
  '--backend',
  'wasm',
];

function relativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

async function cliLoggedLosses(dataFile: string, outDir: string): Promise<Map<number, number>> {
  await trainCommand.run(['--model', bundledModel(), '--data', dataFile, '--out', outDir, ...cliArgs]);
  const logged = new Map<number, number>();
  for (const line of fs.readFileSync(path.join(outDir, TRAINING_LOG_FILE), 'utf8').split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { step?: number; loss?: number };
    if (typeof entry.step === 'number' && typeof entry.loss === 'number') logged.set(entry.step, entry.loss);
  }
  return logged;
}

async function nodeWasmLosses(dataFile: string): Promise<readonly number[]> {
  await initBackend('wasm');
  const loaded = await loadModel(bundledModel());
  try {
    const run = await runClassificationTraining({
      model: loaded.model,
      tokenizer: requireTokenizer(loaded),
      dataText: fs.readFileSync(dataFile, 'utf8'),
      dataSource: path.basename(dataFile),
      settings,
    });
    return run.result.losses;
  } finally {
    loaded.model.dispose();
  }
}

async function browserWebgpuRun(served: string, request: UrlRunRequest): Promise<UrlRunResult> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(served);
    const result = await page.evaluate(async (req) => {
      const api = (globalThis as { promptAdapterTrainer?: TrainerPageApi }).promptAdapterTrainer;
      if (api === undefined) throw new Error('the trainer bundle did not expose promptAdapterTrainer');
      return api.runFromUrls(req);
    }, request);
    assert.deepEqual(errors, [], 'uncaught errors in the page');
    return result;
  } finally {
    await browser.close();
  }
}

test(
  'webview training on WebGPU (Chromium, SwiftShader) matches the CLI on wasm, step by step',
  {
    skip: browserSkip,
    timeout: 900_000,
  },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-browser-trainer-'));
    const server = { close: async () => {} };
    try {
      const rows = fs
        .readFileSync(fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'), 'utf8')
        .split('\n')
        .slice(0, ROWS);
      // The first CONFLICTING texts again with the other label: without them the warm-started head fits the
      // 64 rows almost perfectly, every loss is about 1e-3, and a relative comparison measures float32 noise
      // (absolute differences of 1e-6 were 1.4e-3 relative). Contradicting pairs keep the loss near 0.1 to 1.
      const flipped = rows
        .slice(0, CONFLICTING)
        .map((r) => (r.startsWith('ham\t') ? 'spam' + r.slice(3) : 'ham' + r.slice(4)));
      const dataFile = path.join(dir, 'sms64.tsv');
      fs.writeFileSync(dataFile, [...rows, ...flipped].join('\n') + '\n');

      const cli = await cliLoggedLosses(dataFile, path.join(dir, 'adapter'));
      const reference = await nodeWasmLosses(dataFile);
      assert.equal(reference.length, STEPS);
      assert.ok(cli.has(1) && cli.has(STEPS), `the CLI logged steps ${[...cli.keys()].join(', ')}`);
      for (const [step, loss] of cli) {
        const mine = reference[step - 1]!;
        assert.ok(
          relativeError(mine, loss) <= 1e-6,
          `step ${step}: the webview code on wasm gives ${mine}, the CLI ${loss}`,
        );
      }

      const files = trainerPageFiles(dir, bundledModel());
      files.set('/data/sms64.tsv', dataFile);
      const started = await serve(files);
      server.close = started.close;

      const t0 = Date.now();
      const page = await browserWebgpuRun(started.url, {
        backend: {
          preference: 'webgpu',
          forceWebGPU: true,
          exactWebGPU: true,
          wasmPaths: `${started.url}wasm/`,
        },
        modelUrl: `${started.url}model/`,
        dataUrl: `${started.url}data/sms64.tsv`,
        dataSource: 'sms64.tsv',
        settings,
      });
      const wall = Date.now() - t0;
      const worst = Math.max(...page.losses.map((l, i) => relativeError(l, reference[i] ?? Number.NaN)));
      // shown with --test-reporter=spec: the numbers behind the verdict
      console.log(
        JSON.stringify({
          adapter: page.backend.adapterDescription,
          worstRelativeError: worst,
          wasm: reference,
          webgpu: page.losses,
          browserMs: { wall, load: page.loadMs, warmStart: page.warmStartMs, train: page.trainMs },
        }),
      );
      assert.equal(page.backend.backend, 'webgpu', `fell back: ${page.backend.fallbackReason ?? ''}`);
      assert.equal(page.tfBackend, 'webgpu');
      assert.equal(page.losses.length, STEPS);
      for (let i = 0; i < STEPS; i++) {
        const l = page.losses[i]!;
        const r = reference[i]!;
        assert.ok(Number.isFinite(l), `step ${i + 1}: loss ${l} on WebGPU`);
        assert.ok(relativeError(l, r) <= 1e-3, `step ${i + 1}: WebGPU ${l}, wasm ${r}`);
      }
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
