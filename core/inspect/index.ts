// The adapter inspector's data, platform-free: the extension host, the webview and the CLI share it.
export {
  EMBEDDING_TENSOR_NAMES,
  InspectError,
  checkAdapterAgainstModel,
  cosineMatrix,
  findEmbeddingTensor,
  loadAdapterForInspection,
  nearestTokens,
  parseTrainingLog,
  recordedFingerprintOf,
  rowNorms,
  tensorSummaries,
  vocabFromTokenizerJson,
} from './adapter.js';
export {
  MAX_HEADER_BYTES,
  floatTensorToFloat32,
  parseSafetensorsHeader,
  safetensorsHeaderLength,
  summarizeHeader,
} from './header.js';
export type { HeaderTensor, SafetensorsHeader } from './header.js';
export type { TrainingFiles } from './adapter.js';
export type {
  AdapterSummary,
  EvalPoint,
  ModelCheck,
  NearestToken,
  RecordedFingerprint,
  SafetensorsHeaderSummary,
  TensorSummary,
  TrainingPoint,
} from './types.js';
