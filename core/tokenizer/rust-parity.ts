// Where @huggingface/tokenizers 0.2.0 (JS) and the Rust `tokenizers` library (what transformers runs, and
// what the golden ids come from) disagree, and how this wrapper makes the JS side agree.
//
// 1. Prepend normalizer on an empty string.
//    SentencePiece-converted tokenizers (Llama 2, Mistral, TinyLlama, stories260K) normalize with
//      Sequence[ Replace("^ +| +$" -> ""), Replace(" {2,}" -> " "), Prepend("▁"), Replace(" " -> "▁") ]
//    which mirrors SentencePiece's remove_extra_whitespaces + add_dummy_prefix. A text made only of spaces
//    becomes "" after the first step. Rust's Prepend leaves an empty string empty
//    (`if !normalized.is_empty() { normalized.prepend(..) }`,
//    https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/normalizers/prepend.rs), and an
//    empty normalized string gives no tokens, so " " encodes to just BOS, as SentencePiece does (its
//    dummy prefix is only added to non-empty text). The JS Prepend prepends unconditionally, so " " becomes
//    "▁" and encodes to the ▁ token (id 410 for stories260K): one token more than the model was trained on.
//    The same happens for any whitespace-only piece between added tokens, e.g. the " " in "<s> ".
//    Fix: every Prepend normalizer (top level or inside a Sequence, at any depth) is replaced by one
//    that, like Rust's, leaves an empty string alone. This depends only on the normalizer's type, not on
//    the model, so a tokenizer.json built from a GGUF vocabulary gets the same treatment.

import { type Normalizer, PrependNormalizer, SequenceNormalizer } from '@huggingface/tokenizers';

/** Prepend with the Rust semantics: an empty string stays empty. */
class EmptySafePrependNormalizer extends PrependNormalizer {
  override normalize(text: string): string {
    return text.length === 0 ? text : super.normalize(text);
  }
}

/** Returns the normalizer with every Prepend (at any depth of Sequences) made empty-safe. */
export function withRustPrependSemantics(normalizer: Normalizer | null): Normalizer | null {
  if (normalizer === null || normalizer instanceof EmptySafePrependNormalizer) return normalizer;
  if (normalizer instanceof PrependNormalizer) return new EmptySafePrependNormalizer(normalizer.config);
  if (normalizer instanceof SequenceNormalizer) {
    normalizer.normalizers = normalizer.normalizers.map(withRustPrependSemantics);
  }
  return normalizer;
}
