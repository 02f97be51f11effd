// Authentication against a real docker-registry 2.8 on 127.0.0.1: htpasswd (Basic) and token auth (the
// Bearer flow, with a token issuer the test runs on loopback and whose certificate the registry trusts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OciRegistry, adapterAnnotations } from '../../../core/registry/oci.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { AdapterMeta, Credentials, FetchLike } from '../../../core/registry/types.js';
import { adapterWithExtras, recordingFetch, sameBytes } from '../../harness/registry/adapters.js';
import { startRegistry } from '../../harness/registry/registry-server.js';
import type { RunningRegistry } from '../../harness/registry/registry-server.js';
import { startTokenIssuer } from '../../harness/registry/token-issuer.js';
import type { TokenIssuer } from '../../harness/registry/token-issuer.js';
import { missingTools } from '../../harness/registry/tools.js';

const noSleep = (): Promise<void> => Promise.resolve();
const USERS = { alice: 's3cret-pass', bob: 'hunter2-bob', carol: 'carol-pass' };
const META: AdapterMeta = {
  baseModel: 'stories260K',
  method: 'PREFIX_TUNING',
  task: 'CAUSAL_LM',
  virtualTokens: 8,
};

function clientFor(
  registry: string,
  creds: Credentials | undefined,
  fetchFn: FetchLike = (u, i) => fetch(u, i),
): OciRegistry {
  return new OciRegistry({ registry, fetch: fetchFn, credentials: () => creds, sleep: noSleep });
}

async function expectError(
  p: Promise<unknown>,
  code: string,
  status: number,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('htpasswd (Basic) auth', { skip: missingTools('docker-registry', 'htpasswd') ?? false }, () => {
  let server: RunningRegistry;
  before(async () => {
    server = await startRegistry({ kind: 'htpasswd', users: USERS });
  });
  after(async () => {
    await server.stop();
  });

  test('right credentials: publish, search and pull', async () => {
    const rec = recordingFetch();
    const alice = clientFor(server.registry, { username: 'alice', password: USERS.alice }, rec.fetch);
    const files = adapterWithExtras('stories260K_prefix_tuning', 'basic-auth');
    const pub = await alice.publish(
      { repository: 'team/adapter', tag: 'v1' },
      { files, annotations: adapterAnnotations(META) },
    );
    const found = await alice.search({});
    assert.deepEqual(
      found.map((r) => `${r.repository}:${r.tag}@${r.digest}`),
      [`team/adapter:v1@${pub.digest}`],
    );
    const pulled = await alice.pull({ repository: 'team/adapter', tag: 'v1' });
    assert.deepEqual(
      pulled.files.map((f) => f.name),
      files.map((f) => f.name),
    );
    assert.ok(pulled.files.every((f, i) => sameBytes(f.bytes, files[i]?.bytes ?? new Uint8Array())));
    // After the first challenge, Basic is sent up front: one 401 in the whole session.
    assert.equal(rec.log.filter((r) => r.status === 401).length, 1);
    assert.ok(
      rec.log
        .filter((r) => r.status !== 401)
        .every((r) => r.headers.Authorization?.startsWith('Basic ') === true),
    );
  });

  test('wrong password, unknown user, no credentials: clear UNAUTHORIZED errors', async () => {
    await expectError(
      clientFor(server.registry, { username: 'alice', password: 'wrong' }).pull({
        repository: 'team/adapter',
        tag: 'v1',
      }),
      'UNAUTHORIZED',
      401,
      /registry 127\.0\.0\.1:\d+ rejected the credentials of user 'alice' \(HTTP 401\); check the username and password/,
    );
    await expectError(
      clientFor(server.registry, { username: 'mallory', password: USERS.alice }).listRepositories(),
      'UNAUTHORIZED',
      401,
      /rejected the credentials of user 'mallory'/,
    );
    await expectError(
      clientFor(server.registry, undefined).pull({ repository: 'team/adapter', tag: 'v1' }),
      'UNAUTHORIZED',
      401,
      /requires authentication and no credentials are configured for it; log in to 127\.0\.0\.1:\d+/,
    );
    // A push with a wrong password stores nothing.
    await expectError(
      clientFor(server.registry, { username: 'bob', password: 'nope' }).publish(
        { repository: 'team/intruder', tag: 'v1' },
        { files: adapterWithExtras('tiny-gpt2_prompt_tuning', 'intruder'), annotations: {} },
      ),
      'UNAUTHORIZED',
      401,
      /user 'bob'/,
    );
    const repos = await clientFor(server.registry, {
      username: 'bob',
      password: USERS.bob,
    }).listRepositories();
    assert.deepEqual(repos, ['team/adapter']);
  });
});

describe(
  'token auth (Bearer flow) with a loopback token issuer',
  { skip: missingTools('docker-registry', 'openssl') ?? false },
  () => {
    let server: RunningRegistry;
    let issuer: TokenIssuer;
    let dir: string;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-token-'));
      issuer = await startTokenIssuer({
        dir,
        users: USERS,
        // alice may do everything, bob may only read, carol owns carol/* and nothing else.
        grant: (user, _type, name, actions) =>
          user === 'alice'
            ? actions
            : user === 'bob'
              ? actions.filter((a) => a === 'pull' || a === '*')
              : user === 'carol' && name.startsWith('carol/')
                ? actions
                : [],
      });
      server = await startRegistry({
        kind: 'token',
        token: {
          realm: issuer.realm,
          service: issuer.service,
          issuer: issuer.issuer,
          rootCertBundle: issuer.certPath,
        },
      });
    });
    after(async () => {
      await server.stop();
      await issuer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('publish, mount, search and pull with tokens obtained from the challenge, cached per scope', async () => {
      const alice = clientFor(server.registry, { username: 'alice', password: USERS.alice });
      const files = adapterWithExtras('tiny-qwen2_prefix_tuning', 'token-auth');
      const pub = await alice.publish(
        { repository: 'secure/adapter', tag: 'v1' },
        { files, annotations: adapterAnnotations(META) },
      );
      const afterPublish = issuer.requests.length;
      // One push token for the repository; blob HEADs, uploads and the manifest PUT all reuse it.
      assert.deepEqual(
        issuer.requests.map((r) => [r.user, r.scopes.join(' '), r.status]),
        [['alice', 'repository:secure/adapter:pull,push', 200]],
      );

      // Mount into another repository: the registry's challenge names both repositories.
      await alice.publish(
        { repository: 'secure/copy', tag: 'v1' },
        { files, annotations: adapterAnnotations(META) },
        { mountFrom: ['secure/adapter'] },
      );
      const mountToken = issuer.requests.slice(afterPublish).find((r) => r.scopes.length === 2);
      assert.deepEqual(mountToken?.scopes.slice().sort(), [
        'repository:secure/adapter:pull',
        'repository:secure/copy:pull,push',
      ]);

      const found = await alice.search({ baseModel: 'stories260K' });
      assert.deepEqual(found.map((r) => `${r.repository}:${r.tag}`).sort(), [
        'secure/adapter:v1',
        'secure/copy:v1',
      ]);
      assert.ok(issuer.requests.some((r) => r.scopes.includes('registry:catalog:*')));

      const pulled = await alice.pull({ repository: 'secure/adapter', tag: 'v1' });
      assert.equal(pulled.digest, pub.digest);
      assert.ok(pulled.files.every((f, i) => sameBytes(f.bytes, files[i]?.bytes ?? new Uint8Array())));

      // A second pull of the same repository needs no new token.
      const before2 = issuer.requests.length;
      await alice.pull({ repository: 'secure/copy', tag: 'v1' });
      const mid = issuer.requests.length;
      await alice.pull({ repository: 'secure/copy', tag: 'v1' });
      assert.equal(issuer.requests.length, mid, 'token reused for the same scope');
      assert.ok(mid - before2 <= 1);
      assert.equal(alice.http.tokenRequests, issuer.requests.length);
    });

    test('a mount from a repository the user cannot read falls back to uploading', async () => {
      const carol = clientFor(server.registry, { username: 'carol', password: USERS.carol });
      const files = adapterWithExtras('tiny-qwen2_prefix_tuning', 'token-auth'); // the same bytes as secure/adapter
      const pub = await carol.publish(
        { repository: 'carol/adapter', tag: 'v1' },
        { files, annotations: adapterAnnotations(META) },
        { mountFrom: ['secure/adapter'] },
      );
      // The mount was tried (the token service was asked for the source repository) and refused.
      assert.ok(
        issuer.requests.some(
          (r) => r.user === 'carol' && r.scopes.includes('repository:secure/adapter:pull'),
        ),
      );
      const pulled = await carol.pull({ repository: 'carol/adapter', tag: 'v1' });
      assert.equal(pulled.digest, pub.digest);
      await expectError(
        carol.pull({ repository: 'secure/adapter', tag: 'v1' }),
        'UNAUTHORIZED',
        401,
        /did not grant user 'carol'/,
      );
    });

    test('a read-only user can pull but not publish; wrong password and anonymous are refused clearly', async () => {
      const bob = clientFor(server.registry, { username: 'bob', password: USERS.bob });
      const pulled = await bob.pull({ repository: 'secure/adapter', tag: 'v1' });
      assert.ok(pulled.files.length > 0);
      await expectError(
        bob.publish({ repository: 'secure/adapter', tag: 'v2' }, { files: pulled.files, annotations: {} }),
        'UNAUTHORIZED',
        401,
        /did not grant user 'bob' the access 'repository:secure\/adapter:pull,push'.*check the account's permissions/,
      );
      await expectError(
        clientFor(server.registry, { username: 'alice', password: 'wrong' }).pull({
          repository: 'secure/adapter',
          tag: 'v1',
        }),
        'UNAUTHORIZED',
        401,
        /the token service of 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/token\) refused user 'alice' \(HTTP 401\); check the username and password/,
      );
      await expectError(
        clientFor(server.registry, undefined).pull({ repository: 'secure/adapter', tag: 'v1' }),
        'UNAUTHORIZED',
        401,
        /requires authentication and no credentials are configured/,
      );
    });
  },
);

describe(
  'token auth with the key named by `kid` (libtrust key id) instead of `x5c`',
  { skip: missingTools('docker-registry', 'openssl') ?? false },
  () => {
    let server: RunningRegistry;
    let issuer: TokenIssuer;
    let dir: string;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-token-kid-'));
      issuer = await startTokenIssuer({ dir, users: USERS, keyForm: 'kid' });
      server = await startRegistry({
        kind: 'token',
        token: {
          realm: issuer.realm,
          service: issuer.service,
          issuer: issuer.issuer,
          rootCertBundle: issuer.certPath,
        },
      });
    });
    after(async () => {
      await server.stop();
      await issuer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the registry accepts the tokens: publish and pull', async () => {
      const alice = clientFor(server.registry, { username: 'alice', password: USERS.alice });
      const files = adapterWithExtras('tiny-gpt2_prompt_tuning', 'kid');
      const pub = await alice.publish(
        { repository: 'kid/adapter', tag: 'v1' },
        { files, annotations: adapterAnnotations(META) },
      );
      const pulled = await alice.pull({ repository: 'kid/adapter', tag: 'v1' });
      assert.equal(pulled.digest, pub.digest);
      assert.ok(pulled.files.every((f, i) => sameBytes(f.bytes, files[i]?.bytes ?? new Uint8Array())));
    });
  },
);
