// Builds a Hugging Face tokenizer.json + tokenizer_config.json from the vocabulary a GGUF file embeds.
//
// Only SentencePiece-style vocabularies (`tokenizer.ggml.model = "llama"`: Llama 1/2, Mistral, TinyLlama,
// llama2.c models) are handled. Such a GGUF keeps the SentencePiece pieces, their scores and their
// types, but not the SentencePiece merge table, because SentencePiece BPE merges by score: it joins the
// adjacent pair whose joined piece has the highest score (llama.cpp's SPM tokenizer does the same). The
// Hugging Face converter turns that rule into an ordinary BPE merge list, and so do we, the same way:
// every split of every piece into two pieces of the vocabulary becomes a merge; merges are ordered by
// the joined piece's score (highest first), and the splits of one piece by the ids of their halves.
// For stories260K this reproduces the converter's tokenizer.json exactly (vocab, merges and all).
//
// What a GGUF rarely records is SentencePiece's `remove_extra_whitespaces` normalisation (strip the
// text, collapse runs of spaces), which llama.cpp never applies to SPM vocabularies; gguf.ts decides it
// (GgufImportOptions.removeExtraWhitespaces) and passes it in.

import { ggufFail } from './gguf-error.js';

/** llama.cpp's token types (`enum llama_token_type`), stored in `tokenizer.ggml.token_type`. */
export const GgufTokenType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** The tokenizer part of a GGUF's metadata, already read and type-checked by gguf.ts. */
export interface GgufVocabulary {
  /** `tokenizer.ggml.model` */
  readonly model: string;
  /** `tokenizer.ggml.tokens`: the piece of each id */
  readonly tokens: readonly string[];
  /** `tokenizer.ggml.scores` (SentencePiece log-probabilities / merge priorities); 0 for all when absent */
  readonly scores: readonly number[] | undefined;
  /** `tokenizer.ggml.token_type` (GgufTokenType); absent in some old files */
  readonly tokenTypes: readonly number[] | undefined;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly unkId: number | undefined;
  readonly padId: number | undefined;
  readonly addBos: boolean;
  readonly addEos: boolean;
  /** prepend '▁' to the text (SentencePiece `add_dummy_prefix`) */
  readonly addSpacePrefix: boolean;
  /** strip the text and collapse runs of spaces (SentencePiece `remove_extra_whitespaces`) */
  readonly removeExtraWhitespaces: boolean;
  readonly chatTemplate: string | undefined;
  /** the context length, written as tokenizer_config's model_max_length */
  readonly modelMaxLength: number | undefined;
}

export interface BuiltTokenizer {
  /** a tokenizer.json object, loadable by `new Tokenizer(tokenizerJson, tokenizerConfig)` of @huggingface/tokenizers */
  readonly tokenizerJson: Record<string, unknown>;
  /** a tokenizer_config.json object */
  readonly tokenizerConfig: Record<string, unknown>;
}

/** SentencePiece's meta symbol for a space. */
const SPACE_MARK = '\u2581';

function checkId(
  vocab: GgufVocabulary,
  id: number | undefined,
  key: string,
  source: string | undefined,
): string | undefined {
  if (id === undefined) return undefined;
  const piece = vocab.tokens[id];
  if (piece === undefined) {
    ggufFail(
      source,
      `${key} is ${id}, outside the vocabulary of ${vocab.tokens.length} tokens`,
      'The file is malformed; re-convert the model with llama.cpp',
    );
  }
  return piece;
}

/**
 * The BPE merge list equivalent to SentencePiece's merge-by-score rule (see the file comment).
 * `idOf` maps each piece to its id (the first id when a piece occurs twice).
 */
export function deriveSpmMerges(
  tokens: readonly string[],
  scores: readonly number[] | undefined,
  idOf: ReadonlyMap<string, number>,
): [string, string][] {
  interface Candidate {
    readonly left: string;
    readonly right: string;
    readonly leftId: number;
    readonly rightId: number;
    readonly score: number;
  }
  const candidates: Candidate[] = [];
  tokens.forEach((piece, id) => {
    if (idOf.get(piece) !== id) return; // a duplicate piece: its first id already produced its merges
    // Split between code points, never inside a surrogate pair.
    const chars = Array.from(piece);
    const local: Candidate[] = [];
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('');
      const right = chars.slice(i).join('');
      const leftId = idOf.get(left);
      const rightId = idOf.get(right);
      if (leftId !== undefined && rightId !== undefined) {
        local.push({ left, right, leftId, rightId, score: scores?.[id] ?? 0 });
      }
    }
    local.sort((a, b) => a.leftId - b.leftId || a.rightId - b.rightId);
    candidates.push(...local);
  });
  // Array.prototype.sort is stable, so pieces of equal score keep their id order.
  candidates.sort((a, b) => b.score - a.score);
  return candidates.map((c) => [c.left, c.right]);
}

function addedToken(id: number, content: string, special: boolean): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/** Builds tokenizer.json and tokenizer_config.json for a SentencePiece-style (`llama`) GGUF vocabulary. */
export function buildSpmTokenizer(vocab: GgufVocabulary, source?: string): BuiltTokenizer {
  if (vocab.model !== 'llama') {
    ggufFail(
      source,
      `its vocabulary is of kind tokenizer.ggml.model = '${vocab.model}', but only SentencePiece-style ('llama') vocabularies can be turned into a tokenizer.json so far`,
      "Use the model's Hugging Face directory (config.json, model.safetensors, tokenizer.json) instead of the GGUF file",
    );
  }
  const { tokens, scores, tokenTypes } = vocab;
  if (tokens.length === 0) {
    ggufFail(
      source,
      'tokenizer.ggml.tokens is empty',
      'The file is malformed; re-convert the model with llama.cpp',
    );
  }
  if (scores !== undefined && scores.length !== tokens.length) {
    ggufFail(
      source,
      `tokenizer.ggml.scores has ${scores.length} entries for ${tokens.length} tokens`,
      'The file is malformed; re-convert the model with llama.cpp',
    );
  }
  if (tokenTypes !== undefined && tokenTypes.length !== tokens.length) {
    ggufFail(
      source,
      `tokenizer.ggml.token_type has ${tokenTypes.length} entries for ${tokens.length} tokens`,
      'The file is malformed; re-convert the model with llama.cpp',
    );
  }
  const bos = checkId(vocab, vocab.bosId, 'tokenizer.ggml.bos_token_id', source);
  const eos = checkId(vocab, vocab.eosId, 'tokenizer.ggml.eos_token_id', source);
  const unk = checkId(vocab, vocab.unkId, 'tokenizer.ggml.unknown_token_id', source);
  const pad = checkId(vocab, vocab.padId, 'tokenizer.ggml.padding_token_id', source);
  if (vocab.addBos && bos === undefined) {
    ggufFail(
      source,
      'tokenizer.ggml.add_bos_token is true but the file names no BOS token',
      'Re-convert the model with llama.cpp',
    );
  }
  if (vocab.addEos && eos === undefined) {
    ggufFail(
      source,
      'tokenizer.ggml.add_eos_token is true but the file names no EOS token',
      'Re-convert the model with llama.cpp',
    );
  }

  const idOf = new Map<string, number>();
  tokens.forEach((piece, id) => {
    if (!idOf.has(piece)) idOf.set(piece, id);
  });
  // Object.fromEntries defines own properties, so a piece such as "__proto__" stays an ordinary key.
  const vocabObject = Object.fromEntries(idOf);
  const merges = deriveSpmMerges(tokens, scores, idOf);

  const addedTokens: Record<string, unknown>[] = [];
  tokens.forEach((piece, id) => {
    const type = tokenTypes?.[id];
    const isSpecial =
      type === undefined
        ? id === vocab.bosId || id === vocab.eosId || id === vocab.unkId
        : type === GgufTokenType.CONTROL || type === GgufTokenType.UNKNOWN;
    // User-defined pieces are matched in the raw text before BPE, like llama.cpp does, but are not special.
    if (isSpecial || type === GgufTokenType.USER_DEFINED) addedTokens.push(addedToken(id, piece, isSpecial));
  });
  const hasByteTokens =
    tokenTypes !== undefined
      ? tokenTypes.includes(GgufTokenType.BYTE)
      : idOf.has('<0x00>') && idOf.has('<0xFF>');

  const normalizers: Record<string, unknown>[] = [];
  if (vocab.removeExtraWhitespaces) {
    normalizers.push(
      { type: 'Replace', pattern: { Regex: '^ +| +$' }, content: '' },
      { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    );
  }
  if (vocab.addSpacePrefix) normalizers.push({ type: 'Prepend', prepend: SPACE_MARK });
  normalizers.push({ type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK });

  // TemplateProcessing: "<s> $A </s>" for one text, "<s> $A </s> <s> $B </s>" for a pair, with each
  // special token present only when the vocabulary asks for it (add_bos / add_eos).
  const templateFor = (sequence: 'A' | 'B', typeId: number): Record<string, unknown>[] => [
    ...(vocab.addBos && bos !== undefined ? [{ SpecialToken: { id: bos, type_id: typeId } }] : []),
    { Sequence: { id: sequence, type_id: typeId } },
    ...(vocab.addEos && eos !== undefined ? [{ SpecialToken: { id: eos, type_id: typeId } }] : []),
  ];
  const templateSpecials: Record<string, unknown> = {};
  if (vocab.addBos && bos !== undefined && vocab.bosId !== undefined) {
    templateSpecials[bos] = { id: bos, ids: [vocab.bosId], tokens: [bos] };
  }
  if (vocab.addEos && eos !== undefined && vocab.eosId !== undefined) {
    templateSpecials[eos] = { id: eos, ids: [vocab.eosId], tokens: [eos] };
  }

  const decoders: Record<string, unknown>[] = [
    { type: 'Replace', pattern: { String: SPACE_MARK }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
  ];
  // The space that the prefix added comes back first when decoding: drop one.
  if (vocab.addSpacePrefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });

  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: templateFor('A', 0),
      pair: [...templateFor('A', 0), ...templateFor('B', 1)],
      special_tokens: templateSpecials,
    },
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk ?? null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: hasByteTokens,
      ignore_merges: false,
      vocab: vocabObject,
      merges,
    },
  };

  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: vocab.addBos,
    add_eos_token: vocab.addEos,
    bos_token: bos ?? null,
    eos_token: eos ?? null,
    unk_token: unk ?? null,
    pad_token: pad ?? null,
    clean_up_tokenization_spaces: false,
    ...(vocab.modelMaxLength !== undefined ? { model_max_length: vocab.modelMaxLength } : {}),
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(vocab.chatTemplate !== undefined ? { chat_template: vocab.chatTemplate } : {}),
  };
  return { tokenizerJson, tokenizerConfig };
}
