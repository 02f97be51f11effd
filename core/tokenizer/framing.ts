// The special tokens that encode() puts around one sequence: read from the tokenizer.json post_processor,
// the way the Rust library applies it to a single sequence (pairs are not supported here).
//
// Why not let @huggingface/tokenizers add them: tokenizer_config.json's add_bos_token/add_eos_token must
// be able to override the post_processor per side (transformers rebuilds the post_processor from these
// flags for Llama-family tokenizers), which needs the two sides separately.

import { isRecord } from './config.js';
import { type Place, tokenizerFail } from './errors.js';

/** Ids before and after the text's own ids for a single sequence. */
export interface Framing {
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
}

export const NO_FRAMING: Framing = { prefix: [], suffix: [] };

function readIdList(value: unknown, field: string, where: Place): number[] {
  if (!Array.isArray(value) || !value.every((id: unknown) => Number.isInteger(id))) {
    return tokenizerFail(where, `field "${field}" is not a list of integer ids`, 'Fix the post_processor');
  }
  return value as number[];
}

/** [token, id] pairs of BertProcessing / RobertaProcessing ("cls": ["[CLS]", 101]). */
function readTokenIdPair(pp: Record<string, unknown>, field: string, where: Place): number {
  const pair = pp[field];
  if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Number.isInteger(pair[1])) {
    return tokenizerFail(
      where,
      `post_processor field "${field}" is not a [token, id] pair`,
      'Fix the post_processor',
    );
  }
  return pair[1] as number;
}

function templateFraming(pp: Record<string, unknown>, path: string, where: Place): Framing {
  const single = pp.single;
  const specials = pp.special_tokens;
  if (!Array.isArray(single)) {
    return tokenizerFail(where, `${path}.single is not a list of template pieces`, 'Fix the post_processor');
  }
  const prefix: number[] = [];
  const suffix: number[] = [];
  let seenSequence = false;
  single.forEach((piece: unknown, i) => {
    const piecePath = `${path}.single[${i}]`;
    if (isRecord(piece) && isRecord(piece.Sequence)) {
      seenSequence = true;
      return;
    }
    if (!isRecord(piece) || !isRecord(piece.SpecialToken) || typeof piece.SpecialToken.id !== 'string') {
      tokenizerFail(
        where,
        `${piecePath} is neither {"SpecialToken": {"id": ...}} nor {"Sequence": ...}`,
        'Fix the post_processor',
      );
    }
    const name = piece.SpecialToken.id;
    const entry = isRecord(specials) ? specials[name] : undefined;
    if (!isRecord(entry)) {
      tokenizerFail(
        where,
        `${piecePath} names special token "${name}", which ${path}.special_tokens lacks`,
        'Add it to special_tokens',
      );
    }
    const ids = readIdList(entry.ids, `${path}.special_tokens["${name}"].ids`, where);
    (seenSequence ? suffix : prefix).push(...ids);
  });
  return { prefix, suffix };
}

/** The framing that the post_processor of a tokenizer.json gives one sequence. */
export function framingFromPostProcessor(pp: unknown, where: Place, path = 'post_processor'): Framing {
  if (pp === undefined || pp === null) return NO_FRAMING;
  if (!isRecord(pp) || typeof pp.type !== 'string') {
    return tokenizerFail(
      where,
      `${path} is not an object with a "type"`,
      'Fix the post_processor or set it to null',
    );
  }
  switch (pp.type) {
    case 'TemplateProcessing':
      return templateFraming(pp, path, where);
    case 'BertProcessing':
    case 'RobertaProcessing':
      return { prefix: [readTokenIdPair(pp, 'cls', where)], suffix: [readTokenIdPair(pp, 'sep', where)] };
    case 'ByteLevel':
      // Only adjusts offsets; adds no tokens.
      return NO_FRAMING;
    case 'Sequence': {
      if (!Array.isArray(pp.processors)) {
        return tokenizerFail(where, `${path}.processors is not a list`, 'Fix the post_processor');
      }
      // Each processor wraps what the earlier ones produced, so later ones end up outermost.
      let prefix: number[] = [];
      let suffix: number[] = [];
      pp.processors.forEach((inner: unknown, i) => {
        const framing = framingFromPostProcessor(inner, where, `${path}.processors[${i}]`);
        prefix = [...framing.prefix, ...prefix];
        suffix = [...suffix, ...framing.suffix];
      });
      return { prefix, suffix };
    }
    default:
      return tokenizerFail(
        where,
        `${path} has type "${pp.type}", which this tokenizer does not support`,
        'Use TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or Sequence',
      );
  }
}
