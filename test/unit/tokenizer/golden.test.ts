// stories260K's tokenizer against the ids the Rust `tokenizers` library gives (= SentencePiece), and the
// cases where @huggingface/tokenizers 0.2.0 alone would differ.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { fixture } from '../../helpers/paths.js';
import { goldenCases, storiesTokenizer, storiesTokenizerConfig, storiesTokenizerJson } from './stories.js';

const tok = storiesTokenizer();
const BOS = 1;
const EOS = 2;
const META_SPACE = 410; // '▁'

function bare(text: string): number[] {
  return tok.encode(text, { addSpecialTokens: false });
}

/**
 * What stories260K's normalizer does to spaces: Replace('^ +| +$' -> ''), Replace(' {2,}' -> ' ').
 * The patterns are Oniguruma regexes, in which ^ and $ match at every line start/end (Ruby syntax, what
 * the Rust library's onig regexes use; @huggingface/tokenizers rewrites them to keep that meaning), so
 * spaces are dropped around every newline, not only at the ends of the text.
 */
function collapseSpaces(text: string): string {
  return text.replace(/^ +| +$/gm, '').replace(/ {2,}/g, ' ');
}

void test('golden: all 1,499 strings encode to the ids of the Rust tokenizers library (BOS included)', (t) => {
  const cases = goldenCases();
  assert.equal(cases.length, 1499, 'tokenizer_cases.json should hold 1,499 cases');
  const mismatches: string[] = [];
  for (const [i, c] of cases.entries()) {
    const ids = tok.encode(c.text);
    if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
      mismatches.push(
        `#${i} ${JSON.stringify(c.text)}: expected ${JSON.stringify(c.ids)}, got ${JSON.stringify(ids)}`,
      );
    }
  }
  const matched = cases.length - mismatches.length;
  t.diagnostic(`${matched} of ${cases.length} golden strings match`);
  assert.equal(
    mismatches.length,
    0,
    `${matched} of ${cases.length} match; first mismatches:\n${mismatches.slice(0, 10).join('\n')}`,
  );
});

void test('golden: decode(encode(text)) gives the text back, spaces collapsed as the normalizer does', (t) => {
  const cases = goldenCases();
  // A literal '▁' in the text is indistinguishable from an encoded space, so it cannot round-trip.
  const roundTrippable = cases.filter((c) => !c.text.includes('▁'));
  assert.ok(roundTrippable.length >= cases.length - 5);
  const failures: string[] = [];
  for (const c of roundTrippable) {
    const text = tok.decode(c.ids, { skipSpecialTokens: true });
    if (text !== collapseSpaces(c.text))
      failures.push(`${JSON.stringify(c.text)} -> ${JSON.stringify(text)}`);
  }
  t.diagnostic(`${roundTrippable.length - failures.length} of ${roundTrippable.length} round-trip`);
  assert.deepEqual(failures.slice(0, 10), []);
});

void test('decode round-trips TinyStories text (paragraphs, newlines, non-ASCII; spaces at line edges dropped as the normalizer does)', () => {
  const text = fs.readFileSync(fixture('tokenizer', 'tinystories_sample.txt'), 'utf8');
  assert.ok(
    text.length > 5000 && text.includes('\n\n') && Array.from(text).some((c) => c.charCodeAt(0) > 0x7f),
  );
  const ids = tok.encode(text);
  assert.equal(ids[0], BOS);
  // Two lines of the sample end in a space before their newline; the normalizer drops such spaces.
  assert.equal(collapseSpaces(text).length, text.length - 2);
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), collapseSpaces(text));
  // Paragraph by paragraph too (each starts a fresh sequence); those without edge spaces come back exactly.
  let exact = 0;
  for (const paragraph of text.split('\n\n')) {
    const decoded = tok.decode(tok.encode(paragraph), { skipSpecialTokens: true });
    assert.equal(decoded, collapseSpaces(paragraph));
    if (decoded === paragraph) exact++;
  }
  assert.equal(exact, text.split('\n\n').length - 2);
  // Without skipping, BOS shows as its token text, followed by the text's dummy-prefix space.
  assert.equal(tok.decode(tok.encode('Once upon a time')), '<s> Once upon a time');
});

// @huggingface/tokenizers 0.2.0 prepends '▁' even to a text that the normalizer emptied; Rust's Prepend
// leaves an empty string alone (core/tokenizer/rust-parity.ts), so whitespace-only text is just BOS,
// as SentencePiece (which adds its dummy prefix only to non-empty text) trained the model.
void test('whitespace-only text gives only BOS, as the Rust library and SentencePiece do', () => {
  for (const text of [' ', '   ', '          ']) {
    assert.deepEqual(tok.encode(text), [BOS], JSON.stringify(text));
    assert.deepEqual(bare(text), [], JSON.stringify(text));
  }
  assert.deepEqual(tok.encode(''), [BOS]);
  // Only spaces are removed by the normalizer: tabs and newlines are text.
  assert.deepEqual(bare('\t'), [META_SPACE, 3 + 0x09]);
  assert.deepEqual(bare('\n'), [META_SPACE, 3 + 0x0a]);
  // Whitespace-only pieces between special tokens are empty too.
  assert.deepEqual(tok.encode('<s> '), [BOS, BOS]);
  assert.deepEqual(tok.encode(' </s> '), [BOS, EOS]);
});

void test('the unpatched library still emits ▁ for whitespace-only text (if this fails, the upstream bug is fixed)', () => {
  // Documents why rust-parity.ts exists. If a later @huggingface/tokenizers gives [1] here, the
  // EmptySafePrependNormalizer patch is no longer needed (it stays harmless).
  const raw = new HfTokenizer(storiesTokenizerJson(), storiesTokenizerConfig());
  assert.deepEqual(raw.encode(' ').ids, [BOS, META_SPACE]);
});

void test('leading, trailing and repeated spaces collapse as SentencePiece remove_extra_whitespaces does', () => {
  assert.deepEqual(bare('  a  b  '), bare('a b'));
  assert.deepEqual(bare('Once   upon a    time '), bare('Once upon a time'));
  // Newlines are kept; spaces next to a newline go, because ^ and $ of the normalizer's Oniguruma
  // patterns are line anchors (see collapseSpaces). SentencePiece itself would keep them.
  assert.notDeepEqual(bare('a\nb'), bare('a b'));
  assert.deepEqual(bare('a \n  b'), bare('a\nb'));
  assert.deepEqual(bare('a\n b'), [...bare('a'), 3 + 0x0a, tok.tokenToId('b')]);
});

void test('literal <s> and </s> in text become the special tokens, each piece between them normalized alone', () => {
  // Rust splits added tokens out of the raw text first, then normalizes each remaining piece, so the
  // text after a special token gets its own dummy-prefix '▁' and loses its edge spaces.
  assert.deepEqual(tok.encode('Hello <s> world </s>'), [BOS, ...bare('Hello'), BOS, ...bare('world'), EOS]);
  assert.deepEqual(tok.encode('a<s>b'), [BOS, ...bare('a'), BOS, ...bare('b')]);
  assert.deepEqual(bare('</s></s>'), [EOS, EOS]);
  // Not a special token: '<s' without '>' and '<unk>'-like strings that are not added tokens.
  assert.ok(!bare('<s').includes(BOS));
  const ids = tok.encode('The end.</s>');
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'The end.');
  assert.equal(tok.decode(ids), '<s> The end.</s>');
});

void test('emoji and other characters outside the vocabulary fall back to UTF-8 byte tokens', () => {
  // '🙂' = F0 9F 99 82; byte token <0xNN> has id 3 + NN in stories260K.
  assert.deepEqual(bare('🙂'), [META_SPACE, 3 + 0xf0, 3 + 0x9f, 3 + 0x99, 3 + 0x82]);
  const bytes = tok.byteTokenIds();
  for (const text of ['東京', 'naïve café', '👩\u200d👩\u200d👧', 'ÄÖÜ ß']) {
    const ids = bare(text);
    assert.ok(
      ids.some((id) => bytes.has(id)),
      `${text} should use byte tokens`,
    );
    assert.equal(tok.decode(ids), text);
  }
});
