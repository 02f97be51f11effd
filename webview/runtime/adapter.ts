// The pure part of backend selection: which backends to try in which order, and whether a WebGPU adapter is worth
// using. No tfjs, no DOM: unit-tested in Node (test/browser/adapter.test.ts).
import type { BackendPreference } from '../../core/protocol/messages.js';

export type ComputeBackend = 'webgpu' | 'wasm' | 'cpu';

/** What a GPUAdapter says about itself (GPUAdapterInfo, plus the older adapter-level isFallbackAdapter). */
export interface AdapterFacts {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

/** The backends to try, best first: the preferred one, then the rest of webgpu → wasm → cpu. */
export function backendOrder(preference: BackendPreference): ComputeBackend[] {
  const all: ComputeBackend[] = ['webgpu', 'wasm', 'cpu'];
  if (preference === 'auto') return all;
  return [preference, ...all.filter((b) => b !== preference)];
}

/** "google swiftshader (fallback adapter)" */
export function describeAdapter(facts: AdapterFacts): string {
  const name = [facts.vendor, facts.architecture || facts.description].filter((s) => s !== '').join(' ');
  return `${name === '' ? 'unnamed adapter' : name}${facts.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
}

/** A software rasteriser: SwiftShader (Chromium's fallback) or Mesa's llvmpipe/lavapipe. */
export function isSoftwareAdapter(facts: AdapterFacts): boolean {
  const text = `${facts.vendor} ${facts.architecture} ${facts.description}`.toLowerCase();
  return facts.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/.test(text);
}

/**
 * Why this adapter is NOT used, or null to use it. A software adapter is 10x to 65x slower than tfjs-wasm
 * (../shared/recipes/webgpu/README.md, section 2), so it is skipped unless forced (tests force it).
 */
export function adapterRejection(facts: AdapterFacts | null, forceWebGPU: boolean): string | null {
  if (facts === null) return 'no WebGPU adapter (navigator.gpu.requestAdapter() returned null)';
  if (isSoftwareAdapter(facts) && !forceWebGPU) {
    return (
      `the WebGPU adapter is a software fallback (${describeAdapter(facts)}), slower than wasm; ` +
      'enable the "force WebGPU" setting to use it anyway'
    );
  }
  return null;
}
