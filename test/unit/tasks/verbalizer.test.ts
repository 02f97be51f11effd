// The verbalizer head on the bundled stories260K (tfjs cpu): label words → first tokens (collisions refused
// with a hint), class logits equal the full LM logits of those tokens at each row's last real position
// (virtual tokens and padding in front/behind), its loss trains a prompt in the loop without leaks, and
// evaluation reports the classification metrics of its predictions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { loadModel } from '../../../cli/load.js';
import type { LoadedModel } from '../../../cli/load.js';
import type { ClassificationExample } from '../../../core/datasets/tasks.js';
import { headLogits, promptedForward } from '../../../core/prompts/forward.js';
import type { PromptInput } from '../../../core/prompts/forward.js';
import { batchSource } from '../../../core/tasks/batching.js';
import { classificationTask } from '../../../core/tasks/classification.js';
import {
  buildVerbalizer,
  evaluateVerbalizer,
  parseLabelWords,
  predictWithVerbalizer,
  verbalizerLogits,
  verbalizerLoss,
  verbalizerLossWeight,
} from '../../../core/tasks/verbalizer.js';
import type { Tokenizer } from '../../../core/tokenizer/tokenizer.js';
import { train } from '../../../core/train/loop.js';
import { TrainRng } from '../../../core/train/rng.js';
import { bundledModel } from '../../helpers/paths.js';

const texts: [string, string][] = [
  ['spam', 'WINNER! You have won a free prize, call now to claim'],
  ['ham', 'Ok see you at home later'],
  ['spam', 'Free entry in a weekly competition, text WIN to claim'],
  ['ham', 'Lily went to the park with her mom.'],
  ['ham', 'Are you coming to dinner tonight?'],
  ['spam', 'URGENT! Your mobile number has won cash, call to claim now'],
];
const examples: ClassificationExample[] = texts.map(([label, text], i) => ({
  source: 'sms.tsv',
  line: i + 1,
  label,
  text,
}));
const labels = ['ham', 'spam'];

describe('verbalizer head (stories260K, tfjs cpu)', () => {
  let loaded: LoadedModel;
  let tokenizer: Tokenizer;
  before(async () => {
    await initBackend('cpu');
    loaded = await loadModel(bundledModel('stories260K'));
    tokenizer = loaded.tokenizer!;
  });
  after(() => {
    loaded.model.dispose();
  });

  it('parses --label-words and refuses what it cannot use', () => {
    assert.deepEqual(parseLabelWords('ham=ok, spam = free ,'), { ham: 'ok', spam: 'free' });
    assert.throws(() => parseLabelWords('ham=ok,spam'), /"spam" is not label=word/);
    assert.throws(() => parseLabelWords('ham=ok,ham=fine'), /label "ham" is given twice/);
  });

  it('maps each label to the first token of " word"; a shared first token is an error with a hint', () => {
    const v = buildVerbalizer(tokenizer, labels);
    assert.deepEqual(v.labelWords, { ham: 'ham', spam: 'spam' });
    const first = (w: string): number => tokenizer.encode(` ${w}`, { addSpecialTokens: false })[0]!;
    assert.deepEqual(v.tokenIds, [first('ham'), first('spam')]);
    assert.notEqual(v.tokenIds[0], v.tokenIds[1]);
    const custom = buildVerbalizer(tokenizer, labels, parseLabelWords('ham=ok'));
    assert.deepEqual(custom.labelWords, { ham: 'ok', spam: 'spam' });
    assert.deepEqual(custom.tokenIds, [first('ok'), first('spam')]);
    // "cat" and "cats" start with the same token on this vocabulary
    assert.equal(first('cat'), first('cats'));
    assert.throws(
      () => buildVerbalizer(tokenizer, ['cat', 'cats']),
      /labels "cat" and "cats" both start with the token \d+ .*--label-words cat=…,cats=…/,
    );
    assert.throws(
      () => buildVerbalizer(tokenizer, labels, { junk: 'x' }),
      /names "junk", which is not a label/,
    );
    assert.throws(() => buildVerbalizer(tokenizer, ['only']), /at least two labels/);
  });

  for (const kind of ['soft', 'prefix'] as const) {
    it(`class logits are the LM logits of the label words at the last real position (${kind} prompt)`, () => {
      const model = loaded.model;
      const c = model.config;
      const P = 4;
      const W = kind === 'soft' ? c.hiddenSize : c.numLayers * 2 * c.numKvHeads * c.headDim;
      const rng = new TrainRng(3);
      const v = buildVerbalizer(tokenizer, labels);
      const encoded = classificationTask.encode(examples, { tokenizer, maxLength: 64, labels });
      const before = tf.memory().numTensors;
      const { ours, full, lengths } = tf.tidy(() => {
        const prompt: PromptInput = {
          kind,
          embeddings: tf.tensor2d(
            Float32Array.from({ length: P * W }, () => rng.nextNormal() * 0.05),
            [P, W],
          ),
        };
        const rows = encoded.examples.slice(0, 3); // different lengths: right padding
        const B = rows.length;
        const T = Math.max(...rows.map((r) => r.ids.length));
        const ids = tf.tensor2d(
          rows.flatMap((r) => [...r.ids, ...new Array<number>(T - r.ids.length).fill(0)]),
          [B, T],
          'int32',
        );
        const mask = tf.tensor2d(
          rows.flatMap((r) => [...r.ids.map(() => 1), ...new Array<number>(T - r.ids.length).fill(0)]),
          [B, T],
          'int32',
        );
        const f = promptedForward(model, { inputIds: ids, attentionMask: mask }, prompt);
        return {
          ours: verbalizerLogits(model, f, mask, v.tokenIds),
          full: headLogits(model, { kind: 'causal-lm' }, f, mask), // (B, S, V)
          lengths: tf.tensor1d(rows.map((r) => r.ids.length + f.textOffset)),
        };
      });
      const o = ours.arraySync();
      const fl = full.arraySync() as number[][][];
      const len = lengths.arraySync();
      assert.deepEqual(ours.shape, [3, 2]);
      o.forEach((row, b) => {
        v.tokenIds.forEach((id, n) => {
          const want = fl[b]![len[b]! - 1]![id]!;
          assert.ok(Math.abs(row[n]! - want) <= 1e-5, `row ${b} label ${n}: ${row[n]} vs ${want}`);
        });
      });
      ours.dispose();
      full.dispose();
      lengths.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  }

  it('trains a prompt through the loop with the verbalizer loss (no new parameters, no leaks)', async () => {
    const model = loaded.model;
    const v = buildVerbalizer(tokenizer, labels);
    const encoded = classificationTask.encode(examples, { tokenizer, maxLength: 64, labels });
    const source = batchSource(encoded.examples, { batchSize: 3, padId: 0 });
    const C = model.config.hiddenSize;
    const rng = new TrainRng(1);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const variables: number[] = [];
    const result = await train({
      model,
      promptKind: 'soft',
      prompt: { shape: [4, C], data: Float32Array.from({ length: 4 * C }, () => rng.nextNormal() * 0.05) },
      head: { kind: 'causal-lm' },
      loss: verbalizerLoss(v.tokenIds),
      lossWeight: verbalizerLossWeight,
      batches: source,
      steps: 12,
      lr: 0.05,
      seed: 0,
      onProgress: () => {
        counts.push(tf.memory().numTensors);
        variables.push(Object.keys(tf.engine().registeredVariables).length);
      },
    });
    assert.equal(result.step, 12);
    assert.equal(result.head, undefined, 'no head is trained');
    assert.ok(
      variables.every((n) => n === 1),
      'only the prompt is a variable',
    );
    assert.ok(
      counts.every((n) => n === counts[0]),
      `tensor counts per step: ${counts.join(', ')}`,
    );
    assert.equal(tf.memory().numTensors, before);
    // each epoch (2 steps) sees all six rows: compare the first epoch's mean loss with the last one's
    const first = (result.losses[0]! + result.losses[1]!) / 2;
    const last = (result.losses[10]! + result.losses[11]!) / 2;
    assert.ok(last < first * 0.8, `verbalizer loss fell from ${first} to ${last}`);
    assert.equal(
      verbalizerLossWeight({
        inputIds: { data: new Int32Array(3), shape: [3, 1] },
        attentionMask: { data: new Int32Array(3), shape: [3, 1] },
        labels: { data: Int32Array.from([1, -100, 0]), shape: [3] },
      }),
      2,
    );
  });

  it('evaluates with the classification metrics of its predictions', async () => {
    const model = loaded.model;
    const v = buildVerbalizer(tokenizer, labels);
    const encoded = classificationTask.encode(examples, { tokenizer, maxLength: 64, labels });
    const context = { model, prompt: undefined };
    const predictions = await predictWithVerbalizer(context, encoded.examples, 0, v.tokenIds, 4);
    // one by one, unpadded: the same predictions as in padded batches
    for (const [i, e] of encoded.examples.entries()) {
      const single = await predictWithVerbalizer(context, [e], 0, v.tokenIds);
      assert.equal(single[0], predictions[i], `example ${i}`);
    }
    const metrics = await evaluateVerbalizer(
      { model, prompt: undefined, head: { kind: 'causal-lm' }, examples, tokenizer, labels, maxLength: 64 },
      v,
    );
    const correct = predictions.filter((p, i) => labels[p] === examples[i]!.label).length;
    assert.equal(metrics.accuracy, correct / examples.length);
    assert.deepEqual((metrics.confusion as { labels: string[] }).labels, labels);
    assert.equal(metrics.examples, 6);
    await assert.rejects(
      evaluateVerbalizer(
        {
          model,
          prompt: undefined,
          head: { kind: 'causal-lm' },
          examples,
          tokenizer,
          labels: ['a', 'b', 'c'],
          maxLength: 64,
        },
        v,
      ),
      /2 label words for 3 labels/,
    );
  });
});
