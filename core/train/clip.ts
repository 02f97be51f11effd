// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm, norm_type=2): the norm of all
// gradients together, every gradient scaled by min(1, max_norm / (norm + 1e-6)).
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';

export interface ClippedGradients {
  /** the scaled gradients (new tensors; the caller disposes them and the inputs) */
  readonly grads: Record<string, tf.Tensor>;
  /** the global norm before clipping, as a scalar tensor */
  readonly totalNorm: tf.Scalar;
}

export function globalNorm(grads: Readonly<Record<string, tf.Tensor>>): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    if (squares.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(squares)) as tf.Scalar;
  });
}

/** Scales `grads` so that their global L2 norm is at most `maxNorm`; torch multiplies even when the factor is 1. */
export function clipByGlobalNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number,
): ClippedGradients {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new TrainError(`max gradient norm must be a positive number, got ${maxNorm}`);
  }
  return tf.tidy(() => {
    const totalNorm = globalNorm(grads);
    const coefficient = tf.minimum(
      tf.div(tf.scalar(maxNorm), tf.add(totalNorm, tf.scalar(1e-6))),
      tf.scalar(1),
    );
    const out: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, coefficient);
    return { grads: out, totalNorm };
  });
}
