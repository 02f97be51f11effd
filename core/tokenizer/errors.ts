// The one error type of core/tokenizer: malformed tokenizer.json / tokenizer_config.json, ids that are not
// integers, chat templates that fail to parse or that raise. Messages say which source and which field.

export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  /** Where the tokenizer came from (a folder, a file, a GGUF), when the caller said so. */
  readonly source: string | undefined;

  constructor(message: string, source?: string) {
    super(message);
    this.source = source;
  }
}

/** Which file of which tokenizer a message is about. */
export interface Place {
  /** e.g. "tokenizer.json of 'models/stories260K'" */
  readonly label: string;
  readonly source: string | undefined;
}

/** The Place of `file` (tokenizer.json, tokenizer_config.json) of the tokenizer from `source`. */
export function place(file: string, source: string | undefined): Place {
  return { label: source === undefined ? file : `${file} of '${source}'`, source };
}

/** Throws a TokenizerError worded as "<file of source>: <problem>. <advice>". */
export function tokenizerFail(where: Place, problem: string, advice: string): never {
  throw new TokenizerError(`${where.label}: ${problem}. ${advice}`, where.source);
}

/** The message of anything thrown (libraries throw Error, strings or worse). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return typeof thrown === 'string' ? thrown : JSON.stringify(thrown);
}
