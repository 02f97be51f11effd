// The local-folder backend (install cache) over an in-memory FileStore, and over the CLI's Node FileStore in
// a temp folder: install → list → search → pull byte-identical; a file changed on disk is refused; a failed
// install leaves nothing (and keeps the previous version).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { NodeFileStore } from '../../../cli/registry-env.js';
import { artifactFromFiles } from '../../../core/registry/adapter-files.js';
import { LOCAL_INDEX_FILE, LocalRegistry } from '../../../core/registry/local.js';
import type { FileStore } from '../../../core/registry/local.js';
import { ADAPTER_FILE, ANNOTATION } from '../../../core/registry/oci-layout.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { AdapterArtifact } from '../../../core/registry/types.js';
import { adapterWithExtras, goldenAdapter, sameBytes } from '../../harness/registry/adapters.js';

/** A FileStore in memory: files by path; folders exist while something lies under them (or were made empty). */
class MemoryStore implements FileStore {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>();
  private n = 0;
  /** When set, writeFile throws after this many more writes (a full disk, a killed process). */
  failAfterWrites: number | undefined;

  private under(p: string): string[] {
    return [...this.files.keys(), ...this.dirs].filter((k) => k.startsWith(`${p}/`));
  }

  readFile(p: string): Promise<Uint8Array | undefined> {
    const b = this.files.get(p);
    return Promise.resolve(b === undefined ? undefined : new Uint8Array(b));
  }
  writeFile(p: string, bytes: Uint8Array): Promise<void> {
    if (this.failAfterWrites !== undefined && this.failAfterWrites-- <= 0) {
      return Promise.reject(new Error('ENOSPC: no space left on device'));
    }
    this.files.set(p, new Uint8Array(bytes));
    return Promise.resolve();
  }
  rename(from: string, to: string): Promise<void> {
    if (this.files.has(to) || this.under(to).length > 0 || this.dirs.has(to)) {
      return Promise.reject(new Error(`ENOTEMPTY: ${to}`));
    }
    if (this.files.has(from)) {
      this.files.set(to, this.files.get(from) ?? new Uint8Array());
      this.files.delete(from);
      return Promise.resolve();
    }
    for (const [k, v] of [...this.files]) {
      if (k.startsWith(`${from}/`)) {
        this.files.delete(k);
        this.files.set(to + k.slice(from.length), v);
      }
    }
    for (const d of [...this.dirs]) {
      if (d === from || d.startsWith(`${from}/`)) {
        this.dirs.delete(d);
        this.dirs.add(to + d.slice(from.length));
      }
    }
    return Promise.resolve();
  }
  list(p: string): Promise<string[]> {
    const prefix = p === '' ? '' : `${p}/`;
    const names = new Set<string>();
    for (const k of [...this.files.keys(), ...this.dirs]) {
      if (k.startsWith(prefix) && k.length > prefix.length)
        names.add(k.slice(prefix.length).split('/')[0] ?? '');
    }
    return Promise.resolve([...names]);
  }
  remove(p: string): Promise<void> {
    this.files.delete(p);
    this.dirs.delete(p);
    for (const k of this.under(p)) {
      this.files.delete(k);
      this.dirs.delete(k);
    }
    return Promise.resolve();
  }
  mkdtemp(prefix: string): Promise<string> {
    const p = `${prefix}${++this.n}`;
    this.dirs.add(p);
    return Promise.resolve(p);
  }
}

function rejectsCode(code: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return true;
  };
}

function artifact(name: string, marker: string): AdapterArtifact {
  return artifactFromFiles(adapterWithExtras(name, marker), name);
}

function contractTests(
  makeStore: () => { store: FileStore; corrupt: (p: string) => Promise<void>; done: () => void },
) {
  test('install → list → search → pull gives byte-identical files; the digest pins the version', async () => {
    const { store, done } = makeStore();
    try {
      const local = new LocalRegistry({ store, label: 'cache' });
      const a = artifact('stories260K_prefix_tuning', 'one');
      const b = artifact('tiny-qwen2_prompt_tuning', 'two');
      const pa = await local.publish({ repository: 'acme/stories-prefix', tag: 'v1' }, a);
      await local.publish({ repository: 'hf.example/Acme/Qwen-Prompt', tag: 'main' }, b);
      assert.match(pa.digest, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(await local.listRepositories(), [
        'acme/stories-prefix',
        'hf.example/Acme/Qwen-Prompt',
      ]);
      assert.deepEqual(await local.listTags('acme/stories-prefix'), ['v1']);

      const found = await local.search({ baseModel: 'stories260K' });
      assert.deepEqual(
        found.map((r) => [r.repository, r.tag, r.digest]),
        [['acme/stories-prefix', 'v1', pa.digest]],
      );
      const first = found[0];
      assert.ok(first !== undefined);
      assert.equal(first.annotations[ANNOTATION.method], 'PREFIX_TUNING');
      assert.match(first.annotations[ANNOTATION.created] ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal((await local.search({ task: 'CAUSAL_LM' })).length, 2);
      assert.equal((await local.search({ text: 'qwen' })).length, 1);

      const pulled = await local.pull({ repository: 'acme/stories-prefix', tag: 'v1' });
      assert.equal(pulled.digest, pa.digest);
      assert.deepEqual(
        pulled.files.map((f) => f.name),
        a.files.map((f) => f.name),
      );
      for (const f of a.files) {
        const got = pulled.files.find((x) => x.name === f.name);
        assert.ok(got !== undefined && sameBytes(got.bytes, f.bytes), `${f.name} differs`);
      }
      const byDigest = await local.resolve({ repository: 'acme/stories-prefix', digest: pa.digest });
      assert.equal(byDigest.tag, 'v1');
      await assert.rejects(
        local.pull({ repository: 'acme/stories-prefix', tag: 'v1', digest: `sha256:${'0'.repeat(64)}` }),
        rejectsCode('DIGEST_MISMATCH'),
      );
      await assert.rejects(
        local.pull({ repository: 'acme/stories-prefix', tag: 'v9' }),
        rejectsCode('MANIFEST_UNKNOWN', /no version 'v9'.*installed: v1/),
      );
      // Nothing staged is left over.
      assert.deepEqual(await store.list('.tmp'), []);
      await local.delete({ repository: 'acme/stories-prefix', digest: pa.digest });
      assert.deepEqual(await local.listTags('acme/stories-prefix'), []);
    } finally {
      done();
    }
  });

  test('a file changed on disk after install is refused on pull', async () => {
    const { store, corrupt, done } = makeStore();
    try {
      const local = new LocalRegistry({ store });
      await local.publish({ repository: 'acme/x', tag: 'v1' }, artifact('stories260K_prompt_tuning', 'c'));
      await corrupt(`acme/x/v1/${ADAPTER_FILE.weights}`);
      await assert.rejects(
        local.pull({ repository: 'acme/x', tag: 'v1' }),
        rejectsCode('DIGEST_MISMATCH', /acme\/x\/v1\/adapter_model\.safetensors/),
      );
    } finally {
      done();
    }
  });

  test('bad names are refused before anything is written', async () => {
    const { store, done } = makeStore();
    try {
      const local = new LocalRegistry({ store });
      const good = artifact('stories260K_prompt_tuning', 'n');
      await assert.rejects(
        local.publish({ repository: '../etc', tag: 'v1' }, good),
        rejectsCode('INVALID_REF'),
      );
      await assert.rejects(
        local.publish({ repository: 'acme/x' }, good),
        rejectsCode('INVALID_REF', /tag is required/),
      );
      await assert.rejects(
        local.publish(
          { repository: 'acme/x', tag: 'v1' },
          { ...good, files: [...good.files, { name: LOCAL_INDEX_FILE, bytes: new Uint8Array(1) }] },
        ),
        rejectsCode('INVALID_ARTIFACT', /reserved/),
      );
      assert.deepEqual(await store.list(''), []);
    } finally {
      done();
    }
  });
}

describe('LocalRegistry over memory', () => {
  contractTests(() => {
    const store = new MemoryStore();
    return {
      store,
      corrupt: (p) => {
        const b = store.files.get(p);
        assert.ok(b !== undefined);
        b[0] = (b[0] ?? 0) ^ 1;
        return Promise.resolve();
      },
      done: () => undefined,
    };
  });

  test('an install that fails midway leaves nothing and keeps the previous version', async () => {
    const store = new MemoryStore();
    const local = new LocalRegistry({ store });
    const v1 = artifact('stories260K_prompt_tuning', 'first');
    const first = await local.publish({ repository: 'acme/x', tag: 'v1' }, v1);
    store.failAfterWrites = 2;
    await assert.rejects(
      local.publish({ repository: 'acme/x', tag: 'v1' }, artifact('stories260K_prefix_tuning', 'second')),
      /ENOSPC/,
    );
    store.failAfterWrites = undefined;
    assert.deepEqual(await store.list('.tmp'), []);
    const pulled = await local.pull({ repository: 'acme/x', tag: 'v1' });
    assert.equal(pulled.digest, first.digest);
    // A replace that succeeds swaps the version whole.
    const second = await local.publish(
      { repository: 'acme/x', tag: 'v1' },
      artifact('stories260K_prefix_tuning', 's'),
    );
    assert.notEqual(second.digest, first.digest);
    assert.equal(
      (await local.pull({ repository: 'acme/x', tag: 'v1' })).annotations[ANNOTATION.method],
      'PREFIX_TUNING',
    );
    assert.deepEqual(await store.list('.tmp'), []);
  });

  test('an install whose bytes do not read back is refused before it replaces anything', async () => {
    const store = new MemoryStore();
    const original = store.readFile.bind(store);
    // A store that damages what it returns (a bad disk): verification must catch it.
    store.readFile = async (p) => {
      const b = await original(p);
      if (b !== undefined && p.endsWith(ADAPTER_FILE.weights)) b[0] = (b[0] ?? 0) ^ 1;
      return b;
    };
    const local = new LocalRegistry({ store });
    await assert.rejects(
      local.publish({ repository: 'acme/x', tag: 'v1' }, artifact('stories260K_prompt_tuning', 'x')),
      rejectsCode('DIGEST_MISMATCH', /as written/),
    );
    // Nothing at all is left: no version, no staged folder.
    assert.deepEqual(await store.list(''), []);
  });
});

describe('LocalRegistry over the Node file store', () => {
  contractTests(() => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-cache-'));
    return {
      store: new NodeFileStore(root),
      corrupt: (p) => {
        const file = path.join(root, ...p.split('/'));
        const b = fs.readFileSync(file);
        b[0] = (b[0] ?? 0) ^ 1;
        fs.writeFileSync(file, b);
        return Promise.resolve();
      },
      done: () => {
        fs.rmSync(root, { recursive: true, force: true });
      },
    };
  });

  test('the Node store refuses paths that leave its root', () => {
    const store = new NodeFileStore(os.tmpdir());
    assert.throws(() => store.resolve('a/../../etc/passwd'), /not a plain path/);
  });

  test('the golden adapters install and read back unchanged', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-cache-'));
    try {
      const local = new LocalRegistry({ store: new NodeFileStore(root) });
      const files = goldenAdapter('stories260K_seqcls_prefix_tuning');
      await local.publish({ repository: 'golden/seqcls', tag: 'v1' }, artifactFromFiles(files, 'g'));
      for (const f of files) {
        assert.ok(sameBytes(fs.readFileSync(path.join(root, 'golden/seqcls/v1', f.name)), f.bytes));
      }
      assert.deepEqual(fs.readdirSync(root).sort(), ['.tmp', 'golden']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
