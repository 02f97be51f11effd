// Sharded safetensors checkpoints: `model.safetensors.index.json` names, for every tensor, the shard file
// (`model-00001-of-00002.safetensors`, ...) that holds it:
//
//   { "metadata": { "total_size": 123456 }, "weight_map": { "<tensor name>": "<shard file name>", ... } }
//
// Reading files is the caller's job (core takes bytes): parse the index, read and parse each shard named by
// `new Set(index.weightMap.values())`, then build a ShardedSafetensors over them.

import { SafetensorsError, readFloat32, readInt32, suggestNames } from './safetensors.js';
import type { SafetensorsFile, TensorEntry } from './safetensors.js';

export interface ShardIndex {
  metadata: Record<string, unknown>;
  /** tensor name -> shard file name */
  weightMap: Map<string, string>;
}

export type ShardedTensorEntry = TensorEntry & { readonly file: SafetensorsFile };

function indexName(source: string | undefined): string {
  return source === undefined ? 'shard index' : `shard index '${source}'`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const INDEX_ADVICE = 'Check that it is a model.safetensors.index.json as written by save_pretrained.';

/** Validates a parsed `model.safetensors.index.json`. */
export function parseShardIndex(json: unknown, source?: string): ShardIndex {
  const fail = (problem: string): never => {
    throw new SafetensorsError(`${indexName(source)}: ${problem}. ${INDEX_ADVICE}`, source);
  };
  if (!isPlainObject(json)) return fail('the index must be a JSON object');
  const metadata = json.metadata ?? {};
  if (!isPlainObject(metadata)) return fail('"metadata" must be an object');
  const weightMapJson = json.weight_map;
  if (!isPlainObject(weightMapJson))
    return fail('"weight_map" must be an object of tensor name -> shard file name');
  const weightMap = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMapJson)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      return fail(`"weight_map" entry "${tensor}" must be a shard file name, found ${JSON.stringify(shard)}`);
    }
    weightMap.set(tensor, shard);
  }
  return { metadata: { ...metadata }, weightMap };
}

/**
 * Several parsed shards that answer like one file. Tensors come from the shards that the index names; a
 * tensor that a shard holds but the index does not list is still included (as transformers loads every
 * tensor of the shards it opens), but one that the index lists must be in the shard it says, and no
 * tensor may be in two shards.
 */
export class ShardedSafetensors {
  readonly index: ShardIndex;
  readonly tensors: ReadonlyMap<string, ShardedTensorEntry>;

  constructor(index: ShardIndex, shards: ReadonlyMap<string, SafetensorsFile>) {
    this.index = index;
    const tensors = new Map<string, ShardedTensorEntry>();
    const shardNames = [...new Set(index.weightMap.values())].sort();
    for (const shardName of shardNames) {
      const file = shards.get(shardName);
      if (file === undefined) {
        throw new SafetensorsError(
          `sharded checkpoint: the index names shard '${shardName}' but it was not provided (have: ${[...shards.keys()].map((s) => `'${s}'`).join(', ') || 'none'}). Check that every shard file was downloaded.`,
        );
      }
      for (const entry of file.tensors.values()) {
        const previous = tensors.get(entry.name);
        if (previous !== undefined) {
          throw new SafetensorsError(
            `sharded checkpoint: tensor "${entry.name}" is in two shards, '${previous.file.source ?? '?'}' and '${file.source ?? shardName}'. Remove the duplicate or re-save the checkpoint.`,
            file.source,
          );
        }
        tensors.set(entry.name, Object.freeze({ ...entry, file }));
      }
    }
    for (const [tensorName, shardName] of index.weightMap) {
      const entry = tensors.get(tensorName);
      if (entry === undefined || entry.file !== shards.get(shardName)) {
        const where = entry === undefined ? 'in no shard' : `in '${entry.file.source ?? '?'}' instead`;
        throw new SafetensorsError(
          `sharded checkpoint: the index puts tensor "${tensorName}" in shard '${shardName}', but it is ${where}. The shard is incomplete or the index does not belong to these shards; download them again.`,
          shards.get(shardName)?.source,
        );
      }
    }
    this.tensors = tensors;
  }

  /** The tensor's entry and the shard holding it; throws a SafetensorsError listing some available names. */
  get(name: string): ShardedTensorEntry {
    const entry = this.tensors.get(name);
    if (entry === undefined) {
      const names = suggestNames(name, this.tensors.keys());
      throw new SafetensorsError(
        `sharded checkpoint: no tensor named "${name}" (it has ${this.tensors.size} tensors, for example ${names.map((n) => `"${n}"`).join(', ') || 'none'}). Check the tensor name and the model architecture.`,
      );
    }
    return entry;
  }

  readFloat32(name: string): Float32Array {
    return readFloat32(this.get(name).file, name);
  }

  readInt32(name: string): Int32Array {
    return readInt32(this.get(name).file, name);
  }
}
