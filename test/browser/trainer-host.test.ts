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
import { createHash } from 'node:crypto';
import { parseSafetensors } from '../../core/formats/safetensors.js';
import { parseMetadata } from '../../core/tasks/metadata.js';
import type { BackendInfo, TrainFinished, TrainProgress, TrainSettings } from '../../core/protocol/index.js';
import { bundledModel, fixture } from '../helpers/paths.js';
import { browserSkip, fakeVsCodeHost, launchChromium, serve, trainerPageFiles } from './page-server.js';

/** Steps of each run: short on wasm, long enough for Stop to land mid-run (progress reaches the host every 0.5 s). */
const STEPS = 60;

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
      files.set('/out/checkpoint.safetensors', path.join(dir, 'checkpoint.safetensors'));
      const started = await serve(files);
      server.close = started.close;
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));

      const { host, problems } = await fakeVsCodeHost(page);

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
      const finishes: TrainFinished[] = [];
      let onFinish: ((f: TrainFinished) => void) | undefined;
      host.on('trainer/finished', (f) => {
        finishes.push(f);
        onFinish?.(f);
      });
      const nextFinish = (): Promise<TrainFinished> =>
        new Promise<TrainFinished>((resolve) => {
          onFinish = resolve;
        });
      const begun: TrainSettings[] = [];
      host.handle('trainer/begin', (s) => {
        begun.push(s);
        return { outputFolder: '/out/form-run' };
      });

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
        maxSteps: STEPS,
        outputFolder: '/out/adapter',
      };
      host.notify('trainer/init', {
        settings,
        backend: 'wasm',
        forceWebGPU: false,
        wasmBaseUri: `${started.url}wasm`,
        autoStart: false,
        choices: {
          models: [{ label: 'stories260K', path: '/models/stories260K' }],
          datasets: [{ label: 'sms40.tsv', path: '/data/sms40.tsv' }],
        },
      });
      const info = await backend;
      assert.equal(info.backend, 'wasm', `fell back: ${info.fallbackReason ?? ''}`);
      const finished = nextFinish();
      host.notify('trainer/start', settings);
      const end = await finished;
      assert.equal(end.reason, 'completed', end.message);
      assert.equal(end.steps, STEPS);
      assert.equal(end.adapterFolder, '/out/adapter');
      // 40 rows: a stratified 10% is held out and scored with the trained prompt and head
      assert.ok(
        end.metrics !== null && typeof end.metrics.accuracy === 'number',
        JSON.stringify(end.metrics),
      );
      assert.match(await page.locator('#backend').innerText(), /backend: wasm/);
      assert.match(await page.locator('#status').innerText(), /Done after 60 of 60 steps on wasm/);
      assert.equal(await page.locator('#confusion tr').count(), 3, 'a 2-label confusion matrix');
      assert.deepEqual(asked, ['model /models/stories260K', 'data /data/sms40.tsv']);
      assert.deepEqual(
        progress.map((p) => p.step).filter((s) => s === 1 || s === STEPS),
        [1, STEPS],
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
      // our metadata, as the CLI writes it: labels, pooling and the base-model fingerprint (eval needs them)
      const metadata = parseMetadata(
        JSON.parse(new TextDecoder().decode(saved.files.get('prompt_adapter.json'))),
        'prompt_adapter.json',
      );
      assert.deepEqual(metadata.labels, ['ham', 'spam']);
      assert.equal(metadata.pooling, 'mean-last');
      assert.equal(
        metadata.baseModel.fingerprint.tokenizerSha256,
        createHash('sha256')
          .update(fs.readFileSync(path.join(bundledModel(), 'tokenizer.json')))
          .digest('hex'),
      );
      const logLines = new TextDecoder()
        .decode(saved.files.get('training_log.jsonl'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step?: number; loss?: number; final?: boolean });
      assert.deepEqual(
        logLines.filter((l) => typeof l.loss === 'number').map((l) => l.step),
        Array.from({ length: STEPS }, (_, i) => i + 1),
      );
      assert.equal(logLines.at(-1)?.final, true);

      const firstLog = saved.files.get('training_log.jsonl');

      // the form: Start asks the host for the run (trainer/begin), Stop ends it at a step boundary and saves
      await page.evaluate(() => {
        (document.getElementById('maxSteps') as HTMLElement & { value: string }).value = '60';
      });
      const stopped = nextFinish();
      const seenBefore = progress.length; // the first run's snapshots are not this run's
      await page.locator('#start').click();
      const deadline = Date.now() + 120_000;
      while (!progress.slice(seenBefore).some((p) => p.step >= 2) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      await page.locator('#stop').click();
      const stopEnd = await stopped;
      assert.equal(begun.length, 1);
      assert.equal(begun[0]?.maxSteps, STEPS);
      assert.equal(stopEnd.reason, 'stopped', stopEnd.message);
      assert.ok(stopEnd.steps >= 2 && stopEnd.steps < STEPS, `stopped after ${stopEnd.steps}`);
      assert.equal(stopEnd.adapterFolder, '/out/form-run');
      assert.equal(saved.folder, '/out/form-run');
      const stoppedFiles = saved.files;
      assert.ok(
        stoppedFiles.has('checkpoint.safetensors') && stoppedFiles.has('head_normalization.json'),
        [...stoppedFiles.keys()].join(', '),
      );

      // Resume: the host hands the same folder back; the run continues to the end, and every step's loss (the
      // stopped part and the resumed part) equals the uninterrupted first run's
      begun.length = 0;
      const resumed = nextFinish();
      await page.locator('#resume').click();
      const resumeEnd = await resumed;
      assert.deepEqual(
        begun.map((b) => b.outputFolder),
        ['/out/form-run'],
        'Resume asks for the stopped run’s folder',
      );
      assert.equal(resumeEnd.reason, 'completed', resumeEnd.message);
      assert.equal(resumeEnd.steps, STEPS);
      const lossesOf = (bytes: Uint8Array | undefined): number[] =>
        new TextDecoder()
          .decode(bytes)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { loss?: number })
          .flatMap((l) => (typeof l.loss === 'number' ? [l.loss] : []));
      const reference = lossesOf(firstLog);
      const continued = lossesOf(saved.files.get('training_log.jsonl'));
      assert.equal(continued.length, STEPS);
      for (let i = 0; i < STEPS; i++)
        assert.ok(
          Math.abs(continued[i]! - reference[i]!) <= 1e-6,
          `step ${i + 1}: resumed ${continued[i]}, uninterrupted ${reference[i]}`,
        );
      assert.equal(finishes.length, 3);

      // Resume Training from the saved files (what the host reads from the folder after VS Code restarted):
      // the same losses again
      const text = (name: string): string => new TextDecoder().decode(stoppedFiles.get(name));
      // the host hands the checkpoint out as a URL, as VS Code's asWebviewUri does
      fs.writeFileSync(path.join(dir, 'checkpoint.safetensors'), stoppedFiles.get('checkpoint.safetensors')!);
      const savedMetadata = parseMetadata(JSON.parse(text('prompt_adapter.json')), 'prompt_adapter.json');
      const fromFiles = nextFinish();
      host.notify('trainer/resume', {
        settings: { ...begun[0], outputFolder: '/out/form-run' },
        checkpointUri: `${started.url}out/checkpoint.safetensors`,
        normalization: JSON.parse(text('head_normalization.json')) as { mean: number[]; std: number[] },
        log: text('training_log.jsonl'),
        embeddingSha256: savedMetadata.baseModel.fingerprint.embeddingSha256,
      });
      const fromFilesEnd = await fromFiles;
      assert.equal(fromFilesEnd.reason, 'completed', fromFilesEnd.message);
      const again = lossesOf(saved.files.get('training_log.jsonl'));
      assert.equal(again.length, STEPS);
      for (let i = 0; i < STEPS; i++)
        assert.ok(
          Math.abs(again[i]! - reference[i]!) <= 1e-6,
          `step ${i + 1}: ${again[i]} vs ${reference[i]}`,
        );

      // a run saved on another base model is refused before any step
      const refused = nextFinish();
      host.notify('trainer/resume', {
        settings: { ...begun[0], outputFolder: '/out/form-run' },
        checkpointUri: `${started.url}out/checkpoint.safetensors`,
        normalization: null,
        log: '',
        embeddingSha256: '0'.repeat(64),
      });
      const refusedEnd = await refused;
      assert.equal(refusedEnd.reason, 'failed');
      assert.match(refusedEnd.message, /not the model this run was trained on/);
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
