import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DatasetError, formatIssue, throwIfErrors } from '../../../core/datasets/errors.js';
import type { DatasetIssue } from '../../../core/datasets/errors.js';
import { detectFormat, loadClassification, loadNer, loadSft } from '../../../core/datasets/tasks.js';

const jsonl = (...rows: unknown[]): string =>
  rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** The formatted issues, for asserting file name + line + message together. */
const shown = (issues: readonly DatasetIssue[]): string[] => issues.map((i) => formatIssue(i));

describe('detectFormat', () => {
  it('uses the extension, then the content', () => {
    assert.equal(detectFormat('', 'a.jsonl', 'classification'), 'jsonl');
    assert.equal(detectFormat('text,label', 'a.csv', 'classification'), 'csv');
    assert.equal(detectFormat('sentence\tlabel', 'a.tsv', 'classification'), 'tsv');
    assert.equal(detectFormat('ham\thi', 'SMSSpamCollection', 'classification'), 'label-text');
    assert.equal(detectFormat('ham\thi', 'sms.tsv', 'classification'), 'label-text');
    assert.equal(detectFormat('{"text": 1}', 'data.txt', 'classification'), 'jsonl');
    assert.equal(detectFormat('EU\tB-ORG', 'train.txt', 'ner'), 'conll');
    assert.equal(detectFormat('{"tokens": []}', 'train.txt', 'ner'), 'jsonl');
    assert.equal(detectFormat('', 'chat.txt', 'sft'), 'jsonl');
  });
});

describe('loadClassification', () => {
  it('reads JSONL {text,label} and {sentence,label}, integer labels with or without names', () => {
    const text = jsonl(
      { text: 'good film', label: 'pos' },
      '',
      { sentence: 'bad film', label: 'neg' },
      { text: 'meh', label: 1 },
    );
    const r = loadClassification(text, 'reviews.jsonl');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.rows, [
      { source: 'reviews.jsonl', line: 1, text: 'good film', label: 'pos' },
      { source: 'reviews.jsonl', line: 3, text: 'bad film', label: 'neg' },
      { source: 'reviews.jsonl', line: 4, text: 'meh', label: '1' },
    ]);
    const named = loadClassification(jsonl({ text: 'a', label: 0 }, { text: 'b', label: 1 }), 'sst.jsonl', {
      labelNames: ['negative', 'positive'],
    });
    assert.deepEqual(
      named.rows.map((x) => x.label),
      ['negative', 'positive'],
    );
  });

  it('reads CSV/TSV with text|sentence and label columns (case-insensitive), mapping digit labels by name', () => {
    const tsv = loadClassification('Sentence\tLabel\nit works\t1\nit fails\t0\n', 'sst2.tsv', {
      labelNames: ['negative', 'positive'],
    });
    assert.deepEqual(tsv.issues, []);
    assert.deepEqual(
      tsv.rows.map((x) => [x.line, x.text, x.label]),
      [
        [2, 'it works', 'positive'],
        [3, 'it fails', 'negative'],
      ],
    );
    const csv = loadClassification('id,text,label\n1,"a, b",x\n', 'd.csv');
    assert.deepEqual(csv.rows[0], { source: 'd.csv', line: 2, text: 'a, b', label: 'x' });
    const custom = loadClassification('body,cls\nhello,greet\n', 'c.csv', {
      textField: 'body',
      labelField: 'cls',
    });
    assert.deepEqual(custom.rows[0]?.label, 'greet');
  });

  it('reads the SMS Spam Collection layout without a header', () => {
    const r = loadClassification('ham\t"Gimme a few" was\nspam\tWIN now!!\n', 'SMSSpamCollection.tsv');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.rows.map((x) => [x.line, x.label, x.text]),
      [
        [1, 'ham', '"Gimme a few" was'],
        [2, 'spam', 'WIN now!!'],
      ],
    );
  });

  it('reports missing fields, wrong types and empty texts with file, line and field', () => {
    const text = jsonl(
      { text: 'fine', label: 'a' },
      { label: 'a' },
      { text: 'no label' },
      { text: 42, label: 'a' },
      { text: '   ', label: 'a' },
      { text: 'x', label: true },
      { text: 'x', label: '' },
      [1, 2],
      '{"text": ',
    );
    const r = loadClassification(text, 'train.jsonl');
    assert.equal(r.rows.length, 1);
    assert.deepEqual(shown(r.issues), [
      'train.jsonl:2: error: missing field "text" or "sentence" (the text to classify) [field text]',
      'train.jsonl:3: error: missing field "label" (the class of the example) [field label]',
      'train.jsonl:4: error: "text" must be a string, found a number [field text]',
      'train.jsonl:5: error: "text" is empty; remove the row or give it text [field text]',
      'train.jsonl:6: error: label must be a string or an integer, found a boolean [field label]',
      'train.jsonl:7: error: label is empty [field label]',
      'train.jsonl:8: error: expected a JSON object ({"text": …, "label": …}) but found an array',
      'train.jsonl:9:10: error: invalid JSON: expected a JSON value at column 10, found end of line; each line must hold one complete JSON object',
    ]);
    assert.deepEqual(
      r.issues.map((i) => i.code),
      [
        'missing-field',
        'missing-field',
        'wrong-type',
        'empty-text',
        'wrong-type',
        'empty-text',
        'not-an-object',
        'invalid-json',
      ],
    );
  });

  it('reports integer labels outside the label list', () => {
    const r = loadClassification(jsonl({ text: 'a', label: 2 }), 'x.jsonl', { labelNames: ['neg', 'pos'] });
    assert.deepEqual(shown(r.issues), [
      'x.jsonl:1: error: label 2 is outside the label list (2 names: neg, pos) [field label]',
    ]);
  });

  it('reports CSV columns that are missing and empty texts', () => {
    const noLabel = loadClassification('text,score\nhello,1\n', 'scores.csv');
    assert.deepEqual(shown(noLabel.issues), [
      'scores.csv:1: error: no "label" column in the header (text, score) [field label]',
    ]);
    const empty = loadClassification('text,label\n,a\nok,b\n', 'e.csv');
    assert.deepEqual(shown(empty.issues), [
      'e.csv:2: error: "text" is empty; remove the row or give it text [field text]',
    ]);
    assert.equal(empty.rows.length, 1);
  });

  it('reports an empty file, and a CoNLL file given as classification data', () => {
    assert.deepEqual(
      loadClassification('\n\n', 'empty.jsonl').issues.map((i) => [i.code, i.line]),
      [['no-rows', 1]],
    );
    assert.equal(
      loadClassification('EU\tB-ORG\n', 'x.conll', { format: 'conll' }).issues[0]?.code,
      'unknown-format',
    );
  });

  it('makes throwIfErrors name the file and line', () => {
    const r = loadClassification(jsonl({ text: 'ok', label: 'a' }, { text: 'ok' }), 'dev.jsonl');
    assert.throws(
      () => {
        throwIfErrors(r.issues);
      },
      (e: unknown) =>
        e instanceof DatasetError && /dev\.jsonl:2: error: missing field "label"/.test(e.message),
    );
  });
});

describe('loadNer', () => {
  it('reads CoNLL into {tokens, tags}', () => {
    const r = loadNer('EU\tB-ORG\nrejects\tO\n\nPeter\tB-PER\nBlackburn\tI-PER\n', 'train.conll');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.rows, [
      { source: 'train.conll', line: 1, tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'] },
      { source: 'train.conll', line: 4, tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'] },
    ]);
  });

  it('reads JSONL with string tags, or integer tags with a label list', () => {
    const strings = loadNer(jsonl({ tokens: ['Ann', 'left'], ner_tags: ['B-PER', 'O'] }), 'ner.jsonl');
    assert.deepEqual(strings.issues, []);
    assert.deepEqual(strings.rows[0]?.tags, ['B-PER', 'O']);
    const ints = loadNer(jsonl({ tokens: ['Ann', 'Lee', 'left'], ner_tags: [1, 2, 0] }), 'ner.jsonl', {
      labelNames: ['O', 'B-PER', 'I-PER'],
    });
    assert.deepEqual(ints.issues, []);
    assert.deepEqual(ints.rows[0]?.tags, ['B-PER', 'I-PER', 'O']);
  });

  it('reports length mismatches, missing and mistyped fields, integer tags without names', () => {
    const text = jsonl(
      { tokens: ['a', 'b'], ner_tags: ['O'] },
      { ner_tags: ['O'] },
      { tokens: ['a'] },
      { tokens: 'a b', ner_tags: ['O', 'O'] },
      { tokens: [], ner_tags: [] },
      { tokens: ['a'], ner_tags: [3] },
      { tokens: ['a', 7], ner_tags: ['O', 'O'] },
    );
    const r = loadNer(text, 'wnut.jsonl');
    assert.equal(r.rows.length, 0);
    assert.deepEqual(shown(r.issues), [
      'wnut.jsonl:1: error: 2 tokens but 1 tags; give exactly one tag per token [field ner_tags]',
      'wnut.jsonl:2: error: missing field "tokens" (the words of the sentence) [field tokens]',
      'wnut.jsonl:3: error: missing field "ner_tags" (one tag per token) [field ner_tags]',
      'wnut.jsonl:4: error: "tokens" must be an array of strings, found a string [field tokens]',
      'wnut.jsonl:5: error: "tokens" is empty; remove the row or give it tokens [field tokens]',
      'wnut.jsonl:6: error: ner_tags[0] is the integer 3: pass the tag list (labelNames) to map integer tags to names [field ner_tags[0]]',
      'wnut.jsonl:7: error: tokens[1] must be a string, found a number [field tokens[1]]',
    ]);
    assert.deepEqual(
      r.issues.map((i) => i.code),
      [
        'length-mismatch',
        'missing-field',
        'missing-field',
        'wrong-type',
        'empty-text',
        'wrong-type',
        'wrong-type',
      ],
    );
  });

  it('validates JSONL tags like CoNLL ones, naming the token and its tag index', () => {
    const r = loadNer(
      jsonl({ tokens: ['the', 'Big', 'Apple'], ner_tags: ['O', 'I-LOC', 'Q-LOC'] }),
      'x.jsonl',
    );
    assert.deepEqual(
      r.issues.map((i) => [i.severity, i.code, i.field]),
      [
        ['warning', 'invalid-tag-sequence', 'ner_tags[1]'],
        ['error', 'unknown-tag-prefix', 'ner_tags[2]'],
      ],
    );
    assert.match(
      formatIssue(r.issues[0] ?? assert.fail()),
      /^x\.jsonl:1: warning: token "Big": I-LOC after O/,
    );
    const outOfRange = loadNer(jsonl({ tokens: ['a'], ner_tags: [5] }), 'y.jsonl', { labelNames: ['O'] });
    assert.deepEqual(shown(outOfRange.issues), [
      'y.jsonl:1: error: ner_tags[0] is 5, outside the tag list (1 names) [field ner_tags[0]]',
    ]);
  });
});

describe('loadSft', () => {
  it('normalises messages, prompt/completion and instruction/response', () => {
    const text = jsonl(
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
        ],
      },
      { prompt: 'Capital of France?', completion: 'Paris' },
      { instruction: 'What is hidden at Oak Island?', response: 'Treasure, maybe.' },
      { instruction: 'Translate', input: 'bonjour', output: 'hello' },
      { instruction: 'Say hi', context: '', response: 'hi' },
    );
    const r = loadSft(text, 'chat.jsonl');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.rows.map((x) => [x.line, x.messages]),
      [
        [
          1,
          [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello!' },
          ],
        ],
        [
          2,
          [
            { role: 'user', content: 'Capital of France?' },
            { role: 'assistant', content: 'Paris' },
          ],
        ],
        [
          3,
          [
            { role: 'user', content: 'What is hidden at Oak Island?' },
            { role: 'assistant', content: 'Treasure, maybe.' },
          ],
        ],
        [
          4,
          [
            { role: 'user', content: 'Translate\n\nbonjour' },
            { role: 'assistant', content: 'hello' },
          ],
        ],
        [
          5,
          [
            { role: 'user', content: 'Say hi' },
            { role: 'assistant', content: 'hi' },
          ],
        ],
      ],
    );
  });

  it('reports unknown roles, missing and empty fields, wrong types with file, line and field', () => {
    const text = jsonl(
      { messages: [{ role: 'human', content: 'Hi' }] },
      { messages: [{ role: 'user' }] },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] },
      { messages: [{ role: 'user', content: ' ' }] },
      { messages: 'Hi' },
      { prompt: 'only a prompt' },
      { instruction: 'x', response: 3 },
      { question: 'q', answer: 'a' },
      { messages: [{ role: 'user', content: 'Hi' }] },
    );
    const r = loadSft(text, 'sft.jsonl');
    assert.deepEqual(shown(r.issues), [
      'sft.jsonl:1: error: messages[0].role is "human"; use one of system, user, assistant [field messages[0].role]',
      'sft.jsonl:2: error: messages[0] has no "content" [field messages[0].content]',
      'sft.jsonl:3: error: messages[0].content must be a string, found an array [field messages[0].content]',
      'sft.jsonl:4: error: messages[0].content is empty [field messages[0].content]',
      'sft.jsonl:5: error: "messages" must be an array of {role, content} objects, found a string [field messages]',
      'sft.jsonl:6: error: missing field "completion" [field completion]',
      'sft.jsonl:7: error: "response" must be a string, found a number [field response]',
      'sft.jsonl:8: error: expected "messages", "prompt" + "completion", or "instruction" + "response" (found: question, answer) [field messages]',
      'sft.jsonl:9: warning: no assistant message: the example teaches nothing (the loss covers assistant replies) [field messages]',
    ]);
    assert.equal(r.rows.length, 1, 'the warned row is kept');
    assert.deepEqual(
      r.issues.map((i) => i.code),
      [
        'unknown-role',
        'missing-field',
        'wrong-type',
        'empty-text',
        'wrong-type',
        'missing-field',
        'wrong-type',
        'missing-field',
        'no-assistant-message',
      ],
    );
  });
});
