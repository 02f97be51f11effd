// The live training-loss chart of the trainer page (Chart.js, coloured from VS Code's theme variables). Points are
// appended as progress arrives; redraws skip animation so a fast run does not queue frames.
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

export interface LossChart {
  add(step: number, loss: number): void;
  clear(): void;
}

export function lossChart(canvas: HTMLCanvasElement): LossChart {
  const fg = themeColor('--vscode-foreground', '#ccc');
  const steps: string[] = [];
  const losses: number[] = [];
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      labels: steps,
      datasets: [
        {
          label: 'training loss',
          data: losses,
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
        x: { title: { display: true, text: 'step', color: fg }, ticks: { color: fg } },
        y: { title: { display: true, text: 'loss', color: fg }, ticks: { color: fg } },
      },
    },
  });
  return {
    add(step, loss) {
      steps.push(String(step));
      losses.push(loss);
      chart.update('none');
    },
    clear() {
      steps.length = 0;
      losses.length = 0;
      chart.update('none');
    },
  };
}
