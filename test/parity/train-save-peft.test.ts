// Saving adapters in PEFT's layout: every golden adapter folder (written by PEFT 0.21's save_pretrained),
// loaded and saved again, gives the same adapter_config.json (byte for byte where PEFT wrote no duplicated
// modules_to_save; otherwise the same keys and values once the duplicates are dropped) and the same
// adapter_model.safetensors (byte for byte: names, shapes, values, metadata and layout).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAdapterDir } from '../../cli/files.js';
import { parseModelConfig } from '../../core/formats/hfconfig.js';
import { parseSafetensors, readFloat32 } from '../../core/formats/safetensors.js';
import {
  adapterConfigFieldsOf,
  adapterConfigJson,
  adapterFiles,
  headModuleFor,
} from '../../core/prompts/save.js';
import { bundledModel, fixture, readBytes, readJson } from '../helpers/paths.js';

const adaptersDir = fixture('golden', 'adapters');
const names = fs.readdirSync(adaptersDir).sort();

function modelDirFor(name: string): string {
  if (name.startsWith('stories260K')) return bundledModel('stories260K');
  const tiny = /^(tiny-[a-z0-9]+(?:-[a-z]+)?)_/.exec(name)?.[1];
  assert.ok(tiny !== undefined, `no model for ${name}`);
  return fixture('models', tiny);
}

function normalised(config: Record<string, unknown>): Record<string, unknown> {
  const m = config.modules_to_save;
  return { ...config, modules_to_save: Array.isArray(m) ? [...new Set(m)] : m };
}

describe('adapter files in the PEFT layout', () => {
  assert.ok(names.length >= 10, 'golden adapters are missing');
  for (const name of names) {
    it(`${name} re-saves as PEFT wrote it`, () => {
      const dir = path.join(adaptersDir, name);
      const adapter = readAdapterDir(dir);
      const arch = parseModelConfig(readJson(path.join(modelDirFor(name), 'config.json'))).arch;
      const head = adapter.head === undefined ? undefined : { module: headModuleFor(arch), ...adapter.head };
      const files = adapterFiles(adapterConfigFieldsOf(adapter.config), adapter.promptEmbeddings, head);

      const goldenText = fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8');
      const goldenConfig = JSON.parse(goldenText) as Record<string, unknown>;
      const ours = JSON.parse(files['adapter_config.json']) as Record<string, unknown>;
      assert.deepEqual(Object.keys(ours), Object.keys(goldenConfig).sort(), 'keys, sorted');
      assert.deepEqual(ours, normalised(goldenConfig));
      if (goldenConfig.modules_to_save === null) assert.equal(files['adapter_config.json'], goldenText);

      const goldenBytes = readBytes(path.join(dir, 'adapter_model.safetensors'));
      const a = parseSafetensors(files['adapter_model.safetensors']);
      const g = parseSafetensors(goldenBytes);
      assert.deepEqual([...a.tensors.keys()].sort(), [...g.tensors.keys()].sort(), 'tensor names');
      assert.deepEqual(a.metadata, { format: 'pt' });
      for (const t of g.tensors.keys()) {
        assert.deepEqual(
          [...(a.tensors.get(t)?.shape ?? [])],
          [...(g.tensors.get(t)?.shape ?? [])],
          `${t} shape`,
        );
        assert.deepEqual(readFloat32(a, t), readFloat32(g, t), `${t} values`);
      }
      assert.deepEqual(files['adapter_model.safetensors'], goldenBytes, 'safetensors bytes');
    });
  }

  it('writes PEFT defaults for a fresh prompt-tuning classifier, floats as Python does', () => {
    const text = adapterConfigJson({
      peftType: 'P_TUNING',
      taskType: 'SEQ_CLS',
      numVirtualTokens: 4,
      tokenDim: 64,
      numLayers: 5,
      numAttentionHeads: 8,
      baseModelNameOrPath: 'caf\u00e9',
      encoderDropout: 1e-5,
    });
    const obj = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(obj.modules_to_save, ['classifier', 'score']);
    assert.equal(obj.encoder_hidden_size, 64);
    assert.match(text, /"encoder_dropout": 1e-05,/);
    assert.match(text, /"base_model_name_or_path": "caf\\u00e9",/);
    assert.match(
      adapterConfigJson({
        peftType: 'P_TUNING',
        taskType: 'CAUSAL_LM',
        numVirtualTokens: 4,
        tokenDim: 8,
        numLayers: 1,
        numAttentionHeads: 1,
      }),
      /"encoder_dropout": 0\.0,\n/,
    );
  });

  it('refuses a prompt whose shape does not match the config, and a head on a causal-LM adapter', () => {
    const fields = {
      peftType: 'PREFIX_TUNING',
      taskType: 'CAUSAL_LM',
      numVirtualTokens: 2,
      tokenDim: 4,
      numLayers: 3,
      numAttentionHeads: 1,
    } as const;
    assert.throws(() => adapterFiles(fields, { shape: [2, 4], data: new Float32Array(8) }), /\[2, 24\]/);
    const prompt = { shape: [2, 24], data: new Float32Array(48) };
    assert.throws(
      () =>
        adapterFiles(fields, prompt, {
          module: 'score',
          weight: { shape: [2, 4], data: new Float32Array(8) },
        }),
      /no classification head/,
    );
  });
});
