// Reads the metrics JSON of `prompt-adapter eval` (optionally with its `bare` object, see
// core/tasks/compare.ts) into what the Evaluation view shows: metric cards adapter vs bare with the delta,
// the confusion matrix, per-class / per-type P/R/F1 rows and SFT sample generations side by side. The JSON
// crosses a process and a postMessage, so everything is read from `unknown` and what is malformed is left out.

export type EvalTask = 'classification' | 'ner' | 'sft';

export interface MetricCard {
  readonly key: string;
  readonly label: string;
  readonly adapter: number;
  readonly bare: number | null;
  /** adapter − bare */
  readonly delta: number | null;
  readonly better: 'higher' | 'lower';
  /** whether the adapter is better than the bare model (null: no bare value, or equal) */
  readonly improved: boolean | null;
}

interface MetricSpec {
  readonly key: string;
  readonly label: string;
  readonly better: 'higher' | 'lower';
}

const CARDS: Record<EvalTask, readonly MetricSpec[]> = {
  classification: [
    { key: 'accuracy', label: 'Accuracy', better: 'higher' },
    { key: 'macro_f1', label: 'Macro F1', better: 'higher' },
  ],
  ner: [
    { key: 'f1', label: 'Entity F1', better: 'higher' },
    { key: 'precision', label: 'Precision', better: 'higher' },
    { key: 'recall', label: 'Recall', better: 'higher' },
    { key: 'accuracy', label: 'Tag accuracy', better: 'higher' },
  ],
  sft: [
    { key: 'loss', label: 'Loss', better: 'lower' },
    { key: 'perplexity', label: 'Perplexity', better: 'lower' },
    { key: 'exact_match', label: 'Exact match', better: 'higher' },
    { key: 'rouge_l', label: 'ROUGE-L', better: 'higher' },
  ],
};

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The `bare` object of an eval result, if it has one. */
export function bareOf(metrics: unknown): Record<string, unknown> | undefined {
  return record(record(metrics)?.bare);
}

/** The task a metrics object belongs to, from its keys. */
export function taskOfMetrics(metrics: unknown): EvalTask | undefined {
  const m = record(metrics);
  if (m === undefined) return undefined;
  if ('confusion' in m || 'macro_f1' in m) return 'classification';
  if ('per_type' in m) return 'ner';
  if ('perplexity' in m) return 'sft';
  return undefined;
}

/** One card per headline metric the result has, in a fixed order per task. */
export function metricCards(task: EvalTask, metrics: unknown, bare?: unknown): MetricCard[] {
  const m = record(metrics) ?? {};
  const b = record(bare);
  const cards: MetricCard[] = [];
  for (const spec of CARDS[task]) {
    const adapter = finite(m[spec.key]);
    if (adapter === undefined) continue;
    const bareValue = finite(b?.[spec.key]) ?? null;
    const delta = bareValue === null ? null : adapter - bareValue;
    const improved = delta === null || delta === 0 ? null : spec.better === 'higher' ? delta > 0 : delta < 0;
    cards.push({ ...spec, adapter, bare: bareValue, delta, improved });
  }
  return cards;
}

export interface Confusion {
  readonly labels: string[];
  /** matrix[gold][predicted] */
  readonly matrix: number[][];
}

/** The classification confusion matrix, if well formed (square, as many rows as labels). */
export function confusionOf(metrics: unknown): Confusion | undefined {
  const c = record(record(metrics)?.confusion);
  const labels = c?.labels;
  const matrix = c?.matrix;
  if (!Array.isArray(labels) || !Array.isArray(matrix)) return undefined;
  if (!labels.every((l) => typeof l === 'string') || matrix.length !== labels.length) return undefined;
  const rows: number[][] = [];
  for (const row of matrix) {
    if (!Array.isArray(row) || row.length !== labels.length) return undefined;
    const values = row.map(finite);
    if (values.some((v) => v === undefined)) return undefined;
    rows.push(values as number[]);
  }
  return { labels: labels, matrix: rows };
}

export interface Scores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface ScoreRow extends Scores {
  readonly name: string;
  readonly support: number | null;
  readonly bare: Scores | null;
}

function scoresOf(v: unknown): Scores | undefined {
  const r = record(v);
  const precision = finite(r?.precision);
  const recall = finite(r?.recall);
  const f1 = finite(r?.f1);
  return precision === undefined || recall === undefined || f1 === undefined
    ? undefined
    : { precision, recall, f1 };
}

/** P/R/F1 rows of `per_type` (NER) or `per_class` (classification), with the bare model's beside them. */
export function scoreRows(metrics: unknown, bare?: unknown): ScoreRow[] {
  const key = taskOfMetrics(metrics) === 'ner' ? 'per_type' : 'per_class';
  const table = record(record(metrics)?.[key]) ?? {};
  const bareTable = record(record(bare)?.[key]);
  const rows: ScoreRow[] = [];
  for (const [name, value] of Object.entries(table)) {
    const s = scoresOf(value);
    if (s === undefined) continue;
    rows.push({
      name,
      ...s,
      support: finite(record(value)?.support) ?? null,
      bare: scoresOf(bareTable?.[name]) ?? null,
    });
  }
  return rows;
}

export interface SamplePair {
  readonly prompt: string;
  readonly reference: string;
  readonly adapter: string;
  /** the bare model's output for the same prompt, when it was evaluated */
  readonly bare: string | null;
}

interface Sample {
  readonly prompt: string;
  readonly reference: string;
  readonly output: string;
}

function samplesOf(metrics: unknown): Sample[] {
  const list = record(metrics)?.samples;
  if (!Array.isArray(list)) return [];
  const out: Sample[] = [];
  for (const s of list) {
    const r = record(s);
    if (typeof r?.prompt === 'string' && typeof r.reference === 'string' && typeof r.output === 'string')
      out.push({ prompt: r.prompt, reference: r.reference, output: r.output });
  }
  return out;
}

/** SFT generations of the adapter and of the bare model, matched by prompt (both score the same examples). */
export function samplePairs(metrics: unknown, bare?: unknown): SamplePair[] {
  const bareSamples = samplesOf(bare);
  return samplesOf(metrics).map((s, i) => {
    const match =
      bareSamples[i]?.prompt === s.prompt ? bareSamples[i] : bareSamples.find((b) => b.prompt === s.prompt);
    return { prompt: s.prompt, reference: s.reference, adapter: s.output, bare: match?.output ?? null };
  });
}
