// Writing and reading a trained adapter folder: PEFT's adapter_config.json + adapter_model.safetensors, our
// prompt_adapter.json metadata and training_log.jsonl, and checkpoint.safetensors (prompt, head, optimizer
// and data position) for an exact resume. Every file is written atomically (a temp file, then a rename), so a
// crash or Ctrl-C leaves the previous complete checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import type { ModelConfig } from '../core/formats/hfconfig.js';
import { kvDim } from '../core/formats/hfconfig.js';
import { adapterFiles, headModuleFor } from '../core/prompts/save.js';
import type { EncoderReparameterization } from '../core/prompts/save.js';
import type { PeftTaskType, PeftType } from '../core/prompts/peft.js';
import type { HostTensor } from '../core/prompts/peft.js';
import { CHECKPOINT_FILE, METADATA_FILE, TRAINING_LOG_FILE, parseMetadata } from '../core/tasks/metadata.js';
import type { AdapterMetadata } from '../core/tasks/metadata.js';
import type { TaskKind } from '../core/tasks/types.js';
import { decodeCheckpoint, encodeCheckpoint } from '../core/train/checkpoint.js';
import type { TrainCheckpoint } from '../core/train/checkpoint.js';
import { readBytes, readJsonFile } from './files.js';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function peftTaskType(task: TaskKind): PeftTaskType {
  switch (task) {
    case 'sft':
      return 'CAUSAL_LM';
    case 'classification':
      return 'SEQ_CLS';
    case 'ner':
      return 'TOKEN_CLS';
  }
}

export interface SaveAdapterOptions {
  readonly dir: string;
  readonly config: ModelConfig;
  readonly baseModelName: string;
  readonly task: TaskKind;
  readonly peftType: PeftType;
  readonly prompt: HostTensor;
  readonly head?: { readonly weight: HostTensor; readonly bias?: HostTensor } | undefined;
  readonly initText?: string | undefined;
  /** PEFT's task_type when it is not the task's own (a verbalizer classifier is a CAUSAL_LM adapter) */
  readonly peftTaskType?: PeftTaskType | undefined;
  /** P_TUNING: the prompt encoder that produced `prompt` (PEFT stores its output) */
  readonly encoder?:
    | { readonly type: EncoderReparameterization; readonly hiddenSize: number; readonly numLayers: number }
    | undefined;
}

/** adapter_config.json + adapter_model.safetensors in PEFT's layout. */
export function saveAdapter(options: SaveAdapterOptions): void {
  const c = options.config;
  const prefix = options.peftType === 'PREFIX_TUNING';
  const files = adapterFiles(
    {
      peftType: options.peftType,
      taskType: options.peftTaskType ?? peftTaskType(options.task),
      numVirtualTokens: options.prompt.shape[0] ?? 0,
      tokenDim: prefix ? kvDim(c) : c.hiddenSize,
      numLayers: c.numLayers,
      numAttentionHeads: prefix ? c.numKvHeads : c.numHeads,
      baseModelNameOrPath: options.baseModelName,
      ...(options.peftType === 'PROMPT_TUNING'
        ? options.initText === undefined
          ? { promptTuningInit: 'RANDOM' as const }
          : { promptTuningInit: 'TEXT' as const, promptTuningInitText: options.initText }
        : {}),
      ...(options.encoder === undefined
        ? {}
        : {
            encoderReparameterizationType: options.encoder.type,
            encoderHiddenSize: options.encoder.hiddenSize,
            encoderNumLayers: options.encoder.numLayers,
            encoderDropout: 0,
          }),
    },
    options.prompt,
    options.head === undefined ? undefined : { module: headModuleFor(c.arch), ...options.head },
  );
  writeFileAtomic(path.join(options.dir, 'adapter_model.safetensors'), files['adapter_model.safetensors']);
  writeFileAtomic(path.join(options.dir, 'adapter_config.json'), files['adapter_config.json']);
}

export function saveMetadata(dir: string, metadata: AdapterMetadata): void {
  writeFileAtomic(path.join(dir, METADATA_FILE), JSON.stringify(metadata, null, 2) + '\n');
}

export function readMetadata(dir: string): AdapterMetadata | undefined {
  const file = path.join(dir, METADATA_FILE);
  return fs.existsSync(file) ? parseMetadata(readJsonFile(file), file) : undefined;
}

export function saveCheckpoint(dir: string, checkpoint: TrainCheckpoint): void {
  writeFileAtomic(path.join(dir, CHECKPOINT_FILE), encodeCheckpoint(checkpoint));
}

export function readCheckpoint(dir: string): TrainCheckpoint {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${dir}: no ${CHECKPOINT_FILE} to resume from (only adapters trained by this tool can resume)`,
    );
  }
  return decodeCheckpoint(readBytes(file), file);
}

/** Appends lines to training_log.jsonl (rewritten atomically with the lines so far). */
export class TrainingLog {
  private readonly lines: string[] = [];

  constructor(private readonly dir: string) {
    const file = path.join(dir, TRAINING_LOG_FILE);
    if (fs.existsSync(file))
      this.lines.push(
        ...fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
  }

  add(entry: Record<string, unknown>): void {
    this.lines.push(JSON.stringify(entry));
  }

  /** keeps only entries up to `step` (a resumed run replaces what came after its checkpoint) */
  truncateAfter(step: number): void {
    const kept = this.lines.filter((l) => {
      const s = (JSON.parse(l) as { step?: unknown }).step;
      return typeof s !== 'number' || s <= step;
    });
    this.lines.length = 0;
    this.lines.push(...kept);
  }

  flush(): void {
    writeFileAtomic(path.join(this.dir, TRAINING_LOG_FILE), this.lines.map((l) => l + '\n').join(''));
  }
}
