// `prompt-adapter tokenize`: JSON strings in, arrays of ids out, one per line.
import readline from 'node:readline';
import { parse, required, withModel } from '../args.js';
import type { Command } from '../args.js';
import { UserFileError } from '../files.js';
import { requireTokenizer } from '../load.js';

async function run(args: string[]): Promise<void> {
  const { values } = parse(args, { model: { type: 'string' } });
  if (values.help === true) return void process.stdout.write(tokenizeCommand.usage + '\n');
  const modelDir = required(values.model, '--model');
  // tokenizing needs no tensors: cpu avoids loading wasm
  await withModel(modelDir, 'cpu', async (loaded) => {
    const tokenizer = requireTokenizer(loaded);
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let text: unknown;
      try {
        text = JSON.parse(line);
      } catch {
        throw new UserFileError(`stdin line ${lineNo}: not valid JSON (expected a JSON string like "hello")`);
      }
      if (typeof text !== 'string') throw new UserFileError(`stdin line ${lineNo}: expected a JSON string`);
      process.stdout.write(JSON.stringify(tokenizer.encode(text)) + '\n');
    }
  });
}

export const tokenizeCommand: Command = {
  name: 'tokenize',
  usage: `  tokenize  --model DIR
            Reads JSON strings, one per line, on stdin; writes one JSON array of ids per line.`,
  run,
};
