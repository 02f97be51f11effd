// stories260K.gguf (llama.cpp layout, interleaved-RoPE Q/K rows, its own vocabulary) and the Hugging Face
// folder of the same model give the same logits (≤ 1e-5) and the same token ids.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { initBackend } from '../../cli/backend.js';
import { readSafetensorsFile } from '../../cli/files.js';
import { loadModel } from '../../cli/load.js';
import type { LoadedModel } from '../../cli/load.js';
import { readInt32 } from '../../core/formats/safetensors.js';
import { runForward } from '../../core/prompts/run.js';
import { bundledModel, fixture, readJson, repoRoot } from '../helpers/paths.js';

describe('GGUF import against the Hugging Face folder', () => {
  let hf: LoadedModel;
  let gguf: LoadedModel;
  before(async () => {
    await initBackend('cpu');
    hf = await loadModel(bundledModel('stories260K'));
    gguf = await loadModel(path.join(repoRoot, 'models', 'stories260K.gguf'));
  });
  after(() => {
    hf.model.dispose();
    gguf.model.dispose();
  });

  it('same logits on the golden batch (≤ 1e-5)', async () => {
    const golden = readSafetensorsFile(fixture('golden', 'stories260K_base.safetensors'));
    const req = {
      inputIds: { data: readInt32(golden, 'input_ids'), shape: [2, 12] },
      attentionMask: { data: readInt32(golden, 'attention_mask'), shape: [2, 12] },
    };
    const a = await runForward(hf.model, undefined, req);
    const b = await runForward(gguf.model, undefined, req);
    let d = 0;
    for (let i = 0; i < a.logits.data.length; i++)
      d = Math.max(d, Math.abs(a.logits.data[i]! - b.logits.data[i]!));
    assert.ok(d <= 1e-5, `logits differ by ${d}`);
  });

  it('same token ids on the golden tokenizer cases', () => {
    const cases = readJson<{ text: string; ids: number[] }[]>(fixture('golden', 'tokenizer_cases.json'));
    const mismatches: string[] = [];
    for (const c of cases) {
      const a = hf.tokenizer!.encode(c.text);
      const b = gguf.tokenizer!.encode(c.text);
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(JSON.stringify(c.text));
    }
    assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} of ${cases.length} differ`);
  });
});
