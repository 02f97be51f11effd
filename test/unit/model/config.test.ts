// config.json parsing (both rope styles, llama3 scaling, head_dim, biases) and adapter-fit checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseModelConfig } from '../../../core/formats/hfconfig.js';
import { ropeInverseFrequencies } from '../../../core/model/llama.js';
import {
  AdapterError,
  checkAdapterFitsModel,
  loadPromptAdapter,
  parseAdapterConfig,
} from '../../../core/prompts/peft.js';
import { bundledModel, fixture, readJson } from '../../helpers/paths.js';

const llama = {
  model_type: 'llama',
  architectures: ['LlamaForCausalLM'],
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  vocab_size: 100,
};

describe('config.json', () => {
  it('reads transformers 5 rope_parameters and the older top-level rope_theta alike', () => {
    const a = parseModelConfig({ ...llama, rope_parameters: { rope_theta: 500000, rope_type: 'default' } });
    const b = parseModelConfig({ ...llama, rope_theta: 500000 });
    assert.equal(a.rope?.theta, 500000);
    assert.deepEqual(a.rope, b.rope);
    assert.equal(a.headDim, 8);
    assert.equal(parseModelConfig({ ...llama, head_dim: 16 }).headDim, 16);
  });

  it('reads llama3 rope scaling and applies it to low frequencies only', () => {
    const scaling = {
      rope_type: 'llama3',
      factor: 8,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    };
    const c = parseModelConfig({ ...llama, rope_theta: 500000, rope_scaling: scaling });
    assert.equal(c.rope?.type, 'llama3');
    const plain = ropeInverseFrequencies({ theta: 500000, type: 'default', partialRotaryFactor: 1 }, 64);
    const scaled = ropeInverseFrequencies(c.rope, 64);
    assert.equal(scaled[0], plain[0]); // highest frequency: unchanged
    assert.ok(Math.abs(scaled[31]! - plain[31]! / 8) < 1e-12); // lowest frequency: divided by the factor
  });

  it('Qwen2 has q/k/v bias; Llama attention_bias adds o bias too; tie flags are read', () => {
    const q = parseModelConfig({ ...llama, model_type: 'qwen2', tie_word_embeddings: true });
    assert.equal(q.qkvBias, true);
    assert.equal(q.oBias, false);
    assert.equal(q.tieWordEmbeddings, true);
    const l = parseModelConfig({ ...llama, attention_bias: true });
    assert.equal(l.oBias, true);
  });

  it('names the file and field on bad input', () => {
    assert.throws(
      () => parseModelConfig({ model_type: 'mamba' }, 'x/config.json'),
      /x\/config\.json: unknown architecture/,
    );
    assert.throws(
      () => parseModelConfig({ ...llama, hidden_size: 'big' }, 'c.json'),
      (e: unknown) => e instanceof ConfigError && /hidden_size/.test(String(e)),
    );
    assert.throws(
      () => parseModelConfig({ ...llama, num_key_value_heads: 3 }),
      /multiple of num_key_value_heads/,
    );
    assert.throws(
      () => parseModelConfig({ ...llama, rope_scaling: { rope_type: 'yarn', factor: 2 } }),
      /rope type "yarn" is not supported/,
    );
  });
});

describe('adapter fit', () => {
  const stories = parseModelConfig(readJson(`${bundledModel('stories260K')}/config.json`));
  const prefixConfig = readJson<Record<string, unknown>>(
    fixture('golden', 'adapters', 'stories260K_prefix_tuning', 'adapter_config.json'),
  );
  const tensors = (shape: number[]) => ({
    names: ['prompt_embeddings'],
    has: (n: string) => n === 'prompt_embeddings',
    get: () => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }),
  });

  it('accepts the golden prefix adapter and refuses wrong KV heads, layers and widths', () => {
    checkAdapterFitsModel(loadPromptAdapter(prefixConfig, tensors([8, 320]), 'ok'), stories);
    const wrongHeads = loadPromptAdapter(
      { ...prefixConfig, num_attention_heads: 8, token_dim: 64 },
      tensors([8, 640]),
      'a',
    );
    assert.throws(
      () => {
        checkAdapterFitsModel(wrongHeads, stories);
      },
      (e: unknown) =>
        e instanceof AdapterError &&
        /token_dim is 64 but the model needs 32/.test(String(e)) &&
        /num_attention_heads is 8 but the model has 4 key\/value heads/.test(String(e)),
    );
    const wrongLayers = loadPromptAdapter({ ...prefixConfig, num_layers: 4 }, tensors([8, 256]), 'b');
    assert.throws(() => {
      checkAdapterFitsModel(wrongLayers, stories);
    }, /num_layers is 4 but the model has 5 layers/);
  });

  it('refuses a prompt_embeddings tensor that disagrees with adapter_config.json', () => {
    assert.throws(
      () => loadPromptAdapter(prefixConfig, tensors([8, 64]), 'dir'),
      /dir: "prompt_embeddings" has shape \[8, 64\] but adapter_config\.json implies \[8, 320\]/,
    );
    assert.throws(
      () => parseAdapterConfig({ ...prefixConfig, peft_type: 'LORA' }, 'd'),
      /peft_type "LORA" is not a prompt-learning method/,
    );
  });

  it('reads modules_to_save with PEFT duplicates once', () => {
    const cfg = parseAdapterConfig(
      readJson(fixture('golden', 'adapters', 'stories260K_seqcls_prompt_tuning', 'adapter_config.json')),
    );
    assert.deepEqual(cfg.modulesToSave, ['classifier', 'score']);
  });
});
