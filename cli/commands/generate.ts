// `prompt-adapter generate`: text generation with an optional adapter, on tfjs or onnxruntime-web.
import fs from 'node:fs';
import path from 'node:path';
import { PromptCache, generate } from '../../core/generate/generate.js';
import type { SamplingOptions } from '../../core/generate/sampling.js';
import { isPrefixMethod } from '../../core/prompts/peft.js';
import type { PromptAdapter } from '../../core/prompts/peft.js';
import { OnnxCausalLM, generateOnnx, prefixAdapterFromPeft } from '../../runtime/onnx.js';
import type { OnnxAdapter } from '../../runtime/onnx.js';
import { UsageError, backendOf, numberFlag, parse, required, withModel } from '../args.js';
import type { Command } from '../args.js';
import { UserFileError, readBytes } from '../files.js';
import { loadAdapterFor, requireTokenizer } from '../load.js';
import type { LoadedModel } from '../load.js';

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

async function run(args: string[]): Promise<void> {
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
  if (values.help === true) return void process.stdout.write(generateCommand.usage + '\n');
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

export const generateCommand: Command = {
  name: 'generate',
  usage: `  generate  --model DIR [--adapter DIR] --prompt TEXT [--max-new-tokens N] [--temperature T] [--top-k K]
            [--top-p P] [--seed S] [--json] [--backend cpu|wasm] [--runtime tfjs|onnx]
            Generates text; streams it to stdout, or prints {"ids": [...], "text": "..."} with --json.
            --runtime onnx uses DIR/onnx/model_embeds.onnx and DIR/onnx/decoder_with_past.onnx.`,
  run,
};
