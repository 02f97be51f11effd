// The ONE place that builds a webview's Content-Security-Policy and HTML shell. Nothing remote, nothing
// inline without the nonce: `default-src 'none'`, scripts only by nonce, styles and fonts only from the
// extension's own files (webview.cspSource), `'wasm-unsafe-eval'` so tfjs/onnxruntime can compile wasm,
// and fetch (connect-src) only to cspSource, for weights served by asWebviewUri.

export interface CspOptions {
  /** `webview.cspSource` */
  readonly cspSource: string;
  readonly nonce: string;
  /** allow WebAssembly compilation (the trainer's wasm backends) */
  readonly wasm?: boolean;
  /** allow fetch() of the extension's own files (model weights via asWebviewUri) */
  readonly connect?: boolean;
  /** allow Workers from the extension's files (and blob: workers, which the wasm backends spawn) */
  readonly workers?: boolean;
}

/** Characters that would end a directive or a source expression: refuse them rather than escape. */
const UNSAFE = /[;,'"\s]/;
/** The only quoted keyword webview.cspSource holds (code-server: `'self' https://*.vscode-cdn.net`). */
const ALLOWED_KEYWORDS = new Set(["'self'"]);

function checkSource(source: string, all: string): void {
  if (ALLOWED_KEYWORDS.has(source)) return;
  if (source === '' || UNSAFE.test(source)) throw new Error(`buildCsp: unsafe cspSource "${all}"`);
}

export function buildCsp(o: CspOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce))
    throw new Error(`buildCsp: the nonce must be 16+ base64 characters, got "${o.nonce}"`);
  for (const source of o.cspSource.split(' ')) checkSource(source, o.cspSource);
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['img-src', [o.cspSource, 'data:']],
    ['style-src', [o.cspSource, `'nonce-${o.nonce}'`]],
    ['font-src', [o.cspSource]],
    ['script-src', [`'nonce-${o.nonce}'`, ...(o.wasm === true ? ["'wasm-unsafe-eval'"] : [])]],
  ];
  if (o.connect === true) directives.push(['connect-src', [o.cspSource]]);
  if (o.workers === true) directives.push(['worker-src', [o.cspSource, 'blob:']]);
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ') + ';';
}

/** A nonce from 16+ random bytes (the caller supplies them: crypto differs between host and tests). */
export function nonceFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new Error('nonceFromBytes: need at least 16 random bytes');
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Text for HTML text and attribute values: the five significant characters as numeric references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface WebviewHtmlOptions extends CspOptions {
  readonly title: string;
  /** webview URIs of the scripts (already converted by asWebviewUri) */
  readonly scripts: readonly string[];
  readonly styles?: readonly string[];
  /** JSON-safe data handed to the page in a <script type="application/json"> (read, never executed) */
  readonly bootData?: unknown;
}

export function webviewHtml(o: WebviewHtmlOptions): string {
  const csp = buildCsp(o);
  const nonce = escapeHtml(o.nonce);
  const styles = (o.styles ?? []).map(
    (s) => `<link rel="stylesheet" href="${escapeHtml(s)}" nonce="${nonce}">`,
  );
  const scripts = o.scripts.map((s) => `<script nonce="${nonce}" src="${escapeHtml(s)}"></script>`);
  // `<` escaped so the JSON can never close the script element.
  const boot =
    o.bootData === undefined
      ? []
      : [
          `<script type="application/json" id="boot-data" nonce="${nonce}">${JSON.stringify(o.bootData).replace(/</g, '\\u003c')}</script>`,
        ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    `<title>${escapeHtml(o.title)}</title>`,
    ...styles,
    '</head>',
    '<body>',
    '<main id="app"></main>',
    ...boot,
    ...scripts,
    '</body>',
    '</html>',
  ].join('\n');
}
