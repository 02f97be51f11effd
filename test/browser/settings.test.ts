// The trainer form's settings → the CLI's classification flags (webview/trainer/settings.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrainSettings } from '../../core/protocol/messages.js';
import { CLI_CLASSIFICATION_DEFAULTS } from '../../webview/trainer/run-classification.js';
import { TrainerSettingsError, runSettingsOf } from '../../webview/trainer/settings.js';

const form: TrainSettings = {
  modelPath: '/m/stories260K',
  datasetPath: '/d/train.tsv',
  task: 'classification',
  method: 'PREFIX_TUNING',
  virtualTokens: 12,
  init: 'RANDOM',
  learningRate: 0.01,
  epochs: 3,
  batchSize: 4,
  maxLength: 64,
  seed: 7,
  outputFolder: '/out',
};

test('the form maps onto the CLI flags; maxSteps becomes --steps', () => {
  assert.deepEqual(runSettingsOf(form), {
    ...CLI_CLASSIFICATION_DEFAULTS,
    method: 'prefix',
    virtualTokens: 12,
    lr: 0.01,
    epochs: 3,
    batchSize: 4,
    maxLength: 64,
    seed: 7,
  });
  assert.equal(runSettingsOf({ ...form, method: 'PROMPT_TUNING', maxSteps: 5 }).steps, 5);
  assert.equal(runSettingsOf({ ...form, method: 'PROMPT_TUNING' }).method, 'prompt');
});

test('what the webview cannot train yet is refused with a pointer to the CLI', () => {
  assert.throws(() => runSettingsOf({ ...form, task: 'ner' }), TrainerSettingsError);
  assert.throws(() => runSettingsOf({ ...form, method: 'P_TUNING' }), /--method ptuning/);
  assert.throws(() => runSettingsOf({ ...form, evalDatasetPath: '/d/dev.tsv' }), /eval file/);
});
