// Which positions carry loss, counted on the host: gradient accumulation weights each micro-batch's mean loss
// by its share of the labelled positions, so that accumulating micro-batches gives the gradient of the mean
// over all of them (what one batch holding them all would give).
import type { TaskHead } from '../prompts/forward.js';
import type { HostArray } from '../prompts/run.js';
import { TrainError } from './errors.js';

const IGNORE = -100;

/**
 * Number of positions that taskLoss averages over. Causal LM: labels are shifted by one over the virtual
 * positions and the text (transformers drops the first position of the whole sequence), so with a soft prompt
 * (textOffset P > 0) every text label counts and with a prefix (textOffset 0) each row's first label does not.
 * Classification: every label that is not −100.
 */
export function labelledCount(
  kind: TaskHead['kind'],
  labels: HostArray<Int32Array>,
  textOffset: number,
): number {
  let count = 0;
  if (kind === 'causal-lm') {
    if (labels.shape.length !== 2) {
      throw new TrainError(`causal-LM labels must be (batch, tokens), got [${labels.shape.join(', ')}]`);
    }
    const [B, T] = labels.shape as [number, number];
    for (let b = 0; b < B; b++) {
      for (let t = textOffset > 0 ? 0 : 1; t < T; t++) if (labels.data[b * T + t] !== IGNORE) count++;
    }
    return count;
  }
  for (const v of labels.data) if (v !== IGNORE) count++;
  return count;
}
