// The project's tokenizer: a Hugging Face tokenizer.json run by @huggingface/tokenizers, made to give the
// ids the Rust `tokenizers` library gives (rust-parity.ts), with tokenizer_config.json's special tokens,
// BOS/EOS flags and chat templates on top. Takes parsed JSON objects, never paths (core/ is platform-free).
//
// Checked against test/fixtures/golden/tokenizer_cases.json: 1,499 strings encoded by the Rust library
// for stories260K (test/unit/tokenizer/golden.test.ts).

import type { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import {
  type ChatMessage,
  checkMessages,
  compileTemplate,
  DEFAULT_CHAT_TEMPLATE,
  renderTemplate,
} from './chat.js';
import { isRecord, parseTokenizerConfig, type TokenizerConfigInfo } from './config.js';
import { describeThrown, type Place, place, TokenizerError, tokenizerFail } from './errors.js';
import { type Framing, framingFromPostProcessor } from './framing.js';
import { withRustPrependSemantics } from './rust-parity.js';

export interface EncodeOptions {
  /** Put the special tokens around the text (BOS/EOS, per tokenizer_config.json or the post_processor). Default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special tokens (see specialTokenIds()). Default false, as in transformers. */
  skipSpecialTokens?: boolean;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn (the template's add_generation_prompt). Default false. */
  addGenerationPrompt?: boolean;
  /** For tokenizer_configs with a list of named templates: which one (default: the one named "default"). */
  templateName?: string;
}

/** Byte-fallback tokens as SentencePiece names them: <0x00> ... <0xFF>. */
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * How many non-skipped tokens before the new one decodeStreamStep() decodes with it: enough for the
 * decoder to see the new token in context (leading-space rules, multi-byte characters split over up to
 * four byte tokens), few enough that a step costs the same at any position of a long generation.
 */
const STREAM_CONTEXT_TOKENS = 8;

const REPLACEMENT_CHARACTER = '\uFFFD';

/** Checks the parts of the tokenizer.json schema the library relies on, and fills in optional keys. */
function checkTokenizerJson(raw: unknown, where: Place): Record<string, unknown> {
  const advice =
    'Pass the parsed tokenizer.json written by Hugging Face tokenizers (not tokenizer_config.json)';
  if (!isRecord(raw)) {
    return tokenizerFail(
      where,
      `is a ${Array.isArray(raw) ? 'list' : typeof raw}, expected a JSON object`,
      advice,
    );
  }
  const model = raw.model;
  if (!isRecord(model)) return tokenizerFail(where, 'has no "model" object', advice);
  if (model.type !== undefined && typeof model.type !== 'string') {
    return tokenizerFail(
      where,
      'field "model.type" is not a string',
      'Set it to "BPE", "Unigram" or "WordPiece"',
    );
  }
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    vocab.forEach((entry: unknown, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
        tokenizerFail(where, `model.vocab[${i}] is not a [piece, score] pair`, 'Fix the Unigram vocabulary');
      }
    });
  } else if (isRecord(vocab)) {
    for (const [token, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || (id as number) < 0) {
        tokenizerFail(
          where,
          `model.vocab["${token}"] is ${JSON.stringify(id)}, not a token id`,
          'Fix the vocabulary',
        );
      }
    }
  } else {
    return tokenizerFail(where, 'field "model.vocab" is missing or neither an object nor a list', advice);
  }
  if (model.type === 'BPE' && !Array.isArray(model.merges)) {
    return tokenizerFail(where, 'field "model.merges" of a BPE model is missing or not a list', advice);
  }
  const added = raw.added_tokens ?? [];
  if (!Array.isArray(added)) return tokenizerFail(where, 'field "added_tokens" is not a list', advice);
  added.forEach((token: unknown, i) => {
    if (
      !isRecord(token) ||
      !Number.isInteger(token.id) ||
      typeof token.content !== 'string' ||
      token.content === ''
    ) {
      tokenizerFail(
        where,
        `added_tokens[${i}] is not {"id": integer, "content": non-empty string, ...}`,
        'Fix the entry',
      );
    }
  });
  const filled: Record<string, unknown> = { ...raw, added_tokens: added };
  for (const part of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    const value = raw[part] ?? null;
    if (value !== null && !isRecord(value)) {
      return tokenizerFail(
        where,
        `field "${part}" is neither an object nor null`,
        'Fix the field or set it to null',
      );
    }
    filled[part] = value;
  }
  return filled;
}

/** 1 + the largest id of the model vocabulary and the added tokens. */
function countIds(json: Record<string, unknown>): number {
  let maxId = -1;
  const model = json.model as Record<string, unknown>;
  if (Array.isArray(model.vocab)) maxId = model.vocab.length - 1;
  else if (isRecord(model.vocab))
    for (const id of Object.values(model.vocab)) maxId = Math.max(maxId, id as number);
  for (const token of json.added_tokens as Record<string, unknown>[])
    maxId = Math.max(maxId, token.id as number);
  return maxId + 1;
}

export class Tokenizer {
  /** 1 + the largest token id (model vocabulary and added tokens): the rows an embedding needs. */
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  /** model_max_length of tokenizer_config.json; undefined when absent or "no limit" (1e30). */
  readonly modelMaxLength: number | undefined;
  /** What fromJson was told the tokenizer came from (for messages). */
  readonly source: string | undefined;
  /** Ids encode() puts before/after the text when addSpecialTokens is true. */
  readonly framing: Framing;

  private readonly hf: HfTokenizer;
  private readonly config: TokenizerConfigInfo;
  private readonly specialIds: ReadonlySet<number>;
  private readonly byteIds: ReadonlySet<number>;
  private readonly where: Place;
  private readonly configWhere: Place;
  private readonly compiledTemplates = new Map<string, Template>();

  private constructor(
    hf: HfTokenizer,
    json: Record<string, unknown>,
    config: TokenizerConfigInfo,
    postProcessorFraming: Framing,
    source: string | undefined,
  ) {
    this.hf = hf;
    this.config = config;
    this.source = source;
    this.where = place('tokenizer', source);
    this.configWhere = place('tokenizer_config.json', source);
    const configWhere = this.configWhere;
    this.vocabSize = countIds(json);

    const idOf = (token: string | undefined, field: string): number | undefined => {
      if (token === undefined) return undefined;
      const id = this.tokenToId(token);
      if (id === undefined) {
        tokenizerFail(
          configWhere,
          `field "${field}" is ${JSON.stringify(token)}, which the vocabulary of tokenizer.json lacks`,
          'Name a token of tokenizer.json (its model.vocab or added_tokens)',
        );
      }
      return id;
    };
    const model = json.model as Record<string, unknown>;
    const bos = idOf(config.bosToken, 'bos_token');
    const eos = idOf(config.eosToken, 'eos_token');
    // Without a config, tokenizer.json itself still knows the unknown token (BPE/WordPiece by name,
    // Unigram by id) and, when padding is configured, the pad id.
    const unk =
      idOf(config.unkToken, 'unk_token') ??
      (typeof model.unk_token === 'string' ? this.tokenToId(model.unk_token) : undefined) ??
      (Number.isInteger(model.unk_id) ? (model.unk_id as number) : undefined);
    const padding = json.padding;
    const pad =
      idOf(config.padToken, 'pad_token') ??
      (isRecord(padding) && Number.isInteger(padding.pad_id) ? (padding.pad_id as number) : undefined);

    const all = new Set<number>();
    for (const token of json.added_tokens as Record<string, unknown>[]) {
      if (token.special === true) all.add(token.id as number);
    }
    for (const id of [bos, eos, unk, pad]) if (id !== undefined) all.add(id);
    for (const token of [
      config.sepToken,
      config.clsToken,
      config.maskToken,
      ...config.additionalSpecialTokens,
    ]) {
      const id = token === undefined ? undefined : this.tokenToId(token);
      if (id !== undefined) all.add(id);
    }
    this.specialIds = all;
    this.bosTokenId = bos;
    this.eosTokenId = eos;
    this.unkTokenId = unk;
    this.padTokenId = pad;
    this.modelMaxLength = config.modelMaxLength;

    const byteIds = new Set<number>();
    for (let id = 0; id < this.vocabSize; id++) {
      const token = this.idToToken(id);
      if (token !== undefined && BYTE_TOKEN.test(token)) byteIds.add(id);
    }
    this.byteIds = byteIds;

    // tokenizer_config.json's add_bos_token / add_eos_token, when given, decide that side (transformers
    // rebuilds a Llama-family post_processor from them); a side they leave unset follows the post_processor.
    const side = (
      flag: boolean | undefined,
      id: number | undefined,
      field: string,
      fallback: readonly number[],
    ) => {
      if (flag === undefined) return fallback;
      if (!flag) return [];
      if (id === undefined) {
        return tokenizerFail(
          configWhere,
          `${field} is true but the token it names is not set`,
          `Set ${field.replace('add_', '')} or ${field}: false`,
        );
      }
      return [id];
    };
    this.framing = {
      prefix: side(config.addBosToken, bos, 'add_bos_token', postProcessorFraming.prefix),
      suffix: side(config.addEosToken, eos, 'add_eos_token', postProcessorFraming.suffix),
    };
  }

  /**
   * Builds a tokenizer from a parsed tokenizer.json (the Hugging Face tokenizers schema only: this is also
   * how a tokenizer built from a GGUF vocabulary is loaded) and, optionally, the parsed
   * tokenizer_config.json. `source` names where they came from in error messages (a folder, a file).
   * Throws TokenizerError for anything malformed.
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig?: unknown, source?: string): Tokenizer {
    const jsonWhere = place('tokenizer.json', source);
    const json = checkTokenizerJson(tokenizerJson, jsonWhere);
    const config = parseTokenizerConfig(tokenizerConfig, place('tokenizer_config.json', source));
    // Read before the library sees it, so that an unsupported post_processor gets a precise message.
    const framing = framingFromPostProcessor(json.post_processor, jsonWhere);
    let hf: HfTokenizer;
    try {
      // The library reads only these config fields (Unigram wants eos_token); cleaning up is decided here.
      hf = new HfTokenizer(json, {
        clean_up_tokenization_spaces: config.cleanUpTokenizationSpaces,
        ...(config.eosToken === undefined ? {} : { eos_token: config.eosToken }),
      });
    } catch (thrown) {
      throw new TokenizerError(
        `${jsonWhere.label}: @huggingface/tokenizers cannot build it: ${describeThrown(thrown)}. ` +
          'Check that every component type (model, normalizer, pre_tokenizer, decoder) is one the library supports',
        source,
      );
    }
    hf.normalizer = withRustPrependSemantics(hf.normalizer);
    return new Tokenizer(hf, json, config, framing, source);
  }

  /** Token ids of `text`; with addSpecialTokens (default true) framed as tokenizer_config/post_processor say. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string')
      throw new TokenizerError(
        `${this.where.label}: encode() needs a string, got ${typeof text}`,
        this.source,
      );
    const ids = this.hf.encode(text, { add_special_tokens: false }).ids;
    for (const id of ids) {
      // The library maps a piece it cannot find to unk_token_id, which is undefined when the model has none.
      if (!Number.isInteger(id)) {
        throw new TokenizerError(
          `${this.where.label}: part of ${JSON.stringify(text.slice(0, 80))} has no token and the model defines no unknown token`,
          this.source,
        );
      }
    }
    if (options.addSpecialTokens === false) return ids;
    return [...this.framing.prefix, ...ids, ...this.framing.suffix];
  }

  /**
   * Text of `ids`. Ids that name no token are left out, as the Rust library does (a model's embedding can
   * have more rows than its tokenizer has tokens); ids that are not integers are an error.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const kept = this.keptIds(ids, options.skipSpecialTokens === true);
    return kept.length === 0 ? '' : this.hf.decode(kept);
  }

  /**
   * For streaming generation: the text that the last of `ids` (all ids so far) adds to what the earlier
   * ones gave. Concatenating the steps gives decode(ids). A character split over several byte-fallback
   * tokens arrives whole with its last byte; until then a step returns "" (a trailing U+FFFD, which is
   * what an incomplete UTF-8 sequence decodes to, is held back until a later token follows it).
   */
  decodeStreamStep(ids: readonly number[], options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecialTokens === true;
    const list: unknown = ids;
    if (!Array.isArray(list)) throw this.notAList();
    // The window, walking back from the new id: STREAM_CONTEXT_TOKENS kept ids before it, widened back
    // to a character boundary (a window that began on a UTF-8 continuation byte would decode differently
    // from the full text). Earlier ids are not looked at, so a step costs the same at any position.
    const recent: number[] = [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i] as number;
      if (!this.keeps(id, i, skipSpecial)) {
        if (i === ids.length - 1) return ''; // the new id adds nothing
        continue;
      }
      recent.push(id);
      if (recent.length > STREAM_CONTEXT_TOKENS && !this.isContinuationByte(id)) break;
    }
    recent.reverse();
    const before = this.visibleText(recent.slice(0, -1));
    const after = this.visibleText(recent);
    if (after.startsWith(before)) return after.slice(before.length);
    let common = 0;
    while (common < before.length && before[common] === after[common]) common++;
    return after.slice(common);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.hf.id_to_token(id) : undefined;
  }

  /** Ids of special tokens: added tokens with special=true, bos/eos/unk/pad/sep/cls/mask and additional ones. */
  specialTokenIds(): Set<number> {
    return new Set(this.specialIds);
  }

  /** Ids of the byte-fallback tokens <0x00>..<0xFF> (empty for vocabularies without them). */
  byteTokenIds(): Set<number> {
    return new Set(this.byteIds);
  }

  /** Names of the chat templates of tokenizer_config.json (a single template is named "default"). */
  get chatTemplateNames(): string[] {
    return [...this.config.chatTemplates.keys()];
  }

  /** The model's chat template: the one named "default", or the only one; undefined when it has none. */
  get chatTemplate(): string | undefined {
    const templates = this.config.chatTemplates;
    const only = templates.size === 1 ? [...templates.values()][0] : undefined;
    return templates.get('default') ?? only;
  }

  /**
   * Renders messages with the model's chat template, or DEFAULT_CHAT_TEMPLATE when it has none, with the
   * variables transformers' apply_chat_template passes (messages, add_generation_prompt, bos_token,
   * eos_token, unk_token, pad_token, sep_token, cls_token, mask_token, additional_special_tokens) plus
   * add_bos_token (whether encode() adds BOS). The text carries its own special tokens: encode it with
   * addSpecialTokens: false (or use encodeChat), as transformers does.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    checkMessages(messages, this.where);
    const [name, source] = this.pickTemplate(options.templateName);
    const templateLabel = name === undefined ? 'the default chat template' : `chat template "${name}"`;
    const key = name ?? '\u0000default';
    let template = this.compiledTemplates.get(key);
    if (template === undefined) {
      template = compileTemplate(source, templateLabel, this.configWhere);
      this.compiledTemplates.set(key, template);
    }
    const variables: Record<string, unknown> = {
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt === true,
      add_bos_token: this.bosTokenId !== undefined && this.framing.prefix.includes(this.bosTokenId),
      additional_special_tokens: [...this.config.additionalSpecialTokens],
    };
    const tokens: Record<string, string | undefined> = {
      bos_token: this.config.bosToken,
      eos_token: this.config.eosToken,
      unk_token: this.config.unkToken,
      pad_token: this.config.padToken,
      sep_token: this.config.sepToken,
      cls_token: this.config.clsToken,
      mask_token: this.config.maskToken,
    };
    for (const [variable, token] of Object.entries(tokens))
      if (token !== undefined) variables[variable] = token;
    return renderTemplate(template, variables, templateLabel, this.where);
  }

  /** applyChatTemplate, then encode without adding special tokens (the template wrote them). */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  /** [name, template]; name undefined for DEFAULT_CHAT_TEMPLATE. */
  private pickTemplate(requested: string | undefined): [string | undefined, string] {
    const templates = this.config.chatTemplates;
    const names = [...templates.keys()].map((n) => JSON.stringify(n)).join(', ');
    if (requested !== undefined) {
      const chosen = templates.get(requested);
      if (chosen === undefined) {
        throw new TokenizerError(
          `${this.configWhere.label}: has no chat template named "${requested}" (it has: ${names === '' ? 'none' : names})`,
          this.source,
        );
      }
      return [requested, chosen];
    }
    const chosen = this.chatTemplate;
    if (chosen !== undefined)
      return [templates.has('default') ? 'default' : [...templates.keys()][0], chosen];
    if (templates.size > 1) {
      throw new TokenizerError(
        `${this.configWhere.label}: has several chat templates (${names}) and none named "default". ` +
          'Pass templateName to choose one',
        this.source,
      );
    }
    return [undefined, DEFAULT_CHAT_TEMPLATE];
  }

  /** The ids decode() turns into text: integers only (else an error), known ones, specials dropped if asked. */
  private keptIds(ids: readonly number[], skipSpecial: boolean): number[] {
    // A runtime check: callers may be untyped (JSON from a webview message).
    const list: unknown = ids;
    if (!Array.isArray(list)) throw this.notAList();
    return ids.filter((id, i) => this.keeps(id, i, skipSpecial));
  }

  /** Whether decode() shows `id` (at `index` of the caller's list); throws for a non-integer. */
  private keeps(id: number, index: number, skipSpecial: boolean): boolean {
    if (!Number.isInteger(id)) {
      throw new TokenizerError(
        `${this.where.label}: id ${index} is ${String(id)}, not an integer token id`,
        this.source,
      );
    }
    return this.idToToken(id) !== undefined && !(skipSpecial && this.specialIds.has(id));
  }

  private notAList(): TokenizerError {
    return new TokenizerError(`${this.where.label}: decode() needs a list of ids`, this.source);
  }

  private isContinuationByte(id: number | undefined): boolean {
    if (id === undefined || !this.byteIds.has(id)) return false;
    const match = BYTE_TOKEN.exec(this.idToToken(id) ?? '');
    const byte = match?.[1] === undefined ? -1 : parseInt(match[1], 16);
    return byte >= 0x80 && byte < 0xc0;
  }

  /** Decoded text without trailing U+FFFD (an incomplete UTF-8 sequence, completed by a later token). */
  private visibleText(ids: number[]): string {
    let text = ids.length === 0 ? '' : this.hf.decode(ids);
    while (text.endsWith(REPLACEMENT_CHARACTER)) text = text.slice(0, -1);
    return text;
  }
}

export type { ChatMessage };
