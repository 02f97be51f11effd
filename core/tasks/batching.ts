// Encoded examples → padded micro-batches for the training loop, with length bucketing: each epoch is shuffled
// with a seed, cut into chunks of `bucketBatches` batches, and each chunk is sorted by length before being cut
// into batches, so a batch pads to similar lengths (less wasted compute) while the order stays random.
// The source depends only on (seed, position), as the loop's resume requires.
//
// Legend: B batch, T longest sequence in the batch.
import type { BatchStart, TrainBatch } from '../train/loop.js';
import { TrainRng } from '../train/rng.js';

/** One example after tokenization. `labels` is per token (same length as ids, −100 = ignored) or one class id. */
export interface EncodedExample {
  readonly ids: readonly number[];
  readonly labels: readonly number[] | number;
}

export interface BatchingOptions {
  readonly batchSize: number;
  /** id written into padded positions (masked out; any valid id) */
  readonly padId: number;
  /** batches per length-sorted chunk (default 16; 1 = no bucketing) */
  readonly bucketBatches?: number;
  /** repeat the data this many times (default: forever; the loop stops at its step count) */
  readonly epochs?: number;
}

/** Pads a list of examples on the right into one TrainBatch. */
export function collate(examples: readonly EncodedExample[], padId: number): TrainBatch {
  const B = examples.length;
  const T = Math.max(1, ...examples.map((e) => e.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Int32Array(B * T);
  const perToken = examples.length > 0 && Array.isArray(examples[0]!.labels);
  const labels = perToken ? new Int32Array(B * T).fill(-100) : new Int32Array(B);
  examples.forEach((e, b) => {
    e.ids.forEach((id, t) => {
      ids[b * T + t] = id;
      mask[b * T + t] = 1;
    });
    if (Array.isArray(e.labels)) (e.labels as readonly number[]).forEach((l, t) => (labels[b * T + t] = l));
    else labels[b] = e.labels as number;
  });
  return {
    inputIds: { data: ids, shape: [B, T] },
    attentionMask: { data: mask, shape: [B, T] },
    labels: { data: labels, shape: perToken ? [B, T] : [B] },
  };
}

/** The order of one epoch's examples: shuffled, then length-sorted within chunks, then cut into batches. */
export function epochBatches(
  examples: readonly EncodedExample[],
  epoch: number,
  seed: number,
  options: BatchingOptions,
): number[][] {
  const rng = new TrainRng(seed * 1000003 + epoch);
  const order = examples.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chunk = options.batchSize * Math.max(1, options.bucketBatches ?? 16);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += chunk) {
    const part = order
      .slice(start, start + chunk)
      .sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
    const group: number[][] = [];
    for (let i = 0; i < part.length; i += options.batchSize) group.push(part.slice(i, i + options.batchSize));
    // shuffle the batches of the chunk so lengths do not rise steadily through the epoch
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      [group[i], group[j]] = [group[j]!, group[i]!];
    }
    batches.push(...group);
  }
  return batches;
}

/** A batch source for `train()`: deterministic in (seed, microBatch), so a resumed run sees the same data. */
export function batchSource(
  examples: readonly EncodedExample[],
  options: BatchingOptions,
): (start: BatchStart) => Iterable<TrainBatch> {
  if (examples.length === 0) throw new Error('no training examples');
  return function* (start: BatchStart): Iterable<TrainBatch> {
    const perEpoch = Math.ceil(examples.length / options.batchSize);
    const maxEpochs = options.epochs ?? Number.POSITIVE_INFINITY;
    let epoch = Math.floor(start.microBatch / perEpoch);
    let skip = start.microBatch % perEpoch;
    while (epoch < maxEpochs) {
      const batches = epochBatches(examples, epoch, start.seed, options);
      for (let i = skip; i < batches.length; i++) {
        yield collate(
          batches[i]!.map((k) => examples[k]!),
          options.padId,
        );
      }
      skip = 0;
      epoch++;
    }
  };
}

/** Text tokens in a batch (for throughput figures). */
export function batchTokens(batch: TrainBatch): number {
  let n = 0;
  for (const m of batch.attentionMask.data) n += m;
  return n;
}
