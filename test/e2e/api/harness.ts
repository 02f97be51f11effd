// A tiny mocha-like runner for the extension API tests. VS Code loads the bundled test file as
// `extensionTestsPath` inside the real extension host and calls its exported `run()`: resolving means
// pass, rejecting means fail (the contract of @vscode/test-electron / test-web). Mocha is not a
// dependency of the project, and these suites need only serial tests with per-test timeouts.
//
// Results also go, one JSON object per line, to the file named by PAS_E2E_REPORT (set by test/e2e/run.mjs
// on the code-server process, which the extension host inherits), so the runner can print timings even
// when the workbench swallows the extension host's console.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export type TestFn = () => Promise<void> | void;

interface TestCase {
  readonly suite: string;
  readonly name: string;
  readonly fn: TestFn;
  readonly timeoutMs: number;
}

export interface TestResult {
  readonly suite: string;
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export class E2eTestTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'E2eTestTimeoutError';
  }
}

const DEFAULT_TIMEOUT_MS = 20_000;
const cases: TestCase[] = [];
let currentSuite = '';

/** Groups tests under a name; `body` runs at load time and only registers tests. */
export function suite(name: string, body: () => void): void {
  const outer = currentSuite;
  currentSuite = outer === '' ? name : `${outer} › ${name}`;
  try {
    body();
  } finally {
    currentSuite = outer;
  }
}

/** Registers one test; tests run in registration order, one at a time. */
export function test(name: string, fn: TestFn, timeoutMs = DEFAULT_TIMEOUT_MS): void {
  cases.push({ suite: currentSuite, name, fn, timeoutMs });
}

/** Resolves with `promise`, or rejects with E2eTestTimeoutError after `ms` (the timer never outlives it). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new E2eTestTimeoutError(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let handoffCount = 0;

/**
 * Hands control to the runner for a UI step that only the browser can do (reading the Notification Center,
 * driving the command palette, looking into a view) while this extension host keeps running: appends
 * `{"handoff": step, "id", "args"}` to the report file, then waits for the runner's answer in
 * `<report>.<id>.json` and returns it parsed.
 */
export async function handOffToRunner(
  step: string,
  timeoutMs: number,
  args: unknown = null,
): Promise<unknown> {
  const file = process.env.PAS_E2E_REPORT;
  if (file === undefined || file === '') {
    throw new Error(`UI step "${step}" needs test/e2e/run.ts (PAS_E2E_REPORT is not set)`);
  }
  handoffCount += 1;
  const id = `${step}-${handoffCount}`;
  const answer = `${file}.${id}.json`;
  appendFileSync(file, JSON.stringify({ handoff: step, id, args }) + '\n');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // the runner writes the answer to a temporary name and renames it: a present file is complete
    if (existsSync(answer)) return JSON.parse(readFileSync(answer, 'utf8')) as unknown;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new E2eTestTimeoutError(`UI step "${step}" of the runner`, timeoutMs);
}

function report(result: TestResult): void {
  const file = process.env.PAS_E2E_REPORT;
  if (file === undefined || file === '') return;
  try {
    appendFileSync(file, JSON.stringify(result) + '\n');
  } catch (err) {
    console.error(`[e2e] cannot append to PAS_E2E_REPORT=${file}: ${String(err)}`);
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** Runs every registered test; rejects (so VS Code exits with code 1) when any failed. */
export async function run(): Promise<void> {
  const results: TestResult[] = [];
  const onlyPattern = process.env.PAS_E2E_GREP;
  const selected =
    onlyPattern === undefined || onlyPattern === ''
      ? cases
      : cases.filter((c) => `${c.suite} ${c.name}`.includes(onlyPattern));
  if (selected.length === 0) throw new Error('no e2e API test registered (or none matches PAS_E2E_GREP)');
  for (const c of selected) {
    const t0 = performance.now();
    let result: TestResult;
    try {
      await withTimeout(Promise.resolve().then(c.fn), c.timeoutMs, `test "${c.name}"`);
      result = { suite: c.suite, name: c.name, ok: true, ms: Math.round(performance.now() - t0) };
      console.log(`[e2e]   ✓ ${c.suite} › ${c.name} (${result.ms} ms)`);
    } catch (err) {
      const error = describeError(err);
      result = { suite: c.suite, name: c.name, ok: false, ms: Math.round(performance.now() - t0), error };
      console.error(`[e2e]   ✗ ${c.suite} › ${c.name} (${result.ms} ms)\n${error}`);
    }
    results.push(result);
    report(result);
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`[e2e] ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${results.length} e2e API tests failed: ${failed.map((f) => f.name).join('; ')}`,
    );
  }
}
