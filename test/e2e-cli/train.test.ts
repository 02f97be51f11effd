// `prompt-adapter train` / `eval` as users run them, on small real data (SMS spam, WNUT-17, TinyStories chats):
// the contracts of both commands, PEFT-layout output, exact resume, and clear errors on bad data.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, lastJsonLine, runCli as run } from '../helpers/cli.js';
import { bundledModel, fixture } from '../helpers/paths.js';

const cli = cliPath;
const model = bundledModel('stories260K');
let tmp = '';

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('prompt-adapter train / eval', () => {
  let spamTrain = '';
  let spamTest = '';
  before(() => {
    assert.ok(fs.existsSync(cli), `${cli} is missing: run 'node esbuild.mjs cli' (npm test does)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-train-'));
    const lines = fs
      .readFileSync(fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'), 'utf8')
      .trim()
      .split('\n');
    spamTrain = write('spam-train.tsv', lines.slice(0, 120).join('\n') + '\n');
    spamTest = write('spam-test.tsv', lines.slice(4000, 4060).join('\n') + '\n');
  });

  it('trains a classifier and saves a PEFT adapter that eval scores', () => {
    const out = path.join(tmp, 'spam-adapter');
    const t = run([
      'train',
      '--model',
      model,
      '--task',
      'classification',
      '--data',
      spamTrain,
      '--steps',
      '4',
      '--eval-every',
      '2',
      '--batch-size',
      '8',
      '--out',
      out,
    ]);
    assert.equal(t.code, 0, t.stderr);
    const summary = lastJsonLine(t.stdout);
    assert.equal(summary.steps, 4);
    assert.equal(typeof summary.accuracy, 'number');
    assert.match(t.stderr, /step 4\/4 .*loss .*tok\/s/);
    for (const f of [
      'adapter_config.json',
      'adapter_model.safetensors',
      'prompt_adapter.json',
      'training_log.jsonl',
      'checkpoint.safetensors',
    ]) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    const config = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(config.peft_type, 'PREFIX_TUNING');
    assert.equal(config.task_type, 'SEQ_CLS');
    assert.deepEqual(Object.keys(config), [...Object.keys(config)].sort(), 'keys sorted as PEFT writes them');
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'prompt_adapter.json'), 'utf8')) as {
      labels: string[];
      baseModel: { fingerprint: { embeddingSha256: string } };
    };
    assert.deepEqual(meta.labels, ['ham', 'spam']);
    assert.match(meta.baseModel.fingerprint.embeddingSha256, /^[0-9a-f]{64}$/);
    const e = run([
      'eval',
      '--model',
      model,
      '--adapter',
      out,
      '--task',
      'classification',
      '--data',
      spamTest,
      '--json',
    ]);
    assert.equal(e.code, 0, e.stderr);
    const m = lastJsonLine(e.stdout) as {
      accuracy: number;
      macro_f1: number;
      per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
      confusion: { labels: string[]; matrix: number[][] };
    };
    assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
    assert.deepEqual(m.confusion.labels, ['ham', 'spam']);
    assert.equal(m.per_class.ham!.support + m.per_class.spam!.support, 60);
    assert.equal(
      m.confusion.matrix.flat().reduce((a, b) => a + b, 0),
      60,
    );
  });

  it('Ctrl-C keeps the last checkpoint, and the resumed run ends bit-identical to an uninterrupted one', async () => {
    const common = [
      'train',
      '--model',
      model,
      '--task',
      'classification',
      '--data',
      spamTrain,
      '--eval-every',
      '10',
      '--batch-size',
      '8',
      '--seed',
      '5',
      '--steps',
      '40',
    ];
    const whole = path.join(tmp, 'whole');
    const parts = path.join(tmp, 'parts');
    assert.equal(run([...common, '--out', whole]).code, 0);
    // interrupt the second run at its first progress line: it stops after the current step and keeps a checkpoint
    const child = spawn(process.execPath, [cli, ...common, '--out', parts], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (!sent && /step \d+\/40 /.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopping after this step/);
    assert.match(stderr, /aborted after \d+ steps/);
    assert.ok(fs.existsSync(path.join(parts, 'checkpoint.safetensors')));
    const resumed = run([...common, '--resume', parts]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = fs.readFileSync(path.join(whole, 'checkpoint.safetensors'));
    const b = fs.readFileSync(path.join(parts, 'checkpoint.safetensors'));
    assert.ok(a.equals(b), 'the final checkpoints differ');
  });

  it('refuses an eval file with a label never seen in training, naming file and line', () => {
    const out = path.join(tmp, 'spam-adapter');
    const bad = write('unseen.tsv', 'ham\tHello there\nphishing\tClick this link now\n');
    const e = run(['eval', '--model', model, '--adapter', out, '--task', 'classification', '--data', bad]);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /unseen\.tsv:2: error: label "phishing" never occurs in the training set/);
  });

  it('names the file and line of a malformed JSON line, a missing field and empty text', () => {
    const bad = write(
      'bad.jsonl',
      [
        '{"text": "fine", "label": "a"}',
        '{"text": "broken", ',
        '{"label": "b"}',
        '{"text": "", "label": "a"}',
      ].join('\n') + '\n',
    );
    const t = run(['train', '--model', model, '--task', 'classification', '--data', bad, '--steps', '1']);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /bad\.jsonl:2/);
    assert.match(t.stderr, /bad\.jsonl:3.*text/);
    assert.match(t.stderr, /bad\.jsonl:4/);
  });

  it('counts and reports sequences longer than --max-length', () => {
    const out = path.join(tmp, 'short');
    const t = run([
      'train',
      '--model',
      model,
      '--task',
      'classification',
      '--data',
      spamTrain,
      '--steps',
      '1',
      '--max-length',
      '8',
      '--out',
      out,
    ]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(
      t.stderr,
      /warning: \d+ of \d+ training examples are longer than --max-length 8 tokens and were truncated/,
    );
  });

  for (const method of ['prompt', 'prefix']) {
    it(`trains NER with ${method} tuning end to end and reports entity-level scores`, () => {
      const sentences = fs
        .readFileSync(fixture('datasets', 'wnut17', 'train.conll'), 'utf8')
        .split(/\n[\t ]*\n/)
        .slice(0, 60);
      const data = write(`ner-${method}.conll`, sentences.join('\n\n') + '\n');
      const out = path.join(tmp, `ner-${method}`);
      const t = run([
        'train',
        '--model',
        model,
        '--task',
        'ner',
        '--method',
        method,
        '--data',
        data,
        '--steps',
        '3',
        '--batch-size',
        '8',
        '--out',
        out,
      ]);
      assert.equal(t.code, 0, t.stderr);
      const e = run(['eval', '--model', model, '--adapter', out, '--task', 'ner', '--data', data, '--json']);
      assert.equal(e.code, 0, e.stderr);
      const m = lastJsonLine(e.stdout) as {
        precision: number;
        recall: number;
        f1: number;
        per_type: Record<string, unknown>;
      };
      for (const k of ['precision', 'recall', 'f1'] as const) assert.ok(m[k] >= 0 && m[k] <= 1, k);
      assert.equal(typeof m.per_type, 'object');
    });
  }

  it('warns about an invalid BIO sequence with its line', () => {
    const data = write('bio.conll', 'Alice\tI-person\nwent\tO\nhome\tO\n\nBob\tB-person\nran\tO\n');
    const t = run([
      'train',
      '--model',
      model,
      '--task',
      'ner',
      '--data',
      data,
      '--steps',
      '1',
      '--out',
      path.join(tmp, 'bio'),
    ]);
    assert.match(t.stderr, /warning: .*bio\.conll:1/);
  });

  it('trains SFT on chat data and eval reports loss, perplexity, exact match and ROUGE-L', () => {
    const rows = [
      {
        messages: [
          { role: 'user', content: 'Tell a story about Lily and a ball.' },
          {
            role: 'assistant',
            content: 'Once upon a time, there was a little girl named Lily. She had a red ball.',
          },
        ],
      },
      {
        prompt: 'Tell a story about Tom and a dog.',
        completion: 'Once upon a time, there was a boy named Tom. He had a big dog.',
      },
      {
        instruction: 'Tell a story about Sue and a cat.',
        response: 'Once upon a time, there was a girl named Sue. She loved her cat.',
      },
    ];
    const data = write('sft.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const out = path.join(tmp, 'sft');
    const t = run([
      'train',
      '--model',
      model,
      '--task',
      'sft',
      '--data',
      data,
      '--eval',
      data,
      '--steps',
      '2',
      '--batch-size',
      '2',
      '--out',
      out,
    ]);
    assert.equal(t.code, 0, t.stderr);
    const e = run(['eval', '--model', model, '--adapter', out, '--task', 'sft', '--data', data, '--json']);
    assert.equal(e.code, 0, e.stderr);
    const m = lastJsonLine(e.stdout) as {
      loss: number;
      perplexity: number;
      exact_match: number;
      rouge_l: number;
    };
    assert.ok(m.loss > 0 && Math.abs(m.perplexity - Math.exp(m.loss)) < 1e-6 * m.perplexity);
    assert.ok(m.exact_match >= 0 && m.exact_match <= 1 && m.rouge_l >= 0 && m.rouge_l <= 1);
  });
});
