// Checks an adapter against a model folder for the inspector: shapes (config.json), the fingerprint of the
// embedding tensor (`sha256:` of its stored bytes), and the nearest vocabulary tokens of each virtual token.
import * as vscode from 'vscode';
import { parseModelConfig } from '../core/formats/hfconfig.js';
import {
  checkAdapterAgainstModel,
  findEmbeddingTensor,
  floatTensorToFloat32,
  vocabFromTokenizerJson,
} from '../core/inspect/index.js';
import type { HeaderTensor, ModelCheck, RecordedFingerprint } from '../core/inspect/index.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import { sha256Digest } from '../core/registry/digest.js';
import { exists, readJson } from './files.js';
import { readHeader, readTensorBytes } from './tensors.js';

/** Embeddings larger than this are fingerprinted but not searched for nearest tokens (keeps the host responsive). */
const MAX_NEAREST_ELEMENTS = 64 * 1024 * 1024;

/** The safetensors file of a model folder that holds `tensor` (single file or sharded index). */
async function fileHolding(
  folder: vscode.Uri,
  tensor: (names: string[]) => string | undefined,
): Promise<{ file: vscode.Uri; entry: HeaderTensor } | undefined> {
  const index = vscode.Uri.joinPath(folder, 'model.safetensors.index.json');
  const candidates: vscode.Uri[] = [];
  if (await exists(index)) {
    const json = (await readJson(index)) as { weight_map?: Record<string, unknown> };
    const map = json.weight_map ?? {};
    const name = tensor(Object.keys(map));
    const shard = name === undefined ? undefined : map[name];
    if (typeof shard === 'string') candidates.push(vscode.Uri.joinPath(folder, shard));
  }
  candidates.push(vscode.Uri.joinPath(folder, 'model.safetensors'));
  for (const file of candidates) {
    if (!(await exists(file))) continue;
    const { header } = await readHeader(file);
    const name = tensor(header.tensors.map((t) => t.name));
    const entry = header.tensors.find((t) => t.name === name);
    if (entry !== undefined) return { file, entry };
  }
  return undefined;
}

function hex(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
}

/** The float32 values as little-endian bytes (typed arrays use the host's order; every host VS Code runs on is LE). */
function littleEndianBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export async function checkModel(
  folder: vscode.Uri,
  adapter: PromptAdapter,
  recordedFingerprint: RecordedFingerprint | null,
  token?: vscode.CancellationToken,
): Promise<ModelCheck> {
  const name = folder.path.slice(folder.path.lastIndexOf('/') + 1);
  const config = parseModelConfig(
    await readJson(vscode.Uri.joinPath(folder, 'config.json')),
    `${name}/config.json`,
  );
  const found = await fileHolding(folder, findEmbeddingTensor);
  let fingerprint: string | null = null;
  let tokenizerSha256: string | null = null;
  let embeddings: { data: Float32Array; vocab: readonly string[] } | undefined;
  const tokenizer = vscode.Uri.joinPath(folder, 'tokenizer.json');
  const hasTokenizer = await exists(tokenizer);
  if (hasTokenizer) tokenizerSha256 = hex(await sha256Digest(await vscode.workspace.fs.readFile(tokenizer)));
  if (found !== undefined && token?.isCancellationRequested !== true) {
    // Training fingerprints the float32 matrix (core/tasks/metadata.ts), whatever dtype the file stores.
    const matrix = floatTensorToFloat32(
      await readTensorBytes(found.file, found.entry),
      found.entry.dtype,
      found.entry.name,
    );
    fingerprint = hex(await sha256Digest(littleEndianBytes(matrix)));
    if (matrix.length <= MAX_NEAREST_ELEMENTS && hasTokenizer) {
      embeddings = { data: matrix, vocab: vocabFromTokenizerJson(await readJson(tokenizer)) };
    }
  }
  return checkAdapterAgainstModel(
    adapter,
    recordedFingerprint,
    { name, config, fingerprint, tokenizerSha256 },
    embeddings,
  );
}
