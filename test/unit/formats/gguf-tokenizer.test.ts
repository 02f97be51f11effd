// The tokenizer.json built from a GGUF's vocabulary, against the Hugging Face tokenizer.json of the same
// model (models/stories260K) and the golden ids of test/fixtures/golden/tokenizer_cases.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '@huggingface/tokenizers';
import { importGguf } from '../../../core/formats/gguf.js';
import { buildSpmTokenizer, deriveSpmMerges } from '../../../core/formats/gguf-tokenizer.js';
import type { GgufVocabulary } from '../../../core/formats/gguf-tokenizer.js';
import { fixture, readJson } from '../../helpers/paths.js';
import { GgufValueType, HF_DIR, bool, sourceModel, str, writeVariant } from '../../helpers/gguf-writer.js';

interface TokenizerCase {
  text: string;
  ids: number[];
}

const cases = readJson<TokenizerCase[]>(fixture('golden', 'tokenizer_cases.json'));
const hfJson = readJson<Record<string, unknown>>(`${HF_DIR}/tokenizer.json`);
const hfConfig = readJson<Record<string, unknown>>(`${HF_DIR}/tokenizer_config.json`);
const hfTokenizer = new Tokenizer(hfJson, hfConfig);

// @huggingface/tokenizers 0.2.0 emits '▁' for whitespace-only input where SentencePiece emits nothing
// (../shared/README.md); for those strings the golden ids are not the reference.
const whitespaceOnly = (text: string): boolean => /^\s*$/.test(text);

async function importStories(removeExtraWhitespaces?: boolean) {
  const src = await sourceModel();
  return importGguf(
    src.bytes,
    'stories260K.gguf',
    removeExtraWhitespaces === undefined ? {} : { removeExtraWhitespaces },
  );
}

void test('the built tokenizer.json equals the HF converter output (whitespace collapsing guessed from the vocabulary)', async () => {
  const { tokenizerJson, tokenizerConfig } = await importStories();
  assert.deepEqual(tokenizerJson, hfJson);
  // Everything but model_max_length, which is the GGUF's context length (2048; the HF files say 512).
  assert.deepEqual({ ...tokenizerConfig, model_max_length: 512 }, hfConfig);
  assert.equal(tokenizerConfig.model_max_length, 2048);
});

void test('built tokenizer gives the HF ids on all 1,499 golden strings', async () => {
  const { tokenizerJson, tokenizerConfig } = await importStories();
  const built = new Tokenizer(tokenizerJson, tokenizerConfig);
  let againstGolden = 0;
  for (const { text, ids } of cases) {
    const got = built.encode(text).ids;
    assert.deepEqual(got, hfTokenizer.encode(text).ids, JSON.stringify(text));
    if (!whitespaceOnly(text)) {
      assert.deepEqual(got, ids, JSON.stringify(text));
      againstGolden++;
    }
    assert.equal(
      built.decode(got, { skip_special_tokens: true }),
      hfTokenizer.decode(got, { skip_special_tokens: true }),
    );
  }
  assert.ok(againstGolden > 1400, `${againstGolden} strings checked against the golden ids`);
});

void test('without whitespace collapsing (llama.cpp behaviour) runs of spaces are kept; plain text is unchanged', async () => {
  const { tokenizerJson, tokenizerConfig } = await importStories(false);
  const built = new Tokenizer(tokenizerJson, tokenizerConfig);
  let plain = 0;
  let differing = 0;
  for (const { text } of cases) {
    const got = built.encode(text).ids;
    const want = hfTokenizer.encode(text).ids;
    if (!/^ | $| {2}/.test(text)) {
      assert.deepEqual(got, want, JSON.stringify(text));
      plain++;
    } else if (JSON.stringify(got) !== JSON.stringify(want)) {
      differing++;
    }
  }
  assert.ok(plain > 1000 && differing > 0, `${plain} plain strings, ${differing} differing`);
  // The second space stays, as its own '▁'; SentencePiece (and the HF file) collapse it.
  assert.deepEqual(built.tokenize('Hello  world'), ['▁He', 'll', 'o', '▁', '▁w', 'or', 'ld']);
  assert.deepEqual(hfTokenizer.tokenize('Hello  world'), ['▁He', 'll', 'o', '▁w', 'or', 'ld']);
});

void test('a vocabulary with a learned multi-space piece, or the file key, turns collapsing off', async () => {
  const src = await sourceModel();
  const collapses = (json: Record<string, unknown>): boolean =>
    JSON.stringify(json.normalizer).includes(' {2,}');
  const tokens = src.metadata.find(([key]) => key === 'tokenizer.ggml.tokens')?.[1];
  assert.ok(tokens && Array.isArray(tokens.value) && tokens.subType !== undefined);
  // Replace the last piece (' ', id 511, type NORMAL) with '▁▁', as Llama 2 has at id 259.
  const withRun = [...tokens.value.slice(0, -1), '\u2581\u2581'];
  const llama2Like = await importGguf(
    writeVariant(src, {
      metadata: {
        'tokenizer.ggml.tokens': { type: GgufValueType.ARRAY, subType: tokens.subType, value: withRun },
      },
    }),
  );
  assert.equal(collapses(llama2Like.tokenizerJson), false);
  const keyed = await importGguf(
    writeVariant(src, { metadata: { 'tokenizer.ggml.remove_extra_whitespaces': bool(false) } }),
  );
  assert.equal(collapses(keyed.tokenizerJson), false);
  const forced = await importGguf(
    writeVariant(src, { metadata: { 'tokenizer.ggml.remove_extra_whitespaces': bool(false) } }),
    undefined,
    {
      removeExtraWhitespaces: true,
    },
  );
  assert.equal(collapses(forced.tokenizerJson), true);
});

void test('deriveSpmMerges orders merges by the joined piece score, then by the ids of its halves', () => {
  const tokens = ['a', 'b', 'c', 'bc', 'ab', 'abc'];
  const scores = [0, 0, 0, -1, -2, -3];
  const idOf = new Map(tokens.map((t, i) => [t, i] as const));
  assert.deepEqual(deriveSpmMerges(tokens, scores, idOf), [
    ['b', 'c'], // bc (-1)
    ['a', 'b'], // ab (-2)
    ['a', 'bc'], // abc (-3): a(0)+bc(3) before ab(4)+c(2)
    ['ab', 'c'],
  ]);
  // Pieces outside the BMP split between code points only.
  const emoji = ['😀', 'x', '😀x'];
  assert.deepEqual(deriveSpmMerges(emoji, undefined, new Map(emoji.map((t, i) => [t, i] as const))), [
    ['😀', 'x'],
  ]);
});

function vocabulary(overrides: Partial<GgufVocabulary>): GgufVocabulary {
  return {
    model: 'llama',
    tokens: ['<unk>', '<s>', '</s>', '<0x41>', '▁', 'a', 'b', '▁a', '<tool>'],
    scores: [0, 0, 0, 0, -1, -2, -3, -4, 0],
    tokenTypes: [2, 3, 3, 6, 1, 1, 1, 1, 4],
    bosId: 1,
    eosId: 2,
    unkId: 0,
    padId: undefined,
    addBos: true,
    addEos: false,
    addSpacePrefix: true,
    removeExtraWhitespaces: false,
    chatTemplate: undefined,
    modelMaxLength: undefined,
    ...overrides,
  };
}

void test('token types, add_bos/add_eos and user-defined tokens shape the tokenizer', () => {
  const { tokenizerJson, tokenizerConfig } = buildSpmTokenizer(vocabulary({ addBos: false, addEos: true }));
  const added = tokenizerJson.added_tokens as { content: string; special: boolean }[];
  assert.deepEqual(
    added.map((t) => [t.content, t.special]),
    [
      ['<unk>', true],
      ['<s>', true],
      ['</s>', true],
      ['<tool>', false],
    ],
  );
  const tok = new Tokenizer(tokenizerJson, tokenizerConfig);
  // No BOS, EOS at the end; "A" has no piece and falls back to its byte; <tool> is matched whole.
  assert.deepEqual(tok.encode('a A<tool>').ids, [7, 4, 3, 8, 2]);
  assert.equal(tokenizerConfig.add_bos_token, false);
  assert.equal(tokenizerConfig.add_eos_token, true);
  assert.equal('model_max_length' in tokenizerConfig, false);
});

void test('the file chat template and add_bos_token reach tokenizer_config; bad ids are refused', async () => {
  const src = await sourceModel();
  const template = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
  const bytes = writeVariant(src, {
    metadata: { 'tokenizer.chat_template': str(template), 'tokenizer.ggml.add_bos_token': bool(false) },
  });
  const { tokenizerConfig, tokenizerJson } = await importGguf(bytes);
  assert.equal(tokenizerConfig.chat_template, template);
  assert.equal(tokenizerConfig.add_bos_token, false);
  assert.equal(new Tokenizer(tokenizerJson, tokenizerConfig).encode('Once').ids[0], 403);

  const badBos = writeVariant(src, {
    metadata: { 'tokenizer.ggml.bos_token_id': { type: GgufValueType.UINT32, value: 9999 } },
  });
  await assert.rejects(
    importGguf(badBos, 'bad.gguf'),
    /tokenizer\.ggml\.bos_token_id is 9999, outside the vocabulary of 512/,
  );
  assert.throws(
    () => buildSpmTokenizer(vocabulary({ scores: [0] })),
    /tokenizer\.ggml\.scores has 1 entries for 9 tokens/,
  );
});
