import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resumePlan } from '../../../extension/logic/resume.js';

const stopped = {
  format: 'prompt-adapter-studio/1',
  task: 'classification',
  labels: ['ham', 'spam'],
  baseModel: { name: 'stories260K', fingerprint: { embeddingSha256: 'ab'.repeat(32) } },
  training: {
    method: 'prefix',
    virtualTokens: 10,
    lr: 0.003,
    epochs: 2,
    steps: 60,
    stepsDone: 17,
    stopReason: 'aborted',
    batchSize: 8,
    maxLength: 32,
    seed: 1,
    trainer: 'webview',
  },
  dataset: { train: 'sms.tsv', trainSha256: 'cd'.repeat(32), rows: 36 },
};

describe('resumePlan: Resume Training on a stopped dashboard run', () => {
  it('gives back the run’s settings, its total steps, and what identifies the model and the data', () => {
    const plan = resumePlan(stopped, true);
    assert.ok(!('error' in plan), JSON.stringify(plan));
    assert.deepEqual(plan.settings, {
      task: 'classification',
      method: 'PREFIX_TUNING',
      virtualTokens: 10,
      init: 'RANDOM',
      learningRate: 0.003,
      epochs: 2,
      batchSize: 8,
      maxLength: 32,
      seed: 1,
      maxSteps: 60,
    });
    assert.equal(plan.modelName, 'stories260K');
    assert.equal(plan.datasetName, 'sms.tsv');
    assert.equal(plan.datasetSha256, 'cd'.repeat(32));
    assert.equal(plan.stepsDone, 17);
  });

  it('says why a folder cannot be resumed', () => {
    const error = (m: unknown, cp = true): string => {
      const p = resumePlan(m, cp);
      return 'error' in p ? p.error : '';
    };
    assert.match(error(undefined), /no prompt_adapter.json/);
    assert.match(error({ ...stopped, training: { ...stopped.training, trainer: undefined } }), /--resume/);
    assert.match(
      error({ ...stopped, training: { ...stopped.training, stopReason: 'completed' } }),
      /nothing to resume/,
    );
    assert.match(error(stopped, false), /checkpoint.safetensors is missing/);
    assert.match(
      error({ ...stopped, training: { ...stopped.training, lr: 'x' } }),
      /"lr" is missing or not a number/,
    );
  });
});
