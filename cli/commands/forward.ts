// `prompt-adapter forward`: logits, loss and the prompt gradient for a batch, as PEFT computes them.
import { readInt32, serializeSafetensors } from '../../core/formats/safetensors.js';
import type { TensorToWrite } from '../../core/formats/safetensors.js';
import { runForward } from '../../core/prompts/run.js';
import { backendOf, parse, required, withModel, writeAtomic } from '../args.js';
import type { Command } from '../args.js';
import { UserFileError, readSafetensorsFile } from '../files.js';
import { loadAdapterFor } from '../load.js';

async function run(args: string[]): Promise<void> {
  const { values } = parse(args, {
    model: { type: 'string' },
    adapter: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
  });
  if (values.help === true) return void process.stdout.write(forwardCommand.usage + '\n');
  const modelDir = required(values.model, '--model');
  const inputPath = required(values.input, '--input');
  const outPath = required(values.out, '--out');
  const backend = backendOf(values.backend);
  const input = readSafetensorsFile(inputPath);
  const dims = (name: string): number[] => {
    const entry = input.tensors.get(name);
    if (entry === undefined) throw new UserFileError(`${inputPath}: no "${name}" tensor`);
    return [...entry.shape];
  };
  const intTensor = (name: string) => ({ data: readInt32(input, name), shape: dims(name) });
  await withModel(modelDir, backend, async (loaded) => {
    const adapter = values.adapter === undefined ? undefined : loadAdapterFor(values.adapter, loaded.config);
    const labels = input.tensors.has('labels') ? intTensor('labels') : undefined;
    const report = await runForward(loaded.model, adapter, {
      inputIds: intTensor('input_ids'),
      ...(input.tensors.has('attention_mask') ? { attentionMask: intTensor('attention_mask') } : {}),
      ...(labels === undefined ? {} : { labels }),
      gradient: adapter !== undefined && labels !== undefined,
    });
    const out: Record<string, TensorToWrite> = {
      logits: { dtype: 'F32', shape: report.logits.shape, data: report.logits.data },
    };
    if (report.loss !== undefined)
      out.loss = { dtype: 'F32', shape: [1], data: new Float32Array([report.loss]) };
    if (report.promptGradient !== undefined) {
      out['grad.prompt_embeddings'] = {
        dtype: 'F32',
        shape: report.promptGradient.shape,
        data: report.promptGradient.data,
      };
    }
    writeAtomic(outPath, serializeSafetensors(out, { head: report.head, backend }));
    process.stderr.write(
      `wrote ${outPath}: logits [${report.logits.shape.join(', ')}]` +
        (report.loss === undefined ? '' : `, loss ${report.loss.toFixed(6)}`) +
        (report.promptGradient === undefined ? '' : ', grad.prompt_embeddings') +
        '\n',
    );
  });
}

export const forwardCommand: Command = {
  name: 'forward',
  usage: `  forward   --model DIR [--adapter DIR] --input IN.safetensors --out OUT.safetensors [--backend cpu|wasm]
            Runs the model (with the adapter) on input_ids / attention_mask / optional labels from IN and
            writes float32 logits (PEFT's shape), loss [1] with labels, and grad.prompt_embeddings
            (d loss / d stored prompt) when an adapter and labels are given.`,
  run,
};
