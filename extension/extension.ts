// Entry point of the extension host side: wires the views, diagnostics, the inspector and the commands.
// Every registration goes into context.subscriptions, so deactivation disposes all of it.
import * as vscode from 'vscode';
import { registerViewCommands } from './attentionPanel.js';
import { CliRunner } from './cliRunner.js';
import { registerCommands } from './commands.js';
import { DatasetDiagnostics } from './diagnostics.js';
import { AdapterInspectorProvider } from './inspector.js';
import { INSPECTOR_VIEW_TYPE } from './logic/ids.js';
import { registerMarketplace } from './marketplace.js';
import { TrainerPanel } from './trainerPanel.js';
import { TrainingSession } from './training.js';
import { WorkspaceTrees } from './trees.js';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Prompt Adapter', { log: true });
  const cli = new CliRunner(context.extensionUri, log);
  const session = new TrainingSession();
  const trees = new WorkspaceTrees(context.extensionUri);
  const diagnostics = new DatasetDiagnostics();
  const trainer = new TrainerPanel(context.extensionUri, log, session, () => {
    trees.adapters.refresh();
  });
  context.subscriptions.push(
    log,
    trainer,
    session,
    trees,
    diagnostics,
    vscode.window.registerCustomEditorProvider(
      INSPECTOR_VIEW_TYPE,
      new AdapterInspectorProvider(context.extensionUri, log),
      {
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      },
    ),
    ...registerCommands({
      extensionUri: context.extensionUri,
      log,
      cli,
      session,
      trainer,
      trees,
      diagnostics,
    }),
    ...registerViewCommands(context.extensionUri, log),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('promptAdapter.cliPath')) cli.reset();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      trees.refreshAll();
    }),
  );
  registerMarketplace(context, log, trees);
  log.info(
    `activated (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: training and writes are refused'})`,
  );
}

export function deactivate(): void {
  // Everything is in context.subscriptions; a running CLI child is cancelled by TrainingSession.dispose.
}
