// The other pure parts of the extension: CSP builder, dataset kind detection, templates, CoNLL import,
// statistics report, CLI help parsing, and the manifest ↔ code identifier lists.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isDatasetFile, loadDataset, taskOf } from '../../../extension/logic/datasetKind.js';
import { buildCsp, nonceFromBytes, webviewHtml } from '../../../extension/logic/csp.js';
import { DATASET_TEMPLATES } from '../../../extension/logic/templates.js';
import { conllToJsonl, jsonlNameFor } from '../../../extension/logic/conllImport.js';
import { statsReport } from '../../../extension/logic/statsReport.js';
import {
  cliCommands,
  evalArgs,
  generateArgs,
  lastJsonLine,
  parseTrainProgress,
  trainArgs,
} from '../../../extension/logic/cli.js';
import {
  COMMANDS,
  INSPECTOR_VIEW_TYPE,
  MARKETPLACE_COMMANDS,
  MARKETPLACE_SETTINGS,
  MARKETPLACE_VIEW,
  SETTINGS,
  VIEW_COMMANDS,
  VIEWS,
} from '../../../extension/logic/ids.js';
import { repoRoot } from '../../helpers/paths.js';

const nonce = nonceFromBytes(new Uint8Array(16).map((_, i) => i * 17));

describe('CSP builder', () => {
  it('denies everything by default and allows scripts only by nonce', () => {
    const csp = buildCsp({ cspSource: 'https://*.vscode-cdn.net', nonce });
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}';`));
    assert.doesNotMatch(
      csp,
      /unsafe-inline|unsafe-eval'|\*;|connect-src|worker-src|https?:\/\/(?!\*\.vscode-cdn\.net)/,
    );
  });

  it('adds wasm-unsafe-eval, connect-src and worker-src only when asked', () => {
    const csp = buildCsp({
      cspSource: 'vscode-webview://x',
      nonce,
      wasm: true,
      connect: true,
      workers: true,
    });
    assert.match(csp, /script-src 'nonce-[^']+' 'wasm-unsafe-eval';/);
    assert.match(csp, /connect-src vscode-webview:\/\/x;/);
    assert.match(csp, /worker-src vscode-webview:\/\/x blob:;/);
  });

  it("accepts code-server's cspSource ('self' plus the CDN host)", () => {
    const csp = buildCsp({ cspSource: "'self' https://*.vscode-cdn.net", nonce });
    assert.match(csp, /style-src 'self' https:\/\/\*\.vscode-cdn\.net 'nonce-/);
    assert.throws(() => buildCsp({ cspSource: "'unsafe-inline'", nonce }), /unsafe cspSource/);
  });

  it('refuses a short nonce or a cspSource that could inject a directive', () => {
    assert.throws(() => buildCsp({ cspSource: 'x', nonce: 'abc' }), /nonce/);
    assert.throws(() => buildCsp({ cspSource: "x; script-src 'unsafe-inline'", nonce }), /unsafe cspSource/);
  });

  it('nonces are URL-safe base64 of the bytes', () => {
    assert.equal(nonceFromBytes(new Uint8Array(16).fill(255)), '_____________________w');
  });

  it('the HTML shell puts the CSP first, scripts with the nonce, and boot data that cannot close its tag', () => {
    const html = webviewHtml({
      cspSource: 'vscode-webview://x',
      nonce,
      title: 'A <b>',
      scripts: ['vscode-webview://x/dist/webview/inspector.js'],
      bootData: { evil: '</script><script>alert(1)</script>' },
    });
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'));
    assert.match(
      html,
      new RegExp(`<script nonce="${nonce}" src="vscode-webview://x/dist/webview/inspector.js"></script>`),
    );
    assert.doesNotMatch(html, /<\/script><script>alert/);
    assert.match(html, /<title>A &#60;b&#62;<\/title>/);
    assert.equal((html.match(/<script(?![^>]*nonce=)/g) ?? []).length, 0, 'every script carries the nonce');
  });
});

describe('dataset kind and templates', () => {
  it('detects the task from the extension and the first readable object', () => {
    assert.equal(taskOf('a.conll', ''), 'ner');
    assert.equal(taskOf('a.csv', 'text,label'), 'classification');
    assert.equal(taskOf('a.jsonl', 'broken\n{"tokens": ["a"], "ner_tags": ["O"]}'), 'ner');
    assert.equal(taskOf('a.jsonl', '{"messages": []}'), 'sft');
    assert.equal(taskOf('a.jsonl', '{"prompt": "a", "completion": "b"}'), 'sft');
    assert.equal(taskOf('a.jsonl', '{"text": "a", "label": "b"}'), 'classification');
    assert.equal(taskOf('a.txt', ''), undefined);
    assert.equal(isDatasetFile('adapters/x/training_log.jsonl'), false);
    assert.equal(isDatasetFile('data/train.JSONL'), true);
  });

  it('every template loads without any issue', () => {
    for (const t of DATASET_TEMPLATES) {
      const data = loadDataset(t.fileName, t.text);
      assert.ok(data !== undefined, t.id);
      assert.deepEqual(data.issues, [], t.id);
      assert.ok(data.rows.length >= 2, t.id);
    }
  });
});

describe('CoNLL import', () => {
  it('writes one {tokens, ner_tags} line per sentence that loads back identically', () => {
    const conll = '-DOCSTART- O\n\nAda\tB-PER\nLovelace\tI-PER\n\nParis\tB-LOC\n.\tO\n';
    const r = conllToJsonl(conll, 'x.conll');
    assert.equal(r.sentences, 2);
    assert.equal(r.tokens, 4);
    assert.equal(
      r.jsonl,
      '{"tokens":["Ada","Lovelace"],"ner_tags":["B-PER","I-PER"]}\n{"tokens":["Paris","."],"ner_tags":["B-LOC","O"]}\n',
    );
    assert.equal(r.hasErrors, false);
    const back = loadDataset('x.jsonl', r.jsonl);
    assert.deepEqual(
      back?.rows.map((row) => ('tokens' in row ? row.tokens : [])),
      [
        ['Ada', 'Lovelace'],
        ['Paris', '.'],
      ],
    );
  });

  it('reports lines it had to leave out', () => {
    const r = conllToJsonl('Ada\tB-PER\nnotag\n', 'x.conll');
    assert.equal(r.hasErrors, true);
    assert.equal(r.sentences, 1);
  });

  it('names the output beside the input', () => {
    assert.equal(jsonlNameFor('/a/b/train.conll'), '/a/b/train.jsonl');
    assert.equal(jsonlNameFor('/a.b/train'), '/a.b/train.jsonl');
  });
});

describe('statistics report', () => {
  it('lists rows, label shares, lengths and problems', () => {
    const text =
      '{"text": "one two", "label": "ham"}\n{"text": "three", "label": "spam"}\n{"text": "a b c d", "label": "ham"}\nbad\n';
    const data = loadDataset('d.jsonl', text);
    assert.ok(data !== undefined);
    const md = statsReport('d.jsonl', data);
    assert.match(md, /examples read: \*\*3\*\*/);
    assert.match(md, /\| ham \| 2 \| 66\.7% \|/);
    assert.match(md, /\| 1 \| 2\.3 \| 2 \| /);
    assert.match(md, /d\.jsonl:4:1: error: invalid JSON/);
  });
});

describe('CLI output', () => {
  it('lastJsonLine takes the last JSON object line, skipping text, arrays and broken lines', () => {
    assert.deepEqual(lastJsonLine('progress\n{"a":1}\n{"b":2}\n[3]\n{"c":\n'), { b: 2 });
    assert.equal(lastJsonLine('no json here\n'), undefined);
  });
});

describe('CLI help parsing', () => {
  it('finds the commands listed in --help', () => {
    const help = `prompt-adapter\n\nUsage: x\n\nCommands:\n  forward   --model DIR\n            more text\n  generate  --model DIR\n  tokenize  --model DIR\n\nDIR is a folder.\n`;
    assert.deepEqual(cliCommands(help), ['forward', 'generate', 'tokenize']);
    assert.deepEqual(cliCommands('no commands here'), []);
  });

  it('builds train arguments in the CLI spelling, steps replacing epochs for the quick preset', () => {
    const base = {
      model: 'm',
      dataset: 'd.jsonl',
      task: 'classification' as const,
      method: 'PREFIX_TUNING' as const,
      init: 'SAMPLE_VOCAB' as const,
      virtualTokens: 8,
      learningRate: 0.01,
      epochs: 3,
      batchSize: 8,
      maxLength: 64,
      seed: 1,
      out: 'o',
      backend: 'wasm' as const,
    };
    const a = trainArgs(base);
    assert.deepEqual(a.slice(0, 9), [
      'train',
      '--model',
      'm',
      '--task',
      'classification',
      '--data',
      'd.jsonl',
      '--method',
      'prefix',
    ]);
    assert.ok(a.includes('--epochs') && !a.includes('--steps'));
    assert.equal(a[a.indexOf('--init') + 1], 'vocab');
    const q = trainArgs({ ...base, method: 'PROMPT_TUNING', steps: 30, evalDataset: 't.jsonl' });
    assert.equal(q[q.indexOf('--steps') + 1], '30');
    assert.equal(q[q.indexOf('--eval') + 1], 't.jsonl');
    assert.equal(q[q.indexOf('--method') + 1], 'prompt');
    assert.ok(!q.includes('--epochs'));
    assert.throws(
      () => trainArgs({ ...base, method: 'P_TUNING' }),
      /P_TUNING cannot be trained by the CLI yet/,
    );
    assert.deepEqual(evalArgs({ model: 'm', adapter: 'a', dataset: 'd', task: 'ner', backend: 'cpu' }), [
      'eval',
      '--model',
      'm',
      '--adapter',
      'a',
      '--data',
      'd',
      '--task',
      'ner',
      '--json',
      '--backend',
      'cpu',
    ]);
  });

  it('reads the train progress lines of the CLI', () => {
    assert.deepEqual(
      parseTrainProgress('step 3/30  loss 0.6931  lr 1.00e-2  759 tok/s  elapsed 4s  eta 30s'),
      {
        step: 3,
        totalSteps: 30,
        loss: 0.6931,
      },
    );
    assert.equal(parseTrainProgress('eval at step 30: macro_f1 0.9250'), undefined);
  });

  it('builds generate arguments with the adapter only when given', () => {
    assert.deepEqual(generateArgs({ model: 'm', prompt: 'p', maxNewTokens: 8, backend: 'wasm' }), [
      'generate',
      '--model',
      'm',
      '--prompt',
      'p',
      '--max-new-tokens',
      '8',
      '--backend',
      'wasm',
    ]);
  });
});

describe('manifest and code agree', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    main: string;
    activationEvents: string[];
    contributes: {
      commands: { command: string; title: string; category?: string }[];
      views: Record<string, { id: string }[]>;
      customEditors: { viewType: string }[];
      configuration: { properties: Record<string, unknown> };
      menus: Record<string, { command: string }[]>;
    };
  };

  it('every command in the code is contributed under "Prompt Adapter", and vice versa', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(
      contributed,
      [
        ...Object.values(COMMANDS),
        ...Object.values(MARKETPLACE_COMMANDS),
        ...Object.values(VIEW_COMMANDS),
      ].sort(),
    );
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Prompt Adapter', c.command);
  });

  it('menus only name contributed commands', () => {
    const known = new Set<string>([
      ...Object.values(COMMANDS),
      ...Object.values(MARKETPLACE_COMMANDS),
      ...Object.values(VIEW_COMMANDS),
    ]);
    for (const [menu, items] of Object.entries(manifest.contributes.menus))
      for (const item of items) assert.ok(known.has(item.command), `${menu}: ${item.command}`);
  });

  it('views, the custom editor and settings match the code', () => {
    const views = Object.values(manifest.contributes.views)
      .flat()
      .map((v) => v.id)
      .sort();
    assert.deepEqual(views, [...Object.values(VIEWS), MARKETPLACE_VIEW].sort());
    assert.deepEqual(
      manifest.contributes.customEditors.map((e) => e.viewType),
      [INSPECTOR_VIEW_TYPE],
    );
    const settings = Object.keys(manifest.contributes.configuration.properties).sort();
    assert.deepEqual(
      settings,
      [...Object.values(SETTINGS), ...Object.values(MARKETPLACE_SETTINGS)]
        .map((s) => `promptAdapter.${s}`)
        .sort(),
    );
    assert.equal(manifest.main, './dist/extension.cjs');
  });
});
