// The trainer dashboard's live charts (Chart.js, coloured from VS Code's theme variables): one line chart per
// series (training loss, learning rate, held-out metric, tokens/s). Points are appended as progress arrives and
// redrawn at most every REDRAW_MS without animation, so a fast run does not queue frames.
import {
  CategoryScale,
  Chart,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import { themeColor } from '../lib/host.js';

Chart.register(CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip);

const REDRAW_MS = 250;

export interface SeriesChart {
  add(step: number, value: number): void;
  clear(): void;
  /** the values so far (tests and the page's summary read them) */
  readonly values: readonly number[];
}

export interface SeriesOptions {
  readonly label: string;
  readonly yTitle: string;
  /** a VS Code chart colour variable and its fallback */
  readonly color: readonly [string, string];
  /** draw each point (sparse series such as evaluations) */
  readonly points?: boolean;
}

export function seriesChart(canvas: HTMLCanvasElement, o: SeriesOptions): SeriesChart {
  const fg = themeColor('--vscode-foreground', '#ccc');
  const steps: number[] = [];
  const values: number[] = [];
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      labels: steps,
      datasets: [
        {
          label: o.label,
          data: values,
          borderColor: themeColor(o.color[0], o.color[1]),
          backgroundColor: themeColor(o.color[0], o.color[1]),
          pointRadius: o.points === true ? 3 : 0,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { tooltip: { enabled: true } },
      scales: {
        x: { title: { display: true, text: 'step', color: fg }, ticks: { color: fg, maxTicksLimit: 8 } },
        y: { title: { display: true, text: o.yTitle, color: fg }, ticks: { color: fg, maxTicksLimit: 6 } },
      },
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const redraw = (): void => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      chart.update('none');
    }, REDRAW_MS);
  };
  return {
    values,
    add(step, value) {
      steps.push(step);
      values.push(value);
      redraw();
    },
    clear() {
      steps.length = 0;
      values.length = 0;
      chart.update('none');
    },
  };
}
