// The adapter against the bare model, on the same examples with the same scorer. "Bare" is the frozen model
// WITHOUT the adapter's prompt: no virtual tokens (prompt tuning, P-tuning) and no key/value prefix (prefix
// tuning). Whatever else the task needs stays as it is, so the difference is the prompt's alone:
//   - SFT / causal LM: the plain language model (loss, perplexity, greedy generations of the same prompts);
//   - classification or NER with a trained head: the SAME head (the adapter's saved modules_to_save, or the
//     checkpoint's own) on the model's hidden states without the prompt; such a head was trained together
//     with the prompt, so its bare score says how much the head relies on the prompt;
//   - verbalizer classification: the language model's label-word logits without the prompt.
import type { EvalContext } from './types.js';

/** Metrics of the adapter, plus `bare`: the same metrics of the model without the prompt. */
export async function evaluateWithBare<Example>(
  evaluate: (context: EvalContext<Example>) => Promise<Record<string, unknown>>,
  context: EvalContext<Example>,
): Promise<Record<string, unknown>> {
  const adapter = await evaluate(context);
  const bare = await evaluate({ ...context, prompt: undefined });
  return { ...adapter, bare };
}
