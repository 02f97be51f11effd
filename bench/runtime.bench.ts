// Inference throughput: prefill tokens/s and generated tokens/s of the bundled stories260K and a seeded random
// bench-20M Llama (shapes of ../shared/bench/make_random_model.py's preset), on tfjs cpu and wasm (Node) and
// on onnxruntime-web's wasm EP. Prints one JSON object on stdout at the end; progress goes to stderr.
// Never asserts on time: the numbers are for comparing changes on the same machine.
//
//   npm run bench                                   (node esbuild.mjs bench && node dist-bench/runtime.bench.mjs)
//   node dist-bench/runtime.bench.mjs --quick       (a few tokens per entry: checks that everything runs)
//   node dist-bench/runtime.bench.mjs --ort-child --threads=2 [--quick]
//                                                   (internal: ORT with 2 threads, in its own process)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { NodeBackend } from '../cli/backend.js';
import { machineInfo, progress, repoRoot } from './lib/env.js';
import { benchOrt, ensureExportedDecoder, hasOnnxExports } from './lib/ort-runtime.js';
import { BenchError } from './lib/plan.js';
import type { RuntimePlan } from './lib/plan.js';
import { RANDOM_PRESETS, ensureRandomModel, presetParameterCount } from './lib/random-model.js';
import type { BenchResult } from './lib/results.js';
import { benchTfjs, tfjsBackendInfo } from './lib/tfjs-runtime.js';
import type { TfjsBackendInfo } from './lib/tfjs-runtime.js';

const STORIES = 'stories260K';
const BENCH_20M = 'bench-20M';
const SOFT_PROMPT_TOKENS = 20;
/** ORT thread counts; each after the first runs in a child process (ORT reads numThreads once). */
const ORT_THREADS = [1, 2];

const args = process.argv.slice(2);
const quick = args.includes('--quick');

function threadsArg(): number {
  const a = args.find((x) => x.startsWith('--threads='));
  const n = a === undefined ? 1 : Number(a.slice('--threads='.length));
  if (!(Number.isInteger(n) && n >= 1)) throw new BenchError(`--threads must be an integer >= 1, got '${a}'`);
  return n;
}

/**
 * Repeats are sized for a ~3-minute run on a 2-core machine. stories260K is cheap; bench-20M on tfjs-cpu
 * (plain-JS kernels) takes seconds per 128-token prefill, so it gets fewer repeats, no batch-8 prefill and
 * fewer new tokens.
 */
function plans(): Record<string, RuntimePlan> {
  if (quick) {
    const tiny: RuntimePlan = {
      prefill: [{ batch: 1, promptTokens: 16, warmups: 1, repeats: 1 }],
      decode: { promptTokens: 4, newTokens: 4, warmups: 1, repeats: 1, softPromptTokens: 4 },
    };
    return {
      [STORIES]: tiny,
      [`${BENCH_20M}/wasm`]: tiny,
      [`${BENCH_20M}/cpu`]: tiny,
      [`${BENCH_20M}/ort`]: tiny,
    };
  }
  return {
    [STORIES]: {
      prefill: [
        { batch: 1, promptTokens: 128, warmups: 2, repeats: 5 },
        { batch: 8, promptTokens: 128, warmups: 1, repeats: 3 },
      ],
      decode: {
        promptTokens: 8,
        newTokens: 64,
        warmups: 1,
        repeats: 5,
        softPromptTokens: SOFT_PROMPT_TOKENS,
      },
    },
    [`${BENCH_20M}/wasm`]: {
      prefill: [
        { batch: 1, promptTokens: 128, warmups: 1, repeats: 3 },
        { batch: 8, promptTokens: 128, warmups: 1, repeats: 2 },
      ],
      decode: {
        promptTokens: 8,
        newTokens: 32,
        warmups: 1,
        repeats: 3,
        softPromptTokens: SOFT_PROMPT_TOKENS,
      },
    },
    [`${BENCH_20M}/ort`]: {
      prefill: [
        { batch: 1, promptTokens: 128, warmups: 1, repeats: 3 },
        { batch: 8, promptTokens: 128, warmups: 1, repeats: 2 },
      ],
      decode: {
        promptTokens: 8,
        newTokens: 32,
        warmups: 1,
        repeats: 3,
        softPromptTokens: SOFT_PROMPT_TOKENS,
      },
    },
    [`${BENCH_20M}/cpu`]: {
      prefill: [{ batch: 1, promptTokens: 128, warmups: 1, repeats: 2 }],
      decode: {
        promptTokens: 8,
        newTokens: 16,
        warmups: 1,
        repeats: 2,
        softPromptTokens: SOFT_PROMPT_TOKENS,
      },
    },
  };
}

function planFor(key: string): RuntimePlan {
  const plan = plans()[key];
  if (plan === undefined) throw new BenchError(`no bench plan named '${key}'`);
  return plan;
}

/** Runs ORT with `threads` threads in a child process of this same bundle and returns its entries. */
function ortInChild(threads: number): BenchResult[] | { error: string } {
  const script = process.argv[1];
  if (script === undefined) return { error: 'cannot tell which script is running (process.argv[1])' };
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, script, '--ort-child', `--threads=${threads}`, ...(quick ? ['--quick'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  if (child.status !== 0) {
    return {
      error: `ORT child with ${threads} threads exited with ${child.status ?? child.signal ?? 'unknown'}`,
    };
  }
  try {
    return JSON.parse(child.stdout) as BenchResult[];
  } catch {
    return { error: `ORT child with ${threads} threads printed no JSON` };
  }
}

/** The ORT entries of one thread count: stories260K (shipped exports), bench-20M (our exported decoder). */
async function benchOrtModels(storiesDir: string, benchDir: string, threads: number): Promise<BenchResult[]> {
  return [
    ...(await benchOrt(STORIES, storiesDir, threads, planFor(STORIES))),
    ...(await benchOrt(BENCH_20M, benchDir, threads, planFor(`${BENCH_20M}/ort`))),
  ];
}

async function main(): Promise<void> {
  const storiesDir = path.join(repoRoot, 'models', STORIES);
  const benchDir = path.join(repoRoot, 'bench', 'models', BENCH_20M);
  if (args.includes('--ort-child')) {
    process.stdout.write(JSON.stringify(await benchOrtModels(storiesDir, benchDir, threadsArg())) + '\n');
    return;
  }
  const started = Date.now();
  const machine = machineInfo();
  const results: BenchResult[] = [];
  progress(`making sure ${path.relative(repoRoot, benchDir)} exists (seeded random weights)`);
  const made = ensureRandomModel(benchDir, BENCH_20M);
  if (made.created) progress(`wrote ${path.relative(repoRoot, benchDir)}`);

  const backends: NodeBackend[] = ['wasm', 'cpu'];
  const runtimes: TfjsBackendInfo[] = [];
  for (const backend of backends) {
    runtimes.push(await tfjsBackendInfo(backend));
    results.push(...(await benchTfjs(STORIES, storiesDir, backend, planFor(STORIES))));
    results.push(...(await benchTfjs(BENCH_20M, benchDir, backend, planFor(`${BENCH_20M}/${backend}`))));
  }

  if (!quick) {
    results.push({
      model: BENCH_20M,
      backend: 'tfjs-cpu',
      phase: 'prefill',
      skipped:
        'batch 8 x 128 prefill not run on tfjs-cpu: about 8x the batch-1 time (tens of seconds per run), ' +
        'over the time budget of this bench; see the batch-1 entry and the tfjs-wasm batch-8 entry',
    });
  }

  if (!hasOnnxExports(storiesDir)) throw new BenchError(`${storiesDir}/onnx: the ONNX exports are missing`);
  progress(`exporting ${path.relative(repoRoot, benchDir)}/onnx with runtime/onnx-export.ts (cached)`);
  const onnxExport = ensureExportedDecoder(benchDir);
  for (const threads of ORT_THREADS) {
    if (threads === ORT_THREADS[0]) {
      results.push(...(await benchOrtModels(storiesDir, benchDir, threads)));
      continue;
    }
    const child = ortInChild(threads);
    if (Array.isArray(child)) results.push(...child);
    else {
      for (const model of [STORIES, BENCH_20M]) {
        results.push({ model, backend: 'ort-wasm', threads, phase: 'all', skipped: child.error });
      }
    }
  }

  const report = {
    bench: 'runtime',
    command:
      `node ${path.relative(repoRoot, process.argv[1] ?? 'dist-bench/runtime.bench.mjs')} ${args.join(' ')}`.trim(),
    quick,
    machine,
    runtimes,
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
        onnx: {
          file: path.relative(repoRoot, onnxExport.file),
          bytes: onnxExport.bytes,
          source:
            'exported by runtime/onnx-export.ts (opset 17); exportMs is null when the cached file was used',
          exportMs: onnxExport.exportMs ?? null,
        },
      },
    },
    notes: [
      'prefill: forward over B x T tokens with the KV cache built + LM head (tfjs: last position only); tokens/s = B*T / median ms',
      'decode: greedy, batch 1, first step (prompt) excluded: tokens/s = (newTokens - 1) / median ms',
      `adapter soft P=${SOFT_PROMPT_TOKENS} on tfjs: PromptCache built once (cacheBuildMs), then borrowed by each request`,
      `ORT adapters P=${SOFT_PROMPT_TOKENS}: prefix = past of decoder_with_past.onnx; soft = model_embeds.onnx, which has no cache`,
      `ORT bench-20M: decoder_with_past.onnx exported by runtime/onnx-export.ts (no embeds export, so no soft run)`,
      'machine is shared: see machine.loadAverageAtStart; compare numbers from the same machine and load only',
    ],
    wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    results,
  };
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
}

await main();
