// The PyTorch peer of the prompt-tuning step: ../shared/bench/torch_reference.py (eager torch on the CPU,
// the same model folder, batch shape and number of virtual tokens, AdamW on the soft prompt), run with the
// system Python that has torch (Debian: apt-get install python3-torch). The script is not part of this
// repository, so a fresh clone, or a machine without torch, records why the peer was skipped instead.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { progress, repoRoot } from './env.js';
import { round } from './stats.js';
import type { TrainStepShape } from './train-step.js';

/** The interpreter the peer runs with: Debian's python3-torch installs into the system Python. */
export const PEER_PYTHON = '/usr/bin/python3';
/** Overrides where the reference script is (default: ../shared/bench/torch_reference.py from the repo root). */
export const PEER_SCRIPT_ENV = 'PAS_TORCH_REFERENCE';

export type PeerAvailability =
  | { readonly ok: true; readonly script: string; readonly torch: string }
  | { readonly ok: false; readonly skipped: string };

function lastLine(text: string | null | undefined): string {
  const lines = (text ?? '').trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

/** Finds the reference script and checks that the system Python imports torch. */
export function peerAvailability(): PeerAvailability {
  const fromEnv = process.env[PEER_SCRIPT_ENV];
  const script =
    fromEnv !== undefined && fromEnv !== ''
      ? path.resolve(fromEnv)
      : path.resolve(repoRoot, '..', 'shared', 'bench', 'torch_reference.py');
  if (!fs.existsSync(script)) {
    return {
      ok: false,
      skipped:
        `no PyTorch reference script at ${script}` +
        (fromEnv === undefined ? ` (set ${PEER_SCRIPT_ENV} to its path)` : ` (from ${PEER_SCRIPT_ENV})`),
    };
  }
  if (!fs.existsSync(PEER_PYTHON)) return { ok: false, skipped: `${PEER_PYTHON} does not exist` };
  const probe = spawnSync(PEER_PYTHON, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (probe.status !== 0) {
    const why = probe.error?.message ?? (lastLine(probe.stderr) || `exit ${probe.status ?? probe.signal}`);
    return {
      ok: false,
      skipped: `${PEER_PYTHON} cannot import torch (${why}); on Debian: apt-get install -y python3-torch`,
    };
  }
  return { ok: true, script, torch: lastLine(probe.stdout) };
}

export interface PeerPlan extends TrainStepShape {
  readonly warmupSteps: number;
  readonly timedSteps: number;
  readonly threads: number;
  /** kill the child after this long */
  readonly timeoutMs: number;
}

export interface PeerResult extends TrainStepShape {
  readonly model: string;
  readonly backend: 'pytorch-eager-cpu';
  readonly torch: string;
  /** torch.get_num_threads() inside the run */
  readonly threads: number;
  /** the thread variables the child was started with */
  readonly threadEnv: Readonly<Record<string, string>>;
  readonly warmupSteps: number;
  readonly timedSteps: number;
  /** the reference reports the mean of its timed steps (total time / steps), not a median */
  readonly msPerStepMean: number;
  readonly textTokensPerSecond: number;
  readonly lossLast: number;
  readonly command: string;
}

export interface SkippedPeer {
  readonly model: string;
  readonly backend: 'pytorch-eager-cpu';
  readonly threads?: number;
  readonly skipped: string;
}

function numberField(json: Record<string, unknown>, key: string): number | undefined {
  const v = json[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Runs the reference on `dir` with `plan.threads` threads (torch's and the BLAS/OpenMP pools). */
export function runPeer(
  script: string,
  modelName: string,
  dir: string,
  plan: PeerPlan,
): PeerResult | SkippedPeer {
  const threads = String(plan.threads);
  // torch.set_num_threads (--threads) sizes torch's intra-op pool; the variables keep OpenMP and OpenBLAS
  // from starting pools of their own with one thread per core.
  const threadEnv = { OMP_NUM_THREADS: threads, OPENBLAS_NUM_THREADS: threads, MKL_NUM_THREADS: threads };
  const args = [
    script,
    '--model',
    dir,
    '--batch',
    String(plan.batch),
    '--seq',
    String(plan.textTokens),
    '--virtual-tokens',
    String(plan.virtualTokens),
    '--warmup',
    String(plan.warmupSteps),
    '--steps',
    String(plan.timedSteps),
    '--threads',
    threads,
  ];
  const command = [
    ...Object.entries(threadEnv).map(([k, v]) => `${k}=${v}`),
    PEER_PYTHON,
    ...args.map((a) => (path.isAbsolute(a) ? path.relative(repoRoot, a) : a)),
  ].join(' ');
  progress(`${modelName} pytorch: ${plan.threads} thread(s), ${plan.warmupSteps} + ${plan.timedSteps} steps`);
  const child = spawnSync(PEER_PYTHON, args, {
    encoding: 'utf8',
    env: { ...process.env, ...threadEnv },
    timeout: plan.timeoutMs,
    maxBuffer: 4 * 2 ** 20,
  });
  const skip = (why: string): SkippedPeer => ({
    model: modelName,
    backend: 'pytorch-eager-cpu',
    threads: plan.threads,
    skipped: why,
  });
  if (child.error !== undefined || child.status !== 0) {
    const why =
      child.signal === 'SIGTERM'
        ? `killed after ${Math.round(plan.timeoutMs / 1000)} s`
        : (child.error?.message ?? `exit ${child.status ?? child.signal}: ${lastLine(child.stderr)}`);
    return skip(`the PyTorch reference failed (${why}); command: ${command}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(lastLine(child.stdout)) as Record<string, unknown>;
  } catch {
    return skip(`the PyTorch reference printed no JSON line; command: ${command}`);
  }
  const tps = numberField(json, 'text_tokens_per_s');
  const ms = numberField(json, 'ms_per_step');
  const used = numberField(json, 'threads');
  if (tps === undefined || ms === undefined || used === undefined) {
    return skip(
      `the PyTorch reference's JSON lacks text_tokens_per_s, ms_per_step or threads: ${lastLine(child.stdout)}`,
    );
  }
  return {
    model: modelName,
    backend: 'pytorch-eager-cpu',
    torch: typeof json['torch'] === 'string' ? json['torch'] : 'unknown',
    threads: used,
    threadEnv,
    batch: plan.batch,
    textTokens: plan.textTokens,
    virtualTokens: plan.virtualTokens,
    warmupSteps: plan.warmupSteps,
    timedSteps: plan.timedSteps,
    msPerStepMean: round(ms, 1),
    textTokensPerSecond: round(tps, 1),
    lossLast: numberField(json, 'loss') ?? Number.NaN,
    command,
  };
}
