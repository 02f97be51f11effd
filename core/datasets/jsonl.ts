// JSON Lines: one JSON value per line, blank lines skipped. A malformed line becomes an issue with its
// line and column instead of stopping the parse, so every bad line of a file is reported at once.

import { issue, splitLines } from './errors.js';
import type { ParseResult } from './errors.js';

export interface JsonlRow {
  /** 1-based line in the file */
  line: number;
  value: unknown;
}

export function parseJsonl(text: string, source: string): ParseResult<JsonlRow> {
  const result: ParseResult<JsonlRow> = { rows: [], issues: [] };
  splitLines(text).forEach((content, i) => {
    const line = i + 1;
    if (content.trim() === '') return;
    try {
      result.rows.push({ line, value: JSON.parse(content) as unknown });
    } catch {
      // JSON.parse's messages and positions differ between engines and versions: locate the error ourselves.
      const found = locateJsonError(content);
      result.issues.push(
        issue(
          { source, line },
          'invalid-json',
          `invalid JSON: ${found.message}; each line must hold one complete JSON object`,
          {
            column: found.offset + 1,
          },
        ),
      );
    }
  });
  return result;
}

export interface JsonSyntaxError {
  /** 0-based offset of the offending character (text.length at an unexpected end) */
  offset: number;
  message: string;
}

class JsonScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Finds the first syntax error of a JSON text with a small recursive-descent scanner (RFC 8259 grammar).
 * Only called after JSON.parse has failed; returns a generic error at offset 0 if the scanner accepts it.
 */
export function locateJsonError(text: string): JsonSyntaxError {
  let pos = 0;
  const describe = (): string => (pos >= text.length ? 'end of line' : JSON.stringify(text[pos]));
  const fail = (expected: string): never => {
    throw new JsonScanError(pos, `expected ${expected} at column ${pos + 1}, found ${describe()}`);
  };
  const skipWhitespace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[pos] !== ch) fail(`"${word}"`);
      pos++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text.charAt(pos))) fail('a digit');
    while (/[0-9]/.test(text.charAt(pos))) pos++;
  };
  const number = (): void => {
    if (text[pos] === '-') pos++;
    if (text[pos] === '0') pos++;
    else digits();
    if (text[pos] === '.') {
      pos++;
      digits();
    }
    if (text[pos] === 'e' || text[pos] === 'E') {
      pos++;
      if (text[pos] === '+' || text[pos] === '-') pos++;
      digits();
    }
  };
  const string = (): void => {
    pos++; // opening quote
    for (;;) {
      if (pos >= text.length) fail("a closing '\"'");
      const ch = text.charCodeAt(pos);
      if (ch === 0x22) {
        pos++;
        return;
      }
      if (ch < 0x20) fail('an escaped control character');
      if (ch === 0x5c) {
        pos++;
        const esc = text.charAt(pos);
        if (esc === 'u') {
          pos++;
          for (let k = 0; k < 4; k++) {
            if (!/[0-9a-fA-F]/.test(text.charAt(pos))) fail('four hex digits after \\u');
            pos++;
          }
        } else if ('"\\/bfnrt'.includes(esc) && esc !== '') pos++;
        else fail('a valid escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else pos++;
    }
  };
  const value = (): void => {
    skipWhitespace();
    const ch = text.charAt(pos);
    if (ch === '{') {
      pos++;
      skipWhitespace();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skipWhitespace();
        if (text[pos] !== '"') fail('a property name in double quotes');
        string();
        skipWhitespace();
        if (text[pos] !== ':') fail("':' after the property name");
        pos++;
        value();
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return;
        }
        fail("',' or '}'");
      }
    } else if (ch === '[') {
      pos++;
      skipWhitespace();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (;;) {
        value();
        skipWhitespace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return;
        }
        fail("',' or ']'");
      }
    } else if (ch === '"') string();
    else if (ch === '-' || /[0-9]/.test(ch)) number();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else fail('a JSON value');
  };
  try {
    value();
    skipWhitespace();
    if (pos < text.length) fail('the end of the line after one complete value');
  } catch (e) {
    if (e instanceof JsonScanError) return { offset: e.offset, message: e.message };
    throw e;
  }
  return { offset: 0, message: 'the line is not valid JSON' };
}
