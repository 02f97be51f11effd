// The pure half of the webview's backend selection (webview/runtime/adapter.ts): order and adapter verdicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adapterRejection,
  backendOrder,
  describeAdapter,
  isSoftwareAdapter,
} from '../../webview/runtime/adapter.js';
import type { AdapterFacts } from '../../webview/runtime/adapter.js';

const swiftshader: AdapterFacts = {
  vendor: 'google',
  architecture: 'swiftshader',
  description: '',
  isFallbackAdapter: true,
};
const nvidia: AdapterFacts = {
  vendor: 'nvidia',
  architecture: 'hopper',
  description: 'NVIDIA H100',
  isFallbackAdapter: false,
};

test('backendOrder: auto is webgpu → wasm → cpu; a preference goes first, the rest keep their order', () => {
  assert.deepEqual(backendOrder('auto'), ['webgpu', 'wasm', 'cpu']);
  assert.deepEqual(backendOrder('wasm'), ['wasm', 'webgpu', 'cpu']);
  assert.deepEqual(backendOrder('cpu'), ['cpu', 'webgpu', 'wasm']);
  assert.deepEqual(backendOrder('webgpu'), ['webgpu', 'wasm', 'cpu']);
});

test('a software adapter is skipped unless forced, with a reason that says how to force it', () => {
  const reason = adapterRejection(swiftshader, false);
  assert.match(reason ?? '', /software fallback \(google swiftshader \(fallback adapter\)\).*force WebGPU/);
  assert.equal(adapterRejection(swiftshader, true), null);
  assert.equal(adapterRejection(nvidia, false), null);
  assert.match(adapterRejection(null, true) ?? '', /no WebGPU adapter/);
});

test('software adapters are recognised by the fallback flag or by name (llvmpipe reports no flag)', () => {
  assert.equal(isSoftwareAdapter(swiftshader), true);
  assert.equal(
    isSoftwareAdapter({
      vendor: 'mesa',
      architecture: '',
      description: 'llvmpipe (LLVM 15)',
      isFallbackAdapter: false,
    }),
    true,
  );
  assert.equal(isSoftwareAdapter(nvidia), false);
  assert.equal(describeAdapter(nvidia), 'nvidia hopper');
  assert.equal(
    describeAdapter({ vendor: '', architecture: '', description: '', isFallbackAdapter: false }),
    'unnamed adapter',
  );
});
