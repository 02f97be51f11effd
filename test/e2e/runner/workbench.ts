// The browser side: Debian Chromium through playwright-core opens the code-server workbench, optionally
// with the smoke-test driver's URL payload that runs extension tests, and reads the workbench's DOM.
import type { Browser, BrowserType, Frame, Page } from 'playwright-core';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2eSetupError, onCleanup } from './processes';

const chromiumArgs = [
  '--no-sandbox', // the runner may be root (CI containers)
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-breakpad',
  '--disable-crash-reporter',
];

export async function loadChromium(): Promise<BrowserType> {
  try {
    const pw = await import('playwright-core');
    return pw.chromium;
  } catch (err) {
    throw new E2eSetupError(
      `playwright-core (a devDependency) cannot be loaded: run \`npm ci\` (${String(err)})`,
    );
  }
}

export async function launchBrowser(
  chromium: BrowserType,
  executablePath: string,
  headful: boolean,
  /** Chromium writes its config and crash reports under XDG_CONFIG_HOME/XDG_CACHE_HOME, never into $HOME */
  xdgDir: string,
  extraArgs: readonly string[] = [],
): Promise<Browser> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, { XDG_CONFIG_HOME: `${xdgDir}/config`, XDG_CACHE_HOME: `${xdgDir}/cache` });
  const browser = await chromium.launch({
    executablePath,
    headless: !headful,
    args: [...chromiumArgs, ...extraArgs],
    env,
    timeout: 60_000,
    // the runner's own handlers close the browser AND stop code-server (processes.ts)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  onCleanup(() => browser.close().catch(() => undefined));
  return browser;
}

export interface ExtensionTestPayload {
  /** absolute path on the code-server machine (here: this one) */
  readonly extensionDevelopmentPath: string;
  readonly extensionTestsPath: string;
}

/**
 * The workbench URL. The host is `e2e.localhost`: Chromium resolves *.localhost to the loopback, and the
 * webviews, served from <uuid>.e2e.localhost, are then same-site (with plain `localhost` their service
 * worker is refused as a third party).
 */
export function workbenchUrl(port: number, folder: string, payload?: ExtensionTestPayload): string {
  const authority = `e2e.localhost:${port}`;
  let url = `http://${authority}/?folder=${encodeURIComponent(folder)}`;
  if (payload !== undefined) {
    const entries = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${payload.extensionDevelopmentPath}`],
      ['extensionTestsPath', `vscode-remote://${authority}${payload.extensionTestsPath}`],
      ['skipWelcome', 'true'],
    ];
    url += `&payload=${encodeURIComponent(JSON.stringify(entries))}`;
  }
  return url;
}

export interface OpenedWorkbench {
  readonly page: Page;
  /** settles with the extension tests' exit code (payload runs only) */
  readonly testsExited: Promise<number>;
  readonly workbenchVisibleMs: number;
  /** console of the page and of the extension host (as forwarded by the workbench) */
  readonly consoleLines: string[];
}

export async function openWorkbench(browser: Browser, url: string, onExtensionLog: (line: string) => void) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  // the bindings VS Code's own web integration tests expose: the workbench reports the extension tests'
  // log and exit code through them
  let resolveExit: (code: number) => void = () => undefined;
  const testsExited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationExit', (code: unknown) => {
    resolveExit(Number(code));
  });
  await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
    const text = (Array.isArray(args) ? args : [args])
      .map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))
      .join(' ');
    const line = `[${String(type)}] ${text}`;
    consoleLines.push(line);
    onExtensionLog(text);
  });
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page
    .locator('.monaco-workbench .part.statusbar')
    .first()
    .waitFor({ state: 'visible', timeout: 90_000 });
  const opened: OpenedWorkbench = { page, testsExited, workbenchVisibleMs: Date.now() - t0, consoleLines };
  return opened;
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string | undefined> {
  const file = path.join(dir, `${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: 15_000 });
    return file;
  } catch (err) {
    console.error(`[e2e] screenshot ${name} failed: ${String(err)}`);
    return undefined;
  }
}

const notificationsBell = '.statusbar-item[id*="notification"]';

/**
 * Texts of the notifications in the Notification Center. Toasts are suppressed under the smoke-test driver,
 * so the center is opened (bell in the status bar) and left open for the screenshot.
 */
export async function notificationTexts(page: Page): Promise<string[]> {
  const center = page.locator('.notifications-center.visible');
  if (!(await center.isVisible().catch(() => false))) {
    await page.locator(notificationsBell).first().click({ timeout: 5_000 });
    await center.waitFor({ state: 'visible', timeout: 5_000 });
  }
  return page.locator('.notifications-center .notification-list-item-message').allInnerTexts();
}

/** Clears the Notification Center (its "Clear All" action); returns how many messages are left. */
export async function clearNotifications(page: Page): Promise<number> {
  await notificationTexts(page).catch(() => []); // opens the center
  await page
    .locator('.notifications-center .codicon-notifications-clear-all')
    .first()
    .click({ timeout: 5_000 })
    .catch(() => undefined);
  await sleep(200);
  return (await notificationTexts(page).catch(() => [])).length;
}

/**
 * Polls the Notification Center until at least `minCount` messages match `pattern` (so a caller that saw
 * n matches before an action asks for n + 1); returns the last match and all messages seen last.
 */
export async function waitForNotification(
  page: Page,
  pattern: RegExp,
  timeoutMs: number,
  minCount = 1,
): Promise<{ found: string | undefined; all: string[] }> {
  const deadline = Date.now() + timeoutMs;
  let all: string[] = [];
  while (Date.now() < deadline) {
    all = await notificationTexts(page).catch(() => all);
    const matches = all.filter((t) => pattern.test(t));
    if (matches.length >= minCount) return { found: matches[matches.length - 1], all };
    await sleep(300);
  }
  return { found: undefined, all };
}

/**
 * Runs a command from the palette (F1). The palette computes its entries when it opens and the extension's
 * contributions can arrive late, so it is reopened until the title is listed. Returns false when the title
 * never appears (e.g. a command hidden by its `enablement`/`when` clause).
 */
export async function runFromPalette(page: Page, title: string, timeoutMs: number): Promise<boolean> {
  const input = page.locator('.quick-input-widget input:not([type=checkbox])').first();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // focus the workbench on a harmless spot (the side bar title): a focused webview would swallow F1
    await page
      .locator('.part.sidebar .composite.title')
      .first()
      .click({ timeout: 5_000 })
      .catch(() => undefined);
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 3_000 });
      await page.keyboard.press('Enter');
      return true;
    } catch {
      await page.keyboard.press('Escape');
      await sleep(500);
    }
  }
  return false;
}

/**
 * Opens the view container `container` from the activity bar, expands its view `view` and waits until the
 * view lists every name in `expected`; returns the labels of all rows of that view.
 */
export async function viewItems(
  page: Page,
  container: string,
  view: string,
  expected: readonly string[],
  timeoutMs: number,
): Promise<{ items: string[]; missing: string[] }> {
  const sidebarTitle = page.locator('.part.sidebar .composite.title', { hasText: container });
  if (!(await sidebarTitle.isVisible().catch(() => false))) {
    await page
      .locator(`.part.activitybar .action-label[aria-label^="${container}"]`)
      .first()
      .click({ timeout: 10_000 });
  }
  const pane = page.locator('.part.sidebar .pane', {
    has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${view}\\b`) }),
  });
  const header = pane.locator('.pane-header').first();
  await header.waitFor({ state: 'visible', timeout: 10_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  const deadline = Date.now() + timeoutMs;
  let items: string[] = [];
  let missing: string[] = [...expected];
  while (Date.now() < deadline) {
    items = (await pane.locator('.pane-body .monaco-list-row').allInnerTexts()).map((t) => t.trim());
    missing = expected.filter((name) => !items.some((item) => item.includes(name)));
    if (missing.length === 0) break;
    await sleep(300);
  }
  return { items, missing };
}

/** The placeholder the workbench shows when a custom editor's resolve threw. */
export function editorFailedToOpen(page: Page): Promise<boolean> {
  return page
    .getByText('The editor could not be opened')
    .first()
    .isVisible()
    .catch(() => false);
}

/**
 * Waits for a frame (webviews are nested iframes) whose body text matches `pattern`; returns that text, or
 * undefined after `timeoutMs` or as soon as the workbench says the editor could not be opened.
 */
export async function webviewText(
  page: Page,
  pattern: RegExp,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await editorFailedToOpen(page)) return undefined;
    const found = await webviewFrame(page, pattern);
    if (found !== undefined) return found.text;
    await sleep(300);
  }
  return undefined;
}

/** The first webview frame (webviews are nested iframes) whose body text matches `pattern`, now. */
export async function webviewFrame(
  page: Page,
  pattern: RegExp,
): Promise<{ frame: Frame; text: string } | undefined> {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const text = await frame
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => '');
    if (pattern.test(text)) return { frame, text };
  }
  return undefined;
}

/**
 * Answers an open quick pick: waits until one whose title contains `title` is visible, then picks the first
 * row whose text contains `choose`. Returns the picked row's text, or undefined when it never showed.
 */
export async function answerQuickPick(
  page: Page,
  title: string,
  choose: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const widget = page.locator('.quick-input-widget', {
    has: page.locator('.quick-input-title', { hasText: title }),
  });
  try {
    await widget.waitFor({ state: 'visible', timeout: timeoutMs });
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: choose }).first();
    await row.waitFor({ state: 'visible', timeout: 5_000 });
    const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
    await row.click();
    return text;
  } catch {
    return undefined;
  }
}
