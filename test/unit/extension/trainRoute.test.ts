import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { webviewCannotTrain } from '../../../extension/logic/trainRoute.js';
import type { TrainRouteInput } from '../../../extension/logic/trainRoute.js';

const dashboard: TrainRouteInput = {
  runner: undefined,
  setting: 'webview',
  task: 'classification',
  method: 'PROMPT_TUNING',
  modelKind: 'hf',
  hasEvalFile: false,
};

describe('webviewCannotTrain: where Train Adapter runs', () => {
  it('classification with prompt or prefix tuning on a Hugging Face folder runs in the dashboard', () => {
    assert.equal(webviewCannotTrain(dashboard), undefined);
    assert.equal(webviewCannotTrain({ ...dashboard, method: 'PREFIX_TUNING' }), undefined);
  });

  it('sends what the dashboard cannot do to the CLI, saying why', () => {
    assert.match(
      webviewCannotTrain({ ...dashboard, task: 'ner' }) ?? '',
      /classification only \(this is ner\)/,
    );
    assert.match(webviewCannotTrain({ ...dashboard, task: 'sft' }) ?? '', /this is sft/);
    assert.match(webviewCannotTrain({ ...dashboard, method: 'P_TUNING' }) ?? '', /P-tuning/);
    assert.match(webviewCannotTrain({ ...dashboard, modelKind: 'gguf' }) ?? '', /GGUF/);
    assert.match(webviewCannotTrain({ ...dashboard, hasEvalFile: true }) ?? '', /eval file/);
  });

  it('the setting sends everything to the CLI unless a caller asks for the dashboard', () => {
    assert.match(webviewCannotTrain({ ...dashboard, setting: 'cli' }) ?? '', /promptAdapter.trainer/);
    assert.equal(webviewCannotTrain({ ...dashboard, setting: 'cli', runner: 'webview' }), undefined);
    assert.match(webviewCannotTrain({ ...dashboard, runner: 'cli' }) ?? '', /asked for/);
  });
});
