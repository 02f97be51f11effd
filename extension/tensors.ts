// Reading safetensors headers and single tensors from disk by byte range, so that opening a 5 GB model in
// the header view or fingerprinting its embeddings never reads the whole file. Local files use node:fs
// ranges; other file systems (remote, virtual) fall back to workspace.fs and read the whole file.
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { parseSafetensorsHeader, safetensorsHeaderLength } from '../core/inspect/index.js';
import type { HeaderTensor, SafetensorsHeader } from '../core/inspect/index.js';

async function readRange(uri: vscode.Uri, start: number, length: number): Promise<Uint8Array> {
  if (uri.scheme === 'file') {
    const handle = await fs.open(uri.fsPath, 'r');
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return out.subarray(0, done);
    } finally {
      await handle.close();
    }
  }
  const all = await vscode.workspace.fs.readFile(uri);
  return all.subarray(start, start + length);
}

export async function fileSize(uri: vscode.Uri): Promise<number> {
  return (await vscode.workspace.fs.stat(uri)).size;
}

export async function readHeader(uri: vscode.Uri): Promise<{ header: SafetensorsHeader; size: number }> {
  const size = await fileSize(uri);
  const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
  const n = safetensorsHeaderLength(await readRange(uri, 0, 8), name);
  const json = await readRange(uri, 8, n);
  return { header: parseSafetensorsHeader(json, size, name), size };
}

export async function readTensorBytes(uri: vscode.Uri, tensor: HeaderTensor): Promise<Uint8Array> {
  return readRange(uri, tensor.begin, tensor.end - tensor.begin);
}
