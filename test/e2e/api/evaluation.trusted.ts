// The Evaluation view (issue 4 scope 5): Evaluate Adapter… with an options object (no prompts) runs the bundled
// CLI's eval with --compare-bare on the golden causal-LM adapter and an SFT dataset of the workspace, returns
// the metrics (adapter + bare model), and opens the Evaluation webview, whose text is read in the browser.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { activatedExtension, inWorkspace, inspectorText } from './util';

const GOLDEN = 'stories260K_prompt_tuning';

interface SftMetrics {
  readonly loss?: unknown;
  readonly perplexity?: unknown;
  readonly examples?: unknown;
  readonly samples?: unknown;
  readonly bare?: { readonly loss?: unknown; readonly perplexity?: unknown; readonly samples?: unknown };
}

function finite(v: unknown, what: string): number {
  assert.ok(typeof v === 'number' && Number.isFinite(v), `${what}: ${JSON.stringify(v)}`);
  return v;
}

suite('evaluation', () => {
  let metrics: SftMetrics | undefined;

  test('Evaluate Adapter… {adapter, model, dataset} returns the adapter and bare-model metrics', async () => {
    await activatedExtension();
    const result: unknown = await vscode.commands.executeCommand('promptAdapter.evaluate', {
      adapter: inWorkspace('adapters', GOLDEN).fsPath,
      model: inWorkspace('models', 'stories260K').fsPath,
      dataset: inWorkspace('datasets', 'stories-sft.jsonl').fsPath,
    });
    assert.ok(
      typeof result === 'object' && result !== null,
      `the command returns metrics: ${String(result)}`,
    );
    metrics = result;
    const loss = finite(metrics.loss, 'loss');
    const perplexity = finite(metrics.perplexity, 'perplexity');
    assert.ok(Math.abs(perplexity - Math.exp(loss)) < 1e-6 * perplexity, 'perplexity = exp(loss)');
    assert.equal(metrics.examples, 6, 'the six rows of stories-sft.jsonl');
    assert.ok(metrics.bare !== undefined, 'the bare model was evaluated');
    const bareLoss = finite(metrics.bare.loss, 'bare.loss');
    assert.notEqual(bareLoss, loss, 'the prompt changes the loss');
    assert.ok(Array.isArray(metrics.samples) && metrics.samples.length > 0, 'sample generations');
    assert.ok(Array.isArray(metrics.bare.samples) && metrics.bare.samples.length === metrics.samples.length);
  }, 120_000);

  test('the Evaluation view shows the metrics side by side with the bare model (UI)', async () => {
    assert.ok(metrics !== undefined, 'the evaluation test ran');
    const text = await inspectorText(
      `Evaluation: ${GOLDEN}[\\s\\S]*Sample generations`,
      'trusted-evaluation-view',
    );
    for (const part of ['stories-sft.jsonl', 'Perplexity', 'Loss', 'bare model', 'reference', 'Examples'])
      assert.ok(text.includes(part), `the view shows "${part}"`);
    const loss = finite(metrics.loss, 'loss');
    const bareLoss = finite(metrics.bare?.loss, 'bare.loss');
    assert.ok(text.includes(loss.toFixed(4)), `the adapter's loss ${loss.toFixed(4)} is shown`);
    assert.ok(text.includes(bareLoss.toFixed(4)), `the bare model's loss ${bareLoss.toFixed(4)} is shown`);
    assert.match(text, /Δ [+−]\d/, 'a delta is shown');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 60_000);
});
