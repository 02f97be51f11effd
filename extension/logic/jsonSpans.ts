// Where each value of a one-line JSON text lies, by the field paths core/datasets uses in its issues
// ("label", "messages[2].role", "ner_tags[3]"), so a diagnostic can underline the offending value instead of
// the whole line. A tolerant scanner: on a syntax error it stops and returns the spans found so far.

export interface JsonSpan {
  /** 0-based offset of the value's first character */
  readonly start: number;
  /** offset just after the value */
  readonly end: number;
  /** the property name's span (with quotes) for object members */
  readonly key?: { readonly start: number; readonly end: number };
}

class Stop extends Error {}

export function jsonSpans(text: string): Map<string, JsonSpan> {
  const spans = new Map<string, JsonSpan>();
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text.charAt(pos))) pos++;
  };
  const stop = (): never => {
    throw new Stop();
  };
  const str = (): void => {
    if (text[pos] !== '"') stop();
    pos++;
    while (pos < text.length && text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    if (pos >= text.length) stop();
    pos++;
  };
  const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);
  const value = (path: string, key?: JsonSpan['key']): void => {
    ws();
    const start = pos;
    const ch = text.charAt(pos);
    if (ch === '{') {
      pos++;
      ws();
      if (text[pos] === '}') pos++;
      else
        for (;;) {
          ws();
          const keyStart = pos;
          str();
          let name: string;
          try {
            name = JSON.parse(text.slice(keyStart, pos)) as string;
          } catch {
            return stop();
          }
          const keySpan = { start: keyStart, end: pos };
          ws();
          if (text[pos] !== ':') stop();
          pos++;
          value(join(path, name), keySpan);
          ws();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === '}') {
            pos++;
            break;
          }
          stop();
        }
    } else if (ch === '[') {
      pos++;
      ws();
      if (text[pos] === ']') pos++;
      else
        for (let i = 0; ; i++) {
          value(`${path}[${i}]`);
          ws();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === ']') {
            pos++;
            break;
          }
          stop();
        }
    } else if (ch === '"') str();
    else {
      // number, true, false, null: up to the next delimiter
      while (pos < text.length && !',]} \t\r\n'.includes(text.charAt(pos))) pos++;
      if (pos === start) stop();
    }
    spans.set(path, key === undefined ? { start, end: pos } : { start, end: pos, key });
  };
  try {
    value('');
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  return spans;
}
