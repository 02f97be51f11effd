// Metrics for the three tasks; no tensors, safe to import from the extension host.
export { MetricsError } from './errors.js';
export { classificationMetrics, f1Score, safeDivide } from './classification.js';
export type { ClassScores, ClassificationMetrics, ConfusionMatrix } from './classification.js';
export { endOfChunk, extractChunks, nerMetrics, splitTag, startOfChunk } from './ner.js';
export type { Chunk, EntityTypeScores, NerMetrics, SplitTag } from './ner.js';
export {
  exactMatch,
  lcsLength,
  mean,
  normalizeWhitespace,
  perplexity,
  rougeL,
  rougeLScore,
  rougeTokenize,
} from './text.js';
export type { RougeScore } from './text.js';
