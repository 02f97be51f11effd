// A training checkpoint: everything a run needs to continue exactly where it stopped (PEFT cannot resume a
// prompt adapter): the trainable tensors, AdamW's moments and step, the generator state, the position in the
// data and the early-stopping counters. Also its byte form: one safetensors file whose metadata holds the
// scalar state as JSON.
import { parseSafetensors, readFloat32, serializeSafetensors } from '../formats/safetensors.js';
import type { TensorToWrite } from '../formats/safetensors.js';
import type { HostTensor } from '../prompts/peft.js';
import { TrainError } from './errors.js';
import type { AdamWState } from './optimizer.js';
import type { RngState } from './rng.js';

export interface EarlyStoppingState {
  /** best metric value so far (null before the first evaluation) */
  readonly best: number | null;
  readonly bestStep: number | null;
  /** evaluations since the best one */
  readonly badEvaluations: number;
}

export interface TrainCheckpoint {
  /** completed optimizer steps */
  readonly step: number;
  /** micro-batches consumed from the data (step × accumulation, less at a short final group) */
  readonly microBatches: number;
  /** (P, W) */
  readonly prompt: HostTensor;
  readonly head?: { readonly weight: HostTensor; readonly bias?: HostTensor };
  /** P-tuning: the prompt encoder's parameters by PEFT's names (`prompt` is then the encoder's input) */
  readonly encoder?: Readonly<Record<string, HostTensor>>;
  readonly optimizer: AdamWState;
  readonly rng: RngState;
  readonly earlyStopping: EarlyStoppingState;
}

const FORMAT = 'prompt-adapter-studio/train-checkpoint/1';

interface ScalarState {
  format: string;
  step: number;
  microBatches: number;
  optimizerStep: number;
  rng: number[];
  earlyStopping: EarlyStoppingState;
  moments: string[];
}

/** Checkpoint → bytes of a safetensors file (tensors `prompt`, `head.*`, `encoder.*`, `optimizer.<param>.m|v`). */
export function encodeCheckpoint(checkpoint: TrainCheckpoint): Uint8Array {
  const tensors: Record<string, TensorToWrite> = {};
  const put = (name: string, t: HostTensor): void => {
    tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  };
  put('prompt', checkpoint.prompt);
  if (checkpoint.head !== undefined) {
    put('head.weight', checkpoint.head.weight);
    if (checkpoint.head.bias !== undefined) put('head.bias', checkpoint.head.bias);
  }
  for (const [name, t] of Object.entries(checkpoint.encoder ?? {})) put(`encoder.${name}`, t);
  const moments = Object.keys(checkpoint.optimizer.moments);
  for (const name of moments) {
    const mm = checkpoint.optimizer.moments[name]!;
    put(`optimizer.${name}.m`, { shape: mm.shape, data: mm.m });
    put(`optimizer.${name}.v`, { shape: mm.shape, data: mm.v });
  }
  const state: ScalarState = {
    format: FORMAT,
    step: checkpoint.step,
    microBatches: checkpoint.microBatches,
    optimizerStep: checkpoint.optimizer.step,
    rng: [...checkpoint.rng],
    earlyStopping: checkpoint.earlyStopping,
    moments,
  };
  return serializeSafetensors(tensors, { format: 'pt', train_state: JSON.stringify(state) });
}

/** Bytes from encodeCheckpoint → checkpoint; `source` names the file in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): TrainCheckpoint {
  const file = parseSafetensors(bytes, { source });
  const text = file.metadata.train_state;
  if (text === undefined)
    throw new TrainError(`${source}: not a training checkpoint (no train_state metadata)`);
  let state: ScalarState;
  try {
    state = JSON.parse(text) as ScalarState;
  } catch (e) {
    throw new TrainError(`${source}: train_state metadata is not valid JSON (${(e as Error).message})`);
  }
  if (state.format !== FORMAT) {
    throw new TrainError(`${source}: checkpoint format ${JSON.stringify(state.format)} is not ${FORMAT}`);
  }
  const get = (name: string): HostTensor => {
    const entry = file.tensors.get(name);
    if (entry === undefined) throw new TrainError(`${source}: checkpoint has no tensor "${name}"`);
    return { shape: [...entry.shape], data: readFloat32(file, name) };
  };
  const has = (name: string): boolean => file.tensors.has(name);
  const moments: Record<string, { shape: readonly number[]; m: Float32Array; v: Float32Array }> = {};
  for (const name of state.moments) {
    const m = get(`optimizer.${name}.m`);
    moments[name] = { shape: m.shape, m: m.data, v: get(`optimizer.${name}.v`).data };
  }
  const rng = state.rng;
  if (rng.length !== 4) throw new TrainError(`${source}: rng state must have 4 words, has ${rng.length}`);
  const encoderNames = [...file.tensors.keys()].filter((n) => n.startsWith('encoder.'));
  const encoder: Record<string, HostTensor> = {};
  for (const name of encoderNames) encoder[name.slice('encoder.'.length)] = get(name);
  const base = {
    step: state.step,
    microBatches: state.microBatches,
    prompt: get('prompt'),
    ...(encoderNames.length === 0 ? {} : { encoder }),
    optimizer: { step: state.optimizerStep, moments },
    rng: [rng[0]!, rng[1]!, rng[2]!, rng[3]!] as const,
    earlyStopping: state.earlyStopping,
  };
  if (!has('head.weight')) return base;
  const weight = get('head.weight');
  return { ...base, head: has('head.bias') ? { weight, bias: get('head.bias') } : { weight } };
}
