// Runtime guards for every message of messages.ts, grouped per receiving side. The `satisfies`-free typing
// of ProtocolGuards makes a missing or mistyped guard a compile error: adding a message without its guard
// does not build.
import type {
  AdapterSummary,
  ModelCheck,
  NearestToken,
  SafetensorsHeaderSummary,
  TensorSummary,
} from '../inspect/types.js';
import { Endpoint } from './endpoint.js';
import type { EndpointOptions, ProtocolGuards, Transport } from './endpoint.js';
import {
  arrayOf,
  bool,
  bytes,
  int,
  literal,
  nonNegativeInt,
  nullable,
  num,
  object,
  oneOf,
  optional,
  recordOf,
  str,
  unknownValue,
} from './guards.js';
import type { Guard } from './guards.js';
import type {
  AttentionComputed,
  AttentionInit,
  BackendInfo,
  CspViolation,
  EvaluationReport,
  HostToWebview,
  LogEntry,
  TrainProgress,
  TrainSettings,
  WebviewToHost,
} from './messages.js';

const tensorSummary: Guard<TensorSummary> = object({
  name: str,
  dtype: str,
  shape: arrayOf(nonNegativeInt),
  bytes: nonNegativeInt,
});

export const headerSummaryGuard: Guard<SafetensorsHeaderSummary> = object({
  kind: literal('header'),
  fileName: str,
  fileBytes: nonNegativeInt,
  headerBytes: nonNegativeInt,
  metadata: recordOf(str),
  tensors: arrayOf(tensorSummary),
  parameters: nonNegativeInt,
});

const promptShape = {
  expected: 'a [rows, cols] pair of non-negative integers',
  check(value: unknown, path: string, problems: string[]): value is readonly [number, number] {
    if (arrayOf(nonNegativeInt).check(value, path, problems) && value.length === 2) return true;
    problems.push(`${path}: expected ${this.expected}`);
    return false;
  },
} satisfies Guard<readonly [number, number]>;

export const adapterSummaryGuard: Guard<AdapterSummary> = object({
  kind: literal('adapter'),
  fileName: str,
  method: str,
  taskType: str,
  baseModel: nullable(str),
  numVirtualTokens: nonNegativeInt,
  tokenDim: nonNegativeInt,
  numLayers: nonNegativeInt,
  numAttentionHeads: nonNegativeInt,
  modulesToSave: arrayOf(str),
  inEmbeddingSpace: bool,
  promptShape,
  tokenNorms: arrayOf(num),
  cosine: arrayOf(num),
  tensors: arrayOf(tensorSummary),
  metadata: recordOf(str),
  recordedFingerprint: nullable(object({ embeddingSha256: str, tokenizerSha256: nullable(str) })),
  config: recordOf(unknownValue),
  trainingMetadata: nullable(recordOf(unknownValue)),
  lossCurve: arrayOf(object({ step: num, loss: num })),
  evalPoints: arrayOf(object({ step: num, metric: str, value: num })),
});

const nearestToken: Guard<NearestToken> = object({ id: nonNegativeInt, token: str, cosine: num });

export const modelCheckGuard: Guard<ModelCheck> = object({
  modelName: str,
  fits: bool,
  problems: arrayOf(str),
  modelFingerprint: nullable(str),
  fingerprintMatches: nullable(bool),
  nearest: nullable(arrayOf(arrayOf(nearestToken))),
});

const positive: Guard<number> = {
  expected: 'a positive number',
  check(value, path, problems): value is number {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return true;
    problems.push(`${path}: expected a positive number, found ${JSON.stringify(value)}`);
    return false;
  },
};

export const trainSettingsGuard: Guard<TrainSettings> = object({
  modelPath: str,
  datasetPath: str,
  evalDatasetPath: optional(str),
  task: literal('classification', 'ner', 'sft'),
  method: literal('PROMPT_TUNING', 'PREFIX_TUNING', 'P_TUNING'),
  virtualTokens: nonNegativeInt,
  init: literal('RANDOM', 'TEXT', 'SAMPLE_VOCAB'),
  initText: optional(str),
  learningRate: positive,
  epochs: nonNegativeInt,
  batchSize: nonNegativeInt,
  maxLength: nonNegativeInt,
  seed: int,
  maxSteps: optional(nonNegativeInt),
  warmStart: optional(bool),
  outputFolder: str,
});

const trainChoice = object({ label: str, path: str });

export const trainProgressGuard: Guard<TrainProgress> = object({
  step: nonNegativeInt,
  totalSteps: nonNegativeInt,
  epoch: num,
  loss: num,
  learningRate: num,
  tokensPerSecond: num,
  elapsedSeconds: num,
  etaSeconds: nullable(num),
  evalMetric: optional(object({ name: str, value: num })),
});

const backendInfo: Guard<BackendInfo> = object({
  backend: literal('webgpu', 'wasm', 'cpu'),
  fallbackReason: nullable(str),
  adapterDescription: nullable(str),
});

const webviewFile = object({ name: str, uri: str });

export const evaluationReportGuard: Guard<EvaluationReport> = object({
  adapterName: str,
  adapterPath: str,
  modelName: str,
  datasetName: str,
  task: literal('classification', 'ner', 'sft'),
  examples: nullable(nonNegativeInt),
  metrics: recordOf(unknownValue),
});

export const attentionInitGuard: Guard<AttentionInit> = object({
  adapterName: str,
  modelName: str,
  modelFiles: arrayOf(webviewFile),
  adapterFiles: arrayOf(webviewFile),
  text: str,
  backend: literal('auto', 'webgpu', 'wasm', 'cpu'),
  forceWebGPU: bool,
  wasmBaseUri: str,
});

export const attentionComputedGuard: Guard<AttentionComputed> = object({
  kind: literal('soft', 'prefix'),
  backend: str,
  virtualTokens: nonNegativeInt,
  tokens: arrayOf(str),
  shares: arrayOf(arrayOf(num)),
});

const logEntry: Guard<LogEntry> = object({ level: literal('info', 'warning', 'error'), message: str });
const cspViolation: Guard<CspViolation> = object({
  blockedURI: str,
  violatedDirective: str,
  sourceFile: str,
});
const emptyObject: Guard<Record<string, never>> = object({});

/** What the host receives (from a webview) and the results it expects of its own requests. */
export const hostGuards: ProtocolGuards<HostToWebview, WebviewToHost> = {
  requestParams: {
    'inspector/checkModel': object({ modelPath: optional(str) }),
    'trainer/modelFiles': object({ modelPath: str }),
    'trainer/readDataset': object({ path: str }),
    'trainer/begin': trainSettingsGuard,
    'trainer/saveAdapter': object({ folder: str, files: arrayOf(object({ name: str, bytes })) }),
  },
  events: {
    ready: object({ view: literal('inspector', 'trainer', 'evaluation', 'attention') }),
    log: logEntry,
    cspViolation,
    'trainer/backend': backendInfo,
    'trainer/progress': trainProgressGuard,
    'attention/computed': attentionComputedGuard,
    'trainer/finished': object({
      reason: literal('completed', 'stopped', 'failed'),
      message: str,
      steps: nonNegativeInt,
      adapterFolder: nullable(str),
      metrics: nullable(recordOf(num)),
    }),
  },
  results: {
    'trainer/stop': object({ stopped: bool }),
  },
};

/** What a webview receives (from the host) and the results it expects of its own requests. */
export const webviewGuards: ProtocolGuards<WebviewToHost, HostToWebview> = {
  requestParams: {
    'trainer/stop': emptyObject,
  },
  events: {
    'inspector/init': object({
      summary: oneOf(adapterSummaryGuard, headerSummaryGuard),
      error: nullable(str),
    }),
    'inspector/modelCheck': modelCheckGuard,
    'trainer/init': object({
      settings: trainSettingsGuard,
      backend: literal('auto', 'webgpu', 'wasm', 'cpu'),
      forceWebGPU: bool,
      wasmBaseUri: str,
      autoStart: bool,
      choices: object({ models: arrayOf(trainChoice), datasets: arrayOf(trainChoice) }),
    }),
    'trainer/start': trainSettingsGuard,
    'trainer/resume': object({
      settings: trainSettingsGuard,
      checkpointUri: str,
      normalization: nullable(object({ mean: arrayOf(num), std: arrayOf(num) })),
      log: str,
      embeddingSha256: str,
    }),
    'evaluation/init': evaluationReportGuard,
    'attention/init': attentionInitGuard,
  },
  results: {
    'inspector/checkModel': nullable(modelCheckGuard),
    'trainer/modelFiles': arrayOf(object({ name: str, uri: str })),
    'trainer/readDataset': object({ text: str }),
    'trainer/begin': object({ outputFolder: str }),
    'trainer/saveAdapter': object({ folderUri: str }),
  },
};

export type HostEndpoint = Endpoint<HostToWebview, WebviewToHost>;
export type WebviewEndpoint = Endpoint<WebviewToHost, HostToWebview>;

export function createHostEndpoint(transport: Transport, options?: EndpointOptions): HostEndpoint {
  return new Endpoint(transport, hostGuards, options);
}

export function createWebviewEndpoint(transport: Transport, options?: EndpointOptions): WebviewEndpoint {
  return new Endpoint(transport, webviewGuards, options);
}
