// The Evaluation view: a webview panel (dist/webview/evaluation.js) that draws one evaluation's metrics,
// adapter against the bare model. The host only hands over the report; the page reads it with
// core/metrics/compare.ts. One panel per adapter + dataset: evaluating again updates it.
import * as vscode from 'vscode';
import type { EvaluationReport } from '../core/protocol/index.js';
import { setUpWebview } from './webview.js';

export const EVALUATION_VIEW_TYPE = 'promptAdapter.evaluation';

const open = new Map<string, { panel: vscode.WebviewPanel; show: (r: EvaluationReport) => void }>();

/** Opens (or reveals and updates) the Evaluation panel of `report`. */
export function showEvaluationPanel(
  extensionUri: vscode.Uri,
  log: vscode.LogOutputChannel,
  report: EvaluationReport,
): vscode.WebviewPanel {
  const key = `${report.adapterPath}\n${report.datasetName}`;
  const existing = open.get(key);
  if (existing !== undefined) {
    existing.show(report);
    existing.panel.reveal(undefined, false);
    return existing.panel;
  }
  const panel = vscode.window.createWebviewPanel(
    EVALUATION_VIEW_TYPE,
    `Evaluation: ${report.adapterName}`,
    vscode.ViewColumn.Active,
    { enableScripts: true, retainContextWhenHidden: false },
  );
  const endpoint = setUpWebview(
    panel.webview,
    extensionUri,
    { title: `Evaluation: ${report.adapterName}`, script: 'evaluation' },
    log,
  );
  let current = report;
  // the page may load again (hidden and shown: retainContextWhenHidden is off), so every `ready` gets the report
  endpoint.on('ready', () => {
    endpoint.notify('evaluation/init', current);
  });
  const show = (r: EvaluationReport): void => {
    current = r;
    endpoint.notify('evaluation/init', r);
  };
  open.set(key, { panel, show });
  panel.onDidDispose(() => {
    open.delete(key);
    endpoint.dispose();
  });
  return panel;
}
