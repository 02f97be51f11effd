// "Dataset Statistics": a Markdown report of a dataset (rows, label distribution, lengths, problems), shown
// in an untitled Markdown document. Lengths are whitespace-separated words: the extension host loads no
// tokenizer (say so in the report rather than pretend to count tokens).
import { datasetStats, formatIssue } from '../../core/datasets/index.js';
import type { LoadedDataset } from './datasetKind.js';

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function statsReport(fileName: string, data: LoadedDataset, maxIssues = 20): string {
  const stats = datasetStats(data.rows);
  const errors = data.issues.filter((i) => i.severity === 'error').length;
  const warnings = data.issues.length - errors;
  const lines = [
    `# Dataset statistics: ${fileName}`,
    '',
    `- task: **${data.task}** (${data.layout})`,
    `- examples read: **${stats.rows}**`,
    `- problems: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    '',
  ];
  const labels = Object.entries(stats.labels);
  if (labels.length > 0) {
    const total = labels.reduce((s, [, n]) => s + n, 0);
    lines.push(
      `## ${data.task === 'ner' ? 'Entity mentions by type' : 'Labels'}`,
      '',
      '| label | count | share |',
      '|---|---:|---:|',
      ...labels.map(([l, n]) => `| ${l.replace(/\|/g, '\\|')} | ${n} | ${((100 * n) / total).toFixed(1)}% |`),
      '',
    );
  }
  const L = stats.length;
  lines.push(
    '## Length (words; the token count depends on the model’s tokenizer)',
    '',
    '| min | mean | p50 | p90 | p95 | p99 | max |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    `| ${fmt(L.min)} | ${fmt(L.mean)} | ${fmt(L.p50)} | ${fmt(L.p90)} | ${fmt(L.p95)} | ${fmt(L.p99)} | ${fmt(L.max)} |`,
    '',
  );
  if (data.issues.length > 0) {
    lines.push('## Problems', '', ...data.issues.slice(0, maxIssues).map((i) => `- ${formatIssue(i)}`));
    if (data.issues.length > maxIssues)
      lines.push(`- … and ${data.issues.length - maxIssues} more (see the Problems panel)`);
    lines.push('');
  }
  return lines.join('\n');
}
