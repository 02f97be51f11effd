// What the trainer page exposes on globalThis.promptAdapterTrainer: load a model and a dataset from URLs, pick
// the backend, train, return every step's loss. The browser parity test drives the page through it; the VS Code
// wiring (../trainer.ts) uses the same functions.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../../core/protocol/messages.js';
import type { TrainProgress } from '../../core/train/loop.js';
import { selectBackend } from '../runtime/backend.js';
import type { BackendRequest } from '../runtime/backend.js';
import { fetchModel } from './load-model.js';
import type { ModelLocation } from './load-model.js';
import { runClassificationTraining } from './run-classification.js';
import type { ClassificationRunSettings } from './run-classification.js';

export interface UrlRunRequest {
  readonly backend: BackendRequest;
  /** the model folder's base URL (ending in '/') */
  readonly modelUrl: string;
  readonly dataUrl: string;
  /** the dataset's file name (its extension picks the format, as in the CLI) */
  readonly dataSource: string;
  readonly settings: ClassificationRunSettings;
}

export interface UrlRunResult {
  readonly backend: BackendInfo;
  /** tf.getBackend() after training: what really ran */
  readonly tfBackend: string;
  readonly labels: readonly string[];
  readonly losses: readonly number[];
  readonly steps: number;
  readonly loadMs: number;
  readonly warmStartMs: number;
  readonly trainMs: number;
}

export interface TrainerPageApi {
  runFromUrls(request: UrlRunRequest): Promise<UrlRunResult>;
}

export class DatasetFetchError extends Error {
  override readonly name = 'DatasetFetchError';
}

export async function runFromUrls(
  request: UrlRunRequest,
  onProgress?: (p: TrainProgress) => void,
): Promise<UrlRunResult> {
  const backend = await selectBackend(request.backend);
  const started = Date.now();
  const location: ModelLocation = request.modelUrl;
  const fetched = await fetchModel(location);
  const dataResponse = await fetch(request.dataUrl);
  if (!dataResponse.ok)
    throw new DatasetFetchError(`${request.dataUrl}: HTTP ${dataResponse.status} while loading the dataset`);
  const dataText = await dataResponse.text();
  const loadMs = Date.now() - started;
  const trainStarted = Date.now();
  try {
    const run = await runClassificationTraining({
      model: fetched.model,
      tokenizer: fetched.tokenizer,
      dataText,
      dataSource: request.dataSource,
      settings: request.settings,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    return {
      backend,
      tfBackend: tf.getBackend(),
      labels: run.labels,
      losses: run.result.losses,
      steps: run.steps,
      loadMs,
      warmStartMs: run.warmStartMs,
      trainMs: Date.now() - trainStarted,
    };
  } finally {
    fetched.model.dispose();
  }
}
