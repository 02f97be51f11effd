// Token classification (NER): word → sub-word alignment on stories260K's tokenizer (labels on first
// sub-words only), the tag set, the seeded linear head, evaluation decoded at first sub-words and scored
// with conlleval's rules, and a few real training steps on WNUT-17 sentences with prompt tuning AND prefix
// tuning (tfjs wasm) that lower the loss.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { loadModel } from '../../../cli/load.js';
import type { NerExample } from '../../../core/datasets/tasks.js';
import { nerMetrics } from '../../../core/metrics/ner.js';
import type { FrozenTransformer } from '../../../core/model/types.js';
import type { PromptInput, TaskHead } from '../../../core/prompts/forward.js';
import { batchSource } from '../../../core/tasks/batching.js';
import {
  alignNerExample,
  NER_HEAD_INIT_STD,
  nerLabels,
  nerTask,
  NerTaskError,
  predictNerTags,
} from '../../../core/tasks/ner.js';
import type { Tokenizer } from '../../../core/tokenizer/index.js';
import { train } from '../../../core/train/loop.js';
import type { TrainHead } from '../../../core/train/loop.js';
import { bundledModel, fixture } from '../../helpers/paths.js';
import { storiesTokenizer } from '../tokenizer/stories.js';

const BOS = 1;

function sentence(tokens: string[], tags: string[], line = 1): NerExample {
  return { source: 'ner.conll', line, tokens, tags };
}

const sample = sentence(
  ['Lily', 'visited', 'Empire', 'State', 'Building', '@paulwalk', '!'],
  ['B-person', 'O', 'B-location', 'I-location', 'I-location', 'O', 'O'],
);

void describe('NER alignment (stories260K tokenizer)', () => {
  const tok = storiesTokenizer();
  const labels = nerLabels([sample]);
  const ids = new Map(labels.map((l, i) => [l, i]));

  void it('SentencePiece gives "word" and " word" the same pieces (dummy prefix), so words align either way', () => {
    for (const w of ['word', 'Lily', 'Building', '@paulwalk']) {
      assert.deepEqual(
        tok.encode(w, { addSpecialTokens: false }),
        tok.encode(` ${w}`, { addSpecialTokens: false }),
      );
    }
    assert.equal(tok.idToToken(tok.encode(' Lily', { addSpecialTokens: false })[0]!), '▁Lily');
  });

  void it('the tag set is "O" first, then sorted', () => {
    assert.deepEqual(labels, ['O', 'B-location', 'B-person', 'I-location']);
    assert.deepEqual(nerLabels([sentence(['x'], ['S-a']), sentence(['y'], ['B-b'])]), ['O', 'B-b', 'S-a']);
  });

  void it('labels sit on the first sub-word of each word; other sub-words and BOS get -100', () => {
    const e = alignNerExample(sample, tok, ids, 512);
    assert.equal(e.truncated, false);
    assert.equal(e.ids[0], BOS);
    assert.equal(e.labels[0], -100);
    assert.equal(e.ids.length, e.labels.length);
    // rebuilt word by word: the first piece of each word carries its tag, the rest -100
    let t = 1;
    sample.tokens.forEach((word, w) => {
      const pieces = tok.encode(` ${word}`, { addSpecialTokens: false });
      assert.equal(e.firstSubword[w], t, `word ${w} starts at ${t}`);
      assert.deepEqual(e.ids.slice(t, t + pieces.length), pieces);
      assert.equal(e.labels[t], ids.get(sample.tags[w]!));
      for (let k = 1; k < pieces.length; k++) assert.equal(e.labels[t + k], -100);
      t += pieces.length;
    });
    assert.equal(t, e.ids.length);
    assert.equal(e.labels.filter((l) => l !== -100).length, sample.tokens.length, 'one label per word');
    assert.ok(e.ids.length > sample.tokens.length + 1, 'some words have several sub-words');
    assert.equal(tok.decode(e.ids, { skipSpecialTokens: true }), sample.tokens.join(' '));
  });

  void it('truncation is counted; cut-off words have no position', () => {
    const e = alignNerExample(sample, tok, ids, 4);
    assert.equal(e.truncated, true);
    assert.equal(e.ids.length, 4);
    assert.ok(e.firstSubword.some((p) => p === -1));
    assert.ok(e.firstSubword.every((p) => p < 4));
    const enc = nerTask.encode([sample, sentence(['Hi'], ['O'])], { tokenizer: tok, maxLength: 4, labels });
    assert.equal(enc.truncated, 1);
    assert.equal(enc.examples.length, 2);
  });

  void it('a tag outside the label set is an error naming the sentence', () => {
    assert.throws(
      () => nerTask.encode([sentence(['Paris'], ['B-city'], 7)], { tokenizer: tok, maxLength: 64, labels }),
      (e: unknown) =>
        e instanceof NerTaskError && /ner\.conll:7: word 1 \("Paris"\) has tag "B-city"/.test(e.message),
    );
  });

  void it('the head is linear, trainable, seeded, small; a verbalizer head is refused', () => {
    const model = { config: { hiddenSize: 64 } } as unknown as FrozenTransformer;
    const make = (seed: number): TrainHead =>
      nerTask.initialHead({ model, labels, head: 'linear', seed }) as TrainHead;
    const h = make(3);
    assert.equal(h.kind, 'token-classification');
    assert.deepEqual(h.weight.shape, [4, 64]);
    assert.deepEqual(h.bias?.shape, [4]);
    assert.ok(h.bias.data.every((v) => v === 0));
    assert.equal(h.trainable, true);
    const w = h.weight.data;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    assert.ok(Math.abs(std - NER_HEAD_INIT_STD) < 0.004, `std ${std}`);
    const again = make(3);
    assert.deepEqual(again.kind === 'token-classification' ? again.weight.data : undefined, w);
    const other = make(4);
    assert.notDeepEqual(other.kind === 'token-classification' ? other.weight.data : undefined, w);
    assert.throws(() => nerTask.initialHead({ model, labels, head: 'verbalizer', seed: 1 }), NerTaskError);
    assert.deepEqual(nerTask.selectionMetric, { name: 'f1', mode: 'max' });
  });
});

function readWnut(count: number): NerExample[] {
  const text = fs.readFileSync(fixture('datasets', 'wnut17', 'train.conll'), 'utf8');
  const loaded = nerTask.load(text, 'train.conll');
  // short sentences with entities, so that a few steps have something to learn
  return loaded.rows.filter((r) => r.tags.some((t) => t !== 'O') && r.tokens.length <= 20).slice(0, count);
}

void describe('NER on stories260K (tfjs wasm)', () => {
  let model: FrozenTransformer;
  let tok: Tokenizer;
  const data = readWnut(8);
  const labels = nerLabels(data);

  before(async () => {
    await initBackend('wasm');
    const loaded = await loadModel(bundledModel('stories260K'));
    model = loaded.model;
    tok = loaded.tokenizer!;
  });
  after(() => {
    model.dispose();
  });

  void it('predictions are read at first sub-words and scored as conlleval scores them', async () => {
    // a head that always says the same tag (zero weights, one large bias) makes the expected tags known
    const begin = labels.find((l) => l.startsWith('B-'));
    const inside = labels.find((l) => l.startsWith('I-'));
    assert.ok(begin !== undefined && inside !== undefined, `tags ${labels.join(', ')}`);
    for (const fixed of [begin, inside]) {
      const N = labels.length;
      const k = labels.indexOf(fixed);
      const bias = new Float32Array(N);
      bias[k] = 5;
      const weight = tf.zeros<tf.Rank.R2>([N, 64]);
      const b = tf.tensor1d(bias);
      const head: TaskHead = { kind: 'token-classification', weight, bias: b };
      const context = {
        model,
        prompt: undefined,
        head,
        examples: data,
        tokenizer: tok,
        labels,
        maxLength: 512,
      };
      const predicted = await predictNerTags(context);
      assert.deepEqual(
        predicted,
        data.map((s) => s.tokens.map(() => fixed)),
      );
      const m = await nerTask.evaluate(context);
      const expected = nerMetrics(
        data.map((s) => s.tags),
        predicted,
      );
      assert.deepEqual(m, {
        precision: expected.precision,
        recall: expected.recall,
        f1: expected.f1,
        accuracy: expected.accuracy,
        per_type: expected.per_type,
      });
      weight.dispose();
      b.dispose();
    }
    // conlleval reads a run of I- tags as one chunk per sentence (no repair needed), B- tags as one per word
    const gold = data.map((s) => s.tags);
    const runs = nerMetrics(
      gold,
      data.map((s) => s.tokens.map(() => inside)),
    );
    assert.equal(runs.counts.predictedChunks, data.length);
    const words = nerMetrics(
      gold,
      data.map((s) => s.tokens.map(() => begin)),
    );
    assert.equal(
      words.counts.predictedChunks,
      data.reduce((n, s) => n + s.tokens.length, 0),
    );
  });

  void it('a word cut off by maxLength is predicted "O"', async () => {
    const own = nerLabels([sample]);
    const N = own.length;
    const bias = new Float32Array(N);
    bias[own.indexOf('B-person')] = 5;
    const weight = tf.zeros<tf.Rank.R2>([N, 64]);
    const b = tf.tensor1d(bias);
    const predicted = await predictNerTags({
      model,
      prompt: undefined,
      head: { kind: 'token-classification', weight, bias: b },
      examples: [sample],
      tokenizer: tok,
      labels: own,
      maxLength: 4,
    });
    weight.dispose();
    b.dispose();
    const e = alignNerExample(sample, tok, new Map(own.map((l, i) => [l, i])), 4);
    assert.deepEqual(
      predicted[0],
      e.firstSubword.map((p) => (p >= 0 ? 'B-person' : 'O')),
    );
  });

  for (const [kind, width] of [
    ['soft', 64],
    ['prefix', 5 * 2 * 4 * 8],
  ] as const) {
    void it(`a few training steps lower the tagging loss (${kind === 'soft' ? 'prompt' : 'prefix'} tuning), and evaluate runs`, async () => {
      const before = tf.memory().numTensors;
      const enc = nerTask.encode(data, { tokenizer: tok, maxLength: 128, labels });
      const head = await nerTask.initialHead({ model, labels, head: 'linear', seed: 5 });
      const P = 4;
      const init = Float32Array.from({ length: P * width }, (_, i) => Math.sin(i) * 0.05);
      const r = await train({
        model,
        promptKind: kind,
        prompt: { shape: [P, width], data: init },
        head,
        batches: batchSource(enc.examples, { batchSize: enc.examples.length, padId: 0 }),
        steps: 6,
        lr: 0.02,
        headLrScale: 5,
        seed: 1,
      });
      // the same full batch every step: the loss of step 6 is after 5 updates
      assert.ok(r.losses[5]! < r.losses[0]! * 0.8, `loss ${r.losses.join(', ')}`);
      assert.ok(r.head !== undefined);
      const embeddings = tf.tensor2d(r.prompt.data, [P, width]);
      const weight = tf.tensor2d(r.head.weight.data, [labels.length, 64]);
      const bias = tf.tensor1d(r.head.bias!.data);
      const prompt: PromptInput = { kind, embeddings };
      const m = await nerTask.evaluate({
        model,
        prompt,
        head: { kind: 'token-classification', weight, bias },
        examples: data,
        tokenizer: tok,
        labels,
        maxLength: 128,
      });
      embeddings.dispose();
      weight.dispose();
      bias.dispose();
      assert.deepEqual(Object.keys(m).sort(), ['accuracy', 'f1', 'per_type', 'precision', 'recall']);
      for (const key of ['precision', 'recall', 'f1', 'accuracy']) {
        const v = m[key] as number;
        assert.ok(v >= 0 && v <= 1, `${key} ${v}`);
      }
      assert.ok((m.accuracy as number) > 0.5, 'most tokens are O, and a trained head finds that');
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
});
