// The extension loads from the repository, activates, and its command registrations match the manifest.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import {
  activatedExtension,
  contributedCommandIds,
  contributedViewIds,
  extensionId,
  extensionPath,
  sleep,
  theExtension,
} from './util';

// Commands that the workbench itself registers for every contributed view (`<viewId>.focus` and friends),
// so they carry the extension's prefix without being the extension's own.
const viewCommandSuffixes = ['focus', 'resetViewLocation', 'toggleVisibility', 'removeView', 'open'];

function commandPrefix(ids: readonly string[]): string {
  const first = ids[0];
  if (first === undefined)
    throw new assert.AssertionError({ message: 'package.json contributes no command' });
  return first.slice(0, first.indexOf('.') + 1);
}

suite('activation', () => {
  test('the workspace is trusted in this phase', () => {
    assert.equal(vscode.workspace.isTrusted, true);
  });

  test('the extension is loaded from the development path', () => {
    const ext = theExtension();
    assert.equal(ext.id.toLowerCase(), extensionId.toLowerCase());
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace, 'runs in the Node extension host');
    assert.equal(ext.extensionUri.fsPath, extensionPath, 'extensionDevelopmentPath, not an installed copy');
  });

  test('the extension activates on its own in a workspace that holds an adapter', async () => {
    // activationEvents include workspaceContains:**/adapter_config.json, and the fixture workspace has one
    const ext = theExtension();
    const deadline = Date.now() + 15_000;
    while (!ext.isActive && Date.now() < deadline) await sleep(100);
    assert.equal(ext.isActive, true, 'not activated by its activation events within 15 s');
  });

  test('activate() resolves (no error thrown from activate)', async () => {
    const ext = await activatedExtension();
    assert.equal(ext.isActive, true);
  });

  test('every contributed command is registered', async () => {
    const ext = await activatedExtension();
    const contributed = contributedCommandIds(ext);
    assert.ok(contributed.length >= 9, `expected the issue's commands at least, got ${contributed.length}`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed in package.json but not registered: ${missing.join(', ')}`);
  });

  test('every registered command of the extension is contributed', async () => {
    const ext = await activatedExtension();
    const contributed = new Set(contributedCommandIds(ext));
    const prefix = commandPrefix([...contributed]);
    const viewCommands = new Set(
      contributedViewIds(ext).flatMap((view) => viewCommandSuffixes.map((s) => `${view}.${s}`)),
    );
    const registered = (await vscode.commands.getCommands(true)).filter((id) => id.startsWith(prefix));
    const stray = registered.filter((id) => !contributed.has(id) && !viewCommands.has(id));
    assert.deepEqual(
      stray,
      [],
      `registered under ${prefix} but missing from contributes.commands: ${stray.join(', ')}`,
    );
  });

  test('every contributed command has a title and the "Prompt Adapter" category', () => {
    const commands: unknown = (theExtension().packageJSON as { contributes?: { commands?: unknown } })
      .contributes?.commands;
    assert.ok(Array.isArray(commands));
    for (const c of commands as { command: string; title?: unknown; category?: unknown }[]) {
      assert.equal(typeof c.title, 'string', `${c.command}: title`);
      assert.equal(c.category, 'Prompt Adapter', `${c.command}: category`);
    }
  });
});
