// Issue 3, acceptance 4 (small): chat SFT data built from TinyStories text by scripts/make-sft-data.mjs
// (an instruction naming a child and a topic → the story's opening), a prompt-tuning adapter trained on it
// for 40 steps on the bundled stories260K (tfjs wasm, about a minute on 2 cores), then the validation loss
// on the replies must be at least 10% below the bare model's and ROUGE-L of greedy outputs must not fall.
// Measured when written: loss 1.744 → 1.161 (−33%), ROUGE-L 0.071 → 0.350 on the 16 dev examples.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { loadModel } from '../../../cli/load.js';
import type { SftExample } from '../../../core/datasets/tasks.js';
import type { FrozenTransformer } from '../../../core/model/types.js';
import { batchSource } from '../../../core/tasks/batching.js';
import { sftTask } from '../../../core/tasks/sft.js';
import type { Tokenizer } from '../../../core/tokenizer/index.js';
import { train } from '../../../core/train/loop.js';
import { bundledModel, fixture, repoRoot } from '../../helpers/paths.js';

const P = 16;
const STEPS = 40;
const DEV = 16;

void describe('SFT on TinyStories-derived chat data (stories260K, tfjs wasm)', () => {
  let dir: string;
  let model: FrozenTransformer;
  let tok: Tokenizer;
  let trainRows: SftExample[];
  let devRows: SftExample[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sft-data-'));
    const run = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'scripts', 'make-sft-data.mjs'),
        fixture('tasks', 'tinystories_sample.txt'),
        path.join(dir, 'train.jsonl'),
        path.join(dir, 'dev.jsonl'),
        '--max-chars',
        '160',
        '--dev',
        String(DEV),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { stories: number; train: number; dev: number };
    assert.equal(summary.stories, 200);
    assert.equal(summary.dev, DEV);
    const read = (name: string): SftExample[] => {
      const loaded = sftTask.load(fs.readFileSync(path.join(dir, name), 'utf8'), name);
      assert.deepEqual(loaded.issues, [], `${name} is valid SFT data`);
      return loaded.rows;
    };
    trainRows = read('train.jsonl');
    devRows = read('dev.jsonl');
    await initBackend('wasm');
    const loaded = await loadModel(bundledModel('stories260K'));
    model = loaded.model;
    tok = loaded.tokenizer!;
  });
  after(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('the data names the story’s child and a topic, and the reply is the story', () => {
    assert.ok(trainRows.length > 100, `${trainRows.length} training examples`);
    let named = 0;
    for (const row of [...trainRows, ...devRows]) {
      const [user, assistant] = row.messages;
      assert.equal(row.messages.length, 2);
      assert.ok(user?.role === 'user' && assistant?.role === 'assistant');
      assert.match(assistant.content, /^Once upon a time/);
      assert.ok(assistant.content.length <= 160);
      const name = /(?:named|about|with) ([A-Z][a-z]+)/.exec(user.content)?.[1];
      assert.ok(name !== undefined, `no name in "${user.content}"`);
      if (assistant.content.includes(name)) named++;
    }
    // the name comes from the opening when it has one, else from later in the story
    assert.ok(named / (trainRows.length + devRows.length) > 0.8, `${named} replies name the child`);
  });

  void it('a prompt-tuning adapter lowers the reply loss by ≥10% and does not lower ROUGE-L', async () => {
    const maxLength = 256;
    const encoded = sftTask.encode(trainRows, { tokenizer: tok, maxLength, labels: [] });
    assert.equal(encoded.truncated, 0);
    const evaluate = (prompt: Parameters<typeof sftTask.evaluate>[0]['prompt']) =>
      sftTask.evaluate({
        model,
        prompt,
        head: { kind: 'causal-lm' },
        examples: devRows,
        tokenizer: tok,
        labels: [],
        maxLength,
      });
    const bare = await evaluate(undefined);

    // start from the embeddings of a typical story opening (text init)
    const initIds = tok
      .encode('Once upon a time, there was a little girl named Lily. She loved to play', {
        addSpecialTokens: false,
      })
      .slice(0, P);
    assert.equal(initIds.length, P);
    const init = tf.tidy(() => tf.gather(model.embeddingMatrix, initIds));
    const initData = (await init.data()) as Float32Array;
    init.dispose();
    const result = await train({
      model,
      promptKind: 'soft',
      prompt: { shape: [P, 64], data: initData },
      batches: batchSource(encoded.examples, { batchSize: 8, padId: 0 }),
      steps: STEPS,
      lr: 0.1,
      seed: 1,
    });
    const embeddings = tf.tensor2d(result.prompt.data, [P, 64]);
    const tuned = await evaluate({ kind: 'soft', embeddings });
    embeddings.dispose();

    const numbers = {
      bare: {
        loss: bare.loss,
        perplexity: bare.perplexity,
        rouge_l: bare.rouge_l,
        exact_match: bare.exact_match,
      },
      tuned: {
        loss: tuned.loss,
        perplexity: tuned.perplexity,
        rouge_l: tuned.rouge_l,
        exact_match: tuned.exact_match,
      },
      firstLoss: result.losses[0],
      lastLoss: result.losses[result.losses.length - 1],
    };
    console.log(JSON.stringify(numbers));
    const lossBare = bare.loss as number;
    const lossTuned = tuned.loss as number;
    assert.ok(lossTuned <= 0.9 * lossBare, `reply loss ${lossBare} → ${lossTuned}: less than a 10% drop`);
    assert.ok(
      (tuned.rouge_l as number) >= (bare.rouge_l as number),
      `ROUGE-L fell: ${String(bare.rouge_l)} → ${String(tuned.rouge_l)}`,
    );
  });
});
