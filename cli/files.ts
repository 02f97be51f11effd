// Reading the user's files for the CLI and the Node tests: Hugging Face model folders (config.json +
// model.safetensors or sharded + index), PEFT adapter folders. Core takes bytes; paths stop here.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelConfig } from '../core/formats/hfconfig.js';
import { parseModelConfig } from '../core/formats/hfconfig.js';
import { parseSafetensors, readFloat32 } from '../core/formats/safetensors.js';
import type { SafetensorsFile } from '../core/formats/safetensors.js';
import { ShardedSafetensors, parseShardIndex } from '../core/formats/sharded.js';
import { weightsFromSafetensors, weightsFromShards } from '../core/formats/weights.js';
import type { WeightSource } from '../core/model/types.js';
import { loadPromptAdapter } from '../core/prompts/peft.js';
import type { PromptAdapter } from '../core/prompts/peft.js';

export class UserFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFileError';
  }
}

export function readBytes(file: string): Uint8Array {
  let b: Buffer;
  try {
    b = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserFileError(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`,
    );
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function readJsonFile(file: string): unknown {
  const text = new TextDecoder().decode(readBytes(file));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserFileError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function readSafetensorsFile(file: string): SafetensorsFile {
  return parseSafetensors(readBytes(file), { source: file });
}

export interface ModelFiles {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly rawConfig: unknown;
  readonly weights: WeightSource;
}

/** A Hugging Face model folder: config.json + model.safetensors, or model.safetensors.index.json + shards. */
export function readModelDir(dir: string): ModelFiles {
  if (!fs.existsSync(dir)) throw new UserFileError(`${dir}: no such model folder or .gguf file`);
  if (!fs.statSync(dir).isDirectory()) {
    throw new UserFileError(`${dir}: not a folder (a model is a Hugging Face folder or a .gguf file)`);
  }
  const configPath = path.join(dir, 'config.json');
  if (!fs.existsSync(configPath)) {
    throw new UserFileError(
      `${dir}: no config.json (a Hugging Face model folder has config.json and *.safetensors)`,
    );
  }
  const rawConfig = readJsonFile(configPath);
  const config = parseModelConfig(rawConfig, configPath);
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  let weights: WeightSource;
  if (fs.existsSync(single)) {
    weights = weightsFromSafetensors(readSafetensorsFile(single));
  } else if (fs.existsSync(index)) {
    const shardIndex = parseShardIndex(readJsonFile(index), index);
    const shards = new Map<string, SafetensorsFile>();
    for (const name of new Set(shardIndex.weightMap.values())) {
      shards.set(name, readSafetensorsFile(path.join(dir, name)));
    }
    weights = weightsFromShards(new ShardedSafetensors(shardIndex, shards), index);
  } else {
    throw new UserFileError(
      `${dir}: no model.safetensors or model.safetensors.index.json (PyTorch .bin checkpoints are not read: convert them to safetensors)`,
    );
  }
  return { dir, config, rawConfig, weights };
}

/** A PEFT adapter folder: adapter_config.json + adapter_model.safetensors. */
export function readAdapterDir(dir: string): PromptAdapter {
  const configPath = path.join(dir, 'adapter_config.json');
  const weightsPath = path.join(dir, 'adapter_model.safetensors');
  if (!fs.existsSync(configPath))
    throw new UserFileError(`${dir}: no adapter_config.json (is this a PEFT adapter folder?)`);
  if (!fs.existsSync(weightsPath)) {
    throw new UserFileError(
      `${dir}: no adapter_model.safetensors (adapter_model.bin is not read: save with safe_serialization)`,
    );
  }
  const file = readSafetensorsFile(weightsPath);
  return loadPromptAdapter(
    readJsonFile(configPath),
    {
      names: [...file.tensors.keys()],
      has: (name) => file.tensors.has(name),
      get: (name) => ({ shape: file.tensors.get(name)?.shape ?? [], data: readFloat32(file, name) }),
    },
    dir,
  );
}
