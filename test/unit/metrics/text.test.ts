import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { MetricsError } from '../../../core/metrics/errors.js';
import {
  exactMatch,
  lcsLength,
  mean,
  normalizeWhitespace,
  perplexity,
  rougeL,
  rougeLScore,
  rougeTokenize,
} from '../../../core/metrics/text.js';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≠ ${expected}`);
};

describe('rougeTokenize (rouge_score default tokenizer, no stemming)', () => {
  it('lowercases and splits on everything that is not [a-z0-9]', () => {
    assert.deepEqual(rougeTokenize("Hello, World! It's 2024."), ['hello', 'world', 'it', 's', '2024']);
    assert.deepEqual(rougeTokenize('  tabs\tand\nnew-lines_x '), ['tabs', 'and', 'new', 'lines', 'x']);
    // Non-ASCII letters are separators in rouge_score, not part of tokens.
    assert.deepEqual(rougeTokenize('Café naïve 東京'), ['caf', 'na', 've']);
    assert.deepEqual(rougeTokenize('?!…'), []);
  });
});

describe('rougeL', () => {
  it('matches hand-computed LCS F-measures', () => {
    // reference 9 tokens, candidate 8, LCS "the quick brown jumps the" = 5.
    const s = rougeLScore(
      'The quick brown fox jumps over the lazy dog',
      'The quick brown dog jumps on the log.',
    );
    close(s.precision, 5 / 8);
    close(s.recall, 5 / 9);
    close(s.fmeasure, (2 * (5 / 8) * (5 / 9)) / (5 / 8 + 5 / 9));
    close(s.fmeasure, 0.5882352941176471, 1e-15);
    // reference 6, candidate 5, LCS 5: P 1, R 5/6, F 10/11.
    close(rougeL('the cat sat on the mat', 'The cat, on the mat!'), 10 / 11);
    // Order matters for LCS: "the gunman" is the longest common subsequence.
    close(rougeL('police killed the gunman', 'the gunman kill police'), 0.5);
    assert.equal(rougeL('Same words', 'same  WORDS'), 1);
    assert.equal(rougeL('alpha beta', 'gamma delta'), 0);
  });

  it('is 0 when either side has no tokens (as rouge_score)', () => {
    assert.deepEqual(rougeLScore('', 'anything'), { precision: 0, recall: 0, fmeasure: 0 });
    assert.equal(rougeL('words', '...'), 0);
  });

  it('computes LCS lengths consistent with their definition', () => {
    assert.equal(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a']), 4);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 12 }),
        fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 12 }),
        (a, b) => {
          const l = lcsLength(a, b);
          assert.equal(l, lcsLength(b, a));
          assert.ok(l <= Math.min(a.length, b.length));
          assert.equal(lcsLength(a, a), a.length);
          // Appending the same token to both raises the LCS by exactly one.
          assert.equal(lcsLength([...a, 'z'], [...b, 'z']), l + 1);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('exactMatch', () => {
  it('compares after trimming and collapsing whitespace, case-sensitively', () => {
    assert.equal(exactMatch('  Paris \n', 'Paris'), true);
    assert.equal(exactMatch('New \t York', 'New York'), true);
    assert.equal(exactMatch('paris', 'Paris'), false);
    assert.equal(exactMatch('Paris.', 'Paris'), false);
    assert.equal(normalizeWhitespace(' a \n\n b '), 'a b');
    assert.equal(mean([1, 0, 1, 1]), 0.75);
    assert.equal(mean([]), 0);
  });
});

describe('perplexity', () => {
  it('is exp of the mean loss in nats', () => {
    assert.equal(perplexity(0), 1);
    close(perplexity(Math.log(10)), 10, 1e-12);
    close(perplexity(Math.log(512)), 512, 1e-9);
    assert.equal(perplexity(Infinity), Infinity);
  });

  it('rejects NaN and negative losses', () => {
    assert.throws(
      () => perplexity(Number.NaN),
      (e: unknown) => e instanceof MetricsError && /NaN/.test(e.message),
    );
    assert.throws(() => perplexity(-0.1), MetricsError);
  });
});
