// The P-tuning prompt encoder (Liu et al., "GPT Understands, Too"), laid out as PEFT 0.21's PromptEncoder so
// that its parameters carry PEFT's names: a trainable embedding (P, C) — the loop's `prompt` variable — goes
// through a small network whose output (P, C) is the soft prompt the model reads. PEFT saves only that output
// (as `prompt_embeddings`), so an adapter trained here loads anywhere a prompt-tuning adapter does.
//
//   MLP  (encoder_reparameterization_type "MLP"): mlp_head = Linear(C, H) → ReLU → Linear(H, H) → ReLU →
//        Linear(H, C). PEFT always builds these two hidden layers (it warns and ignores encoder_num_layers).
//   LSTM ("LSTM"): lstm_head = torch.nn.LSTM(C, H, num_layers = encoder_num_layers, bidirectional), then
//        mlp_head = Linear(2H, 2H) → ReLU → Linear(2H, C) over the concatenated directions.
// Dropout (encoder_dropout) is not applied: PEFT's default is 0.0, and a non-zero value is refused.
//
// Legend: P virtual tokens, C token dim (the model's hidden size), H encoder hidden size, G = 4H gate width.
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../prompts/peft.js';
import type { EncoderReparameterization } from '../prompts/save.js';
import { TrainRng } from './rng.js';

export class PromptEncoderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptEncoderError';
  }
}

export interface PromptEncoderConfig {
  /** PEFT's encoder_reparameterization_type */
  readonly type: EncoderReparameterization;
  /** P */
  readonly virtualTokens: number;
  /** C: the model's hidden size (PEFT's token_dim) */
  readonly tokenDim: number;
  /** H: PEFT's encoder_hidden_size (its default is token_dim) */
  readonly hiddenSize: number;
  /** LSTM layers (PEFT's encoder_num_layers, default 2); the MLP ignores it, as PEFT does */
  readonly numLayers: number;
}

/** What the training loop needs to train an encoder in front of its prompt variable. */
export interface TrainPromptEncoder {
  /** initial encoder parameters (the embedding itself is the loop's prompt), by PEFT's names */
  readonly params: Readonly<Record<string, HostTensor>>;
  /** the encoder's output (P, W) from the embedding (P, C); called inside the loop's gradient tape */
  apply(params: Readonly<Record<string, tf.Tensor>>, embedding: tf.Tensor2D): tf.Tensor2D;
}

function positive(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new PromptEncoderError(`${name} must be a positive integer, got ${value}`);
}

function checkConfig(config: PromptEncoderConfig): void {
  positive(config.virtualTokens, 'the number of virtual tokens');
  positive(config.tokenDim, 'token_dim');
  positive(config.hiddenSize, 'encoder_hidden_size');
  if (config.type === 'LSTM') positive(config.numLayers, 'encoder_num_layers');
}

/** Parameter names (PEFT's, under `prompt_encoder.default.`) and shapes, the embedding excluded. */
export function encoderParamShapes(config: PromptEncoderConfig): Record<string, readonly number[]> {
  checkConfig(config);
  const { tokenDim: C, hiddenSize: H } = config;
  switch (config.type) {
    case 'MLP':
      return {
        'mlp_head.0.weight': [H, C],
        'mlp_head.0.bias': [H],
        'mlp_head.2.weight': [H, H],
        'mlp_head.2.bias': [H],
        'mlp_head.4.weight': [C, H],
        'mlp_head.4.bias': [C],
      };
    case 'LSTM': {
      const out: Record<string, readonly number[]> = {};
      for (let l = 0; l < config.numLayers; l++) {
        const input = l === 0 ? C : 2 * H; // later layers read both directions of the layer below
        for (const suffix of [`l${l}`, `l${l}_reverse`]) {
          out[`lstm_head.weight_ih_${suffix}`] = [4 * H, input];
          out[`lstm_head.weight_hh_${suffix}`] = [4 * H, H];
          out[`lstm_head.bias_ih_${suffix}`] = [4 * H];
          out[`lstm_head.bias_hh_${suffix}`] = [4 * H];
        }
      }
      out['mlp_head.0.weight'] = [2 * H, 2 * H];
      out['mlp_head.0.bias'] = [2 * H];
      out['mlp_head.2.weight'] = [C, 2 * H];
      out['mlp_head.2.bias'] = [C];
      return out;
    }
  }
}

/**
 * Seeded initial parameters with torch's default scales: Linear weight and bias uniform in ±1/√fan_in
 * (kaiming_uniform with a = √5), LSTM tensors uniform in ±1/√H.
 */
export function initEncoderParams(config: PromptEncoderConfig, seed: number): Record<string, HostTensor> {
  const rng = new TrainRng(seed);
  const out: Record<string, HostTensor> = {};
  const lstmBound = 1 / Math.sqrt(config.hiddenSize);
  const shapes = encoderParamShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    let bound: number;
    if (name.startsWith('lstm_head.')) {
      bound = lstmBound;
    } else {
      // a Linear's bias shares the fan-in of its weight
      const weight = shapes[name.replace(/\.bias$/, '.weight')]!;
      bound = 1 / Math.sqrt(weight[1]!);
    }
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng.nextFloat() - 1) * bound;
    out[name] = { shape, data };
  }
  return out;
}

/** Checks that `params` has exactly the tensors and shapes the config needs; `where` names their source. */
export function checkEncoderParams(
  config: PromptEncoderConfig,
  params: Readonly<Record<string, { readonly shape: readonly number[] }>>,
  where: string,
): void {
  const shapes = encoderParamShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    const p = params[name];
    if (p === undefined) {
      throw new PromptEncoderError(
        `${where}: the ${config.type} prompt encoder needs "${name}" [${shape.join(', ')}], which is missing`,
      );
    }
    if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
      throw new PromptEncoderError(
        `${where}: "${name}" has shape [${p.shape.join(', ')}] but the ${config.type} encoder (token_dim ${config.tokenDim}, encoder_hidden_size ${config.hiddenSize}) needs [${shape.join(', ')}]`,
      );
    }
  }
  for (const name of Object.keys(params)) {
    if (!(name in shapes))
      throw new PromptEncoderError(`${where}: "${name}" is not a parameter of the ${config.type} encoder`);
  }
}

/** y = x Wᵀ + b: (n, in) → (n, out). */
function linear(x: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, weight as tf.Tensor2D, false, true), bias);
}

function param(params: Readonly<Record<string, tf.Tensor>>, name: string): tf.Tensor {
  const p = params[name];
  if (p === undefined) throw new PromptEncoderError(`the prompt encoder has no parameter "${name}"`);
  return p;
}

/**
 * One direction of one LSTM layer over the P positions, torch's equations (gates in the order i, f, g, o):
 *   i, f, o = σ(·), g = tanh(·) of x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh;  c = f ⊙ c + i ⊙ g;  h = o ⊙ tanh(c).
 * Returns the hidden state of every position in input order: (P, H).
 */
function lstmDirection(
  x: tf.Tensor2D,
  params: Readonly<Record<string, tf.Tensor>>,
  suffix: string,
  H: number,
  reverse: boolean,
): tf.Tensor2D {
  const P = x.shape[0];
  // the input part of every step at once: (P, G)
  const inputGates = tf.add(
    linear(x, param(params, `lstm_head.weight_ih_${suffix}`), param(params, `lstm_head.bias_ih_${suffix}`)),
    param(params, `lstm_head.bias_hh_${suffix}`),
  );
  const wHh = param(params, `lstm_head.weight_hh_${suffix}`) as tf.Tensor2D; // (G, H)
  let h: tf.Tensor2D = tf.zeros([1, H]);
  let c: tf.Tensor2D = tf.zeros([1, H]);
  const outputs = new Array<tf.Tensor2D>(P);
  for (let k = 0; k < P; k++) {
    const t = reverse ? P - 1 - k : k;
    const gates = tf.add(tf.slice(inputGates, [t, 0], [1, 4 * H]), tf.matMul(h, wHh, false, true)); // (1, G)
    const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    outputs[t] = h;
  }
  return tf.concat(outputs, 0); // (P, H)
}

/** The encoder's output (P, C) from the embedding (P, C). Pure tensor code: call it inside tf.tidy. */
export function applyEncoder(
  config: PromptEncoderConfig,
  params: Readonly<Record<string, tf.Tensor>>,
  embedding: tf.Tensor2D,
): tf.Tensor2D {
  const [P, C] = embedding.shape;
  if (C !== config.tokenDim) {
    throw new PromptEncoderError(
      `the prompt encoder's embedding has shape [${P}, ${C}] but token_dim is ${config.tokenDim}`,
    );
  }
  const layer = (x: tf.Tensor2D, index: number): tf.Tensor2D =>
    linear(x, param(params, `mlp_head.${index}.weight`), param(params, `mlp_head.${index}.bias`));
  switch (config.type) {
    case 'MLP': {
      const h1 = tf.relu(layer(embedding, 0)); // (P, H)
      const h2 = tf.relu(layer(h1, 2)); // (P, H)
      return layer(h2, 4); // (P, C)
    }
    case 'LSTM': {
      const H = config.hiddenSize;
      let x = embedding; // (P, C), then (P, 2H)
      for (let l = 0; l < config.numLayers; l++) {
        const forward = lstmDirection(x, params, `l${l}`, H, false); // (P, H)
        const backward = lstmDirection(x, params, `l${l}_reverse`, H, true); // (P, H)
        x = tf.concat([forward, backward], 1); // (P, 2H)
      }
      return layer(tf.relu(layer(x, 0)), 2); // (P, C)
    }
  }
}

/** The loop's view of an encoder with these initial parameters (checked against the config). */
export function trainPromptEncoder(
  config: PromptEncoderConfig,
  params: Readonly<Record<string, HostTensor>>,
): TrainPromptEncoder {
  checkEncoderParams(config, params, 'initial prompt encoder');
  return { params, apply: (p, embedding) => applyEncoder(config, p, embedding) };
}

/** The encoder's output on the host: what a PEFT P_TUNING adapter stores as `prompt_embeddings` (P, C). */
export async function encodePrompt(
  config: PromptEncoderConfig,
  embedding: HostTensor,
  params: Readonly<Record<string, HostTensor>>,
): Promise<HostTensor> {
  checkEncoderParams(config, params, 'prompt encoder');
  const [P = 0, C = 0] = embedding.shape;
  const out = tf.tidy(() => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, p] of Object.entries(params)) tensors[name] = tf.tensor(p.data, [...p.shape]);
    return applyEncoder(config, tensors, tf.tensor2d(embedding.data, [P, C]));
  });
  try {
    return { shape: [...out.shape], data: Float32Array.from(await out.data()) };
  } finally {
    out.dispose();
  }
}

/**
 * The embedding and encoder parameters from tensors named as PEFT names them in a model's state dict
 * (`prompt_encoder.default.embedding.weight`, `prompt_encoder.default.mlp_head.0.weight`, …); `get` returns
 * a tensor or undefined. `prefix` is the part before `embedding.weight`.
 */
export function peftEncoderParams(
  config: PromptEncoderConfig,
  get: (name: string) => HostTensor | undefined,
  prefix = 'prompt_encoder.default.',
): { embedding: HostTensor; params: Record<string, HostTensor> } {
  const need = (name: string): HostTensor => {
    const t = get(prefix + name);
    if (t === undefined) throw new PromptEncoderError(`no tensor "${prefix + name}"`);
    return t;
  };
  const params: Record<string, HostTensor> = {};
  for (const name of Object.keys(encoderParamShapes(config))) params[name] = need(name);
  checkEncoderParams(config, params, prefix.replace(/\.$/, ''));
  return { embedding: need('embedding.weight'), params };
}
