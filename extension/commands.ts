// Every command of the palette and the views. Each one that runs code on workspace files, writes or uses the
// network checks Workspace Trust first; each long one runs under withProgress with cancellation.
import * as vscode from 'vscode';
import { bundledModelUri, findAdapters, findDatasets, findModels } from './discovery.js';
import type { ModelEntry } from './discovery.js';
import type { DatasetDiagnostics } from './diagnostics.js';
import { runEvaluation } from './evaluation.js';
import { exists, readJson, readText, writeTextAtomic } from './files.js';
import type { CliRunner } from './cliRunner.js';
import { cliBackend, generateArgs, lastJsonLine, parseTrainProgress, tail, trainArgs } from './logic/cli.js';
import type { TrainArgs } from './logic/cli.js';
import { conllToJsonl, jsonlNameFor } from './logic/conllImport.js';
import { isDatasetFile, loadDataset, taskOf } from './logic/datasetKind.js';
import { COMMANDS, INSPECTOR_VIEW_TYPE, SETTINGS, VIEW_CONTAINER } from './logic/ids.js';
import { statsReport } from './logic/statsReport.js';
import { resumePlan } from './logic/resume.js';
import { webviewCannotTrain } from './logic/trainRoute.js';
import { sha256OfText } from '../core/tasks/metadata.js';
import { DATASET_TEMPLATES } from './logic/templates.js';
import type { TrainingSession } from './training.js';
import type { TrainerPanel, TrainerRun } from './trainerPanel.js';
import { outputFolderFor } from './trainerPanel.js';
import type { TrainChoice, TrainSettings } from '../core/protocol/index.js';
import type { WorkspaceTrees } from './trees.js';
import { isTreeNode, pickAdapter, uriOf } from './pickers.js';
import { requireTrust } from './trust.js';

export interface CommandContext {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly cli: CliRunner;
  readonly session: TrainingSession;
  readonly trainer: TrainerPanel;
  readonly trees: WorkspaceTrees;
  readonly diagnostics: DatasetDiagnostics;
}

/** The example the walkthrough copies into the workspace. */
export const EXAMPLE_FOLDER = 'spam-example';
const EXAMPLE_FILES = ['train.jsonl', 'test.jsonl', 'PROVENANCE.md'];
/** The "quick" preset: a few dozen steps, enough to watch the loss fall on the bundled example. */
const QUICK_STEPS = 30;

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('promptAdapter');
}

function workspaceFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function pickModel(ctx: CommandContext, arg: unknown, title: string): Promise<ModelEntry | undefined> {
  if (isTreeNode(arg) && arg.type === 'model') return arg.entry;
  const models = await findModels(ctx.extensionUri);
  if (models.length === 0) {
    void vscode.window.showWarningMessage(
      'No model found: add a folder with config.json and model.safetensors to the workspace.',
    );
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.name,
      description: m.bundled ? 'bundled with the extension' : vscode.workspace.asRelativePath(m.uri),
      model: m,
    })),
    { title, placeHolder: 'the frozen base model' },
  );
  return pick?.model;
}

async function pickDataset(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  const given = uriOf(arg);
  if (given !== undefined && isDatasetFile(given.path)) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  const files = await findDatasets();
  if (files.length === 0) {
    void vscode.window.showWarningMessage(
      'No dataset found (*.jsonl, *.csv, *.tsv, *.conll): create one with "New Dataset from Template…".',
    );
    return undefined;
  }
  const items = files.map((f) => ({
    label: baseName(f),
    description: vscode.workspace.asRelativePath(f),
    uri: f,
  }));
  items.sort(
    (a, b) =>
      Number(b.uri.toString() === active?.toString()) - Number(a.uri.toString() === active?.toString()),
  );
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'a dataset file' }))?.uri;
}

async function uniqueFolder(parent: vscode.Uri, name: string): Promise<vscode.Uri> {
  let candidate = vscode.Uri.joinPath(parent, name);
  for (let i = 2; await exists(candidate); i++) candidate = vscode.Uri.joinPath(parent, `${name}-${i}`);
  return candidate;
}

async function showMarkdown(markdown: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.window.showTextDocument(doc, { preview: true });
}

interface TrainRequest {
  readonly model: ModelEntry;
  readonly dataset: vscode.Uri;
  readonly evalDataset?: vscode.Uri;
  readonly method: TrainArgs['method'];
  readonly steps?: number;
  readonly label: string;
  /** classification: fit the head as a probe first (default true); the quick preset turns it off */
  readonly warmStart?: boolean;
  /** overrides the maxLength setting (the quick preset: 64 tokens) */
  readonly maxLength?: number;
  /** 'webview' (default where it can: classification, prompt or prefix tuning, no separate eval file) or 'cli' */
  readonly runner?: 'webview' | 'cli';
}

async function trainingChoices(
  ctx: CommandContext,
): Promise<{ models: TrainChoice[]; datasets: TrainChoice[] }> {
  const models = (await findModels(ctx.extensionUri))
    .filter((m) => m.kind === 'hf')
    .map((m) => ({
      label: m.bundled ? `${m.name} (bundled)` : vscode.workspace.asRelativePath(m.uri),
      path: m.uri.fsPath,
    }));
  const datasets: TrainChoice[] = [];
  for (const d of await findDatasets()) {
    const task = taskOf(d.path, await readText(d).catch(() => ''));
    if (task === 'classification')
      datasets.push({ label: vscode.workspace.asRelativePath(d), path: d.fsPath });
  }
  return { models, datasets };
}

function formSettings(
  req: {
    warmStart?: boolean;
    model: vscode.Uri;
    dataset: vscode.Uri;
    method: TrainSettings['method'];
    steps?: number;
    maxLength?: number;
  },
  outputFolder: string,
): TrainSettings {
  const c = settings();
  return {
    modelPath: req.model.fsPath,
    datasetPath: req.dataset.fsPath,
    task: 'classification',
    method: req.method,
    virtualTokens: c.get(SETTINGS.virtualTokens, 8),
    init: c.get(SETTINGS.init, 'SAMPLE_VOCAB'),
    learningRate: c.get(SETTINGS.learningRate, 0.01),
    epochs: c.get(SETTINGS.epochs, 3),
    batchSize: c.get(SETTINGS.batchSize, 8),
    maxLength: req.maxLength ?? c.get(SETTINGS.maxLength, 128),
    seed: c.get(SETTINGS.seed, 42),
    ...(req.steps === undefined ? {} : { maxSteps: req.steps }),
    ...(req.warmStart === undefined ? {} : { warmStart: req.warmStart }),
    outputFolder,
  };
}

function announceSaved(out: vscode.Uri, metrics: string, stopped: boolean): void {
  void vscode.window
    .showInformationMessage(
      stopped
        ? `Training stopped; the last checkpoint is saved in ${vscode.workspace.asRelativePath(out)}${metrics === '' ? '' : ` (${metrics})`}.`
        : `Adapter saved to ${vscode.workspace.asRelativePath(out)}${metrics === '' ? '' : ` (${metrics})`}.`,
      'Inspect',
      'Evaluate',
    )
    .then((choice) => {
      if (choice === 'Inspect') void vscode.commands.executeCommand(COMMANDS.inspect, out);
      if (choice === 'Evaluate') void vscode.commands.executeCommand(COMMANDS.evaluate, out);
    });
}

function metricsText(metrics: Readonly<Record<string, unknown>>): string {
  return Object.entries(metrics)
    .filter(([k, v]) => typeof v === 'number' && !['steps', 'trainMs', 'examples', 'truncated'].includes(k))
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? String(v) : (v as number).toFixed(4)}`)
    .join(', ');
}

/** The webview route: the dashboard trains on WebGPU/wasm/cpu; resolves with the adapter folder. */
async function runTrainingInWebview(ctx: CommandContext, req: TrainRequest): Promise<vscode.Uri | undefined> {
  const out = await outputFolderFor(req.dataset.fsPath, req.method);
  const run = await ctx.trainer.open({
    settings: formSettings(
      {
        model: req.model.uri,
        dataset: req.dataset,
        method: req.method,
        ...(req.steps === undefined ? {} : { steps: req.steps }),
        ...(req.warmStart === undefined ? {} : { warmStart: req.warmStart }),
        ...(req.maxLength === undefined ? {} : { maxLength: req.maxLength }),
      },
      out.fsPath,
    ),
    choices: await trainingChoices(ctx),
    autoStart: true,
    label: req.label,
  });
  if (run === undefined) return undefined;
  return finishWebviewRun(ctx, run);
}

/** Waits for a dashboard run and says how it ended; resolves with the adapter folder it saved, if any. */
async function finishWebviewRun(ctx: CommandContext, run: TrainerRun): Promise<vscode.Uri | undefined> {
  const finished = await run.finished;
  ctx.trees.adapters.refresh();
  if (finished.reason === 'failed') {
    void vscode.window.showErrorMessage(`Training failed: ${finished.message}`, 'Show Log').then((choice) => {
      if (choice !== undefined) ctx.log.show();
    });
    return undefined;
  }
  if (finished.adapterFolder === null) {
    void vscode.window.showInformationMessage(
      `Training stopped before anything was saved (${finished.message}).`,
    );
    return undefined;
  }
  const folder = vscode.Uri.file(finished.adapterFolder);
  announceSaved(folder, metricsText(finished.metrics ?? {}), finished.reason === 'stopped');
  return folder;
}

/** The workspace dataset with the recorded sha256 (files of the recorded name are hashed first). */
async function datasetWithSha256(name: string, sha256: string): Promise<vscode.Uri | undefined> {
  const files = await findDatasets();
  files.sort((a, b) => Number(baseName(b) === name) - Number(baseName(a) === name));
  for (const f of files) if ((await sha256OfText(await readText(f))) === sha256) return f;
  return undefined;
}

/** Resume Training: continues a run the dashboard stopped, from the files in its adapter folder. */
async function resumeTraining(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Resume Training')) return undefined;
  if (ctx.session.running) {
    void vscode.window.showWarningMessage('A training run is already going: stop it first.');
    return undefined;
  }
  const folder = await pickAdapter(arg, 'Resume which stopped training run?');
  if (folder === undefined) return undefined;
  const file = (name: string): vscode.Uri => vscode.Uri.joinPath(folder, name);
  const metadata = (await exists(file('prompt_adapter.json')))
    ? await readJson(file('prompt_adapter.json'))
    : undefined;
  const plan = resumePlan(metadata, await exists(file('checkpoint.safetensors')));
  if ('error' in plan) {
    void vscode.window.showWarningMessage(`${baseName(folder)}: ${plan.error}.`);
    return undefined;
  }
  const dataset = await datasetWithSha256(plan.datasetName, plan.datasetSha256);
  if (dataset === undefined) {
    void vscode.window.showWarningMessage(
      `${baseName(folder)}: its training file ${plan.datasetName} (sha256 ${plan.datasetSha256.slice(0, 12)}…) is not in the workspace any more: put it back (unchanged) to resume.`,
    );
    return undefined;
  }
  // by name (a workspace copy before the bundled one); the page checks the embedding fingerprint
  const named = (await findModels(ctx.extensionUri)).filter(
    (m) => m.kind === 'hf' && m.name === plan.modelName,
  );
  const model =
    named.find((m) => !m.bundled) ??
    named[0] ??
    (await pickModel(ctx, undefined, `Resume on which model (trained on ${plan.modelName})?`));
  if (model === undefined) return undefined;
  const normalization = (await exists(file('head_normalization.json')))
    ? ((await readJson(file('head_normalization.json'))) as { mean: number[]; std: number[] })
    : null;
  const log = (await exists(file('training_log.jsonl'))) ? await readText(file('training_log.jsonl')) : '';
  const settings: TrainSettings = {
    ...plan.settings,
    modelPath: model.uri.fsPath,
    datasetPath: dataset.fsPath,
    outputFolder: folder.fsPath,
  };
  ctx.log.info(`resuming ${folder.fsPath} from step ${plan.stepsDone} of ${plan.settings.maxSteps ?? '?'}`);
  const run = await ctx.trainer.resume(
    { settings, choices: await trainingChoices(ctx), autoStart: false, label: baseName(folder) },
    {
      settings,
      checkpoint: file('checkpoint.safetensors'),
      normalization,
      log,
      embeddingSha256: plan.embeddingSha256,
    },
  );
  return finishWebviewRun(ctx, run);
}

async function runTraining(ctx: CommandContext, req: TrainRequest): Promise<vscode.Uri | undefined> {
  const taskGuess = taskOf(req.dataset.path, await readText(req.dataset)) ?? 'classification';
  const cannot = webviewCannotTrain({
    runner: req.runner,
    setting: settings().get<string>(SETTINGS.trainer, 'webview'),
    task: taskGuess,
    method: req.method,
    modelKind: req.model.kind,
    hasEvalFile: req.evalDataset !== undefined,
  });
  if (cannot === undefined) return runTrainingInWebview(ctx, req);
  ctx.log.info(`training ${req.label} with the CLI: ${cannot}`);
  const trainMissing = await ctx.cli.missing('train');
  if (trainMissing !== undefined) {
    void vscode.window.showWarningMessage(
      `Training is not available yet: the webview trainer is not built and ${trainMissing}.`,
    );
    return undefined;
  }
  const root = workspaceFolder();
  if (root === undefined) {
    void vscode.window.showWarningMessage('Open a folder first: the adapter is saved into the workspace.');
    return undefined;
  }
  const text = await readText(req.dataset);
  const task = taskOf(req.dataset.path, text) ?? 'classification';
  const c = settings();
  const stem = baseName(req.dataset).replace(/\.[^.]*$/, '');
  const out = await uniqueFolder(
    vscode.Uri.joinPath(root, c.get<string>(SETTINGS.adaptersFolder, 'adapters')),
    `${stem}-${req.method === 'PREFIX_TUNING' ? 'prefix' : 'prompt'}`,
  );
  const args = trainArgs({
    model: req.model.uri.fsPath,
    dataset: req.dataset.fsPath,
    ...(req.evalDataset === undefined ? {} : { evalDataset: req.evalDataset.fsPath }),
    task,
    method: req.method,
    init: c.get(SETTINGS.init, 'SAMPLE_VOCAB'),
    virtualTokens: c.get(SETTINGS.virtualTokens, 8),
    learningRate: c.get(SETTINGS.learningRate, 0.01),
    epochs: c.get(SETTINGS.epochs, 3),
    ...(req.steps === undefined ? {} : { steps: req.steps }),
    batchSize: c.get(SETTINGS.batchSize, 8),
    maxLength: c.get(SETTINGS.maxLength, 128),
    seed: c.get(SETTINGS.seed, 42),
    out: out.fsPath,
    backend: cliBackend(c.get(SETTINGS.backend, 'auto')),
  });
  const source = ctx.session.start(req.label);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${req.label}`, cancellable: true },
      async (progress, token) => {
        const sub = token.onCancellationRequested(() => ctx.session.stop());
        let last = 0;
        try {
          return await ctx.cli.run(args, {
            token: source.token,
            cwd: root.fsPath,
            onStderrLine: (line) => {
              const p = parseTrainProgress(line);
              if (p === undefined) return;
              const message = `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)}`;
              const percent = p.totalSteps > 0 ? (100 * p.step) / p.totalSteps : 0;
              progress.report({ message, increment: Math.max(0, percent - last) });
              last = percent;
              ctx.session.update(message);
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.trees.adapters.refresh();
    if (result.cancelled) {
      const kept = await exists(vscode.Uri.joinPath(out, 'adapter_config.json'));
      void vscode.window.showInformationMessage(
        kept
          ? `Training stopped; the last checkpoint is saved in ${vscode.workspace.asRelativePath(out)}.`
          : 'Training stopped before the first checkpoint.',
      );
      return kept ? out : undefined;
    }
    if (result.code !== 0) {
      // Not awaited: the command returns at once (callers and tests must not wait for a click).
      void vscode.window
        .showErrorMessage(`Training failed: ${tail(result.stderr.trim(), 400)}`, 'Show Log')
        .then((choice) => {
          if (choice !== undefined) ctx.log.show();
        });
      return undefined;
    }
    announceSaved(out, metricsText(lastJsonLine(result.stdout) ?? {}), false);
    return out;
  } finally {
    ctx.session.finish();
  }
}

/** Train Adapter run from code (tests, other extensions): `{model, dataset, method?, steps?}` paths, no prompts. */
interface TrainOptionsArg {
  readonly model: string;
  readonly dataset: string;
  readonly evalDataset?: string;
  readonly method?: TrainArgs['method'];
  readonly steps?: number;
  readonly warmStart?: boolean;
  readonly runner?: 'webview' | 'cli';
}

function isTrainOptions(v: unknown): v is TrainOptionsArg {
  if (typeof v !== 'object' || v === null || v instanceof vscode.Uri || isTreeNode(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.model === 'string' && typeof o.dataset === 'string';
}

async function train(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Train Adapter')) return undefined;
  if (ctx.session.running) {
    void vscode.window.showWarningMessage(
      'A training run is already going: stop it first (Prompt Adapter: Stop Training).',
    );
    return undefined;
  }
  if (isTrainOptions(arg)) {
    const uri = vscode.Uri.file(arg.model);
    const dataset = vscode.Uri.file(arg.dataset);
    return runTraining(ctx, {
      model: { kind: 'hf', uri, name: baseName(uri), bundled: false },
      dataset,
      ...(arg.evalDataset === undefined ? {} : { evalDataset: vscode.Uri.file(arg.evalDataset) }),
      method: arg.method ?? 'PROMPT_TUNING',
      ...(arg.steps === undefined ? {} : { steps: arg.steps }),
      ...(arg.runner === undefined ? {} : { runner: arg.runner }),
      ...(arg.warmStart === undefined ? {} : { warmStart: arg.warmStart }),
      label: baseName(dataset),
    });
  }
  const model = await pickModel(ctx, arg, 'Train an adapter for which model?');
  if (model === undefined) return undefined;
  const dataset = await pickDataset(arg, 'Train on which dataset?');
  if (dataset === undefined) return undefined;
  const defaultMethod = settings().get<TrainArgs['method']>(SETTINGS.method, 'PROMPT_TUNING');
  const methods: { label: string; description: string; method: TrainArgs['method'] }[] = [
    {
      label: 'Prompt tuning',
      description: 'virtual tokens in front of the input (PROMPT_TUNING)',
      method: 'PROMPT_TUNING',
    },
    {
      label: 'Prefix tuning',
      description: 'per-layer keys and values (PREFIX_TUNING / P-Tuning v2)',
      method: 'PREFIX_TUNING',
    },
  ];
  methods.sort((a, b) => Number(b.method === defaultMethod) - Number(a.method === defaultMethod));
  const method = await vscode.window.showQuickPick(methods, { title: 'Which soft-prompt method?' });
  if (method === undefined) return undefined;
  return runTraining(ctx, { model, dataset, method: method.method, label: baseName(dataset) });
}

async function openExample(ctx: CommandContext): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Open the Bundled Example')) return undefined;
  const root = workspaceFolder();
  if (root === undefined) {
    void vscode.window
      .showWarningMessage('Open a folder first: the example is copied into the workspace.', 'Open Folder')
      .then((choice) => {
        if (choice !== undefined) void vscode.commands.executeCommand('vscode.openFolder');
      });
    return undefined;
  }
  const target = vscode.Uri.joinPath(root, EXAMPLE_FOLDER);
  const source = vscode.Uri.joinPath(ctx.extensionUri, 'examples', 'spam');
  await vscode.workspace.fs.createDirectory(target);
  for (const f of EXAMPLE_FILES) {
    const to = vscode.Uri.joinPath(target, f);
    if (!(await exists(to))) await vscode.workspace.fs.copy(vscode.Uri.joinPath(source, f), to);
  }
  ctx.trees.refreshAll();
  await vscode.window.showTextDocument(vscode.Uri.joinPath(target, 'train.jsonl'), { preview: false });
  void vscode.commands.executeCommand(`workbench.view.extension.${VIEW_CONTAINER}`);
  return target;
}

async function trainQuick(ctx: CommandContext): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Train Adapter')) return undefined;
  const root = workspaceFolder();
  const folder = root === undefined ? undefined : vscode.Uri.joinPath(root, EXAMPLE_FOLDER);
  if (folder === undefined || !(await exists(vscode.Uri.joinPath(folder, 'train.jsonl')))) {
    if ((await openExample(ctx)) === undefined) return undefined;
  }
  if (folder === undefined) return undefined;
  const model: ModelEntry = {
    kind: 'hf',
    uri: bundledModelUri(ctx.extensionUri),
    name: 'stories260K',
    bundled: true,
  };
  return runTraining(ctx, {
    model,
    // the webview trainer holds out a seeded 10% of train.jsonl; Evaluate uses test.jsonl afterwards
    dataset: vscode.Uri.joinPath(folder, 'train.jsonl'),
    method: 'PROMPT_TUNING',
    steps: QUICK_STEPS,
    // the head starts at zero: the quick run's charts show the loss falling from ln 2
    warmStart: false,
    // SMS messages are short; 64 tokens keep a step cheap on a software WebGPU adapter
    maxLength: 64,
    label: 'spam example (quick)',
  });
}

async function evaluate(ctx: CommandContext, arg: unknown): Promise<Record<string, unknown> | undefined> {
  return runEvaluation(ctx, arg, { pickAdapter, pickModel: (a, t) => pickModel(ctx, a, t), pickDataset });
}

async function generate(ctx: CommandContext, arg: unknown): Promise<string | undefined> {
  if (!requireTrust('Generate with Adapter')) return undefined;
  const generateMissing = await ctx.cli.missing('generate');
  if (generateMissing !== undefined) {
    void vscode.window.showWarningMessage(`Generation is not available: ${generateMissing}.`);
    return undefined;
  }
  const adapterGiven = isTreeNode(arg) && arg.type === 'adapter' ? arg.entry.folder : undefined;
  const model = await pickModel(ctx, arg, 'Generate with which model?');
  if (model === undefined) return undefined;
  let adapter = adapterGiven;
  if (adapter === undefined) {
    const adapters = await findAdapters();
    const none = {
      label: 'No adapter',
      description: 'the bare model',
      folder: undefined as vscode.Uri | undefined,
    };
    const pick = await vscode.window.showQuickPick(
      [
        none,
        ...adapters.map((a) => ({
          label: a.name,
          description: vscode.workspace.asRelativePath(a.folder),
          folder: a.folder,
        })),
      ],
      { title: 'With which adapter?' },
    );
    if (pick === undefined) return undefined;
    adapter = pick.folder;
  }
  const prompt = await vscode.window.showInputBox({
    title: 'Prompt',
    value: 'Once upon a time',
    prompt: 'The text the model continues',
  });
  if (prompt === undefined) return undefined;
  const args = generateArgs({
    model: model.uri.fsPath,
    ...(adapter === undefined ? {} : { adapter: adapter.fsPath }),
    prompt,
    maxNewTokens: 64,
    backend: cliBackend(settings().get(SETTINGS.backend, 'auto')),
  });
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Generating…', cancellable: true },
    (_p, token) => ctx.cli.run([...args, '--json'], { token }),
  );
  if (result.cancelled) return undefined;
  if (result.code !== 0) {
    void vscode.window.showErrorMessage(`Generation failed: ${tail(result.stderr.trim(), 400)}`);
    return undefined;
  }
  const out = lastJsonLine(result.stdout);
  const text = typeof out?.text === 'string' ? out.text : result.stdout.trim();
  ctx.log.info(`generated: ${text}`);
  await showMarkdown(
    [
      `# Generated with ${model.name}${adapter === undefined ? '' : ` + ${baseName(adapter)}`}`,
      '',
      '```text',
      text,
      '```',
      '',
    ].join('\n'),
  );
  return text;
}

async function inspect(arg: unknown): Promise<void> {
  const folder = await pickAdapter(arg, 'Inspect which adapter?');
  if (folder === undefined) return;
  const given = uriOf(arg);
  const file =
    given !== undefined && given.path.endsWith('.safetensors')
      ? given
      : vscode.Uri.joinPath(folder, 'adapter_model.safetensors');
  await vscode.commands.executeCommand('vscode.openWith', file, INSPECTOR_VIEW_TYPE);
}

async function newDataset(): Promise<vscode.Uri | undefined> {
  if (!requireTrust('New Dataset from Template')) return undefined;
  const pick = await vscode.window.showQuickPick(
    DATASET_TEMPLATES.map((t) => ({ label: t.label, description: t.description, template: t })),
    { title: 'New dataset from which template?' },
  );
  if (pick === undefined) return undefined;
  const root = workspaceFolder();
  const target = await vscode.window.showSaveDialog({
    title: 'Save the new dataset as',
    ...(root === undefined ? {} : { defaultUri: vscode.Uri.joinPath(root, 'data', pick.template.fileName) }),
    filters: { Dataset: [pick.template.fileName.slice(pick.template.fileName.lastIndexOf('.') + 1)] },
  });
  if (target === undefined) return undefined;
  await writeTextAtomic(target, pick.template.text);
  await vscode.window.showTextDocument(target);
  return target;
}

export interface ValidationSummary {
  readonly file: string;
  readonly task: string;
  readonly rows: number;
  readonly errors: number;
  readonly warnings: number;
}

async function validateDataset(ctx: CommandContext, arg: unknown): Promise<ValidationSummary | undefined> {
  const uri = uriOf(arg) ?? vscode.window.activeTextEditor?.document.uri;
  if (uri === undefined || !isDatasetFile(uri.path)) {
    void vscode.window.showWarningMessage(
      'Validate Dataset: open or select a .jsonl, .csv, .tsv or .conll file.',
    );
    return undefined;
  }
  const data = ctx.diagnostics.validateText(uri, await readText(uri));
  if (data === undefined) return undefined;
  const errors = data.issues.filter((i) => i.severity === 'error').length;
  const summary = {
    file: uri.fsPath,
    task: data.task,
    rows: data.rows.length,
    errors,
    warnings: data.issues.length - errors,
  };
  const text = `${baseName(uri)}: ${summary.rows} ${data.task} examples, ${errors} error${errors === 1 ? '' : 's'}, ${summary.warnings} warning${summary.warnings === 1 ? '' : 's'}.`;
  if (data.issues.length === 0) void vscode.window.showInformationMessage(text);
  else
    void vscode.window.showWarningMessage(text, 'Show Problems').then((c) => {
      if (c !== undefined) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  return summary;
}

async function datasetStats(ctx: CommandContext, arg: unknown): Promise<string | undefined> {
  const uri =
    uriOf(arg) ??
    vscode.window.activeTextEditor?.document.uri ??
    (await pickDataset(undefined, 'Statistics of which dataset?'));
  if (uri === undefined || !isDatasetFile(uri.path)) return undefined;
  const text = await readText(uri);
  const data = loadDataset(baseName(uri), text);
  if (data === undefined) return undefined;
  ctx.diagnostics.validateText(uri, text);
  const report = statsReport(vscode.workspace.asRelativePath(uri), data);
  await showMarkdown(report);
  return report;
}

async function importConll(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Import CoNLL')) return undefined;
  let source = uriOf(arg);
  if (source === undefined || !source.path.toLowerCase().endsWith('.conll')) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Import which CoNLL file?',
      canSelectMany: false,
      filters: { CoNLL: ['conll', 'txt', 'tsv'] },
    });
    source = picked?.[0];
  }
  if (source === undefined) return undefined;
  const converted = conllToJsonl(await readText(source), baseName(source));
  if (converted.sentences === 0) {
    void vscode.window.showErrorMessage(
      `${baseName(source)}: no sentence could be read (expected token<TAB>tag lines).`,
    );
    return undefined;
  }
  const target = vscode.Uri.file(jsonlNameFor(source.fsPath));
  if (await exists(target)) {
    const ok = await vscode.window.showWarningMessage(
      `${baseName(target)} exists. Replace it?`,
      { modal: true },
      'Replace',
    );
    if (ok === undefined) return undefined;
  }
  await writeTextAtomic(target, converted.jsonl);
  ctx.trees.datasets.refresh();
  await vscode.window.showTextDocument(target);
  const problems =
    converted.issues.length === 0
      ? ''
      : ` ${converted.issues.length} problem(s) in the source: see the Problems panel.`;
  if (converted.issues.length > 0) ctx.diagnostics.validateText(source, await readText(source));
  void vscode.window.showInformationMessage(
    `Imported ${converted.sentences} sentences (${converted.tokens} tokens) into ${baseName(target)}.${problems}`,
  );
  return target;
}

async function openDashboard(ctx: CommandContext): Promise<void> {
  if (ctx.trainer.reveal()) return;
  if (!requireTrust('Open Training Dashboard')) return;
  const choices = await trainingChoices(ctx);
  const model = choices.models[0];
  const dataset =
    choices.datasets.find((d) => d.path === vscode.window.activeTextEditor?.document.uri.fsPath) ??
    choices.datasets[0];
  if (model === undefined) {
    void vscode.window.showWarningMessage(
      'No model found: add a Hugging Face model folder to the workspace.',
    );
    return;
  }
  if (dataset === undefined) {
    void vscode.window
      .showWarningMessage(
        'No classification dataset in the workspace: open the bundled example or create a dataset first.',
        'Open the Bundled Example',
      )
      .then((c) => {
        if (c !== undefined) void vscode.commands.executeCommand(COMMANDS.openExample);
      });
    return;
  }
  await ctx.trainer.open({
    settings: formSettings(
      {
        model: vscode.Uri.file(model.path),
        dataset: vscode.Uri.file(dataset.path),
        method: settings().get<TrainSettings['method']>(SETTINGS.method, 'PROMPT_TUNING'),
      },
      '',
    ),
    choices,
    autoStart: false,
    label: dataset.label,
  });
}

function stopTraining(ctx: CommandContext): boolean {
  const stopped = ctx.session.stop();
  if (!stopped) void vscode.window.showInformationMessage('No training is running.');
  return stopped;
}

/** Registers every command of ids.ts; the returned disposables unregister them. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const handlers: Record<(typeof COMMANDS)[keyof typeof COMMANDS], (arg: unknown) => unknown> = {
    [COMMANDS.train]: (arg) => train(ctx, arg),
    [COMMANDS.trainQuick]: () => trainQuick(ctx),
    [COMMANDS.evaluate]: (arg) => evaluate(ctx, arg),
    [COMMANDS.generate]: (arg) => generate(ctx, arg),
    [COMMANDS.inspect]: (arg) => inspect(arg),
    [COMMANDS.newDataset]: () => newDataset(),
    [COMMANDS.validateDataset]: (arg) => validateDataset(ctx, arg),
    [COMMANDS.datasetStats]: (arg) => datasetStats(ctx, arg),
    [COMMANDS.importConll]: (arg) => importConll(ctx, arg),
    [COMMANDS.openDashboard]: () => openDashboard(ctx),
    [COMMANDS.stopTraining]: () => stopTraining(ctx),
    [COMMANDS.resumeTraining]: (arg) => resumeTraining(ctx, arg),
    [COMMANDS.refresh]: () => {
      ctx.trees.refreshAll();
    },
    [COMMANDS.openExample]: () => openExample(ctx),
  };
  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (arg: unknown) => {
      try {
        return await handler(arg);
      } catch (e) {
        ctx.log.error(`${id}: ${errorText(e)}`);
        void vscode.window.showErrorMessage(`Prompt Adapter: ${errorText(e)}`);
        return undefined;
      }
    }),
  );
}
