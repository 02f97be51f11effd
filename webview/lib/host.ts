// The webview side of the protocol: the endpoint over acquireVsCodeApi().postMessage, CSP violations and
// uncaught errors reported to the host (the e2e tests fail on any CSP violation), and a small DOM helper.
import { createWebviewEndpoint } from '../../core/protocol/index.js';
import type { ViewKind, WebviewEndpoint, WireMessage } from '../../core/protocol/index.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** Connects to the host; call once per page, then register listeners, then `ready`. */
export function connect(view: ViewKind): { endpoint: WebviewEndpoint; ready: () => void } {
  const api = acquireVsCodeApi();
  const endpoint = createWebviewEndpoint(
    {
      post(message: WireMessage) {
        api.postMessage(message);
      },
      listen(handler) {
        const l = (e: MessageEvent): void => {
          handler(e.data);
        };
        window.addEventListener('message', l);
        return () => {
          window.removeEventListener('message', l);
        };
      },
    },
    {
      onProblem: (message) => {
        endpoint.notify('log', { level: 'warning', message });
      },
    },
  );
  document.addEventListener('securitypolicyviolation', (e) => {
    endpoint.notify('cspViolation', {
      blockedURI: e.blockedURI,
      violatedDirective: e.violatedDirective,
      sourceFile: e.sourceFile,
    });
  });
  window.addEventListener('error', (e) => {
    endpoint.notify('log', { level: 'error', message: `${e.message} (${e.filename}:${e.lineno})` });
  });
  return {
    endpoint,
    ready: () => {
      endpoint.notify('ready', { view });
    },
  };
}

export type Child = Node | string | number | null | undefined | false;

/** Creates an element with attributes and children; text is always set as text, never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string>,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/** A theme colour from VS Code's CSS variables, with a fallback outside VS Code. */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}
