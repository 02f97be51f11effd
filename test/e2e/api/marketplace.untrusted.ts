// The marketplace in an untrusted workspace: Publish, Install and Sign In are network access and writes, so
// they are refused (Workspace Trust) without prompting, without touching the network and without writing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handOffToRunner, suite, test, withTimeout } from './harness';
import { activatedExtension, inWorkspace } from './util';

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

suite('marketplace (untrusted)', () => {
  test('Publish, Install and Sign In are refused without writes', async () => {
    await activatedExtension();
    assert.equal(vscode.workspace.isTrusted, false);
    const before = await listTree(inWorkspace());
    // an address nothing listens on: were the command not refused, it would fail loudly, not hang
    const calls: [string, unknown][] = [
      [
        'promptAdapter.marketplace.publish',
        { adapter: inWorkspace('adapters', 'stories260K_prompt_tuning').fsPath, ref: '127.0.0.1:9/x/y:v1' },
      ],
      [
        'promptAdapter.marketplace.install',
        { ref: '127.0.0.1:9/x/y:v1', destination: inWorkspace('out').fsPath },
      ],
      ['promptAdapter.marketplace.signIn', '127.0.0.1:9'],
    ];
    for (const [command, arg] of calls) {
      const result: unknown = await withTimeout(
        Promise.resolve(vscode.commands.executeCommand(command, arg)),
        10_000,
        `${command} in an untrusted workspace`,
      );
      assert.ok(result === undefined || result === false, `${command} returned ${JSON.stringify(result)}`);
    }
    assert.deepEqual(await listTree(inWorkspace()), before, 'no file was written or removed');
    const seen = (await handOffToRunner('notification', 30_000, {
      pattern: '^Install Adapter is disabled in this untrusted workspace',
      timeoutMs: 15_000,
    })) as { found?: string | null; all?: string[] };
    assert.ok(typeof seen.found === 'string', `no refusal message: ${JSON.stringify(seen.all)}`);
    assert.match(seen.found, /Workspace Trust/);
    // leave the Notification Center empty for the next suite's own refusal checks
    await handOffToRunner('clear-notifications', 20_000);
  }, 60_000);
});
