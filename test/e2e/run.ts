// Runs the extension in a real VS Code: code-server (VS Code server + web workbench) driven by Debian
// Chromium through playwright-core; scripts/e2e-setup.sh installs both.
//
//   npm run test:e2e   (builds the project, bundles this runner to .tmp/e2e-runner/run.mjs and runs it)
//
// Phases, each with its own code-server, user-data dir and temporary copy of test/e2e/workspace:
//   trusted    the extension API tests test/e2e/api/*.trusted.ts in the real (Node) extension host, loaded
//              through the smoke-test driver's URL payload: extensionDevelopmentPath = this repository
//              (package.json + its "main" bundle), extensionTestsPath = the suite bundled here with
//              esbuild. Workspace Trust is switched off in this phase's user settings.
//   untrusted  Workspace Trust on and the folder not trusted (code-server runs without
//              --disable-workspace-trust): test/e2e/api/*.untrusted.ts. Their last test hands over to this
//              runner (handOffToRunner in api/harness.ts): the Notification Center must show Train Adapter's
//              refusal, and Train Adapter run from the command palette must be refused the same way (or not
//              be offered at all).
//
// Environment:
//   PAS_E2E_DIR             where scripts/e2e-setup.sh installed Node 24 + code-server
//                           (default ~/.cache/prompt-adapter-e2e)
//   PAS_E2E_PHASES          comma-separated subset of the phases (default: all)
//   PAS_E2E_GREP            only the API tests whose "suite › name" contains this text
//   PAS_E2E_TIMEOUT_S       limit for the extension tests of one phase (default 1200: the WebGPU training runs on SwiftShader)
//   PAS_E2E_HEADFUL=1       headed Chromium (run under xvfb-run)
//   PAS_E2E_KEEP=1          keep the temporary folder (workspaces, state, logs)
//   PAS_E2E_EXTENSION_PATH  the unpacked extension to test (default: this repository)
//   PAS_E2E_CHROMIUM        the browser (default /usr/bin/chromium)
//   PAS_E2E_RESULTS         where results go (default test-results/e2e; emptied at start)
// Results: test-results/e2e/ (results.json, screenshots, code-server and console logs). Exit code 0 = pass.
import * as esbuild from 'esbuild';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { e2eInstall, startCodeServer } from './runner/code-server';
import { startRegistry } from '../harness/registry/registry-server';
import { which } from '../harness/registry/tools';
import { E2eSetupError, cleanupAll, installSignalHandlers, onCleanup } from './runner/processes';
import {
  answerQuickPick,
  launchBrowser,
  loadChromium,
  clearNotifications,
  editorFailedToOpen,
  notificationTexts,
  openWorkbench,
  runFromPalette,
  screenshot,
  viewItems,
  waitForNotification,
  webviewFrame,
  webviewText,
  workbenchUrl,
} from './runner/workbench';
import type { Browser, BrowserType, Page } from 'playwright-core';

type Phase = 'trusted' | 'untrusted';
const allPhases: readonly Phase[] = ['trusted', 'untrusted'];

interface ApiTestResult {
  readonly suite: string;
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

interface UiCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

interface PhaseOutcome {
  readonly phase: Phase;
  ok: boolean;
  codeServerStartupMs?: number;
  workbenchVisibleMs?: number;
  testsMs?: number;
  exitCode?: number;
  error?: string;
  tests: ApiTestResult[];
  uiChecks: UiCheck[];
  screenshots: string[];
}

interface Manifest {
  readonly name: string;
  readonly publisher: string;
  readonly main: string;
  readonly commands: readonly { command: string; title: string; category?: string }[];
}

/** The repository root: the first folder above this script that holds test/e2e/workspace. */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'test/e2e/workspace')))
      return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new E2eSetupError('cannot find the repository root above the e2e runner');
    dir = up;
  }
}

const repoRoot = findRepoRoot();
const extensionPath = path.resolve(process.env.PAS_E2E_EXTENSION_PATH ?? repoRoot);
const resultsDir = path.resolve(repoRoot, process.env.PAS_E2E_RESULTS ?? 'test-results/e2e');
const chromiumPath = process.env.PAS_E2E_CHROMIUM ?? '/usr/bin/chromium';
const testsTimeoutMs = Number(process.env.PAS_E2E_TIMEOUT_S ?? '1200') * 1000;
const headful = process.env.PAS_E2E_HEADFUL === '1';
const keep = process.env.PAS_E2E_KEEP === '1';

const t0 = Date.now();
function log(message: string): void {
  console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);
}

function readManifest(): Manifest {
  const file = path.join(extensionPath, 'package.json');
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    name?: unknown;
    publisher?: unknown;
    main?: unknown;
    contributes?: { commands?: unknown };
  };
  if (typeof raw.name !== 'string' || typeof raw.publisher !== 'string') {
    throw new E2eSetupError(`${file}: "name" and "publisher" are needed for the extension id`);
  }
  if (typeof raw.main !== 'string') {
    throw new E2eSetupError(`${file} has no "main": the extension's entry point is not declared`);
  }
  const main = path.resolve(extensionPath, raw.main);
  if (!existsSync(main)) {
    throw new E2eSetupError(
      `the extension bundle ${main} is missing: build it first (\`npm run test:e2e\` builds everything)`,
    );
  }
  const commands = Array.isArray(raw.contributes?.commands)
    ? (raw.contributes.commands as Manifest['commands'])
    : [];
  return { name: raw.name, publisher: raw.publisher, main, commands };
}

/** Bundles test/e2e/api/*.<phase>.ts and the runner into one CommonJS file for the extension host. */
async function bundleApiSuite(phase: Phase, outFile: string, extensionId: string): Promise<string[]> {
  const apiDir = path.join(repoRoot, 'test/e2e/api');
  const files = readdirSync(apiDir)
    .filter((f) => f.endsWith(`.${phase}.ts`))
    .sort();
  if (files.length === 0) throw new E2eSetupError(`no test/e2e/api/*.${phase}.ts file`);
  // importing a test file registers its tests; the entry then hands the runner's run() to VS Code
  const contents = [...files.map((f) => `import './${f}';`), "export { run } from './harness';"].join('\n');
  await esbuild.build({
    stdin: { contents, resolveDir: apiDir, sourcefile: `e2e-${phase}-entry.ts`, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: outFile,
    external: ['vscode'],
    define: {
      PAS_E2E_EXTENSION_ID: JSON.stringify(extensionId),
      PAS_E2E_EXTENSION_PATH: JSON.stringify(extensionPath),
    },
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return files;
}

/** A temporary copy of the fixture workspace plus the example model and a golden adapter. */
function makeWorkspace(dir: string): void {
  cpSync(path.join(repoRoot, 'test/e2e/workspace'), dir, { recursive: true });
  // copies, not links: file watchers and workspace.fs must stay inside the folder under test
  cpSync(path.join(repoRoot, 'models/stories260K'), path.join(dir, 'models/stories260K'), {
    recursive: true,
  });
  cpSync(
    path.join(repoRoot, 'test/fixtures/golden/adapters/stories260K_prompt_tuning'),
    path.join(dir, 'adapters/stories260K_prompt_tuning'),
    { recursive: true },
  );
}

const baseSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'git.enabled': false,
};

const phaseSettings: Readonly<Record<Phase, Readonly<Record<string, unknown>>>> = {
  trusted: { ...baseSettings, 'security.workspace.trust.enabled': false },
  // trust on, and no start-up modal: the folder opens in Restricted Mode
  untrusted: {
    ...baseSettings,
    'security.workspace.trust.enabled': true,
    'security.workspace.trust.startupPrompt': 'never',
  },
};

function readReport(file: string): ApiTestResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ApiTestResult | { handoff: string })
    .filter((entry): entry is ApiTestResult => !('handoff' in entry));
}

const refusalPattern = /trust/i;

/** The answer to the untrusted suite's "train-refusal" step (see test/e2e/api/trust.untrusted.ts). */
interface TrainRefusalUi {
  apiRunMessage?: string;
  paletteOffered: boolean;
  paletteRunMessage?: string;
}

/** Scope 7(c): the API-run refusal is visible to the user, and the palette path refuses the same way. */
async function trainRefusalStep(
  page: Page,
  manifest: Manifest,
  outcome: PhaseOutcome,
): Promise<TrainRefusalUi> {
  const answer: TrainRefusalUi = { paletteOffered: false };
  const seen = await waitForNotification(page, refusalPattern, 15_000);
  if (seen.found !== undefined) answer.apiRunMessage = seen.found;
  outcome.uiChecks.push({
    name: 'Train Adapter (run through the API) shows a refusal naming Workspace Trust in the Notification Center',
    ok: seen.found !== undefined,
    detail: seen.found ?? `notifications: ${JSON.stringify(seen.all)}`,
  });
  await keepScreenshot(page, 'untrusted-api-refusal', outcome);

  const train = manifest.commands.find((c) => c.title.startsWith('Train Adapter'));
  if (train === undefined) {
    outcome.uiChecks.push({
      name: 'palette: Train Adapter',
      ok: false,
      detail: 'no contributed "Train Adapter…" command',
    });
    return answer;
  }
  const label = train.category === undefined ? train.title : `${train.category}: ${train.title}`;
  // clear the earlier message, so that a new one can only come from the palette run; should clearing fail,
  // the palette run must still add one more matching message
  await clearNotifications(page);
  const left = (await notificationTexts(page).catch(() => [])).filter((t) => refusalPattern.test(t)).length;
  answer.paletteOffered = await runFromPalette(page, label, 20_000);
  if (!answer.paletteOffered) {
    outcome.uiChecks.push({
      name: 'palette: Train Adapter is refused or not offered',
      ok: true,
      detail: `"${label}" is not offered in the command palette in Restricted Mode`,
    });
    return answer;
  }
  const again = await waitForNotification(page, refusalPattern, 10_000, left + 1);
  if (again.found !== undefined) answer.paletteRunMessage = again.found;
  outcome.uiChecks.push({
    name: 'palette: Train Adapter is refused with a message naming Workspace Trust',
    ok: again.found !== undefined,
    detail: again.found ?? `notifications: ${JSON.stringify(again.all)}`,
  });
  await keepScreenshot(page, 'untrusted-palette-refusal', outcome);
  return answer;
}

async function keepScreenshot(page: Page, name: string, outcome: PhaseOutcome): Promise<void> {
  const file = await screenshot(page, resultsDir, name);
  if (file !== undefined) outcome.screenshots.push(path.relative(repoRoot, file));
}

type UiStep = (page: Page, args: unknown) => Promise<unknown>;

function stringArg(args: unknown, key: string): string {
  const v = typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'string') throw new Error(`UI step argument "${key}" must be a string`);
  return v;
}

function numberArg(args: unknown, key: string, fallback: number): number {
  const v = typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** args: {container, view, expected: string[], shot}: the rows of a tree view, once `expected` are listed. */
async function viewItemsStep(page: Page, args: unknown, outcome: PhaseOutcome): Promise<unknown> {
  const expectedRaw =
    typeof args === 'object' && args !== null ? (args as { expected?: unknown }).expected : [];
  const expected = Array.isArray(expectedRaw) ? expectedRaw.map(String) : [];
  const result = await viewItems(
    page,
    stringArg(args, 'container'),
    stringArg(args, 'view'),
    expected,
    15_000,
  );
  await keepScreenshot(page, stringArg(args, 'shot'), outcome);
  return result;
}

/**
 * args: {pattern, shot, timeoutMs?}: the text of the first webview whose text matches `pattern` (a RegExp
 * source), waiting up to timeoutMs (default 20 s).
 */
async function webviewTextStep(page: Page, args: unknown, outcome: PhaseOutcome): Promise<unknown> {
  const text = await webviewText(
    page,
    new RegExp(stringArg(args, 'pattern')),
    numberArg(args, 'timeoutMs', 20_000),
  );
  await keepScreenshot(page, stringArg(args, 'shot'), outcome);
  // the workbench's placeholder when resolveCustomEditor threw: say so instead of only "no match"
  const failed = await editorFailedToOpen(page);
  return {
    text: text ?? null,
    ...(failed ? { editorError: 'the workbench says: The editor could not be opened' } : {}),
  };
}

/** args: {pattern, selector, shot?}: clicks `selector` in the first webview whose text matches `pattern`. */
async function webviewClickStep(page: Page, args: unknown, outcome: PhaseOutcome): Promise<unknown> {
  const pattern = new RegExp(stringArg(args, 'pattern'));
  const selector = stringArg(args, 'selector');
  const found = await webviewFrame(page, pattern);
  if (found !== undefined) {
    await found.frame.locator(selector).first().click({ timeout: 10_000 });
    const shot = (args as { shot?: unknown }).shot;
    if (typeof shot === 'string') await keepScreenshot(page, shot, outcome);
    return { clicked: true };
  }
  return { clicked: false, error: `no webview shows text matching ${pattern.source}` };
}

/**
 * args: {stepId, text, shot?}: in the open walkthrough (Get Started page), selects the step whose id ends with
 * `stepId` and clicks the action in its description whose text is `text` (a command link).
 */
async function walkthroughClickStep(page: Page, args: unknown, outcome: PhaseOutcome): Promise<unknown> {
  const root = page.locator('.gettingStartedContainer').first();
  await root.waitFor({ state: 'visible', timeout: 20_000 });
  const step = root.locator(`[data-step-id$="${stringArg(args, 'stepId')}"]`).first();
  await step.click({ timeout: 10_000 });
  const action = step.getByText(stringArg(args, 'text'), { exact: true }).first();
  await action.waitFor({ state: 'visible', timeout: 10_000 });
  const shot = (args as { shot?: unknown }).shot;
  if (typeof shot === 'string') await keepScreenshot(page, shot, outcome);
  await action.click({ timeout: 10_000 });
  return { clicked: true };
}

/** args: {text, shot?}: clicks the status bar item whose text contains `text`. */
async function statusBarClickStep(page: Page, args: unknown, outcome: PhaseOutcome): Promise<unknown> {
  const item = page.locator('.part.statusbar .statusbar-item', { hasText: stringArg(args, 'text') }).first();
  await item.waitFor({ state: 'visible', timeout: 20_000 });
  const label = (await item.innerText()).trim();
  const shot = (args as { shot?: unknown }).shot;
  if (typeof shot === 'string') await keepScreenshot(page, shot, outcome);
  await item.click({ timeout: 10_000 });
  return { clicked: label };
}

/** Console lines of the workbench and its webviews that report a Content-Security-Policy violation. */
function cspViolationLines(lines: readonly string[]): string[] {
  return lines.filter(
    (l) =>
      /^\[(page|pageerror)/.test(l) &&
      /Content[ -]Security[ -]Policy|Refused to (load|execute|connect|compile|create|apply|frame)/i.test(l),
  );
}

/**
 * The local OCI registry of the marketplace tests (test/e2e/api/marketplace.trusted.ts), trusted phase only:
 * Debian's docker-registry with a config written by test/harness/registry (127.0.0.1 only, fresh storage),
 * stopped by its PID when the phase ends or the runner exits. Its address reaches the extension tests as
 * PAS_E2E_REGISTRY; without docker-registry the variable stays unset and the test says what to install.
 */
async function startMarketplaceRegistry(
  phase: Phase,
): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  if (phase !== 'trusted' || which('docker-registry') === undefined) {
    return { env: {}, stop: () => Promise.resolve() };
  }
  const registry = await startRegistry({ kind: 'none' });
  // once: a second kill of the PID (after the phase, then at exit) could hit a reused process id
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= registry.stop());
  onCleanup(stop);
  log(`${phase}: docker-registry pid ${registry.pid} on ${registry.registry} (marketplace tests)`);
  return { env: { PAS_E2E_REGISTRY: registry.registry }, stop };
}

interface Handoff {
  readonly step: string;
  readonly id: string;
  readonly args: unknown;
}

/** The handoff lines the extension tests have appended to the report so far. */
function handoffs(reportFile: string): Handoff[] {
  if (!existsSync(reportFile)) return [];
  const out: Handoff[] = [];
  for (const line of readFileSync(reportFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { handoff?: unknown; id?: unknown; args?: unknown };
    if (typeof entry.handoff === 'string' && typeof entry.id === 'string') {
      out.push({ step: entry.handoff, id: entry.id, args: entry.args });
    }
  }
  return out;
}

/**
 * Waits for the extension tests to exit, meanwhile answering their handoffs: each named UI step runs in
 * the browser and its result is written (atomically) to `<report>.<id>.json`, where the test waits for it.
 */
async function driveUntilExit(
  testsExited: Promise<number>,
  page: Page,
  reportFile: string,
  steps: Readonly<Record<string, UiStep>>,
  timeoutMs: number,
): Promise<number> {
  const exit: { code?: number } = {};
  void testsExited.then((code) => {
    exit.code = code;
  });
  const answered = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (exit.code === undefined) {
    if (Date.now() > deadline)
      throw new Error(`the extension tests did not finish within ${timeoutMs / 1000} s`);
    for (const h of handoffs(reportFile)) {
      if (answered.has(h.id)) continue;
      answered.add(h.id);
      const run = steps[h.step];
      let answer: unknown;
      try {
        answer =
          run === undefined ? { error: `the runner has no UI step "${h.step}"` } : await run(page, h.args);
      } catch (err) {
        answer = { error: err instanceof Error ? err.message : String(err) };
      }
      const file = `${reportFile}.${h.id}.json`;
      writeFileSync(`${file}.tmp`, JSON.stringify(answer));
      renameSync(`${file}.tmp`, file);
    }
    await sleep(200);
  }
  return exit.code;
}

async function runPhase(
  phase: Phase,
  tmp: string,
  manifest: Manifest,
  chromium: BrowserType,
): Promise<PhaseOutcome> {
  const outcome: PhaseOutcome = { phase, ok: false, tests: [], uiChecks: [], screenshots: [] };
  const install = e2eInstall(process.env.PAS_E2E_DIR ?? path.join(homedir(), '.cache/prompt-adapter-e2e'));
  const stateDir = path.join(tmp, phase);
  const workspace = path.join(stateDir, 'workspace');
  makeWorkspace(workspace);
  const bundle = path.join(stateDir, `api-${phase}.cjs`);
  const files = await bundleApiSuite(phase, bundle, `${manifest.publisher}.${manifest.name}`);
  log(`${phase}: bundled ${files.join(', ')}`);
  const reportFile = path.join(stateDir, 'report.jsonl');
  const env: Record<string, string> = { PAS_E2E_REPORT: reportFile };
  if (process.env.PAS_E2E_GREP !== undefined) env.PAS_E2E_GREP = process.env.PAS_E2E_GREP;
  const marketplaceRegistry = await startMarketplaceRegistry(phase);
  Object.assign(env, marketplaceRegistry.env);
  const server = await startCodeServer({ install, stateDir, workspace, settings: phaseSettings[phase], env });
  outcome.codeServerStartupMs = server.startupMs;
  log(`${phase}: code-server pid ${server.pid} on 127.0.0.1:${server.port} after ${server.startupMs} ms`);

  let browser: Browser | undefined;
  let page: Page | undefined;
  let consoleLines: string[] = [];
  try {
    // WebGPU for the trainer webview: SwiftShader (software Vulkan) headless; the extension falls back to wasm
    // on it unless promptAdapter.forceWebGPU is set, which the training UI test does
    browser = await launchBrowser(chromium, chromiumPath, headful, path.join(stateDir, 'xdg'), [
      '--enable-unsafe-webgpu',
    ]);
    const url = workbenchUrl(server.port, workspace, {
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: bundle,
    });
    const wb = await openWorkbench(browser, url, (line) => {
      if (line.includes('[e2e]')) console.log(`  ${line}`);
    });
    page = wb.page;
    consoleLines = wb.consoleLines;
    outcome.workbenchVisibleMs = wb.workbenchVisibleMs;
    log(`${phase}: workbench visible after ${wb.workbenchVisibleMs} ms`);
    const tTests = Date.now();
    const steps: Record<string, UiStep> = {
      'train-refusal': (p) => trainRefusalStep(p, manifest, outcome),
      'view-items': (p, args) => viewItemsStep(p, args, outcome),
      'webview-text': (p, args) => webviewTextStep(p, args, outcome),
      'quick-pick': async (p, args) => ({
        picked:
          (await answerQuickPick(p, stringArg(args, 'title'), stringArg(args, 'choose'), 20_000)) ?? null,
      }),
      'clear-notifications': async (p) => ({ left: await clearNotifications(p) }),
      'webview-click': (p, args) => webviewClickStep(p, args, outcome),
      'status-bar-click': (p, args) => statusBarClickStep(p, args, outcome),
      'walkthrough-click': (p, args) => walkthroughClickStep(p, args, outcome),
      palette: async (p, args) => {
        const ran = await runFromPalette(p, stringArg(args, 'title'), numberArg(args, 'timeoutMs', 30_000));
        const shot = (args as { shot?: unknown }).shot;
        if (typeof shot === 'string') await keepScreenshot(p, shot, outcome);
        return { ran };
      },
      'csp-violations': () => Promise.resolve({ lines: cspViolationLines(consoleLines) }),
      notification: async (p, args) => {
        const seen = await waitForNotification(
          p,
          new RegExp(stringArg(args, 'pattern')),
          numberArg(args, 'timeoutMs', 20_000),
        );
        return { found: seen.found ?? null, all: seen.all };
      },
    };
    outcome.exitCode = await driveUntilExit(wb.testsExited, page, reportFile, steps, testsTimeoutMs);
    outcome.testsMs = Date.now() - tTests;
    log(`${phase}: extension tests exited with code ${outcome.exitCode} after ${outcome.testsMs} ms`);
    await keepScreenshot(page, `${phase}-final`, outcome);
    // issue 4, acceptance 5: any CSP violation in a webview (or the workbench) during the phase fails it
    const csp = cspViolationLines(consoleLines);
    outcome.uiChecks.push({
      name: 'no Content-Security-Policy violation in the console',
      ok: csp.length === 0,
      detail: csp.length === 0 ? 'none' : csp.slice(0, 5).join('\n'),
    });
  } catch (err) {
    outcome.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${phase}: ERROR ${outcome.error}`);
    if (page !== undefined) await keepScreenshot(page, `${phase}-error`, outcome);
  } finally {
    writeFileSync(path.join(resultsDir, `${phase}-console.log`), consoleLines.join('\n') + '\n');
    await browser?.close().catch(() => undefined);
    await server.stop();
    await marketplaceRegistry.stop();
    cpSync(server.logFile, path.join(resultsDir, `${phase}-code-server.log`));
  }
  outcome.tests = readReport(reportFile);
  outcome.ok =
    outcome.exitCode === 0 &&
    outcome.error === undefined &&
    outcome.tests.length > 0 &&
    outcome.tests.every((t) => t.ok) &&
    outcome.uiChecks.every((c) => c.ok);
  return outcome;
}

function printPhase(o: PhaseOutcome): void {
  console.log(`\n${o.phase}: ${o.ok ? 'PASS' : 'FAIL'}`);
  for (const t of o.tests) {
    console.log(`  ${t.ok ? '✓' : '✗'} ${t.suite} › ${t.name} (${t.ms} ms)`);
    if (!t.ok && t.error !== undefined)
      console.log(`      ${t.error.split('\n').slice(0, 8).join('\n      ')}`);
  }
  if (o.tests.length === 0) {
    console.log(
      `  no API test result was recorded: see ${path.relative(repoRoot, resultsDir)}/${o.phase}-console.log and -code-server.log`,
    );
  }
  for (const c of o.uiChecks) console.log(`  ${c.ok ? '✓' : '✗'} [ui] ${c.name}: ${c.detail}`);
  if (o.exitCode !== undefined && o.exitCode !== 0) console.log(`  extension tests exit code ${o.exitCode}`);
  if (o.error !== undefined) console.log(`  error: ${o.error.split('\n')[0] ?? ''}`);
}

function selectedPhases(): Phase[] {
  const wanted = (process.env.PAS_E2E_PHASES ?? allPhases.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return wanted.map((w) => {
    const phase = allPhases.find((p) => p === w);
    if (phase === undefined)
      throw new E2eSetupError(`unknown phase "${w}" in PAS_E2E_PHASES (known: ${allPhases.join(', ')})`);
    return phase;
  });
}

async function main(): Promise<number> {
  const phases = selectedPhases();
  const manifest = readManifest();
  if (!existsSync(chromiumPath)) {
    throw new E2eSetupError(
      `Chromium is not at ${chromiumPath}: run scripts/e2e-setup.sh (or set PAS_E2E_CHROMIUM)`,
    );
  }
  const chromium = await loadChromium();
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), 'pas-e2e-'));
  if (!keep) {
    onCleanup(() => {
      rmSync(tmp, { recursive: true, force: true });
    });
  }
  log(
    `extension ${manifest.publisher}.${manifest.name} from ${extensionPath}; temporary folder ${tmp}${keep ? ' (kept)' : ''}`,
  );
  const outcomes: PhaseOutcome[] = [];
  for (const phase of phases) {
    const outcome = await runPhase(phase, tmp, manifest, chromium);
    outcomes.push(outcome);
    printPhase(outcome);
  }
  const ok = outcomes.every((o) => o.ok);
  const totalSeconds = (Date.now() - t0) / 1000;
  writeFileSync(
    path.join(resultsDir, 'results.json'),
    JSON.stringify({ ok, totalSeconds, phases: outcomes }, null, 2),
  );
  console.log('');
  log(
    `${ok ? 'PASS' : 'FAIL'}: ${outcomes.map((o) => `${o.phase} ${o.ok ? 'passed' : 'failed'}`).join(', ')}; see ${path.relative(repoRoot, resultsDir)}/`,
  );
  return ok ? 0 : 1;
}

installSignalHandlers();
let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  if (err instanceof E2eSetupError) {
    console.error(`[e2e] ${err.message}`);
    exitCode = 2;
  } else {
    console.error(err);
  }
} finally {
  await cleanupAll();
}
process.exit(exitCode);
