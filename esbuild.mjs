// Builds every bundle of the project with esbuild (it does not type-check: `npm run typecheck` does).
//   node esbuild.mjs [cli|extension|webview|tests|bench|all]
//   node esbuild.mjs tests <path-filter> <outdir>   (only the test files whose path contains the filter)
// Node bundles are ESM and bundle tfjs-core from its ESM entry, because tfjs registers its gradients only
// through `@tensorflow/tfjs-core/dist/register_all_gradients`, an ESM file with extensionless imports that
// plain Node cannot load (../shared/recipes/webgpu/README.md, section 3).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const what = process.argv[2] ?? 'all';

// The wasm backend needs `require`/`__dirname` in an ESM bundle.
const nodeBanner = [
  "import { createRequire as __pasCreateRequire } from 'node:module';",
  "import { fileURLToPath as __pasFileURLToPath } from 'node:url';",
  "import { dirname as __pasDirname } from 'node:path';",
  'const require = __pasCreateRequire(import.meta.url);',
  'const __filename = __pasFileURLToPath(import.meta.url);',
  'const __dirname = __pasDirname(__filename);',
].join('\n');

const nodeOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  sourcemap: 'linked',
  // onnxruntime-web finds its .wasm/.mjs files next to its own module: load it from node_modules.
  external: ['onnxruntime-web'],
  logLevel: 'warning',
};

const tfjsWasmFiles = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function copyWasm(outdir) {
  fs.mkdirSync(outdir, { recursive: true });
  for (const f of tfjsWasmFiles) {
    fs.copyFileSync(
      path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f),
      path.join(outdir, f),
    );
  }
}

function findFiles(dir, suffix) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(p, suffix));
    else if (entry.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

async function buildCli() {
  await esbuild.build({
    ...nodeOptions,
    entryPoints: [path.join(root, 'cli/main.ts')],
    outfile: path.join(root, 'dist/cli.mjs'),
    banner: { js: '#!/usr/bin/env node\n' + nodeBanner },
  });
  fs.chmodSync(path.join(root, 'dist/cli.mjs'), 0o755);
  copyWasm(path.join(root, 'dist'));
}

async function buildTests(filter = '', outdir = path.join(root, 'dist-test')) {
  fs.rmSync(outdir, { recursive: true, force: true });
  const entries = findFiles(path.join(root, 'test'), '.test.ts').filter(
    (f) => !f.includes('/fixtures/') && path.relative(root, f).includes(filter),
  );
  if (entries.length === 0) throw new Error(`no test file matches '${filter}'`);
  await esbuild.build({
    ...nodeOptions,
    entryPoints: entries,
    outdir,
    outbase: path.join(root, 'test'),
    outExtension: { '.js': '.mjs' },
    banner: { js: nodeBanner },
  });
  copyWasm(outdir);
}

async function buildBench() {
  const entries = findFiles(path.join(root, 'bench'), '.bench.ts');
  await esbuild.build({
    ...nodeOptions,
    entryPoints: entries,
    outdir: path.join(root, 'dist-bench'),
    outbase: path.join(root, 'bench'),
    outExtension: { '.js': '.mjs' },
    banner: { js: nodeBanner },
  });
  copyWasm(path.join(root, 'dist-bench'));
}

// The VS Code extension host bundle: CommonJS (VS Code 1.95 loads extensions with require; package.json is
// "type": "module", hence .cjs), `vscode` provided by the host. It must never contain tfjs or onnxruntime.
async function buildExtension() {
  await esbuild.build({
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    entryPoints: [path.join(root, 'extension/extension.ts')],
    outfile: path.join(root, 'dist/extension.cjs'),
    external: ['vscode'],
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const bundle = fs.readFileSync(path.join(root, 'dist/extension.cjs'), 'utf8');
  for (const banned of ['@tensorflow/tfjs', 'onnxruntime-web']) {
    if (bundle.includes(`node_modules/${banned}`))
      throw new Error(`dist/extension.cjs bundles ${banned}: the host must not`);
  }
}

// Webview pages: each webview/*.ts is one page (browser IIFE, loaded by a nonce'd <script>); webview/*.css
// are copied beside them. Shared modules live in webview/lib/.
async function buildWebview() {
  const dir = path.join(root, 'webview');
  const outdir = path.join(root, 'dist/webview');
  fs.rmSync(outdir, { recursive: true, force: true });
  const entries = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120', 'es2022'],
    entryPoints: entries,
    outdir,
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.css'))) {
    fs.copyFileSync(path.join(dir, f), path.join(outdir, f));
  }
  // tfjs-backend-wasm fetches its .wasm files from the path the trainer page passes (asWebviewUri of this folder)
  copyWasm(outdir);
}

if (what === 'cli' || what === 'all') await buildCli();
if (what === 'extension' || what === 'all') await buildExtension();
if (what === 'webview' || what === 'all') await buildWebview();
if (what === 'tests' && process.argv[3] !== undefined) {
  await buildTests(process.argv[3], path.resolve(process.argv[4] ?? path.join(root, '.tmp', 'dist-test')));
} else if (what === 'tests' || what === 'all') await buildTests();
if (what === 'bench' || what === 'all') await buildBench();
