// Sharded checkpoints: the real stories260K split into two shards + an index, in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSafetensors, readFloat32, serializeSafetensors } from '../../../core/formats/safetensors.js';
import type { SafetensorsFile, TensorToWrite } from '../../../core/formats/safetensors.js';
import { ShardedSafetensors, parseShardIndex } from '../../../core/formats/sharded.js';
import { MODEL_PATH, assertSafetensorsError, realModelBytes } from './safetensors.helpers.js';

const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

interface Split {
  original: SafetensorsFile;
  indexJson: { metadata: { total_size: number }; weight_map: Record<string, string> };
  shards: Map<string, SafetensorsFile>;
}

/** Splits the real model in two shards (first half of the tensor names, second half), as save_pretrained would. */
function splitRealModel(): Split {
  const original = parseSafetensors(realModelBytes(), { source: MODEL_PATH });
  const names = [...original.tensors.keys()].sort();
  const half = Math.ceil(names.length / 2);
  const parts: [string, string[]][] = [
    [SHARD1, names.slice(0, half)],
    [SHARD2, names.slice(half)],
  ];
  const weightMap: Record<string, string> = {};
  const shards = new Map<string, SafetensorsFile>();
  let totalSize = 0;
  for (const [shardName, shardTensors] of parts) {
    const tensors: Record<string, TensorToWrite> = {};
    for (const name of shardTensors) {
      const entry = original.tensors.get(name)!;
      tensors[name] = { dtype: 'F32', shape: entry.shape, data: readFloat32(original, name) };
      weightMap[name] = shardName;
      totalSize += entry.end - entry.begin;
    }
    shards.set(
      shardName,
      parseSafetensors(serializeSafetensors(tensors, { format: 'pt' }), { source: shardName }),
    );
  }
  return { original, indexJson: { metadata: { total_size: totalSize }, weight_map: weightMap }, shards };
}

void test('a model split into 2 shards + index reads every tensor back equal', () => {
  const { original, indexJson, shards } = splitRealModel();
  // Through JSON text, as the index arrives from disk.
  const index = parseShardIndex(JSON.parse(JSON.stringify(indexJson)), 'model.safetensors.index.json');
  assert.equal(index.metadata.total_size, 1040128);
  assert.equal(index.weightMap.size, 47);
  const sharded = new ShardedSafetensors(index, shards);
  assert.equal(sharded.tensors.size, original.tensors.size);
  assert.ok(shards.get(SHARD1)!.tensors.size > 0 && shards.get(SHARD2)!.tensors.size > 0);
  for (const [name, entry] of original.tensors) {
    const shardedEntry = sharded.tensors.get(name);
    assert.ok(shardedEntry !== undefined, name);
    assert.equal(shardedEntry.file, shards.get(indexJson.weight_map[name]!));
    assert.deepEqual(shardedEntry.shape, entry.shape);
    assert.deepEqual(sharded.readFloat32(name), readFloat32(original, name), name);
  }
  assert.deepEqual(sharded.get('model.embed_tokens.weight').shape, [512, 64]);
  assertSafetensorsError(
    () => sharded.readFloat32('lm_head.weight'),
    [/no tensor named "lm_head.weight"/, /47 tensors/],
  );
});

void test('a tensor named in the index but missing from its shard is an error', () => {
  const { indexJson, shards } = splitRealModel();
  const index = parseShardIndex({
    ...indexJson,
    weight_map: { ...indexJson.weight_map, 'extra.weight': SHARD2 },
  });
  assertSafetensorsError(
    () => new ShardedSafetensors(index, shards),
    [/tensor "extra.weight" in shard 'model-00002-of-00002.safetensors', but it is in no shard/],
  );
  // Index pointing at the wrong shard.
  const [firstName] = Object.keys(indexJson.weight_map).sort();
  const wrong = parseShardIndex({
    ...indexJson,
    weight_map: { ...indexJson.weight_map, [firstName!]: SHARD2 },
  });
  assertSafetensorsError(
    () => new ShardedSafetensors(wrong, shards),
    [new RegExp(`tensor "${firstName!.replace(/\./g, '\\.')}" in shard '${SHARD2}'`), /instead/],
  );
});

void test('a tensor present in two shards is an error', () => {
  const { indexJson, shards } = splitRealModel();
  const duplicate = parseSafetensors(
    serializeSafetensors({ 'model.norm.weight': { dtype: 'F32', shape: [1], data: [1] } }),
    { source: SHARD1 },
  );
  const first = shards.get(SHARD1)!;
  const merged = new Map(shards);
  // Shard 1 now also holds model.norm.weight (which shard 2 has): rebuild it with that tensor added.
  const tensors: Record<string, TensorToWrite> = {};
  for (const name of first.tensors.keys())
    tensors[name] = { dtype: 'F32', shape: first.tensors.get(name)!.shape, data: readFloat32(first, name) };
  tensors['model.norm.weight'] = {
    dtype: 'F32',
    shape: [1],
    data: readFloat32(duplicate, 'model.norm.weight'),
  };
  merged.set(SHARD1, parseSafetensors(serializeSafetensors(tensors), { source: SHARD1 }));
  assertSafetensorsError(
    () => new ShardedSafetensors(parseShardIndex(indexJson), merged),
    [/tensor "model.norm.weight" is in two shards/],
  );
});

void test('a shard named by the index but not provided is an error', () => {
  const { indexJson, shards } = splitRealModel();
  const onlyOne = new Map([[SHARD1, shards.get(SHARD1)!]]);
  assertSafetensorsError(
    () => new ShardedSafetensors(parseShardIndex(indexJson), onlyOne),
    [/names shard 'model-00002-of-00002.safetensors' but it was not provided/],
  );
});

void test('parseShardIndex validates the index JSON', () => {
  const SRC = 'model.safetensors.index.json';
  assertSafetensorsError(() => parseShardIndex([], SRC), [/must be a JSON object/], SRC);
  assertSafetensorsError(
    () => parseShardIndex({ metadata: {} }, SRC),
    [/"weight_map" must be an object/],
    SRC,
  );
  assertSafetensorsError(
    () => parseShardIndex({ weight_map: { a: 3 } }, SRC),
    [/"weight_map" entry "a" must be a shard file name/],
    SRC,
  );
  assertSafetensorsError(
    () => parseShardIndex({ metadata: 'x', weight_map: {} }, SRC),
    [/"metadata" must be an object/],
    SRC,
  );
  const index = parseShardIndex({ weight_map: { a: 's.safetensors' } });
  assert.deepEqual(index.metadata, {});
  assert.deepEqual([...index.weightMap], [['a', 's.safetensors']]);
});
