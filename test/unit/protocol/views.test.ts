// The Evaluation and Attention views' messages: each side's guard accepts what the other sends and names
// what is wrong otherwise.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostGuards, problemsOf, webviewGuards } from '../../../core/protocol/index.js';
import type { AttentionComputed, AttentionInit, EvaluationReport } from '../../../core/protocol/index.js';

const report: EvaluationReport = {
  adapterName: 'a',
  adapterPath: 'adapters/a',
  modelName: 'stories260K',
  datasetName: 'datasets/d.jsonl',
  task: 'sft',
  examples: 6,
  metrics: { loss: 1, perplexity: Math.E, bare: { loss: 2 } },
};

const init: AttentionInit = {
  adapterName: 'a',
  modelName: 'm',
  modelFiles: [{ name: 'config.json', uri: 'https://x/config.json' }],
  adapterFiles: [{ name: 'adapter_config.json', uri: 'https://x/adapter_config.json' }],
  text: 'Once upon a time',
  backend: 'auto',
  forceWebGPU: false,
  wasmBaseUri: 'https://x/',
};

const computed: AttentionComputed = {
  kind: 'prefix',
  backend: 'wasm',
  virtualTokens: 8,
  tokens: ['<s>', 'Once'],
  shares: [
    [0.1, 0.2],
    [0.3, 0.4],
  ],
};

void describe('evaluation and attention messages', () => {
  void it('evaluation/init: a report passes; a bad task and a non-object metrics are named', () => {
    const g = webviewGuards.events['evaluation/init'];
    assert.deepEqual(problemsOf(g, report), []);
    assert.deepEqual(problemsOf(g, { ...report, examples: null }), []);
    assert.equal(problemsOf(g, { ...report, task: 'qa' }).length, 1);
    assert.match(problemsOf(g, { ...report, metrics: [1] }, 'r').join(), /^r\.metrics:/);
  });

  void it('attention/init and attention/computed', () => {
    assert.deepEqual(problemsOf(webviewGuards.events['attention/init'], init), []);
    assert.equal(
      problemsOf(webviewGuards.events['attention/init'], { ...init, modelFiles: [{ name: 1 }] }).length,
      2,
    );
    const g = hostGuards.events['attention/computed'];
    assert.deepEqual(problemsOf(g, computed), []);
    assert.deepEqual(problemsOf(g, { ...computed, shares: [[0.1, 'x']] }, 'c'), [
      'c.shares[0][1]: expected a finite number, found the string "x"',
    ]);
    assert.deepEqual(problemsOf(hostGuards.events.ready, { view: 'attention' }), []);
    assert.deepEqual(problemsOf(hostGuards.events.ready, { view: 'evaluation' }), []);
  });
});
