// Which loader reads a dataset file: the task (classification, NER, SFT) and layout follow from the file's
// extension and its first record, so a user never has to say what a file is before seeing its problems.
import { loadClassification, loadNer, loadSft, splitLines } from '../../core/datasets/index.js';
import type { DatasetIssue, TaskExample } from '../../core/datasets/index.js';

export type DatasetTask = 'classification' | 'ner' | 'sft';
/** The layout, which decides how an issue's line/column maps to a range. */
export type DatasetLayout = 'jsonl' | 'delimited' | 'conll';

export const DATASET_EXTENSIONS: readonly string[] = ['jsonl', 'ndjson', 'csv', 'tsv', 'conll'];
/** Glob of dataset files for workspace.findFiles / file watchers. */
export const DATASET_GLOB = '**/*.{jsonl,ndjson,csv,tsv,conll}';

export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** JSONL files the tools write that are not datasets (training logs), by base name. */
export const NOT_DATASETS: readonly string[] = ['training_log.jsonl'];

export function isDatasetFile(fileName: string): boolean {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  return DATASET_EXTENSIONS.includes(extensionOf(fileName)) && !NOT_DATASETS.includes(base.toLowerCase());
}

export function layoutOf(fileName: string): DatasetLayout | undefined {
  const ext = extensionOf(fileName);
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  if (ext === 'csv' || ext === 'tsv') return 'delimited';
  if (ext === 'conll') return 'conll';
  return undefined;
}

/** The task of a JSONL file from its first object: tokens → NER, messages/prompt/instruction → SFT. */
export function jsonlTask(text: string): DatasetTask {
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // a broken first line must not decide the task: look at the next one
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    if ('tokens' in value || 'ner_tags' in value) return 'ner';
    if ('messages' in value || 'prompt' in value || 'instruction' in value) return 'sft';
    return 'classification';
  }
  return 'classification';
}

export function taskOf(fileName: string, text: string): DatasetTask | undefined {
  switch (layoutOf(fileName)) {
    case 'jsonl':
      return jsonlTask(text);
    case 'delimited':
      return 'classification';
    case 'conll':
      return 'ner';
    case undefined:
      return undefined;
  }
}

export interface LoadedDataset {
  readonly task: DatasetTask;
  readonly layout: DatasetLayout;
  readonly rows: readonly TaskExample[];
  readonly issues: readonly DatasetIssue[];
}

/** Parses a dataset with the loader its name and content call for; undefined for a file that is not one. */
export function loadDataset(fileName: string, text: string): LoadedDataset | undefined {
  const layout = layoutOf(fileName);
  const task = taskOf(fileName, text);
  if (layout === undefined || task === undefined) return undefined;
  switch (task) {
    case 'classification': {
      const r = loadClassification(text, fileName);
      return { task, layout, rows: r.rows, issues: r.issues };
    }
    case 'ner': {
      const r = loadNer(text, fileName, { format: layout === 'conll' ? 'conll' : 'jsonl' });
      return { task, layout, rows: r.rows, issues: r.issues };
    }
    case 'sft': {
      const r = loadSft(text, fileName);
      return { task, layout, rows: r.rows, issues: r.issues };
    }
  }
}
