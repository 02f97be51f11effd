// Chooses and initialises the tfjs backend of the webview: WebGPU, else wasm (SIMD), else cpu, with the reason
// whenever the preferred one was not taken. The caller sends the result to the host ('trainer/backend').
//
// Quirks handled here (../shared/recipes/webgpu/README.md):
// - tfjs-backend-webgpu registers itself at import time only when navigator.gpu exists, and when it finds no
//   adapter, setBackend('webgpu') resolves false and tfjs silently stays where it was: every switch is checked
//   with tf.getBackend().
// - tfjs-core alone registers no gradients: register_all_gradients is imported here.
// - In an IIFE bundle tfjs-wasm cannot find its .wasm files by itself: setWasmPaths(prefix) is required.
// - WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD: by default tfjs-webgpu computes small ops on CPU-resident data on the
//   CPU, which hides WGSL bugs from tests; `exactWebGPU` sets it to 0 so every op runs on the GPU.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import type { BackendInfo, BackendPreference } from '../../core/protocol/messages.js';
import { adapterRejection, backendOrder, describeAdapter } from './adapter.js';
import type { AdapterFacts, ComputeBackend } from './adapter.js';

export interface BackendRequest {
  readonly preference: BackendPreference;
  /** use a software WebGPU adapter (SwiftShader) although wasm is faster: for tests */
  readonly forceWebGPU: boolean;
  /** URL prefix (ending in '/') of tfjs-backend-wasm's .wasm files */
  readonly wasmPaths?: string;
  /** run every op on the GPU (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD = 0); for parity tests */
  readonly exactWebGPU?: boolean;
}

interface AdapterLike {
  readonly info?: Partial<AdapterFacts>;
  readonly isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

async function probeAdapter(): Promise<AdapterFacts | null> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (gpu === undefined) return null;
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return null;
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  };
}

async function trySetBackend(name: ComputeBackend): Promise<string | null> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name)
      return `tfjs could not start '${name}' (it stayed on '${tf.getBackend()}')`;
    return null;
  } catch (e) {
    return `tfjs could not start '${name}': ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Switches tfjs to the best backend allowed by `request`; throws only if not even cpu starts. */
export async function selectBackend(request: BackendRequest): Promise<BackendInfo> {
  if (request.wasmPaths !== undefined) setWasmPaths(request.wasmPaths);
  const reasons: string[] = [];
  let adapterDescription: string | null = null;
  for (const backend of backendOrder(request.preference)) {
    let reason: string | null;
    if (backend === 'webgpu') {
      const facts = await probeAdapter().catch(() => null);
      adapterDescription = facts === null ? null : describeAdapter(facts);
      reason = adapterRejection(facts, request.forceWebGPU);
      if (reason === null) {
        if (request.exactWebGPU === true) tf.env().set('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD', 0);
        reason = await trySetBackend('webgpu');
      }
    } else {
      reason = await trySetBackend(backend);
    }
    if (reason === null) {
      return {
        backend,
        fallbackReason: reasons.length === 0 ? null : reasons.join('; '),
        adapterDescription: backend === 'webgpu' ? adapterDescription : null,
      };
    }
    reasons.push(`${backend}: ${reason}`);
  }
  throw new Error(`no tfjs backend could start: ${reasons.join('; ')}`);
}
