// How much the text attends to the virtual tokens: for layer l and head h, the mean over the real (unpadded)
// text query positions of the summed attention probability on the virtual-token (prompt tuning) or prefix
// (prefix tuning) key positions. Prompt tuning gives square attention over P + T positions (queries P..P+T−1
// are the text); prefix tuning gives T queries × (P + T) keys. Keys 0..P−1 are the virtual ones either way.
//
// Legend: L layers, H heads, P virtual tokens, T text tokens, Q query positions, K key positions.

export interface AttentionArray {
  /** (B, H, Q, K) probabilities, row-major */
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface VirtualAttention {
  /** (L, H): share of attention on the virtual tokens, averaged over real text queries */
  readonly shares: number[][];
  /** real text positions of the example, in order (indices into its text tokens) */
  readonly textPositions: number[];
}

/**
 * Shares for example `b`. `textMask` is that example's text attention mask (T entries, 1 = real token);
 * `virtualTokens` is P; `kind` says whether queries include the virtual positions (soft) or not (prefix).
 */
export function virtualAttentionShares(
  layers: readonly AttentionArray[],
  b: number,
  textMask: readonly number[],
  virtualTokens: number,
  kind: 'soft' | 'prefix',
): VirtualAttention {
  const textPositions = textMask.flatMap((m, t) => (m === 1 ? [t] : []));
  if (textPositions.length === 0) throw new Error('the example has no real text token');
  const shares = layers.map((a) => {
    const [B = 0, H = 0, Q = 0, K = 0] = a.shape;
    if (b >= B) throw new Error(`example ${b} is outside the batch of ${B}`);
    const offset = kind === 'soft' ? virtualTokens : 0;
    if (Q !== offset + textMask.length || K !== virtualTokens + textMask.length) {
      throw new Error(
        `attention of shape [${a.shape.join(', ')}] does not fit ${virtualTokens} virtual and ${textMask.length} text tokens (${kind})`,
      );
    }
    const perHead: number[] = [];
    for (let h = 0; h < H; h++) {
      let total = 0;
      for (const t of textPositions) {
        const row = ((b * H + h) * Q + offset + t) * K;
        let s = 0;
        for (let k = 0; k < virtualTokens; k++) s += a.data[row + k]!;
        total += s;
      }
      perHead.push(total / textPositions.length);
    }
    return perHead;
  });
  return { shares, textPositions };
}

/** Text tokens × virtual tokens for one layer and head: (real T, P) probabilities. */
export function textToVirtualMatrix(
  layer: AttentionArray,
  b: number,
  head: number,
  textMask: readonly number[],
  virtualTokens: number,
  kind: 'soft' | 'prefix',
): number[][] {
  const [, H = 0, Q = 0, K = 0] = layer.shape;
  const offset = kind === 'soft' ? virtualTokens : 0;
  const out: number[][] = [];
  textMask.forEach((m, t) => {
    if (m !== 1) return;
    const row = ((b * H + head) * Q + offset + t) * K;
    out.push(Array.from(layer.data.subarray(row, row + virtualTokens)));
  });
  return out;
}
