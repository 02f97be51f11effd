// Causal-LM SFT: only assistant tokens carry labels (default template, a ChatML and a Llama-2 template),
// prompt/completion and instruction/response rows, truncation counted, the evaluation's keys and values,
// and a few real training steps on stories260K that lower the loss on the replies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { loadModel } from '../../../cli/load.js';
import type { SftExample } from '../../../core/datasets/tasks.js';
import type { FrozenTransformer } from '../../../core/model/types.js';
import type { PromptInput } from '../../../core/prompts/forward.js';
import { batchSource } from '../../../core/tasks/batching.js';
import type { EncodedExample } from '../../../core/tasks/batching.js';
import {
  encodeSftExample,
  evaluateSft,
  SFT_SHOWN_SAMPLES,
  sftLoss,
  sftTask,
  SftTaskError,
} from '../../../core/tasks/sft.js';
import { Tokenizer } from '../../../core/tokenizer/index.js';
import { train } from '../../../core/train/loop.js';
import { bundledModel, fixture, readJson } from '../../helpers/paths.js';
import { storiesJsonWithAddedTokens, storiesTokenizer, storiesTokenizerJson } from '../tokenizer/stories.js';

const BOS = 1;
const EOS = 2;

function example(messages: SftExample['messages'], line = 1): SftExample {
  return { source: 'chat.jsonl', line, messages };
}

const twoTurns = example([
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Tell me a story.' },
  { role: 'assistant', content: 'Once upon a time, a dog ran.' },
  { role: 'user', content: 'Another one.' },
  { role: 'assistant', content: 'Lily had a red ball.' },
]);

/** The labelled positions as runs [start, end). */
function labelledRuns(labels: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  labels.forEach((l, t) => {
    if (l === -100) return;
    const last = runs[runs.length - 1];
    if (last?.[1] === t) last[1] = t + 1;
    else runs.push([t, t + 1]);
  });
  return runs;
}

/** Checks the invariants of an encoding: labels are the ids where set, and cover exactly the replies. */
function checkLabels(tok: Tokenizer, ex: SftExample, replies: readonly string[], end: string): void {
  const e = encodeSftExample(ex, tok);
  assert.equal(e.labels.length, e.ids.length);
  e.labels.forEach((l, t) => {
    if (l !== -100) assert.equal(l, e.ids[t], `label ${t} is not the token id`);
  });
  const runs = labelledRuns(e.labels);
  assert.deepEqual(runs, e.replies, 'the labelled runs are the replies');
  assert.equal(runs.length, replies.length, 'one labelled run per assistant message');
  runs.forEach(([s, t], k) => {
    // the reply's text and the template's end-of-turn token, nothing of the user turns or headers
    assert.equal(tok.decode(e.ids.slice(s, t)).trim(), `${replies[k]}${end}`);
  });
}

void describe('SFT encoding', () => {
  void it('default template: labels on the assistant replies and their EOS only', () => {
    const tok = storiesTokenizer();
    assert.equal(tok.chatTemplate, undefined, 'stories260K has no template: the default one is used');
    checkLabels(tok, twoTurns, ['Once upon a time, a dog ran.', 'Lily had a red ball.'], '</s>');
    const e = encodeSftExample(twoTurns, tok);
    assert.equal(e.ids[0], BOS, 'BOS first, once, as the tokenizer adds it');
    assert.equal(e.labels[0], -100);
    assert.equal(e.ids.filter((id) => id === EOS).length, 2);
    // the context of the first reply is exactly what generation feeds the model
    const [start] = e.replies[0]!;
    assert.deepEqual(
      e.ids.slice(0, start),
      tok.encodeChat(twoTurns.messages.slice(0, 2), { addGenerationPrompt: true }),
    );
    // nothing after the last EOS is labelled (the "\n\n" the template writes after a turn)
    const lastEos = e.ids.lastIndexOf(EOS);
    assert.ok(e.labels.slice(lastEos + 1).every((l) => l === -100));
    assert.equal(e.labels[lastEos], EOS);
  });

  void it('a ChatML template: labels end with <|im_end|>', () => {
    const json = storiesJsonWithAddedTokens(['<|im_start|>', '<|im_end|>']);
    const tok = Tokenizer.fromJson(
      json,
      readJson(fixture('tokenizer', 'chatml_tokenizer_config.json')),
      'chatml',
    );
    checkLabels(tok, twoTurns, ['Once upon a time, a dog ran.', 'Lily had a red ball.'], '<|im_end|>');
    const e = encodeSftExample(twoTurns, tok);
    assert.ok(
      e.replies.every(([, end]) => e.ids[end - 1] === 513),
      'each reply ends on <|im_end|> (513)',
    );
    // the <|im_start|>assistant header is not labelled
    assert.ok(e.ids.every((id, t) => id !== 512 || e.labels[t] === -100));
  });

  void it('a Llama-2 [INST] template: " reply </s>" after [/INST]', () => {
    const tok = Tokenizer.fromJson(
      storiesTokenizerJson(),
      readJson(fixture('tokenizer', 'llama2_tokenizer_config.json')),
      'llama2',
    );
    checkLabels(tok, twoTurns, ['Once upon a time, a dog ran.', 'Lily had a red ball.'], '</s>');
    const e = encodeSftExample(twoTurns, tok);
    assert.equal(e.ids.filter((id) => id === BOS).length, 2, 'this template writes <s> before every [INST]');
    assert.ok(e.ids.every((id, t) => id !== BOS || e.labels[t] === -100));
  });

  void it('prompt/completion and instruction/response rows are a user and an assistant turn', async () => {
    const tok = storiesTokenizer();
    const data = [
      '{"prompt": "Name a pet.", "completion": "A cat."}',
      '{"instruction": "Say hi.", "input": "to Tom", "response": "Hi Tom!"}',
    ].join('\n');
    const loaded = sftTask.load(data, 'mixed.jsonl');
    assert.deepEqual(loaded.issues, []);
    const enc = sftTask.encode(loaded.rows, { tokenizer: tok, maxLength: 512, labels: [] });
    assert.equal(enc.examples.length, 2);
    assert.equal(enc.truncated, 0);
    const replies = enc.examples.map((e) => {
      const labels = e.labels as number[];
      return tok.decode(e.ids.filter((_, t) => labels[t] !== -100)).trim();
    });
    assert.deepEqual(replies, ['A cat.</s>', 'Hi Tom!</s>']);
    const prompt = tok.decode(
      enc.examples[1]!.ids.filter((_, t) => (enc.examples[1]!.labels as number[])[t] === -100),
    );
    assert.match(prompt, /Say hi\.\n\nto Tom/, 'the instruction and its input form the user turn');
    assert.deepEqual(sftTask.labelsOf(loaded.rows), []);
    assert.deepEqual(
      await sftTask.initialHead({ model: undefined as never, labels: [], head: 'linear', seed: 1 }),
      {
        kind: 'causal-lm',
      },
    );
    assert.deepEqual(sftTask.selectionMetric, { name: 'loss', mode: 'min' });
  });

  void it('truncation to maxLength is counted; an example whose reply is cut off entirely is left out', () => {
    const tok = storiesTokenizer();
    const short = example([
      { role: 'user', content: 'Hi.' },
      { role: 'assistant', content: 'Hello there, friend.' },
    ]);
    const full = encodeSftExample(short, tok);
    const [start, end] = full.replies[0]!;
    const cut = start + 3; // three reply tokens survive
    const enc = sftTask.encode([short, twoTurns], { tokenizer: tok, maxLength: cut, labels: [] });
    assert.equal(enc.truncated, 2, 'both were longer than maxLength');
    // twoTurns' first reply starts after `cut`, so it has nothing left to learn and is dropped
    assert.equal(enc.examples.length, 1);
    const kept = enc.examples[0]!;
    assert.equal(kept.ids.length, cut);
    assert.deepEqual(kept.ids, full.ids.slice(0, cut));
    assert.equal((kept.labels as number[]).filter((l) => l !== -100).length, 3);
    assert.ok(end > cut);
    const whole = sftTask.encode([short], { tokenizer: tok, maxLength: full.ids.length, labels: [] });
    assert.equal(whole.truncated, 0, 'exactly maxLength tokens is not truncated');
  });

  void it('an example without an assistant turn is left out; a template that rewrites contents is an error', () => {
    const tok = storiesTokenizer();
    const enc = sftTask.encode([example([{ role: 'user', content: 'Only a question.' }])], {
      tokenizer: tok,
      maxLength: 64,
      labels: [],
    });
    assert.equal(enc.examples.length, 0);
    const shouting = Tokenizer.fromJson(storiesTokenizerJson(), {
      bos_token: '<s>',
      eos_token: '</s>',
      chat_template: "{% for m in messages %}{{ m['content'] | upper }}{% endfor %}",
    });
    assert.throws(
      () => encodeSftExample(twoTurns, shouting),
      (e: unknown) =>
        e instanceof SftTaskError && /chat\.jsonl:1: messages\[0\]\.content does not appear/.test(e.message),
    );
  });
});

void describe('SFT on stories260K (tfjs wasm)', () => {
  let model: FrozenTransformer;
  let tok: Tokenizer;
  const data: SftExample[] = [
    ['Tell a story about Lily.', 'Once upon a time, there was a girl named Lily.'],
    ['Tell a story about a dog.', 'Once upon a time, there was a big dog.'],
    ['Tell a story about Tom and a ball.', 'Tom had a red ball. He liked to play.'],
    ['Tell a story about a cat.', 'Once upon a time, a cat sat in the sun.'],
  ].map(([q, a], i) =>
    example(
      [
        { role: 'user', content: q! },
        { role: 'assistant', content: a! },
      ],
      i + 1,
    ),
  );

  before(async () => {
    await initBackend('wasm');
    const loaded = await loadModel(bundledModel('stories260K'));
    model = loaded.model;
    tok = loaded.tokenizer!;
  });
  after(() => {
    model.dispose();
  });

  void it('the loss is the mean over all reply tokens, weighted by their count', async () => {
    const enc = sftTask.encode(data, { tokenizer: tok, maxLength: 128, labels: [] }).examples;
    const count = (e: EncodedExample): number => (e.labels as number[]).filter((l) => l !== -100).length;
    const each = await Promise.all(enc.map((e) => sftLoss(model, undefined, [e])));
    const all = await sftLoss(model, undefined, enc);
    assert.equal(
      all.tokens,
      enc.reduce((n, e) => n + count(e), 0),
    );
    const weighted = each.reduce((s, r) => s + r.loss * r.tokens, 0) / all.tokens;
    assert.ok(Math.abs(all.loss - weighted) < 1e-5, `${all.loss} vs ${weighted}`);
    assert.ok(new Set(each.map((r) => r.loss.toFixed(4))).size > 1, 'the examples differ in loss');
  });

  void it('evaluate returns loss, perplexity, exact match, ROUGE-L and samples, in range (bare, prompt, prefix)', async () => {
    const before = tf.memory().numTensors;
    const P = 4;
    const embeddings = tf.randomNormal<tf.Rank.R2>([P, 64], 0, 0.5, 'float32', 7);
    const prefix = tf.randomNormal<tf.Rank.R2>([P, 5 * 2 * 4 * 8], 0, 0.5, 'float32', 8); // (P, L·2·K·D)
    const prompts: (PromptInput | undefined)[] = [
      undefined,
      { kind: 'soft', embeddings },
      { kind: 'prefix', embeddings: prefix },
    ];
    for (const prompt of prompts) {
      const progress: number[] = [];
      const m = await sftTask.evaluate({
        model,
        prompt,
        head: { kind: 'causal-lm' },
        examples: data,
        tokenizer: tok,
        labels: [],
        maxLength: 128,
        onProgress: (done, total) => progress.push(done / total),
      });
      assert.deepEqual(Object.keys(m).sort(), ['exact_match', 'loss', 'perplexity', 'rouge_l', 'samples']);
      const loss = m.loss as number;
      assert.ok(loss > 0 && loss < 10, `loss ${loss}`);
      assert.ok(Math.abs((m.perplexity as number) - Math.exp(loss)) < 1e-9 * Math.exp(loss));
      for (const key of ['exact_match', 'rouge_l']) {
        const v = m[key] as number;
        assert.ok(v >= 0 && v <= 1, `${key} ${v}`);
      }
      const samples = m.samples as { prompt: string; reference: string; output: string }[];
      assert.equal(samples.length, SFT_SHOWN_SAMPLES);
      assert.equal(samples[0]!.reference, data[0]!.messages[1]!.content);
      assert.match(samples[0]!.prompt, /### User:\nTell a story about Lily\.\n\n### Assistant:\n$/);
      assert.equal(typeof samples[0]!.output, 'string');
      assert.equal(progress[progress.length - 1], 1);
      // without generation (for evaluations during training): the same loss, and nothing else
      const lossOnly = await evaluateSft(
        {
          model,
          prompt,
          head: { kind: 'causal-lm' },
          examples: data,
          tokenizer: tok,
          labels: [],
          maxLength: 128,
        },
        { generations: 0 },
      );
      assert.deepEqual(lossOnly, { loss: m.loss, perplexity: m.perplexity });
    }
    embeddings.dispose();
    prefix.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  });

  void it('a few prompt-tuning steps lower the loss on the replies', async () => {
    const enc = sftTask.encode(data, { tokenizer: tok, maxLength: 128, labels: [] }).examples;
    const P = 4;
    const init = new Float32Array(P * 64).map((_, i) => Math.sin(i) * 0.1);
    const r = await train({
      model,
      promptKind: 'soft',
      prompt: { shape: [P, 64], data: init },
      batches: batchSource(enc, { batchSize: enc.length, padId: 0 }),
      steps: 8,
      lr: 0.05,
      seed: 1,
    });
    const embeddings = (p: Float32Array): tf.Tensor2D => tf.tensor2d(p, [P, 64]);
    const start = embeddings(init);
    const end = embeddings(r.prompt.data);
    const lossBefore = (await sftLoss(model, { kind: 'soft', embeddings: start }, enc)).loss;
    const lossAfter = (await sftLoss(model, { kind: 'soft', embeddings: end }, enc)).loss;
    start.dispose();
    end.dispose();
    assert.ok(Math.abs(r.losses[0]! - lossBefore) < 1e-4, 'the loop and the evaluation agree on the loss');
    assert.ok(lossAfter < lossBefore * 0.95, `loss ${lossBefore} → ${lossAfter}`);
  });
});
