// `train --method ptuning` run in-process on the bundled stories260K (tfjs cpu) with a few SMS spam rows: the
// adapter folder is PEFT's P_TUNING layout (the golden adapter's keys, our encoder settings) whose
// prompt_embeddings are the encoder's output, `eval` of it reproduces train's metrics, the checkpoint keeps
// the encoder (a resumed run continues it), and the LSTM encoder trains too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evalCommand } from '../../../cli/commands/eval.js';
import { trainCommand } from '../../../cli/commands/train.js';
import { parseSafetensors, readFloat32 } from '../../../core/formats/safetensors.js';
import { decodeCheckpoint } from '../../../core/train/checkpoint.js';
import { loadModel } from '../../../cli/load.js';
import { initialPrompt } from '../../../core/tasks/init.js';
import { encodePrompt, encoderParamShapes, initEncoderParams } from '../../../core/train/prompt-encoder.js';
import type { PromptEncoderConfig } from '../../../core/train/prompt-encoder.js';
import { bundledModel, fixture, readBytes } from '../../helpers/paths.js';

const model = bundledModel('stories260K');

/**
 * Runs a command in this process, capturing the text it writes to stdout and stderr. Binary chunks pass
 * through: node:test's child-process reporter writes its own (serialized) messages to stdout.
 */
async function runCommand(
  command: { run: (args: string[]) => Promise<void> },
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    if (typeof chunk !== 'string') return out(chunk);
    stdout += chunk;
    return true;
  };
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    if (typeof chunk !== 'string') return err(chunk);
    stderr += chunk;
    return true;
  };
  try {
    await command.run(args);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return { stdout, stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
}

function readJsonObject(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

describe('prompt-adapter train --method ptuning (in-process, tfjs cpu)', () => {
  let tmp = '';
  let trainFile = '';
  let testFile = '';
  let base: string[] = [];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-ptuning-'));
    const lines = fs
      .readFileSync(fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'), 'utf8')
      .trim()
      .split('\n');
    trainFile = path.join(tmp, 'train.tsv');
    testFile = path.join(tmp, 'test.tsv');
    // small and short (--max-length 32): this suite runs on a shared 2-core machine
    fs.writeFileSync(trainFile, lines.slice(0, 24).join('\n') + '\n');
    fs.writeFileSync(testFile, lines.slice(4000, 4016).join('\n') + '\n');
    // the verbalizer head keeps these runs short (no linear-probe warm start)
    base = [
      '--model',
      model,
      '--backend',
      'cpu',
      '--max-length',
      '32',
      '--task',
      'classification',
      '--head',
      'verbalizer',
      '--data',
      trainFile,
      '--eval',
      testFile,
      '--batch-size',
      '8',
      '--virtual-tokens',
      '4',
      '--method',
      'ptuning',
    ];
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("saves PEFT's P_TUNING layout with the encoder's output; eval reproduces train; --resume continues the encoder", async () => {
    const out = path.join(tmp, 'mlp');
    const t = await runCommand(trainCommand, [
      ...base,
      '--encoder-hidden-size',
      '16',
      '--steps',
      '2',
      '--lr',
      '0.01',
      '--out',
      out,
    ]);
    const summary = lastJson(t.stdout);
    assert.equal(summary.steps, 2);

    const text = fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8');
    const config = JSON.parse(text) as Record<string, unknown>;
    const golden = readJsonObject(
      fixture('golden', 'adapters', 'stories260K_p_tuning_mlp', 'adapter_config.json'),
    );
    assert.deepEqual(Object.keys(config), Object.keys(golden).sort(), "PEFT's P_TUNING keys, sorted");
    assert.equal(config.peft_type, 'P_TUNING');
    assert.equal(config.encoder_reparameterization_type, 'MLP');
    assert.equal(config.encoder_hidden_size, 16);
    assert.equal(config.encoder_num_layers, 2);
    assert.match(text, /"encoder_dropout": 0\.0,/);
    assert.equal(config.num_virtual_tokens, 4);
    assert.equal(config.token_dim, 64);
    assert.equal(config.task_type, 'CAUSAL_LM');

    const adapterFile = parseSafetensors(readBytes(path.join(out, 'adapter_model.safetensors')));
    assert.deepEqual([...adapterFile.tensors.keys()], ['prompt_embeddings']);
    const stored = readFloat32(adapterFile, 'prompt_embeddings');
    const metadata = readJsonObject(path.join(out, 'prompt_adapter.json'));
    const training = metadata.training as Record<string, unknown>;
    assert.equal(training.method, 'ptuning');
    assert.deepEqual(training.encoder, { type: 'MLP', hiddenSize: 16, numLayers: 2 });

    const checkpoint = decodeCheckpoint(readBytes(path.join(out, 'checkpoint.safetensors')));
    const encoderConfig: PromptEncoderConfig = {
      type: 'MLP',
      virtualTokens: 4,
      tokenDim: 64,
      hiddenSize: 16,
      numLayers: 2,
    };
    assert.deepEqual(
      Object.keys(checkpoint.encoder ?? {}).sort(),
      Object.keys(encoderParamShapes(encoderConfig)).sort(),
    );
    assert.deepEqual(checkpoint.prompt.shape, [4, 64]);
    const savedStep = (training.selection as { savedStep: number }).savedStep;
    if (savedStep === checkpoint.step) {
      // the adapter of the last step: PEFT's prompt_embeddings are the encoder's output of that state
      const encoded = await encodePrompt(encoderConfig, checkpoint.prompt, checkpoint.encoder ?? {});
      assert.deepEqual(stored, encoded.data);
    } else {
      // the starting point scored best: the encoder's output of the seeded initial state (seed 42)
      assert.equal(savedStep, 0);
      const loaded = await loadModel(model);
      try {
        const embedding = await initialPrompt({
          model: loaded.model,
          tokenizer: loaded.tokenizer,
          kind: 'soft',
          virtualTokens: 4,
          init: 'random',
          seed: 42,
        });
        const encoded = await encodePrompt(encoderConfig, embedding, initEncoderParams(encoderConfig, 42));
        assert.deepEqual(stored, encoded.data);
      } finally {
        loaded.model.dispose();
      }
    }
    assert.notDeepEqual(stored, checkpoint.prompt.data, 'the stored prompt is not the raw embedding');

    const e = await runCommand(evalCommand, [
      '--model',
      model,
      '--backend',
      'cpu',
      '--max-length',
      '32',
      '--adapter',
      out,
      '--data',
      testFile,
      '--json',
    ]);
    const metrics = lastJson(e.stdout);
    assert.equal(metrics.accuracy, summary.accuracy);
    assert.equal(metrics.macro_f1, summary.macro_f1);

    // resume: the method, encoder and its size come from the folder; the encoder keeps training
    const r = await runCommand(trainCommand, [
      ...base.filter((a) => a !== 'ptuning' && a !== '--method'),
      '--steps',
      '3',
      '--resume',
      out,
    ]);
    assert.equal(lastJson(r.stdout).steps, 3);
    const resumed = decodeCheckpoint(readBytes(path.join(out, 'checkpoint.safetensors')));
    assert.equal(resumed.step, 3);
    assert.notDeepEqual(resumed.encoder?.['mlp_head.0.weight'], checkpoint.encoder?.['mlp_head.0.weight']);
    assert.equal(readJsonObject(path.join(out, 'adapter_config.json')).encoder_hidden_size, 16);
  });

  it('trains the LSTM encoder and refuses bad encoder flags', async () => {
    const out = path.join(tmp, 'lstm');
    await runCommand(trainCommand, [
      ...base,
      '--encoder',
      'lstm',
      '--encoder-hidden-size',
      '8',
      '--steps',
      '1',
      '--out',
      out,
    ]);
    const config = readJsonObject(path.join(out, 'adapter_config.json'));
    assert.equal(config.encoder_reparameterization_type, 'LSTM');
    assert.equal(config.encoder_hidden_size, 8);
    const checkpoint = decodeCheckpoint(readBytes(path.join(out, 'checkpoint.safetensors')));
    const encoder = checkpoint.encoder ?? {};
    assert.deepEqual(encoder['lstm_head.weight_ih_l1_reverse']?.shape, [32, 16], 'layer 1 reads 2H');
    assert.deepEqual(encoder['mlp_head.2.weight']?.shape, [64, 16]);

    await assert.rejects(
      runCommand(trainCommand, [...base, '--encoder', 'gru']),
      /--encoder must be mlp or lstm, got "gru"/,
    );
    await assert.rejects(
      runCommand(trainCommand, [...base.slice(0, -2), '--method', 'prompt', '--encoder', 'lstm']),
      /--encoder and --encoder-hidden-size need --method ptuning/,
    );
  });
});
