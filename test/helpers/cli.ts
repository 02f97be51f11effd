// Runs the built CLI (dist/cli.mjs, made by `node esbuild.mjs cli`; npm test builds it) as users do: a separate
// Node process, its exit code, stdout and stderr.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.js';

export const cliPath = path.join(repoRoot, 'dist', 'cli.mjs');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], input?: string, timeoutMs = 300_000): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', input, timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of stdout, parsed as JSON (the commands' machine-readable result). */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}
