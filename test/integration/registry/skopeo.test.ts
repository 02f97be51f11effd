// Interop: an adapter published by our client is readable by an independent OCI client, skopeo (Debian),
// which shows our artifactType and annotations and copies the artifact with its digests intact.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  ADAPTER_FILE,
  ANNOTATION,
  MEDIA_TYPE,
  OciRegistry,
  adapterAnnotations,
} from '../../../core/registry/oci.js';
import type { PublishedAdapter } from '../../../core/registry/types.js';
import { adapterWithExtras } from '../../harness/registry/adapters.js';
import { startRegistry } from '../../harness/registry/registry-server.js';
import type { RunningRegistry } from '../../harness/registry/registry-server.js';
import { missingTools } from '../../harness/registry/tools.js';

const run = promisify(execFile);

interface RawManifest {
  artifactType?: string;
  config: { mediaType: string };
  layers: { digest: string; mediaType: string; annotations?: Record<string, string> }[];
  annotations?: Record<string, string>;
}

describe('skopeo reads our artifacts', { skip: missingTools('docker-registry', 'skopeo') ?? false }, () => {
  let server: RunningRegistry;
  let published: PublishedAdapter;
  let work: string;
  const files = adapterWithExtras('stories260K_prompt_tuning', 'skopeo');
  const annotations = adapterAnnotations({
    baseModel: 'stories260K',
    method: 'PROMPT_TUNING',
    task: 'CAUSAL_LM',
    virtualTokens: 8,
    metrics: { accuracy: 0.91 },
    license: 'MIT',
    created: '2026-01-02T03:04:05Z',
  });

  before(async () => {
    server = await startRegistry();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-skopeo-'));
    const client = new OciRegistry({ registry: server.registry, fetch: (u, i) => fetch(u, i) });
    published = await client.publish({ repository: 'interop/adapter', tag: 'v1' }, { files, annotations });
  });
  after(async () => {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('skopeo inspect --raw shows our artifactType, layers and annotations, and its digest matches', async () => {
    const ref = `docker://${server.registry}/interop/adapter:v1`;
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', ref]);
    const raw = JSON.parse(stdout) as RawManifest;
    assert.equal(raw.artifactType, MEDIA_TYPE.adapter);
    assert.equal(raw.config.mediaType, MEDIA_TYPE.empty);
    assert.deepEqual(raw.annotations, annotations);
    assert.deepEqual(
      raw.layers.map((l) => l.annotations?.[ANNOTATION.title]),
      files.map((f) => f.name),
    );
    assert.equal(
      `sha256:${crypto.createHash('sha256').update(stdout.trimEnd()).digest('hex')}`,
      published.digest,
    );
  });

  test('skopeo inspect (parsed) recognises the manifest as a non-image artifact', async () => {
    const ref = `docker://${server.registry}/interop/adapter:v1`;
    // skopeo 1.9 (containers/image 5.23) parses the manifest, sees a config that is not an image config and
    // refuses image-only output ("unsupported image-specific operation on artifact"); a later skopeo may print
    // it instead. Either way it read our manifest: a fetch or parse failure would say something else.
    try {
      const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', ref]);
      const info = JSON.parse(stdout) as { Digest: string };
      assert.equal(info.Digest, published.digest);
    } catch (e) {
      const stderr = (e as { stderr?: string }).stderr ?? String(e);
      assert.match(
        stderr,
        /unsupported image-specific operation on artifact with type \\?"application\/vnd\.oci\.empty\.v1\+json\\?"/,
        stderr,
      );
    }
    // The config it refers to is the empty descriptor's `{}`.
    const { stdout: config } = await run('skopeo', [
      'inspect',
      '--config',
      '--raw',
      '--tls-verify=false',
      ref,
    ]);
    assert.equal(config.trim(), '{}');
  });

  test('skopeo list-tags and copy to an OCI layout keep our bytes', async () => {
    const { stdout } = await run('skopeo', [
      'list-tags',
      '--tls-verify=false',
      `docker://${server.registry}/interop/adapter`,
    ]);
    assert.deepEqual((JSON.parse(stdout) as { Tags: string[] }).Tags, ['v1']);
    const layout = path.join(work, 'layout');
    await run('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--preserve-digests',
      `docker://${server.registry}/interop/adapter:v1`,
      `oci:${layout}:v1`,
    ]);
    for (const f of files) {
      const digest = `sha256:${crypto.createHash('sha256').update(f.bytes).digest('hex')}`;
      const copied = fs.readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
      assert.equal(Buffer.compare(copied, Buffer.from(f.bytes)), 0, `${f.name} copied intact`);
    }
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, published.digest);
    assert.ok(files.some((f) => f.name === ADAPTER_FILE.weights));
  });
});
