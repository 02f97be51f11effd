// Show Attention to Virtual Tokens in a real VS Code: the page loads stories260K and the golden prompt-tuning
// adapter through asWebviewUri (CSP: wasm, connect to the webview's own source), runs the forward and reports
// its layers × heads shares to the host, which the command returns; the heatmap is read in the browser.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { activatedExtension, inWorkspace, inspectorText } from './util';

const GOLDEN = 'stories260K_prompt_tuning';

suite('attention', () => {
  test('Show Attention to Virtual Tokens {adapter, model, text} computes shares in the webview', async () => {
    await activatedExtension();
    const result: unknown = await vscode.commands.executeCommand('promptAdapter.showAttention', {
      adapter: inWorkspace('adapters', GOLDEN).fsPath,
      model: inWorkspace('models', 'stories260K').fsPath,
      text: 'Once upon a time',
    });
    assert.ok(typeof result === 'object' && result !== null, 'the page reported a result (see the log)');
    const r = result as { kind?: unknown; virtualTokens?: unknown; shares?: unknown; tokens?: unknown };
    assert.equal(r.kind, 'soft');
    assert.equal(r.virtualTokens, 8);
    assert.ok(Array.isArray(r.shares) && r.shares.length === 5, '5 layers');
    for (const row of r.shares as unknown[]) {
      assert.ok(Array.isArray(row) && row.length === 8, '8 heads');
      for (const v of row as unknown[])
        assert.ok(typeof v === 'number' && v >= 0 && v <= 1 + 1e-6, String(v));
    }
    const text = await inspectorText(
      'Layers × heads[\\s\\S]*text tokens × virtual tokens',
      'trusted-attention-view',
    );
    assert.match(text, /Attention to the virtual tokens: stories260K_prompt_tuning/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 120_000);
});
