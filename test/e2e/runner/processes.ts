// Everything the e2e runner starts is registered here and stopped on exit, on failure and on signals,
// by the process-group id of the child we spawned (never by name).
import { setTimeout as sleep } from 'node:timers/promises';

export class E2eSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'E2eSetupError';
  }
}

type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
let cleaningUp = false;

/** Registers `fn` to run at exit; the last registered runs first. */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

export async function cleanupAll(): Promise<void> {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error('[e2e] cleanup step failed:', err);
    }
  }
}

/**
 * On SIGINT/SIGTERM/SIGHUP: run every cleanup, then exit 130; a second signal exits at once. (Playwright's
 * own signal handlers are switched off at launch: they would exit before code-server is stopped.)
 */
export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (cleaningUp) process.exit(130);
      console.error(`[e2e] ${signal}: stopping code-server and the browser (again to exit at once)`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the process group led by `pid` (children spawned with `detached: true` lead their own group):
 * SIGTERM, then SIGKILL after `graceMs`. The group holds code-server's extension host and pty host too.
 */
export async function stopProcessGroup(pid: number, graceMs = 5_000): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals): boolean => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // the group is gone already
    }
  };
  if (!signalGroup('SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isAlive(pid)) await sleep(100);
  signalGroup('SIGKILL');
}
