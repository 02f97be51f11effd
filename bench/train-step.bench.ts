// Training throughput: one prompt-tuning step (B=8 sequences of T=128 text tokens behind a P=20 soft prompt:
// forward, causal LM loss, backward to the prompt, AdamW update) through the project's training loop
// (core/train/loop.ts) on tfjs cpu and wasm, for the bundled stories260K and a seeded random bench-20M Llama;
// and, in the same run, the PyTorch peer (../shared/bench/torch_reference.py, or $PAS_TORCH_REFERENCE) on the
// same model folders with 1 and 2 threads when /usr/bin/python3 has torch, with the ratio torch / tfjs.
// Prints one JSON object on stdout at the end; progress goes to stderr. Never asserts on time.
//
//   node esbuild.mjs bench && node dist-bench/train-step.bench.mjs
//   node dist-bench/train-step.bench.mjs --quick    (stories260K only, a few steps: checks that everything runs)
import os from 'node:os';
import path from 'node:path';
import type { NodeBackend } from '../cli/backend.js';
import { machineInfo, progress, repoRoot } from './lib/env.js';
import { RANDOM_PRESETS, ensureRandomModel, presetParameterCount } from './lib/random-model.js';
import { round } from './lib/stats.js';
import { peerAvailability, runPeer } from './lib/train-peer.js';
import type { PeerResult, SkippedPeer } from './lib/train-peer.js';
import { STEP_OPTIMIZER, benchTrainStepTfjs } from './lib/train-step.js';
import type { SkippedTrainStep, TrainStepPlan, TrainStepResult } from './lib/train-step.js';
import { tfjsBackendInfo } from './lib/tfjs-runtime.js';
import type { TfjsBackendInfo } from './lib/tfjs-runtime.js';

const STORIES = 'stories260K';
const BENCH_20M = 'bench-20M';
const SHAPE = { batch: 8, textTokens: 128, virtualTokens: 20 } as const;
const PEER_THREADS = [1, 2];
/** bench-20M on tfjs-cpu (plain-JS kernels) is skipped when a step is estimated above this (cpuEstimate) */
const CPU_MAX_MS_PER_STEP = 60_000;

const args = process.argv.slice(2);
const quick = args.includes('--quick');

interface ModelPlan {
  readonly tfjs: Readonly<Record<NodeBackend, TrainStepPlan | string>>;
  /** warm-up and timed steps of the peer; a string is the reason it is not run */
  readonly peer: { readonly warmupSteps: number; readonly timedSteps: number } | string;
}

/**
 * Steps are sized for a run of about five minutes on a shared 2-core machine: a stories260K step takes ~2 s on
 * tfjs-wasm and ~10 s on tfjs-cpu, a bench-20M step tens of seconds on tfjs-wasm and seconds on torch; on
 * tfjs-cpu it is estimated first (cpuEstimate) and skipped when too long.
 */
function plans(): Record<string, ModelPlan> {
  if (quick) {
    const tiny = { ...SHAPE, warmupSteps: 1, timedSteps: 2 };
    const why = 'not run with --quick';
    return {
      [STORIES]: { tfjs: { cpu: tiny, wasm: tiny }, peer: { warmupSteps: 1, timedSteps: 2 } },
      [BENCH_20M]: { tfjs: { cpu: why, wasm: why }, peer: why },
    };
  }
  return {
    [STORIES]: {
      tfjs: {
        cpu: { ...SHAPE, warmupSteps: 1, timedSteps: 3 },
        wasm: { ...SHAPE, warmupSteps: 2, timedSteps: 6 },
      },
      peer: { warmupSteps: 2, timedSteps: 6 },
    },
    [BENCH_20M]: {
      tfjs: {
        cpu: { ...SHAPE, warmupSteps: 1, timedSteps: 2 },
        wasm: { ...SHAPE, warmupSteps: 1, timedSteps: 3 },
      },
      peer: { warmupSteps: 1, timedSteps: 2 },
    },
  };
}

type TfjsEntry = TrainStepResult | SkippedTrainStep;
type PeerEntry = PeerResult | SkippedPeer;

interface Ratio {
  readonly model: string;
  readonly tfjs: string;
  readonly torchThreads: number;
  /** torch text tokens/s ÷ tfjs text tokens/s: above 1, torch is faster */
  readonly torchOverTfjs: number;
}

function ratios(tfjs: readonly TfjsEntry[], peers: readonly PeerEntry[]): Ratio[] {
  const out: Ratio[] = [];
  for (const t of tfjs) {
    if ('skipped' in t) continue;
    for (const p of peers) {
      if ('skipped' in p || p.model !== t.model) continue;
      out.push({
        model: t.model,
        tfjs: t.backend,
        torchThreads: p.threads,
        torchOverTfjs: round(p.textTokensPerSecond / t.textTokensPerSecond, 2),
      });
    }
  }
  return out;
}

/**
 * A tfjs-cpu step of `modelName` estimated before running it: its tfjs-wasm step times the cpu/wasm ratio
 * measured on stories260K in this run (a rough figure: the ratio varies with matrix sizes and load, by tens
 * of percent in bench/results-runtime-*.json). Undefined when either measurement is missing.
 */
function cpuEstimate(tfjs: readonly TfjsEntry[], modelName: string): { ms: number; why: string } | undefined {
  const find = (model: string, backend: string): TrainStepResult | undefined => {
    const e = tfjs.find((t) => t.model === model && t.backend === backend);
    return e === undefined || 'skipped' in e ? undefined : e;
  };
  const wasm = find(modelName, 'tfjs-wasm');
  const smallCpu = find(STORIES, 'tfjs-cpu');
  const smallWasm = find(STORIES, 'tfjs-wasm');
  if (wasm === undefined || smallCpu === undefined || smallWasm === undefined) return undefined;
  const ratio = smallCpu.msPerStepMedian / smallWasm.msPerStepMedian;
  const ms = wasm.msPerStepMedian * ratio;
  return {
    ms,
    why:
      `estimated ${Math.round(ms / 1000)} s per step = its tfjs-wasm step (${Math.round(wasm.msPerStepMedian)} ms) ` +
      `x the cpu/wasm ratio measured on ${STORIES} in this run (${round(ratio, 1)})`,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineInfo();
  const storiesDir = path.join(repoRoot, 'models', STORIES);
  const benchDir = path.join(repoRoot, 'bench', 'models', BENCH_20M);
  progress(`making sure ${path.relative(repoRoot, benchDir)} exists (seeded random weights)`);
  const made = ensureRandomModel(benchDir, BENCH_20M);
  if (made.created) progress(`wrote ${path.relative(repoRoot, benchDir)}`);
  const dirs: Record<string, string> = { [STORIES]: storiesDir, [BENCH_20M]: benchDir };
  const planned = plans();

  const runtimes: TfjsBackendInfo[] = [];
  const tfjs: TfjsEntry[] = [];
  for (const backend of ['wasm', 'cpu'] as const) {
    runtimes.push(await tfjsBackendInfo(backend));
    for (const [modelName, plan] of Object.entries(planned)) {
      const p = plan.tfjs[backend];
      if (typeof p === 'string') {
        tfjs.push({ model: modelName, backend: `tfjs-${backend}`, skipped: p });
        continue;
      }
      const dir = dirs[modelName] ?? storiesDir;
      if (backend === 'cpu' && modelName !== STORIES) {
        const estimate = cpuEstimate(tfjs, modelName);
        if (estimate === undefined) {
          tfjs.push({
            model: modelName,
            backend: 'tfjs-cpu',
            skipped: `no estimate of its step time (its tfjs-wasm or ${STORIES}'s entries are missing): not run blind`,
          });
          continue;
        }
        if (estimate.ms > CPU_MAX_MS_PER_STEP) {
          progress(`${modelName} tfjs-cpu skipped: ${estimate.why}`);
          tfjs.push({
            model: modelName,
            backend: 'tfjs-cpu',
            skipped: `${estimate.why}: over this bench's limit of ${CPU_MAX_MS_PER_STEP / 1000} s per step`,
            estimatedMsPerStep: Math.round(estimate.ms),
          });
          continue;
        }
      }
      tfjs.push(await benchTrainStepTfjs({ modelName, dir, backend, plan: p }));
    }
  }

  const peers: PeerEntry[] = [];
  const availability = peerAvailability();
  let peerInfo: Record<string, string>;
  if (!availability.ok) {
    progress(`PyTorch peer skipped: ${availability.skipped}`);
    peerInfo = { skipped: availability.skipped };
  } else {
    peerInfo = { script: availability.script, torch: availability.torch };
    for (const [modelName, plan] of Object.entries(planned)) {
      for (const threads of PEER_THREADS) {
        if (typeof plan.peer === 'string') {
          peers.push({ model: modelName, backend: 'pytorch-eager-cpu', threads, skipped: plan.peer });
          continue;
        }
        const dir = dirs[modelName] ?? storiesDir;
        peers.push(
          runPeer(availability.script, modelName, dir, {
            ...SHAPE,
            ...plan.peer,
            threads,
            timeoutMs: 180_000,
          }),
        );
      }
    }
  }

  const report = {
    bench: 'train-step',
    command:
      `node ${path.relative(repoRoot, process.argv[1] ?? 'dist-bench/train-step.bench.mjs')} ${args.join(' ')}`.trim(),
    quick,
    machine,
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    runtimes,
    step: {
      ...SHAPE,
      objective: 'causal LM: labels = input ids, mask of ones; loss over the text positions',
      optimizer: { kind: 'AdamW', ...STEP_OPTIMIZER, schedule: 'constant', clipping: 'none' },
    },
    models: {
      [STORIES]: {
        dir: path.relative(repoRoot, storiesDir),
        source: "bundled checkpoint: Karpathy's TinyStories 260K (llama2.c) in Hugging Face layout",
      },
      [BENCH_20M]: {
        dir: path.relative(repoRoot, benchDir),
        source: 'seeded random weights N(0, 0.02) written by bench/lib/random-model.ts',
        seed: made.seed,
        params: presetParameterCount(RANDOM_PRESETS[BENCH_20M]),
        shapes: RANDOM_PRESETS[BENCH_20M],
      },
    },
    peer: peerInfo,
    notes: [
      'tfjs: core/train/loop.ts train() on one fixed batch; step time = gap between consecutive onProgress calls; median of the timed steps',
      'text tokens/s = B*T / step time (the P virtual tokens are computed but not counted), on both sides',
      'torch: eager CPU, the same model folder, batch shape, P and optimizer; it reports the mean of its timed steps',
      'torchOverTfjs > 1: the PyTorch peer is faster by that factor',
      'machine is shared: see machine.loadAverageAtStart and loadAverageAtEnd; compare numbers from the same machine and load only',
    ],
    wallSeconds: round((Date.now() - started) / 1000, 1),
    tfjs,
    peers,
    ratios: ratios(tfjs, peers),
  };
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
}

await main();
