// Loads the bundled stories260K tokenizer (models/stories260K) for the tokenizer tests.
import path from 'node:path';
import { Tokenizer } from '../../../core/tokenizer/index.js';
import { bundledModel, fixture, readJson } from '../../helpers/paths.js';

export interface GoldenCase {
  text: string;
  ids: number[];
}

export const storiesDir = bundledModel('stories260K');

/** A fresh parsed copy each call: tests may modify it. */
export function storiesTokenizerJson(): Record<string, unknown> {
  return readJson<Record<string, unknown>>(path.join(storiesDir, 'tokenizer.json'));
}

export function storiesTokenizerConfig(): Record<string, unknown> {
  return readJson<Record<string, unknown>>(path.join(storiesDir, 'tokenizer_config.json'));
}

export function storiesTokenizer(): Tokenizer {
  return Tokenizer.fromJson(storiesTokenizerJson(), storiesTokenizerConfig(), storiesDir);
}

export function goldenCases(): GoldenCase[] {
  return readJson<GoldenCase[]>(fixture('golden', 'tokenizer_cases.json'));
}

/** stories260K's tokenizer.json with extra special added tokens (ids 512, 513, ...). */
export function storiesJsonWithAddedTokens(contents: readonly string[]): Record<string, unknown> {
  const json = storiesTokenizerJson();
  const added = json.added_tokens as Record<string, unknown>[];
  contents.forEach((content, i) => {
    added.push({
      id: 512 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
  });
  return json;
}
