// Runs the `prompt-adapter` CLI bundle in a child process for Train/Evaluate/Generate until the webview
// trainer lands: the host itself never loads tfjs. Cancellation sends SIGINT first (the CLI's train keeps its
// last checkpoint on Ctrl-C), then SIGKILL if it has not exited after a grace period.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { cliCommands, tail } from './logic/cli.js';
import { SETTINGS } from './logic/ids.js';

const GRACE_MS = 5000;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cancelled: boolean;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly result?: CliResult,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class CliRunner {
  private commands: Promise<string[]> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  cliPath(): string {
    const configured = vscode.workspace
      .getConfiguration('promptAdapter')
      .get<string>(SETTINGS.cliPath, '')
      .trim();
    return configured !== '' ? configured : vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.mjs').fsPath;
  }

  /** Forget the cached command list (the CLI path setting changed). */
  reset(): void {
    this.commands = undefined;
  }

  /** The CLI's commands from its --help (cached); empty when the CLI does not start. */
  available(): Promise<string[]> {
    this.commands ??= this.run(['--help']).then(
      (r) => {
        const names = cliCommands(r.stdout);
        // `--help` exits 0 and lists commands; anything else means the bundle itself does not start.
        this.startupProblem =
          names.length > 0 ? undefined : `it does not start (${tail(r.stderr.trim(), 300)})`;
        return names;
      },
      (e: unknown) => {
        this.startupProblem = e instanceof Error ? e.message : String(e);
        this.log.error(`prompt-adapter --help failed: ${this.startupProblem}`);
        return [];
      },
    );
    return this.commands;
  }

  private startupProblem: string | undefined;

  async has(command: string): Promise<boolean> {
    return (await this.available()).includes(command);
  }

  /** Why `command` cannot run: the CLI does not start, or it lacks the command. Undefined when it can. */
  async missing(command: string): Promise<string | undefined> {
    if (await this.has(command)) return undefined;
    return this.startupProblem === undefined
      ? `the prompt-adapter CLI (${this.cliPath()}) has no "${command}" command`
      : `the prompt-adapter CLI (${this.cliPath()}) cannot run: ${this.startupProblem}`;
  }

  run(
    args: readonly string[],
    options: {
      token?: vscode.CancellationToken;
      cwd?: string;
      onStderrLine?: (line: string) => void;
      onStdoutLine?: (line: string) => void;
    } = {},
  ): Promise<CliResult> {
    const cli = this.cliPath();
    this.log.info(`run: prompt-adapter ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    return new Promise<CliResult>((resolve, reject) => {
      // In VS Code process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it a plain Node (in code-server it
      // already is one and the variable is ignored).
      const child = spawn(process.execPath, [cli, ...args], {
        cwd: options.cwd,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let cancelled = false;
      const lines = (onLine: ((line: string) => void) | undefined): ((chunk: Buffer) => string) => {
        let pending = '';
        return (chunk) => {
          const text = chunk.toString('utf8');
          pending += text;
          const parts = pending.split('\n');
          pending = parts.pop() ?? '';
          for (const p of parts) onLine?.(p);
          return text;
        };
      };
      const outLines = lines(options.onStdoutLine);
      const errLines = lines((l) => {
        this.log.info(l);
        options.onStderrLine?.(l);
      });
      child.stdout.on('data', (c: Buffer) => {
        stdout += outLines(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += errLines(c);
      });
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const sub = options.token?.onCancellationRequested(() => {
        cancelled = true;
        child.kill('SIGINT');
        killTimer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
      });
      child.on('error', (e) => {
        sub?.dispose();
        reject(new CliError(`cannot start the prompt-adapter CLI (${cli}): ${e.message}`));
      });
      child.on('close', (code) => {
        sub?.dispose();
        if (killTimer !== undefined) clearTimeout(killTimer);
        const result = { code, stdout, stderr, cancelled };
        if (code !== 0 && !cancelled)
          this.log.error(`prompt-adapter exited with ${String(code)}: ${tail(stderr, 500)}`);
        resolve(result);
      });
    });
  }
}
