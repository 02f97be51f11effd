// Exports a Llama-family causal LM (Llama 2/3, Mistral, Qwen2, SmolLM: what core/model/llama.ts runs) to an
// ONNX "decoder with past" graph, written by this project instead of torch.onnx.export, so that any
// checkpoint we can read also runs on onnxruntime-web (runtime/onnx.ts). The graph has exactly the inputs
// and outputs of the Hugging Face Hub decoder exports (and of models/stories260K/onnx/decoder_with_past.onnx):
//   input_ids (B,T) int64, attention_mask (B,S) int64, position_ids (B,T) int64,
//   past_key_values.{i}.key/value (B,Hkv,P,D) float32
//   → logits (B,T,V), present.{i}.key/value (B,Hkv,S,D)
// and computes what transformers' LlamaForCausalLM computes (eager attention): RMSNorm, RoPE from position_ids
// (rotate_half layout, the config's inv_freq scaling), grouped-query attention with an additive mask built in
// the graph from attention_mask (padding) and the causal offset P = S - T, SwiGLU MLP, tied or separate head.
// Platform-free: takes a config and weights, returns the bytes of the .onnx file.
//
// Legend: B batch, T new tokens, P past length, S = P + T keys, C hidden, H heads, Hkv kv heads,
// R = H / Hkv query heads per kv head, D head dim, F MLP width, V vocab.

import type { ModelConfig, RopeConfig } from '../core/formats/hfconfig.js';
import { ropeInverseFrequencies } from '../core/model/llama.js';
import type { WeightSource } from '../core/model/types.js';
import { encodeOnnxModel } from './onnx-proto.js';
import type { OnnxAttribute, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-proto.js';

export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

export const ONNX_EXPORT_OPSET = 17;
const IR_VERSION = 8; // the IR version of opset 17 (onnx/docs/Versioning.md)
/** torch.finfo(float32).min: the additive mask value transformers uses for masked keys. */
const MASKED = -3.4028234663852886e38;
// TensorProto.DataType values used by Cast
const CAST_FLOAT = 1;
const CAST_BOOL = 9;

/** Collects nodes and initializers; every intermediate value gets a fresh, readable name. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;
  private readonly int64Constants = new Map<string, string>();

  /** Adds one node and returns the name of its (single) output; `output` names it explicitly. */
  op(opType: string, inputs: string[], attributes: OnnxAttribute[] = [], output?: string): string {
    const id = this.count++;
    const out = output ?? `${opType.toLowerCase()}_${id}`;
    this.nodes.push({ opType, name: `${opType}_${id}`, inputs, outputs: [out], attributes });
    return out;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** An int64 constant (shared between uses); `scalar` gives it rank 0. */
  int64(values: number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
    const known = this.int64Constants.get(key);
    if (known !== undefined) return known;
    const name = `const_i64_${this.int64Constants.size}`;
    this.initializers.push({
      name,
      dims: scalar ? [] : [values.length],
      data: BigInt64Array.from(values, BigInt),
    });
    this.int64Constants.set(key, name);
    return name;
  }

  float(value: number, name: string): string {
    return this.weight(name, [], Float32Array.of(value));
  }
}

/** Reads weights with the shapes this export expects, saying which tensor is wrong and how. */
class Weights {
  constructor(
    private readonly source: WeightSource,
    private readonly prefix: string,
  ) {}

  has(name: string): boolean {
    return this.source.has(this.prefix + name);
  }

  get(name: string, shape: number[], full = false): Float32Array {
    const key = full ? name : this.prefix + name;
    const t = this.source.get(key);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new OnnxExportError(
        `${this.source.source ?? 'weights'}: tensor '${key}' has shape [${t.shape.join(', ')}], the config ` +
          `needs [${shape.join(', ')}]; check that config.json belongs to these weights`,
      );
    }
    return t.data;
  }

  /** A torch Linear weight (out, in) transposed to (in, out), the layout of ONNX MatMul's second input. */
  linear(name: string, outDim: number, inDim: number): Float32Array {
    const w = this.get(name, [outDim, inDim]); // (out, in)
    const t = new Float32Array(inDim * outDim); // (in, out)
    for (let o = 0; o < outDim; o++) {
      for (let i = 0; i < inDim; i++) t[i * outDim + o] = w[o * inDim + i]!;
    }
    return t;
  }
}

/** Checks that the exporter covers this config; returns its RoPE settings. */
function checkConfig(c: ModelConfig): RopeConfig {
  const where = c.source ?? 'config.json';
  if (c.arch !== 'llama') {
    throw new OnnxExportError(
      `${where}: the ONNX exporter handles the Llama family (llama, mistral, qwen2, smollm), not '${c.modelType}'`,
    );
  }
  if (c.head !== 'causal-lm') {
    throw new OnnxExportError(
      `${where}: the decoder export needs a causal-LM checkpoint, this one has a '${c.head}' head`,
    );
  }
  if (c.rope === undefined) throw new OnnxExportError(`${where}: no rotary embedding settings (rope_theta)`);
  if (c.rope.partialRotaryFactor !== 1) {
    throw new OnnxExportError(
      `${where}: partial_rotary_factor ${c.rope.partialRotaryFactor} is not supported (only full-width RoPE)`,
    );
  }
  if (c.hiddenAct !== 'silu') {
    throw new OnnxExportError(`${where}: hidden_act '${c.hiddenAct}' is not supported (only silu / SwiGLU)`);
  }
  if (c.numHeads % c.numKvHeads !== 0 || c.headDim % 2 !== 0) {
    throw new OnnxExportError(
      `${where}: ${c.numHeads} heads must be a multiple of ${c.numKvHeads} kv heads and head_dim ${c.headDim} even`,
    );
  }
  return c.rope;
}

/** RMSNorm as transformers computes it: x · 1/sqrt(mean(x²) + eps) · weight, over the last axis. */
function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: string): string {
  const sq = g.op('Mul', [x, x]); // (B, T, C)
  const mean = g.op('ReduceMean', [sq], [{ name: 'axes', kind: 'ints', value: [-1] }]); // (B, T, 1)
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [mean, eps])])]);
  return g.op('Mul', [g.op('Mul', [x, inv]), weight]); // (B, T, C)
}

/** x·W (+ b): x (..., in), W (in, out). */
function linear(g: GraphBuilder, x: string, w: string, b: string | undefined): string {
  const y = g.op('MatMul', [x, w]);
  return b === undefined ? y : g.op('Add', [y, b]);
}

/**
 * Builds the decoder-with-past ONNX graph of a Llama-family causal LM and returns the .onnx bytes.
 * Weights are embedded (raw float32); a model of N parameters gives a file of about 4·N bytes.
 */
export function exportLlamaDecoderWithPast(config: ModelConfig, weights: WeightSource): Uint8Array {
  const rope = checkConfig(config);
  const c = config;
  const C = c.hiddenSize;
  const H = c.numHeads;
  const Hkv = c.numKvHeads;
  const R = H / Hkv;
  const D = c.headDim;
  const F = c.intermediateSize;
  const V = c.vocabSize;
  // Checkpoints saved from other heads keep the "model." prefix; a bare LlamaModel has none (as llama.ts).
  const w = new Weights(weights, weights.has('model.embed_tokens.weight') ? 'model.' : '');
  const g = new GraphBuilder();

  const embed = g.weight('embed_tokens.weight', [V, C], w.get('embed_tokens.weight', [V, C])); // (V, C)
  const eps = g.float(c.normEps, 'rms_norm_eps');
  const scale = g.float(1 / Math.sqrt(D), 'attention_scale');
  const i0 = g.int64([0], true);
  const i1 = g.int64([1], true);

  // --- additive attention mask (B, 1, 1, T, S): key j is visible to query t iff j <= P + t and it is no pad ---
  const T = g.op('Gather', [g.op('Shape', ['input_ids']), i1]); // scalar
  const S = g.op('Gather', [g.op('Shape', ['attention_mask']), i1]); // scalar
  const P = g.op('Sub', [S, T]); // scalar: past length
  const keyPos = g.op('Range', [i0, S, i1]); // (S)
  const queryPos = g.op('Unsqueeze', [g.op('Range', [P, S, i1]), g.int64([1])]); // (T, 1)
  const causal = g.op('LessOrEqual', [keyPos, queryPos]); // (T, S) bool
  const notPad = g.op('Unsqueeze', [
    g.op('Cast', ['attention_mask'], [{ name: 'to', kind: 'int', value: CAST_BOOL }]),
    g.int64([1]),
  ]); // (B, 1, S) bool
  const visible = g.op('And', [causal, notPad]); // (B, T, S)
  const maskBias = g.op('Unsqueeze', [
    g.op('Where', [visible, g.float(0, 'mask_visible'), g.float(MASKED, 'mask_hidden')]),
    g.int64([1, 2]),
  ]); // (B, 1, 1, T, S)

  // --- rotary cos/sin (B, 1, T, D) from position_ids ---
  const invFreq = g.weight('rope_inv_freq', [D / 2], ropeInverseFrequencies(rope, D)); // (D/2)
  const positions = g.op('Unsqueeze', [
    g.op('Cast', ['position_ids'], [{ name: 'to', kind: 'int', value: CAST_FLOAT }]),
    g.int64([2]),
  ]); // (B, T, 1)
  const freqs = g.op('Mul', [positions, invFreq]); // (B, T, D/2)
  const angles = g.op('Concat', [freqs, freqs], [{ name: 'axis', kind: 'int', value: -1 }]); // (B, T, D)
  const cos = g.op('Unsqueeze', [g.op('Cos', [angles]), g.int64([1])]); // (B, 1, T, D)
  const sin = g.op('Unsqueeze', [g.op('Sin', [angles]), g.int64([1])]);
  const halfStart = g.int64([0]);
  const halfMid = g.int64([D / 2]);
  const halfEnd = g.int64([D]);
  const lastAxis = g.int64([3]);
  /** x·cos + rotate_half(x)·sin, rotate_half(x1, x2) = (−x2, x1); x (B, heads, T, D). */
  const applyRope = (x: string): string => {
    const x1 = g.op('Slice', [x, halfStart, halfMid, lastAxis]); // (B, heads, T, D/2)
    const x2 = g.op('Slice', [x, halfMid, halfEnd, lastAxis]);
    const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], [{ name: 'axis', kind: 'int', value: 3 }]);
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };
  const toHeads = (x: string, heads: number): string =>
    g.op(
      'Transpose',
      [g.op('Reshape', [x, g.int64([0, 0, heads, D])])],
      [{ name: 'perm', kind: 'ints', value: [0, 2, 1, 3] }],
    ); // (B, T, heads·D) → (B, heads, T, D)
  const bias1d = (name: string, n: number): string => g.weight(name, [n], w.get(name, [n]));

  let h = g.op('Gather', [embed, 'input_ids']); // (B, T, C)
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    const a = `${p}self_attn.`;
    const m = `${p}mlp.`;
    // --- self-attention ---
    const x = rmsNorm(
      g,
      h,
      g.weight(`${p}input_layernorm.weight`, [C], w.get(`${p}input_layernorm.weight`, [C])),
      eps,
    );
    const proj = (name: string, out: number, withBias: boolean): string =>
      linear(
        g,
        x,
        g.weight(`${a}${name}.weight_t`, [C, out], w.linear(`${a}${name}.weight`, out, C)),
        withBias ? bias1d(`${a}${name}.bias`, out) : undefined,
      );
    const q = applyRope(toHeads(proj('q_proj', H * D, c.qkvBias), H)); // (B, H, T, D)
    const k = applyRope(toHeads(proj('k_proj', Hkv * D, c.qkvBias), Hkv)); // (B, Hkv, T, D)
    const v = toHeads(proj('v_proj', Hkv * D, c.qkvBias), Hkv); // (B, Hkv, T, D)
    // past keys are used as stored (already rotated, or a prefix adapter's raw keys), like transformers' cache
    const axis2: OnnxAttribute[] = [{ name: 'axis', kind: 'int', value: 2 }];
    const keys = g.op('Concat', [`past_key_values.${i}.key`, k], axis2, `present.${i}.key`); // (B, Hkv, S, D)
    const values = g.op('Concat', [`past_key_values.${i}.value`, v], axis2, `present.${i}.value`);
    // GQA without copying kv heads: query heads grouped by the kv head they share, h = kv·R + r
    const qGrouped = g.op('Reshape', [q, g.int64([0, Hkv, R, -1, D])]); // (B, Hkv, R, T, D)
    const keysT = g.op('Unsqueeze', [
      g.op('Transpose', [keys], [{ name: 'perm', kind: 'ints', value: [0, 1, 3, 2] }]),
      g.int64([2]),
    ]); // (B, Hkv, 1, D, S)
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [qGrouped, keysT]), scale]), maskBias]); // (B, Hkv, R, T, S)
    const probs = g.op('Softmax', [scores], [{ name: 'axis', kind: 'int', value: -1 }]);
    const context = g.op('MatMul', [probs, g.op('Unsqueeze', [values, g.int64([2])])]); // (B, Hkv, R, T, D)
    const merged = g.op('Reshape', [
      g.op(
        'Transpose',
        [g.op('Reshape', [context, g.int64([0, H, -1, D])])], // (B, H, T, D)
        [{ name: 'perm', kind: 'ints', value: [0, 2, 1, 3] }],
      ), // (B, T, H, D)
      g.int64([0, 0, H * D]),
    ]); // (B, T, H·D)
    const o = linear(
      g,
      merged,
      g.weight(`${a}o_proj.weight_t`, [H * D, C], w.linear(`${a}o_proj.weight`, C, H * D)),
      c.oBias ? bias1d(`${a}o_proj.bias`, C) : undefined,
    );
    h = g.op('Add', [h, o]); // (B, T, C)
    // --- SwiGLU MLP: down(silu(gate(y)) · up(y)) ---
    const y = rmsNorm(
      g,
      h,
      g.weight(`${p}post_attention_layernorm.weight`, [C], w.get(`${p}post_attention_layernorm.weight`, [C])),
      eps,
    );
    const mlpLinear = (name: string, input: string, out: number, inDim: number): string =>
      linear(
        g,
        input,
        g.weight(`${m}${name}.weight_t`, [inDim, out], w.linear(`${m}${name}.weight`, out, inDim)),
        c.mlpBias ? bias1d(`${m}${name}.bias`, out) : undefined,
      );
    const gate = mlpLinear('gate_proj', y, F, C); // (B, T, F)
    const up = mlpLinear('up_proj', y, F, C);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]); // (B, T, F)
    h = g.op('Add', [h, mlpLinear('down_proj', act, C, F)]); // (B, T, C)
  }
  const normed = rmsNorm(g, h, g.weight('norm.weight', [C], w.get('norm.weight', [C])), eps); // (B, T, C)

  // --- LM head: Gemm with transB reads the (V, C) matrix as stored, so tied embeddings are not duplicated ---
  let head = embed;
  if (!c.tieWordEmbeddings) {
    if (!weights.has('lm_head.weight')) {
      throw new OnnxExportError(
        `${weights.source ?? 'weights'}: tie_word_embeddings is false but there is no "lm_head.weight" tensor`,
      );
    }
    head = g.weight('lm_head.weight', [V, C], w.get('lm_head.weight', [V, C], true));
  }
  const flat = g.op('Reshape', [normed, g.int64([-1, C])]); // (B·T, C)
  const scores = g.op('Gemm', [flat, head], [{ name: 'transB', kind: 'int', value: 1 }]); // (B·T, V)
  const logitsShape = g.op(
    'Concat',
    [g.op('Shape', ['input_ids']), g.int64([V])],
    [{ name: 'axis', kind: 'int', value: 0 }],
  ); // [B, T, V]
  g.op('Reshape', [scores, logitsShape], [], 'logits'); // (B, T, V)

  const inputs: OnnxValueInfo[] = [
    { name: 'input_ids', elementType: 'int64', dims: ['batch', 'seq'] },
    { name: 'attention_mask', elementType: 'int64', dims: ['batch', 'total'] },
    { name: 'position_ids', elementType: 'int64', dims: ['batch', 'seq'] },
  ];
  const outputs: OnnxValueInfo[] = [{ name: 'logits', elementType: 'float32', dims: ['batch', 'seq', V] }];
  for (let i = 0; i < c.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      inputs.push({
        name: `past_key_values.${i}.${kind}`,
        elementType: 'float32',
        dims: ['batch', Hkv, 'past', D],
      });
      outputs.push({
        name: `present.${i}.${kind}`,
        elementType: 'float32',
        dims: ['batch', Hkv, 'total', D],
      });
    }
  }
  return encodeOnnxModel({
    irVersion: IR_VERSION,
    opsetVersion: ONNX_EXPORT_OPSET,
    producerName: 'prompt-adapter-studio',
    producerVersion: 'runtime/onnx-export.ts',
    docString: `${c.modelType} decoder with past (${c.numLayers} layers, ${H} heads, ${Hkv} kv heads, vocab ${V})`,
    metadata: { model_type: c.modelType, source: c.source ?? '' },
    graph: { name: 'decoder_with_past', nodes: g.nodes, initializers: g.initializers, inputs, outputs },
  });
}
