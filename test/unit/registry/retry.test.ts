import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RETRY, RegistryHttp, backoffDelay, isRetryableStatus } from '../../../core/registry/http.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { FetchLike, SleepFn } from '../../../core/registry/types.js';
import { response } from './fake-registry.js';

const policy = { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 1000 };

test('backoff doubles per attempt, is capped, and jitters within [half, full]', () => {
  const full = (): number => 1;
  const half = (): number => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, full)),
    [100, 200, 400, 800, 1000, 1000],
  );
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((a) => backoffDelay(a, policy, half)),
    [50, 100, 200, 400, 500],
  );
  const mid = backoffDelay(2, policy, () => 0.5);
  assert.equal(mid, 300);
});

test('Retry-After (seconds or HTTP date) raises the delay up to the cap', () => {
  const full = (): number => 1;
  assert.equal(backoffDelay(0, policy, full, '0.5'), 500);
  assert.equal(backoffDelay(0, policy, full, '30'), 1000);
  assert.equal(backoffDelay(3, policy, full, '0'), 800, 'a shorter Retry-After does not lower the backoff');
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(backoffDelay(0, policy, full, 'Thu, 01 Jan 2026 00:00:00 GMT', now), 100);
  assert.equal(
    backoffDelay(0, { ...policy, maxDelayMs: 10_000 }, full, 'Thu, 01 Jan 2026 00:00:02 GMT', now),
    2000,
  );
  assert.equal(backoffDelay(0, policy, full, 'garbage', now), 100);
});

test('retryable statuses', () => {
  assert.deepEqual(
    [200, 400, 401, 404, 429, 500, 501, 502, 503, 504].filter(isRetryableStatus),
    [429, 500, 502, 503, 504],
  );
  assert.ok(DEFAULT_RETRY.maxRetries > 0 && DEFAULT_RETRY.maxRetries < 10);
});

function scripted(
  statuses: (number | Error)[],
  headers: Record<string, string> = {},
): { fetch: FetchLike; calls: () => number } {
  let i = 0;
  return {
    calls: () => i,
    fetch: () => {
      const s = statuses[Math.min(i++, statuses.length - 1)];
      if (s instanceof Error) return Promise.reject(s);
      return Promise.resolve(
        response(s ?? 500, s === 200 ? '{"ok":true}' : '{"errors":[{"code":"UNAVAILABLE"}]}', headers),
      );
    },
  };
}

function client(fetchFn: FetchLike, sleeps: number[]): RegistryHttp {
  const sleep: SleepFn = (ms) => {
    sleeps.push(ms);
    return Promise.resolve();
  };
  return new RegistryHttp({
    baseUrl: 'http://127.0.0.1:5000',
    registry: '127.0.0.1:5000',
    fetch: fetchFn,
    retry: policy,
    sleep,
    random: () => 1,
  });
}

test('429 and 5xx are retried with backoff, then the answer is returned', async () => {
  const sleeps: number[] = [];
  const s = scripted([503, 429, 502, 200]);
  const res = await client(s.fetch, sleeps).request({ method: 'GET', url: '/v2/', scopes: [] });
  assert.equal(res.status, 200);
  assert.equal(s.calls(), 4);
  assert.deepEqual(sleeps, [100, 200, 400]);
});

test('the retry limit holds: the last failing answer comes back after maxRetries', async () => {
  const sleeps: number[] = [];
  const s = scripted([500]);
  const res = await client(s.fetch, sleeps).request({ method: 'GET', url: '/v2/', scopes: [] });
  assert.equal(res.status, 500);
  assert.equal(s.calls(), 1 + policy.maxRetries);
  assert.deepEqual(sleeps, [100, 200, 400, 800]);
});

test('Retry-After of a 429 is honoured', async () => {
  const sleeps: number[] = [];
  const s = scripted([429, 200], { 'Retry-After': '0.7' });
  await client(s.fetch, sleeps).request({ method: 'GET', url: '/v2/', scopes: [] });
  assert.deepEqual(sleeps, [700]);
});

test('network failures are retried, then reported as NETWORK with the cause', async () => {
  const sleeps: number[] = [];
  const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
  const ok = scripted([refused, refused, 200]);
  assert.equal(
    (await client(ok.fetch, sleeps).request({ method: 'GET', url: '/v2/', scopes: [] })).status,
    200,
  );
  const down = scripted([refused]);
  await assert.rejects(
    client(down.fetch, []).request({ method: 'GET', url: '/v2/', scopes: [] }),
    (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'NETWORK');
      assert.match(
        e.message,
        /cannot reach registry 127\.0\.0\.1:5000 \(GET http:\/\/127\.0\.0\.1:5000\/v2\/\) after 5 attempt\(s\): fetch failed: connect ECONNREFUSED/,
      );
      return true;
    },
  );
  assert.equal(down.calls(), 5);
});

test('requests that may have taken effect (upload chunks) retry only on 429', async () => {
  const s = scripted([500, 200]);
  const res = await client(s.fetch, []).request({
    method: 'PATCH',
    url: '/v2/a/blobs/uploads/1',
    scopes: [],
    retry: 'rate-limit',
  });
  assert.equal(res.status, 500);
  assert.equal(s.calls(), 1);
  const n = scripted([new Error('reset')]);
  await assert.rejects(
    client(n.fetch, []).request({
      method: 'PATCH',
      url: '/v2/a/blobs/uploads/1',
      scopes: [],
      retry: 'rate-limit',
    }),
    /after 1 attempt/,
  );
  const r = scripted([429, 202]);
  assert.equal(
    (
      await client(r.fetch, []).request({
        method: 'PATCH',
        url: '/v2/a/blobs/uploads/1',
        scopes: [],
        retry: 'rate-limit',
      })
    ).status,
    202,
  );
});

test('an abort during the backoff ends the request with ABORTED', async () => {
  const ac = new AbortController();
  const sleep: SleepFn = (_ms, signal) =>
    new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
      ac.abort(new Error('user cancelled'));
    });
  const s = scripted([503]);
  const h = new RegistryHttp({
    baseUrl: 'http://127.0.0.1:5000',
    registry: 'r',
    fetch: s.fetch,
    retry: policy,
    sleep,
  });
  await assert.rejects(
    h.request({ method: 'GET', url: '/v2/', scopes: [], signal: ac.signal }),
    (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'ABORTED');
      assert.match(e.message, /user cancelled/);
      return true;
    },
  );
  assert.equal(s.calls(), 1);
});
