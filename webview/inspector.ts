// The Adapter Inspector page: what the host loaded (adapter or plain safetensors header), drawn with
// @vscode-elements/elements and Chart.js. All numbers come from core/inspect on the host; this page only draws.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type {
  AdapterSummary,
  ModelCheck,
  SafetensorsHeaderSummary,
  TensorSummary,
} from '../core/protocol/index.js';
import { connect, h, themeColor } from './lib/host.js';
import type { Child } from './lib/host.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

const { endpoint, ready } = connect('inspector');
const app = document.getElementById('app') ?? document.body;

/** Appends the children that exist (sections are left out when there is nothing to show). */
function show(target: HTMLElement, ...children: (Node | null)[]): void {
  for (const c of children) if (c !== null) target.append(c);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u] ?? ''}`;
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join(' × ');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  const head = h(
    'vscode-table-header',
    { slot: 'header' },
    ...headers.map((t) => h('vscode-table-header-cell', {}, t)),
  );
  const body = h(
    'vscode-table-body',
    { slot: 'body' },
    ...rows.map((r) => h('vscode-table-row', {}, ...r.map((c) => h('vscode-table-cell', {}, c)))),
  );
  return h('vscode-table', { zebra: '', 'bordered-columns': '', resizable: '' }, head, body);
}

function facts(entries: readonly (readonly [string, string])[]): HTMLElement {
  return h('dl', { class: 'facts' }, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function tensorTable(tensors: readonly TensorSummary[]): HTMLElement {
  return table(
    ['tensor', 'dtype', 'shape', 'size'],
    tensors.map((t) => [t.name, t.dtype, shapeText(t.shape), formatBytes(t.bytes)]),
  );
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', {}, h('h2', {}, title), ...children);
}

function renderHeader(s: SafetensorsHeaderSummary): void {
  const metadata = Object.entries(s.metadata);
  show(
    app,
    h('h1', {}, s.fileName),
    h('p', { class: 'muted' }, 'Safetensors header (the tensor data is not read).'),
    facts([
      ['tensors', String(s.tensors.length)],
      ['parameters', s.parameters.toLocaleString('en-US')],
      ['file size', formatBytes(s.fileBytes)],
      ['header size', formatBytes(s.headerBytes)],
    ]),
    section('Tensors', tensorTable(s.tensors)),
    metadata.length === 0
      ? null
      : section(
          'Metadata',
          table(
            ['key', 'value'],
            metadata.map(([k, v]) => [k, v]),
          ),
        ),
  );
}

function barChart(
  canvas: HTMLCanvasElement,
  labels: string[],
  values: readonly number[],
  label: string,
): void {
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label, data: [...values], backgroundColor: themeColor('--vscode-charts-blue', '#3794ff') },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { tooltip: { enabled: true } },
      scales: {
        x: { ticks: { color: themeColor('--vscode-foreground', '#ccc') } },
        y: { beginAtZero: true, ticks: { color: themeColor('--vscode-foreground', '#ccc') } },
      },
    },
  });
}

function lineChart(canvas: HTMLCanvasElement, points: readonly { step: number; loss: number }[]): void {
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: points.map((p) => String(p.step)),
      datasets: [
        {
          label: 'training loss',
          data: points.map((p) => p.loss),
          borderColor: themeColor('--vscode-charts-orange', '#d18616'),
          pointRadius: 0,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: {
          title: { display: true, text: 'step' },
          ticks: { color: themeColor('--vscode-foreground', '#ccc') },
        },
        y: { ticks: { color: themeColor('--vscode-foreground', '#ccc') } },
      },
    },
  });
}

/** Diverging colour for a cosine in [-1, 1]: blue (−1) – neutral (0) – red (+1). */
function cosineColor(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const a = Math.abs(t);
  return t >= 0 ? `rgba(220, 70, 60, ${a.toFixed(3)})` : `rgba(60, 120, 220, ${a.toFixed(3)})`;
}

function heatmap(values: readonly number[], n: number, readout: HTMLElement): HTMLCanvasElement {
  const cell = Math.max(6, Math.min(28, Math.floor(420 / Math.max(n, 1))));
  const canvas = h('canvas', { width: String(n * cell), height: String(n * cell), class: 'heatmap' });
  const ctx = canvas.getContext('2d');
  if (ctx !== null) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        ctx.fillStyle = cosineColor(values[i * n + j] ?? 0);
        ctx.fillRect(j * cell, i * cell, cell, cell);
      }
    }
  }
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const j = Math.floor(((e.clientX - rect.left) / rect.width) * n);
    const i = Math.floor(((e.clientY - rect.top) / rect.height) * n);
    if (i >= 0 && j >= 0 && i < n && j < n)
      readout.textContent = `cos(v${i}, v${j}) = ${(values[i * n + j] ?? 0).toFixed(4)}`;
  });
  return canvas;
}

function renderCheck(target: HTMLElement, c: ModelCheck | null): void {
  target.replaceChildren();
  if (c === null) return;
  const fingerprint =
    c.fingerprintMatches === null
      ? c.modelFingerprint === null
        ? 'not compared (the model’s embedding tensor was not found)'
        : 'not compared (the adapter records no base-model fingerprint; only shapes were checked)'
      : c.fingerprintMatches
        ? 'matches the model the adapter was trained on'
        : 'DIFFERENT from the model the adapter was trained on';
  show(
    target,
    h(
      'p',
      { class: c.fits ? 'ok' : 'bad' },
      c.fits ? `✓ fits ${c.modelName}` : `✗ does not fit ${c.modelName}`,
    ),
    facts([
      ['fingerprint', fingerprint],
      ['model embeddings sha256', c.modelFingerprint ?? '—'],
    ]),
    c.problems.length === 0 ? null : h('ul', { class: 'problems' }, ...c.problems.map((p) => h('li', {}, p))),
  );
  if (c.nearest !== null) {
    target.append(
      h('h3', {}, 'Nearest vocabulary tokens (cosine, top 5)'),
      h(
        'p',
        { class: 'muted' },
        'Caution: a trained virtual token usually lies far from every real token; its nearest tokens can mislead and rarely "explain" what it does.',
      ),
      table(
        ['virtual token', 'nearest tokens'],
        c.nearest.map((list, i) => [
          `v${i}`,
          list.map((t) => `${JSON.stringify(t.token)} (${t.id}) ${t.cosine.toFixed(3)}`).join(', '),
        ]),
      ),
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The final metrics that training recorded (prompt_adapter.json `metrics`): numbers and a confusion matrix. */
function metricsSection(metadata: Readonly<Record<string, unknown>> | null): HTMLElement | null {
  const metrics = metadata?.metrics;
  if (!isRecord(metrics)) return null;
  const numbers = Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number');
  const confusion = metrics.confusion;
  let matrix: HTMLElement | null = null;
  if (isRecord(confusion) && Array.isArray(confusion.labels) && Array.isArray(confusion.matrix)) {
    const labels = confusion.labels.map(String);
    const rows = (confusion.matrix as unknown[]).map((row, i) => [
      `true ${labels[i] ?? String(i)}`,
      ...(Array.isArray(row) ? row.map(String) : []),
    ]);
    matrix = h(
      'div',
      {},
      h('h3', {}, 'Confusion matrix'),
      table(['', ...labels.map((l) => `predicted ${l}`)], rows),
    );
  }
  return section(
    'Metrics at the end of training',
    facts(numbers.map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(4)])),
    matrix,
  );
}

function renderAdapter(s: AdapterSummary): void {
  const [p, w] = s.promptShape;
  const checkResult = h('div', { class: 'check' });
  const checkButton = h('vscode-button', {}, 'Check against a model…');
  checkButton.addEventListener('click', () => {
    checkResult.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    endpoint.request('inspector/checkModel', {}).then(
      (c) => {
        renderCheck(checkResult, c);
      },
      (e: unknown) => {
        checkResult.replaceChildren(h('p', { class: 'bad' }, e instanceof Error ? e.message : String(e)));
      },
    );
  });
  const normCanvas = h('canvas', {});
  const lossCanvas = h('canvas', {});
  const readout = h('p', { class: 'muted' }, 'Hover a cell to read its value.');
  const metadata = s.trainingMetadata;
  show(
    app,
    h('h1', {}, `${s.method} adapter`),
    h('p', { class: 'muted' }, s.fileName),
    facts([
      ['method', s.method],
      ['task', s.taskType],
      ['base model', s.baseModel ?? '(not recorded)'],
      ['virtual tokens', String(s.numVirtualTokens)],
      ['prompt shape', `${p} × ${w}`],
      ['token dim', String(s.tokenDim)],
      ['layers', String(s.numLayers)],
      ['attention heads', String(s.numAttentionHeads)],
      ['saved modules', s.modulesToSave.length === 0 ? '—' : s.modulesToSave.join(', ')],
      [
        'trained on (fingerprint)',
        s.recordedFingerprint === null
          ? 'not recorded'
          : `${s.recordedFingerprint.embeddingSha256.slice(0, 16)}…`,
      ],
    ]),
    metricsSection(s.trainingMetadata),
    section('Base model check', checkButton, checkResult),
    section(
      'Norm of each virtual token',
      h(
        'p',
        { class: 'muted' },
        s.inEmbeddingSpace
          ? 'L2 norm of each row of prompt_embeddings (in the model’s embedding space).'
          : 'L2 norm of each row of prompt_embeddings (all layers’ keys and values of one prefix position).',
      ),
      h('div', { class: 'chart' }, normCanvas),
    ),
    section('Cosine similarity between virtual tokens', heatmap(s.cosine, p, readout), readout),
    s.lossCurve.length === 0
      ? null
      : section('Training loss (training_log.jsonl)', h('div', { class: 'chart' }, lossCanvas)),
    s.evalPoints.length === 0
      ? null
      : section(
          'Evaluations',
          table(
            ['step', 'metric', 'value'],
            s.evalPoints.map((e) => [String(e.step), e.metric, e.value.toFixed(4)]),
          ),
        ),
    section('Tensors', tensorTable(s.tensors)),
    metadata === null
      ? null
      : section('Training record (prompt_adapter.json)', h('pre', {}, JSON.stringify(metadata, null, 2))),
    section('adapter_config.json', h('pre', {}, JSON.stringify(s.config, null, 2))),
  );
  barChart(
    normCanvas,
    s.tokenNorms.map((_, i) => `v${i}`),
    s.tokenNorms,
    'L2 norm',
  );
  if (s.lossCurve.length > 0) lineChart(lossCanvas, s.lossCurve);
}

endpoint.on('inspector/init', ({ summary, error }) => {
  app.replaceChildren();
  if (error !== null) app.append(h('p', { class: 'bad', role: 'alert' }, error));
  if (summary.kind === 'adapter') renderAdapter(summary);
  else renderHeader(summary);
});

ready();
