// `train --head verbalizer` and `eval` of its adapter, run in-process on the bundled stories260K (tfjs cpu) with
// SMS spam rows: the adapter is a PEFT CAUSAL_LM prompt adapter with no head tensors, our metadata names the
// verbalizer and its label words, and `eval` (reading that metadata) reproduces the metrics `train` reported on
// the same file. Bad --label-words are refused with clear messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evalCommand } from '../../../cli/commands/eval.js';
import { trainCommand } from '../../../cli/commands/train.js';
import { parseSafetensors } from '../../../core/formats/safetensors.js';
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

describe('prompt-adapter train --head verbalizer / eval (in-process, tfjs cpu)', () => {
  let tmp = '';
  let trainFile = '';
  let testFile = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-verbalizer-'));
    const lines = fs
      .readFileSync(fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'), 'utf8')
      .trim()
      .split('\n');
    trainFile = path.join(tmp, 'train.tsv');
    testFile = path.join(tmp, 'test.tsv');
    // small and short (--max-length 32): this suite runs on a shared 2-core machine
    fs.writeFileSync(trainFile, lines.slice(0, 24).join('\n') + '\n');
    fs.writeFileSync(testFile, lines.slice(4000, 4016).join('\n') + '\n');
  });

  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('trains a verbalizer classifier, saves a CAUSAL_LM prompt adapter, and eval scores it the same way', async () => {
    const out = path.join(tmp, 'verbalizer');
    const common = ['--model', model, '--backend', 'cpu', '--max-length', '32'];
    const t = await runCommand(trainCommand, [
      ...common,
      '--task',
      'classification',
      '--head',
      'verbalizer',
      '--method',
      'prompt',
      '--virtual-tokens',
      '4',
      '--label-words',
      'ham=ok',
      '--data',
      trainFile,
      '--eval',
      testFile,
      '--steps',
      '2',
      '--batch-size',
      '8',
      '--out',
      out,
    ]);
    const summary = lastJson(t.stdout);
    assert.equal(summary.steps, 2);
    assert.equal(typeof summary.accuracy, 'number');
    const config = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(config.task_type, 'CAUSAL_LM', 'PEFT has no verbalizer: the prompt is for the LM head');
    assert.equal(config.peft_type, 'PROMPT_TUNING');
    assert.equal(config.modules_to_save, null);
    const tensors = parseSafetensors(readBytes(path.join(out, 'adapter_model.safetensors'))).tensors;
    assert.deepEqual([...tensors.keys()], ['prompt_embeddings'], 'no head tensors');
    const metadata = JSON.parse(fs.readFileSync(path.join(out, 'prompt_adapter.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(metadata.task, 'classification');
    assert.equal(metadata.head, 'verbalizer');
    assert.deepEqual(metadata.labelWords, { ham: 'ok', spam: 'spam' });
    assert.deepEqual(metadata.labels, ['ham', 'spam']);
    assert.equal((metadata.training as Record<string, unknown>).head, 'verbalizer');

    const e = await runCommand(evalCommand, [...common, '--adapter', out, '--data', testFile, '--json']);
    const metrics = lastJson(e.stdout);
    assert.equal(metrics.accuracy, summary.accuracy, 'eval scores with the saved verbalizer');
    assert.equal(metrics.macro_f1, summary.macro_f1);
    assert.deepEqual(metrics.confusion, summary.confusion);
  });

  it('refuses label words it cannot use, naming the flag and the fix', async () => {
    const base = ['--model', model, '--backend', 'cpu', '--task', 'classification', '--data', trainFile];
    await assert.rejects(
      runCommand(trainCommand, [
        ...base,
        '--head',
        'verbalizer',
        '--label-words',
        'ham=spam',
        '--steps',
        '1',
      ]),
      /labels "ham" and "spam" both start with the token \d+ .*--label-words ham=…,spam=…/,
    );
    await assert.rejects(
      runCommand(trainCommand, [...base, '--label-words', 'ham=ok']),
      /--label-words needs --head verbalizer/,
    );
    await assert.rejects(
      runCommand(trainCommand, [...base, '--head', 'verbalizer', '--label-words', 'junk=x']),
      /names "junk", which is not a label of the data \(ham, spam\)/,
    );
  });
});
