// The trainer form's settings (core/protocol TrainSettings) as the CLI's flags for a classification run. Pure:
// unit-tested in Node (test/browser/settings.test.ts).
import type { TrainSettings } from '../../core/protocol/messages.js';
import { CLI_CLASSIFICATION_DEFAULTS } from './run-classification.js';
import type { ClassificationRunSettings } from './run-classification.js';

export class TrainerSettingsError extends Error {
  override readonly name = 'TrainerSettingsError';
}

/** The form's settings as the CLI's flags; throws for what the webview cannot train yet. */
export function runSettingsOf(s: TrainSettings): ClassificationRunSettings {
  if (s.task !== 'classification')
    throw new TrainerSettingsError(
      `the webview trainer runs classification only for now (got task "${s.task}"): use the CLI for ${s.task}`,
    );
  if (s.method === 'P_TUNING')
    throw new TrainerSettingsError(
      'P-tuning is not in the webview trainer yet: use the CLI (--method ptuning)',
    );
  if (s.evalDatasetPath !== undefined)
    throw new TrainerSettingsError(
      'a separate eval file is not supported by the webview trainer yet (leave it empty: 10% is held out)',
    );
  return {
    ...CLI_CLASSIFICATION_DEFAULTS,
    method: s.method === 'PREFIX_TUNING' ? 'prefix' : 'prompt',
    virtualTokens: s.virtualTokens,
    lr: s.learningRate,
    epochs: s.epochs,
    batchSize: s.batchSize,
    maxLength: s.maxLength,
    seed: s.seed,
    ...(s.maxSteps === undefined ? {} : { steps: s.maxSteps }),
    ...(s.warmStart === undefined ? {} : { warmStart: s.warmStart }),
  };
}
