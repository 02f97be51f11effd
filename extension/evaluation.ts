// Evaluate Adapter…: runs `prompt-adapter eval --compare-bare` (the bundled CLI, in a child process) and opens
// the Evaluation view with the adapter's metrics beside the bare model's. commands.ts keeps only the call
// (and lends its pickers); an options object {adapter, model?, dataset?} skips every prompt (tests, scripts).
import * as vscode from 'vscode';
import type { EvaluationReport } from '../core/protocol/index.js';
import type { CliRunner } from './cliRunner.js';
import type { ModelEntry } from './discovery.js';
import { showEvaluationPanel } from './evaluationPanel.js';
import { exists, readJson, readText } from './files.js';
import { cliBackend, evalArgs, lastJsonLine, tail } from './logic/cli.js';
import { taskOf } from './logic/datasetKind.js';
import { SETTINGS } from './logic/ids.js';
import { requireTrust } from './trust.js';

export interface EvaluationContext {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly cli: CliRunner;
}

/** How commands.ts asks the user for what the argument does not say. */
export interface EvaluationPickers {
  pickAdapter(arg: unknown, title: string): Promise<vscode.Uri | undefined>;
  pickModel(arg: unknown, title: string): Promise<ModelEntry | undefined>;
  pickDataset(arg: unknown, title: string): Promise<vscode.Uri | undefined>;
}

/** `executeCommand('promptAdapter.evaluate', {adapter, model?, dataset?})`: file-system paths. */
export interface EvaluateOptions {
  readonly adapter: string;
  readonly model?: string;
  readonly dataset?: string;
  /** also score the bare model (default true) */
  readonly compareBare?: boolean;
}

export function isEvaluateOptions(v: unknown): v is EvaluateOptions {
  if (typeof v !== 'object' || v === null || v instanceof vscode.Uri) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.adapter === 'string' &&
    (o.model === undefined || typeof o.model === 'string') &&
    (o.dataset === undefined || typeof o.dataset === 'string') &&
    (o.compareBare === undefined || typeof o.compareBare === 'boolean')
  );
}

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

async function showMarkdown(markdown: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** When the CLI has no `eval`: offer the metrics recorded at training time, if any. */
async function recordedMetrics(
  adapter: vscode.Uri,
  why: string,
): Promise<Record<string, unknown> | undefined> {
  const metadataUri = vscode.Uri.joinPath(adapter, 'prompt_adapter.json');
  const recorded = (await exists(metadataUri))
    ? ((await readJson(metadataUri)) as { metrics?: unknown }).metrics
    : undefined;
  const message = `Evaluation is not available: ${why}.`;
  if (typeof recorded !== 'object' || recorded === null) {
    void vscode.window.showWarningMessage(message);
    return undefined;
  }
  const markdown = [
    `# Metrics recorded at training time: ${baseName(adapter)}`,
    '',
    '```json',
    JSON.stringify(recorded, null, 2),
    '```',
    '',
  ].join('\n');
  void vscode.window
    .showWarningMessage(
      `${message} The metrics recorded at training time are available.`,
      'Show Recorded Metrics',
    )
    .then((choice) => {
      if (choice !== undefined) void showMarkdown(markdown);
    });
  return recorded as Record<string, unknown>;
}

/** The command: returns eval's metrics (with `bare`), or undefined when cancelled or failed. */
export async function runEvaluation(
  ctx: EvaluationContext,
  arg: unknown,
  pickers: EvaluationPickers,
): Promise<Record<string, unknown> | undefined> {
  if (!requireTrust('Evaluate Adapter')) return undefined;
  const options = isEvaluateOptions(arg) ? arg : undefined;
  const adapter =
    options === undefined
      ? await pickers.pickAdapter(arg, 'Evaluate which adapter?')
      : await pickers.pickAdapter(vscode.Uri.file(options.adapter), 'Evaluate which adapter?');
  if (adapter === undefined) return undefined;
  const evalMissing = await ctx.cli.missing('eval');
  if (evalMissing !== undefined) return recordedMetrics(adapter, evalMissing);

  const model: ModelEntry | undefined =
    options?.model !== undefined
      ? {
          kind: options.model.endsWith('.gguf') ? 'gguf' : 'hf',
          uri: vscode.Uri.file(options.model),
          name: baseName(vscode.Uri.file(options.model)),
          bundled: false,
        }
      : await pickers.pickModel(undefined, 'Evaluate on which base model?');
  if (model === undefined) return undefined;
  const dataset =
    options?.dataset !== undefined
      ? vscode.Uri.file(options.dataset)
      : await pickers.pickDataset(undefined, 'Evaluate on which dataset?');
  if (dataset === undefined) return undefined;
  const task = taskOf(dataset.path, await readText(dataset)) ?? 'classification';
  const args = [
    ...evalArgs({
      model: model.uri.fsPath,
      adapter: adapter.fsPath,
      dataset: dataset.fsPath,
      task,
      backend: cliBackend(vscode.workspace.getConfiguration('promptAdapter').get(SETTINGS.backend, 'auto')),
    }),
    ...(options?.compareBare === false ? [] : ['--compare-bare']),
  ];
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Evaluating ${baseName(adapter)} (and the bare model)`,
      cancellable: true,
    },
    (_p, token) => ctx.cli.run(args, { token }),
  );
  if (result.cancelled) return undefined;
  if (result.code !== 0) {
    void vscode.window.showErrorMessage(`Evaluation failed: ${tail(result.stderr.trim(), 400)}`);
    return undefined;
  }
  const metrics = lastJsonLine(result.stdout) ?? {};
  const examples = metrics.examples;
  const report: EvaluationReport = {
    adapterName: baseName(adapter),
    adapterPath: vscode.workspace.asRelativePath(adapter),
    modelName: model.bundled ? `${model.name} (bundled)` : model.name,
    datasetName: vscode.workspace.asRelativePath(dataset),
    task,
    examples:
      typeof examples === 'number' && Number.isSafeInteger(examples) && examples >= 0 ? examples : null,
    metrics,
  };
  showEvaluationPanel(ctx.extensionUri, ctx.log, report);
  return metrics;
}
