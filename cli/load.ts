// Loads what a CLI command names: a model (Hugging Face folder or .gguf file) with its tokenizer, and an
// optional PEFT adapter folder checked against the model.
import fs from 'node:fs';
import path from 'node:path';
import { importGguf } from '../core/formats/gguf.js';
import { parseModelConfig } from '../core/formats/hfconfig.js';
import type { ModelConfig } from '../core/formats/hfconfig.js';
import { weightsFromMap } from '../core/formats/weights.js';
import { createModel } from '../core/model/index.js';
import type { FrozenTransformer } from '../core/model/types.js';
import { checkAdapterFitsModel } from '../core/prompts/peft.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import { Tokenizer } from '../core/tokenizer/index.js';
import { UserFileError, readAdapterDir, readBytes, readJsonFile, readModelDir } from './files.js';

export interface LoadedModel {
  readonly source: string;
  readonly config: ModelConfig;
  readonly model: FrozenTransformer;
  readonly tokenizer: Tokenizer | undefined;
}

export async function loadModel(location: string): Promise<LoadedModel> {
  if (location.toLowerCase().endsWith('.gguf')) {
    const imported = await importGguf(readBytes(location), location);
    const config = parseModelConfig(imported.config, location);
    const model = createModel(config, weightsFromMap(imported.tensors, location));
    const tokenizer = Tokenizer.fromJson(imported.tokenizerJson, imported.tokenizerConfig, location);
    return { source: location, config, model, tokenizer };
  }
  const files = readModelDir(location);
  const model = createModel(files.config, files.weights);
  const tokenizerPath = path.join(location, 'tokenizer.json');
  const tokenizerConfigPath = path.join(location, 'tokenizer_config.json');
  const tokenizer = fs.existsSync(tokenizerPath)
    ? Tokenizer.fromJson(
        readJsonFile(tokenizerPath),
        fs.existsSync(tokenizerConfigPath) ? readJsonFile(tokenizerConfigPath) : undefined,
        tokenizerPath,
      )
    : undefined;
  return { source: location, config: files.config, model, tokenizer };
}

export function requireTokenizer(loaded: LoadedModel): Tokenizer {
  if (loaded.tokenizer === undefined) {
    throw new UserFileError(
      `${loaded.source}: no tokenizer.json, so text cannot be tokenized (give token ids instead)`,
    );
  }
  return loaded.tokenizer;
}

export function loadAdapterFor(dir: string, config: ModelConfig): PromptAdapter {
  const adapter = readAdapterDir(dir);
  checkAdapterFitsModel(adapter, config);
  return adapter;
}
