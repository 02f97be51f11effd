// CoNLL-style NER files: one token per line with its tag in the last column (columns separated by tabs,
// or by spaces when a line has no tab), a blank or whitespace-only line between sentences, and
// `-DOCSTART-` document markers, which are skipped. Tags are checked against BIO or BIOES.

import { issue, splitLines } from './errors.js';
import type { DatasetIssue, ParseResult, SourceLocation } from './errors.js';

export type TagScheme = 'BIO' | 'BIOES';

export interface ConllSentence {
  /** 1-based line of the first token */
  line: number;
  tokens: string[];
  tags: string[];
  /** 1-based line of each token (tokens of one sentence are on consecutive lines, markers aside) */
  tokenLines: number[];
}

export interface ConllOptions {
  /** tag scheme to check; default: BIOES when any tag starts with E- or S-, else BIO */
  scheme?: TagScheme;
}

export interface ConllResult extends ParseResult<ConllSentence> {
  scheme: TagScheme;
}

const DOCSTART = '-DOCSTART-';

export function parseConll(text: string, source: string, options: ConllOptions = {}): ConllResult {
  const sentences: ConllSentence[] = [];
  const issues: DatasetIssue[] = [];
  let current: ConllSentence | undefined;
  const close = (): void => {
    if (current !== undefined) sentences.push(current);
    current = undefined;
  };
  splitLines(text).forEach((content, i) => {
    const line = i + 1;
    const trimmed = content.trim();
    if (trimmed === '') {
      close();
      return;
    }
    // Only ASCII spaces and tabs separate columns: tokens may hold other invisible characters (WNUT-17 has
    // "Dubbz\uFEFF"), and conlleval keeps them, so String.trim (which strips \uFEFF) must not touch them.
    const columns = content.includes('\t')
      ? content.split('\t').map((c) => c.replace(/^ +| +$/g, ''))
      : content.replace(/^ +| +$/g, '').split(/ +/);
    const token = columns[0] ?? '';
    if (token === DOCSTART) {
      close();
      return;
    }
    const tag = columns.length >= 2 ? (columns[columns.length - 1] ?? '') : '';
    if (tag === '') {
      issues.push(
        issue(
          { source, line },
          'missing-tag',
          `token ${JSON.stringify(token)} has no tag: write the tag in the last column, separated by a tab`,
          {
            field: 'tag',
          },
        ),
      );
      return;
    }
    current ??= { line, tokens: [], tags: [], tokenLines: [] };
    current.tokens.push(token);
    current.tags.push(tag);
    current.tokenLines.push(line);
  });
  close();

  const scheme = options.scheme ?? detectScheme(sentences.map((s) => s.tags));
  for (const s of sentences) {
    issues.push(
      ...validateTags(s.tags, scheme, (t) => ({
        location: { source, line: s.tokenLines[t] ?? s.line },
        token: s.tokens[t],
      })),
    );
  }
  if (sentences.length === 0 && !issues.some((x) => x.severity === 'error')) {
    issues.push(
      issue(
        { source, line: 1 },
        'no-rows',
        'no sentence found: expected `token<TAB>tag` lines with a blank line between sentences',
      ),
    );
  }
  issues.sort((a, b) => a.line - b.line);
  return { rows: sentences, issues, scheme };
}

/** BIOES when any tag has an E- or S- prefix, otherwise BIO. */
export function detectScheme(tagLists: readonly (readonly string[])[]): TagScheme {
  for (const tags of tagLists) {
    for (const tag of tags) {
      if (tag.startsWith('E-') || tag.startsWith('S-')) return 'BIOES';
    }
  }
  return 'BIO';
}

interface ParsedTag {
  prefix: 'B' | 'I' | 'E' | 'S' | 'O';
  type: string;
}

function readTag(tag: string, scheme: TagScheme): ParsedTag | string {
  if (tag === 'O') return { prefix: 'O', type: '' };
  const hyphen = tag.indexOf('-');
  const allowed = scheme === 'BIO' ? ['B', 'I'] : ['B', 'I', 'E', 'S'];
  const prefix = hyphen < 0 ? tag : tag.slice(0, hyphen);
  const type = hyphen < 0 ? '' : tag.slice(hyphen + 1);
  if (hyphen < 0 || !allowed.includes(prefix)) {
    return `tag ${JSON.stringify(tag)} is neither O nor ${allowed.map((p) => `${p}-TYPE`).join(', ')} (${scheme} scheme)`;
  }
  if (type === '') return `tag ${JSON.stringify(tag)} has no entity type after "${prefix}-"`;
  return { prefix: prefix as ParsedTag['prefix'], type };
}

/** Where token t of a sentence is, for messages. */
export type TokenLocator = (t: number) => {
  location: SourceLocation;
  token: string | undefined;
  field?: string;
  column?: number;
};

/**
 * Checks one sentence's tags: an unknown prefix is an error; a sequence the scheme forbids but that
 * conlleval still scores (I- after O or after another type; in BIOES also an entity not closed by E-) is
 * a warning naming the line and the token.
 */
export function validateTags(
  tags: readonly string[],
  scheme: TagScheme,
  locate: TokenLocator,
): DatasetIssue[] {
  const issues: DatasetIssue[] = [];
  const parsed = tags.map((t) => readTag(t, scheme));
  const where = (
    t: number,
  ): { loc: SourceLocation; token: string; extra: { field?: string; column?: number } } => {
    const l = locate(t);
    const extra: { field?: string; column?: number } = {};
    if (l.field !== undefined) extra.field = l.field;
    if (l.column !== undefined) extra.column = l.column;
    return { loc: l.location, token: l.token === undefined ? `#${t + 1}` : JSON.stringify(l.token), extra };
  };
  parsed.forEach((cur, t) => {
    if (typeof cur === 'string') {
      const w = where(t);
      issues.push(
        issue(w.loc, 'unknown-tag-prefix', `token ${w.token}: ${cur}`, { ...w.extra, severity: 'error' }),
      );
      return;
    }
    const prev = t > 0 ? parsed[t - 1] : undefined;
    const prevTag: ParsedTag =
      prev === undefined || typeof prev === 'string' ? { prefix: 'O', type: '' } : prev;
    const continues = cur.prefix === 'I' || cur.prefix === 'E';
    const prevOpen = prevTag.prefix === 'B' || prevTag.prefix === 'I';
    if (continues && !(prevOpen && prevTag.type === cur.type)) {
      const w = where(t);
      const after =
        prevTag.prefix === 'O'
          ? t === 0
            ? 'at the start of a sentence'
            : 'after O'
          : `after ${tags[t - 1] ?? ''}`;
      issues.push(
        issue(
          w.loc,
          'invalid-tag-sequence',
          `token ${w.token}: ${tags[t] ?? ''} ${after} — conlleval reads it as the start of a new ${cur.type} entity; write B-${cur.type} if that is meant`,
          { ...w.extra, severity: 'warning' },
        ),
      );
    }
    if (scheme === 'BIOES' && (cur.prefix === 'B' || cur.prefix === 'I')) {
      const next = t + 1 < parsed.length ? parsed[t + 1] : undefined;
      const closed =
        next !== undefined &&
        typeof next !== 'string' &&
        (next.prefix === 'I' || next.prefix === 'E') &&
        next.type === cur.type;
      if (!closed) {
        const w = where(t);
        issues.push(
          issue(
            w.loc,
            'invalid-tag-sequence',
            `token ${w.token}: ${tags[t] ?? ''} is not followed by I-${cur.type} or E-${cur.type} — a BIOES entity ends with E- (or is a single S- token)`,
            {
              ...w.extra,
              severity: 'warning',
            },
          ),
        );
      }
    }
  });
  return issues;
}
