// Helpers shared by the extension API suites (they run inside the real extension host).
import * as vscode from 'vscode';
import * as assert from 'node:assert/strict';
import { handOffToRunner, withTimeout } from './harness';

/** `publisher.name` of the extension under test; test/e2e/run.mjs defines it from package.json at bundle time. */
declare const PAS_E2E_EXTENSION_ID: string;
export const extensionId: string = PAS_E2E_EXTENSION_ID;
/** The unpacked extension's folder (extensionDevelopmentPath), defined the same way. */
declare const PAS_E2E_EXTENSION_PATH: string;
export const extensionPath: string = PAS_E2E_EXTENSION_PATH;

export class E2eExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'E2eExpectationError';
  }
}

export function theExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(extensionId);
  if (ext === undefined) {
    throw new E2eExpectationError(
      `extension ${extensionId} is not loaded: extensionDevelopmentPath must point at the repository root`,
    );
  }
  return ext;
}

export async function activatedExtension(): Promise<vscode.Extension<unknown>> {
  const ext = theExtension();
  await withTimeout(Promise.resolve(ext.activate()), 15_000, `activation of ${extensionId}`);
  return ext;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined) throw new E2eExpectationError('no workspace folder is open (run.mjs opens one)');
  return folder.uri;
}

export function inWorkspace(...parts: string[]): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...parts);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The `contributes` section of the manifest VS Code actually loaded for the extension. */
export function contributes(ext: vscode.Extension<unknown>): Record<string, unknown> {
  const manifest: unknown = ext.packageJSON;
  if (!isRecord(manifest) || !isRecord(manifest.contributes)) {
    throw new E2eExpectationError(`${extensionId}: package.json has no "contributes" object`);
  }
  return manifest.contributes;
}

export function contributedCommandIds(ext: vscode.Extension<unknown>): string[] {
  const commands = contributes(ext).commands;
  if (!Array.isArray(commands))
    throw new E2eExpectationError('package.json contributes.commands is not an array');
  return commands.map((c: unknown, i) => {
    if (!isRecord(c) || typeof c.command !== 'string') {
      throw new E2eExpectationError(`package.json contributes.commands[${i}] has no string "command"`);
    }
    return c.command;
  });
}

/** Ids of every contributed view, from all view containers. */
export function contributedViewIds(ext: vscode.Extension<unknown>): string[] {
  const views = contributes(ext).views;
  if (!isRecord(views)) return [];
  const ids: string[] = [];
  for (const list of Object.values(views)) {
    if (!Array.isArray(list)) continue;
    for (const v of list) if (isRecord(v) && typeof v.id === 'string') ids.push(v.id);
  }
  return ids;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `predicate(diagnostics of uri)` holds, checking now and on every diagnostics change.
 * Resolves with the diagnostics and the time it took; rejects after `timeoutMs` with what was last seen.
 */
export async function waitForDiagnostics(
  uri: vscode.Uri,
  predicate: (diagnostics: readonly vscode.Diagnostic[]) => boolean,
  timeoutMs: number,
  what: string,
): Promise<{ diagnostics: readonly vscode.Diagnostic[]; ms: number }> {
  const t0 = performance.now();
  const key = uri.toString();
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (!predicate(diagnostics)) return false;
      done();
      resolve({ diagnostics, ms: performance.now() - t0 });
      return true;
    };
    const subscription = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === key)) check();
    });
    const timer = setTimeout(() => {
      done();
      const seen = describeDiagnostics(vscode.languages.getDiagnostics(uri));
      reject(new E2eExpectationError(`${what}: not within ${timeoutMs} ms; diagnostics now: ${seen}`));
    }, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      subscription.dispose();
    }
    check();
  });
}

export function describeDiagnostics(diagnostics: readonly vscode.Diagnostic[]): string {
  if (diagnostics.length === 0) return '(none)';
  return diagnostics
    .map((d) => `line ${d.range.start.line + 1} [${vscode.DiagnosticSeverity[d.severity]}] ${d.message}`)
    .join(' | ');
}

/** 0-based line numbers that carry at least one Error diagnostic, ascending. */
export function errorLines(diagnostics: readonly vscode.Diagnostic[]): number[] {
  const lines = new Set<number>();
  for (const d of diagnostics)
    if (d.severity === vscode.DiagnosticSeverity.Error) lines.add(d.range.start.line);
  return [...lines].sort((a, b) => a - b);
}

export interface WebviewTextAnswer {
  readonly text?: string | null;
  readonly editorError?: string;
  readonly error?: string;
}

/** The text of the inspector webview once it matches `pattern` (read by the runner in the browser). */
export async function inspectorText(pattern: string, shot: string): Promise<string> {
  const answer = (await handOffToRunner('webview-text', 40_000, { pattern, shot })) as WebviewTextAnswer;
  assert.equal(answer.error, undefined, answer.error);
  assert.equal(answer.editorError, undefined, `${answer.editorError ?? ''} (see the extension host log)`);
  assert.ok(
    typeof answer.text === 'string',
    `no webview shows /${pattern}/ within 20 s (see test-results/e2e/${shot}.png)`,
  );
  return answer.text;
}

/** The view type of the contributed custom editor (the Adapter Inspector). */
export function inspectorViewType(): string {
  const editors = contributes(theExtension()).customEditors;
  assert.ok(Array.isArray(editors) && editors.length > 0, 'package.json contributes.customEditors');
  const first: unknown = editors[0];
  const viewType = (first as { viewType?: unknown }).viewType;
  assert.equal(typeof viewType, 'string');
  return viewType as string;
}
