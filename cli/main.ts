// `prompt-adapter`: the same core, headless. Exit codes: 0 ok, 1 the command failed (bad file, bad input),
// 2 usage error (unknown command or flag). Each command lives in cli/commands/<name>.ts.
import { UsageError } from './args.js';
import type { Command } from './args.js';
import { evalCommand } from './commands/eval.js';
import { forwardCommand } from './commands/forward.js';
import { generateCommand } from './commands/generate.js';
import { inspectCommand } from './commands/inspect.js';
import { publishCommand } from './commands/publish.js';
import { pullCommand } from './commands/pull.js';
import { searchCommand } from './commands/search.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { trainCommand } from './commands/train.js';

const COMMANDS: readonly Command[] = [
  forwardCommand,
  generateCommand,
  tokenizeCommand,
  trainCommand,
  evalCommand,
  inspectCommand,
  publishCommand,
  pullCommand,
  searchCommand,
];

export function helpText(): string {
  return `prompt-adapter — soft-prompt adapters for frozen LLMs (Prompt Adapter Studio)

Usage: prompt-adapter <command> [options]

Commands:
${COMMANDS.map((c) => c.usage).join('\n')}

DIR is a Hugging Face model folder (config.json + *.safetensors + tokenizer.json) or a .gguf file.
Exit codes: 0 ok, 1 failed, 2 usage error.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(helpText());
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS.find((c) => c.name === command)?.run;
  try {
    if (run === undefined)
      throw new UsageError(
        `unknown command "${command}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
      );
    await run(rest);
    return 0;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`prompt-adapter ${command}: error: ${err.message}\n`);
    if (err instanceof UsageError) {
      process.stderr.write(`Run 'prompt-adapter --help' for usage.\n`);
      return 2;
    }
    if (process.env.PROMPT_ADAPTER_DEBUG === '1' && err.stack !== undefined)
      process.stderr.write(err.stack + '\n');
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
