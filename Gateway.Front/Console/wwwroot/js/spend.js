// Spend per team and per billing tag, per UTC day, as plots (views spend_by_team_day, spend_by_billing_tag_day).
import { get } from './api.js';
import { role } from './auth.js';
import { h, show, money } from './dom.js';
import { barFigure, destroyCharts, pivot } from './charts.js';
import { days, periodPicker } from './period.js';

export async function spendPage() {
  const period = days();
  const [byTeam, byTag] = await Promise.all([
    get(`/admin/reports/spend_by_team_day?days=${period}&limit=1000`),
    // Billing tags cut across teams: a team lead's session is refused that view, so it shows empty for them.
    role() === 'lead' ? Promise.resolve({ data: [] }) : get(`/admin/reports/spend_by_billing_tag_day?days=${period}&limit=1000`),
  ]);
  destroyCharts();
  // Every day of the period on the x axis (days without spend at zero), so the plot reads as a time line.
  const dayLabels = [];
  for (let day = new Date(`${byTeam.since}T00:00:00Z`); dayLabels.length < period; day.setUTCDate(day.getUTCDate() + 1)) {
    dayLabels.push(day.toISOString().slice(0, 10));
  }
  const teamGrid = pivot(byTeam.data, (r) => r.day, (r) => r.team_name ?? r.team_id ?? '(deleted key)', (r) => r.cost_usd, dayLabels);
  const tagGrid = pivot(byTag.data, (r) => r.day, (r) => r.billing_tag ?? '(untagged)', (r) => r.cost_usd, dayLabels);
  const totals = (rows, name) => {
    const sum = new Map();
    for (const r of rows) sum.set(name(r), (sum.get(name(r)) ?? 0) + Number(r.cost_usd));
    return [...sum.entries()].sort((a, b) => b[1] - a[1]);
  };
  const teamTotals = totals(byTeam.data, (r) => r.team_name ?? r.team_id ?? '(deleted key)');
  const tagTotals = totals(byTag.data, (r) => r.billing_tag ?? '(untagged)');

  const page = () => [
    h('h1', {}, 'Spend'),
    periodPicker(() => spendPage()),
    h('p', {}, `UTC days since ${byTeam.since}. Settled spend, as finance's views have it (a request shows here once it is settled, within seconds).`),
    barFigure({
      id: 'spend-by-team',
      caption: 'Spend per team and day (USD)',
      labels: teamGrid.labels,
      series: teamGrid.series,
      stacked: true,
      yTitle: 'USD',
      tableHeaders: ['Team', 'Total (USD)'],
      tableRows: teamTotals.map(([n, v]) => [n, money(v)]),
    }),
    barFigure({
      id: 'spend-by-tag',
      caption: 'Spend per billing tag and day (USD)',
      labels: tagGrid.labels,
      series: tagGrid.series,
      stacked: true,
      yTitle: 'USD',
      tableHeaders: ['Billing tag', 'Total (USD)'],
      tableRows: tagTotals.map(([n, v]) => [n, money(v)]),
    }),
  ];
  show(page());
  return destroyCharts;
}
