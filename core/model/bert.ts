// BERT as transformers' modeling_bert computes it: word + position + token-type embeddings and LayerNorm,
// post-LayerNorm encoder blocks with bidirectional attention, exact GELU, the pooler (dense + tanh on the
// first position) and the classifier of BertForSequenceClassification / BertForTokenClassification.
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

interface BertLayer {
  readonly qkv: tf.Tensor2D; // (C, 3C)
  readonly qkvBias: tf.Tensor1D;
  readonly attnOut: tf.Tensor2D; // (C, C)
  readonly attnOutBias: tf.Tensor1D;
  readonly attnNorm: [tf.Tensor1D, tf.Tensor1D];
  readonly inter: tf.Tensor2D; // (C, F)
  readonly interBias: tf.Tensor1D;
  readonly out: tf.Tensor2D; // (F, C)
  readonly outBias: tf.Tensor1D;
  readonly outNorm: [tf.Tensor1D, tf.Tensor1D];
}

export class BertModel implements FrozenTransformer {
  readonly embeddingMatrix: tf.Tensor2D; // (V, C)
  private readonly positionEmbeddings: tf.Tensor2D; // (N, C)
  private readonly tokenTypeEmbeddings: tf.Tensor2D; // (types, C)
  private readonly embeddingNorm: [tf.Tensor1D, tf.Tensor1D];
  private readonly layers: BertLayer[] = [];
  private readonly pooler: { weight: tf.Tensor2D; bias: tf.Tensor1D } | undefined;
  readonly classifierHead: LinearHeadWeights | undefined;
  readonly poolingPosition = 'first' as const;
  private readonly loader: WeightLoader;

  constructor(
    readonly config: ModelConfig,
    weights: WeightSource,
  ) {
    if (config.arch !== 'bert') throw new ModelError(`BertModel cannot run a ${config.arch} config`);
    const c = config;
    const w = new WeightLoader(weights);
    this.loader = w;
    const prefix = w.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
    const C = c.hiddenSize;
    const F = c.intermediateSize;
    const ln = (name: string): [tf.Tensor1D, tf.Tensor1D] => [
      w.vector(`${name}.weight`, C),
      w.vector(`${name}.bias`, C),
    ];
    const e = `${prefix}embeddings.`;
    this.embeddingMatrix = w.tensor(`${e}word_embeddings.weight`, [c.vocabSize, C]) as tf.Tensor2D;
    this.positionEmbeddings = w.tensor(`${e}position_embeddings.weight`, [c.maxPositions, C]) as tf.Tensor2D;
    this.tokenTypeEmbeddings = w.tensor(`${e}token_type_embeddings.weight`, [
      c.typeVocabSize,
      C,
    ]) as tf.Tensor2D;
    this.embeddingNorm = ln(`${e}LayerNorm`);
    for (let i = 0; i < c.numLayers; i++) {
      const p = `${prefix}encoder.layer.${i}.`;
      const s = `${p}attention.self.`;
      this.layers.push({
        qkv: w.fusedLinearWeight([`${s}query.weight`, `${s}key.weight`, `${s}value.weight`], C, [C, C, C]),
        qkvBias: w.fusedVector([`${s}query.bias`, `${s}key.bias`, `${s}value.bias`], [C, C, C]),
        attnOut: w.linearWeight(`${p}attention.output.dense.weight`, C, C),
        attnOutBias: w.vector(`${p}attention.output.dense.bias`, C),
        attnNorm: ln(`${p}attention.output.LayerNorm`),
        inter: w.linearWeight(`${p}intermediate.dense.weight`, C, F),
        interBias: w.vector(`${p}intermediate.dense.bias`, F),
        out: w.linearWeight(`${p}output.dense.weight`, F, C),
        outBias: w.vector(`${p}output.dense.bias`, C),
        outNorm: ln(`${p}output.LayerNorm`),
      });
    }
    this.pooler = w.has(`${prefix}pooler.dense.weight`)
      ? {
          weight: w.linearWeight(`${prefix}pooler.dense.weight`, C, C),
          bias: w.vector(`${prefix}pooler.dense.bias`, C),
        }
      : undefined;
    this.classifierHead = w.has('classifier.weight')
      ? {
          weight: w.tensor('classifier.weight', [c.numLabels, C]) as tf.Tensor2D,
          ...(w.has('classifier.bias') ? { bias: w.vector('classifier.bias', c.numLabels) } : {}),
        }
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
        `sequence of ${pastLength + time} positions exceeds max_position_embeddings ${c.maxPositions}`,
      );
    }
    const positions = positionIds(batch, time, pastLength, options.positionIds);
    const tokenType = tf.slice(this.tokenTypeEmbeddings, [0, 0], [1, c.hiddenSize]); // type 0 for every token
    const summed = tf.add(tf.add(words, tf.gather(this.positionEmbeddings, positions)), tokenType);
    let h = layerNorm(summed, this.embeddingNorm[0], this.embeddingNorm[1], c.normEps) as tf.Tensor3D;
    const bias = attentionBias(options.attentionMask, time, false);
    const scale = 1 / Math.sqrt(c.headDim);
    const C = c.hiddenSize;
    const attentions: tf.Tensor4D[] = [];
    const presents: LayerKV[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      const qkv = linear(h, layer.qkv, layer.qkvBias);
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
      const attnOut = linear(mergeHeads(out), layer.attnOut, layer.attnOutBias);
      h = layerNorm(tf.add(attnOut, h), layer.attnNorm[0], layer.attnNorm[1], c.normEps) as tf.Tensor3D;
      const inter = activation(c.hiddenAct, linear(h, layer.inter, layer.interBias));
      const out2 = linear(inter, layer.out, layer.outBias);
      h = layerNorm(tf.add(out2, h), layer.outNorm[0], layer.outNorm[1], c.normEps) as tf.Tensor3D;
    }
    return {
      hidden: h,
      ...(options.outputAttentions === true ? { attentions } : {}),
      ...(options.useCache === true ? { presents } : {}),
    };
  }

  lmLogits(): tf.Tensor3D {
    throw new ModelError('BERT is an encoder: it has no language-model head (use a classification task)');
  }

  pool(first: tf.Tensor2D): tf.Tensor2D {
    if (this.pooler === undefined) return first;
    return tf.tanh(linear(first, this.pooler.weight, this.pooler.bias)) as tf.Tensor2D;
  }

  dispose(): void {
    this.loader.disposeAll();
  }
}
