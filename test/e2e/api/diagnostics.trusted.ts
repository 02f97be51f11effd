// Acceptance 4 of issue 4: a dataset with broken lines shows diagnostics on those lines within a second of
// saving; fixing them clears them. The fixture datasets/broken.jsonl is broken on lines 3 and 6 (1-based).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { suite, test } from './harness';
import { activatedExtension, describeDiagnostics, errorLines, inWorkspace, waitForDiagnostics } from './util';

const SAVE_TO_DIAGNOSTICS_MS = 1_000;
const BROKEN_LINES = [2, 5]; // 0-based: line 3 (object without its closing brace), line 6 (not JSON)

const fixedLine3 = '{"text": "URGENT! You have won a 1 week holiday, call now", "label": "spam"}';
const fixedLine6 = '{"text": "Lunch at noon? The usual place.", "label": "ham"}';

async function replaceLine(editor: vscode.TextEditor, line: number, text: string): Promise<void> {
  const ok = await editor.edit((b) => {
    b.replace(editor.document.lineAt(line).range, text);
  });
  assert.ok(ok, `edit of line ${line + 1} was not applied`);
}

/**
 * Saves and returns the moment the save completed, as the extension host sees it (onDidSaveTextDocument):
 * "within a second of saving" is measured from there, not from the call, whose file write through
 * code-server's remote file system can take a second by itself on a loaded 2-core machine.
 */
async function save(doc: vscode.TextDocument): Promise<number> {
  assert.ok(doc.isDirty, `${doc.uri.fsPath} has no unsaved edit to save`);
  let savedAt: number | undefined;
  const listener = vscode.workspace.onDidSaveTextDocument((d) => {
    if (d.uri.toString() === doc.uri.toString()) savedAt ??= performance.now();
  });
  const t0 = performance.now();
  try {
    const saved = await doc.save();
    assert.ok(
      saved,
      `${doc.uri.fsPath} was not saved (still dirty: ${doc.isDirty}); see the code-server log`,
    );
  } finally {
    listener.dispose();
  }
  return savedAt ?? t0;
}

suite('dataset diagnostics', () => {
  // resolved per test: the workspace folder is known once the extension host runs the tests
  const datasetUri = (): vscode.Uri => inWorkspace('datasets', 'broken.jsonl');
  let editor: vscode.TextEditor | undefined;
  const theEditor = (): vscode.TextEditor => {
    assert.ok(editor !== undefined, 'the first test of this suite opens the dataset');
    return editor;
  };

  test('a broken JSONL dataset gets Error diagnostics on exactly its broken lines', async () => {
    await activatedExtension();
    const uri = datasetUri();
    const doc = await vscode.workspace.openTextDocument(uri);
    editor = await vscode.window.showTextDocument(doc);
    const { diagnostics } = await waitForDiagnostics(
      uri,
      (d) => errorLines(d).length > 0,
      10_000,
      'diagnostics for the opened broken dataset',
    );
    assert.deepEqual(errorLines(diagnostics), BROKEN_LINES, describeDiagnostics(diagnostics));
    for (const d of diagnostics) {
      assert.match(d.message, /JSON/, 'the message says what is wrong');
      assert.ok(d.source !== undefined && d.source !== '', 'the diagnostic names its source');
    }
    // the squiggle sits on the offending line's text, not on a zero-width spot or another line
    const onLine3 = diagnostics.find((d) => d.range.start.line === 2);
    assert.ok(onLine3 !== undefined && onLine3.range.end.line === 2);
  });

  test('the unclosed object on line 3 offers a quick fix that repairs it', async () => {
    const ed = theEditor();
    const uri = datasetUri();
    const line3 = vscode.languages.getDiagnostics(uri).find((d) => d.range.start.line === 2);
    assert.ok(line3 !== undefined, 'the diagnostic on line 3');
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>(
        'vscode.executeCodeActionProvider',
        uri,
        line3.range,
        vscode.CodeActionKind.QuickFix.value,
      )) ?? [];
    const fix = actions.find((a) => a.title.includes("missing '}'"));
    assert.ok(fix?.edit !== undefined, `quick fixes offered: ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'the quick fix applies');
    assert.equal(ed.document.lineAt(2).text, fixedLine3);
    const t0 = await save(ed.document);
    const { diagnostics } = await waitForDiagnostics(
      uri,
      (d) => !errorLines(d).includes(2),
      5_000,
      'line 3 clean after the quick fix',
    );
    const ms = performance.now() - t0;
    assert.deepEqual(errorLines(diagnostics), [5], describeDiagnostics(diagnostics));
    assert.ok(ms <= SAVE_TO_DIAGNOSTICS_MS, `line 3 cleared ${Math.round(ms)} ms after saving (limit 1 s)`);
  });

  test('fixing the lines and saving clears the diagnostics within a second', async () => {
    const ed = theEditor();
    const uri = datasetUri();
    await replaceLine(ed, 2, fixedLine3);
    await replaceLine(ed, 5, fixedLine6);
    const t0 = await save(ed.document);
    await waitForDiagnostics(
      uri,
      (d) => errorLines(d).length === 0,
      5_000,
      'diagnostics cleared after the fix',
    );
    const ms = performance.now() - t0;
    console.log(`[e2e] diagnostics cleared ${Math.round(ms)} ms after save() was called`);
    assert.ok(ms <= SAVE_TO_DIAGNOSTICS_MS, `cleared ${Math.round(ms)} ms after saving (limit 1 s)`);
  });

  test('breaking a line again and saving reports it on that line within a second', async () => {
    const ed = theEditor();
    const uri = datasetUri();
    await replaceLine(ed, 3, '{"text": "Are we still meeting for lunch tomorrow?", "label": }');
    const t0 = await save(ed.document);
    const { diagnostics } = await waitForDiagnostics(
      uri,
      (d) => errorLines(d).length > 0,
      5_000,
      'diagnostics after breaking line 4',
    );
    const ms = performance.now() - t0;
    console.log(`[e2e] diagnostic on line 4 reported ${Math.round(ms)} ms after save() was called`);
    assert.deepEqual(errorLines(diagnostics), [3], describeDiagnostics(diagnostics));
    assert.ok(ms <= SAVE_TO_DIAGNOSTICS_MS, `reported ${Math.round(ms)} ms after saving (limit 1 s)`);
  });

  test('restoring the line clears the diagnostics again', async () => {
    const ed = theEditor();
    const uri = datasetUri();
    await replaceLine(ed, 3, '{"text": "Are we still meeting for lunch tomorrow?", "label": "ham"}');
    await save(ed.document);
    await waitForDiagnostics(uri, (d) => errorLines(d).length === 0, 5_000, 'diagnostics cleared at the end');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
