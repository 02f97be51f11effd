// Where the bench runs: the repository root (found from the bundle's location, dist-bench/, or a source
// file under bench/) and a description of the machine, printed with every result so numbers can be compared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'core'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`bench: cannot find the repository root (package.json + core/) above ${start}`);
    dir = parent;
  }
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryGiB: number;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews the numbers */
  readonly loadAverageAtStart: readonly number[];
  readonly platform: string;
  readonly node: string;
  readonly tfjs: string;
  readonly onnxruntimeWeb: string;
  readonly date: string;
}

function packageVersion(name: string): string {
  try {
    const file = path.join(repoRoot, 'node_modules', name, 'package.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown };
    return typeof json.version === 'string' ? json.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version_core,
    onnxruntimeWeb: packageVersion('onnxruntime-web'),
    date: new Date().toISOString(),
  };
}

/** Progress goes to stderr; stdout carries only the final JSON. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
