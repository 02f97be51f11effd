import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arrayOf,
  expectValid,
  hostGuards,
  literal,
  nullable,
  num,
  object,
  oneOf,
  optional,
  problemsOf,
  ProtocolError,
  recordOf,
  str,
  webviewGuards,
  wireMessage,
} from '../../../core/protocol/index.js';
import type { TrainSettings } from '../../../core/protocol/index.js';

const settings: TrainSettings = {
  modelPath: 'models/stories260K',
  datasetPath: 'examples/spam/train.jsonl',
  task: 'classification',
  method: 'PROMPT_TUNING',
  virtualTokens: 8,
  init: 'RANDOM',
  learningRate: 0.01,
  epochs: 1,
  batchSize: 8,
  maxLength: 64,
  seed: 0,
  maxSteps: 30,
  outputFolder: 'adapters/spam',
};

describe('guard combinators', () => {
  const point = object({ x: num, y: num, label: optional(str), tags: arrayOf(str) });

  it('accepts a value of the declared shape and ignores extra properties', () => {
    assert.deepEqual(problemsOf(point, { x: 1, y: 2, tags: [], extra: true }), []);
    assert.deepEqual(problemsOf(point, { x: 1, y: 2, label: 'a', tags: ['t'] }), []);
  });

  it('names the path and the expected type of every problem', () => {
    const problems = problemsOf(point, { x: '1', tags: ['a', 3] }, 'p');
    assert.deepEqual(problems, [
      'p.x: expected a finite number, found the string "1"',
      'p.y: missing (expected a finite number)',
      'p.tags[1]: expected a string, found the number 3',
    ]);
  });

  it('rejects NaN and Infinity, which JSON cannot carry', () => {
    assert.notDeepEqual(problemsOf(num, Number.NaN), []);
    assert.notDeepEqual(problemsOf(num, Infinity), []);
  });

  it('checks an optional property only when present, and rejects a present wrong one', () => {
    assert.deepEqual(problemsOf(point, { x: 1, y: 2, tags: [], label: undefined }), []);
    assert.equal(problemsOf(point, { x: 1, y: 2, tags: [], label: 5 }).length, 1);
  });

  it('literal, nullable, recordOf and oneOf', () => {
    const kind = literal('a', 'b');
    assert.deepEqual(problemsOf(kind, 'a'), []);
    assert.match(problemsOf(kind, 'c')[0] ?? '', /one of "a", "b"/);
    assert.deepEqual(problemsOf(nullable(str), null), []);
    assert.equal(problemsOf(nullable(str), undefined).length, 1);
    assert.deepEqual(problemsOf(recordOf(str), { a: 'x' }), []);
    assert.equal(problemsOf(recordOf(str), { a: 1 }).length, 1);
    assert.equal(problemsOf(recordOf(str), [1]).length, 1);
    const either = oneOf(object({ k: literal(1) }), object({ k: literal(2), v: str }));
    assert.deepEqual(problemsOf(either, { k: 2, v: 'x' }), []);
    assert.equal(problemsOf(either, { k: 2 }).length, 1);
  });

  it('expectValid returns the typed value or throws a ProtocolError with the problems', () => {
    assert.equal(expectValid(str, 'x'), 'x');
    assert.throws(
      () => expectValid(object({ a: str }), {}, 'msg'),
      (e: unknown) => e instanceof ProtocolError && e.problems[0] === 'msg.a: missing (expected a string)',
    );
  });

  it('rejects prototype tricks: arrays and null are not objects', () => {
    assert.equal(problemsOf(object({}), null).length, 1);
    assert.equal(problemsOf(object({}), []).length, 1);
    assert.equal(problemsOf(object({}), new Uint8Array(2)).length, 1);
  });
});

describe('wire message guard', () => {
  it('accepts the four wire forms', () => {
    const tag = 'prompt-adapter/1';
    for (const m of [
      { protocol: tag, kind: 'request', id: 0, method: 'x', params: {} },
      { protocol: tag, kind: 'response', id: 1, ok: true, result: null },
      { protocol: tag, kind: 'response', id: 1, ok: false, error: 'boom' },
      { protocol: tag, kind: 'event', name: 'ready', payload: { view: 'inspector' } },
    ])
      assert.deepEqual(problemsOf(wireMessage, m), [], JSON.stringify(m));
  });

  it('rejects a wrong tag, a negative id, an error response without its message', () => {
    assert.equal(
      problemsOf(wireMessage, { protocol: 'other', kind: 'event', name: 'a', payload: 1 }).length,
      1,
    );
    assert.equal(
      problemsOf(wireMessage, {
        protocol: 'prompt-adapter/1',
        kind: 'request',
        id: -1,
        method: 'm',
        params: 1,
      }).length,
      1,
    );
    assert.equal(
      problemsOf(wireMessage, { protocol: 'prompt-adapter/1', kind: 'response', id: 0, ok: false }).length,
      1,
    );
  });
});

describe('message guards of both sides', () => {
  it('the webview accepts a valid trainer/init and refuses a bad learning rate', () => {
    const g = webviewGuards.events['trainer/init'];
    const ok = {
      settings,
      backend: 'auto',
      forceWebGPU: false,
      wasmBaseUri: 'https://x/',
      autoStart: false,
      choices: { models: [{ label: 'm', path: '/m' }], datasets: [] },
    };
    assert.deepEqual(problemsOf(g, ok), []);
    const bad = { ...ok, settings: { ...settings, learningRate: -1 } };
    assert.deepEqual(problemsOf(g, bad, 'init'), [
      'init.settings.learningRate: expected a positive number, found -1',
    ]);
    assert.equal(problemsOf(g, { ...ok, backend: 'cuda' }).length, 1);
    assert.deepEqual(problemsOf(g, { ...ok, choices: { models: [{ label: 'm' }], datasets: [] } }, 'init'), [
      'init.choices.models[0].path: missing (expected a string)',
    ]);
  });

  it('the host accepts progress snapshots and refuses NaN losses', () => {
    const g = hostGuards.events['trainer/progress'];
    const p = {
      step: 3,
      totalSteps: 30,
      epoch: 0.1,
      loss: 0.7,
      learningRate: 0.01,
      tokensPerSecond: 1200,
      elapsedSeconds: 2,
      etaSeconds: null,
    };
    assert.deepEqual(problemsOf(g, p), []);
    assert.equal(problemsOf(g, { ...p, loss: Number.NaN }).length, 1);
    assert.deepEqual(problemsOf(g, { ...p, evalMetric: { name: 'accuracy', value: 0.9 } }), []);
  });

  it('saveAdapter params must carry bytes, not arrays of numbers', () => {
    const g = hostGuards.requestParams['trainer/saveAdapter'];
    assert.deepEqual(problemsOf(g, { folder: 'a', files: [{ name: 'x', bytes: new Uint8Array(3) }] }), []);
    assert.equal(problemsOf(g, { folder: 'a', files: [{ name: 'x', bytes: [1, 2, 3] }] }).length, 1);
  });

  it('every request of one side has a params guard on the other and a result guard on its own', () => {
    assert.deepEqual(Object.keys(hostGuards.requestParams).sort(), Object.keys(webviewGuards.results).sort());
    assert.deepEqual(Object.keys(webviewGuards.requestParams).sort(), Object.keys(hostGuards.results).sort());
  });
});
