// The adapter against the bare model (eval --compare-bare): `bare` is the same scorer on the same examples
// with no prompt, so it equals evaluating the model alone; the adapter's own metrics are unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { loadAdapterFor, loadModel, requireTokenizer } from '../../../cli/load.js';
import type { LoadedModel } from '../../../cli/load.js';
import type { SftExample } from '../../../core/datasets/tasks.js';
import { promptInputOf } from '../../../core/prompts/run.js';
import { evaluateWithBare } from '../../../core/tasks/compare.js';
import { evaluateSft } from '../../../core/tasks/sft.js';
import type { EvalContext } from '../../../core/tasks/types.js';
import { bundledModel, fixture } from '../../helpers/paths.js';

const examples: SftExample[] = [
  ['Tell a story about Tom and a dog.', 'Tom had a big dog. The dog liked to run.'],
  ['Tell a story about Lily and a ball.', 'Lily had a red ball. She played with it.'],
].map(([user, assistant], i) => ({
  source: 'sft.jsonl',
  line: i + 1,
  messages: [
    { role: 'user', content: user! },
    { role: 'assistant', content: assistant! },
  ],
}));

void describe('evaluateWithBare', () => {
  let loaded: LoadedModel;
  before(async () => {
    await initBackend('cpu');
    loaded = await loadModel(bundledModel('stories260K'));
  });
  after(() => {
    loaded.model.dispose();
  });

  for (const name of ['stories260K_prompt_tuning', 'stories260K_prefix_tuning']) {
    void it(`${name}: adapter metrics as alone, bare = the model without the prompt`, async () => {
      const adapter = loadAdapterFor(path.join(fixture('golden', 'adapters'), name), loaded.config);
      const [P = 0, W = 0] = adapter.promptEmbeddings.shape;
      const embeddings = tf.tensor2d(adapter.promptEmbeddings.data, [P, W]);
      try {
        const context: EvalContext<SftExample> = {
          model: loaded.model,
          prompt: promptInputOf(adapter, embeddings),
          head: { kind: 'causal-lm' },
          examples,
          tokenizer: requireTokenizer(loaded),
          labels: [],
          maxLength: 64,
        };
        const score = (c: EvalContext<SftExample>): Promise<Record<string, unknown>> =>
          evaluateSft(c, { generations: 1 });
        const before = tf.memory().numTensors;
        const both = await evaluateWithBare(score, context);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        const alone = await score(context);
        const bare = await score({ ...context, prompt: undefined });
        const { bare: reported, ...adapterMetrics } = both;
        assert.deepEqual(adapterMetrics, alone);
        assert.deepEqual(reported, bare);
        assert.deepEqual(Object.keys(bare).sort(), Object.keys(alone).sort(), 'the same metric keys');
        assert.notEqual((bare as { loss: number }).loss, (alone as { loss: number }).loss);
      } finally {
        embeddings.dispose();
      }
    });
  }
});
