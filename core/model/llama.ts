// The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM) as transformers' modeling_llama / modeling_qwen2
// compute it: RMSNorm, rotary positions (rotate_half layout, llama3 / linear scaling), grouped-query attention,
// SwiGLU MLP, optional q/k/v bias (Qwen2), tied or separate LM head.
//
// Legend: B batch, T queries, S keys (past + T), C hidden, H heads, K kv heads, D head dim, F MLP width, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, RopeConfig } from '../formats/hfconfig.js';
import {
  WeightLoader,
  activation,
  attention,
  attentionBias,
  linear,
  mergeHeads,
  positionIds,
  rmsNorm,
  splitHeads,
} from './layers.js';
import { ModelError } from './types.js';
import type {
  ForwardOptions,
  ForwardResult,
  FrozenTransformer,
  LayerKV,
  LinearHeadWeights,
  WeightSource,
} from './types.js';

interface LlamaLayer {
  readonly inputNorm: tf.Tensor1D; // (C)
  readonly qkv: tf.Tensor2D; // (C, (H + 2K)·D): q, k and v projections fused
  readonly qkvBias: tf.Tensor1D | undefined;
  readonly o: tf.Tensor2D; // (H·D, C)
  readonly oBias: tf.Tensor1D | undefined;
  readonly postNorm: tf.Tensor1D; // (C)
  readonly gateUp: tf.Tensor2D; // (C, 2F): gate and up projections fused
  readonly gateUpBias: tf.Tensor1D | undefined;
  readonly down: tf.Tensor2D; // (F, C)
  readonly downBias: tf.Tensor1D | undefined;
}

/** Inverse frequencies (D/2) with the config's scaling, as transformers' rope init functions compute them. */
export function ropeInverseFrequencies(rope: RopeConfig, headDim: number): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // torch: 1 / (base ** (arange(0, dim, 2).float() / dim)), in float32
    inv[i] = 1 / Math.pow(rope.theta, Math.fround((2 * i) / headDim));
  }
  switch (rope.type) {
    case 'default':
      return inv;
    case 'linear': {
      const factor = rope.factor ?? 1;
      return inv.map((f) => f / factor);
    }
    case 'llama3': {
      const factor = rope.factor ?? 1;
      const low = rope.lowFreqFactor ?? 1;
      const high = rope.highFreqFactor ?? 4;
      const oldContext = rope.originalMaxPositions ?? 8192;
      const lowFreqWavelen = oldContext / low;
      const highFreqWavelen = oldContext / high;
      return inv.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highFreqWavelen) return f; // high frequencies: unchanged
        if (wavelen > lowFreqWavelen) return f / factor; // low frequencies: scaled
        const smooth = (oldContext / wavelen - low) / (high - low);
        return (1 - smooth) * (f / factor) + smooth * f;
      });
    }
  }
}

/** rotate_half: (x1, x2) → (−x2, x1) over the last axis. */
function rotateHalf(x: tf.Tensor4D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
  return tf.concat([tf.neg(x2), x1], 3);
}

export class LlamaModel implements FrozenTransformer {
  readonly embeddingMatrix: tf.Tensor2D; // (V, C)
  private readonly layers: LlamaLayer[] = [];
  private readonly finalNorm: tf.Tensor1D;
  private readonly lmHead: tf.Tensor2D | undefined; // (V, C) when untied
  private readonly invFreq: tf.Tensor1D | undefined; // (D/2)
  readonly classifierHead: LinearHeadWeights | undefined;
  readonly poolingPosition = 'last' as const;
  private readonly loader: WeightLoader;

  constructor(
    readonly config: ModelConfig,
    weights: WeightSource,
  ) {
    if (config.arch !== 'llama') throw new ModelError(`LlamaModel cannot run a ${config.arch} config`);
    const c = config;
    const w = new WeightLoader(weights);
    this.loader = w;
    // Checkpoints saved from *ForSequenceClassification etc. keep the "model." prefix; bare LlamaModel has none.
    const prefix = w.has('model.embed_tokens.weight') ? 'model.' : '';
    const C = c.hiddenSize;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    this.embeddingMatrix = w.tensor(`${prefix}embed_tokens.weight`, [c.vocabSize, C]) as tf.Tensor2D;
    for (let i = 0; i < c.numLayers; i++) {
      const p = `${prefix}layers.${i}.`;
      const attn = `${p}self_attn.`;
      const mlp = `${p}mlp.`;
      this.layers.push({
        inputNorm: w.vector(`${p}input_layernorm.weight`, C),
        qkv: w.fusedLinearWeight(
          [`${attn}q_proj.weight`, `${attn}k_proj.weight`, `${attn}v_proj.weight`],
          C,
          [qDim, kvDim, kvDim],
        ),
        qkvBias: c.qkvBias
          ? w.fusedVector(
              [`${attn}q_proj.bias`, `${attn}k_proj.bias`, `${attn}v_proj.bias`],
              [qDim, kvDim, kvDim],
            )
          : undefined,
        o: w.linearWeight(`${attn}o_proj.weight`, qDim, C),
        oBias: c.oBias ? w.vector(`${attn}o_proj.bias`, C) : undefined,
        postNorm: w.vector(`${p}post_attention_layernorm.weight`, C),
        gateUp: w.fusedLinearWeight([`${mlp}gate_proj.weight`, `${mlp}up_proj.weight`], C, [
          c.intermediateSize,
          c.intermediateSize,
        ]),
        gateUpBias: c.mlpBias
          ? w.fusedVector(
              [`${mlp}gate_proj.bias`, `${mlp}up_proj.bias`],
              [c.intermediateSize, c.intermediateSize],
            )
          : undefined,
        down: w.linearWeight(`${mlp}down_proj.weight`, c.intermediateSize, C),
        downBias: c.mlpBias ? w.vector(`${mlp}down_proj.bias`, C) : undefined,
      });
    }
    this.finalNorm = w.vector(`${prefix}norm.weight`, C);
    this.lmHead =
      c.head === 'causal-lm' && !c.tieWordEmbeddings && w.has('lm_head.weight')
        ? (w.tensor('lm_head.weight', [c.vocabSize, C]) as tf.Tensor2D)
        : undefined;
    if (c.head === 'causal-lm' && !c.tieWordEmbeddings && this.lmHead === undefined) {
      throw new ModelError(
        `${weights.source ?? 'weights'}: tie_word_embeddings is false but there is no "lm_head.weight" tensor`,
      );
    }
    this.classifierHead = w.has('score.weight')
      ? {
          weight: w.tensor('score.weight', [c.numLabels, C]) as tf.Tensor2D,
          ...(w.has('score.bias') ? { bias: w.vector('score.bias', c.numLabels) } : {}),
        }
      : undefined;
    this.invFreq =
      c.rope === undefined ? undefined : w.keep(tf.tensor1d(ropeInverseFrequencies(c.rope, c.headDim)));
  }

  embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.embeddingMatrix, tf.cast(ids, 'int32')) as unknown as tf.Tensor3D; // (B, T, C)
  }

  /** cos and sin of the rotary angles for each position: (B, 1, T, D) each. */
  private rotary(positions: tf.Tensor2D): [tf.Tensor4D, tf.Tensor4D] {
    if (this.invFreq === undefined) throw new ModelError('this model has no rotary embedding');
    const [batch, time] = positions.shape;
    const half = this.invFreq.shape[0];
    const freqs = tf.mul(
      tf.reshape(tf.cast(positions, 'float32'), [batch, time, 1]),
      tf.reshape(this.invFreq, [1, 1, half]),
    );
    const emb = tf.reshape(tf.concat([freqs, freqs], 2), [batch, 1, time, 2 * half]); // (B, 1, T, D)
    return [tf.cos(emb) as tf.Tensor4D, tf.sin(emb) as tf.Tensor4D];
  }

  forward(options: ForwardOptions): ForwardResult {
    const c = this.config;
    const { past } = options;
    if (past !== undefined && past.length !== c.numLayers) {
      throw new ModelError(`past keys/values have ${past.length} layers, the model has ${c.numLayers}`);
    }
    let h: tf.Tensor3D; // (B, T, C)
    if (options.inputsEmbeds !== undefined) h = options.inputsEmbeds;
    else if (options.inputIds !== undefined) h = this.embedTokens(options.inputIds);
    else throw new ModelError('forward needs inputIds or inputsEmbeds');
    const [batch, time] = h.shape;
    const pastLength = past?.[0]?.key.shape[2] ?? 0;
    const positions = positionIds(batch, time, pastLength, options.positionIds);
    const [cos, sin] = this.rotary(positions);
    const bias = attentionBias(options.attentionMask, time, true); // (B, 1, T, S)
    const scale = 1 / Math.sqrt(c.headDim);
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const attentions: tf.Tensor4D[] = [];
    const presents: LayerKV[] = [];

    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      // --- self-attention block ---
      const x = rmsNorm(h, layer.inputNorm, c.normEps); // (B, T, C)
      const qkv = linear(x, layer.qkv, layer.qkvBias); // (B, T, (H + 2K)·D)
      const [qf, kf, vf] = tf.split(qkv, [qDim, kvDim, kvDim], 2);
      const qh = splitHeads(qf!, c.numHeads, c.headDim); // (B, H, T, D)
      const kh = splitHeads(kf!, c.numKvHeads, c.headDim); // (B, K, T, D)
      const vh = splitHeads(vf!, c.numKvHeads, c.headDim); // (B, K, T, D)
      const q = tf.add(tf.mul(qh, cos), tf.mul(rotateHalf(qh), sin)) as tf.Tensor4D;
      let k = tf.add(tf.mul(kh, cos), tf.mul(rotateHalf(kh), sin)) as tf.Tensor4D;
      let v = vh;
      const layerPast = past?.[i];
      if (layerPast !== undefined) {
        // prefix keys are used as stored (never rotated), like transformers' cache
        k = tf.concat([layerPast.key, k], 2); // (B, K, S, D)
        v = tf.concat([layerPast.value, v], 2);
      }
      if (options.useCache === true) presents.push({ key: k, value: v });
      const { out, probs } = attention(q, k, v, bias, scale);
      if (options.outputAttentions === true) attentions.push(probs);
      h = tf.add(h, linear(mergeHeads(out), layer.o, layer.oBias)) as tf.Tensor3D;
      // --- MLP block (SwiGLU) ---
      const y = rmsNorm(h, layer.postNorm, c.normEps);
      const gateUp = linear(y, layer.gateUp, layer.gateUpBias); // (B, T, 2F)
      const [gate, up] = tf.split(gateUp, 2, 2);
      const act = tf.mul(activation(c.hiddenAct, gate!), up!);
      h = tf.add(h, linear(act, layer.down, layer.downBias)) as tf.Tensor3D;
    }
    const hidden = rmsNorm(h, this.finalNorm, c.normEps) as tf.Tensor3D;
    return {
      hidden,
      ...(options.outputAttentions === true ? { attentions } : {}),
      ...(options.useCache === true ? { presents } : {}),
    };
  }

  lmLogits(hidden: tf.Tensor3D): tf.Tensor3D {
    const [batch, time, C] = hidden.shape;
    const head = this.lmHead ?? this.embeddingMatrix; // (V, C)
    return tf.reshape(tf.matMul(tf.reshape(hidden, [batch * time, C]), head, false, true), [batch, time, -1]);
  }

  pool(first: tf.Tensor2D): tf.Tensor2D {
    return first;
  }

  dispose(): void {
    this.loader.disposeAll();
  }
}
