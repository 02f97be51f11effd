// PEFT interop, loading side: every golden PEFT adapter (made by PEFT 0.21's save_pretrained) loads, and the
// stories260K ones evaluate on text through `prompt-adapter eval` (labels LABEL_i, as PEFT records none).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAdapterDir } from '../../cli/files.js';
import { runCli as run } from '../helpers/cli.js';
import { bundledModel, fixture } from '../helpers/paths.js';

const adaptersDir = fixture('golden', 'adapters');
const names = fs.readdirSync(adaptersDir).sort();
let tmp = '';

describe('golden PEFT adapters', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-peft-'));
  });

  it('every golden adapter folder loads', () => {
    assert.equal(names.length, 15);
    for (const name of names) {
      const a = readAdapterDir(path.join(adaptersDir, name));
      assert.ok(a.promptEmbeddings.data.length > 0, name);
    }
  });

  const stories = names.filter((n) => n.startsWith('stories260K_'));
  for (const name of stories) {
    it(`${name} evaluates on text`, () => {
      const config = JSON.parse(
        fs.readFileSync(path.join(adaptersDir, name, 'adapter_config.json'), 'utf8'),
      ) as { task_type: string };
      let task: string;
      let data: string;
      if (config.task_type === 'CAUSAL_LM') {
        task = 'sft';
        data = path.join(tmp, 'chat.jsonl');
        fs.writeFileSync(
          data,
          JSON.stringify({
            prompt: 'Once upon a time,',
            completion: ' there was a little girl named Lily.',
          }) + '\n',
        );
      } else if (config.task_type === 'SEQ_CLS') {
        task = 'classification';
        data = path.join(tmp, 'cls.jsonl');
        fs.writeFileSync(
          data,
          [
            '{"text": "Lily saw a big dog.", "label": "LABEL_0"}',
            '{"text": "Tom ran to the park.", "label": "LABEL_1"}',
          ].join('\n') + '\n',
        );
      } else {
        task = 'ner';
        data = path.join(tmp, 'ner.conll');
        fs.writeFileSync(data, 'Lily\tB-person\nran\tO\n\nTom\tB-person\nsat\tO\n');
      }
      const labels = task === 'ner' ? ['--labels', 'O,B-person,I-person,B-place,I-place'] : [];
      const r = run([
        'eval',
        '--model',
        bundledModel('stories260K'),
        '--adapter',
        path.join(adaptersDir, name),
        '--task',
        task,
        '--data',
        data,
        '--json',
        ...labels,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      const key = task === 'sft' ? 'loss' : task === 'classification' ? 'accuracy' : 'f1';
      assert.equal(typeof m[key], 'number', JSON.stringify(m));
    });
  }
});
