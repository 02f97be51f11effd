// GPT-2 as transformers' modeling_gpt2 computes it: learned positions, pre-LayerNorm blocks, fused Conv1D
// q/k/v (stored (in, out), already the layout the matmul wants), tanh-GELU MLP, LM head tied to wte.
//
// Legend: B batch, T queries, S keys (past + T), C hidden, H heads, D head dim, F MLP width, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../formats/hfconfig.js';
import {
  WeightLoader,
  activation,
  attention,
  attentionBias,
  layerNorm,
  linear,
  mergeHeads,
  positionIds,
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

interface Gpt2Layer {
  readonly ln1: [tf.Tensor1D, tf.Tensor1D];
  readonly qkv: tf.Tensor2D; // (C, 3C)
  readonly qkvBias: tf.Tensor1D; // (3C)
  readonly proj: tf.Tensor2D; // (C, C)
  readonly projBias: tf.Tensor1D;
  readonly ln2: [tf.Tensor1D, tf.Tensor1D];
  readonly fc: tf.Tensor2D; // (C, F)
  readonly fcBias: tf.Tensor1D;
  readonly fcProj: tf.Tensor2D; // (F, C)
  readonly fcProjBias: tf.Tensor1D;
}

export class Gpt2Model implements FrozenTransformer {
  readonly embeddingMatrix: tf.Tensor2D; // (V, C)
  private readonly positionEmbeddings: tf.Tensor2D; // (N, C)
  private readonly layers: Gpt2Layer[] = [];
  private readonly finalNorm: [tf.Tensor1D, tf.Tensor1D];
  readonly classifierHead: LinearHeadWeights | undefined;
  readonly poolingPosition = 'last' as const;
  private readonly loader: WeightLoader;

  constructor(
    readonly config: ModelConfig,
    weights: WeightSource,
  ) {
    if (config.arch !== 'gpt2') throw new ModelError(`Gpt2Model cannot run a ${config.arch} config`);
    const c = config;
    const w = new WeightLoader(weights);
    this.loader = w;
    const prefix = w.has('transformer.wte.weight') ? 'transformer.' : '';
    const C = c.hiddenSize;
    const F = c.intermediateSize;
    const ln = (name: string): [tf.Tensor1D, tf.Tensor1D] => [
      w.vector(`${name}.weight`, C),
      w.vector(`${name}.bias`, C),
    ];
    this.embeddingMatrix = w.tensor(`${prefix}wte.weight`, [c.vocabSize, C]) as tf.Tensor2D;
    this.positionEmbeddings = w.tensor(`${prefix}wpe.weight`, [c.maxPositions, C]) as tf.Tensor2D;
    for (let i = 0; i < c.numLayers; i++) {
      const p = `${prefix}h.${i}.`;
      this.layers.push({
        ln1: ln(`${p}ln_1`),
        qkv: w.tensor(`${p}attn.c_attn.weight`, [C, 3 * C]) as tf.Tensor2D,
        qkvBias: w.vector(`${p}attn.c_attn.bias`, 3 * C),
        proj: w.tensor(`${p}attn.c_proj.weight`, [C, C]) as tf.Tensor2D,
        projBias: w.vector(`${p}attn.c_proj.bias`, C),
        ln2: ln(`${p}ln_2`),
        fc: w.tensor(`${p}mlp.c_fc.weight`, [C, F]) as tf.Tensor2D,
        fcBias: w.vector(`${p}mlp.c_fc.bias`, F),
        fcProj: w.tensor(`${p}mlp.c_proj.weight`, [F, C]) as tf.Tensor2D,
        fcProjBias: w.vector(`${p}mlp.c_proj.bias`, C),
      });
    }
    this.finalNorm = ln(`${prefix}ln_f`);
    this.classifierHead = w.has('score.weight')
      ? { weight: w.tensor('score.weight', [c.numLabels, C]) as tf.Tensor2D }
      : undefined;
  }

  embedTokens(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.embeddingMatrix, tf.cast(ids, 'int32')) as unknown as tf.Tensor3D; // (B, T, C)
  }

  forward(options: ForwardOptions): ForwardResult {
    const c = this.config;
    const { past } = options;
    if (past !== undefined && past.length !== c.numLayers) {
      throw new ModelError(`past keys/values have ${past.length} layers, the model has ${c.numLayers}`);
    }
    let words: tf.Tensor3D;
    if (options.inputsEmbeds !== undefined) words = options.inputsEmbeds;
    else if (options.inputIds !== undefined) words = this.embedTokens(options.inputIds);
    else throw new ModelError('forward needs inputIds or inputsEmbeds');
    const [batch, time] = words.shape;
    const pastLength = past?.[0]?.key.shape[2] ?? 0;
    if (pastLength + time > c.maxPositions) {
      throw new ModelError(
        `sequence of ${pastLength + time} positions exceeds n_positions ${c.maxPositions}`,
      );
    }
    const positions = positionIds(batch, time, pastLength, options.positionIds);
    let h = tf.add(words, tf.gather(this.positionEmbeddings, positions)) as tf.Tensor3D; // (B, T, C)
    const bias = attentionBias(options.attentionMask, time, true);
    const scale = 1 / Math.sqrt(c.headDim);
    const C = c.hiddenSize;
    const attentions: tf.Tensor4D[] = [];
    const presents: LayerKV[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      const x = layerNorm(h, layer.ln1[0], layer.ln1[1], c.normEps);
      const qkv = linear(x, layer.qkv, layer.qkvBias); // (B, T, 3C)
      const [qf, kf, vf] = tf.split(qkv, [C, C, C], 2);
      const q = splitHeads(qf!, c.numHeads, c.headDim); // (B, H, T, D)
      let k = splitHeads(kf!, c.numHeads, c.headDim);
      let v = splitHeads(vf!, c.numHeads, c.headDim);
      const layerPast = past?.[i];
      if (layerPast !== undefined) {
        k = tf.concat([layerPast.key, k], 2); // (B, H, S, D)
        v = tf.concat([layerPast.value, v], 2);
      }
      if (options.useCache === true) presents.push({ key: k, value: v });
      const { out, probs } = attention(q, k, v, bias, scale);
      if (options.outputAttentions === true) attentions.push(probs);
      h = tf.add(h, linear(mergeHeads(out), layer.proj, layer.projBias)) as tf.Tensor3D;
      const y = layerNorm(h, layer.ln2[0], layer.ln2[1], c.normEps);
      const m = activation(c.hiddenAct, linear(y, layer.fc, layer.fcBias));
      h = tf.add(h, linear(m, layer.fcProj, layer.fcProjBias)) as tf.Tensor3D;
    }
    const hidden = layerNorm(h, this.finalNorm[0], this.finalNorm[1], c.normEps) as tf.Tensor3D;
    return {
      hidden,
      ...(options.outputAttentions === true ? { attentions } : {}),
      ...(options.useCache === true ? { presents } : {}),
    };
  }

  lmLogits(hidden: tf.Tensor3D): tf.Tensor3D {
    const [batch, time, C] = hidden.shape;
    return tf.reshape(tf.matMul(tf.reshape(hidden, [batch * time, C]), this.embeddingMatrix, false, true), [
      batch,
      time,
      -1,
    ]);
  }

  pool(first: tf.Tensor2D): tf.Tensor2D {
    return first;
  }

  dispose(): void {
    this.loader.disposeAll();
  }
}
