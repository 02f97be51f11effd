// The attention view's numbers: for the golden stories260K prompt-tuning and prefix-tuning inputs, the shares
// of attention on the virtual tokens computed from OUR forward pass equal those computed from the golden
// `attn.*` tensors (transformers' eager attention) by the definition, within 1e-5.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { initBackend } from '../../cli/backend.js';
import { readAdapterDir, readModelDir, readSafetensorsFile } from '../../cli/files.js';
import { readFloat32, readInt32 } from '../../core/formats/safetensors.js';
import { textToVirtualMatrix, virtualAttentionShares } from '../../core/inspect/attention.js';
import { createModel } from '../../core/model/index.js';
import { runForward } from '../../core/prompts/run.js';
import { bundledModel, fixture } from '../helpers/paths.js';

/** The definition, written out directly on the golden tensors. */
function sharesByDefinition(
  attn: Float32Array,
  shape: number[],
  b: number,
  mask: number[],
  P: number,
  soft: boolean,
): number[] {
  const [, H, Q, K] = shape as [number, number, number, number];
  const real = mask.flatMap((m, t) => (m === 1 ? [t] : []));
  const out: number[] = [];
  for (let h = 0; h < H; h++) {
    let total = 0;
    for (const t of real) {
      const q = soft ? P + t : t;
      for (let k = 0; k < P; k++) total += attn[((b * H + h) * Q + q) * K + k]!;
    }
    out.push(total / real.length);
  }
  return out;
}

describe('attention to the virtual tokens', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const [name, kind] of [
    ['stories260K_prompt_tuning', 'soft'],
    ['stories260K_prefix_tuning', 'prefix'],
  ] as const) {
    it(`${name}: shares from our forward equal the golden attention's (≤ 1e-5)`, async () => {
      const files = readModelDir(bundledModel('stories260K'));
      const model = createModel(files.config, files.weights);
      try {
        const golden = readSafetensorsFile(fixture('golden', `${name}.safetensors`));
        const adapter = readAdapterDir(path.join(fixture('golden', 'adapters'), name));
        const ids = readInt32(golden, 'input_ids');
        const mask = readInt32(golden, 'attention_mask');
        const report = await runForward(model, adapter, {
          inputIds: { data: ids, shape: [2, 12] },
          attentionMask: { data: mask, shape: [2, 12] },
          outputAttentions: true,
        });
        const P = 8;
        const layers = report.attentions!;
        for (const b of [0, 1]) {
          const rowMask = Array.from(mask.subarray(b * 12, (b + 1) * 12));
          const ours = virtualAttentionShares(layers, b, rowMask, P, kind);
          assert.equal(ours.textPositions.length, b === 0 ? 12 : 9);
          for (let l = 0; l < 5; l++) {
            const g = readFloat32(golden, `attn.${l}`);
            const shape = [...(golden.tensors.get(`attn.${l}`)?.shape ?? [])];
            const expected = sharesByDefinition(g, shape, b, rowMask, P, kind === 'soft');
            ours.shares[l]!.forEach((v, h) => {
              assert.ok(Math.abs(v - expected[h]!) <= 1e-5, `layer ${l} head ${h}: ${v} vs ${expected[h]}`);
              assert.ok(v >= 0 && v <= 1 + 1e-6);
            });
          }
          const matrix = textToVirtualMatrix(layers[0]!, b, 0, rowMask, P, kind);
          assert.equal(matrix.length, ours.textPositions.length);
          const mean = matrix.reduce((s, r) => s + r.reduce((a, x) => a + x, 0), 0) / matrix.length;
          assert.ok(Math.abs(mean - ours.shares[0]![0]!) < 1e-6);
        }
      } finally {
        model.dispose();
      }
    });
  }
});
