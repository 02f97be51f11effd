// The Evaluation view's page (webview/evaluation.ts) for the two tasks the real-VS-Code test does not draw:
// classification (cards, confusion matrices adapter | bare, per-class table) and NER (per-type table), fed by
// a fake host over core/protocol. Screenshots: test-results/evaluation-<task>.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Playwright from 'playwright-core';
import type { EvaluationReport } from '../../core/protocol/index.js';
import { repoRoot } from '../helpers/paths.js';
import { browserSkip, buildWebviewPage, fakeVsCodeHost, launchChromium, serve } from './page-server.js';

const classification: EvaluationReport = {
  adapterName: 'spam-adapter',
  adapterPath: 'adapters/spam-adapter',
  modelName: 'stories260K',
  datasetName: 'datasets/spam-small.jsonl',
  task: 'classification',
  examples: 16,
  metrics: {
    accuracy: 0.875,
    macro_f1: 0.873,
    per_class: {
      ham: { precision: 0.8, recall: 1, f1: 0.889, support: 8 },
      spam: { precision: 1, recall: 0.75, f1: 0.857, support: 8 },
    },
    confusion: {
      labels: ['ham', 'spam'],
      matrix: [
        [8, 0],
        [2, 6],
      ],
    },
    examples: 16,
    bare: {
      accuracy: 0.5,
      macro_f1: 0.333,
      per_class: {
        ham: { precision: 0, recall: 0, f1: 0, support: 8 },
        spam: { precision: 0.5, recall: 1, f1: 0.667, support: 8 },
      },
      confusion: {
        labels: ['ham', 'spam'],
        matrix: [
          [0, 8],
          [0, 8],
        ],
      },
    },
  },
};

const ner: EvaluationReport = {
  adapterName: 'wnut-adapter',
  adapterPath: 'adapters/wnut-adapter',
  modelName: 'stories260K',
  datasetName: 'datasets/dev.conll',
  task: 'ner',
  examples: 100,
  metrics: {
    precision: 0.5,
    recall: 0.25,
    f1: 0.333,
    accuracy: 0.9,
    per_type: {
      location: { precision: 0.6, recall: 0.3, f1: 0.4, support: 10, predicted: 5 },
      person: { precision: 0.4, recall: 0.2, f1: 0.267, support: 10, predicted: 5 },
    },
    bare: { precision: 0.1, recall: 0.05, f1: 0.067, accuracy: 0.85, per_type: {} },
  },
};

void describe('evaluation view page', { skip: browserSkip, timeout: 120_000 }, () => {
  let dir: string;
  let browser: Playwright.Browser;
  let server: { url: string; close: () => Promise<void> };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-browser-evaluation-'));
    buildWebviewPage('evaluation', dir);
    fs.writeFileSync(
      path.join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>evaluation</title><body><main id="app"></main><script src="/evaluation.js"></script></body>',
    );
    server = await serve(
      new Map([
        ['/', path.join(dir, 'index.html')],
        ['/evaluation.js', path.join(dir, 'evaluation.js')],
      ]),
    );
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function render(report: EvaluationReport): Promise<Playwright.Page> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const { host } = await fakeVsCodeHost(page);
    host.on('ready', () => {
      host.notify('evaluation/init', report);
    });
    await page.goto(server.url);
    await page.addStyleTag({ path: path.join(repoRoot, 'webview', 'evaluation.css') });
    await page.locator('h1', { hasText: `Evaluation: ${report.adapterName}` }).waitFor();
    assert.deepEqual(pageErrors, []);
    return page;
  }

  void it('classification: cards with deltas, both confusion matrices, the per-class table', async () => {
    const page = await render(classification);
    const cards = await page.locator('.card').allInnerTexts();
    assert.equal(cards.length, 2);
    assert.match(cards[0]!, /Accuracy[\s\S]*0\.875[\s\S]*bare model 0\.500[\s\S]*Δ \+0\.375/);
    assert.equal(await page.locator('.card[data-metric="accuracy"] .delta.ok').count(), 1, 'improved: green');
    const tables = page.locator('table.confusion');
    assert.equal(await tables.count(), 2, 'adapter and bare model');
    assert.deepEqual(await tables.nth(0).locator('tbody td').allInnerTexts(), ['8', '0', '2', '6']);
    assert.deepEqual(await tables.nth(1).locator('tbody td').allInnerTexts(), ['0', '8', '0', '8']);
    const text = await page.locator('body').innerText();
    assert.match(text, /Per class/);
    assert.match(text, /the same classification head/);
    fs.mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({
      path: path.join(repoRoot, 'test-results', 'evaluation-classification.png'),
      fullPage: true,
    });
    await page.close();
  });

  void it('NER: entity F1 cards and the per-type table', async () => {
    const page = await render(ner);
    assert.equal(await page.locator('.card').count(), 4);
    assert.equal(await page.locator('table.confusion').count(), 0);
    const text = await page.locator('body').innerText();
    assert.match(text, /Per entity type/);
    assert.match(text, /location/);
    assert.match(text, /Entity F1/);
    await page.screenshot({
      path: path.join(repoRoot, 'test-results', 'evaluation-ner.png'),
      fullPage: true,
    });
    await page.close();
  });
});
