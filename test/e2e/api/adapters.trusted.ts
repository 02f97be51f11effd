// Adapters in the editor: the Adapters view discovers the workspace's adapters (and new ones as they are
// written); an adapter opens in the Adapter Inspector custom editor, whose webview shows what was loaded;
// Train Adapter… saves a PEFT adapter, which loads again (save and load, issue 4 scope 7a).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handOffToRunner, suite, test, withTimeout } from './harness';
import { activatedExtension, inWorkspace, inspectorText, inspectorViewType } from './util';

const GOLDEN = 'stories260K_prompt_tuning';

interface ViewItemsAnswer {
  readonly items?: string[];
  readonly missing?: string[];
  readonly error?: string;
}

async function adaptersViewLists(names: readonly string[], shot: string): Promise<ViewItemsAnswer> {
  const answer = (await handOffToRunner('view-items', 40_000, {
    container: 'Prompt Adapters',
    view: 'Adapters',
    expected: names,
    shot,
  })) as ViewItemsAnswer;
  assert.equal(answer.error, undefined, answer.error);
  assert.deepEqual(answer.missing, [], `Adapters view shows ${JSON.stringify(answer.items)}`);
  return answer;
}

suite('adapters', () => {
  let trained: vscode.Uri | undefined;

  test('the Adapters view lists the workspace adapter (UI)', async () => {
    await activatedExtension();
    await adaptersViewLists([GOLDEN], 'trusted-adapters-view');
  }, 60_000);

  test('Open With… the Adapter Inspector puts the golden adapter into an inspector tab', async () => {
    const viewType = inspectorViewType();
    const file = inWorkspace('adapters', GOLDEN, 'adapter_model.safetensors');
    await vscode.commands.executeCommand('vscode.openWith', file, viewType);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab !== undefined, 'a tab is active');
    assert.ok(tab.input instanceof vscode.TabInputCustom, `the active tab is a custom editor (${tab.label})`);
    assert.equal(tab.input.viewType, viewType);
    assert.equal(tab.input.uri.toString(), file.toString());
  });

  test('the inspector webview shows the loaded adapter: method and shape (UI)', async () => {
    const text = await inspectorText('PROMPT_TUNING', 'trusted-inspector');
    assert.match(text, /CAUSAL_LM/, 'the task type read from adapter_config.json');
    assert.match(
      text,
      /\b8\s*(?:[×x,]|by)\s*64\b/,
      'the prompt shape [P=8, W=64] read from the safetensors file',
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 60_000);

  test('Train Adapter… saves a PEFT adapter into the workspace (quick picks answered in the UI)', async () => {
    const dataset = inWorkspace('datasets', 'spam-small.jsonl');
    // not awaited yet: the command waits for the model and method quick picks, which the runner answers
    const training = Promise.resolve(vscode.commands.executeCommand('promptAdapter.train', dataset));
    const model = (await handOffToRunner('quick-pick', 40_000, {
      title: 'Train an adapter for which model?',
      choose: 'models/stories260K',
    })) as QuickPickAnswer;
    assert.ok(
      model.picked !== null && model.picked !== undefined,
      `model quick pick: ${JSON.stringify(model)}`,
    );
    const method = (await handOffToRunner('quick-pick', 40_000, {
      title: 'Which soft-prompt method?',
      choose: 'Prompt tuning',
    })) as QuickPickAnswer;
    assert.ok(
      method.picked !== null && method.picked !== undefined,
      `method quick pick: ${JSON.stringify(method)}`,
    );
    // The outcome is a message: "Adapter saved to …" or a failure. A failure's message waits for the user
    // (its "Show Log" button), so the command would not settle: read the message instead of waiting.
    const outcome = (await handOffToRunner('notification', 160_000, {
      pattern: '^(Adapter saved to|Training failed|Training is not available|Training stopped)',
      timeoutMs: 150_000,
    })) as { found?: string | null; all?: string[] };
    assert.ok(
      typeof outcome.found === 'string',
      `no training outcome message: ${JSON.stringify(outcome.all)}`,
    );
    assert.match(outcome.found, /^Adapter saved to/, `the training outcome: ${outcome.found}`);
    const result = await withTimeout(training, 10_000, 'Train Adapter… after "Adapter saved to"');
    assert.ok(result instanceof vscode.Uri, `the command returns the adapter folder, got ${String(result)}`);
    trained = result;
    const config = JSON.parse(
      new TextDecoder().decode(
        await vscode.workspace.fs.readFile(vscode.Uri.joinPath(result, 'adapter_config.json')),
      ),
    ) as { peft_type?: unknown; num_virtual_tokens?: unknown; task_type?: unknown };
    assert.equal(config.peft_type, 'PROMPT_TUNING');
    const virtualTokens = config.num_virtual_tokens;
    assert.ok(typeof virtualTokens === 'number' && virtualTokens > 0);
    const header = await safetensorsHeader(vscode.Uri.joinPath(result, 'adapter_model.safetensors'));
    assert.deepEqual(header.prompt_embeddings?.shape, [virtualTokens, 64], 'prompt_embeddings [P, d_model]');
  }, 200_000);

  test('the saved adapter loads again: Inspect Adapter shows it in the inspector (UI)', async () => {
    assert.ok(trained !== undefined, 'the training test saved an adapter');
    await vscode.commands.executeCommand('promptAdapter.inspect', trained);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(
      tab?.input instanceof vscode.TabInputCustom,
      `the active tab is a custom editor (${tab?.label ?? 'none'})`,
    );
    assert.equal(tab.input.viewType, inspectorViewType());
    assert.equal(
      tab.input.uri.toString(),
      vscode.Uri.joinPath(trained, 'adapter_model.safetensors').toString(),
    );
    // the webview shows what was read back: the trained classification adapter, not the golden causal-LM one
    const text = await inspectorText('SEQ_CLS', 'trusted-inspector-trained');
    assert.match(text, /PROMPT_TUNING/);
  }, 60_000);

  test('the saved adapter appears in the Adapters view (file watcher, UI)', async () => {
    assert.ok(trained !== undefined, 'the training test saved an adapter');
    const name = trained.path.slice(trained.path.lastIndexOf('/') + 1);
    await adaptersViewLists([GOLDEN, name], 'trusted-adapters-view-after-training');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 60_000);
});

interface QuickPickAnswer {
  readonly picked?: string | null;
  readonly error?: string;
}

/** The JSON header of a safetensors file: u64 little-endian length, then that many bytes of JSON. */
async function safetensorsHeader(uri: vscode.Uri): Promise<Record<string, { shape?: number[] } | undefined>> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<
    string,
    { shape?: number[] } | undefined
  >;
}
