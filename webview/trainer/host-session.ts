// The trainer page inside VS Code: the host sends 'trainer/init' (settings, backend preference, where the wasm
// files are), then 'trainer/start' with the form's settings; the page loads the model through the webview URIs
// the host hands out ('trainer/modelFiles'), the dataset text ('trainer/readDataset'), trains with the CLI's
// classification recipe (run-classification.ts), streams throttled progress snapshots and hands the adapter's
// files to the host ('trainer/saveAdapter').
//
// Not yet (the CLI does them): tasks other than classification, P-tuning, a separate eval file, choosing the
// best evaluated step (the webview saves the last step), resuming, the form's init choice (the CLI's default for
// the method is used: random for prefixes, label words for soft prompts). The settings form (@vscode-elements)
// is not built yet (the host owns the settings and sends 'trainer/start'): the page shows the run's settings, a
// status line and a live loss chart (chart.js).
import { kvDim } from '../../core/formats/hfconfig.js';
import type { BackendInfo, TrainSettings } from '../../core/protocol/messages.js';
import { adapterFiles, headModuleFor } from '../../core/prompts/save.js';
import { foldNormalization } from '../../core/tasks/classification.js';
import type { TrainProgress } from '../../core/train/loop.js';
import { connect, h } from '../lib/host.js';
import { selectBackend } from '../runtime/backend.js';
import { fetchModel } from './load-model.js';
import { lossChart } from './loss-chart.js';
import { runClassificationTraining } from './run-classification.js';
import { TrainerSettingsError, runSettingsOf } from './settings.js';

/** Progress messages at most this often (the first and the last step always go). */
const PROGRESS_EVERY_MS = 500;

function fileName(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .at(-1) ?? path
  );
}

export function startHostSession(): void {
  const { endpoint, ready } = connect('trainer');
  const status = h('p', { id: 'status' }, 'waiting for the host…');
  const settingsView = h('p', { id: 'settings' });
  const canvas = h('canvas', { id: 'loss-chart' });
  const chartBox = h('div', {}, canvas);
  // through CSSOM, not a style attribute: the webview's CSP has no 'unsafe-inline' for styles
  chartBox.style.position = 'relative';
  chartBox.style.height = '260px';
  document.body.append(h('h1', {}, 'Prompt adapter trainer'), settingsView, status, chartBox);
  const chart = lossChart(canvas);
  const say = (text: string): void => {
    status.textContent = text;
  };

  let backendReady: Promise<BackendInfo> | undefined;
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;

  endpoint.on('trainer/init', (init) => {
    backendReady = selectBackend({
      preference: init.backend,
      forceWebGPU: init.forceWebGPU,
      wasmPaths: init.wasmBaseUri.endsWith('/') ? init.wasmBaseUri : `${init.wasmBaseUri}/`,
    });
    backendReady.then(
      (info) => {
        endpoint.notify('trainer/backend', info);
        say(`backend: ${info.backend}${info.fallbackReason === null ? '' : ` (${info.fallbackReason})`}`);
      },
      (e: unknown) => {
        endpoint.notify('log', { level: 'error', message: String(e) });
        say(String(e));
      },
    );
  });

  const train = async (settings: TrainSettings): Promise<void> => {
    controller = new AbortController();
    const signal = controller.signal;
    chart.clear();
    settingsView.textContent =
      `${settings.task}, ${settings.method}, ${settings.virtualTokens} virtual tokens, lr ${settings.learningRate}, ` +
      `batch ${settings.batchSize}, max length ${settings.maxLength}, seed ${settings.seed}: ${settings.datasetPath}`;
    try {
      const runSettings = runSettingsOf(settings);
      if (backendReady === undefined)
        throw new TrainerSettingsError('trainer/start arrived before trainer/init');
      await backendReady;
      say('loading the model…');
      const files = await endpoint.request('trainer/modelFiles', { modelPath: settings.modelPath });
      const fetched = await fetchModel(new Map(files.map((f) => [f.name, f.uri])));
      try {
        const { text } = await endpoint.request('trainer/readDataset', { path: settings.datasetPath });
        say('warm start (fitting the head on the frozen features)…');
        let lastSent = Number.NEGATIVE_INFINITY;
        const onProgress = (p: TrainProgress): void => {
          chart.add(p.step, p.loss);
          const now = Date.now();
          if (p.step !== 1 && p.step !== p.totalSteps && now - lastSent < PROGRESS_EVERY_MS) return;
          lastSent = now;
          const perEpoch = Math.max(1, Math.ceil(p.totalSteps / runSettings.epochs));
          endpoint.notify('trainer/progress', {
            step: p.step,
            totalSteps: p.totalSteps,
            epoch: Math.ceil(p.step / perEpoch),
            loss: p.loss,
            learningRate: p.lr,
            tokensPerSecond: p.tokensPerSecond,
            elapsedSeconds: p.elapsedMs / 1000,
            etaSeconds: p.etaMs / 1000,
          });
          say(`step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}`);
        };
        const run = await runClassificationTraining({
          model: fetched.model,
          tokenizer: fetched.tokenizer,
          dataText: text,
          dataSource: fileName(settings.datasetPath),
          settings: runSettings,
          signal,
          onProgress,
        });
        const c = fetched.config;
        const prefix = runSettings.method === 'prefix';
        const trainedHead = run.result.head;
        const head =
          trainedHead === undefined
            ? undefined
            : run.normalize === undefined
              ? trainedHead
              : foldNormalization(trainedHead, run.normalize);
        const files2 = adapterFiles(
          {
            peftType: prefix ? 'PREFIX_TUNING' : 'PROMPT_TUNING',
            taskType: 'SEQ_CLS',
            numVirtualTokens: run.result.prompt.shape[0] ?? 0,
            tokenDim: prefix ? kvDim(c) : c.hiddenSize,
            numLayers: c.numLayers,
            numAttentionHeads: prefix ? c.numKvHeads : c.numHeads,
            baseModelNameOrPath: fileName(settings.modelPath),
            ...(prefix ? {} : { promptTuningInit: 'RANDOM' as const }),
          },
          run.result.prompt,
          head === undefined ? undefined : { module: headModuleFor(c.arch), ...head },
        );
        const saved = await endpoint.request('trainer/saveAdapter', {
          folder: settings.outputFolder,
          files: [
            { name: 'adapter_config.json', bytes: new TextEncoder().encode(files2['adapter_config.json']) },
            { name: 'adapter_model.safetensors', bytes: files2['adapter_model.safetensors'] },
          ],
        });
        endpoint.notify('trainer/finished', {
          reason: run.result.stopReason === 'aborted' ? 'stopped' : 'completed',
          message: `${run.result.stopReason} after ${run.result.step} steps; adapter saved to ${saved.folderUri}`,
        });
        say(`done: ${run.result.stopReason} after ${run.result.step} steps`);
      } finally {
        fetched.model.dispose();
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      endpoint.notify('trainer/finished', { reason: 'failed', message });
      say(`failed: ${message}`);
    } finally {
      controller = undefined;
    }
  };

  endpoint.on('trainer/start', (settings) => {
    if (running !== undefined) {
      endpoint.notify('log', { level: 'warning', message: 'a training run is already going: stop it first' });
      return;
    }
    running = train(settings).finally(() => {
      running = undefined;
    });
  });

  endpoint.handle('trainer/stop', async () => {
    if (controller === undefined || running === undefined) return { stopped: false };
    controller.abort();
    await running;
    return { stopped: true };
  });

  ready();
}
