// The trainer page inside VS Code: the training dashboard. The host sends 'trainer/init' (the form's initial
// settings, the models and datasets to choose from, backend preference, where the wasm files are, and whether
// to start at once); the form's Start asks the host for the run ('trainer/begin': trust, the single training
// slot, the output folder). The page loads the model through the webview URIs the host hands out
// ('trainer/modelFiles'), the dataset text ('trainer/readDataset'), trains with the CLI's classification recipe
// (run-classification.ts), draws live charts (loss, learning rate, held-out metric, tokens/s), streams throttled
// progress to the host (status bar, notification) and hands the adapter's files to the host
// ('trainer/saveAdapter'): PEFT adapter_config.json + adapter_model.safetensors, our prompt_adapter.json
// (labels, pooling, base-model fingerprint, settings, held-out metrics) and training_log.jsonl, the same files
// the CLI writes, plus checkpoint.safetensors and head_normalization.json. Stop (the page's button, or the host's
// 'trainer/stop' from the palette or the status bar) ends the run at the next step boundary and saves the state
// reached: the last checkpoint stays loadable, and Resume continues it exactly (same losses as an uninterrupted
// run) into the same folder.
//
// Not here (the host runs the CLI for them): NER and SFT, P-tuning, a separate eval file.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { kvDim } from '../../core/formats/hfconfig.js';
import type { BackendInfo, TrainChoice, TrainResume, TrainSettings } from '../../core/protocol/messages.js';
import { adapterFiles, headModuleFor } from '../../core/prompts/save.js';
import { foldNormalization } from '../../core/tasks/classification.js';
import { fingerprintModel, sha256OfText } from '../../core/tasks/metadata.js';
import type { AdapterMetadata } from '../../core/tasks/metadata.js';
import type { TrainProgress } from '../../core/train/loop.js';
import { connect, h } from '../lib/host.js';
import { selectBackend } from '../runtime/backend.js';
import { seriesChart } from './charts.js';
import { fetchModel } from './load-model.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../core/train/checkpoint.js';
import type { TrainCheckpoint } from '../../core/train/checkpoint.js';
import type { HostTensor } from '../../core/prompts/peft.js';
import { numericMetrics, runClassificationTraining } from './run-classification.js';
import { TrainerSettingsError, runSettingsOf } from './settings.js';

/** Progress messages to the host at most this often (the first and the last step always go). */
const PROGRESS_EVERY_MS = 500;

function fileName(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .at(-1) ?? path
  );
}

type Select = HTMLElement & { value: string };
type TextField = HTMLElement & { value: string };
type Button = HTMLElement & { disabled: boolean };

function select(id: string, options: readonly { value: string; label: string }[]): Select {
  const el = h('vscode-single-select', { id }) as Select;
  for (const o of options) el.append(h('vscode-option', { value: o.value }, o.label));
  return el;
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('vscode-label', { for: id }, label), control);
}

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}

/** What Resume continues from: the stopped run's settings, last checkpoint, standardisation and log. */
interface Resumable {
  readonly settings: TrainSettings;
  readonly checkpoint: TrainCheckpoint;
  readonly normalize: { readonly mean: HostTensor; readonly std: HostTensor } | undefined;
  readonly log: readonly Record<string, unknown>[];
  /** from a saved run (Resume Training): the base model it was trained on, checked before resuming */
  readonly embeddingSha256?: string;
}

/** "loss 0.7213 → 0.3012 (mean of steps 1–5 → 8–12)": what the dashboard and the UI test read. */
export function lossSummaryText(losses: readonly number[]): string {
  const n = Math.min(5, Math.floor(losses.length / 2));
  if (n === 0) return '';
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, n));
  const last = mean(losses.slice(-n));
  return (
    `loss ${first.toFixed(4)} → ${last.toFixed(4)} ` +
    `(mean of steps 1–${n} → ${losses.length - n + 1}–${losses.length})`
  );
}

export function startHostSession(): void {
  const { endpoint, ready } = connect('trainer');
  const backendLine = h('p', { id: 'backend' }, 'backend: choosing…');
  const status = h('p', { id: 'status', role: 'status' }, 'waiting for the host…');
  const progressBar = h('vscode-progress-bar', {
    id: 'progress',
    'aria-label': 'training progress',
  }) as HTMLElement & { value?: number; max: number };
  progressBar.max = 100;
  progressBar.value = 0;

  const model = select('model', []);
  const dataset = select('dataset', []);
  const method = select('method', [
    { value: 'PREFIX_TUNING', label: 'Prefix tuning (P-Tuning v2: per-layer keys/values)' },
    { value: 'PROMPT_TUNING', label: 'Prompt tuning (virtual tokens before the input)' },
  ]);
  const numbers: Record<string, TextField> = {};
  const numberField = (id: string, label: string): HTMLElement => {
    // the learning rate is a text field: a number field's default step of 1 marks 0.01 invalid
    const el = h(
      'vscode-textfield',
      id === 'learningRate' ? { id, type: 'text', inputmode: 'decimal' } : { id, type: 'number', min: '0' },
    ) as TextField;
    numbers[id] = el;
    return field(id, label, el);
  };
  const warmStart = h('vscode-checkbox', {
    id: 'warmStart',
    label: 'Warm-start the head (linear probe on the frozen features)',
  }) as HTMLElement & { checked: boolean };
  const startButton = h('vscode-button', { id: 'start' }, 'Start training') as Button;
  const stopButton = h('vscode-button', { id: 'stop', secondary: '' }, 'Stop') as Button;
  stopButton.disabled = true;
  const resumeButton = h('vscode-button', { id: 'resume', secondary: '' }, 'Resume') as Button;
  resumeButton.disabled = true;
  const form = h(
    'section',
    { id: 'train-form', 'aria-label': 'training settings' },
    field('model', 'Base model', model),
    field('dataset', 'Dataset (classification)', dataset),
    field('method', 'Method', method),
    h(
      'div',
      { class: 'row' },
      numberField('virtualTokens', 'Virtual tokens'),
      numberField('learningRate', 'Learning rate'),
      numberField('epochs', 'Epochs'),
      numberField('maxSteps', 'Max steps'),
      numberField('batchSize', 'Batch size'),
      numberField('maxLength', 'Max length'),
      numberField('seed', 'Seed'),
    ),
    warmStart,
    h('div', { class: 'buttons' }, startButton, stopButton, resumeButton),
  );

  const chartBox = (id: string): { box: HTMLElement; canvas: HTMLCanvasElement } => {
    const canvas = h('canvas', { id });
    return { box: h('div', { class: 'chart' }, canvas), canvas };
  };
  const lossBox = chartBox('loss-chart');
  const lrBox = chartBox('lr-chart');
  const evalBox = chartBox('eval-chart');
  const speedBox = chartBox('speed-chart');
  const results = h('section', { id: 'results', 'aria-label': 'results' });
  const lossSummary = h('p', { id: 'loss-summary' });
  document.body.append(
    h('h1', {}, 'Prompt adapter training'),
    backendLine,
    form,
    status,
    progressBar,
    lossSummary,
    h('section', { class: 'charts' }, lossBox.box, lrBox.box, evalBox.box, speedBox.box),
    results,
  );
  const charts = {
    loss: seriesChart(lossBox.canvas, {
      label: 'training loss',
      yTitle: 'loss',
      color: ['--vscode-charts-orange', '#d18616'],
    }),
    lr: seriesChart(lrBox.canvas, {
      label: 'learning rate',
      yTitle: 'lr',
      color: ['--vscode-charts-blue', '#3794ff'],
    }),
    eval: seriesChart(evalBox.canvas, {
      label: 'held-out macro F1',
      yTitle: 'macro F1',
      color: ['--vscode-charts-green', '#89d185'],
      points: true,
    }),
    speed: seriesChart(speedBox.canvas, {
      label: 'tokens/s',
      yTitle: 'tokens/s',
      color: ['--vscode-charts-purple', '#b180d7'],
    }),
  };
  const say = (text: string): void => {
    status.textContent = text;
  };

  let backendReady: Promise<BackendInfo> | undefined;
  let controller: AbortController | undefined;
  let running: Promise<void> | undefined;
  let initial: TrainSettings | undefined;
  /** the last stopped run, which Resume continues */
  let resumable: Resumable | undefined;

  const fill = (
    s: TrainSettings,
    choices: { models: readonly TrainChoice[]; datasets: readonly TrainChoice[] },
  ) => {
    const withCurrent = (list: readonly TrainChoice[], current: string): readonly TrainChoice[] =>
      list.some((c) => c.path === current) ? list : [{ label: fileName(current), path: current }, ...list];
    for (const [el, list, current] of [
      [model, withCurrent(choices.models, s.modelPath), s.modelPath],
      [dataset, withCurrent(choices.datasets, s.datasetPath), s.datasetPath],
    ] as const) {
      el.replaceChildren(...list.map((c) => h('vscode-option', { value: c.path }, c.label)));
      el.value = current;
    }
    method.value = s.method === 'PREFIX_TUNING' ? 'PREFIX_TUNING' : 'PROMPT_TUNING';
    const set = (id: string, v: number | undefined): void => {
      const el = numbers[id];
      if (el !== undefined) el.value = v === undefined ? '' : String(v);
    };
    set('virtualTokens', s.virtualTokens);
    set('learningRate', s.learningRate);
    set('epochs', s.epochs);
    set('maxSteps', s.maxSteps);
    set('batchSize', s.batchSize);
    set('maxLength', s.maxLength);
    set('seed', s.seed);
    warmStart.checked = s.warmStart !== false;
  };

  /** The form's values; throws a TrainerSettingsError naming the field that is not a valid number. */
  const read = (base: TrainSettings): TrainSettings => {
    const num = (id: string, integer: boolean, optional = false): number | undefined => {
      const raw = (numbers[id]?.value ?? '').trim();
      if (raw === '' && optional) return undefined;
      const v = Number(raw);
      if (raw === '' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
        throw new TrainerSettingsError(
          `${id}: expected a positive ${integer ? 'whole number' : 'number'}, got "${raw}"`,
        );
      return v;
    };
    const maxSteps = num('maxSteps', true, true);
    const rest: TrainSettings = { ...base };
    delete (rest as { maxSteps?: number }).maxSteps;
    return {
      ...rest,
      modelPath: model.value || base.modelPath,
      datasetPath: dataset.value || base.datasetPath,
      method: method.value === 'PREFIX_TUNING' ? 'PREFIX_TUNING' : 'PROMPT_TUNING',
      virtualTokens: num('virtualTokens', true) ?? base.virtualTokens,
      learningRate: num('learningRate', false) ?? base.learningRate,
      epochs: num('epochs', true) ?? base.epochs,
      batchSize: num('batchSize', true) ?? base.batchSize,
      maxLength: num('maxLength', true) ?? base.maxLength,
      seed: Math.trunc(Number(numbers.seed?.value ?? base.seed)) || 0,
      ...(maxSteps === undefined ? {} : { maxSteps }),
      warmStart: warmStart.checked,
      // a new run: the host names a fresh folder (Resume sends the stopped run's folder instead)
      outputFolder: '',
    };
  };

  endpoint.on('trainer/init', (init) => {
    initial = init.settings;
    fill(init.settings, init.choices);
    backendReady = selectBackend({
      preference: init.backend,
      forceWebGPU: init.forceWebGPU,
      wasmPaths: init.wasmBaseUri.endsWith('/') ? init.wasmBaseUri : `${init.wasmBaseUri}/`,
    });
    backendReady.then(
      (info) => {
        endpoint.notify('trainer/backend', info);
        backendLine.textContent =
          `backend: ${info.backend}` +
          (info.adapterDescription === null ? '' : ` on ${info.adapterDescription}`) +
          (info.fallbackReason === null ? '' : ` (fell back: ${info.fallbackReason})`);
      },
      (e: unknown) => {
        endpoint.notify('log', { level: 'error', message: String(e) });
        backendLine.textContent = `no backend: ${String(e)}`;
      },
    );
    if (init.autoStart) begin(init.settings);
    else say('Choose the settings and press Start training.');
  });

  const showResults = (metrics: Readonly<Record<string, unknown>> | null, folder: string | null): void => {
    results.replaceChildren();
    if (folder !== null) results.append(h('p', { id: 'saved' }, `Adapter saved to ${folder}`));
    if (metrics === null) return;
    const numeric = numericMetrics(metrics);
    results.append(
      h('h2', {}, 'Held-out evaluation'),
      h(
        'table',
        { id: 'metrics' },
        ...Object.entries(numeric).map(([k, v]) =>
          h('tr', {}, h('th', {}, k), h('td', {}, Number.isInteger(v) ? String(v) : v.toFixed(4))),
        ),
      ),
    );
    const confusion = metrics.confusion as { labels?: unknown; matrix?: unknown } | undefined;
    const names = Array.isArray(confusion?.labels) ? confusion.labels.map(String) : undefined;
    const matrix = Array.isArray(confusion?.matrix) ? (confusion.matrix as unknown[]) : undefined;
    if (names !== undefined && matrix !== undefined) {
      results.append(
        h('h3', {}, 'Confusion matrix (rows: true label, columns: predicted)'),
        h(
          'table',
          { id: 'confusion' },
          h('tr', {}, h('th', {}), ...names.map((n) => h('th', { scope: 'col' }, n))),
          ...matrix.map((row, i) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, names[i] ?? String(i)),
              ...(Array.isArray(row) ? (row as unknown[]) : []).map((c) => h('td', {}, String(c))),
            ),
          ),
        ),
      );
    }
  };

  const train = async (settings: TrainSettings, resume?: Resumable): Promise<void> => {
    controller = new AbortController();
    const signal = controller.signal;
    resumable = undefined;
    resumeButton.disabled = true;
    for (const c of Object.values(charts)) c.clear();
    // a resumed run continues the stopped one's log and charts
    const previous =
      resume?.log.filter(
        (l) => typeof l.step === 'number' && l.step <= resume.checkpoint.step && l.final !== true,
      ) ?? [];
    for (const l of previous) {
      const step = l.step as number;
      if (typeof l.loss === 'number') charts.loss.add(step, l.loss);
      if (typeof l.lr === 'number') charts.lr.add(step, l.lr);
      if (typeof l.tokensPerSecond === 'number') charts.speed.add(step, l.tokensPerSecond);
      const f1 = (l.eval as { macro_f1?: unknown } | undefined)?.macro_f1;
      if (typeof f1 === 'number') charts.eval.add(step, f1);
    }
    results.replaceChildren();
    progressBar.value = 0;
    startButton.disabled = true;
    stopButton.disabled = false;
    let steps = 0;
    try {
      const runSettings = runSettingsOf(settings);
      if (backendReady === undefined)
        throw new TrainerSettingsError('trainer/start arrived before trainer/init');
      const backend = await backendReady;
      say(`loading ${fileName(settings.modelPath)}…`);
      const files = await endpoint.request('trainer/modelFiles', { modelPath: settings.modelPath });
      const fetched = await fetchModel(new Map(files.map((f) => [f.name, f.uri])));
      try {
        const fingerprint = await fingerprintModel(fetched.model, fetched.tokenizerJsonText);
        if (resume?.embeddingSha256 !== undefined && resume.embeddingSha256 !== fingerprint.embeddingSha256)
          throw new TrainerSettingsError(
            `${fileName(settings.modelPath)} is not the model this run was trained on (its embedding sha256 differs): ` +
              'resume with the same base model',
          );
        const { text } = await endpoint.request('trainer/readDataset', { path: settings.datasetPath });
        say('warm start (fitting the head on the frozen features)…');
        const log: Record<string, unknown>[] = [...previous];
        let lastSent = Number.NEGATIVE_INFINITY;
        let lastMetric: { name: string; value: number } | undefined;
        const onProgress = (p: TrainProgress): void => {
          steps = p.step;
          charts.loss.add(p.step, p.loss);
          lossSummary.textContent = lossSummaryText(charts.loss.values);
          charts.lr.add(p.step, p.lr);
          charts.speed.add(p.step, p.tokensPerSecond);
          log.push({
            step: p.step,
            loss: p.loss,
            lr: p.lr,
            tokensPerSecond: p.tokensPerSecond,
            elapsedMs: p.elapsedMs,
          });
          progressBar.value = (100 * p.step) / p.totalSteps;
          say(
            `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)} · ${Math.round(p.tokensPerSecond)} tok/s · ` +
              `elapsed ${formatSeconds(p.elapsedMs / 1000)} · ETA ${formatSeconds(p.etaMs / 1000)}`,
          );
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
            ...(lastMetric === undefined ? {} : { evalMetric: lastMetric }),
          });
        };
        const run = await runClassificationTraining({
          model: fetched.model,
          tokenizer: fetched.tokenizer,
          dataText: text,
          dataSource: fileName(settings.datasetPath),
          settings: runSettings,
          signal,
          onProgress,
          ...(resume === undefined
            ? {}
            : { resume: { checkpoint: resume.checkpoint, normalize: resume.normalize } }),
          // two held-out evaluations during the run (each costs about as much as a few steps), then the final
          evaluations: 2,
          onEvaluation: (step, metrics) => {
            const value = metrics.macro_f1;
            if (value === undefined) return;
            lastMetric = { name: 'macro_f1', value };
            charts.eval.add(step, value);
            log.push({ step, eval: { macro_f1: value } });
          },
        });
        steps = run.result.step;
        const final = run.finalEvaluation;
        const finalMetrics = final === null ? null : numericMetrics(final);
        if (finalMetrics?.macro_f1 !== undefined) charts.eval.add(run.result.step, finalMetrics.macro_f1);
        say(`${run.result.stopReason} after ${run.result.step} steps: saving the adapter…`);
        const c = fetched.config;
        const prefix = runSettings.method === 'prefix';
        const trainedHead = run.result.head;
        const head =
          trainedHead === undefined
            ? undefined
            : run.normalize === undefined
              ? trainedHead
              : foldNormalization(trainedHead, run.normalize);
        const peft = adapterFiles(
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
        log.push({
          step: run.result.step,
          final: true,
          stopReason: run.result.stopReason,
          metrics: finalMetrics ?? {},
        });
        const metadata: AdapterMetadata = {
          format: 'prompt-adapter-studio/1',
          task: 'classification',
          labels: run.labels,
          pooling: 'mean-last',
          baseModel: {
            name: fileName(settings.modelPath),
            fingerprint,
          },
          training: {
            method: runSettings.method,
            peftType: prefix ? 'PREFIX_TUNING' : 'PROMPT_TUNING',
            virtualTokens: runSettings.virtualTokens,
            init: prefix ? 'random' : 'labels',
            head: 'linear',
            pooling: 'mean-last',
            epochs: runSettings.epochs,
            steps: run.steps,
            stepsDone: run.result.step,
            stopReason: run.result.stopReason,
            lr: runSettings.lr,
            headLrScale: runSettings.headLrScale,
            batchSize: runSettings.batchSize,
            maxLength: runSettings.maxLength,
            seed: runSettings.seed,
            schedule: 'linear',
            warmupRatio: 0.06,
            maxGradNorm: 1,
            backend: backend.backend,
            trainer: 'webview',
          },
          dataset: {
            train: fileName(settings.datasetPath),
            trainSha256: await sha256OfText(text),
            rows: run.trainRows,
            eval: `${run.validation.length} held-out rows (seeded, stratified 10%)`,
          },
          metrics: final ?? {},
          created: new Date().toISOString(),
        };
        const encoder = new TextEncoder();
        const saved = await endpoint.request('trainer/saveAdapter', {
          folder: settings.outputFolder,
          files: [
            { name: 'adapter_config.json', bytes: encoder.encode(peft['adapter_config.json']) },
            { name: 'adapter_model.safetensors', bytes: peft['adapter_model.safetensors'] },
            { name: 'prompt_adapter.json', bytes: encoder.encode(JSON.stringify(metadata, null, 2) + '\n') },
            {
              name: 'training_log.jsonl',
              bytes: encoder.encode(log.map((l) => JSON.stringify(l) + '\n').join('')),
            },
            // what Resume needs (the CLI's names and formats): optimizer state, data position, standardisation
            { name: 'checkpoint.safetensors', bytes: encodeCheckpoint(run.result.lastCheckpoint) },
            ...(run.normalize === undefined
              ? []
              : [
                  {
                    name: 'head_normalization.json',
                    bytes: encoder.encode(
                      JSON.stringify({
                        mean: Array.from(run.normalize.mean.data),
                        std: Array.from(run.normalize.std.data),
                      }) + '\n',
                    ),
                  },
                ]),
          ],
        });
        const stopped = run.result.stopReason === 'aborted';
        if (stopped) {
          resumable = {
            settings,
            checkpoint: run.result.lastCheckpoint,
            normalize: run.normalize,
            log: log.filter((l) => l.final !== true),
          };
        }
        showResults(final, saved.folderUri);
        endpoint.notify('trainer/finished', {
          reason: stopped ? 'stopped' : 'completed',
          message: `${stopped ? 'stopped' : 'finished'} after ${run.result.step} of ${run.steps} steps`,
          steps: run.result.step,
          adapterFolder: settings.outputFolder,
          metrics: finalMetrics,
        });
        say(
          `${stopped ? 'Stopped' : 'Done'} after ${run.result.step} of ${run.steps} steps on ${backend.backend}` +
            (finalMetrics?.accuracy === undefined
              ? ''
              : `: held-out accuracy ${finalMetrics.accuracy.toFixed(3)}, macro F1 ${(finalMetrics.macro_f1 ?? Number.NaN).toFixed(3)}`),
        );
      } finally {
        fetched.model.dispose();
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      endpoint.notify('trainer/finished', {
        reason: 'failed',
        message,
        steps,
        adapterFolder: null,
        metrics: null,
      });
      say(`Failed: ${message}`);
    } finally {
      controller = undefined;
      startButton.disabled = false;
      stopButton.disabled = true;
      resumeButton.disabled = resumable === undefined;
    }
  };

  const begin = (settings: TrainSettings, resume?: Resumable): void => {
    if (running !== undefined) {
      endpoint.notify('log', { level: 'warning', message: 'a training run is already going: stop it first' });
      return;
    }
    running = train(settings, resume).finally(() => {
      running = undefined;
    });
  };

  startButton.addEventListener('click', () => {
    if (running !== undefined || initial === undefined) return;
    let settings: TrainSettings;
    try {
      settings = read(initial);
      runSettingsOf(settings);
    } catch (e) {
      say(`Not started: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    startButton.disabled = true;
    say('asking the host for a training slot…');
    endpoint.request('trainer/begin', settings).then(
      ({ outputFolder }) => {
        begin({ ...settings, outputFolder });
      },
      (e: unknown) => {
        startButton.disabled = false;
        say(`Not started: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  });

  resumeButton.addEventListener('click', () => {
    const state = resumable;
    if (running !== undefined || state === undefined) return;
    resumeButton.disabled = true;
    startButton.disabled = true;
    say(`resuming from step ${state.checkpoint.step}…`);
    // the host hands the same folder back (it holds the stopped run's adapter) and claims the training slot
    endpoint.request('trainer/begin', state.settings).then(
      ({ outputFolder }) => {
        begin({ ...state.settings, outputFolder }, state);
      },
      (e: unknown) => {
        startButton.disabled = false;
        resumeButton.disabled = false;
        say(`Not resumed: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  });

  stopButton.addEventListener('click', () => {
    if (controller === undefined) return;
    controller.abort();
    stopButton.disabled = true;
    say('stopping after this step (the state reached is saved)…');
  });

  const resumeFrom = async (r: TrainResume): Promise<Resumable> => {
    const response = await fetch(r.checkpointUri);
    if (!response.ok)
      throw new Error(`${r.checkpointUri}: HTTP ${response.status} while loading checkpoint.safetensors`);
    const n = r.normalization;
    return {
      settings: r.settings,
      checkpoint: decodeCheckpoint(new Uint8Array(await response.arrayBuffer()), 'checkpoint.safetensors'),
      normalize:
        n === null
          ? undefined
          : {
              mean: { shape: [n.mean.length], data: Float32Array.from(n.mean) },
              std: { shape: [n.std.length], data: Float32Array.from(n.std) },
            },
      log: r.log
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
      embeddingSha256: r.embeddingSha256,
    };
  };

  endpoint.on('trainer/resume', (r) => {
    say(`resuming ${fileName(r.settings.outputFolder)}…`);
    resumeFrom(r).then(
      (state) => {
        say(`resuming ${fileName(r.settings.outputFolder)} from step ${state.checkpoint.step}…`);
        begin(r.settings, state);
      },
      (e: unknown) => {
        const message = `cannot resume: ${e instanceof Error ? e.message : String(e)}`;
        endpoint.notify('trainer/finished', {
          reason: 'failed',
          message,
          steps: 0,
          adapterFolder: null,
          metrics: null,
        });
        say(message);
      },
    );
  });

  endpoint.on('trainer/start', (settings) => {
    begin(settings);
  });

  endpoint.handle('trainer/stop', async () => {
    if (controller === undefined || running === undefined) return { stopped: false };
    controller.abort();
    say('stopping after this step (the state reached is saved)…');
    await running;
    return { stopped: true };
  });

  ready();
}
