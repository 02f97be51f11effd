// Runtime guards for values that cross the host ↔ webview boundary. A message is `unknown` until a guard
// accepts it; a rejected value yields every problem with its path ("payload.tokens[3]: expected a number")
// so a protocol mismatch is found from the log, not from a later crash. Hand-written and tiny because no
// validation library is a dependency of the project (the combinators cover exactly what the protocol uses).

export interface Guard<T> {
  /** what an accepted value looks like, for messages ("an array of numbers") */
  readonly expected: string;
  /** true when `value` is a T; otherwise pushes at least one "path: problem" line onto `problems` */
  check(value: unknown, path: string, problems: string[]): value is T;
}

/** The type a guard accepts. */
export type Guarded<G> = G extends Guard<infer T> ? T : never;

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(problems: string[], path: string, expected: string, value: unknown): false {
  problems.push(`${path}: expected ${expected}, found ${describe(value)}`);
  return false;
}

function guard<T>(expected: string, test: (value: unknown) => boolean): Guard<T> {
  return {
    expected,
    check(value, path, problems): value is T {
      return test(value) || fail(problems, path, expected, value);
    },
  };
}

export const str: Guard<string> = guard('a string', (v) => typeof v === 'string');
export const bool: Guard<boolean> = guard('a boolean', (v) => typeof v === 'boolean');
/** A finite number (NaN and ±Infinity do not survive JSON and mean a bug upstream). */
export const num: Guard<number> = guard(
  'a finite number',
  (v) => typeof v === 'number' && Number.isFinite(v),
);
export const int: Guard<number> = guard(
  'an integer',
  (v) => typeof v === 'number' && Number.isSafeInteger(v),
);
export const nonNegativeInt: Guard<number> = guard(
  'a non-negative integer',
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
);
export const bytes: Guard<Uint8Array> = guard('bytes (a Uint8Array)', (v) => v instanceof Uint8Array);
export const unknownValue: Guard<unknown> = guard('any value', () => true);
/** `undefined` or `null`: what a request without a result answers (postMessage may turn one into the other). */
export const nothing: Guard<null | undefined> = guard('no value', (v) => v === undefined || v === null);

export function literal<const L extends readonly (string | number | boolean)[]>(
  ...values: L
): Guard<L[number]> {
  return guard(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (v) =>
    (values as readonly unknown[]).includes(v),
  );
}

export function arrayOf<T>(item: Guard<T>): Guard<T[]> {
  return {
    expected: `an array of ${item.expected}`,
    check(value, path, problems): value is T[] {
      if (!Array.isArray(value)) return fail(problems, path, this.expected, value);
      let ok = true;
      // Report at most a few bad items: a wrong type usually repeats through the whole array.
      for (let i = 0; i < value.length && problems.length < 20; i++) {
        if (!item.check(value[i], `${path}[${i}]`, problems)) ok = false;
      }
      return ok;
    },
  };
}

export function nullable<T>(inner: Guard<T>): Guard<T | null> {
  return {
    expected: `${inner.expected} or null`,
    check(value, path, problems): value is T | null {
      return value === null || inner.check(value, path, problems);
    },
  };
}

export function recordOf<T>(inner: Guard<T>): Guard<Record<string, T>> {
  return {
    expected: `an object whose values are ${inner.expected}`,
    check(value, path, problems): value is Record<string, T> {
      if (!isPlainObject(value)) return fail(problems, path, this.expected, value);
      let ok = true;
      for (const [k, v] of Object.entries(value)) if (!inner.check(v, `${path}.${k}`, problems)) ok = false;
      return ok;
    },
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** Marks a property of `object({...})` as optional: absent or undefined is accepted. */
export interface Optional<T> {
  readonly optional: Guard<T>;
}

export function optional<T>(inner: Guard<T>): Optional<T> {
  return { optional: inner };
}

type Shape = Record<string, Guard<unknown> | Optional<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Guard<unknown> ? K : never }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Flatten<
  { [K in RequiredKeys<S>]: S[K] extends Guard<infer T> ? T : never } & {
    [K in OptionalKeys<S>]?: S[K] extends Optional<infer T> ? T : never;
  }
>;

/**
 * An object with the given properties. Unknown extra properties are accepted (a newer peer may send more),
 * but never read: handlers only see the declared shape.
 */
export function object<S extends Shape>(shape: S): Guard<ObjectOf<S>> {
  const names = Object.keys(shape);
  return {
    expected: `an object with ${names.length === 0 ? 'no required properties' : names.join(', ')}`,
    check(value, path, problems): value is ObjectOf<S> {
      if (!isPlainObject(value)) return fail(problems, path, 'an object', value);
      let ok = true;
      for (const name of names) {
        const spec = shape[name];
        if (spec === undefined) continue;
        const v = value[name];
        if ('optional' in spec) {
          if (v !== undefined && !spec.optional.check(v, `${path}.${name}`, problems)) ok = false;
        } else if (v === undefined && !(name in value)) {
          problems.push(`${path}.${name}: missing (expected ${spec.expected})`);
          ok = false;
        } else if (!spec.check(v, `${path}.${name}`, problems)) ok = false;
      }
      return ok;
    },
  };
}

/** A value accepted by one of the guards, e.g. a discriminated union of objects. */
export function oneOf<G extends readonly Guard<unknown>[]>(...guards: G): Guard<Guarded<G[number]>> {
  const expected = guards.map((g) => g.expected).join(' | ');
  return {
    expected,
    check(value, path, problems): value is Guarded<G[number]> {
      const tried: string[] = [];
      for (const g of guards) {
        const local: string[] = [];
        if (g.check(value, path, local)) return true;
        tried.push(...local);
      }
      problems.push(`${path}: matches none of the allowed forms (${tried.slice(0, 4).join('; ')})`);
      return false;
    },
  };
}

/** Checks a value; returns the problems (empty when accepted). */
export function problemsOf(g: Guard<unknown>, value: unknown, path = 'value'): string[] {
  const problems: string[] = [];
  g.check(value, path, problems);
  return problems;
}

/** Returns the value typed when the guard accepts it, else throws a ProtocolError listing the problems. */
export function expectValid<T>(g: Guard<T>, value: unknown, path = 'value'): T {
  const problems: string[] = [];
  if (g.check(value, path, problems)) return value;
  throw new ProtocolError(`invalid ${path}: ${problems.slice(0, 5).join('; ')}`, problems);
}
