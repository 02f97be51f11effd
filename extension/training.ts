// The training run in progress (one at a time): its cancellation, the `promptAdapter.training` context key
// (which shows Stop Training in the palette) and the status bar item that shows progress and stops on click.
import * as vscode from 'vscode';
import { COMMANDS } from './logic/ids.js';

export class TrainingSession implements vscode.Disposable {
  private readonly status: vscode.StatusBarItem;
  private current: { label: string; cancel: vscode.CancellationTokenSource } | undefined;

  constructor() {
    this.status = vscode.window.createStatusBarItem(
      'promptAdapter.training',
      vscode.StatusBarAlignment.Left,
      10,
    );
    this.status.name = 'Prompt Adapter Training';
    this.status.command = COMMANDS.stopTraining;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Starts a run; the returned token is cancelled by Stop Training, the status bar or the notification. */
  start(label: string): vscode.CancellationTokenSource {
    if (this.current !== undefined)
      throw new Error(`a training run is already going (${this.current.label}); stop it first`);
    const cancel = new vscode.CancellationTokenSource();
    this.current = { label, cancel };
    void vscode.commands.executeCommand('setContext', 'promptAdapter.training', true);
    this.update('starting…');
    this.status.show();
    return cancel;
  }

  update(text: string): void {
    if (this.current === undefined) return;
    this.status.text = `$(sync~spin) ${this.current.label}: ${text}`;
    this.status.tooltip = `Training ${this.current.label}: ${text}\nClick to stop (the last checkpoint is kept)`;
  }

  /** Requests a stop; returns false when nothing runs. */
  stop(): boolean {
    if (this.current === undefined) return false;
    this.update('stopping…');
    this.current.cancel.cancel();
    return true;
  }

  finish(): void {
    this.current?.cancel.dispose();
    this.current = undefined;
    void vscode.commands.executeCommand('setContext', 'promptAdapter.training', false);
    this.status.hide();
  }

  dispose(): void {
    this.current?.cancel.cancel();
    this.finish();
    this.status.dispose();
  }
}
