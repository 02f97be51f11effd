// core/inspect on the real golden adapters and the bundled stories260K model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { parseModelConfig } from '../../../core/formats/hfconfig.js';
import {
  checkAdapterAgainstModel,
  cosineMatrix,
  findEmbeddingTensor,
  floatTensorToFloat32,
  loadAdapterForInspection,
  nearestTokens,
  parseSafetensorsHeader,
  parseTrainingLog,
  recordedFingerprintOf,
  rowNorms,
  safetensorsHeaderLength,
  summarizeHeader,
  vocabFromTokenizerJson,
} from '../../../core/inspect/index.js';
import { parseSafetensors, readFloat32 } from '../../../core/formats/safetensors.js';
import { bundledModel, fixture, readBytes, readJson } from '../../helpers/paths.js';

const adapterDir = (name: string): string => fixture('golden', 'adapters', name);

function loadGolden(name: string, training = {}): ReturnType<typeof loadAdapterForInspection> {
  return loadAdapterForInspection(
    readJson(`${adapterDir(name)}/adapter_config.json`),
    readBytes(`${adapterDir(name)}/adapter_model.safetensors`),
    'adapter_model.safetensors',
    training,
  );
}

function modelFiles(): {
  header: ReturnType<typeof parseSafetensorsHeader>;
  bytes: Uint8Array;
  size: number;
} {
  const bytes = readBytes(`${bundledModel()}/model.safetensors`);
  const n = safetensorsHeaderLength(bytes.subarray(0, 8), 'model.safetensors');
  return {
    header: parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.length, 'model.safetensors'),
    bytes,
    size: bytes.length,
  };
}

describe('norms and cosine', () => {
  it('row norms and cosine of a small matrix', () => {
    const m = new Float32Array([3, 4, 0, 0, -6, -8]); // (3, 2)
    assert.deepEqual(rowNorms(m, 3, 2), [5, 0, 10]);
    const c = cosineMatrix(m, 3, 2);
    assert.deepEqual(
      c.map((x) => Math.round(x * 1e6) / 1e6),
      [1, 0, -1, 0, 0, 0, -1, 0, 1],
    );
  });
});

describe('adapter summary', () => {
  it('reads the golden prompt-tuning adapter: method, shape, norms, symmetric cosine with a unit diagonal', () => {
    const { summary } = loadGolden('stories260K_prompt_tuning');
    assert.equal(summary.method, 'PROMPT_TUNING');
    assert.deepEqual(summary.promptShape, [8, 64]);
    assert.equal(summary.inEmbeddingSpace, true);
    assert.equal(summary.tokenNorms.length, 8);
    const file = parseSafetensors(
      readBytes(`${adapterDir('stories260K_prompt_tuning')}/adapter_model.safetensors`),
    );
    const prompt = readFloat32(file, 'prompt_embeddings');
    let s = 0;
    for (let c = 0; c < 64; c++) s += (prompt[64 * 3 + c] ?? 0) ** 2;
    assert.ok(Math.abs((summary.tokenNorms[3] ?? 0) - Math.sqrt(s)) < 1e-9);
    assert.equal(summary.cosine.length, 64);
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs((summary.cosine[i * 9] ?? 0) - 1) < 1e-6);
      for (let j = 0; j < 8; j++) assert.equal(summary.cosine[i * 8 + j], summary.cosine[j * 8 + i]);
    }
    assert.equal(summary.recordedFingerprint, null);
    assert.deepEqual(summary.lossCurve, []);
  });

  it('prefix tuning rows are per-layer keys/values, not in the embedding space', () => {
    const { summary } = loadGolden('stories260K_prefix_tuning');
    assert.equal(summary.method, 'PREFIX_TUNING');
    assert.deepEqual(summary.promptShape, [8, 320]);
    assert.equal(summary.inEmbeddingSpace, false);
  });

  it('takes the loss curve, evaluations and fingerprint from the training files', () => {
    const log = [
      '{"step":1,"loss":0.9,"lr":0.01}',
      '{"step":2,"loss":0.7,"lr":0.01}',
      'garbage',
      '{"step":2,"eval":{"accuracy":0.75}}',
      '{"step":2,"final":true,"metrics":{"accuracy":0.75}}',
    ].join('\n');
    const metadata = {
      format: 'prompt-adapter-studio/1',
      baseModel: { name: 'stories260K', fingerprint: { embeddingSha256: 'ab', tokenizerSha256: 'cd' } },
    };
    const { summary } = loadGolden('stories260K_prompt_tuning', { log, metadata });
    assert.deepEqual(summary.lossCurve, [
      { step: 1, loss: 0.9 },
      { step: 2, loss: 0.7 },
    ]);
    assert.deepEqual(summary.evalPoints, [{ step: 2, metric: 'accuracy', value: 0.75 }]);
    assert.deepEqual(summary.recordedFingerprint, { embeddingSha256: 'ab', tokenizerSha256: 'cd' });
    assert.equal(summary.trainingMetadata?.format, 'prompt-adapter-studio/1');
    assert.deepEqual(parseTrainingLog(''), { lossCurve: [], evalPoints: [] });
    assert.equal(recordedFingerprintOf({ baseModel: {} }), null);
  });
});

describe('safetensors header without the data', () => {
  it('lists the bundled model’s tensors from the header alone, with absolute offsets', () => {
    const { header, bytes, size } = modelFiles();
    const summary = summarizeHeader(header, size, 'model.safetensors');
    const full = parseSafetensors(bytes);
    assert.equal(summary.tensors.length, full.tensors.size);
    for (const t of header.tensors) {
      const e = full.tensors.get(t.name);
      assert.ok(e !== undefined);
      assert.deepEqual([t.begin, t.end, t.dtype, [...t.shape]], [e.begin, e.end, e.dtype, [...e.shape]]);
    }
    assert.ok(summary.parameters > 250_000 && summary.parameters < 300_000, String(summary.parameters));
  });

  it('refuses a truncated file and a huge header length', () => {
    const { bytes } = modelFiles();
    const n = safetensorsHeaderLength(bytes.subarray(0, 8), 'm');
    assert.throws(() => parseSafetensorsHeader(bytes.subarray(8, 8 + n), 8 + n + 10, 'm'), /truncated/);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    assert.throws(() => safetensorsHeaderLength(huge, 'm'), /not a safetensors file/);
  });

  it('decodes F16 and BF16 little-endian bytes', () => {
    assert.deepEqual(
      [...floatTensorToFloat32(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), 'F16', 't')],
      [1, -2],
    );
    assert.deepEqual([...floatTensorToFloat32(new Uint8Array([0x80, 0x3f]), 'BF16', 't')], [1]);
    assert.throws(() => floatTensorToFloat32(new Uint8Array(4), 'I32', 't'), /not a float tensor/);
  });
});

describe('check against a model', () => {
  const config = parseModelConfig(readJson(`${bundledModel()}/config.json`), 'config.json');
  const vocab = vocabFromTokenizerJson(readJson(`${bundledModel()}/tokenizer.json`));

  function embeddings(): Float32Array {
    const { header, bytes } = modelFiles();
    const name = findEmbeddingTensor(header.tensors.map((t) => t.name));
    const entry = header.tensors.find((t) => t.name === name);
    assert.ok(entry !== undefined);
    return floatTensorToFloat32(bytes.subarray(entry.begin, entry.end), entry.dtype, entry.name);
  }

  it('the vocabulary has one string per id', () => {
    assert.equal(vocab.length, 512);
    assert.ok(vocab.every((t) => typeof t === 'string'));
  });

  it('a text-initialised prompt’s nearest tokens are the tokens of its init text, at cosine 1', () => {
    const { adapter } = loadGolden('stories260K_prompt_tuning_text_init');
    const nearest = nearestTokens(adapter.promptEmbeddings.data, embeddings(), 64, vocab);
    assert.equal(nearest.length, 8);
    for (const list of nearest) {
      assert.equal(list.length, 5);
      assert.ok(Math.abs((list[0]?.cosine ?? 0) - 1) < 1e-5, JSON.stringify(list[0]));
      for (let k = 1; k < list.length; k++) assert.ok((list[k - 1]?.cosine ?? 0) >= (list[k]?.cosine ?? 0));
    }
    const text = nearest.map((l) => l[0]?.token ?? '').join('');
    assert.match(text.replace(/▁/g, ' '), /^<s> Tell a happy stor/);
  });

  it('the golden adapters fit stories260K; a recorded fingerprint must match', () => {
    const { adapter } = loadGolden('stories260K_prompt_tuning');
    const model = { name: 'stories260K', config, fingerprint: 'aa', tokenizerSha256: 'tt' };
    const ok = checkAdapterAgainstModel(adapter, null, model, { data: embeddings(), vocab });
    assert.equal(ok.fits, true);
    assert.equal(ok.fingerprintMatches, null);
    assert.equal(ok.nearest?.length, 8);
    const same = checkAdapterAgainstModel(adapter, { embeddingSha256: 'aa', tokenizerSha256: 'tt' }, model);
    assert.deepEqual([same.fits, same.fingerprintMatches, same.nearest], [true, true, null]);
    const other = checkAdapterAgainstModel(adapter, { embeddingSha256: 'bb', tokenizerSha256: 'tt' }, model);
    assert.equal(other.fits, false);
    assert.equal(other.fingerprintMatches, false);
    assert.match(other.problems.join(' '), /other embedding weights/);
    const otherTokenizer = checkAdapterAgainstModel(
      adapter,
      { embeddingSha256: 'aa', tokenizerSha256: 'zz' },
      model,
    );
    assert.equal(otherTokenizer.fingerprintMatches, false);
    const prefix = checkAdapterAgainstModel(loadGolden('stories260K_prefix_tuning').adapter, null, model, {
      data: embeddings(),
      vocab,
    });
    assert.deepEqual([prefix.fits, prefix.nearest], [true, null]);
  });

  it('names each shape mismatch against another model', () => {
    const tiny = parseModelConfig(readJson(fixture('models', 'tiny-gpt2', 'config.json')), 'config.json');
    const { adapter } = loadGolden('stories260K_prefix_tuning');
    const r = checkAdapterAgainstModel(adapter, null, {
      name: 'tiny-gpt2',
      config: tiny,
      fingerprint: null,
      tokenizerSha256: null,
    });
    assert.equal(r.fits, false);
    assert.ok(
      r.problems.some((p) => p.startsWith('num_layers is 5')),
      r.problems.join(' | '),
    );
    assert.ok(fs.existsSync(fixture('models', 'tiny-gpt2', 'config.json')));
  });
});
