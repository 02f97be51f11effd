import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicAuthorization, parseAuthChallenges } from '../../../core/registry/auth.js';
import { RegistryHttp, mergeScopes } from '../../../core/registry/http.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { Credentials, FetchLike } from '../../../core/registry/types.js';
import { response } from './fake-registry.js';

test('WWW-Authenticate: Bearer with quoted values holding commas and colons', () => {
  assert.deepEqual(
    parseAuthChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/ubuntu:pull,push',
        },
      },
    ],
  );
});

test('WWW-Authenticate: several challenges, case, spaces, escapes, unquoted values, token68', () => {
  assert.deepEqual(parseAuthChallenges('Basic realm="adapter-registry"'), [
    { scheme: 'basic', params: { realm: 'adapter-registry' } },
  ]);
  assert.deepEqual(
    parseAuthChallenges(
      'BASIC Realm = "a \\"quoted\\" realm" , Bearer realm=https://x.example/token, scope="a:b:pull", error="insufficient_scope"',
    ),
    [
      { scheme: 'basic', params: { realm: 'a "quoted" realm' } },
      {
        scheme: 'bearer',
        params: { realm: 'https://x.example/token', scope: 'a:b:pull', error: 'insufficient_scope' },
      },
    ],
  );
  assert.deepEqual(parseAuthChallenges('Negotiate abc123==, Basic realm="r"'), [
    { scheme: 'negotiate', params: {}, token68: 'abc123==' },
    { scheme: 'basic', params: { realm: 'r' } },
  ]);
  assert.deepEqual(parseAuthChallenges('Bearer'), [{ scheme: 'bearer', params: {} }]);
  assert.deepEqual(parseAuthChallenges(''), []);
  // Garbage does not throw.
  assert.deepEqual(parseAuthChallenges('Bearer realm="unterminated'), [
    { scheme: 'bearer', params: { realm: 'unterminated' } },
  ]);
});

test('Basic credentials are UTF-8 base64', () => {
  assert.equal(
    basicAuthorization('alice', 's3cret-pass'),
    `Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`,
  );
  assert.equal(
    basicAuthorization('jörg', 'pässwörd'),
    `Basic ${Buffer.from('jörg:pässwörd', 'utf8').toString('base64')}`,
  );
});

test('token scopes merge by resource', () => {
  assert.deepEqual(
    mergeScopes([
      'repository:a:pull',
      'repository:a:pull,push',
      'repository:b:pull',
      '',
      'registry:catalog:*',
    ]),
    ['registry:catalog:*', 'repository:a:pull,push', 'repository:b:pull'],
  );
});

/** A registry at 127.0.0.1:5000 with token auth and its token service at 127.0.0.1:5001. */
function tokenWorld(opts: { expiresIn?: number; grant?: (user: string | undefined) => boolean } = {}): {
  fetch: FetchLike;
  tokenCalls: { url: URL; authorization: string | undefined }[];
  registryCalls: { url: string; authorization: string | undefined }[];
} {
  const tokenCalls: { url: URL; authorization: string | undefined }[] = [];
  const registryCalls: { url: string; authorization: string | undefined }[] = [];
  let issued = 0;
  const valid = new Map<string, string[]>(); // token → scopes
  const fetchFn: FetchLike = (url, init) => {
    const u = new URL(url);
    const authorization = init.headers.Authorization;
    if (u.port === '5001') {
      tokenCalls.push({ url: u, authorization });
      if (authorization !== basicAuthorization('alice', 'pw'))
        return Promise.resolve(response(401, '{"details":"bad creds"}'));
      const token = `tok-${++issued}`;
      valid.set(token, u.searchParams.getAll('scope'));
      return Promise.resolve(response(200, JSON.stringify({ token, expires_in: opts.expiresIn ?? 300 })));
    }
    registryCalls.push({ url, authorization });
    const need =
      u.pathname === '/v2/_catalog'
        ? 'registry:catalog:*'
        : `repository:${u.pathname.split('/').slice(2, 4).join('/')}:pull`;
    const token = authorization?.replace(/^Bearer /, '');
    if (token === undefined || !(valid.get(token) ?? []).includes(need)) {
      return Promise.resolve(
        response(401, '{"errors":[{"code":"UNAUTHORIZED"}]}', {
          'WWW-Authenticate': `Bearer realm="http://127.0.0.1:5001/token",service="reg",scope="${need}"${token === undefined ? '' : ',error="insufficient_scope"'}`,
        }),
      );
    }
    return Promise.resolve(response(200, '{"tags":["v1"]}'));
  };
  return { fetch: fetchFn, tokenCalls, registryCalls };
}

function http(
  fetchFn: FetchLike,
  creds: Credentials | undefined,
  now: () => number = Date.now,
): RegistryHttp {
  return new RegistryHttp({
    baseUrl: 'http://127.0.0.1:5000',
    registry: '127.0.0.1:5000',
    fetch: fetchFn,
    credentials: () => creds,
    sleep: () => Promise.resolve(),
    now,
  });
}

test('Bearer flow: challenge → token with Basic credentials, service and scope → retry; cached per scope', async () => {
  const w = tokenWorld();
  const h = http(w.fetch, { username: 'alice', password: 'pw' });
  const r1 = await h.request({
    method: 'GET',
    url: '/v2/acme/x/tags/list',
    scopes: ['repository:acme/x:pull'],
  });
  assert.equal(r1.status, 200);
  assert.equal(w.tokenCalls.length, 1);
  const call = w.tokenCalls[0];
  assert.ok(call !== undefined);
  assert.equal(call.url.searchParams.get('service'), 'reg');
  assert.deepEqual(call.url.searchParams.getAll('scope'), ['repository:acme/x:pull']);
  assert.equal(call.authorization, basicAuthorization('alice', 'pw'));
  assert.deepEqual(
    w.registryCalls.map((c) => c.authorization),
    [undefined, 'Bearer tok-1'],
  );

  // Same scope: the cached token goes up front, no new token, no 401.
  await h.request({ method: 'GET', url: '/v2/acme/x/tags/list', scopes: ['repository:acme/x:pull'] });
  assert.equal(w.tokenCalls.length, 1);
  assert.equal(w.registryCalls.at(-1)?.authorization, 'Bearer tok-1');
  // Another repository: another token.
  await h.request({ method: 'GET', url: '/v2/acme/y/tags/list', scopes: ['repository:acme/y:pull'] });
  assert.equal(w.tokenCalls.length, 2);
  assert.deepEqual(w.tokenCalls[1]?.url.searchParams.getAll('scope'), ['repository:acme/y:pull']);
  assert.equal(h.tokenRequests, 2);
});

test('Bearer flow: an expired token is not reused', async () => {
  let clock = 1_000_000;
  const w = tokenWorld({ expiresIn: 60 });
  const h = http(w.fetch, { username: 'alice', password: 'pw' }, () => clock);
  await h.request({ method: 'GET', url: '/v2/acme/x/tags/list', scopes: ['repository:acme/x:pull'] });
  clock += 30_000;
  await h.request({ method: 'GET', url: '/v2/acme/x/tags/list', scopes: ['repository:acme/x:pull'] });
  assert.equal(w.tokenCalls.length, 1);
  clock += 60_000;
  await h.request({ method: 'GET', url: '/v2/acme/x/tags/list', scopes: ['repository:acme/x:pull'] });
  assert.equal(w.tokenCalls.length, 2);
});

test('Bearer flow: wrong password → UNAUTHORIZED naming the token service and the user', async () => {
  const w = tokenWorld();
  const h = http(w.fetch, { username: 'alice', password: 'nope' });
  await assert.rejects(
    h.request({ method: 'GET', url: '/v2/acme/x/tags/list', scopes: ['repository:acme/x:pull'] }),
    (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'UNAUTHORIZED');
      assert.equal(e.status, 401);
      assert.match(
        e.message,
        /token service of 127\.0\.0\.1:5000 \(http:\/\/127\.0\.0\.1:5001\/token\) refused user 'alice'/,
      );
      return true;
    },
  );
});

test('Bearer flow: a token realm over plain http on a non-loopback host is refused (credentials stay home)', async () => {
  let tokenAsked = false;
  const fetchFn: FetchLike = (url) => {
    if (url.startsWith('http://auth.example.com')) tokenAsked = true;
    return Promise.resolve(
      response(401, '', { 'WWW-Authenticate': 'Bearer realm="http://auth.example.com/token",service="s"' }),
    );
  };
  const h = http(fetchFn, { username: 'alice', password: 'pw' });
  await assert.rejects(
    h.request({ method: 'GET', url: '/v2/a/tags/list', scopes: ['repository:a:pull'] }),
    (e: unknown) => e instanceof RegistryError && e.code === 'INSECURE',
  );
  assert.equal(tokenAsked, false);
});

test('Basic: sent after the first challenge and then up front; wrong credentials give a clear error', async () => {
  const seen: (string | undefined)[] = [];
  const fetchFn: FetchLike = (_url, init) => {
    const a = init.headers.Authorization;
    seen.push(a);
    if (a === basicAuthorization('alice', 'pw')) return Promise.resolve(response(200, '{}'));
    return Promise.resolve(response(401, '', { 'WWW-Authenticate': 'Basic realm="r"' }));
  };
  const good = http(fetchFn, { username: 'alice', password: 'pw' });
  await good.request({ method: 'GET', url: '/v2/', scopes: [] });
  await good.request({ method: 'GET', url: '/v2/', scopes: [] });
  assert.deepEqual(seen, [undefined, basicAuthorization('alice', 'pw'), basicAuthorization('alice', 'pw')]);

  const bad = http(fetchFn, { username: 'alice', password: 'wrong' });
  await assert.rejects(
    bad.request({ method: 'GET', url: '/v2/', scopes: [] }),
    /rejected the credentials of user 'alice' \(HTTP 401\); check the username and password/,
  );
  const none = http(fetchFn, undefined);
  await assert.rejects(
    none.request({ method: 'GET', url: '/v2/', scopes: [] }),
    /requires authentication and no credentials are configured/,
  );
});

test('a configured access token is sent as Bearer; credentials never go to another origin', async () => {
  const seen: [string, string | undefined][] = [];
  const fetchFn: FetchLike = (url, init) => {
    seen.push([url, init.headers.Authorization]);
    return Promise.resolve(response(200, ''));
  };
  const h = http(fetchFn, { token: 'ghp_abc' });
  await h.request({ method: 'GET', url: '/v2/a/blobs/x', scopes: [] });
  await h.request({ method: 'PUT', url: 'https://storage.example.com/upload?sig=1', scopes: [] });
  assert.deepEqual(seen, [
    ['http://127.0.0.1:5000/v2/a/blobs/x', 'Bearer ghp_abc'],
    ['https://storage.example.com/upload?sig=1', undefined],
  ]);
});
