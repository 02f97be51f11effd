// The one error type of the GGUF importer (gguf.ts and gguf-tokenizer.ts), in its own file so that both
// can throw it without importing each other.

/** Every problem with importing a GGUF file. `source` is the file it came from, when known. */
export class GgufError extends Error {
  override readonly name = 'GgufError';
  readonly source: string | undefined;

  constructor(message: string, source?: string) {
    super(message);
    this.source = source;
  }
}

function describeSource(source: string | undefined): string {
  return source === undefined ? 'GGUF data' : `GGUF file '${source}'`;
}

/** Throws a GgufError that says where (the file), what was wrong and what to do. */
export function ggufFail(source: string | undefined, problem: string, advice: string): never {
  throw new GgufError(`${describeSource(source)}: ${problem}. ${advice}`, source);
}
