// Plots with Chart.js (vendored, loaded as the global Chart before the modules). Every plot is a figure with a
// caption, a canvas that names what it shows (role=img) and the same numbers as a table for people who cannot
// see it. Animation off: the numbers are there at once, and screenshots are stable.
import { h, table } from './dom.js';

const live = new Set();
const PALETTE = ['#1f6feb', '#d4731c', '#2da44e', '#a371f7', '#cf222e', '#0a7f87', '#9a6700', '#6e7781'];

/** Destroys the plots of the page being left (Chart.js holds listeners on its canvas). */
export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live.clear();
}

/**
 * A bar plot: labels along x, one dataset per series ({ label, data }). stacked: series stacked per label.
 * tableHeaders/tableRows: the same numbers for the table under the plot.
 */
export function barFigure({ id, caption, labels, series, stacked = false, yTitle, tableHeaders, tableRows, horizontal = false }) {
  const canvas = h('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': `${caption}. The numbers are in the table below the plot.` });
  const figure = h('figure', { class: 'plot', id },
    h('figcaption', {}, caption),
    h('div', { class: 'plot-box' }, canvas),
    h('details', {}, h('summary', {}, `${caption}: as a table`), table(caption, tableHeaders, tableRows)));
  if (typeof window.Chart !== 'function') {
    canvas.replaceWith(h('p', {}, 'The chart library did not load; the numbers are in the table.'));
    return figure;
  }
  const chart = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length], maxBarThickness: 56 })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: horizontal ? 'y' : 'x',
      scales: {
        x: { stacked },
        y: { stacked, beginAtZero: true, title: { display: Boolean(yTitle), text: yTitle } },
      },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  live.add(chart);
  return figure;
}

/** Rows of a report grouped into a label × series grid: value(row) summed per (label(row), series(row)). */
export function pivot(rows, label, seriesOf, value, allLabels) {
  const labels = allLabels ?? [...new Set(rows.map(label))].sort();
  const names = [...new Set(rows.map(seriesOf))].sort();
  const grid = new Map(names.map((n) => [n, new Map(labels.map((l) => [l, 0]))]));
  for (const row of rows) {
    const cell = grid.get(seriesOf(row));
    if (cell.has(label(row))) cell.set(label(row), cell.get(label(row)) + Number(value(row) ?? 0));
  }
  return { labels, series: names.map((n) => ({ label: n, data: labels.map((l) => grid.get(n).get(l)) })) };
}
