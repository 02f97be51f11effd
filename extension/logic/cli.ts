// Talking to the `prompt-adapter` CLI bundle (dist/cli.mjs) from the extension: which commands it has
// (parsed from its --help, so the extension does not have to be rebuilt when train/eval land) and the
// argument lists of the commands the palette runs.

/** Command names listed under "Commands:" in `prompt-adapter --help`. */
export function cliCommands(helpText: string): string[] {
  const names: string[] = [];
  let inCommands = false;
  for (const line of helpText.split('\n')) {
    if (/^Commands:\s*$/.test(line)) {
      inCommands = true;
      continue;
    }
    if (!inCommands) continue;
    if (line.trim() !== '' && !line.startsWith(' ')) break;
    const m = /^ {2}([a-z][a-z0-9-]*)(\s|$)/.exec(line);
    if (m?.[1] !== undefined) names.push(m[1]);
  }
  return names;
}

export interface GenerateArgs {
  readonly model: string;
  readonly adapter?: string;
  readonly prompt: string;
  readonly maxNewTokens: number;
  readonly backend: 'cpu' | 'wasm';
}

export function generateArgs(a: GenerateArgs): string[] {
  return [
    'generate',
    '--model',
    a.model,
    ...(a.adapter === undefined ? [] : ['--adapter', a.adapter]),
    '--prompt',
    a.prompt,
    '--max-new-tokens',
    String(a.maxNewTokens),
    '--backend',
    a.backend,
  ];
}

/** The CLI's Node backends: WebGPU exists only in the webview, so `auto`/`webgpu` map to wasm here. */
export function cliBackend(preference: string): 'cpu' | 'wasm' {
  return preference === 'cpu' ? 'cpu' : 'wasm';
}

export interface TrainArgs {
  readonly model: string;
  readonly dataset: string;
  readonly evalDataset?: string;
  readonly task: 'classification' | 'ner' | 'sft';
  /** PEFT names, as the settings hold them */
  readonly method: 'PROMPT_TUNING' | 'PREFIX_TUNING' | 'P_TUNING';
  readonly init: 'RANDOM' | 'TEXT' | 'SAMPLE_VOCAB';
  readonly virtualTokens: number;
  readonly learningRate: number;
  readonly epochs: number;
  /** optimizer steps (overrides epochs): the quick preset */
  readonly steps?: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly seed: number;
  readonly out: string;
  readonly backend: 'cpu' | 'wasm';
}

/** The CLI's --method values (P_TUNING has no CLI spelling yet: undefined). */
export function cliMethod(method: TrainArgs['method']): 'prompt' | 'prefix' | undefined {
  switch (method) {
    case 'PROMPT_TUNING':
      return 'prompt';
    case 'PREFIX_TUNING':
      return 'prefix';
    case 'P_TUNING':
      return undefined;
  }
}

function cliInit(init: TrainArgs['init']): string {
  switch (init) {
    case 'RANDOM':
      return 'random';
    case 'TEXT':
      return 'text';
    case 'SAMPLE_VOCAB':
      return 'vocab';
  }
}

/** `prompt-adapter train` arguments (flags of cli/commands/train.ts). */
export function trainArgs(a: TrainArgs): string[] {
  const method = cliMethod(a.method);
  if (method === undefined)
    throw new Error(`${a.method} cannot be trained by the CLI yet; choose PROMPT_TUNING or PREFIX_TUNING`);
  return [
    'train',
    '--model',
    a.model,
    '--task',
    a.task,
    '--data',
    a.dataset,
    ...(a.evalDataset === undefined ? [] : ['--eval', a.evalDataset]),
    '--method',
    method,
    '--virtual-tokens',
    String(a.virtualTokens),
    // text init needs --init-text; the palette does not ask for one, so it starts from vocabulary samples
    '--init',
    a.init === 'TEXT' ? 'vocab' : cliInit(a.init),
    '--lr',
    String(a.learningRate),
    ...(a.steps === undefined ? ['--epochs', String(a.epochs)] : ['--steps', String(a.steps)]),
    '--batch-size',
    String(a.batchSize),
    '--max-length',
    String(a.maxLength),
    '--seed',
    String(a.seed),
    '--out',
    a.out,
    '--backend',
    a.backend,
  ];
}

export interface CliTrainProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
}

/** A progress line of `prompt-adapter train` on stderr: `step 3/30  loss 0.6931  lr …`. */
export function parseTrainProgress(line: string): CliTrainProgress | undefined {
  const m = /^step (\d+)\/(\d+)\s+loss (-?[\d.]+(?:e[-+]?\d+)?|nan|inf)/i.exec(line.trim());
  if (m === null) return undefined;
  return { step: Number(m[1]), totalSteps: Number(m[2]), loss: Number(m[3]) };
}

export interface EvalArgs {
  readonly model: string;
  readonly adapter: string;
  readonly dataset: string;
  readonly task: string;
  readonly backend: 'cpu' | 'wasm';
}

export function evalArgs(a: EvalArgs): string[] {
  return [
    'eval',
    '--model',
    a.model,
    '--adapter',
    a.adapter,
    '--data',
    a.dataset,
    '--task',
    a.task,
    '--json',
    '--backend',
    a.backend,
  ];
}

/** Keeps the last `max` characters of a growing output (what an error message quotes). */
export function tail(text: string, max = 2000): string {
  return text.length <= max ? text : '…' + text.slice(text.length - max);
}

/** The last line of a CLI's stdout that is a JSON object (its `--json` result), or undefined. */
export function lastJsonLine(stdout: string): Record<string, unknown> | undefined {
  for (const l of stdout.trim().split('\n').reverse()) {
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}
