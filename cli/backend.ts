// Selects and initialises a tfjs backend in Node (cpu or wasm). Gradients are registered here, through the
// ESM-only module that plain Node cannot load; esbuild bundles it (see esbuild.mjs).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export type NodeBackend = 'cpu' | 'wasm';

export function isNodeBackend(name: string): name is NodeBackend {
  return name === 'cpu' || name === 'wasm';
}

/** Directory holding tfjs-backend-wasm's .wasm files: next to the bundle, else in node_modules. */
function wasmDir(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  if (fs.existsSync(path.join(here, 'tfjs-backend-wasm-simd.wasm'))) return here;
  const require = createRequire(path.join(process.cwd(), 'noop.js'));
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
}

let wasmPathsSet = false;

/** Switches tfjs to `name`; throws if tfjs silently stays on another backend (it does when init fails). */
export async function initBackend(name: NodeBackend): Promise<void> {
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDir() + path.sep);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`could not initialise the tfjs '${name}' backend (tfjs is on '${tf.getBackend()}')`);
  }
}
