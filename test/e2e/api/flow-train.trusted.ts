// Issue 4 acceptance 1, 3 and 5 in a real VS Code: what a newcomer does. The walkthrough's first step copies the
// spam example into the workspace; from the command palette, Train the Bundled Example (Quick Preset) opens the
// training dashboard, which trains on WebGPU (forced: SwiftShader is a software adapter); the loss falls; Stop
// in the webview ends the run and keeps the state reached as an adapter; it appears in the Adapters view, opens
// in the inspector and evaluates. Stop Training from the status bar item and from the palette keep a loadable adapter too. No
// CSP violation anywhere (the runner also fails the phase on any).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { handOffToRunner, suite, test, withTimeout } from './harness';
import { activatedExtension, extensionId, inWorkspace, inspectorText, sleep } from './util';

interface TextAnswer {
  readonly text?: string | null;
  readonly error?: string;
}

async function webview(pattern: string, shot: string, timeoutMs: number): Promise<string> {
  const answer = (await handOffToRunner('webview-text', timeoutMs + 20_000, {
    pattern,
    shot,
    timeoutMs,
  })) as TextAnswer;
  assert.equal(answer.error, undefined, answer.error);
  assert.ok(
    typeof answer.text === 'string',
    `no webview shows /${pattern}/ (see test-results/e2e/${shot}.png)`,
  );
  return answer.text;
}

async function waitForFile(uri: vscode.Uri, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await vscode.workspace.fs.stat(uri);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${uri.fsPath} did not appear within ${timeoutMs / 1000} s`);
      await sleep(300);
    }
  }
}

async function json(uri: vscode.Uri): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as Record<
    string,
    unknown
  >;
}

/** A loadable adapter: PEFT config, a safetensors file whose header parses, our metadata. */
async function checkAdapter(folder: vscode.Uri, peftType: string): Promise<Record<string, unknown>> {
  const config = await json(vscode.Uri.joinPath(folder, 'adapter_config.json'));
  assert.equal(config.peft_type, peftType);
  assert.equal(config.task_type, 'SEQ_CLS');
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'adapter_model.safetensors'));
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { shape?: number[] }
  >;
  assert.ok(header.prompt_embeddings?.shape?.length === 2, `tensors: ${Object.keys(header).join(', ')}`);
  return json(vscode.Uri.joinPath(folder, 'prompt_adapter.json'));
}

/**
 * Steps of the runs the stop tests stop and Resume Training finishes. Their dashboard runs on wasm (the flow's
 * dashboard, forced onto WebGPU, was closed), tens of milliseconds per step: enough steps to stop mid-run.
 */
const STOP_STEPS = 300;

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('promptAdapter');

suite('newcomer flow', () => {
  const trained = inWorkspace('adapters', 'train-prompt');

  test('Train the Bundled Example from the palette trains on WebGPU, the loss falls, Stop keeps the adapter (UI)', async () => {
    await activatedExtension();
    await config().update('forceWebGPU', true, vscode.ConfigurationTarget.Global);
    await config().update('backend', 'webgpu', vscode.ConfigurationTarget.Global);
    try {
      // the walkthrough's first step: its "Open the Bundled Example" button copies the example in
      await vscode.commands.executeCommand(
        'workbench.action.openWalkthrough',
        `${extensionId}#gettingStarted`,
        false,
      );
      const opened = (await handOffToRunner('walkthrough-click', 60_000, {
        stepId: 'openExample',
        text: 'Open the Bundled Example',
        shot: 'flow-0-walkthrough',
      })) as { clicked?: boolean; error?: string };
      assert.equal(opened.clicked, true, `the walkthrough: ${JSON.stringify(opened)}`);
      await waitForFile(inWorkspace('spam-example', 'train.jsonl'), 30_000);
      // then, as the UI test asks, Train the Bundled Example from the command palette
      const ran = (await handOffToRunner('palette', 60_000, {
        title: 'Prompt Adapter: Train the Bundled Example (Quick Preset)',
        shot: 'flow-1-palette',
      })) as { ran?: boolean; error?: string };
      assert.equal(ran.ran, true, `the palette did not run it: ${JSON.stringify(ran)}`);
      // SwiftShader runs WebGPU on the CPU: a step takes seconds. Wait for step 10 (of the preset's 30).
      const text = await webview('step (1\\d|2\\d|30)/30|Failed', 'flow-2-training-webgpu', 420_000);
      assert.doesNotMatch(text, /Failed/, text);
      assert.match(text, /backend: webgpu/, `the dashboard says: ${text}`);
      const summary = /loss ([\d.]+) → ([\d.]+)/.exec(text);
      assert.ok(summary !== null, `no loss summary in: ${text}`);
      const [first, last] = [Number(summary[1]), Number(summary[2])];
      assert.ok(last < 0.85 * first, `the loss did not fall: ${summary[0]}`);
      const click = (await handOffToRunner('webview-click', 30_000, {
        pattern: 'Prompt adapter training',
        selector: '#stop',
        shot: 'flow-3-stop-clicked',
      })) as { clicked?: boolean; error?: string };
      assert.equal(click.clicked, true, click.error);
      const done = await webview('(Stopped|Done) after \\d+ of 30 steps|Failed', 'flow-4-stopped', 120_000);
      assert.match(done, /Stopped after \d+ of 30 steps on webgpu/, done);
      assert.match(done, /Adapter saved to/, done);
      await waitForFile(vscode.Uri.joinPath(trained, 'prompt_adapter.json'), 30_000);
      const metadata = await checkAdapter(trained, 'PROMPT_TUNING');
      const training = metadata.training as Record<string, unknown>;
      assert.equal(training.backend, 'webgpu');
      assert.equal(training.stopReason, 'aborted');
      assert.ok(
        Number(training.stepsDone) >= 10 && Number(training.stepsDone) < 30,
        JSON.stringify(training),
      );
    } finally {
      await config().update('forceWebGPU', undefined, vscode.ConfigurationTarget.Global);
      await config().update('backend', undefined, vscode.ConfigurationTarget.Global);
    }
  }, 600_000);

  test('the stopped adapter appears in the Adapters view and opens in the inspector (UI)', async () => {
    const answer = (await handOffToRunner('view-items', 40_000, {
      container: 'Prompt Adapters',
      view: 'Adapters',
      expected: ['train-prompt'],
      shot: 'flow-5-adapters-view',
    })) as { missing?: string[]; items?: string[]; error?: string };
    assert.equal(answer.error, undefined, answer.error);
    assert.deepEqual(answer.missing, [], `Adapters view: ${JSON.stringify(answer.items)}`);
    await vscode.commands.executeCommand('promptAdapter.inspect', trained);
    const text = await inspectorText('SEQ_CLS', 'flow-6-inspector');
    assert.match(text, /PROMPT_TUNING/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }, 90_000);

  test('Evaluate on the example test split shows the metrics (UI)', async () => {
    const metrics = await vscode.commands.executeCommand<Record<string, unknown> | undefined>(
      'promptAdapter.evaluate',
      {
        adapter: trained.fsPath,
        model: inWorkspace('models', 'stories260K').fsPath,
        dataset: inWorkspace('spam-example', 'test.jsonl').fsPath,
      },
    );
    assert.ok(metrics !== undefined, 'Evaluate returned no metrics');
    assert.equal(typeof metrics.accuracy, 'number', JSON.stringify(metrics));
    await webview('Evaluation: train-prompt[\\s\\S]*Accuracy', 'flow-7-evaluation', 60_000);
  }, 240_000);

  const stoppedRuns: vscode.Uri[] = [];
  for (const how of ['status bar', 'palette'] as const) {
    test(`Stop Training from the ${how} keeps a loadable adapter`, async () => {
      const dataset = inWorkspace('datasets', 'spam-small.jsonl');
      const training = Promise.resolve(
        vscode.commands.executeCommand('promptAdapter.train', {
          model: inWorkspace('models', 'stories260K').fsPath,
          dataset: dataset.fsPath,
          method: 'PREFIX_TUNING',
          steps: STOP_STEPS,
          runner: 'webview',
        }),
      );
      // the run is going once the dashboard shows its first steps
      await webview(
        `step ([2-9]|\\d\\d)/${STOP_STEPS}`,
        `flow-stop-${how.replace(' ', '-')}-running`,
        120_000,
      );
      if (how === 'status bar') {
        const answer = (await handOffToRunner('status-bar-click', 40_000, {
          text: 'spam-small.jsonl:',
          shot: 'flow-stop-status-bar',
        })) as { clicked?: string; error?: string };
        assert.equal(answer.error, undefined, answer.error);
      } else {
        const answer = (await handOffToRunner('palette', 60_000, {
          title: 'Prompt Adapter: Stop Training',
          shot: 'flow-stop-palette',
        })) as { ran?: boolean; error?: string };
        assert.equal(answer.ran, true, answer.error);
      }
      const result = await withTimeout(training, 120_000, 'Train Adapter after Stop');
      assert.ok(
        result instanceof vscode.Uri,
        `the command returns the adapter folder, got ${String(result)}`,
      );
      const metadata = await checkAdapter(result, 'PREFIX_TUNING');
      const t = metadata.training as Record<string, unknown>;
      assert.equal(t.stopReason, 'aborted');
      assert.ok(Number(t.stepsDone) >= 2 && Number(t.stepsDone) < STOP_STEPS, JSON.stringify(t));
      stoppedRuns.push(result);
    }, 300_000);
  }

  test('Resume Training continues a stopped run from its folder to the end', async () => {
    const folder = stoppedRuns[0];
    assert.ok(folder !== undefined, 'a stop test saved a run');
    const result = await withTimeout(
      Promise.resolve(vscode.commands.executeCommand('promptAdapter.resumeTraining', folder)),
      280_000,
      'Resume Training',
    );
    assert.ok(result instanceof vscode.Uri, `Resume Training returns the folder, got ${String(result)}`);
    assert.equal(result.fsPath, folder.fsPath, 'the run continues in its own folder');
    const metadata = await checkAdapter(folder, 'PREFIX_TUNING');
    const t = metadata.training as Record<string, unknown>;
    assert.equal(t.stopReason, 'completed');
    assert.equal(t.stepsDone, STOP_STEPS);
    const log = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'training_log.jsonl')),
    );
    const steps = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step?: number; loss?: number })
      .filter((l) => typeof l.loss === 'number')
      .map((l) => l.step);
    assert.deepEqual(
      steps,
      Array.from({ length: STOP_STEPS }, (_, i) => i + 1),
      'one loss per step, none twice',
    );
  }, 300_000);

  test('no Content-Security-Policy violation in any webview so far', async () => {
    const answer = (await handOffToRunner('csp-violations', 20_000, {})) as { lines?: string[] };
    assert.deepEqual(answer.lines, []);
  });
});
