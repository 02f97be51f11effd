// The OCI client against a real CNCF Distribution 2.8 server (Debian `docker-registry`) on 127.0.0.1, without
// authentication: publish → search → pull, golden adapters, concurrency, tampering on the server's disk,
// missing blobs, interrupted publishes, chunked uploads, cross-repository mounts, referrers, paging, delete.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  ADAPTER_FILE,
  ANNOTATION,
  MEDIA_TYPE,
  OciRegistry,
  adapterAnnotations,
  adapterMetaFromAnnotations,
  referrersTag,
} from '../../../core/registry/oci.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { AdapterFile, AdapterMeta, PulledAdapter } from '../../../core/registry/types.js';
import {
  adapterWithExtras,
  goldenAdapter,
  goldenAdapterNames,
  recordingFetch,
  sameBytes,
} from '../../harness/registry/adapters.js';
import { startRegistry } from '../../harness/registry/registry-server.js';
import type { RunningRegistry } from '../../harness/registry/registry-server.js';
import { freePort, missingTools } from '../../harness/registry/tools.js';

const skip = missingTools('docker-registry');

const noSleep = (): Promise<void> => Promise.resolve();

function meta(overrides: Partial<AdapterMeta> = {}): AdapterMeta {
  return {
    baseModel: 'stories260K',
    baseFingerprint: 'sha256:0000000000000000000000000000000000000000000000000000000000000001',
    method: 'PROMPT_TUNING',
    task: 'CAUSAL_LM',
    virtualTokens: 8,
    metrics: { perplexity: 12.5, accuracy: 0.91 },
    license: 'MIT',
    description: 'happy dog stories',
    source: 'https://example.invalid/prompt-adapter-studio',
    version: '1.0.0',
    created: '2026-01-02T03:04:05Z',
    ...overrides,
  };
}

function assertSameFiles(actual: readonly AdapterFile[], expected: readonly AdapterFile[]): void {
  assert.deepEqual(
    actual.map((f) => f.name),
    expected.map((f) => f.name),
  );
  for (const [i, f] of expected.entries()) {
    assert.ok(
      sameBytes(actual[i]?.bytes ?? new Uint8Array(), f.bytes),
      `${f.name} differs after the round trip`,
    );
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<RegistryError> {
  let caught: unknown;
  let value: unknown;
  try {
    value = await p;
  } catch (e) {
    caught = e;
  }
  assert.equal(value, undefined, 'the operation returned something although it should have failed');
  assert.ok(caught instanceof RegistryError, `expected a RegistryError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

describe('OCI client against docker-registry 2.8 (no auth)', { skip: skip ?? false }, () => {
  let server: RunningRegistry;
  let client: OciRegistry;

  before(async () => {
    server = await startRegistry();
    client = new OciRegistry({ registry: server.registry, fetch: (u, i) => fetch(u, i), sleep: noSleep });
  });
  after(async () => {
    await server.stop();
  });

  test('publish → search → pull gives byte-identical files and our annotations', async () => {
    const files = adapterWithExtras('stories260K_prompt_tuning', 'roundtrip');
    const published = await client.publish(
      { repository: 'adapters/happy-dog', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    assert.match(published.digest, /^sha256:[a-f0-9]{64}$/);

    const other = goldenAdapter('stories260K_seqcls_prompt_tuning');
    await client.publish(
      { repository: 'adapters/spam', tag: 'v1' },
      { files: other, annotations: adapterAnnotations(meta({ task: 'SEQ_CLS', description: 'sms spam' })) },
    );

    const found = await client.search({
      baseModel: 'stories260K',
      task: 'CAUSAL_LM',
      repositories: ['adapters/happy-dog', 'adapters/spam'],
    });
    assert.deepEqual(
      found.map((r) => [r.repository, r.tag, r.digest]),
      [['adapters/happy-dog', 'v1', published.digest]],
    );
    const viaCatalog = await client.search({ task: 'SEQ_CLS' });
    assert.deepEqual(
      viaCatalog.map((r) => `${r.repository}:${r.tag}`),
      ['adapters/spam:v1'],
    );
    assert.equal((await client.search({ text: 'HAPPY DOG' })).length, 1);
    assert.equal((await client.search({ baseModel: 'gpt2' })).length, 0);

    const hit = found[0];
    assert.ok(hit !== undefined);
    const m = adapterMetaFromAnnotations(hit.annotations);
    assert.deepEqual(m, meta());

    const pulled = await client.pull({ repository: 'adapters/happy-dog', tag: 'v1' });
    assert.equal(pulled.digest, published.digest);
    assert.equal(pulled.artifactType, MEDIA_TYPE.adapter);
    assertSameFiles(pulled.files, files);
    assert.equal(pulled.annotations[ANNOTATION.virtualTokens], '8');

    // Pinning by digest gives the same version.
    const pinned = await client.pull({ repository: 'adapters/happy-dog', digest: published.digest });
    assertSameFiles(pinned.files, files);

    // The manifest is an OCI 1.1 artifact: our artifactType, the empty config, our layer media types.
    const resolved = await client.resolve({ repository: 'adapters/happy-dog', tag: 'v1' });
    const manifest = JSON.parse(new TextDecoder().decode(resolved.manifestBytes)) as {
      artifactType: string;
      config: { mediaType: string; digest: string; size: number };
      layers: { mediaType: string; annotations: Record<string, string> }[];
    };
    assert.equal(manifest.artifactType, 'application/vnd.promptadapter.adapter.v1+json');
    assert.deepEqual(manifest.config, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    });
    assert.deepEqual(
      manifest.layers.map((l) => [l.annotations['org.opencontainers.image.title'], l.mediaType]),
      [
        ['adapter_config.json', MEDIA_TYPE.adapterConfig],
        ['adapter_model.safetensors', MEDIA_TYPE.weights],
        ['README.md', 'text/markdown'],
        ['adapter_metadata.json', MEDIA_TYPE.metadata],
      ],
    );
  });

  test('every golden PEFT adapter folder publishes and pulls unchanged', async () => {
    const names = goldenAdapterNames();
    assert.ok(names.length >= 10, `expected the golden adapters, found ${names.length}`);
    for (const name of names) {
      const files = goldenAdapter(name);
      const repo = `golden/${name.toLowerCase()}`;
      const cfg = JSON.parse(
        new TextDecoder().decode(files.find((f) => f.name === ADAPTER_FILE.config)?.bytes),
      ) as {
        peft_type: string;
        task_type: string;
        num_virtual_tokens: number;
        base_model_name_or_path: string;
      };
      const pub = await client.publish(
        { repository: repo, tag: 'v1' },
        {
          files,
          annotations: adapterAnnotations({
            baseModel: cfg.base_model_name_or_path,
            method: cfg.peft_type,
            task: cfg.task_type,
            virtualTokens: cfg.num_virtual_tokens,
          }),
        },
      );
      const pulled = await client.pull({ repository: repo, tag: 'v1' });
      assert.equal(pulled.digest, pub.digest, name);
      assertSameFiles(pulled.files, files);
    }
    const prefix = await client.search({
      repositories: names.map((n) => `golden/${n.toLowerCase()}`),
      task: 'TOKEN_CLS',
    });
    assert.deepEqual(prefix.map((r) => r.repository).sort(), [
      'golden/stories260k_tokcls_prefix_tuning',
      'golden/tiny-bert-ner_prefix_tuning',
    ]);
  });

  test('three concurrent publishes of different adapters all land', async () => {
    const jobs = ['tiny-gpt2_prompt_tuning', 'tiny-qwen2_prompt_tuning', 'tiny-bert-cls_prompt_tuning'].map(
      (name, i) => {
        const files = adapterWithExtras(name, `concurrent-${i}`);
        // Separate clients, as three processes would be.
        const c = new OciRegistry({
          registry: server.registry,
          fetch: (u, init) => fetch(u, init),
          sleep: noSleep,
        });
        return c
          .publish(
            { repository: `concurrent/adapter-${i}`, tag: 'v1' },
            { files, annotations: adapterAnnotations(meta({ description: `concurrent ${i}` })) },
          )
          .then((p) => ({ p, files, repo: `concurrent/adapter-${i}` }));
      },
    );
    const done = await Promise.all(jobs);
    for (const { p, files, repo } of done) {
      const pulled = await client.pull({ repository: repo, tag: 'v1' });
      assert.equal(pulled.digest, p.digest);
      assertSameFiles(pulled.files, files);
    }
    const found = await client.search({ text: 'concurrent' });
    assert.deepEqual(found.map((r) => r.repository).sort(), [
      'concurrent/adapter-0',
      'concurrent/adapter-1',
      'concurrent/adapter-2',
    ]);
  });

  test('a blob corrupted on the server disk: pull refuses it and returns nothing', async () => {
    const files = adapterWithExtras('stories260K_prefix_tuning', 'corrupt-me');
    await client.publish(
      { repository: 'tamper/victim', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    const resolved = await client.resolve({ repository: 'tamper/victim', tag: 'v1' });
    const manifest = JSON.parse(new TextDecoder().decode(resolved.manifestBytes)) as {
      layers: { digest: string; annotations: Record<string, string> }[];
    };
    const weights = manifest.layers.find((l) => l.annotations[ANNOTATION.title] === ADAPTER_FILE.weights);
    assert.ok(weights !== undefined);
    const blob = server.blobPath(weights.digest);
    const original = fs.readFileSync(blob);
    // Same length, one float flipped: the registry serves it with 200 and its stored digest.
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    fs.writeFileSync(blob, tampered);

    let pulled: PulledAdapter | undefined;
    const err = await rejectsWith(
      (async () => {
        pulled = await client.pull({ repository: 'tamper/victim', tag: 'v1' });
        return pulled;
      })(),
      'DIGEST_MISMATCH',
      /adapter_model\.safetensors.*hashes to sha256:[a-f0-9]{64} but sha256:[a-f0-9]{64} was expected; refusing it/,
    );
    assert.equal(pulled, undefined);
    assert.equal(err.status, 0);

    // A truncated blob is refused too (and does not pass as the right size).
    fs.writeFileSync(blob, original.subarray(0, 100));
    await assert.rejects(
      client.pull({ repository: 'tamper/victim', tag: 'v1' }),
      (e: unknown) =>
        e instanceof RegistryError && ['SIZE_MISMATCH', 'DIGEST_MISMATCH', 'NETWORK'].includes(e.code),
    );
    fs.writeFileSync(blob, original);
    assertSameFiles((await client.pull({ repository: 'tamper/victim', tag: 'v1' })).files, files);
  });

  test('a manifest naming a missing blob: a clear error on push and on pull', async () => {
    const files = adapterWithExtras('tiny-gpt2_prefix_tuning', 'missing-blob');
    // Push side: the registry refuses a manifest whose layer was never uploaded.
    const bogus = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      artifactType: MEDIA_TYPE.adapter,
      config: {
        mediaType: MEDIA_TYPE.empty,
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
      },
      layers: [
        {
          mediaType: MEDIA_TYPE.weights,
          digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
          size: 10,
          annotations: { [ANNOTATION.title]: ADAPTER_FILE.weights },
        },
      ],
    };
    await client.pushBlob('broken/adapter', new Uint8Array([0x7b, 0x7d]), 'config');
    const pushErr = await rejectsWith(
      client.putManifest(
        'broken/adapter',
        'v1',
        new TextEncoder().encode(JSON.stringify(bogus)),
        MEDIA_TYPE.manifest,
      ),
      'MANIFEST_BLOB_UNKNOWN',
      /pushing manifest .*broken\/adapter:v1.*HTTP 400.*MANIFEST_BLOB_UNKNOWN.*sha256:1111.*upload every layer before the manifest/,
    );
    assert.equal(pushErr.status, 400);

    // Pull side: a published version whose blob has since disappeared from the repository.
    await client.publish(
      { repository: 'broken/adapter', tag: 'v2' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    const resolved = await client.resolve({ repository: 'broken/adapter', tag: 'v2' });
    const manifest = JSON.parse(new TextDecoder().decode(resolved.manifestBytes)) as {
      layers: { digest: string; annotations: Record<string, string> }[];
    };
    const readme = manifest.layers.find((l) => l.annotations[ANNOTATION.title] === 'README.md');
    assert.ok(readme !== undefined);
    const del = await fetch(`${server.url}/v2/broken/adapter/blobs/${readme.digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    const pullErr = await rejectsWith(
      client.pull({ repository: 'broken/adapter', tag: 'v2' }),
      'BLOB_UNKNOWN',
      /README\.md \(sha256:[a-f0-9]{64}\) is named by the manifest but missing from .*broken\/adapter.*HTTP 404.*republish it/,
    );
    assert.equal(pullErr.status, 404);
  });

  test('a publish interrupted midway leaves the previous version intact and nothing half-published', async () => {
    const v1 = adapterWithExtras('tiny-qwen2_prefix_tuning', 'interrupt-v1');
    const first = await client.publish(
      { repository: 'interrupt/adapter', tag: 'v1' },
      { files: v1, annotations: adapterAnnotations(meta()) },
    );
    const v1b = adapterWithExtras('tiny-qwen2_prefix_tuning', 'interrupt-v1-replacement');
    const abort = new AbortController();
    await rejectsWith(
      client.publish(
        { repository: 'interrupt/adapter', tag: 'v1' },
        { files: v1b, annotations: adapterAnnotations(meta()) },
        {
          signal: abort.signal,
          onProgress: (p) => {
            if (p.phase === 'upload' && p.item === 'README.md' && p.bytesDone === p.bytesTotal)
              abort.abort(new Error('killed by the test'));
          },
        },
      ),
      'ABORTED',
      /aborted: killed by the test/,
    );
    // The tag still names the old version, complete.
    const pulled = await client.pull({ repository: 'interrupt/adapter', tag: 'v1' });
    assert.equal(pulled.digest, first.digest);
    assertSameFiles(pulled.files, v1);
    // An interrupted first publish of a new tag leaves no version at all.
    const abort2 = new AbortController();
    await assert.rejects(
      client.publish(
        { repository: 'interrupt/adapter', tag: 'v2' },
        { files: v1b, annotations: adapterAnnotations(meta()) },
        {
          signal: abort2.signal,
          onProgress: (p) => {
            if (p.phase === 'upload' && p.item === ADAPTER_FILE.config) abort2.abort();
          },
        },
      ),
      (e: unknown) => e instanceof RegistryError && e.code === 'ABORTED',
    );
    await rejectsWith(
      client.pull({ repository: 'interrupt/adapter', tag: 'v2' }),
      'MANIFEST_UNKNOWN',
      /no version 'v2'/,
    );
  });

  test('large blobs go up in PATCH chunks; known blobs are mounted across repositories, existing ones skipped', async () => {
    const rec = recordingFetch();
    const chunky = new OciRegistry({
      registry: server.registry,
      fetch: rec.fetch,
      sleep: noSleep,
      chunkThreshold: 2000,
      chunkSize: 3000,
    });
    const files = adapterWithExtras('stories260K_prefix_tuning_proj', 'chunked'); // weights: 10,360 bytes
    await chunky.publish(
      { repository: 'chunks/source', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    const patches = rec.log.filter((r) => r.method === 'PATCH');
    assert.deepEqual(
      patches.map((r) => r.headers['Content-Range']),
      ['0-2999', '3000-5999', '6000-8999', '9000-10359'],
      'weights uploaded in four chunks',
    );
    assert.ok(
      patches.every((r) => r.status === 202 && r.headers['Content-Type'] === 'application/octet-stream'),
    );
    assertSameFiles((await client.pull({ repository: 'chunks/source', tag: 'v1' })).files, files);

    // Same files into another repository: the client knows where the blobs live and mounts them.
    rec.log.length = 0;
    await chunky.publish(
      { repository: 'chunks/copy', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    const mounts = rec.log.filter((r) => r.method === 'POST' && r.url.includes('mount='));
    assert.equal(mounts.length, files.length + 1, 'config and every file mounted');
    assert.ok(mounts.every((r) => r.status === 201 && r.url.includes('from=chunks%2Fsource')));
    assert.equal(
      rec.log.filter((r) => r.method === 'PATCH' || (r.method === 'PUT' && r.url.includes('/blobs/'))).length,
      0,
      'no bytes uploaded again',
    );
    assertSameFiles((await client.pull({ repository: 'chunks/copy', tag: 'v1' })).files, files);

    // A fresh client is told the source repository explicitly.
    const rec2 = recordingFetch();
    const fresh = new OciRegistry({ registry: server.registry, fetch: rec2.fetch, sleep: noSleep });
    await fresh.publish(
      { repository: 'chunks/third', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
      { mountFrom: ['chunks/source'] },
    );
    assert.equal(rec2.log.filter((r) => r.method === 'POST' && r.status === 201).length, files.length + 1);

    // Re-publishing into the same repository uploads nothing: every blob HEAD answers 200.
    rec2.log.length = 0;
    await fresh.publish(
      { repository: 'chunks/third', tag: 'v2' },
      { files, annotations: adapterAnnotations(meta({ version: '2' })) },
    );
    assert.deepEqual([...new Set(rec2.log.map((r) => r.method))].sort(), ['HEAD', 'PUT']);
    assert.equal(rec2.log.filter((r) => r.method === 'PUT').length, 1, 'only the manifest');
  });

  test('evaluation reports attach as referrers through the sha256-<hex> tag fallback', async () => {
    const files = adapterWithExtras('stories260K_prompt_tuning_text_init', 'with-reports');
    const adapter = await client.publish(
      { repository: 'reports/adapter', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    const report1 = new TextEncoder().encode(
      JSON.stringify({ dataset: 'tinystories-val', perplexity: 12.5 }),
    );
    const report2 = new TextEncoder().encode(JSON.stringify({ dataset: 'sst2-dev', accuracy: 0.91 }));
    const a1 = await client.attachEvaluationReport({ repository: 'reports/adapter', tag: 'v1' }, report1, {
      'io.promptadapter.eval.dataset': 'tinystories-val',
    });
    const a2 = await client.attachEvaluationReport(
      { repository: 'reports/adapter', digest: adapter.digest },
      report2,
    );

    // Distribution 2.8 has no referrers API, so the client kept the fallback index.
    const api = await fetch(`${server.url}/v2/reports/adapter/referrers/${adapter.digest}`);
    assert.equal(api.status, 404);
    const tags = await client.listTags('reports/adapter');
    assert.deepEqual(tags.sort(), [referrersTag(adapter.digest), 'v1'].sort());

    const refs = await client.listReferrers({ repository: 'reports/adapter', tag: 'v1' });
    assert.deepEqual(
      refs.map((r) => r.digest),
      [a1.digest, a2.digest],
    );
    assert.ok(refs.every((r) => r.artifactType === MEDIA_TYPE.evalReport));
    assert.equal(refs[0]?.annotations['io.promptadapter.eval.dataset'], 'tinystories-val');
    assert.equal(
      (
        await client.listReferrers(
          { repository: 'reports/adapter', digest: adapter.digest },
          { artifactType: 'application/example' },
        )
      ).length,
      0,
    );

    // The report's manifest names the adapter as its subject; it pulls like any artifact, verified.
    const report = await client.pull(
      { repository: 'reports/adapter', digest: a1.digest },
      { anyArtifactType: true },
    );
    assert.equal(report.artifactType, MEDIA_TYPE.evalReport);
    assert.deepEqual(
      report.files.map((f) => f.name),
      [ADAPTER_FILE.evalReport],
    );
    assert.ok(sameBytes(report.files[0]?.bytes ?? new Uint8Array(), report1));
    const resolved = await client.resolve({ repository: 'reports/adapter', digest: a1.digest });
    const subject = (
      JSON.parse(new TextDecoder().decode(resolved.manifestBytes)) as { subject: { digest: string } }
    ).subject;
    assert.equal(subject.digest, adapter.digest);
    await rejectsWith(
      client.pull({ repository: 'reports/adapter', digest: a1.digest }),
      'NOT_AN_ADAPTER',
      /is not a prompt adapter/,
    );

    // Search skips the index tag and reports.
    const found = await client.search({ repositories: ['reports/adapter'] });
    assert.deepEqual(
      found.map((r) => r.tag),
      ['v1'],
    );
  });

  test('_catalog is paged through Link headers', async () => {
    const rec = recordingFetch();
    const paging = new OciRegistry({
      registry: server.registry,
      fetch: rec.fetch,
      sleep: noSleep,
      pageSize: 2,
    });
    const all = await paging.listRepositories();
    const catalogCalls = rec.log.filter((r) => r.url.includes('/v2/_catalog'));
    assert.ok(all.length >= 5, `expected several repositories by now, got ${all.length}`);
    assert.ok(
      catalogCalls.length >= Math.ceil(all.length / 2),
      `${catalogCalls.length} pages for ${all.length} repositories`,
    );
    assert.ok(catalogCalls.every((r) => r.url.includes('n=2')));
    assert.deepEqual(all, [...all].sort(), 'Distribution lists repositories in order');
    assert.equal(new Set(all).size, all.length, 'no repository listed twice');
    const unpaged = await client.listRepositories();
    assert.deepEqual(all, unpaged);
  });

  test('delete removes a version by digest (resolving the tag first)', async () => {
    const files = goldenAdapter('tiny-gpt2_prompt_tuning');
    const pub = await client.publish(
      { repository: 'delete/me', tag: 'v1' },
      { files, annotations: adapterAnnotations(meta()) },
    );
    await client.publish(
      { repository: 'delete/me', tag: 'v2' },
      { files, annotations: adapterAnnotations(meta({ version: '2' })) },
    );
    await client.delete({ repository: 'delete/me', tag: 'v1' });
    await rejectsWith(
      client.resolve({ repository: 'delete/me', digest: pub.digest }),
      'MANIFEST_UNKNOWN',
      /no manifest/,
    );
    await rejectsWith(
      client.resolve({ repository: 'delete/me', tag: 'v1' }),
      'MANIFEST_UNKNOWN',
      /no version 'v1'/,
    );
    assertSameFiles((await client.pull({ repository: 'delete/me', tag: 'v2' })).files, files);
  });

  test('clear errors for unknown repositories and refusals', async () => {
    await rejectsWith(
      client.pull({ repository: 'nope/nothing', tag: 'v1' }),
      'MANIFEST_UNKNOWN',
      /no version 'v1' in 127\.0\.0\.1:\d+\/nope\/nothing/,
    );
    await rejectsWith(client.listTags('nope/nothing'), 'NAME_UNKNOWN', /does not exist/);
    await rejectsWith(
      client.publish(
        { repository: 'x/y' },
        { files: goldenAdapter('tiny-gpt2_prompt_tuning'), annotations: {} },
      ),
      'INVALID_REF',
      /version tag is required/,
    );
    await rejectsWith(
      client.publish(
        { repository: 'x/y', tag: 'v1' },
        { files: [{ name: '../evil', bytes: new Uint8Array(1) }], annotations: {} },
      ),
      'INVALID_ARTIFACT',
      /not a plain file name/,
    );
    // A registry that is not there: network error after the (instant) retries.
    const port = await freePort();
    const gone = new OciRegistry({
      registry: `127.0.0.1:${port}`,
      fetch: (u, i) => fetch(u, i),
      sleep: noSleep,
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await rejectsWith(
      gone.listTags('a/b'),
      'NETWORK',
      new RegExp(`cannot reach registry 127\\.0\\.0\\.1:${port} .* after 3 attempt\\(s\\).*ECONNREFUSED`),
    );
  });
});
