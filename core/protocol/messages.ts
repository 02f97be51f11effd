// The ONE message map between the extension host and its webviews. Every request names its params and
// result types, every event its payload; `Endpoint` (endpoint.ts) makes a wrong method or payload a compile
// error on both sides, and `guards.ts`' tables check what arrives at run time. Add a message here, add its
// guard in protocol.ts, and both sides see it.
//
// Direction: `WebviewToHost` lists what the webview may send (requests the host answers, events the host
// receives); `HostToWebview` the reverse. Method names are `<view>/<verb>`.
import type { AdapterSummary, ModelCheck, SafetensorsHeaderSummary } from '../inspect/types.js';

export type {
  AdapterSummary,
  EvalPoint,
  ModelCheck,
  NearestToken,
  RecordedFingerprint,
  SafetensorsHeaderSummary,
  TensorSummary,
  TrainingPoint,
} from '../inspect/types.js';

/** A request: what the caller sends and what the callee answers. */
export interface RequestSpec<P, R> {
  readonly params: P;
  readonly result: R;
}

/** One direction of the protocol. */
export interface Direction {
  readonly requests: Record<string, RequestSpec<unknown, unknown>>;
  readonly events: Record<string, unknown>;
}

export type ViewKind = 'inspector' | 'trainer' | 'evaluation' | 'attention';

export type BackendPreference = 'auto' | 'webgpu' | 'wasm' | 'cpu';
export type TrainMethod = 'PROMPT_TUNING' | 'PREFIX_TUNING' | 'P_TUNING';
export type TrainTask = 'classification' | 'ner' | 'sft';
export type PromptInit = 'RANDOM' | 'TEXT' | 'SAMPLE_VOCAB';

/** The training form's values (what the trainer webview needs to start a run). */
export interface TrainSettings {
  readonly modelPath: string;
  readonly datasetPath: string;
  readonly evalDatasetPath?: string;
  readonly task: TrainTask;
  readonly method: TrainMethod;
  readonly virtualTokens: number;
  readonly init: PromptInit;
  readonly initText?: string;
  readonly learningRate: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly seed: number;
  /** stop after this many optimizer steps (the "quick" preset) */
  readonly maxSteps?: number;
  /** classification: fit the head as a linear probe before training (default true; the quick preset: false) */
  readonly warmStart?: boolean;
  readonly outputFolder: string;
}

/** A complete progress snapshot (throttled by the sender; never a delta). */
export interface TrainProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly tokensPerSecond: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number | null;
  readonly evalMetric?: { readonly name: string; readonly value: number };
}

/** Which compute backend runs, and why it is not the preferred one when it fell back. */
export interface BackendInfo {
  readonly backend: 'webgpu' | 'wasm' | 'cpu';
  readonly fallbackReason: string | null;
  /** e.g. "google swiftshader (fallback adapter)" */
  readonly adapterDescription: string | null;
}

/** A model or dataset the training form offers (path: what TrainSettings carries). */
export interface TrainChoice {
  readonly label: string;
  readonly path: string;
}

/** How a run ended: its outcome, where the adapter went (null: nothing saved) and the held-out metrics. */
export interface TrainFinished {
  readonly reason: 'completed' | 'stopped' | 'failed';
  readonly message: string;
  readonly steps: number;
  readonly adapterFolder: string | null;
  readonly metrics: Readonly<Record<string, number>> | null;
}

/** What the host reads from a stopped run's adapter folder so the page can continue it. */
export interface TrainResume {
  /** the run's settings; outputFolder is the adapter folder, which the resumed run rewrites */
  readonly settings: TrainSettings;
  /** checkpoint.safetensors as a webview URI (fetched by the page, like the weights: VS Code does not carry
   * typed arrays from the host to a webview) */
  readonly checkpointUri: string;
  /** head_normalization.json's {mean, std}, when the head standardises its features */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
  /** training_log.jsonl */
  readonly log: string;
  /** the base model's embedding sha256 recorded in prompt_adapter.json: the page refuses another model */
  readonly embeddingSha256: string;
}

/** A file the host can serve to a webview by asWebviewUri (weights are streamed by fetch, never posted). */
export interface WebviewFile {
  readonly name: string;
  readonly uri: string;
}

/** What the Evaluation view shows: eval's metrics JSON (with `bare` when the bare model was scored). */
export interface EvaluationReport {
  readonly adapterName: string;
  readonly adapterPath: string;
  readonly modelName: string;
  readonly datasetName: string;
  readonly task: TrainTask;
  /** examples scored, when eval reported it */
  readonly examples: number | null;
  /** `prompt-adapter eval --json` output; read with core/metrics/compare.ts */
  readonly metrics: Readonly<Record<string, unknown>>;
}

/** What the attention page needs: model and adapter files as webview URIs, the text, the backend. */
export interface AttentionInit {
  readonly adapterName: string;
  readonly modelName: string;
  readonly modelFiles: readonly WebviewFile[];
  /** adapter_config.json and adapter_model.safetensors */
  readonly adapterFiles: readonly WebviewFile[];
  readonly text: string;
  readonly backend: BackendPreference;
  readonly forceWebGPU: boolean;
  readonly wasmBaseUri: string;
}

/** The attention page's result (core/inspect/attention.ts on its forward pass), for the host and tests. */
export interface AttentionComputed {
  readonly kind: 'soft' | 'prefix';
  readonly backend: string;
  readonly virtualTokens: number;
  /** the text tokens as decoded strings, in order */
  readonly tokens: readonly string[];
  /** (layers, heads): share of the text's attention on the virtual tokens */
  readonly shares: readonly (readonly number[])[];
}

export interface LogEntry {
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
}

/** What a webview reports when its CSP blocks something (the e2e tests fail on any). */
export interface CspViolation {
  readonly blockedURI: string;
  readonly violatedDirective: string;
  readonly sourceFile: string;
}

export interface WebviewToHost extends Direction {
  readonly requests: {
    /** the inspector asks the host to pick a model (quick pick) and check the adapter against it */
    'inspector/checkModel': RequestSpec<{ readonly modelPath?: string }, ModelCheck | null>;
    /** the trainer asks for the files of a model folder as webview URIs */
    'trainer/modelFiles': RequestSpec<{ readonly modelPath: string }, readonly WebviewFile[]>;
    /** the trainer asks for a dataset's text (small files; the host reads through workspace.fs) */
    'trainer/readDataset': RequestSpec<{ readonly path: string }, { readonly text: string }>;
    /** the form's Start: the host checks trust, claims the single training slot and names the output folder */
    'trainer/begin': RequestSpec<TrainSettings, { readonly outputFolder: string }>;
    /** the trainer hands the finished adapter's files to the host, which writes them atomically */
    'trainer/saveAdapter': RequestSpec<
      {
        readonly folder: string;
        readonly files: readonly { readonly name: string; readonly bytes: Uint8Array }[];
      },
      { readonly folderUri: string }
    >;
  };
  readonly events: {
    /** first message of every webview: its script runs and listens (the host answers with an init event) */
    ready: { readonly view: ViewKind };
    log: LogEntry;
    cspViolation: CspViolation;
    'trainer/backend': BackendInfo;
    'trainer/progress': TrainProgress;
    'attention/computed': AttentionComputed;
    'trainer/finished': TrainFinished;
  };
}

export interface HostToWebview extends Direction {
  readonly requests: {
    /** stop the running training at the next step boundary; answers once the last checkpoint is written */
    'trainer/stop': RequestSpec<Record<string, never>, { readonly stopped: boolean }>;
  };
  readonly events: {
    'inspector/init': {
      readonly summary: AdapterSummary | SafetensorsHeaderSummary;
      readonly error: string | null;
    };
    'inspector/modelCheck': ModelCheck;
    'trainer/init': {
      readonly settings: TrainSettings;
      readonly backend: BackendPreference;
      readonly forceWebGPU: boolean;
      readonly wasmBaseUri: string;
      /** start at once with `settings` (the quick preset, programmatic runs); else the form waits for Start */
      readonly autoStart: boolean;
      readonly choices: {
        readonly models: readonly TrainChoice[];
        readonly datasets: readonly TrainChoice[];
      };
    };
    'trainer/start': TrainSettings;
    /** continue a stopped dashboard run from its saved files (Resume Training on an adapter folder) */
    'trainer/resume': TrainResume;
    'evaluation/init': EvaluationReport;
    'attention/init': AttentionInit;
  };
}
