// The parsers on the real datasets shipped in test/fixtures/datasets (see its PROVENANCE.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { hasErrors } from '../../../core/datasets/errors.js';
import { labelSet, validateLabels } from '../../../core/datasets/labels.js';
import { stratifiedSplit } from '../../../core/datasets/split.js';
import { datasetStats } from '../../../core/datasets/stats.js';
import { loadClassification, loadNer } from '../../../core/datasets/tasks.js';
import { nerMetrics } from '../../../core/metrics/ner.js';
import { fixture, readJson, repoRoot } from '../../helpers/paths.js';

const read = (...parts: string[]): string => fs.readFileSync(fixture('datasets', ...parts), 'utf8');

describe('SMS Spam Collection', () => {
  const text = read('sms-spam', 'SMSSpamCollection.tsv');
  const parsed = loadClassification(text, 'SMSSpamCollection.tsv');

  it('has 4,574 messages, 616 of them spam, and no issue', () => {
    assert.deepEqual(parsed.issues, []);
    assert.equal(parsed.rows.length, 4574);
    assert.deepEqual(datasetStats(parsed.rows).labels, { ham: 3958, spam: 616 });
    // Texts that start with a quote are kept verbatim (the file is not RFC 4180 quoted).
    assert.ok(parsed.rows.some((r) => r.text.startsWith('"Gimme a few" was')));
    assert.equal(parsed.rows[0]?.text.startsWith('Go until jurong point'), true);
  });

  it('splits 80/20 stratified, and scripts/split-spam.mjs gives the very same split', () => {
    const split = stratifiedSplit(parsed.rows, {
      validationFraction: 0.2,
      seed: 42,
      labelOf: (r) => r.label,
    });
    assert.equal(split.validation.length, 915);
    assert.equal(split.validation.filter((r) => r.label === 'spam').length, 123);
    assert.deepEqual(validateLabels(labelSet(split.train), split.validation), []);

    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'split-spam-'));
    try {
      execFileSync(
        process.execPath,
        [
          path.join(repoRoot, 'scripts', 'split-spam.mjs'),
          fixture('datasets', 'sms-spam', 'SMSSpamCollection.tsv'),
          out,
          '--seed',
          '42',
          '--test-fraction',
          '0.2',
        ],
        { stdio: 'pipe' },
      );
      const lines = (name: string): string[] =>
        fs.readFileSync(path.join(out, name), 'utf8').split('\n').slice(0, -1);
      const asLines = (rows: typeof parsed.rows): string[] => rows.map((r) => `${r.label}\t${r.text}`);
      assert.deepEqual(lines('test.tsv'), asLines(split.validation));
      assert.deepEqual(lines('train.tsv'), asLines(split.train));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('WNUT-17', () => {
  const train = loadNer(read('wnut17', 'train.conll'), 'wnut17/train.conll');
  const dev = loadNer(read('wnut17', 'dev.conll'), 'wnut17/dev.conll');

  it('has 3,394 training and 1,009 dev sentences with BIO tags and no error', () => {
    assert.equal(train.rows.length, 3394);
    assert.equal(dev.rows.length, 1009);
    assert.equal(train.scheme, 'BIO');
    assert.equal(hasErrors(train.issues), false);
    assert.equal(hasErrors(dev.issues), false);
    const tokens = train.rows.reduce((n, r) => n + r.tokens.length, 0);
    assert.equal(tokens, 62730);
    assert.deepEqual(Object.keys(datasetStats(train.rows).labels).sort(), [
      'corporation',
      'creative-work',
      'group',
      'location',
      'person',
      'product',
    ]);
    assert.deepEqual(validateLabels(labelSet(train.rows), dev.rows), []);
  });

  it('parses dev exactly as the golden NER metric file saw it', () => {
    const golden = readJson<{ cases: { name: string; tokens?: string[][]; gold: string[][] }[] }>(
      fixture('golden', 'ner_metric_cases.json'),
    );
    const perturbed = golden.cases.find((c) => c.name === 'perturbed');
    assert.ok(perturbed?.tokens !== undefined);
    assert.deepEqual(
      dev.rows.map((r) => r.tokens),
      perturbed.tokens,
    );
    assert.deepEqual(
      dev.rows.map((r) => r.tags),
      perturbed.gold,
    );
    const self = nerMetrics(
      dev.rows.map((r) => r.tags),
      dev.rows.map((r) => r.tags),
    );
    assert.equal(self.f1, 1);
    assert.equal(self.counts.goldChunks, 836);
  });
});
