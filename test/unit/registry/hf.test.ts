// Contract tests of the Hugging Face Hub backend against the local stand-in of the Hub
// (test/harness/registry/hf-server.ts), plus a live test against huggingface.co that runs only when
// HF_TOKEN and PROMPT_ADAPTER_LIVE_HF=1 are set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  annotationsFromCard,
  artifactFromFiles,
  buildModelCard,
  splitFrontMatter,
} from '../../../core/registry/adapter-files.js';
import { HfRegistry, gitBlobOid, verifyHubFile } from '../../../core/registry/hf.js';
import { ADAPTER_FILE, ANNOTATION } from '../../../core/registry/oci-layout.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { AdapterFile } from '../../../core/registry/types.js';
import { goldenAdapter, sameBytes } from '../../harness/registry/adapters.js';
import { parseCardYaml, startHfServer } from '../../harness/registry/hf-server.js';
import type { RunningHfServer } from '../../harness/registry/hf-server.js';

const TOKEN = 'hf_contract_test_token';
const enc = new TextEncoder();
const dec = new TextDecoder();

function rejectsCode(code: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return true;
  };
}

function byName(files: readonly AdapterFile[], name: string): Uint8Array {
  const f = files.find((x) => x.name === name);
  assert.ok(f !== undefined, `no ${name} among ${files.map((x) => x.name).join(', ')}`);
  return f.bytes;
}

describe('model card and metadata (adapter-files)', () => {
  test('reads the annotations from adapter_config.json and the metadata file', () => {
    const files = [
      ...goldenAdapter('stories260K_prefix_tuning'),
      {
        name: 'prompt_adapter.json',
        bytes: enc.encode(JSON.stringify({ license: 'mit', metrics: { loss: 1.25 }, description: 'tiny' })),
      },
    ];
    const { meta, annotations } = artifactFromFiles(files, 'adapters/x');
    assert.deepEqual(meta, {
      baseModel: 'stories260K',
      method: 'PREFIX_TUNING',
      task: 'CAUSAL_LM',
      virtualTokens: 8,
      license: 'mit',
      description: 'tiny',
      metrics: { loss: 1.25 },
    });
    assert.equal(annotations[ANNOTATION.virtualTokens], '8');
    assert.equal(annotations[ANNOTATION.metrics], '{"loss":1.25}');
  });

  test('a folder without adapter_config.json or with a bad metadata file is refused with the file named', () => {
    assert.throws(
      () => artifactFromFiles([{ name: ADAPTER_FILE.weights, bytes: new Uint8Array(4) }], 'adapters/y'),
      rejectsCode('INVALID_ARTIFACT', /adapters\/y: no adapter_config\.json/),
    );
    const bad = [
      ...goldenAdapter('stories260K_prefix_tuning'),
      { name: 'adapter_metadata.json', bytes: enc.encode('{"metrics": {"f1": "high"}}') },
    ];
    assert.throws(
      () => artifactFromFiles(bad, 'adapters/z'),
      rejectsCode('INVALID_ARTIFACT', /adapters\/z\/adapter_metadata\.json: metric 'f1'/),
    );
  });

  test('the card front matter is what the Hub reads: library_name peft, base_model, tags, and reads back', () => {
    const { meta } = artifactFromFiles(goldenAdapter('stories260K_prefix_tuning'), 'a');
    const card = dec.decode(
      buildModelCard(
        { ...meta, license: 'apache-2.0', metrics: { acc: 0.5 } },
        'acme/x',
        enc.encode('# Mine\n\nBody.\n'),
      ),
    );
    const { frontMatter, body } = splitFrontMatter(card);
    assert.ok(frontMatter !== undefined);
    assert.equal(body, '# Mine\n\nBody.\n');
    const parsed = parseCardYaml(frontMatter);
    assert.equal(parsed.library_name, 'peft');
    assert.equal(parsed.base_model, 'stories260K');
    assert.deepEqual(parsed.tags, ['peft', 'prefix-tuning', 'causal-lm']);
    assert.equal(parsed.license, 'apache-2.0');
    const a = annotationsFromCard(parsed, ['peft']);
    assert.ok(a !== undefined);
    assert.equal(a[ANNOTATION.baseModel], 'stories260K');
    assert.equal(a[ANNOTATION.method], 'PREFIX_TUNING');
    assert.equal(a[ANNOTATION.task], 'CAUSAL_LM');
    assert.equal(a[ANNOTATION.virtualTokens], '8');
    assert.equal(a[ANNOTATION.metrics], '{"acc":0.5}');
    // A LoRA adapter (no prompt-learning method anywhere) is not ours.
    assert.equal(
      annotationsFromCard({ base_model: 'gpt2', library_name: 'peft' }, ['peft', 'lora']),
      undefined,
    );
  });

  test('git blob ids match git (`git hash-object`) and verification refuses other bytes', async () => {
    // printf 'hello\n' | git hash-object --stdin
    assert.equal(await gitBlobOid(enc.encode('hello\n')), 'ce013625030ba8dba906f756967f9e9ca394464a');
    const entry = { name: 'x', size: 6, gitOid: 'ce013625030ba8dba906f756967f9e9ca394464a' };
    await verifyHubFile(enc.encode('hello\n'), entry, 'x');
    await assert.rejects(verifyHubFile(enc.encode('hellO\n'), entry, 'x'), rejectsCode('DIGEST_MISMATCH'));
    await assert.rejects(verifyHubFile(enc.encode('hello'), entry, 'x'), rejectsCode('SIZE_MISMATCH'));
    await assert.rejects(
      verifyHubFile(enc.encode('hello\n'), { name: 'x', size: 6 }, 'x'),
      rejectsCode('DIGEST_MISMATCH'),
    );
  });
});

describe('HfRegistry against a local Hub', () => {
  let hub: RunningHfServer;
  let client: HfRegistry;

  before(async () => {
    hub = await startHfServer({ tokens: [TOKEN], pageSize: 2 });
    client = new HfRegistry({ hubUrl: hub.url, fetch: (i, init) => fetch(i, init), accessToken: TOKEN });
  });
  after(async () => {
    await hub.stop();
  });

  test('publish → search → pull gives byte-identical files, pinned to the commit', async () => {
    const golden = goldenAdapter('stories260K_prefix_tuning');
    const artifact = artifactFromFiles(golden, 'golden/stories260K_prefix_tuning', { license: 'mit' });
    const published = await client.publish({ repository: 'acme/stories-prefix' }, artifact);
    assert.match(published.digest, /^[0-9a-f]{40}$/);
    assert.equal(published.digest, hub.head('acme/stories-prefix'));
    // The safetensors went through LFS (preupload said so), the rest as regular files.
    assert.ok(hub.requests.some((r) => r.method === 'PUT' && r.path.startsWith('/lfs-upload/')));
    assert.ok(
      hub.requests.some((r) => r.path === '/api/models/acme/stories-prefix/commit/main' && r.status === 200),
    );

    const found = await client.search({ baseModel: 'stories260K', task: 'CAUSAL_LM' });
    const hit = found.find((r) => r.repository === 'acme/stories-prefix');
    assert.ok(hit !== undefined, JSON.stringify(found));
    assert.equal(hit.tag, 'main');
    assert.equal(hit.digest, published.digest);
    assert.equal(hit.annotations[ANNOTATION.method], 'PREFIX_TUNING');
    assert.equal(hit.annotations[ANNOTATION.licenses], 'mit');
    // The Hub filtered by the PEFT tags.
    const listCall = hub.requests.find((r) => r.path === '/api/models');
    assert.ok(listCall !== undefined);
    const filters = new URLSearchParams(listCall.query).getAll('filter');
    assert.deepEqual(filters, ['peft', 'base_model:adapter:stories260K', 'causal-lm']);

    const pulled = await client.pull({ repository: 'acme/stories-prefix' });
    assert.equal(pulled.digest, published.digest);
    for (const f of golden) assert.ok(sameBytes(byName(pulled.files, f.name), f.bytes), `${f.name} differs`);
    const card = dec.decode(byName(pulled.files, 'README.md'));
    assert.match(card, /^---\nlibrary_name: peft\nbase_model: "stories260K"\n/);
    const metadata = JSON.parse(dec.decode(byName(pulled.files, ADAPTER_FILE.legacyMetadata))) as Record<
      string,
      unknown
    >;
    assert.equal(metadata.method, 'PREFIX_TUNING');
    assert.deepEqual(pulled.files.map((f) => f.name).sort(), [
      'README.md',
      'adapter_config.json',
      'adapter_metadata.json',
      'adapter_model.safetensors',
    ]);
    // Pinned by commit id: the same bytes come back by digest.
    const again = await client.pull({ repository: 'acme/stories-prefix', digest: published.digest });
    assert.ok(sameBytes(byName(again.files, ADAPTER_FILE.weights), byName(golden, ADAPTER_FILE.weights)));
  });

  test('search filters by base model and task, pages through Link, and leaves other PEFT models out', async () => {
    for (const [name, adapter] of [
      ['acme/qwen-prompt', 'tiny-qwen2_prompt_tuning'],
      ['acme/gpt2-prefix', 'tiny-gpt2_prefix_tuning'],
      ['other/stories-prompt', 'stories260K_prompt_tuning'],
    ] as const) {
      await client.publish({ repository: name }, artifactFromFiles(goldenAdapter(adapter), adapter));
    }
    const stories = await client.search({ baseModel: 'stories260K' });
    assert.deepEqual(stories.map((r) => r.repository).sort(), [
      'acme/stories-prefix',
      'other/stories-prompt',
    ]);
    const byOwner = await client.search({ owner: 'acme' });
    assert.deepEqual(byOwner.map((r) => r.repository).sort(), [
      'acme/gpt2-prefix',
      'acme/qwen-prompt',
      'acme/stories-prefix',
    ]);
    assert.equal((await client.search({ baseModel: 'stories260K', task: 'SEQ_CLS' })).length, 0);
    assert.equal((await client.search({ owner: 'acme', limit: 1 })).length, 1);
    // More than one page (pageSize 2) was read through the Link header.
    assert.ok(hub.requests.filter((r) => r.path === '/api/models').length >= 2);
  });

  test('a corrupted download is refused: LFS file by sha256, regular file by git blob id', async () => {
    const golden = goldenAdapter('stories260K_prompt_tuning');
    await client.publish({ repository: 'acme/corrupt-me' }, artifactFromFiles(golden, 'g'));
    hub.corrupt('acme/corrupt-me', ADAPTER_FILE.weights);
    await assert.rejects(
      client.pull({ repository: 'acme/corrupt-me' }),
      rejectsCode('DIGEST_MISMATCH', /adapter_model\.safetensors .*\(LFS oid\); refusing it/),
    );
    await client.publish({ repository: 'acme/corrupt-config' }, artifactFromFiles(golden, 'g'));
    hub.corrupt('acme/corrupt-config', ADAPTER_FILE.config);
    await assert.rejects(
      client.pull({ repository: 'acme/corrupt-config' }),
      rejectsCode('DIGEST_MISMATCH', /adapter_config\.json .*git blob id/),
    );
  });

  test('wrong or missing credentials and unknown repos give clear errors', async () => {
    const wrong = new HfRegistry({
      hubUrl: hub.url,
      fetch: (i, init) => fetch(i, init),
      accessToken: 'hf_wrong',
    });
    const artifact = artifactFromFiles(goldenAdapter('stories260K_prompt_tuning'), 'g');
    await assert.rejects(
      wrong.publish({ repository: 'acme/nope' }, artifact),
      rejectsCode('UNAUTHORIZED', /HTTP 401.*check HF_TOKEN/),
    );
    const anonymous = new HfRegistry({ hubUrl: hub.url, fetch: (i, init) => fetch(i, init) });
    await assert.rejects(
      anonymous.publish({ repository: 'acme/nope' }, artifact),
      rejectsCode('UNAUTHORIZED', /set HF_TOKEN/),
    );
    assert.throws(
      () => new HfRegistry({ hubUrl: hub.url, fetch: (i, init) => fetch(i, init), accessToken: 'ghp_x' }),
      rejectsCode('UNAUTHORIZED', /does not start with "hf_"/),
    );
    await assert.rejects(
      anonymous.pull({ repository: 'acme/missing' }),
      rejectsCode('NAME_UNKNOWN', /HTTP 404/),
    );
    await assert.rejects(
      client.publish({ repository: 'acme/x', tag: 'v2' }, artifact),
      rejectsCode('INVALID_REF', /commits of main/),
    );
    assert.throws(
      () => new HfRegistry({ hubUrl: 'http://hub.example.com', fetch: (i, init) => fetch(i, init) }),
      rejectsCode('INSECURE'),
    );
    // Anonymous reads of public repos work.
    const pulled = await anonymous.pull({ repository: 'acme/stories-prefix' });
    assert.ok(pulled.files.length >= 3);
  });

  test('an aborted operation stops with ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      client.pull({ repository: 'acme/stories-prefix' }, { signal: controller.signal }),
      rejectsCode('ABORTED'),
    );
  });

  test('a repo that is not a PEFT adapter is refused on pull', async () => {
    await client.publish(
      { repository: 'acme/half' },
      artifactFromFiles(goldenAdapter('stories260K_prompt_tuning'), 'g'),
    );
    // Remove adapter_config.json through a raw commit (as someone editing the repo on the website would).
    const res = await fetch(`${hub.url}/api/models/acme/half/commit/main`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body: [
        JSON.stringify({ key: 'header', value: { summary: 'rm' } }),
        JSON.stringify({ key: 'deletedFile', value: { path: ADAPTER_FILE.config } }),
      ].join('\n'),
    });
    assert.equal(res.status, 200);
    await assert.rejects(client.pull({ repository: 'acme/half' }), rejectsCode('NOT_AN_ADAPTER'));
  });
});

const LIVE_REASON =
  process.env.HF_TOKEN === undefined || process.env.PROMPT_ADAPTER_LIVE_HF !== '1'
    ? 'live Hub test: set HF_TOKEN (a write token) and PROMPT_ADAPTER_LIVE_HF=1 (optionally PROMPT_ADAPTER_LIVE_HF_REPO=owner/name) to run it'
    : undefined;

test('live: publish → search → pull on huggingface.co', { skip: LIVE_REASON ?? false }, async () => {
  const token = process.env.HF_TOKEN ?? '';
  const live = new HfRegistry({ fetch: (i, init) => fetch(i, init), accessToken: token });
  const whoami = (await (
    await fetch('https://huggingface.co/api/whoami-v2', { headers: { Authorization: `Bearer ${token}` } })
  ).json()) as { name: string };
  const repository = process.env.PROMPT_ADAPTER_LIVE_HF_REPO ?? `${whoami.name}/prompt-adapter-live-test`;
  const golden = goldenAdapter('stories260K_prefix_tuning');
  // base_model must name a real Hub model for the Hub to derive base_model:adapter:<id>.
  const artifact = artifactFromFiles(golden, 'golden', { baseModel: 'karpathy/tinyllamas' });
  const published = await live.publish({ repository }, artifact);
  const pulled = await live.pull({ repository, digest: published.digest });
  for (const f of golden) assert.ok(sameBytes(byName(pulled.files, f.name), f.bytes), `${f.name} differs`);
  const owner = repository.split('/')[0] ?? '';
  const found = await live.search({ owner, baseModel: 'karpathy/tinyllamas' });
  assert.ok(
    found.some((r) => r.repository === repository),
    `search did not list ${repository} (the Hub's index may lag a few seconds)`,
  );
});
