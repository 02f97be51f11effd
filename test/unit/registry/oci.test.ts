import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { sha256Digest, verifyDigest } from '../../../core/registry/digest.js';
import {
  ADAPTER_FILE,
  ANNOTATION,
  EMPTY_CONFIG_BYTES,
  EMPTY_CONFIG_DIGEST,
  MEDIA_TYPE,
  OciRegistry,
  adapterAnnotations,
  adapterMetaFromAnnotations,
  parseManifest,
  parseNextLink,
  referrersTag,
} from '../../../core/registry/oci.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { AdapterFile, AdapterMeta, PulledAdapter } from '../../../core/registry/types.js';
import { FakeRegistry, response } from './fake-registry.js';

const enc = new TextEncoder();
const META: AdapterMeta = {
  baseModel: 'stories260K',
  method: 'PROMPT_TUNING',
  task: 'CAUSAL_LM',
  virtualTokens: 8,
  metrics: { accuracy: 0.5 },
};

function files(marker: string): AdapterFile[] {
  return [
    { name: ADAPTER_FILE.config, bytes: enc.encode(JSON.stringify({ peft_type: 'PROMPT_TUNING', marker })) },
    { name: ADAPTER_FILE.weights, bytes: crypto.createHash('sha512').update(marker).digest() },
  ];
}

function setup(options: { chunkThreshold?: number; chunkSize?: number; pageSize?: number } = {}): {
  fake: FakeRegistry;
  client: OciRegistry;
} {
  const fake = new FakeRegistry();
  const client = new OciRegistry({
    registry: '127.0.0.1:5000',
    fetch: fake.fetch,
    sleep: () => Promise.resolve(),
    now: () => Date.parse('2026-02-03T04:05:06Z'),
    ...options,
  });
  return { fake, client };
}

function rejectsCode(code: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return true;
  };
}

test('digests: the empty config is the well-known one; verifyDigest refuses wrong bytes and sizes', async () => {
  assert.equal(await sha256Digest(EMPTY_CONFIG_BYTES), EMPTY_CONFIG_DIGEST);
  assert.equal(
    await sha256Digest(new Uint8Array()),
    'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  await verifyDigest(EMPTY_CONFIG_BYTES, { digest: EMPTY_CONFIG_DIGEST, size: 2 }, 'config');
  await assert.rejects(
    verifyDigest(enc.encode('{ }'), { digest: EMPTY_CONFIG_DIGEST }, 'config'),
    rejectsCode('DIGEST_MISMATCH', /config: content hashes to sha256:[a-f0-9]{64} but sha256:44136fa3/),
  );
  await assert.rejects(
    verifyDigest(enc.encode('{}\n'), { digest: EMPTY_CONFIG_DIGEST, size: 2 }, 'config'),
    rejectsCode('SIZE_MISMATCH', /received 3 bytes but its descriptor says 2/),
  );
});

test('publish writes the OCI 1.1 artifact layout: artifactType, empty config, titled layers, annotations', async () => {
  const { fake, client } = setup();
  const f = [
    ...files('layout'),
    { name: 'README.md', bytes: enc.encode('# hi') },
    { name: ADAPTER_FILE.metadata, bytes: enc.encode('{"steps":30}') },
    { name: 'extra.bin', bytes: new Uint8Array([1]) },
  ];
  const pub = await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: f, annotations: adapterAnnotations(META) },
  );
  const stored = fake.manifests.get(`acme/a@${pub.digest}`);
  assert.ok(stored !== undefined);
  assert.equal(stored.mediaType, MEDIA_TYPE.manifest);
  const digestOf = (b: Uint8Array): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
  assert.deepEqual(JSON.parse(new TextDecoder().decode(stored.bytes)), {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.promptadapter.adapter.v1+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_CONFIG_DIGEST, size: 2 },
    layers: [
      ['adapter_config.json', 'application/vnd.promptadapter.adapter.config.v1+json'],
      ['adapter_model.safetensors', 'application/vnd.promptadapter.adapter.weights.v1+safetensors'],
      ['README.md', 'text/markdown'],
      ['prompt_adapter.json', 'application/vnd.promptadapter.adapter.metadata.v1+json'],
      ['extra.bin', 'application/octet-stream'],
    ].map(([name, mediaType], i) => ({
      mediaType,
      digest: digestOf(f[i]?.bytes ?? new Uint8Array()),
      size: f[i]?.bytes.byteLength,
      annotations: { 'org.opencontainers.image.title': name },
    })),
    annotations: {
      'io.promptadapter.base-model': 'stories260K',
      'io.promptadapter.method': 'PROMPT_TUNING',
      'io.promptadapter.task': 'CAUSAL_LM',
      'io.promptadapter.virtual-tokens': '8',
      'io.promptadapter.metrics': '{"accuracy":0.5}',
      'org.opencontainers.image.created': '2026-02-03T04:05:06.000Z',
    },
  });
  // Blob PUTs carry the content type Distribution insists on, and ?digest=; the session's own query survives.
  const puts = fake.calls.filter((c) => c.method === 'PUT' && c.url.includes('/blobs/uploads/'));
  assert.equal(puts.length, f.length + 1);
  assert.ok(
    puts.every(
      (c) =>
        c.headers['Content-Type'] === 'application/octet-stream' &&
        /[?&]_state=abc%3D/.test(c.url) &&
        /[?&]digest=sha256%3A[a-f0-9]{64}/.test(c.url),
    ),
  );
  const manifestPut = fake.calls.find((c) => c.method === 'PUT' && c.url.endsWith('/manifests/v1'));
  assert.equal(manifestPut?.headers['Content-Type'], 'application/vnd.oci.image.manifest.v1+json');
});

test('annotations round-trip to metadata; foreign annotations are read leniently', () => {
  const full: AdapterMeta = {
    ...META,
    baseFingerprint: 'sha256:00',
    license: 'MIT',
    description: 'd',
    source: 's',
    version: '1',
    created: 'c',
  };
  assert.deepEqual(adapterMetaFromAnnotations(adapterAnnotations(full)), full);
  assert.equal(adapterMetaFromAnnotations({ [ANNOTATION.baseModel]: 'x' }), undefined);
  const odd = adapterMetaFromAnnotations({
    ...adapterAnnotations(META),
    [ANNOTATION.metrics]: '{"a":1,"b":"x","c":null}',
  });
  assert.deepEqual(odd?.metrics, { a: 1 });
  assert.equal(
    adapterMetaFromAnnotations({ ...adapterAnnotations(META), [ANNOTATION.metrics]: 'not json' })?.metrics,
    undefined,
  );
});

test('pull returns verified files; a tampered blob is refused and nothing is returned', async () => {
  const { fake, client } = setup();
  const f = files('tamper');
  const pub = await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: f, annotations: adapterAnnotations(META) },
  );
  const pulled = await client.pull({ repository: 'acme/a', tag: 'v1' });
  assert.equal(pulled.digest, pub.digest);
  assert.deepEqual(
    pulled.files.map((x) => x.name),
    [ADAPTER_FILE.config, ADAPTER_FILE.weights],
  );
  assert.ok(
    pulled.files.every((x, i) => Buffer.compare(Buffer.from(x.bytes), Buffer.from(f[i]?.bytes ?? [])) === 0),
  );

  const weightsDigest = await sha256Digest(f[1]?.bytes ?? new Uint8Array());
  const stored = fake.blobs.get(weightsDigest);
  assert.ok(stored !== undefined);
  const evil = stored.slice();
  evil[0] = (evil[0] ?? 0) ^ 1;
  fake.blobs.set(weightsDigest, evil);
  let result: PulledAdapter | undefined;
  await assert.rejects(
    (async () => {
      result = await client.pull({ repository: 'acme/a', tag: 'v1' });
    })(),
    rejectsCode(
      'DIGEST_MISMATCH',
      /adapter_model\.safetensors from 127\.0\.0\.1:5000\/acme\/a: content hashes to .* refusing it/,
    ),
  );
  assert.equal(result, undefined);
  fake.blobs.set(weightsDigest, evil.subarray(0, 10));
  await assert.rejects(client.pull({ repository: 'acme/a', tag: 'v1' }), rejectsCode('SIZE_MISMATCH'));
});

test('manifests are checked too: bytes against the pinned digest, and against Docker-Content-Digest for tags', async () => {
  const { fake, client } = setup();
  const pub = await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: files('m'), annotations: adapterAnnotations(META) },
  );
  const stored = fake.manifests.get(`acme/a@${pub.digest}`);
  assert.ok(stored !== undefined);
  // The registry swaps the manifest content under the same digest.
  const swapped = enc.encode(new TextDecoder().decode(stored.bytes).replace('stories260K', 'stories999K'));
  fake.manifests.set(`acme/a@${pub.digest}`, { bytes: swapped, mediaType: stored.mediaType });
  await assert.rejects(
    client.pull({ repository: 'acme/a', tag: 'v1' }),
    rejectsCode('DIGEST_MISMATCH', /manifest 127\.0\.0\.1:5000\/acme\/a@sha256/),
  );
  await assert.rejects(
    client.pull({ repository: 'acme/a', digest: pub.digest }),
    rejectsCode('DIGEST_MISMATCH'),
  );
  // A registry that answers HEAD without the digest header: the tag is read by GET and the header checked.
  fake.manifests.set(`acme/a@${pub.digest}`, stored);
  fake.intercept = (method, url) => {
    if (method === 'HEAD' && url.pathname.includes('/manifests/')) return response(200);
    if (method === 'GET' && url.pathname.endsWith('/manifests/v1')) {
      return response(200, swapped, {
        'Content-Type': MEDIA_TYPE.manifest,
        'Docker-Content-Digest': pub.digest,
      });
    }
    return undefined;
  };
  await assert.rejects(
    client.resolve({ repository: 'acme/a', tag: 'v1' }),
    rejectsCode('DIGEST_MISMATCH', /the registry says it is sha256:.* but its bytes hash to/),
  );
  fake.intercept = (method, url) =>
    method === 'HEAD' && url.pathname.includes('/manifests/') ? response(200) : undefined;
  assert.equal((await client.resolve({ repository: 'acme/a', tag: 'v1' })).digest, pub.digest);
});

test('hostile manifests are refused before any blob is fetched: unsafe titles, duplicates, other artifact types', async () => {
  const { fake, client } = setup();
  const blob = fake.putBlob('acme/a', enc.encode('x'));
  const manifest = (titles: (string | undefined)[], artifactType: string = MEDIA_TYPE.adapter): Uint8Array =>
    enc.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.manifest,
        artifactType,
        config: { mediaType: MEDIA_TYPE.empty, digest: EMPTY_CONFIG_DIGEST, size: 2 },
        layers: titles.map((t) => ({
          mediaType: 'x/y',
          digest: blob,
          size: 1,
          ...(t === undefined ? {} : { annotations: { [ANNOTATION.title]: t } }),
        })),
      }),
    );
  fake.putManifest('acme/a', 'evil', manifest(['../../.bashrc']));
  fake.putManifest('acme/a', 'untitled', manifest([undefined]));
  fake.putManifest('acme/a', 'dup', manifest(['a.json', 'a.json']));
  fake.putManifest('acme/a', 'image', manifest(['a'], 'application/vnd.example.other'));
  fake.putManifest('acme/a', 'junk', enc.encode('{"schemaVersion":2,"layers":"no"}'));
  const before = fake.calls.length;
  await assert.rejects(
    client.pull({ repository: 'acme/a', tag: 'evil' }),
    rejectsCode('INVALID_MANIFEST', /unsafe file name '\.\.\/\.\.\/\.bashrc'/),
  );
  await assert.rejects(
    client.pull({ repository: 'acme/a', tag: 'untitled' }),
    rejectsCode('INVALID_MANIFEST', /has no file name/),
  );
  await assert.rejects(
    client.pull({ repository: 'acme/a', tag: 'dup' }),
    rejectsCode('INVALID_MANIFEST', /same file name/),
  );
  await assert.rejects(
    client.pull({ repository: 'acme/a', tag: 'image' }),
    rejectsCode('NOT_AN_ADAPTER', /artifact type 'application\/vnd\.example\.other'/),
  );
  await assert.rejects(client.pull({ repository: 'acme/a', tag: 'junk' }), rejectsCode('INVALID_MANIFEST'));
  assert.ok(
    fake.calls.slice(before).every((c) => !c.url.includes('/blobs/')),
    'no blob was downloaded',
  );
  assert.throws(
    () =>
      parseManifest(
        enc.encode('{"schemaVersion":2,"layers":[],"config":{"mediaType":"a","digest":"md5:00","size":1}}'),
        'm',
      ),
    /not sha256/,
  );
});

test('large blobs are uploaded in PATCH chunks with inclusive Content-Range', async () => {
  const { fake, client } = setup({ chunkThreshold: 10, chunkSize: 16 });
  const f = [{ name: ADAPTER_FILE.weights, bytes: new Uint8Array(40).map((_, i) => i) }];
  await client.publish({ repository: 'acme/big', tag: 'v1' }, { files: f, annotations: {} });
  const patches = fake.calls.filter((c) => c.method === 'PATCH');
  assert.deepEqual(
    patches.map((c) => c.headers['Content-Range']),
    ['0-15', '16-31', '32-39'],
  );
  assert.ok(patches.every((c) => c.headers['Content-Type'] === 'application/octet-stream'));
  // Each chunk goes to the Location the previous answer gave.
  assert.ok(patches.slice(1).every((c) => c.url.includes('_state=next')));
  const pulled = await client.pull({ repository: 'acme/big', tag: 'v1' });
  assert.deepEqual([...(pulled.files[0]?.bytes ?? [])], [...f[0]!.bytes]);
});

test('existing blobs are skipped, known ones mounted, a failed mount falls back to the upload session', async () => {
  const { fake, client } = setup();
  const f = files('mount');
  await client.publish({ repository: 'acme/a', tag: 'v1' }, { files: f, annotations: {} });
  fake.calls.length = 0;
  await client.publish({ repository: 'acme/b', tag: 'v1' }, { files: f, annotations: {} });
  assert.equal(
    fake.calls.filter(
      (c) =>
        c.method === 'POST' &&
        c.status === 201 &&
        c.url.includes('mount=') &&
        c.url.includes('from=acme%2Fa'),
    ).length,
    3,
  );
  assert.equal(fake.calls.filter((c) => c.method === 'PUT').length, 1);

  fake.calls.length = 0;
  await client.publish({ repository: 'acme/b', tag: 'v2' }, { files: f, annotations: {} });
  assert.deepEqual(
    fake.calls.map((c) => c.method),
    ['HEAD', 'HEAD', 'HEAD', 'PUT'],
  );

  // Told to mount from a repository that lacks the blob: the 202 session is used for a normal upload.
  const { fake: fake2, client: fresh } = setup();
  await fresh.publish(
    { repository: 'acme/c', tag: 'v1' },
    { files: files('new'), annotations: {} },
    { mountFrom: ['acme/nowhere'] },
  );
  const posts = fake2.calls.filter((c) => c.method === 'POST');
  assert.ok(posts.every((c) => c.url.includes('mount=') && c.status === 202));
  assert.equal(fake2.calls.filter((c) => c.method === 'PUT' && c.status === 201).length, 4);
});

test('an upload session lost to a server error is restarted once', async () => {
  const { fake, client } = setup();
  let failed = 0;
  fake.intercept = (method, url) => {
    if (method === 'PUT' && url.pathname.includes('/blobs/uploads/') && failed === 0) {
      failed++;
      return response(500, '{"errors":[{"code":"UNKNOWN","message":"disk hiccup"}]}');
    }
    return undefined;
  };
  await client.publish({ repository: 'acme/a', tag: 'v1' }, { files: files('retry'), annotations: {} });
  assert.equal(failed, 1);
  assert.equal((await client.pull({ repository: 'acme/a', tag: 'v1' })).files.length, 2);
});

test('Link headers: parsing and paged _catalog / tags/list', async () => {
  assert.equal(parseNextLink('</v2/_catalog?last=b&n=2>; rel="next"'), '/v2/_catalog?last=b&n=2');
  assert.equal(
    parseNextLink('<https://r.example/v2/x/tags/list?last=v2&n=2>;rel=next'),
    'https://r.example/v2/x/tags/list?last=v2&n=2',
  );
  assert.equal(parseNextLink('</a>; rel="prev", </b>; rel="next"'), '/b');
  assert.equal(parseNextLink('</a>; rel="prev"'), undefined);
  assert.equal(parseNextLink(null), undefined);

  const { fake, client } = setup({ pageSize: 2 });
  for (const r of ['e/e', 'a/a', 'c/c', 'b/b', 'd/d']) fake.putManifest(r, 'v1', enc.encode('{}'));
  for (const t of ['v2', 'v3', 'v4', 'v5', 'v6']) fake.putManifest('a/a', t, enc.encode('{}'));
  assert.deepEqual(await client.listRepositories(), ['a/a', 'b/b', 'c/c', 'd/d', 'e/e']);
  assert.deepEqual(
    fake.calls.map((c) => new URL(c.url).search),
    ['?n=2', '?last=b%2Fb&n=2', '?last=d%2Fd&n=2'],
  );
  assert.deepEqual(await client.listTags('a/a'), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  fake.pageTags = false; // Distribution 2.8: `n` ignored, everything at once, no Link
  assert.deepEqual(await client.listTags('a/a'), ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);

  // A registry whose Link points back at the same page does not loop forever.
  fake.intercept = (method, url) =>
    url.pathname === '/v2/_catalog'
      ? response(200, '{"repositories":["x/x"]}', { Link: '</v2/_catalog?n=2>; rel="next"' })
      : undefined;
  await assert.rejects(client.listRepositories(), /page links loop/);
  fake.intercept = (method, url) => (url.pathname === '/v2/_catalog' ? response(401, '', {}) : undefined);
  await assert.rejects(client.listRepositories(), rejectsCode('UNAUTHORIZED'));
  fake.intercept = (method, url) =>
    url.pathname === '/v2/_catalog' ? response(404, '404 page not found') : undefined;
  await assert.rejects(
    client.listRepositories(),
    rejectsCode('UNSUPPORTED', /name the repositories to search/),
  );
});

test('search filters by base model, task and text and skips referrer tags and non-adapters', async () => {
  const { fake, client } = setup();
  await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: files('1'), annotations: adapterAnnotations(META) },
  );
  await client.publish(
    { repository: 'acme/a', tag: 'v2' },
    {
      files: files('2'),
      annotations: adapterAnnotations({ ...META, task: 'SEQ_CLS', description: 'Spam filter' }),
    },
  );
  await client.publish(
    { repository: 'acme/b', tag: 'v1' },
    { files: files('3'), annotations: adapterAnnotations({ ...META, baseModel: 'gpt2' }) },
  );
  await client.attachEvaluationReport({ repository: 'acme/a', tag: 'v1' }, enc.encode('{"accuracy":1}'));
  fake.putManifest(
    'acme/b',
    'index',
    enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [] })),
    MEDIA_TYPE.index,
  );
  const all = await client.search({});
  assert.deepEqual(
    all.map((r) => `${r.repository}:${r.tag}`),
    ['acme/a:v1', 'acme/a:v2', 'acme/b:v1'],
  );
  assert.deepEqual(
    (await client.search({ baseModel: 'stories260K' })).map((r) => r.tag),
    ['v1', 'v2'],
  );
  assert.deepEqual(
    (await client.search({ baseModel: 'stories260K', task: 'SEQ_CLS' })).map((r) => r.tag),
    ['v2'],
  );
  assert.deepEqual(
    (await client.search({ text: 'spam' })).map((r) => r.tag),
    ['v2'],
  );
  assert.deepEqual((await client.search({ limit: 1 })).length, 1);
  const hit = (await client.search({ repositories: ['acme/b'] }))[0];
  assert.equal(hit?.annotations[ANNOTATION.baseModel], 'gpt2');
  assert.match(hit.digest, /^sha256:[a-f0-9]{64}$/);
});

test('referrers: tag-schema fallback kept on push when the registry ignores subject; the API used when it has one', async () => {
  const { fake, client } = setup();
  const pub = await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: files('r'), annotations: adapterAnnotations(META) },
  );
  const r1 = await client.attachEvaluationReport({ repository: 'acme/a', tag: 'v1' }, enc.encode('{"a":1}'), {
    k: 'v',
  });
  const r2 = await client.attachEvaluationReport({ repository: 'acme/a', tag: 'v1' }, enc.encode('{"a":2}'));
  const indexDigest = fake.tags.get('acme/a')?.get(referrersTag(pub.digest));
  assert.ok(indexDigest !== undefined, 'fallback index tag written');
  const index = JSON.parse(new TextDecoder().decode(fake.manifests.get(`acme/a@${indexDigest}`)?.bytes)) as {
    mediaType: string;
    manifests: { digest: string; artifactType: string }[];
  };
  assert.equal(index.mediaType, MEDIA_TYPE.index);
  assert.deepEqual(
    index.manifests.map((m) => [m.digest, m.artifactType]),
    [
      [r1.digest, MEDIA_TYPE.evalReport],
      [r2.digest, MEDIA_TYPE.evalReport],
    ],
  );
  const listed = await client.listReferrers({ repository: 'acme/a', digest: pub.digest });
  assert.deepEqual(
    listed.map((r) => r.digest),
    [r1.digest, r2.digest],
  );
  assert.deepEqual(listed[0]?.annotations, { k: 'v', [ANNOTATION.created]: '2026-02-03T04:05:06.000Z' });

  // A registry with the referrers API: no index tag is written, and the API answers.
  const { fake: f2, client: c2 } = setup();
  f2.referrersApi = true;
  const p2 = await c2.publish({ repository: 'acme/a', tag: 'v1' }, { files: files('r'), annotations: {} });
  const a2 = await c2.attachEvaluationReport({ repository: 'acme/a', digest: p2.digest }, enc.encode('{}'));
  assert.equal(f2.tags.get('acme/a')?.has(referrersTag(p2.digest)), false);
  assert.deepEqual(
    (await c2.listReferrers({ repository: 'acme/a', tag: 'v1' })).map((r) => r.digest),
    [a2.digest],
  );
  assert.equal(f2.calls.filter((c) => c.url.includes('/referrers/')).length, 1);
  assert.equal(
    (await c2.listReferrers({ repository: 'acme/a', tag: 'v1' }, { artifactType: 'x/other' })).length,
    0,
  );
});

test('http is refused for non-loopback registries; delete goes by digest', async () => {
  assert.throws(
    () =>
      new OciRegistry({ registry: 'ghcr.io', scheme: 'http', fetch: () => Promise.reject(new Error('no')) }),
    rejectsCode('INSECURE'),
  );
  assert.equal(
    new OciRegistry({ registry: 'ghcr.io', fetch: () => Promise.reject(new Error('no')) }).http.baseUrl,
    'https://ghcr.io',
  );
  const { fake, client } = setup();
  const pub = await client.publish(
    { repository: 'acme/a', tag: 'v1' },
    { files: files('d'), annotations: {} },
  );
  await client.delete({ repository: 'acme/a', tag: 'v1' });
  const del = fake.calls.find((c) => c.method === 'DELETE');
  assert.ok(del?.url.endsWith(`/v2/acme/a/manifests/${pub.digest}`));
  fake.intercept = (method) =>
    method === 'DELETE'
      ? response(405, '{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}')
      : undefined;
  await assert.rejects(
    client.delete({ repository: 'acme/a', digest: pub.digest }),
    rejectsCode('UNSUPPORTED', /does not allow deletes/),
  );
});
