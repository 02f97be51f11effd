// Dataset reading and checking; platform-free (text in, records and issues out), safe for the extension host.
export { DatasetError, formatIssue, hasErrors, issue, splitLines, throwIfErrors } from './errors.js';
export type {
  DatasetIssue,
  DatasetIssueCode,
  DatasetIssueSeverity,
  ParseResult,
  SourceLocation,
} from './errors.js';
export { locateJsonError, parseJsonl } from './jsonl.js';
export type { JsonSyntaxError, JsonlRow } from './jsonl.js';
export {
  HEADERLESS_LABELS,
  detectDelimiter,
  looksLikeHeaderlessLabelText,
  parseDelimited,
  parseDelimitedRecords,
  parseLabelTextLines,
} from './csv.js';
export type { DelimitedOptions, DelimitedRow, DelimitedTable, LabelTextRow } from './csv.js';
export { detectScheme, parseConll, validateTags } from './conll.js';
export type { ConllOptions, ConllResult, ConllSentence, TagScheme, TokenLocator } from './conll.js';
export { CHAT_ROLES, detectFormat, loadClassification, loadNer, loadSft } from './tasks.js';
export type {
  ChatMessage,
  ChatRole,
  ClassificationExample,
  ClassificationOptions,
  DatasetFormat,
  NerExample,
  NerLoadResult,
  NerOptions,
  SftExample,
} from './tasks.js';
export { labelSet, validateLabels } from './labels.js';
export type { LabeledRow } from './labels.js';
export { SplitError, createRng, shuffle, shuffleInPlace, stratifiedSplit } from './split.js';
export type { Split, StratifiedSplitOptions } from './split.js';
export { countWords, datasetStats, exampleLabels, exampleText, percentile } from './stats.js';
export type { DatasetStats, LengthStats, StatsOptions, TaskExample } from './stats.js';
