// Scope 7(c) of issue 4: the same workspace, untrusted (Workspace Trust on, folder not trusted). Training
// must be refused with a clear message and nothing may be written. The extension host cannot read
// notifications back, so the last test hands over to the runner (test/e2e/run.ts), which reads the
// Notification Center and runs Train Adapter from the command palette while this host is still alive.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handOffToRunner, suite, test, withTimeout } from './harness';
import {
  activatedExtension,
  describeDiagnostics,
  errorLines,
  inWorkspace,
  inspectorText,
  inspectorViewType,
  sleep,
  theExtension,
  waitForDiagnostics,
} from './util';

async function listTree(uri: vscode.Uri, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const [name, type] of await vscode.workspace.fs.readDirectory(uri)) {
    const rel = prefix + name;
    if (type === vscode.FileType.Directory)
      out.push(...(await listTree(vscode.Uri.joinPath(uri, name), rel + '/')));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * Runs `command` and checks that it settles (a refusal must not wait for the user to dismiss a message, and
 * must not start a run: a command that never settles fails, it would be waiting for input we cannot give)
 * and that no file in the workspace was written or removed.
 */
async function refusedWithoutWrites(command: string): Promise<void> {
  const root = inWorkspace();
  const before = await listTree(root);
  const result: unknown = await withTimeout(
    Promise.resolve(vscode.commands.executeCommand(command)).then(
      (value: unknown) => ({ value }),
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    ),
    10_000,
    `${command} in an untrusted workspace`,
  );
  console.log(`[e2e] ${command} (untrusted) settled with ${JSON.stringify(result)}`);
  await sleep(1_000); // anything a started run would write shows up by now
  assert.deepEqual(await listTree(root), before, 'no file was written or removed');
}

suite('untrusted workspace', () => {
  test('the workspace is not trusted in this phase', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the manifest declares limited support for untrusted workspaces', () => {
    const manifest = theExtension().packageJSON as {
      capabilities?: { untrustedWorkspaces?: { supported?: unknown; description?: unknown } };
    };
    const declared = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(declared?.supported, 'limited');
    assert.equal(typeof declared.description, 'string', 'says what is disabled');
  });

  test('the extension still activates in Restricted Mode', async () => {
    const ext = await activatedExtension();
    assert.equal(ext.isActive, true);
  });

  test('Train Adapter is refused and writes nothing', async () => {
    await refusedWithoutWrites('promptAdapter.train');
  });

  test('the refusal names Workspace Trust, and Train Adapter from the palette is refused too (UI)', async () => {
    const root = inWorkspace();
    const before = await listTree(root);
    const answer = (await handOffToRunner('train-refusal', 100_000)) as TrainRefusalUi;
    console.log(`[e2e] runner's UI answer: ${JSON.stringify(answer)}`);
    assert.match(answer.apiRunMessage ?? '(none)', /trust/i, 'message of the API-run refusal');
    if (answer.paletteOffered) {
      assert.match(answer.paletteRunMessage ?? '(none)', /trust/i, 'message of the palette-run refusal');
    }
    await sleep(1_000);
    assert.deepEqual(await listTree(root), before, 'no file was written or removed');
  }, 120_000);

  for (const [id, action] of [
    ['promptAdapter.newDataset', 'New Dataset from Template'],
    ['promptAdapter.importConll', 'Import CoNLL'],
    ['promptAdapter.trainQuick', 'Train Adapter'],
  ] as const) {
    test(`${id} (writes files) is refused with a message and writes nothing`, async () => {
      await handOffToRunner('clear-notifications', 20_000); // an older message must not count
      await refusedWithoutWrites(id);
      const seen = (await handOffToRunner('notification', 30_000, {
        pattern: `${action} is disabled in this untrusted workspace`,
      })) as { found?: string | null };
      assert.ok(
        typeof seen.found === 'string',
        `no "${action} is disabled…" message in the Notification Center`,
      );
      assert.match(seen.found, /Workspace Trust/);
    }, 45_000);
  }

  // What Restricted Mode keeps (the manifest's description): reading, validating, inspecting.
  test('datasets are still validated: the broken dataset gets its diagnostics', async () => {
    const uri = inWorkspace('datasets', 'broken.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const { diagnostics } = await waitForDiagnostics(
      uri,
      (d) => errorLines(d).length > 0,
      10_000,
      'diagnostics',
    );
    assert.deepEqual(errorLines(diagnostics), [2, 5], describeDiagnostics(diagnostics));
  });

  test('adapters can still be inspected (UI)', async () => {
    const file = inWorkspace('adapters', 'stories260K_prompt_tuning', 'adapter_model.safetensors');
    await vscode.commands.executeCommand('vscode.openWith', file, inspectorViewType());
    const text = await inspectorText('PROMPT_TUNING', 'untrusted-inspector');
    assert.match(text, /CAUSAL_LM/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 60_000);
});

/** What test/e2e/run.ts answers for the "train-refusal" UI step. */
interface TrainRefusalUi {
  readonly apiRunMessage?: string;
  readonly paletteOffered: boolean;
  readonly paletteRunMessage?: string;
}
