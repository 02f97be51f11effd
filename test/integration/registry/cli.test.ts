// The marketplace commands of the built CLI (`node dist/cli.mjs publish|search|pull`) against a real
// CNCF Distribution 2.8 server (Debian's docker-registry on 127.0.0.1, open and with htpasswd) and against the
// local stand-in of the Hugging Face Hub. Build the CLI first: `node esbuild.mjs cli` (`npm test` does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { goldenAdapter, sameBytes } from '../../harness/registry/adapters.js';
import { startHfServer } from '../../harness/registry/hf-server.js';
import type { RunningHfServer } from '../../harness/registry/hf-server.js';
import { startRegistry } from '../../harness/registry/registry-server.js';
import type { RunningRegistry } from '../../harness/registry/registry-server.js';
import { missingTools } from '../../harness/registry/tools.js';
import { fixture, repoRoot } from '../../helpers/paths.js';

const CLI = path.join(repoRoot, 'dist', 'cli.mjs');
const GOLDEN = 'stories260K_prefix_tuning';
const GOLDEN_DIR = fixture('golden', 'adapters', GOLDEN);

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI asynchronously (the Hub stand-in lives in this process, so a blocking spawnSync would
 * deadlock) with a clean environment: a temp HOME, so that the user's ~/.docker/config.json is never read.
 */
function cli(args: string[], env: Record<string, string> = {}, home?: string): Promise<CliResult> {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: build it first with 'node esbuild.mjs cli'`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home ?? emptyHome, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-home-'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-work-'));
after(() => {
  fs.rmSync(emptyHome, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The pulled folder holds the golden files byte for byte (plus only what the backend adds). */
function assertGoldenIn(dir: string, extra: string[] = []): void {
  const golden = goldenAdapter(GOLDEN);
  assert.deepEqual(fs.readdirSync(dir).sort(), [...golden.map((f) => f.name), ...extra].sort());
  for (const f of golden) {
    assert.ok(
      sameBytes(fs.readFileSync(path.join(dir, f.name)), f.bytes),
      `${f.name} differs after the round trip`,
    );
  }
}

function assertNoLeftovers(parent: string, base: string): void {
  assert.deepEqual(
    fs.readdirSync(parent).filter((n) => n.startsWith(`.${base}.`) || n === base),
    [],
    'a failed pull left files behind',
  );
}

const skipRegistry = missingTools('docker-registry');

describe('CLI against docker-registry 2.8 (no auth)', { skip: skipRegistry ?? false }, () => {
  let server: RunningRegistry;
  before(async () => {
    server = await startRegistry();
  });
  after(async () => {
    await server.stop();
  });

  test('publish → search --json → pull --out gives byte-identical files', async () => {
    const ref = `${server.registry}/golden/stories-prefix:v1`;
    const pub = await cli(['publish', GOLDEN_DIR, ref, '--license', 'MIT', '--json']);
    assert.equal(pub.code, 0, pub.stderr);
    const published = jsonLines(pub.stdout)[0] ?? {};
    assert.equal(published.reference, ref);
    assert.match(String(published.digest), /^sha256:[0-9a-f]{64}$/);

    const search = await cli(['search', server.registry, '--base-model', 'stories260K', '--json']);
    assert.equal(search.code, 0, search.stderr);
    const lines = jsonLines(search.stdout);
    const hit = lines.find((l) => l.repository === 'golden/stories-prefix');
    assert.ok(hit !== undefined, search.stdout);
    assert.equal(hit.tag, 'v1');
    assert.equal(hit.digest, published.digest);
    assert.equal(hit.reference, ref);
    assert.equal(hit.baseModel, 'stories260K');
    assert.equal(hit.method, 'PREFIX_TUNING');
    assert.equal(hit.task, 'CAUSAL_LM');
    assert.equal(hit.virtualTokens, 8);
    assert.equal(hit.license, 'MIT');
    const none = await cli(['search', server.registry, '--task', 'SEQ_CLS', '--json']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');

    const out = path.join(work, 'pulled-open');
    const pull = await cli(['pull', ref, '--out', out]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /verified/);
    assertGoldenIn(out);

    // A non-empty --out is refused unless --force; --force replaces it whole.
    fs.writeFileSync(path.join(out, 'stray.txt'), 'x');
    const again = await cli(['pull', ref, '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty.*--force/);
    const forced = await cli(['pull', `${ref}@${String(published.digest)}`, '--out', out, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assertGoldenIn(out);
  });

  test('a blob corrupted on the server is refused and nothing is written', async () => {
    const ref = `${server.registry}/golden/corrupt:v1`;
    const pub = await cli(['publish', GOLDEN_DIR, ref, '--json']);
    assert.equal(pub.code, 0, pub.stderr);
    const weights = fs.readFileSync(path.join(GOLDEN_DIR, 'adapter_model.safetensors'));
    const { createHash } = await import('node:crypto');
    const blob = server.blobPath(`sha256:${createHash('sha256').update(weights).digest('hex')}`);
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    fs.writeFileSync(blob, bytes);
    try {
      const out = path.join(work, 'corrupt-out');
      const pull = await cli(['pull', ref, '--out', out]);
      assert.equal(pull.code, 1);
      assert.match(pull.stderr, /adapter_model\.safetensors.*refusing it/);
      assertNoLeftovers(work, 'corrupt-out');
    } finally {
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      fs.writeFileSync(blob, bytes);
    }
  });

  test('usage errors exit 2; a missing adapter folder or version exits 1 with the reason', async () => {
    const noOut = await cli(['pull', `${server.registry}/golden/stories-prefix:v1`]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out is required/);
    const badRef = await cli(['pull', 'golden/stories-prefix:v1', '--out', path.join(work, 'x')]);
    assert.equal(badRef.code, 2);
    assert.match(badRef.stderr, /registry host is required/);
    const noTag = await cli(['publish', GOLDEN_DIR, `${server.registry}/golden/x`]);
    assert.equal(noTag.code, 2);
    assert.match(noTag.stderr, /give a version tag/);
    const noDir = await cli(['publish', path.join(work, 'nope'), `${server.registry}/golden/x:v1`]);
    assert.equal(noDir.code, 1);
    assert.match(noDir.stderr, /no such adapter folder/);
    const noVersion = await cli([
      'pull',
      `${server.registry}/golden/stories-prefix:v404`,
      '--out',
      path.join(work, 'y'),
    ]);
    assert.equal(noVersion.code, 1);
    assert.match(noVersion.stderr, /v404/);
    assertNoLeftovers(work, 'y');
  });
});

describe(
  'CLI against docker-registry 2.8 with htpasswd',
  { skip: missingTools('docker-registry', 'htpasswd') ?? false },
  () => {
    const USER = 'alice';
    const PASSWORD = 's3cret-pass';
    let server: RunningRegistry;
    before(async () => {
      server = await startRegistry({ kind: 'htpasswd', users: { [USER]: PASSWORD } });
    });
    after(async () => {
      await server.stop();
    });

    test('credentials from the environment publish; wrong or missing ones exit 1 with a clear message', async (t) => {
      const ref = `${server.registry}/team/stories:v1`;
      const good = { PROMPT_ADAPTER_REGISTRY_USER: USER, PROMPT_ADAPTER_REGISTRY_PASSWORD: PASSWORD };
      const pub = await cli(['publish', GOLDEN_DIR, ref], good);
      assert.equal(pub.code, 0, pub.stderr);

      const wrong = await cli(['pull', ref, '--out', path.join(work, 'wrong')], {
        PROMPT_ADAPTER_REGISTRY_USER: USER,
        PROMPT_ADAPTER_REGISTRY_PASSWORD: 'not-the-password',
      });
      assert.equal(wrong.code, 1);
      t.diagnostic(`wrong credentials: ${wrong.stderr.trim()}`);
      assert.match(wrong.stderr, /401|UNAUTHORIZED|credentials/i);
      assert.ok(!wrong.stderr.includes('not-the-password'), 'the password was printed');
      assertNoLeftovers(work, 'wrong');

      const anonymous = await cli(['search', server.registry, '--json']);
      assert.equal(anonymous.code, 1);
      t.diagnostic(`no credentials: ${anonymous.stderr.trim()}`);
      assert.match(anonymous.stderr, /401|UNAUTHORIZED|credentials/i);
    });

    test('credentials from ~/.docker/config.json (auths.<host>.auth) are used and never printed', async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-docker-home-'));
      try {
        fs.mkdirSync(path.join(home, '.docker'));
        const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
        fs.writeFileSync(
          path.join(home, '.docker', 'config.json'),
          JSON.stringify({ auths: { [server.registry]: { auth } } }),
        );
        const ref = `${server.registry}/team/docker-config:v1`;
        const pub = await cli(['publish', GOLDEN_DIR, ref], {}, home);
        assert.equal(pub.code, 0, pub.stderr);
        const search = await cli(['search', server.registry, '--json'], {}, home);
        assert.equal(search.code, 0, search.stderr);
        assert.ok(
          jsonLines(search.stdout).some((l) => l.repository === 'team/docker-config' && l.tag === 'v1'),
        );
        const out = path.join(work, 'docker-config-out');
        const pull = await cli(['pull', ref, '--out', out], {}, home);
        assert.equal(pull.code, 0, pull.stderr);
        assertGoldenIn(out);
        for (const r of [pub, search, pull]) {
          assert.ok(!(r.stdout + r.stderr).includes(PASSWORD) && !(r.stdout + r.stderr).includes(auth));
        }
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
  },
);

describe('CLI against the Hugging Face Hub stand-in', () => {
  const TOKEN = 'hf_cli_test_token';
  let hub: RunningHfServer;
  before(async () => {
    hub = await startHfServer({ tokens: [TOKEN] });
  });
  after(async () => {
    await hub.stop();
  });

  test('publish hf://owner/name → search hf://owner --json → pull --out gives byte-identical files', async () => {
    const env = { HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN };
    const pub = await cli(['publish', GOLDEN_DIR, 'hf://acme/stories-prefix', '--json'], env);
    assert.equal(pub.code, 0, pub.stderr);
    const published = jsonLines(pub.stdout)[0] ?? {};
    assert.match(String(published.digest), /^[0-9a-f]{40}$/);

    const search = await cli(
      ['search', 'hf://acme', '--base-model', 'stories260K', '--task', 'CAUSAL_LM', '--json'],
      env,
    );
    assert.equal(search.code, 0, search.stderr);
    const hit = jsonLines(search.stdout).find((l) => l.repository === 'acme/stories-prefix');
    assert.ok(hit !== undefined, search.stdout);
    assert.equal(hit.tag, 'main');
    assert.equal(hit.digest, published.digest);
    assert.equal(hit.reference, 'hf://acme/stories-prefix');
    assert.equal(hit.method, 'PREFIX_TUNING');

    const out = path.join(work, 'hf-out');
    const pull = await cli(['pull', `hf://acme/stories-prefix@${String(published.digest)}`, '--out', out], {
      HF_ENDPOINT: hub.url,
    });
    assert.equal(pull.code, 0, pull.stderr);
    assertGoldenIn(out, ['README.md', 'adapter_metadata.json']);

    hub.corrupt('acme/stories-prefix', 'adapter_model.safetensors');
    const bad = await cli(['pull', 'hf://acme/stories-prefix', '--out', path.join(work, 'hf-bad')], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /adapter_model\.safetensors.*refusing it/);
    assertNoLeftovers(work, 'hf-bad');
  });

  test('a wrong HF_TOKEN exits 1 with a clear message', async () => {
    const r = await cli(['publish', GOLDEN_DIR, 'hf://acme/other'], {
      HF_ENDPOINT: hub.url,
      HF_TOKEN: 'hf_wrong',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /HTTP 401.*check HF_TOKEN/);
    assert.ok(!r.stderr.includes('hf_wrong'), 'the token was printed');
  });
});
