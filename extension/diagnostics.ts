// Dataset validation as diagnostics: every dataset document is parsed by core/datasets as it is opened,
// edited (debounced) and saved; each issue becomes a diagnostic on the offending value, tag or line, and
// disappears as soon as a parse no longer reports it. Quick fixes come from logic/quickFixes.ts.
import * as vscode from 'vscode';
import type { DatasetIssue } from '../core/datasets/index.js';
import { isDatasetFile, loadDataset } from './logic/datasetKind.js';
import type { LoadedDataset } from './logic/datasetKind.js';
import { issueRange } from './logic/diagnosticRanges.js';
import { DIAGNOSTIC_SOURCE } from './logic/ids.js';
import { quickFixes } from './logic/quickFixes.js';
import type { DatasetIssueCode } from '../core/datasets/index.js';

/** Edits settle for this long before a re-parse (well inside the one second the acceptance asks for). */
const DEBOUNCE_MS = 200;
/** Problems beyond this many per file are summarised in one diagnostic (a broken 100k-line file stays usable). */
const MAX_DIAGNOSTICS = 1000;

export const DATASET_SELECTOR: vscode.DocumentSelector = [
  { pattern: '**/*.{jsonl,ndjson,csv,tsv,conll}' },
  { language: 'jsonl' },
  { language: 'conll' },
];

function lineTextOf(lines: readonly string[], line: number): string {
  return lines[line] ?? '';
}

export function toDiagnostics(
  issues: readonly DatasetIssue[],
  text: string,
  data: LoadedDataset,
): vscode.Diagnostic[] {
  // Split as the parsers do (CRLF aware), so line numbers agree with the issues.
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[0]?.startsWith('\uFEFF') === true) lines[0] = lines[0].slice(1);
  const out: vscode.Diagnostic[] = [];
  for (const issue of issues.slice(0, MAX_DIAGNOSTICS)) {
    const r = issueRange(issue, lineTextOf(lines, issue.line - 1), data.layout, lines.length);
    const d = new vscode.Diagnostic(
      new vscode.Range(r.line, r.start, r.line, r.end),
      issue.field === undefined ? issue.message : `${issue.message} [${issue.field}]`,
      issue.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
    );
    d.source = DIAGNOSTIC_SOURCE;
    d.code = issue.code;
    out.push(d);
  }
  if (issues.length > MAX_DIAGNOSTICS) {
    const d = new vscode.Diagnostic(
      new vscode.Range(0, 0, 0, 0),
      `${issues.length - MAX_DIAGNOSTICS} more problems not shown; fix the ones above first`,
      vscode.DiagnosticSeverity.Information,
    );
    d.source = DIAGNOSTIC_SOURCE;
    out.push(d);
  }
  return out;
}

export class DatasetDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  readonly collection = vscode.languages.createDiagnosticCollection('promptAdapter.datasets');
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly disposables: { dispose(): unknown }[] = [];

  constructor() {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((d) => {
        this.validateSoon(d, 0);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        this.validateSoon(e.document, DEBOUNCE_MS);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => {
        this.validateSoon(d, 0);
      }),
      vscode.workspace.onDidDeleteFiles((e) => {
        for (const f of e.files) this.collection.delete(f);
      }),
      vscode.languages.registerCodeActionsProvider(DATASET_SELECTOR, this, {
        providedCodeActionKinds: DatasetDiagnostics.providedCodeActionKinds,
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.validateSoon(d, 0);
  }

  private validateSoon(document: vscode.TextDocument, delay: number): void {
    if (!isDatasetFile(document.uri.path) || document.uri.scheme === 'output') return;
    const key = document.uri.toString();
    const old = this.pending.get(key);
    if (old !== undefined) clearTimeout(old);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (!document.isClosed) this.validateText(document.uri, document.getText());
      }, delay),
    );
  }

  /** Parses `text` as the dataset at `uri` and replaces its diagnostics; returns what was found. */
  validateText(uri: vscode.Uri, text: string): LoadedDataset | undefined {
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    const data = loadDataset(name, text);
    if (data === undefined) {
      this.collection.delete(uri);
      return undefined;
    }
    this.collection.set(uri, toDiagnostics(data.issues, text, data));
    return data;
  }

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE || typeof diagnostic.code !== 'string') continue;
      const r = diagnostic.range;
      const lineText = document.lineAt(r.start.line).text;
      const fixes = quickFixes(
        {
          code: diagnostic.code as DatasetIssueCode,
          message: diagnostic.message,
          range: { line: r.start.line, start: r.start.character, end: r.end.character },
        },
        lineText,
      );
      for (const fix of fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        const edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) {
          if (e.deleteLine === true)
            edit.delete(document.uri, document.lineAt(e.line).rangeIncludingLineBreak);
          else edit.replace(document.uri, new vscode.Range(e.line, e.start, e.line, e.end), e.newText);
        }
        action.edit = edit;
        action.diagnostics = [diagnostic];
        action.isPreferred = fix.preferred;
        actions.push(action);
      }
    }
    return actions;
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
