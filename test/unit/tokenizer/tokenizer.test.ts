// Tokenizer API: special tokens, BOS/EOS framing, decode, streaming decode, malformed input.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Tokenizer, TokenizerError } from '../../../core/tokenizer/index.js';
import { fixture } from '../../helpers/paths.js';
import { storiesDir, storiesTokenizer, storiesTokenizerConfig, storiesTokenizerJson } from './stories.js';

const tok = storiesTokenizer();

function withConfig(changes: Record<string, unknown>): Tokenizer {
  return Tokenizer.fromJson(
    storiesTokenizerJson(),
    { ...storiesTokenizerConfig(), ...changes },
    'test-config',
  );
}

/** A tiny BPE tokenizer.json with only what the schema requires: model type, vocab, merges. */
function tinyBpeJson(): Record<string, unknown> {
  return {
    model: {
      type: 'BPE',
      vocab: { '<unk>': 0, a: 1, b: 2, ab: 3, '<s>': 4, '</s>': 5 },
      merges: ['a b'],
      unk_token: '<unk>',
    },
  };
}

function throwsTokenizerError(fn: () => unknown, pattern: RegExp, source?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TokenizerError, `expected a TokenizerError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (source !== undefined) {
      assert.equal(e.source, source);
      assert.ok(e.message.includes(source), `message should name the source: ${e.message}`);
    }
    return true;
  });
}

void test('stories260K: special token ids, sizes and lookups', () => {
  assert.equal(tok.vocabSize, 512);
  assert.equal(tok.bosTokenId, 1);
  assert.equal(tok.eosTokenId, 2);
  assert.equal(tok.unkTokenId, 0);
  assert.equal(tok.padTokenId, undefined);
  assert.equal(tok.modelMaxLength, 512);
  assert.equal(tok.chatTemplate, undefined);
  assert.equal(tok.source, storiesDir);
  assert.equal(tok.tokenToId('<s>'), 1);
  assert.equal(tok.tokenToId('<0x0A>'), 13);
  assert.equal(tok.tokenToId('no such token'), undefined);
  assert.equal(tok.idToToken(410), '▁');
  for (const bad of [512, -1, 1.5, Number.NaN]) assert.equal(tok.idToToken(bad), undefined, String(bad));
  assert.deepEqual(
    [...tok.specialTokenIds()].sort((a, b) => a - b),
    [0, 1, 2],
  );
  const bytes = tok.byteTokenIds();
  assert.equal(bytes.size, 256);
  for (let b = 0; b < 256; b++) assert.ok(bytes.has(3 + b), `byte ${b}`);
  // The sets are copies: changing one changes nothing inside.
  tok.specialTokenIds().clear();
  bytes.clear();
  assert.equal(tok.specialTokenIds().size, 3);
  assert.equal(tok.byteTokenIds().size, 256);
});

void test('addSpecialTokens: BOS by default, nothing when false', () => {
  assert.deepEqual(tok.framing, { prefix: [1], suffix: [] });
  const ids = tok.encode('Once upon a time');
  assert.equal(ids[0], 1);
  assert.deepEqual(ids.slice(1), tok.encode('Once upon a time', { addSpecialTokens: false }));
  assert.deepEqual(tok.encode('', { addSpecialTokens: false }), []);
});

void test('add_bos_token / add_eos_token of tokenizer_config.json decide each side; unset sides follow the post_processor', () => {
  const body = tok.encode('The dog ran.', { addSpecialTokens: false });
  assert.deepEqual(withConfig({ add_eos_token: true }).encode('The dog ran.'), [1, ...body, 2]);
  assert.deepEqual(withConfig({ add_bos_token: false }).encode('The dog ran.'), body);
  assert.deepEqual(withConfig({ add_bos_token: false, add_eos_token: true }).encode('The dog ran.'), [
    ...body,
    2,
  ]);
  // No flags: the tokenizer.json post_processor (TemplateProcessing "<s> $A") decides.
  const noFlags = storiesTokenizerConfig();
  delete noFlags.add_bos_token;
  delete noFlags.add_eos_token;
  assert.deepEqual(Tokenizer.fromJson(storiesTokenizerJson(), noFlags).encode('The dog ran.'), [1, ...body]);
  // No post_processor and no flags: nothing is added.
  const json = { ...storiesTokenizerJson(), post_processor: null };
  assert.deepEqual(Tokenizer.fromJson(json, noFlags).encode('The dog ran.'), body);
  // The framing agrees with what @huggingface/tokenizers' own post-processor adds.
  const raw = new HfTokenizer(storiesTokenizerJson(), {});
  assert.deepEqual(
    Tokenizer.fromJson(storiesTokenizerJson()).encode('The dog ran.'),
    raw.encode('The dog ran.').ids,
  );
});

void test('without tokenizer_config.json: no bos/eos ids, unk from the model, framing from the post_processor', () => {
  const bare = Tokenizer.fromJson(storiesTokenizerJson());
  assert.equal(bare.bosTokenId, undefined);
  assert.equal(bare.eosTokenId, undefined);
  assert.equal(bare.unkTokenId, 0);
  assert.equal(bare.modelMaxLength, undefined);
  assert.deepEqual(bare.framing, { prefix: [1], suffix: [] });
  // The added tokens marked special are still special.
  assert.deepEqual(
    [...bare.specialTokenIds()].sort((a, b) => a - b),
    [0, 1, 2],
  );
});

void test('config forms: AddedToken objects, "no limit" model_max_length, pad token', () => {
  const t = withConfig({
    bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false },
    pad_token: '<unk>',
    model_max_length: 1e30,
  });
  assert.equal(t.bosTokenId, 1);
  assert.equal(t.padTokenId, 0);
  assert.equal(t.modelMaxLength, undefined);
});

void test('other post_processors: BertProcessing, RobertaProcessing, ByteLevel, Sequence', () => {
  const json = (pp: unknown) => ({ ...tinyBpeJson(), post_processor: pp });
  const bert = Tokenizer.fromJson(json({ type: 'BertProcessing', cls: ['<s>', 4], sep: ['</s>', 5] }));
  assert.deepEqual(bert.encode('abab'), [4, 3, 3, 5]);
  const roberta = Tokenizer.fromJson(json({ type: 'RobertaProcessing', cls: ['<s>', 4], sep: ['</s>', 5] }));
  assert.deepEqual(roberta.framing, { prefix: [4], suffix: [5] });
  const template = {
    type: 'TemplateProcessing',
    single: [
      { SpecialToken: { id: '<s>', type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: '</s>', type_id: 0 } },
    ],
    pair: [],
    special_tokens: {
      '<s>': { id: '<s>', ids: [4], tokens: ['<s>'] },
      '</s>': { id: '</s>', ids: [5], tokens: ['</s>'] },
    },
  };
  const seq = Tokenizer.fromJson(
    json({ type: 'Sequence', processors: [{ type: 'ByteLevel', trim_offsets: false }, template] }),
  );
  assert.deepEqual(seq.encode('ab'), [4, 3, 5]);
  throwsTokenizerError(
    () => Tokenizer.fromJson(json({ type: 'Fancy' }), undefined, 'pp-src'),
    /post_processor has type "Fancy", which this tokenizer does not support/,
    'pp-src',
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson(json({ ...template, special_tokens: {} }), undefined, 'pp-src'),
    /names special token "<s>"/,
    'pp-src',
  );
});

void test('a minimal tokenizer.json (only the model: what a GGUF import may build) works', () => {
  const t = Tokenizer.fromJson(tinyBpeJson(), undefined, 'tiny.gguf');
  assert.equal(t.vocabSize, 6);
  assert.deepEqual(t.encode('abab'), [3, 3]);
  assert.deepEqual(t.encode('abba'), [3, 2, 1]);
  assert.equal(t.unkTokenId, 0);
  assert.equal(t.byteTokenIds().size, 0);
  // Rust (and the JS port) join tokens with spaces when there is no decoder.
  assert.equal(t.decode([3, 2]), 'ab b');
  // A Unigram model names its unknown token by id.
  const unigram = Tokenizer.fromJson({
    model: {
      type: 'Unigram',
      unk_id: 0,
      vocab: [
        ['<unk>', 0],
        ['▁a', -1],
        ['b', -2],
        ['▁', -3],
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
  });
  assert.equal(unigram.unkTokenId, 0);
  assert.equal(unigram.vocabSize, 4);
  assert.deepEqual(unigram.encode('ab'), [1, 2]);
  assert.equal(unigram.decode([1, 2]), 'ab');
});

void test('decode: specials kept or skipped, unknown ids left out, empty input, non-integers rejected', () => {
  const ids = tok.encode('Lily was happy.');
  assert.equal(tok.decode(ids), '<s> Lily was happy.');
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'Lily was happy.');
  assert.equal(tok.decode([...ids, 9999, -3]), tok.decode(ids));
  assert.equal(tok.decode([]), '');
  assert.equal(tok.decode([1, 2], { skipSpecialTokens: true }), '');
  throwsTokenizerError(() => tok.decode([1, 2.5]), /id 1 is 2\.5, not an integer/, storiesDir);
  throwsTokenizerError(() => tok.decode(['x'] as unknown as number[]), /id 0 is x/, storiesDir);
  throwsTokenizerError(() => tok.decode('abc' as unknown as number[]), /needs a list of ids/, storiesDir);
  throwsTokenizerError(() => tok.encode(42 as unknown as string), /needs a string/, storiesDir);
});

/** The streamed text of ids: one decodeStreamStep per id. */
function streamed(t: Tokenizer, ids: readonly number[], skipSpecialTokens: boolean): string[] {
  return ids.map((_, i) => t.decodeStreamStep(ids.slice(0, i + 1), { skipSpecialTokens }));
}

void test('decodeStreamStep: the steps add up to decode(), multi-byte characters arrive whole', () => {
  const text =
    fs.readFileSync(fixture('tokenizer', 'tinystories_sample.txt'), 'utf8').slice(0, 1500) + ' 東京 🙂 naïve';
  const ids = [...tok.encode(text), 2, ...tok.encode('The end.', { addSpecialTokens: false })];
  for (const skip of [true, false]) {
    assert.equal(
      streamed(tok, ids, skip).join(''),
      tok.decode(ids, { skipSpecialTokens: skip }),
      `skip=${skip}`,
    );
  }
  // '🙂' is ▁ + four byte tokens: nothing shows until the last byte, then the whole character.
  const smiley = tok.encode('🙂');
  assert.deepEqual(streamed(tok, smiley, true), ['', '', '', '', '', '🙂']);
  assert.deepEqual(streamed(tok, tok.encode('a 🙂'), true), ['', 'a', ' ', '', '', '', '🙂']);
  assert.equal(tok.decodeStreamStep([]), '');
  // A skipped special token adds nothing.
  assert.equal(tok.decodeStreamStep([...tok.encode('Hi'), 2], { skipSpecialTokens: true }), '');
});

void test('fast-check: ids in range, decode gives the normalized text back, stream steps add up', () => {
  const pieces = [
    'a',
    'b',
    'the',
    'dog',
    ' ',
    '  ',
    '\n',
    '\t',
    '.',
    ',',
    'é',
    '🙂',
    '東',
    'Lily',
    '"',
    "'s",
    '0',
    '9',
  ];
  const textArb = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(textArb, (text) => {
      const ids = tok.encode(text);
      assert.equal(ids[0], 1);
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < tok.vocabSize);
      const expected = text.replace(/^ +| +$/gm, '').replace(/ {2,}/g, ' ');
      assert.equal(tok.decode(ids, { skipSpecialTokens: true }), expected);
      assert.equal(streamed(tok, ids, true).join(''), expected);
    }),
    { numRuns: 200, seed: 20240611 },
  );
});

void test('malformed tokenizer.json: TokenizerError naming the source and the field', () => {
  const src = 'models/broken';
  throwsTokenizerError(
    () => Tokenizer.fromJson(null, undefined, src),
    /tokenizer\.json of 'models\/broken': is a object, expected a JSON object/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson([1, 2], undefined, src),
    /is a list, expected a JSON object/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ version: '1.0' }, undefined, src),
    /has no "model" object/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ model: { type: 'BPE', merges: [] } }, undefined, src),
    /"model\.vocab" is missing/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ model: { type: 'BPE', vocab: { a: 0 } } }, undefined, src),
    /"model\.merges"/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ model: { type: 'BPE', vocab: { a: 'zero' }, merges: [] } }, undefined, src),
    /model\.vocab\["a"\] is "zero"/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ ...tinyBpeJson(), added_tokens: {} }, undefined, src),
    /"added_tokens" is not a list/,
    src,
  );
  throwsTokenizerError(
    () =>
      Tokenizer.fromJson({ ...tinyBpeJson(), added_tokens: [{ id: 'x', content: '<s>' }] }, undefined, src),
    /added_tokens\[0\]/,
    src,
  );
  throwsTokenizerError(
    () => Tokenizer.fromJson({ ...tinyBpeJson(), decoder: 'Fuse' }, undefined, src),
    /"decoder" is neither/,
    src,
  );
  // Errors inside @huggingface/tokenizers come back as TokenizerErrors too.
  throwsTokenizerError(
    () => Tokenizer.fromJson({ ...tinyBpeJson(), normalizer: { type: 'NoSuchNormalizer' } }, undefined, src),
    /cannot build it: Unknown Normalizer type: NoSuchNormalizer/,
    src,
  );
  // Without a source, messages still say which file.
  throwsTokenizerError(() => Tokenizer.fromJson('{"model": {}}'), /^tokenizer\.json: is a string/);
});

void test('malformed tokenizer_config.json: TokenizerError naming the field', () => {
  const src = 'test-config';
  throwsTokenizerError(
    () => withConfig({ bos_token: 5 }),
    /tokenizer_config\.json of 'test-config': field "bos_token" is 5/,
    src,
  );
  throwsTokenizerError(
    () => withConfig({ eos_token: '<eos>' }),
    /"eos_token" is "<eos>", which the vocabulary of tokenizer\.json lacks/,
    src,
  );
  throwsTokenizerError(
    () => withConfig({ add_bos_token: 'yes' }),
    /"add_bos_token" is "yes", expected true or false/,
    src,
  );
  throwsTokenizerError(
    () => withConfig({ add_eos_token: true, eos_token: null }),
    /add_eos_token is true but the token it names is not set/,
    src,
  );
  throwsTokenizerError(() => withConfig({ model_max_length: -1 }), /model_max_length/, src);
  throwsTokenizerError(() => withConfig({ chat_template: 3 }), /"chat_template" is a number/, src);
  throwsTokenizerError(() => withConfig({ chat_template: [{ name: 'default' }] }), /chat_template\[0\]/, src);
  throwsTokenizerError(
    () => Tokenizer.fromJson(storiesTokenizerJson(), ['x'], src),
    /tokenizer_config\.json of 'test-config': is a list/,
    src,
  );
});
