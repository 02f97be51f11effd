import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PROTOCOL_TAG,
  ProtocolError,
  RemoteError,
  createHostEndpoint,
  createWebviewEndpoint,
  transportPair,
} from '../../../core/protocol/index.js';
import type { ModelCheck, Transport } from '../../../core/protocol/index.js';

const check: ModelCheck = {
  modelName: 'stories260K',
  fits: true,
  problems: [],
  modelFingerprint: 'sha256:00',
  fingerprintMatches: null,
  nearest: null,
};

function pair(): {
  host: ReturnType<typeof createHostEndpoint>;
  view: ReturnType<typeof createWebviewEndpoint>;
  hostProblems: string[];
  viewProblems: string[];
  raw: [Transport, Transport];
} {
  const raw = transportPair();
  const hostProblems: string[] = [];
  const viewProblems: string[] = [];
  const host = createHostEndpoint(raw[0], { onProblem: (m) => hostProblems.push(m) });
  const view = createWebviewEndpoint(raw[1], { onProblem: (m) => viewProblems.push(m) });
  return { host, view, hostProblems, viewProblems, raw };
}

describe('Endpoint over an in-memory transport', () => {
  it('a request reaches the handler and its result comes back', async () => {
    const { host, view } = pair();
    host.handle('inspector/checkModel', (params) => {
      assert.deepEqual(params, { modelPath: '/m' });
      return check;
    });
    assert.deepEqual(await view.request('inspector/checkModel', { modelPath: '/m' }), check);
  });

  it('events reach every listener; an unsubscribed listener no longer fires', async () => {
    const { host, view } = pair();
    const seen: string[] = [];
    const off = host.on('ready', (p) => seen.push(`a:${p.view}`));
    host.on('ready', (p) => seen.push(`b:${p.view}`));
    view.notify('ready', { view: 'inspector' });
    await new Promise((r) => setTimeout(r, 0));
    off();
    view.notify('ready', { view: 'trainer' });
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(seen, ['a:inspector', 'b:inspector', 'b:trainer']);
  });

  it('a handler error becomes a RemoteError on the caller', async () => {
    const { host, view } = pair();
    host.handle('trainer/readDataset', () => {
      throw new Error('no such file');
    });
    await assert.rejects(view.request('trainer/readDataset', { path: 'x' }), (e: unknown) => {
      return e instanceof RemoteError && e.message === 'trainer/readDataset: no such file';
    });
  });

  it('invalid params are refused before the handler runs', async () => {
    const { host, hostProblems, raw } = pair();
    let called = false;
    host.handle('trainer/readDataset', () => {
      called = true;
      return { text: '' };
    });
    const answers: unknown[] = [];
    raw[1].listen((m) => answers.push(m));
    raw[1].post({
      protocol: PROTOCOL_TAG,
      kind: 'request',
      id: 7,
      method: 'trainer/readDataset',
      params: { path: 3 },
    });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(called, false);
    assert.equal(answers.length, 1);
    assert.match(
      JSON.stringify(answers[0]),
      /"ok":false.*invalid params: trainer\/readDataset params.path: expected a string/,
    );
    assert.equal(hostProblems.length, 1);
  });

  it('unknown methods and events are refused and reported, foreign messages ignored silently', async () => {
    const { hostProblems, raw } = pair();
    const answers: unknown[] = [];
    raw[1].listen((m) => answers.push(m));
    raw[1].post({ protocol: PROTOCOL_TAG, kind: 'request', id: 1, method: 'toString', params: {} });
    raw[1].post({ protocol: PROTOCOL_TAG, kind: 'event', name: '__proto__', payload: {} });
    (raw[1].post as (m: unknown) => void)({ command: 'legacy' });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(answers.length, 1);
    assert.match(JSON.stringify(answers[0]), /unknown method \\"toString\\"/);
    assert.equal(hostProblems.length, 2);
  });

  it('a result that fails its guard rejects the request with a ProtocolError', async () => {
    const raw = transportPair();
    const view = createWebviewEndpoint(raw[1]);
    // A fake host that answers with a wrong shape.
    raw[0].listen((m) => {
      const r = m as { id: number };
      raw[0].post({ protocol: PROTOCOL_TAG, kind: 'response', id: r.id, ok: true, result: { text: 42 } });
    });
    await assert.rejects(view.request('trainer/readDataset', { path: 'x' }), ProtocolError);
  });

  it('dispose rejects pending requests; a timeout rejects an unanswered one', async () => {
    const raw = transportPair();
    const view = createWebviewEndpoint(raw[1]);
    const pending = view.request('trainer/readDataset', { path: 'x' });
    view.dispose();
    await assert.rejects(pending, /closed before an answer/);
    const timed = createWebviewEndpoint(transportPair()[1], { timeoutMs: 5 });
    await assert.rejects(timed.request('trainer/readDataset', { path: 'x' }), /no answer within 5 ms/);
  });

  it('bytes survive the structured clone of the transport', async () => {
    const { host, view } = pair();
    let got: Uint8Array | undefined;
    host.handle('trainer/saveAdapter', (p) => {
      got = p.files[0]?.bytes;
      return { folderUri: 'file:///a' };
    });
    await view.request('trainer/saveAdapter', {
      folder: 'a',
      files: [{ name: 'f', bytes: new Uint8Array([1, 2, 3]) }],
    });
    assert.deepEqual(got, new Uint8Array([1, 2, 3]));
  });
});
