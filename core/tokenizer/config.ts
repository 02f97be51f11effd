// Reads the fields of a Hugging Face tokenizer_config.json that change what the tokenizer does:
// the special tokens (bos/eos/unk/pad, additional), add_bos_token/add_eos_token, model_max_length,
// clean_up_tokenization_spaces and the chat template(s). Everything else in the file is ignored.
// Field forms accepted are those transformers writes or has written:
//   special token: "<s>" | {"content": "<s>", ...} (older files write {"__type": "AddedToken", ...}) | null
//   chat_template: "..." | [{"name": "default", "template": "..."}, ...]

import { type Place, tokenizerFail } from './errors.js';

/** What tokenizer_config.json says, validated; every field is optional in the file. */
export interface TokenizerConfigInfo {
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly unkToken: string | undefined;
  readonly padToken: string | undefined;
  readonly sepToken: string | undefined;
  readonly clsToken: string | undefined;
  readonly maskToken: string | undefined;
  /** `additional_special_tokens` plus the contents of `added_tokens_decoder` entries marked special. */
  readonly additionalSpecialTokens: readonly string[];
  readonly addBosToken: boolean | undefined;
  readonly addEosToken: boolean | undefined;
  readonly modelMaxLength: number | undefined;
  readonly cleanUpTokenizationSpaces: boolean;
  /** Chat templates by name; a plain-string `chat_template` is stored under 'default'. */
  readonly chatTemplates: ReadonlyMap<string, string>;
}

/**
 * transformers writes model_max_length = int(1e30) (VERY_LARGE_INTEGER) when the model sets no limit;
 * anything this large means "no limit", not a length.
 */
const NO_LIMIT_THRESHOLD = 1e18;

export const EMPTY_CONFIG: TokenizerConfigInfo = {
  bosToken: undefined,
  eosToken: undefined,
  unkToken: undefined,
  padToken: undefined,
  sepToken: undefined,
  clsToken: undefined,
  maskToken: undefined,
  additionalSpecialTokens: [],
  addBosToken: undefined,
  addEosToken: undefined,
  modelMaxLength: undefined,
  cleanUpTokenizationSpaces: false,
  chatTemplates: new Map(),
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A special-token field: a string, an AddedToken-like object with `content`, or null/absent. */
function readTokenField(raw: Record<string, unknown>, field: string, where: Place): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.content === 'string') return value.content;
  return tokenizerFail(
    where,
    `field "${field}" is ${JSON.stringify(value)}, expected a token string, an object with a "content" string, or null`,
    'Fix the field or remove it',
  );
}

function readBoolean(raw: Record<string, unknown>, field: string, where: Place): boolean | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  return tokenizerFail(
    where,
    `field "${field}" is ${JSON.stringify(value)}, expected true or false`,
    'Fix the field',
  );
}

function readModelMaxLength(raw: Record<string, unknown>, where: Place): number | undefined {
  const value = raw.model_max_length;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return tokenizerFail(
      where,
      `field "model_max_length" is ${JSON.stringify(value)}, expected a positive number`,
      'Fix the field or remove it',
    );
  }
  return value >= NO_LIMIT_THRESHOLD ? undefined : Math.floor(value);
}

function readChatTemplates(raw: Record<string, unknown>, where: Place): Map<string, string> {
  const value = raw.chat_template;
  const templates = new Map<string, string>();
  if (value === undefined || value === null) return templates;
  if (typeof value === 'string') {
    templates.set('default', value);
    return templates;
  }
  if (Array.isArray(value)) {
    value.forEach((entry: unknown, i) => {
      if (!isRecord(entry) || typeof entry.name !== 'string' || typeof entry.template !== 'string') {
        tokenizerFail(
          where,
          `chat_template[${i}] is not {"name": string, "template": string}`,
          'Fix the entry or remove it',
        );
      }
      templates.set(entry.name, entry.template);
    });
    return templates;
  }
  return tokenizerFail(
    where,
    `field "chat_template" is a ${typeof value}, expected a Jinja template string or a list of {name, template}`,
    'Fix the field or remove it',
  );
}

function readAdditionalSpecialTokens(raw: Record<string, unknown>, where: Place): string[] {
  const tokens: string[] = [];
  const listed = raw.additional_special_tokens;
  if (listed !== undefined && listed !== null) {
    if (!Array.isArray(listed)) {
      tokenizerFail(
        where,
        'field "additional_special_tokens" is not a list',
        'Make it a list of token strings',
      );
    }
    listed.forEach((entry: unknown, i) => {
      if (typeof entry === 'string') tokens.push(entry);
      else if (isRecord(entry) && typeof entry.content === 'string') tokens.push(entry.content);
      else tokenizerFail(where, `additional_special_tokens[${i}] is not a token string`, 'Fix the entry');
    });
  }
  // transformers >= 4.34 writes every added token here too, keyed by id; the tokenizer.json added_tokens
  // normally repeat them, so this only matters for hand-made files.
  const decoderEntries = raw.added_tokens_decoder;
  if (isRecord(decoderEntries)) {
    for (const entry of Object.values(decoderEntries)) {
      if (isRecord(entry) && entry.special === true && typeof entry.content === 'string')
        tokens.push(entry.content);
    }
  }
  return tokens;
}

/** Validates a parsed tokenizer_config.json; `where` names it in messages. */
export function parseTokenizerConfig(raw: unknown, where: Place): TokenizerConfigInfo {
  if (raw === undefined || raw === null) return EMPTY_CONFIG;
  if (!isRecord(raw)) {
    return tokenizerFail(
      where,
      `is a ${Array.isArray(raw) ? 'list' : typeof raw}, expected a JSON object`,
      'Pass the parsed tokenizer_config.json (an object), or nothing',
    );
  }
  const clean = readBoolean(raw, 'clean_up_tokenization_spaces', where);
  return {
    bosToken: readTokenField(raw, 'bos_token', where),
    eosToken: readTokenField(raw, 'eos_token', where),
    unkToken: readTokenField(raw, 'unk_token', where),
    padToken: readTokenField(raw, 'pad_token', where),
    sepToken: readTokenField(raw, 'sep_token', where),
    clsToken: readTokenField(raw, 'cls_token', where),
    maskToken: readTokenField(raw, 'mask_token', where),
    additionalSpecialTokens: readAdditionalSpecialTokens(raw, where),
    addBosToken: readBoolean(raw, 'add_bos_token', where),
    addEosToken: readBoolean(raw, 'add_eos_token', where),
    modelMaxLength: readModelMaxLength(raw, where),
    // The Rust library never cleans up; transformers 5 defaults to false as well.
    cleanUpTokenizationSpaces: clean ?? false,
    chatTemplates: readChatTemplates(raw, where),
  };
}
