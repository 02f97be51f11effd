// Adapters from the weight containers we read (one safetensors file, shards, an imported GGUF) to the
// model's WeightSource: name → float32 data + shape.
import type { WeightSource } from '../model/types.js';
import { ModelError } from '../model/types.js';
import { readFloat32, suggestNames } from './safetensors.js';
import type { SafetensorsFile } from './safetensors.js';
import type { ShardedSafetensors } from './sharded.js';

function missing(source: string | undefined, name: string, names: Iterable<string>): ModelError {
  const near = suggestNames(name, names);
  return new ModelError(
    `${source ?? 'weights'}: no tensor named "${name}"${near.length > 0 ? ` (similar: ${near.join(', ')})` : ''}; is this the right model folder for its config.json?`,
  );
}

export function weightsFromSafetensors(file: SafetensorsFile): WeightSource {
  return {
    source: file.source,
    names: [...file.tensors.keys()],
    has: (name) => file.tensors.has(name),
    get(name) {
      const entry = file.tensors.get(name);
      if (entry === undefined) throw missing(file.source, name, file.tensors.keys());
      return { shape: entry.shape, data: readFloat32(file, name) };
    },
  };
}

export function weightsFromShards(sharded: ShardedSafetensors, source?: string): WeightSource {
  return {
    source,
    names: [...sharded.tensors.keys()],
    has: (name) => sharded.tensors.has(name),
    get(name) {
      const entry = sharded.tensors.get(name);
      if (entry === undefined) throw missing(source, name, sharded.tensors.keys());
      return { shape: entry.shape, data: sharded.readFloat32(name) };
    },
  };
}

export function weightsFromMap(
  tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
  source?: string,
): WeightSource {
  return {
    source,
    names: [...tensors.keys()],
    has: (name) => tensors.has(name),
    get(name) {
      const t = tensors.get(name);
      if (t === undefined) throw missing(source, name, tensors.keys());
      return t;
    },
  };
}
