// Where Train Adapter runs: the training dashboard (webview: WebGPU/wasm/cpu, live charts) where it can, the
// bundled CLI otherwise. Pure, unit-tested (test/unit/extension/trainRoute.test.ts).

export interface TrainRouteInput {
  /** what the caller asked for (programmatic runs), if anything */
  readonly runner: 'webview' | 'cli' | undefined;
  /** the `promptAdapter.trainer` setting */
  readonly setting: string;
  readonly task: string;
  readonly method: 'PROMPT_TUNING' | 'PREFIX_TUNING' | 'P_TUNING';
  readonly modelKind: 'hf' | 'gguf';
  readonly hasEvalFile: boolean;
}

/** Why the dashboard cannot run this training (the CLI then does), or undefined when it can. */
export function webviewCannotTrain(r: TrainRouteInput): string | undefined {
  if (r.runner === 'cli') return 'the CLI was asked for';
  if (r.runner !== 'webview' && r.setting === 'cli') return 'promptAdapter.trainer is "cli"';
  if (r.task !== 'classification')
    return `the training dashboard runs classification only (this is ${r.task})`;
  if (r.method === 'P_TUNING') return 'P-tuning runs in the CLI';
  if (r.modelKind !== 'hf') return 'GGUF models train in the CLI';
  if (r.hasEvalFile) return 'a separate eval file is a CLI feature';
  return undefined;
}
