// Entity-level precision/recall/F1 with the rules of conlleval.pl (the CoNLL shared-task scorer, version
// 2004-01-26), so that the numbers here can be compared with published NER results.
//
// conlleval reads one token per line and decides, for each token, whether a chunk (entity) ends before
// it and whether one starts at it, looking only at the previous and the current tag. A tag is split at
// its first hyphen into a prefix and a type ("B-creative-work" → "B", "creative-work"); a tag without a
// hyphen has type "". Between sentences conlleval sees a boundary line, which it treats as the tag "O"
// and does not count as a token. Consequences that differ from a strict BIO reading (all intended, they
// are what published scores mean):
//   - "I-X" after "O" or after another type starts a new chunk (no error);
//   - a type change inside an entity ("B-LOC I-ORG") splits it into two chunks;
//   - BIOES: "E-" and "S-" are not special-cased except where listed below; "S-X" starts a chunk by the
//     type-change rule and the next "O" or type change ends it, "B-X E-X" stays one chunk;
//   - "[" and "]" are one-token chunks.
// Precision = correct chunks / predicted chunks, recall = correct chunks / gold chunks; a chunk is
// correct when gold and prediction start it at the same token with the same type and end it at the same
// token. Accuracy counts tokens whose whole tag (prefix and type) matches, "O" included.

import { f1Score, safeDivide } from './classification.js';
import { MetricsError } from './errors.js';

export interface EntityTypeScores {
  precision: number;
  recall: number;
  f1: number;
  /** gold chunks of this type */
  support: number;
  /** predicted chunks of this type (conlleval's "found") */
  predicted: number;
}

export interface NerMetrics {
  /** micro-averaged over all chunks, a fraction in [0, 1] */
  precision: number;
  recall: number;
  f1: number;
  /** token-level tag accuracy, "O" tokens included */
  accuracy: number;
  /** per entity type, in conlleval's (code-point sorted) order */
  per_type: Record<string, EntityTypeScores>;
  /** raw counts behind the fractions */
  counts: {
    tokens: number;
    correctTags: number;
    goldChunks: number;
    predictedChunks: number;
    correctChunks: number;
  };
}

/** A tag split the conlleval way: prefix before the first hyphen, type after it ("" when no hyphen). */
export interface SplitTag {
  prefix: string;
  type: string;
}

export function splitTag(tag: string): SplitTag {
  const hyphen = tag.indexOf('-');
  return hyphen < 0
    ? { prefix: tag, type: '' }
    : { prefix: tag.slice(0, hyphen), type: tag.slice(hyphen + 1) };
}

/** conlleval's endOfChunk: does a chunk end between the previous tag and this one? */
export function endOfChunk(prev: SplitTag, cur: SplitTag): boolean {
  const p = prev.prefix;
  const c = cur.prefix;
  if (p === 'B' && (c === 'B' || c === 'O')) return true;
  if (p === 'I' && (c === 'B' || c === 'O')) return true;
  if (p === 'E' && (c === 'E' || c === 'I' || c === 'O')) return true;
  if (p !== 'O' && p !== '.' && prev.type !== cur.type) return true;
  // conlleval (1998-12-22): bracket chunks have length 1.
  return p === ']' || p === '[';
}

/** conlleval's startOfChunk: does a chunk start at this tag? */
export function startOfChunk(prev: SplitTag, cur: SplitTag): boolean {
  const p = prev.prefix;
  const c = cur.prefix;
  if (c === 'B' && (p === 'B' || p === 'I' || p === 'O')) return true;
  if (p === 'O' && (c === 'I' || c === 'E')) return true;
  if (p === 'E' && (c === 'E' || c === 'I')) return true;
  if (c !== 'O' && c !== '.' && prev.type !== cur.type) return true;
  return c === '[' || c === ']';
}

/** The tag conlleval assumes before the first token and sees at every sentence boundary. */
const BOUNDARY: SplitTag = { prefix: 'O', type: '' };

export interface Chunk {
  type: string;
  /** first token, inclusive */
  start: number;
  /** last token, exclusive */
  end: number;
}

/** The chunks (entities) of one tagged sentence, read with conlleval's rules. */
export function extractChunks(tags: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let prev = BOUNDARY;
  let open: { type: string; start: number } | undefined;
  const split = [...tags.map(splitTag), BOUNDARY];
  split.forEach((cur, i) => {
    if (open !== undefined && endOfChunk(prev, cur)) {
      chunks.push({ type: open.type, start: open.start, end: i });
      open = undefined;
    }
    if (i < tags.length && startOfChunk(prev, cur)) open = { type: cur.type, start: i };
    prev = cur;
  });
  return chunks;
}

interface TypeCounts {
  gold: number;
  predicted: number;
  correct: number;
}

/**
 * Scores predicted tag sequences against gold ones (one array of tags per sentence), exactly as
 * conlleval.pl does for a file with one blank line after each sentence.
 */
export function nerMetrics(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
): NerMetrics {
  if (gold.length !== pred.length) {
    throw new MetricsError(
      `nerMetrics: ${gold.length} gold sentences but ${pred.length} predicted ones; pass one tag sequence per sentence`,
    );
  }
  const byType = new Map<string, TypeCounts>();
  const countsOf = (type: string): TypeCounts => {
    let c = byType.get(type);
    if (c === undefined) {
      c = { gold: 0, predicted: 0, correct: 0 };
      byType.set(type, c);
    }
    return c;
  };
  let tokens = 0;
  let correctTags = 0;
  let goldChunks = 0;
  let predictedChunks = 0;
  let correctChunks = 0;

  // conlleval's state, carried across sentences through the boundary tag.
  let lastGold = BOUNDARY;
  let lastPred = BOUNDARY;
  // inCorrect: inside a chunk that so far starts at the same token with the same type in gold and
  // prediction. An object, because step() below updates it and TypeScript does not track closure writes.
  const state = { inCorrect: false };

  const step = (g: SplitTag, p: SplitTag): void => {
    const goldEnds = endOfChunk(lastGold, g);
    const predEnds = endOfChunk(lastPred, p);
    if (state.inCorrect) {
      if (goldEnds && predEnds && lastGold.type === lastPred.type) {
        state.inCorrect = false;
        correctChunks++;
        countsOf(lastGold.type).correct++;
      } else if (goldEnds !== predEnds || g.type !== p.type) {
        state.inCorrect = false;
      }
    }
    const goldStarts = startOfChunk(lastGold, g);
    const predStarts = startOfChunk(lastPred, p);
    if (goldStarts && predStarts && g.type === p.type) state.inCorrect = true;
    if (goldStarts) {
      goldChunks++;
      countsOf(g.type).gold++;
    }
    if (predStarts) {
      predictedChunks++;
      countsOf(p.type).predicted++;
    }
    lastGold = g;
    lastPred = p;
  };

  gold.forEach((goldTags, s) => {
    const predTags = pred[s] ?? [];
    if (goldTags.length !== predTags.length) {
      throw new MetricsError(
        `nerMetrics: sentence ${s} has ${goldTags.length} gold tags but ${predTags.length} predicted tags; predict one tag per token`,
      );
    }
    goldTags.forEach((goldTag, t) => {
      const g = splitTag(goldTag);
      const p = splitTag(predTags[t] ?? '');
      step(g, p);
      tokens++;
      if (g.prefix === p.prefix && g.type === p.type) correctTags++;
    });
    step(BOUNDARY, BOUNDARY);
  });
  if (state.inCorrect) {
    // Only reached with unusual tags that no boundary ends (a last tag with prefix "."); conlleval counts
    // such a chunk at the end of the file.
    correctChunks++;
    countsOf(lastGold.type).correct++;
  }

  const perType: Record<string, EntityTypeScores> = {};
  for (const type of [...byType.keys()].sort(compareCodePoints)) {
    const c = countsOf(type);
    const precision = safeDivide(c.correct, c.predicted);
    const recall = safeDivide(c.correct, c.gold);
    perType[type] = {
      precision,
      recall,
      f1: f1Score(precision, recall),
      support: c.gold,
      predicted: c.predicted,
    };
  }
  const precision = safeDivide(correctChunks, predictedChunks);
  const recall = safeDivide(correctChunks, goldChunks);
  return {
    precision,
    recall,
    f1: f1Score(precision, recall),
    accuracy: safeDivide(correctTags, tokens),
    per_type: perType,
    counts: { tokens, correctTags, goldChunks, predictedChunks, correctChunks },
  };
}

/** Perl's default `sort` compares strings character by character, not by locale. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
