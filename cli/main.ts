// `prompt-adapter`: the same core, headless. Exit codes: 0 ok, 1 the command failed (bad file, bad input),
// 2 usage error (unknown command or flag).
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { readInt32, serializeSafetensors } from '../core/formats/safetensors.js';
import type { TensorToWrite } from '../core/formats/safetensors.js';
import { PromptCache, generate } from '../core/generate/generate.js';
import type { SamplingOptions } from '../core/generate/sampling.js';
import { runForward } from '../core/prompts/run.js';
import { isPrefixMethod } from '../core/prompts/peft.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import { OnnxCausalLM, generateOnnx, prefixAdapterFromPeft } from '../runtime/onnx.js';
import type { OnnxAdapter } from '../runtime/onnx.js';
import { initBackend, isNodeBackend } from './backend.js';
import type { NodeBackend } from './backend.js';
import { UserFileError, readBytes, readSafetensorsFile } from './files.js';
import { loadAdapterFor, loadModel, requireTokenizer } from './load.js';
import type { LoadedModel } from './load.js';

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HELP = `prompt-adapter — soft-prompt adapters for frozen LLMs (Prompt Adapter Studio)

Usage: prompt-adapter <command> [options]

Commands:
  forward   --model DIR [--adapter DIR] --input IN.safetensors --out OUT.safetensors [--backend cpu|wasm]
            Runs the model (with the adapter) on input_ids / attention_mask / optional labels from IN and
            writes float32 logits (PEFT's shape), loss [1] with labels, and grad.prompt_embeddings
            (d loss / d stored prompt) when an adapter and labels are given.
  generate  --model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K]
            [--top-p P] [--seed S] [--json] [--backend cpu|wasm] [--runtime tfjs|onnx]
            Generates text; streams it to stdout, or prints {"ids": [...], "text": "..."} with --json.
            --runtime onnx uses DIR/onnx/model_embeds.onnx and DIR/onnx/decoder_with_past.onnx.
  tokenize  --model DIR
            Reads JSON strings, one per line, on stdin; writes one JSON array of ids per line.

DIR is a Hugging Face model folder (config.json + *.safetensors + tokenizer.json) or a .gguf file.
Run 'prompt-adapter <command> --help' for one command. Exit codes: 0 ok, 1 failed, 2 usage error.
`;

function backendOf(value: string | undefined): NodeBackend {
  const b = value ?? 'wasm';
  if (!isNodeBackend(b)) throw new UsageError(`--backend must be cpu or wasm, got "${b}"`);
  return b;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function numberFlag(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  }
  return n;
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Writes a file atomically: a temp file beside it, then a rename. */
function writeAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

async function withModel<T>(
  location: string,
  backend: NodeBackend,
  run: (m: LoadedModel) => Promise<T>,
): Promise<T> {
  await initBackend(backend);
  const loaded = await loadModel(location);
  try {
    return await run(loaded);
  } finally {
    loaded.model.dispose();
  }
}

async function commandForward(args: string[]): Promise<void> {
  const { values } = parse(args, {
    model: { type: 'string' },
    adapter: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
  });
  if (values.help === true) return void process.stdout.write(HELP);
  const modelDir = required(values.model, '--model');
  const inputPath = required(values.input, '--input');
  const outPath = required(values.out, '--out');
  const backend = backendOf(values.backend);
  const input = readSafetensorsFile(inputPath);
  const dims = (name: string): number[] => {
    const entry = input.tensors.get(name);
    if (entry === undefined) throw new UserFileError(`${inputPath}: no "${name}" tensor`);
    return [...entry.shape];
  };
  const intTensor = (name: string) => ({ data: readInt32(input, name), shape: dims(name) });
  await withModel(modelDir, backend, async (loaded) => {
    const adapter = values.adapter === undefined ? undefined : loadAdapterFor(values.adapter, loaded.config);
    const labels = input.tensors.has('labels') ? intTensor('labels') : undefined;
    const report = await runForward(loaded.model, adapter, {
      inputIds: intTensor('input_ids'),
      ...(input.tensors.has('attention_mask') ? { attentionMask: intTensor('attention_mask') } : {}),
      ...(labels === undefined ? {} : { labels }),
      gradient: adapter !== undefined && labels !== undefined,
    });
    const out: Record<string, TensorToWrite> = {
      logits: { dtype: 'F32', shape: report.logits.shape, data: report.logits.data },
    };
    if (report.loss !== undefined)
      out.loss = { dtype: 'F32', shape: [1], data: new Float32Array([report.loss]) };
    if (report.promptGradient !== undefined) {
      out['grad.prompt_embeddings'] = {
        dtype: 'F32',
        shape: report.promptGradient.shape,
        data: report.promptGradient.data,
      };
    }
    writeAtomic(outPath, serializeSafetensors(out, { head: report.head, backend }));
    process.stderr.write(
      `wrote ${outPath}: logits [${report.logits.shape.join(', ')}]` +
        (report.loss === undefined ? '' : `, loss ${report.loss.toFixed(6)}`) +
        (report.promptGradient === undefined ? '' : ', grad.prompt_embeddings') +
        '\n',
    );
  });
}

function onnxAdapterOf(adapter: PromptAdapter | undefined, loaded: LoadedModel): OnnxAdapter | undefined {
  if (adapter === undefined) return undefined;
  const c = loaded.config;
  if (isPrefixMethod(adapter.config.peftType)) {
    return prefixAdapterFromPeft(adapter.promptEmbeddings.data, {
      numVirtualTokens: adapter.config.numVirtualTokens,
      numLayers: c.numLayers,
      numKvHeads: c.numKvHeads,
      headDim: c.headDim,
    });
  }
  return { kind: 'soft', embeddings: adapter.promptEmbeddings.data };
}

async function commandGenerate(args: string[]): Promise<void> {
  const { values } = parse(args, {
    model: { type: 'string' },
    adapter: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    backend: { type: 'string' },
    runtime: { type: 'string' },
  });
  if (values.help === true) return void process.stdout.write(HELP);
  const modelDir = required(values.model, '--model');
  const promptText = required(values.prompt, '--prompt');
  const maxNewTokens = numberFlag(values['max-new-tokens'], '--max-new-tokens', true) ?? 64;
  if (maxNewTokens < 0) throw new UsageError('--max-new-tokens must be 0 or more');
  const temperature = numberFlag(values.temperature, '--temperature', false);
  const topK = numberFlag(values['top-k'], '--top-k', true);
  const topP = numberFlag(values['top-p'], '--top-p', false);
  const seed = numberFlag(values.seed, '--seed', true);
  const sampling: SamplingOptions = {
    ...(temperature === undefined ? {} : { temperature }),
    ...(topK === undefined ? {} : { topK }),
    ...(topP === undefined ? {} : { topP }),
    ...(seed === undefined ? {} : { seed }),
  };
  const runtime = values.runtime ?? 'tfjs';
  if (runtime !== 'tfjs' && runtime !== 'onnx')
    throw new UsageError(`--runtime must be tfjs or onnx, got "${runtime}"`);
  const json = values.json === true;
  await withModel(modelDir, backendOf(values.backend), async (loaded) => {
    const tokenizer = requireTokenizer(loaded);
    const adapter = values.adapter === undefined ? undefined : loadAdapterFor(values.adapter, loaded.config);
    if (adapter !== undefined && adapter.config.taskType !== 'CAUSAL_LM') {
      throw new UserFileError(
        `${values.adapter}: a ${adapter.config.taskType} adapter does not generate text (it classifies)`,
      );
    }
    const promptIds = tokenizer.encode(promptText);
    const eos = [
      ...loaded.config.eosTokenIds,
      ...(tokenizer.eosTokenId === undefined ? [] : [tokenizer.eosTokenId]),
    ];
    if (!json) process.stdout.write(promptText);
    const ids: number[] = [...promptIds];
    const onToken = (id: number): void => {
      ids.push(id);
      if (json) return;
      process.stdout.write(tokenizer.decodeStreamStep(ids, { skipSpecialTokens: true }));
    };
    let all: number[];
    if (runtime === 'onnx') {
      all = await generateWithOnnx(
        modelDir,
        loaded,
        adapter,
        promptIds,
        maxNewTokens,
        sampling,
        eos[0],
        onToken,
      );
    } else {
      const cache = PromptCache.forAdapter(loaded.model, adapter);
      try {
        all = await generate(loaded.model, promptIds, cache, {
          maxNewTokens,
          sampling,
          eosTokenIds: eos,
          onToken,
        });
      } finally {
        cache?.dispose();
      }
    }
    if (json) {
      process.stdout.write(
        JSON.stringify({ ids: all, text: tokenizer.decode(all, { skipSpecialTokens: true }) }) + '\n',
      );
    } else {
      process.stdout.write('\n');
    }
  });
}

async function generateWithOnnx(
  modelDir: string,
  loaded: LoadedModel,
  adapter: PromptAdapter | undefined,
  promptIds: number[],
  maxNewTokens: number,
  sampling: SamplingOptions,
  eosTokenId: number | undefined,
  onToken: (id: number) => void,
): Promise<number[]> {
  const c = loaded.config;
  const onnxDir = path.join(modelDir, 'onnx');
  const embedsPath = path.join(onnxDir, 'model_embeds.onnx');
  const decoderPath = path.join(onnxDir, 'decoder_with_past.onnx');
  if (!fs.existsSync(embedsPath) && !fs.existsSync(decoderPath)) {
    throw new UserFileError(`${onnxDir}: no model_embeds.onnx or decoder_with_past.onnx for --runtime onnx`);
  }
  const embedTable = (await loaded.model.embeddingMatrix.data()) as Float32Array;
  const model = await OnnxCausalLM.create({
    ...(fs.existsSync(embedsPath) ? { embedsModel: readBytes(embedsPath) } : {}),
    ...(fs.existsSync(decoderPath) ? { decoderWithPast: readBytes(decoderPath) } : {}),
    numLayers: c.numLayers,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    hiddenSize: c.hiddenSize,
    vocabSize: c.vocabSize,
    embedTable,
  });
  try {
    const onnxAdapter = onnxAdapterOf(adapter, loaded);
    return await generateOnnx(model, promptIds, {
      ...(onnxAdapter === undefined ? {} : { adapter: onnxAdapter }),
      maxNewTokens,
      sampling,
      ...(eosTokenId === undefined ? {} : { eosTokenId }),
      onToken,
    });
  } finally {
    await model.release();
  }
}

async function commandTokenize(args: string[]): Promise<void> {
  const { values } = parse(args, { model: { type: 'string' } });
  if (values.help === true) return void process.stdout.write(HELP);
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

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  forward: commandForward,
  generate: commandGenerate,
  tokenize: commandTokenize,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  try {
    if (run === undefined)
      throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
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
