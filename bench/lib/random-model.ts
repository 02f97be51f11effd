// Seeded random Llama-family Hugging Face folders for throughput benchmarks, where only the shapes matter
// (no pretrained weights of these sizes ship with the repository). The presets copy the shapes and the
// config.json fields of ../shared/bench/make_random_model.py: weights N(0, 0.02), norm weights 1, tied
// embeddings. The numbers differ from the Python script's (numpy's generator is not reproduced here), but
// they are deterministic for a given seed, so every run of the bench reads the same model.
//
// Legend: C hidden size, F MLP width, L layers, H heads, K kv heads, D head dim (C / H), V vocab.
import fs from 'node:fs';
import path from 'node:path';
import { Mulberry32 } from '../../core/generate/rng.js';
import { serializeSafetensors } from '../../core/formats/safetensors.js';
import type { TensorToWrite } from '../../core/formats/safetensors.js';

export class RandomModelError extends Error {
  override name = 'RandomModelError';
}

export interface RandomLlamaPreset {
  readonly hidden: number; // C
  readonly intermediate: number; // F
  readonly layers: number; // L
  readonly heads: number; // H
  readonly kvHeads: number; // K
  readonly vocab: number; // V
  readonly tieEmbeddings: boolean;
  readonly ropeTheta: number;
}

/** The presets of make_random_model.py that this bench uses (values of its PRESETS table). */
export const RANDOM_PRESETS = {
  'bench-20M': {
    hidden: 384,
    intermediate: 1024,
    layers: 8,
    heads: 6,
    kvHeads: 2,
    vocab: 8192,
    tieEmbeddings: true,
    ropeTheta: 10000,
  },
} as const satisfies Record<string, RandomLlamaPreset>;

export type RandomPresetName = keyof typeof RANDOM_PRESETS;

const INIT_STD = 0.02;
const GENERATOR = 'bench/lib/random-model.ts';

/** Standard normal samples from a seeded mulberry32 stream (Box–Muller, both outputs used). */
export class NormalStream {
  private readonly uniform: Mulberry32;
  private spare: number | undefined;

  constructor(seed: number) {
    this.uniform = new Mulberry32(seed);
  }

  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    // 1 - u keeps the log's argument in (0, 1]: u is in [0, 1).
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform.nextFloat()));
    const angle = 2 * Math.PI * this.uniform.nextFloat();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** `count` samples of N(0, std²) as float32. */
  fill(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.next() * std;
    return out;
  }
}

/** config.json of the preset, with the same fields and values as make_random_model.py writes. */
export function randomLlamaConfig(p: RandomLlamaPreset): Record<string, unknown> {
  if (p.hidden % p.heads !== 0 || p.heads % p.kvHeads !== 0) {
    throw new RandomModelError(
      `random preset: hidden ${p.hidden} must divide by heads ${p.heads}, and heads by kv heads ${p.kvHeads}`,
    );
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: p.hidden,
    intermediate_size: p.intermediate,
    num_hidden_layers: p.layers,
    num_attention_heads: p.heads,
    num_key_value_heads: p.kvHeads,
    head_dim: p.hidden / p.heads,
    vocab_size: p.vocab,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: p.ropeTheta,
    tie_word_embeddings: p.tieEmbeddings,
    hidden_act: 'silu',
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  };
}

/** The tensors of the preset, in the order and with the names transformers' LlamaForCausalLM uses. */
export function randomLlamaTensors(p: RandomLlamaPreset, seed: number): Record<string, TensorToWrite> {
  const C = p.hidden;
  const F = p.intermediate;
  const D = p.hidden / p.heads;
  const rng = new NormalStream(seed);
  const normal = (rows: number, cols: number): TensorToWrite => ({
    dtype: 'F32',
    shape: [rows, cols],
    data: rng.fill(rows * cols, INIT_STD),
  });
  const ones = (n: number): TensorToWrite => ({
    dtype: 'F32',
    shape: [n],
    data: new Float32Array(n).fill(1),
  });
  const t: Record<string, TensorToWrite> = {
    'model.embed_tokens.weight': normal(p.vocab, C), // (V, C)
    'model.norm.weight': ones(C),
  };
  for (let i = 0; i < p.layers; i++) {
    const prefix = `model.layers.${i}.`;
    t[prefix + 'input_layernorm.weight'] = ones(C);
    t[prefix + 'post_attention_layernorm.weight'] = ones(C);
    // torch Linear layout: (out, in)
    t[prefix + 'self_attn.q_proj.weight'] = normal(p.heads * D, C); // (H·D, C)
    t[prefix + 'self_attn.k_proj.weight'] = normal(p.kvHeads * D, C); // (K·D, C)
    t[prefix + 'self_attn.v_proj.weight'] = normal(p.kvHeads * D, C); // (K·D, C)
    t[prefix + 'self_attn.o_proj.weight'] = normal(C, p.heads * D); // (C, H·D)
    t[prefix + 'mlp.gate_proj.weight'] = normal(F, C); // (F, C)
    t[prefix + 'mlp.up_proj.weight'] = normal(F, C); // (F, C)
    t[prefix + 'mlp.down_proj.weight'] = normal(C, F); // (C, F)
  }
  if (!p.tieEmbeddings) t['lm_head.weight'] = normal(p.vocab, C); // (V, C)
  return t;
}

/** Number of parameters of the preset's model (the elements of all its tensors). */
export function presetParameterCount(p: RandomLlamaPreset): number {
  const C = p.hidden;
  const D = p.hidden / p.heads;
  const attention = p.heads * D * C * 2 + p.kvHeads * D * C * 2; // q, o; k, v
  const mlp = 3 * p.intermediate * C; // gate, up, down
  const perLayer = attention + mlp + 2 * C; // + two norms
  return p.vocab * C * (p.tieEmbeddings ? 1 : 2) + C + p.layers * perLayer;
}

export interface RandomModelInfo {
  readonly dir: string;
  readonly preset: RandomPresetName;
  readonly seed: number;
  /** true when this call wrote the folder, false when a matching one was already there */
  readonly created: boolean;
}

/** The generator/preset/seed stamp stored in model.safetensors' metadata, or undefined if unreadable. */
function readStamp(file: string): Record<string, unknown> | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const lengthBytes = Buffer.alloc(8);
    if (fs.readSync(fd, lengthBytes, 0, 8, 0) !== 8) return undefined;
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > 1 << 20) return undefined;
    const header = Buffer.alloc(headerLength);
    if (fs.readSync(fd, header, 0, headerLength, 8) !== headerLength) return undefined;
    const parsed = JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, unknown> };
    return parsed.__metadata__;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Makes sure `dir` holds the preset's random model (config.json + model.safetensors), writing it when it is
 * missing or was made from another preset or seed. Files are written to temporary names and renamed, so an
 * interrupted run never leaves a half-written model behind.
 */
export function ensureRandomModel(dir: string, preset: RandomPresetName, seed = 0): RandomModelInfo {
  const p = RANDOM_PRESETS[preset];
  const configPath = path.join(dir, 'config.json');
  const weightsPath = path.join(dir, 'model.safetensors');
  const stamp = fs.existsSync(weightsPath) ? readStamp(weightsPath) : undefined;
  if (
    fs.existsSync(configPath) &&
    stamp?.['generator'] === GENERATOR &&
    stamp['preset'] === preset &&
    stamp['seed'] === String(seed)
  ) {
    return { dir, preset, seed, created: false };
  }
  fs.mkdirSync(dir, { recursive: true });
  const tensors = randomLlamaTensors(p, seed);
  const bytes = serializeSafetensors(tensors, {
    generator: GENERATOR,
    preset,
    seed: String(seed),
    format: 'pt',
  });
  const tmpWeights = `${weightsPath}.tmp-${process.pid}`;
  const tmpConfig = `${configPath}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmpWeights, bytes);
    fs.writeFileSync(tmpConfig, JSON.stringify(randomLlamaConfig(p), null, 1) + '\n');
    fs.renameSync(tmpWeights, weightsPath);
    fs.renameSync(tmpConfig, configPath);
  } catch (e) {
    fs.rmSync(tmpWeights, { force: true });
    fs.rmSync(tmpConfig, { force: true });
    throw new RandomModelError(
      `could not write the random '${preset}' model into ${dir} (${e instanceof Error ? e.message : String(e)}); ` +
        'check that the folder is writable and the disk has ~100 MB free',
    );
  }
  return { dir, preset, seed, created: true };
}
