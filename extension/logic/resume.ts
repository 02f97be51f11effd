// Resume Training on an adapter folder: what a stopped dashboard run left (prompt_adapter.json,
// checkpoint.safetensors) turned into the settings the page continues with. Pure, unit-tested
// (test/unit/extension/resume.test.ts); the command (commands.ts) finds the model and the dataset.
import type { TrainSettings } from '../../core/protocol/messages.js';

export interface ResumePlan {
  /** the run's settings without the three paths, which the command fills in */
  readonly settings: Omit<TrainSettings, 'modelPath' | 'datasetPath' | 'outputFolder'>;
  readonly modelName: string;
  readonly embeddingSha256: string;
  readonly datasetName: string;
  readonly datasetSha256: string;
  readonly stepsDone: number;
}

function field(o: Record<string, unknown>, key: string, kind: 'number' | 'string'): unknown {
  const v = o[key];
  if (kind === 'number' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string')
    throw new Error(`prompt_adapter.json: "${key}" is missing or not a ${kind}`);
  return v;
}

/** The plan, or a message that says why this folder cannot be resumed in the dashboard. */
export function resumePlan(metadata: unknown, hasCheckpoint: boolean): ResumePlan | { error: string } {
  if (typeof metadata !== 'object' || metadata === null)
    return { error: 'no prompt_adapter.json: only runs of the training dashboard can be resumed here' };
  const m = metadata as Record<string, unknown>;
  const training = (m.training ?? {}) as Record<string, unknown>;
  if (training.trainer !== 'webview')
    return {
      error:
        'this adapter was trained by the CLI: continue it with `prompt-adapter train --resume DIR` and the same flags',
    };
  if (training.stopReason !== 'aborted')
    return { error: `the run ended (${String(training.stopReason)}): there is nothing to resume` };
  if (!hasCheckpoint) return { error: 'checkpoint.safetensors is missing: the run cannot be continued' };
  try {
    const base = (m.baseModel ?? {}) as Record<string, unknown>;
    const fingerprint = (base.fingerprint ?? {}) as Record<string, unknown>;
    const dataset = (m.dataset ?? {}) as Record<string, unknown>;
    const method = field(training, 'method', 'string');
    return {
      settings: {
        task: 'classification',
        method: method === 'prefix' ? 'PREFIX_TUNING' : 'PROMPT_TUNING',
        virtualTokens: field(training, 'virtualTokens', 'number') as number,
        init: 'RANDOM',
        learningRate: field(training, 'lr', 'number') as number,
        epochs: field(training, 'epochs', 'number') as number,
        batchSize: field(training, 'batchSize', 'number') as number,
        maxLength: field(training, 'maxLength', 'number') as number,
        seed: field(training, 'seed', 'number') as number,
        // the run's total, so the resumed run ends where the uninterrupted one would
        maxSteps: field(training, 'steps', 'number') as number,
      },
      modelName: field(base, 'name', 'string') as string,
      embeddingSha256: field(fingerprint, 'embeddingSha256', 'string') as string,
      datasetName: field(dataset, 'train', 'string') as string,
      datasetSha256: field(dataset, 'trainSha256', 'string') as string,
      stepsDone: field(training, 'stepsDone', 'number') as number,
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
