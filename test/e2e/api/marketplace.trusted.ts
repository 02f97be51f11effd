// The adapter marketplace in a real VS Code (issue 5, acceptance 4): a workspace adapter is published through
// Publish Adapter… to a local OCI registry (Debian's docker-registry on 127.0.0.1, started by test/e2e/run.ts,
// address in PAS_E2E_REGISTRY), the Marketplace view lists it (read in the browser), Show Details gives its
// compatibility with the workspace's model, Install Adapter… pulls it by digest into a second folder
// byte-identical to what was published, and Evaluate Adapter… runs on the installed copy.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handOffToRunner, suite, test } from './harness';
import { E2eExpectationError, activatedExtension, inWorkspace, workspaceRoot } from './util';

const GOLDEN = 'stories260K_prompt_tuning';
const REPOSITORY = 'e2e/marketplace-adapter';
const TAG = 'v1';

interface ViewItemsAnswer {
  readonly items?: string[];
  readonly missing?: string[];
  readonly error?: string;
}

interface PublishResult {
  readonly reference: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

interface DetailsResult {
  readonly digest: string;
  readonly compatibility?: { readonly kind: string; readonly label: string };
}

function registryAddress(): string {
  const registry = process.env.PAS_E2E_REGISTRY;
  if (registry === undefined || registry === '') {
    throw new E2eExpectationError(
      'PAS_E2E_REGISTRY is not set: test/e2e/run.ts starts docker-registry for this test (apt-get install -y docker-registry)',
    );
  }
  return registry;
}

/**
 * The adapter to publish: one trained by the UI training test earlier in this phase (adapters/train-* or
 * adapters/spam*), else the golden prompt-tuning adapter the workspace is made with.
 */
async function sourceAdapter(): Promise<{ folder: vscode.Uri; trained: boolean }> {
  const adapters = inWorkspace('adapters');
  const entries = await vscode.workspace.fs.readDirectory(adapters);
  // the newcomer flow's quick-preset adapter (train-prompt) first, then any other trained one
  const rank = (name: string): number => (name.startsWith('train-') ? 0 : 1);
  for (const [name, type] of entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))) {
    if (type !== vscode.FileType.Directory || !/^(train-|spam)/.test(name)) continue;
    const folder = vscode.Uri.joinPath(adapters, name);
    try {
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder, 'adapter_config.json'));
      return { folder, trained: true };
    } catch {
      // a folder without an adapter (a stopped run): keep looking
    }
  }
  return { folder: vscode.Uri.joinPath(adapters, GOLDEN), trained: false };
}

/** The published files of a folder: plain top-level files, no dot-files (what Publish sends). */
async function plainFiles(folder: vscode.Uri): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, type] of await vscode.workspace.fs.readDirectory(folder)) {
    if (type !== vscode.FileType.File || name.startsWith('.')) continue;
    out.set(name, await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)));
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

suite('marketplace', () => {
  let source: { folder: vscode.Uri; trained: boolean } | undefined;
  let published: PublishResult | undefined;
  let installed: vscode.Uri | undefined;

  test('Publish Adapter… publishes a workspace adapter to the local registry', async () => {
    const registry = registryAddress();
    await activatedExtension();
    await vscode.workspace
      .getConfiguration('promptAdapter')
      .update('registries', [registry], vscode.ConfigurationTarget.Global);
    source = await sourceAdapter();
    const result: unknown = await vscode.commands.executeCommand('promptAdapter.marketplace.publish', {
      adapter: source.folder.fsPath,
      ref: `${registry}/${REPOSITORY}:${TAG}`,
      license: 'MIT',
      description: 'published by the e2e marketplace test',
    });
    assert.ok(typeof result === 'object' && result !== null, `publish returned ${String(result)}`);
    published = result as PublishResult;
    assert.equal(published.reference, `${registry}/${REPOSITORY}:${TAG}`);
    assert.match(published.digest, /^sha256:[a-f0-9]{64}$/);
  }, 60_000);

  test('the Marketplace view lists the registry, the repository and the version (UI)', async () => {
    assert.ok(published !== undefined, 'the publish test ran');
    await vscode.commands.executeCommand('promptAdapter.marketplace.refresh');
    const answer = (await handOffToRunner('view-items', 40_000, {
      container: 'Prompt Adapters',
      view: 'Marketplace',
      expected: [registryAddress(), REPOSITORY, TAG],
      shot: 'trusted-marketplace-view',
    })) as ViewItemsAnswer;
    assert.equal(answer.error, undefined, answer.error);
    assert.deepEqual(answer.missing, [], `Marketplace view shows ${JSON.stringify(answer.items)}`);
    const version = answer.items?.find((i) => i.startsWith(TAG));
    assert.ok(version !== undefined && /stories260K/.test(version), `version row: ${String(version)}`);
  }, 60_000);

  test('Show Details gives the compatibility with the workspace model (UI)', async () => {
    assert.ok(published !== undefined && source !== undefined, 'the publish test ran');
    const details = await vscode.commands.executeCommand<DetailsResult | undefined>(
      'promptAdapter.marketplace.showDetails',
      {
        ref: `${published.reference}@${published.digest}`,
        model: inWorkspace('models', 'stories260K').fsPath,
      },
    );
    assert.ok(details !== undefined, 'Show Details returned nothing (see the extension host log)');
    assert.equal(details.digest, published.digest);
    // the golden adapter records no fingerprint (shapes only); a trained one records the model's
    assert.equal(details.compatibility?.kind, source.trained ? 'fits' : 'fits-unverified');
    const answer = (await handOffToRunner('webview-text', 40_000, {
      pattern: 'fits stories260K',
      shot: 'trusted-marketplace-details',
    })) as { text?: string | null; error?: string };
    assert.equal(answer.error, undefined, answer.error);
    assert.ok(typeof answer.text === 'string', 'the details page shows the compatibility badge');
    assert.match(answer.text, new RegExp(published.digest));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 60_000);

  test('Install Adapter… pulls the version by digest into a second folder, byte-identical', async () => {
    assert.ok(published !== undefined && source !== undefined, 'the publish test ran');
    const destination = vscode.Uri.joinPath(workspaceRoot(), 'installed');
    const result: unknown = await vscode.commands.executeCommand('promptAdapter.marketplace.install', {
      ref: `${published.reference}@${published.digest}`,
      destination: destination.fsPath,
      model: inWorkspace('models', 'stories260K').fsPath,
    });
    assert.ok(result instanceof vscode.Uri, `install returned ${String(result)}`);
    installed = result;
    assert.equal(vscode.Uri.joinPath(installed, '..').toString(), destination.toString());
    const sent = await plainFiles(source.folder);
    const got = await plainFiles(installed);
    assert.deepEqual([...got.keys()].sort(), [...sent.keys()].sort());
    for (const [name, bytes] of sent) {
      const back = got.get(name);
      assert.ok(back !== undefined && sameBytes(back, bytes), `${name} differs after the round trip`);
    }
    // nothing half-written is left beside it
    const left = (await vscode.workspace.fs.readDirectory(destination)).map(([n]) => n);
    assert.deepEqual(left, [installed.path.slice(installed.path.lastIndexOf('/') + 1)]);
  }, 60_000);

  test('Install Adapter… refuses a version whose shapes do not fit the model, writing nothing', async () => {
    const registry = registryAddress();
    // the golden adapter with num_layers 4: it loads, but stories260K has 5 layers
    const golden = inWorkspace('adapters', GOLDEN);
    const folder = vscode.Uri.joinPath(workspaceRoot(), 'mismatch', 'layers4');
    const config = JSON.parse(
      new TextDecoder().decode(
        await vscode.workspace.fs.readFile(vscode.Uri.joinPath(golden, 'adapter_config.json')),
      ),
    ) as Record<string, unknown>;
    await vscode.workspace.fs.writeFile(
      vscode.Uri.joinPath(folder, 'adapter_config.json'),
      new TextEncoder().encode(JSON.stringify({ ...config, num_layers: 4 })),
    );
    await vscode.workspace.fs.copy(
      vscode.Uri.joinPath(golden, 'adapter_model.safetensors'),
      vscode.Uri.joinPath(folder, 'adapter_model.safetensors'),
    );
    const ref = `${registry}/e2e/mismatch:${TAG}`;
    const published: unknown = await vscode.commands.executeCommand('promptAdapter.marketplace.publish', {
      adapter: folder.fsPath,
      ref,
    });
    assert.ok(typeof published === 'object' && published !== null, 'the mismatching adapter was published');
    const destination = vscode.Uri.joinPath(workspaceRoot(), 'installed-mismatch');
    const result: unknown = await vscode.commands.executeCommand('promptAdapter.marketplace.install', {
      ref,
      destination: destination.fsPath,
      model: inWorkspace('models', 'stories260K').fsPath,
    });
    assert.equal(result, undefined, 'Install refused');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(destination)), 'nothing was written');
    const seen = (await handOffToRunner('notification', 30_000, {
      pattern: 'does not fit stories260K',
      timeoutMs: 20_000,
    })) as { found?: string | null; all?: string[] };
    assert.ok(typeof seen.found === 'string', `no refusal message: ${JSON.stringify(seen.all)}`);
    assert.match(seen.found, /num_layers is 4 but the model has 5 layers/);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), 'mismatch'), { recursive: true });
  }, 60_000);

  test('Evaluate Adapter… runs on the installed adapter', async () => {
    assert.ok(installed !== undefined && source !== undefined, 'the install test ran');
    // the golden adapter is a causal-LM prompt: evaluate it on the SFT data; a trained one on the spam data
    // (the example's test split when the newcomer flow copied it in)
    const exampleTest = inWorkspace('spam-example', 'test.jsonl');
    const hasExample = await vscode.workspace.fs.stat(exampleTest).then(
      () => true,
      () => false,
    );
    const dataset = !source.trained
      ? inWorkspace('datasets', 'stories-sft.jsonl')
      : hasExample
        ? exampleTest
        : inWorkspace('datasets', 'spam-small.jsonl');
    const metrics: unknown = await vscode.commands.executeCommand('promptAdapter.evaluate', {
      adapter: installed.fsPath,
      model: inWorkspace('models', 'stories260K').fsPath,
      dataset: dataset.fsPath,
      compareBare: false,
    });
    assert.ok(typeof metrics === 'object' && metrics !== null, `evaluate returned ${String(metrics)}`);
    console.log(
      `[e2e] evaluate ${source.trained ? 'trained' : 'golden'} adapter: ${JSON.stringify(metrics)}`,
    );
    const values = Object.values(metrics as Record<string, unknown>).filter((v) => typeof v === 'number');
    assert.ok(values.length > 0, `evaluate returned no metric: ${JSON.stringify(metrics)}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 120_000);
});
