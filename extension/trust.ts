// Workspace Trust: actions that run code on the workspace's files (train, evaluate, generate), write files
// or use the network refuse in an untrusted workspace with a message that says why and how to enable them.
import * as vscode from 'vscode';
import { untrustedMessage } from './logic/trust.js';

/** True when trusted; otherwise shows the refusal (with a button to manage trust) and returns false. */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(untrustedMessage(action), 'Manage Workspace Trust').then((choice) => {
    if (choice !== undefined) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
