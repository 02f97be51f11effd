// Left and right padding: masked positions must not change the logits of real tokens. With left padding the
// caller passes position ids counted over real tokens (as transformers' generate does from the mask).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../cli/backend.js';
import { readModelDir } from '../../cli/files.js';
import { createModel } from '../../core/model/index.js';
import type { FrozenTransformer } from '../../core/model/types.js';
import { bundledModel } from '../helpers/paths.js';

function logitsOf(
  model: FrozenTransformer,
  ids: number[][],
  mask: number[][],
  positions?: number[][],
): number[][][] {
  return tf.tidy(() => {
    const B = ids.length;
    const T = ids[0]!.length;
    const r = model.forward({
      inputIds: tf.tensor2d(ids, [B, T], 'int32'),
      attentionMask: tf.tensor2d(mask, [B, T]),
      ...(positions === undefined ? {} : { positionIds: tf.tensor2d(positions, [B, T], 'int32') }),
    });
    return model.lmLogits(r.hidden).arraySync();
  });
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < a[i]!.length; j++) m = Math.max(m, Math.abs(a[i]![j]! - b[i]![j]!));
  return m;
}

describe('padding', () => {
  let model: FrozenTransformer;
  before(async () => {
    await initBackend('cpu');
    const files = readModelDir(bundledModel('stories260K'));
    model = createModel(files.config, files.weights);
  });
  after(() => {
    model.dispose();
  });

  const short = [1, 403, 407, 261];
  const long = [1, 403, 407, 261, 378, 432];

  it('left padding with mask-derived positions equals the unpadded sequence', () => {
    const alone = logitsOf(model, [short], [[1, 1, 1, 1]])[0]!;
    const batch = logitsOf(
      model,
      [[0, 0, ...short], long],
      [
        [0, 0, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
      ],
      [
        [0, 0, 0, 1, 2, 3],
        [0, 1, 2, 3, 4, 5],
      ],
    );
    assert.ok(maxDiff(batch[0]!.slice(2), alone) < 1e-4);
    const longAlone = logitsOf(model, [long], [[1, 1, 1, 1, 1, 1]])[0]!;
    assert.ok(maxDiff(batch[1]!, longAlone) < 1e-4);
  });

  it('right padding leaves the real positions unchanged', () => {
    const alone = logitsOf(model, [short], [[1, 1, 1, 1]])[0]!;
    const batch = logitsOf(
      model,
      [[...short, 0, 0], long],
      [
        [1, 1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1, 1],
      ],
    );
    assert.ok(maxDiff(batch[0]!.slice(0, 4), alone) < 1e-4);
  });
});
