// `prompt-adapter inspect ADAPTER_DIR [--model DIR] [--json]`: what the editor's Adapter Inspector shows, on
// the same code (core/inspect): method, base model, shapes, per-virtual-token norms, cosine similarities
// between virtual tokens, training config/metrics/loss curve, and with --model the fit and fingerprint check
// and each virtual token's nearest vocabulary tokens.
import fs from 'node:fs';
import path from 'node:path';
import {
  checkAdapterAgainstModel,
  loadAdapterForInspection,
  vocabFromTokenizerJson,
} from '../../core/inspect/index.js';
import { fingerprintModel } from '../../core/tasks/metadata.js';
import { withModel } from '../args.js';
import { exactlyPositionals, parseWithPositionals } from '../registry-env.js';
import type { Command } from '../args.js';
import { UserFileError, readBytes, readJsonFile } from '../files.js';

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseWithPositionals(args, {
    model: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help === true) return void process.stdout.write(inspectCommand.usage + '\n');
  const [dir = ''] = exactlyPositionals(positionals, ['ADAPTER_DIR']);
  const configPath = path.join(dir, 'adapter_config.json');
  const weightsPath = path.join(dir, 'adapter_model.safetensors');
  if (!fs.existsSync(configPath))
    throw new UserFileError(`${dir}: no adapter_config.json (is this a PEFT adapter folder?)`);
  const metaPath = path.join(dir, 'prompt_adapter.json');
  const logPath = path.join(dir, 'training_log.jsonl');
  const { summary, adapter } = loadAdapterForInspection(
    readJsonFile(configPath),
    readBytes(weightsPath),
    weightsPath,
    {
      ...(fs.existsSync(metaPath) ? { metadata: readJsonFile(metaPath) } : {}),
      ...(fs.existsSync(logPath) ? { log: fs.readFileSync(logPath, 'utf8') } : {}),
    },
  );
  let check: unknown;
  if (values.model !== undefined) {
    const modelDir = values.model;
    check = await withModel(modelDir, 'cpu', async (loaded) => {
      const tokenizerPath = path.join(modelDir, 'tokenizer.json');
      const tokenizerText = fs.existsSync(tokenizerPath) ? fs.readFileSync(tokenizerPath, 'utf8') : undefined;
      const fingerprint = await fingerprintModel(loaded.model, tokenizerText);
      const embeddings = (await loaded.model.embeddingMatrix.data()) as Float32Array;
      return checkAdapterAgainstModel(
        adapter,
        summary.recordedFingerprint,
        {
          name: path.basename(path.resolve(modelDir)),
          config: loaded.config,
          fingerprint: fingerprint.embeddingSha256,
          tokenizerSha256: fingerprint.tokenizerSha256,
        },
        tokenizerText === undefined
          ? undefined
          : { data: embeddings, vocab: vocabFromTokenizerJson(JSON.parse(tokenizerText)) },
      );
    });
  }
  const report = { ...summary, ...(check === undefined ? {} : { modelCheck: check }) };
  if (values.json === true) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  const lines = [
    `${dir}: ${summary.method} for ${summary.taskType}, ${summary.numVirtualTokens} virtual tokens, prompt [${summary.promptShape.join(', ')}]`,
    `base model: ${summary.baseModel ?? 'unknown'}; layers ${summary.numLayers}, token_dim ${summary.tokenDim}, heads ${summary.numAttentionHeads}`,
    `virtual-token norms: ${summary.tokenNorms.map((n) => n.toFixed(3)).join(' ')}`,
    `tensors: ${summary.tensors.map((t) => `${t.name} ${t.dtype} [${t.shape.join(', ')}]`).join('; ')}`,
  ];
  if (check !== undefined) lines.push(`model check: ${JSON.stringify(check)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export const inspectCommand: Command = {
  name: 'inspect',
  usage: `  inspect   ADAPTER_DIR [--model DIR] [--json]
            Method, base model, shapes, per-virtual-token norms, cosine similarities, training metrics and loss
            curve; with --model the fit and fingerprint check and each virtual token's nearest vocabulary tokens
            (cosine; such projections can mislead). The editor's Adapter Inspector runs the same code.`,
  run,
};
