// Builds every webview of the extension through logic/csp.ts: scripts from dist/webview only (the narrowest
// localResourceRoots), a fresh nonce per page, and the typed protocol endpoint over postMessage.
import * as vscode from 'vscode';
import { createHostEndpoint } from '../core/protocol/index.js';
import type { HostEndpoint, WireMessage } from '../core/protocol/index.js';
import { nonceFromBytes, webviewHtml } from './logic/csp.js';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export interface WebviewPageOptions {
  readonly title: string;
  /** the script's base name in dist/webview (e.g. "inspector") */
  readonly script: string;
  readonly wasm?: boolean;
  readonly connect?: boolean;
  readonly workers?: boolean;
  /** further roots the page may load from (e.g. a model folder whose weights it fetches) */
  readonly extraRoots?: readonly vscode.Uri[];
}

/** Configures a webview (options + HTML) and returns the protocol endpoint that talks to it. */
export function setUpWebview(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: WebviewPageOptions,
  log: vscode.LogOutputChannel,
): HostEndpoint {
  const root = webviewRoot(extensionUri);
  webview.options = { enableScripts: true, localResourceRoots: [root, ...(page.extraRoots ?? [])] };
  const nonce = nonceFromBytes(globalThis.crypto.getRandomValues(new Uint8Array(18)));
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(root, `${page.script}.js`)).toString();
  const cssUri = webview.asWebviewUri(vscode.Uri.joinPath(root, `${page.script}.css`)).toString();
  webview.html = webviewHtml({
    title: page.title,
    cspSource: webview.cspSource,
    nonce,
    ...(page.wasm === undefined ? {} : { wasm: page.wasm }),
    ...(page.connect === undefined ? {} : { connect: page.connect }),
    ...(page.workers === undefined ? {} : { workers: page.workers }),
    scripts: [scriptUri],
    styles: [cssUri],
  });
  const endpoint = createHostEndpoint(
    {
      post(message: WireMessage) {
        void webview.postMessage(message);
      },
      listen(handler) {
        const sub = webview.onDidReceiveMessage(handler);
        return () => {
          sub.dispose();
        };
      },
    },
    {
      onProblem: (m) => {
        log.warn(`webview ${page.script}: ${m}`);
      },
    },
  );
  endpoint.on('log', (e) => {
    log[e.level === 'warning' ? 'warn' : e.level](`webview ${page.script}: ${e.message}`);
  });
  endpoint.on('cspViolation', (v) => {
    log.error(
      `webview ${page.script}: CSP violation: ${v.violatedDirective} blocked ${v.blockedURI} (${v.sourceFile})`,
    );
  });
  return endpoint;
}
