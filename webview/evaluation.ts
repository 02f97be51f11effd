// The Evaluation view: the metrics `prompt-adapter eval --compare-bare` computed on the host (a child process),
// adapter against the bare model (the frozen model without the adapter's prompt): headline cards with the
// delta, the confusion matrix (classification), per-class / per-type P/R/F1 (classification, NER), loss,
// perplexity and sample generations side by side (SFT). Everything is read with core/metrics/compare.ts;
// this page only draws (plain DOM + @vscode-elements tables; colours through CSSOM, the CSP has no inline).
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import { bareOf, confusionOf, metricCards, samplePairs, scoreRows } from '../core/metrics/compare.js';
import type { Confusion, MetricCard } from '../core/metrics/compare.js';
import type { EvaluationReport } from '../core/protocol/index.js';
import { connect, h } from './lib/host.js';

const { endpoint, ready } = connect('evaluation');
const app = document.getElementById('app') ?? document.body;

const BARE_MEANING: Record<EvaluationReport['task'], string> = {
  sft: 'the frozen language model without the soft prompt (no virtual tokens, no prefix), same prompts',
  classification:
    'the frozen model without the virtual tokens / prefix; the same classification head (or the same label words)',
  ner: 'the frozen model without the virtual tokens / prefix; the same token-classification head',
};

function format(key: string, v: number): string {
  if (key === 'loss' || key === 'perplexity') return v.toFixed(v >= 100 ? 1 : 4);
  return v.toFixed(3);
}

function signed(key: string, v: number): string {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${format(key, Math.abs(v))}`;
}

function card(c: MetricCard): HTMLElement {
  const deltaClass = c.improved === null ? 'delta muted' : c.improved ? 'delta ok' : 'delta bad';
  return h(
    'div',
    { class: 'card', 'data-metric': c.key },
    h(
      'div',
      { class: 'card-label' },
      c.label,
      h('span', { class: 'muted' }, c.better === 'lower' ? ' (lower is better)' : ''),
    ),
    h('div', { class: 'card-value' }, format(c.key, c.adapter)),
    h('div', { class: 'card-sub' }, 'adapter'),
    c.bare === null
      ? h('div', { class: 'card-sub muted' }, 'bare model: not evaluated')
      : h(
          'div',
          { class: 'card-sub' },
          `bare model ${format(c.key, c.bare)} · `,
          h('span', { class: deltaClass, title: 'adapter − bare model' }, `Δ ${signed(c.key, c.delta ?? 0)}`),
        ),
  );
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  return h(
    'vscode-table',
    { zebra: '', 'bordered-columns': '' },
    h('vscode-table-header', { slot: 'header' }, ...headers.map((t) => h('vscode-table-header-cell', {}, t))),
    h(
      'vscode-table-body',
      { slot: 'body' },
      ...rows.map((r) => h('vscode-table-row', {}, ...r.map((c) => h('vscode-table-cell', {}, c)))),
    ),
  );
}

/** A plain <table>: rows gold, columns predicted; each cell shaded by its share of the row (CSSOM). */
function confusionTable(caption: string, c: Confusion): HTMLElement {
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'corner' }, 'gold ↓ / predicted →'),
    ...c.labels.map((l) => h('th', { scope: 'col' }, l)),
  );
  const body = c.matrix.map((row, g) => {
    const total = row.reduce((s, x) => s + x, 0);
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, c.labels[g] ?? ''),
      ...row.map((n, p) => {
        const cell = h(
          'td',
          {
            class: g === p ? 'diag' : 'off',
            title: `gold ${c.labels[g] ?? ''}, predicted ${c.labels[p] ?? ''}: ${n}`,
          },
          n,
        );
        cell.style.setProperty('--share', String(total === 0 ? 0 : n / total));
        return cell;
      }),
    );
  });
  return h(
    'table',
    { class: 'confusion' },
    h('caption', {}, caption),
    h('thead', {}, head),
    h('tbody', {}, ...body),
  );
}

function render(report: EvaluationReport): void {
  const metrics = report.metrics;
  const bare = bareOf(metrics);
  app.replaceChildren();
  app.append(
    h('h1', {}, `Evaluation: ${report.adapterName}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Adapter'),
      h('dd', {}, report.adapterPath),
      h('dt', {}, 'Model'),
      h('dd', {}, report.modelName),
      h('dt', {}, 'Dataset'),
      h('dd', {}, report.datasetName),
      h('dt', {}, 'Task'),
      h('dd', {}, report.task),
      h('dt', {}, 'Examples'),
      h('dd', {}, report.examples === null ? 'unknown' : String(report.examples)),
      h('dt', {}, 'Bare model'),
      h('dd', {}, bare === undefined ? 'not evaluated' : BARE_MEANING[report.task]),
    ),
  );
  const cards = metricCards(report.task, metrics, bare);
  app.append(h('h2', {}, 'Metrics: adapter vs bare model'), h('div', { class: 'cards' }, ...cards.map(card)));

  if (report.task === 'classification') {
    const adapterConfusion = confusionOf(metrics);
    const bareConfusion = bare === undefined ? undefined : confusionOf(bare);
    if (adapterConfusion !== undefined) {
      app.append(
        h('h2', {}, 'Confusion matrix'),
        h(
          'div',
          { class: 'side-by-side' },
          confusionTable('adapter', adapterConfusion),
          bareConfusion === undefined ? null : confusionTable('bare model', bareConfusion),
        ),
      );
    }
  }
  if (report.task === 'classification' || report.task === 'ner') {
    const rows = scoreRows(metrics, bare);
    if (rows.length > 0) {
      const f = (v: number): string => v.toFixed(3);
      app.append(
        h('h2', {}, report.task === 'ner' ? 'Per entity type' : 'Per class'),
        table(
          [
            report.task === 'ner' ? 'type' : 'class',
            'precision',
            'recall',
            'F1',
            'support',
            'bare P',
            'bare R',
            'bare F1',
          ],
          rows.map((r) => [
            r.name,
            f(r.precision),
            f(r.recall),
            f(r.f1),
            r.support === null ? '' : String(r.support),
            r.bare === null ? '–' : f(r.bare.precision),
            r.bare === null ? '–' : f(r.bare.recall),
            r.bare === null ? '–' : f(r.bare.f1),
          ]),
        ),
      );
    }
  }
  if (report.task === 'sft') {
    const pairs = samplePairs(metrics, bare);
    if (pairs.length > 0) {
      app.append(
        h('h2', {}, 'Sample generations (greedy)'),
        ...pairs.map((p, i) =>
          h(
            'section',
            { class: 'sample', 'aria-label': `sample ${i + 1}` },
            h('div', { class: 'sample-prompt' }, h('span', { class: 'muted' }, 'prompt '), p.prompt),
            h(
              'div',
              { class: 'side-by-side' },
              h('div', { class: 'gen' }, h('h3', {}, 'adapter'), h('p', {}, p.adapter)),
              h('div', { class: 'gen' }, h('h3', {}, 'bare model'), h('p', {}, p.bare ?? '(not evaluated)')),
              h('div', { class: 'gen reference' }, h('h3', {}, 'reference'), h('p', {}, p.reference)),
            ),
          ),
        ),
      );
    }
  }
}

endpoint.on('evaluation/init', (report) => {
  render(report);
});
app.append(h('p', { class: 'muted' }, 'waiting for the evaluation…'));
ready();
