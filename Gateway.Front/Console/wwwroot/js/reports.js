// The other questions finance and platform teams ask, from the same views: most expensive sessions, repeated
// prompts (cache candidates), cache savings per team, latency per model.
import { get } from './api.js';
import { role } from './auth.js';
import { h, show, table, money, count, when } from './dom.js';
import { barFigure, destroyCharts } from './charts.js';
import { days, periodPicker } from './period.js';

const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(Number(v))} ms`);

export async function reportsPage() {
  const period = days();
  const [sessions, prompts, savings, latency] = await Promise.all([
    get(`/admin/reports/top_sessions?days=${period}&limit=20`),
    // Views not broken down by team are for administrators only; a lead sees them empty.
    role() === 'lead' ? Promise.resolve({ data: [] }) : get(`/admin/reports/repeated_prompts?days=${period}&limit=20`),
    get(`/admin/reports/cache_savings_by_team?days=${period}&limit=1000`),
    role() === 'lead' ? Promise.resolve({ data: [] }) : get(`/admin/reports/latency_by_model?days=${period}&limit=1000`),
  ]);
  destroyCharts();

  const saved = new Map();
  for (const r of savings.data) {
    const name = r.team_name ?? r.team_id ?? '(deleted key)';
    const s = saved.get(name) ?? { cost: 0, saved: 0, without: 0, reads: 0 };
    s.cost += Number(r.cost_usd);
    s.saved += Number(r.cache_savings_usd);
    s.without += Number(r.cost_without_cache_usd);
    s.reads += Number(r.cache_read_tokens);
    saved.set(name, s);
  }
  const savedRows = [...saved.entries()].sort((a, b) => b[1].saved - a[1].saved);

  // Latency: the busiest day's row per model would hide others; requests-weighted mean of the daily percentiles.
  const byModel = new Map();
  for (const r of latency.data) {
    const m = byModel.get(r.model) ?? { requests: 0, errors: 0, p50: 0, p95: 0, p99: 0, ttfb50: 0, weight: 0 };
    m.requests += r.requests;
    m.errors += r.errors;
    if (r.latency_p50_ms !== null) {
      const w = r.requests - r.errors;
      m.p50 += w * r.latency_p50_ms;
      m.p95 += w * r.latency_p95_ms;
      m.p99 += w * r.latency_p99_ms;
      m.ttfb50 += w * (r.ttfb_p50_ms ?? 0);
      m.weight += w;
    }
    byModel.set(r.model, m);
  }
  const models = [...byModel.entries()].sort((a, b) => b[1].requests - a[1].requests)
    .map(([model, m]) => ({ model, ...m, p50: m.weight ? m.p50 / m.weight : null, p95: m.weight ? m.p95 / m.weight : null, p99: m.weight ? m.p99 / m.weight : null, ttfb50: m.weight ? m.ttfb50 / m.weight : null }));

  show(
    h('h1', {}, 'Reports'),
    periodPicker(() => reportsPage()),
    h('section', { 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, 'Most expensive sessions'),
      table('Most expensive sessions', ['Session', 'Team', 'Key', 'Cost', 'Requests', 'Tool calls', 'Last seen'],
        sessions.data.map((s) => [h('code', {}, s.session_id), s.team_name ?? s.team_id ?? '—', s.key_name ?? s.key_id ?? '—',
          money(s.cost_usd), count(s.requests), count(s.tool_calls), when(s.last_seen)]),
        { id: 'sessions-table', rowHeaders: true, empty: 'No sessions in this period.' })),
    h('section', { 'aria-labelledby': 'prompts-title' },
      h('h2', { id: 'prompts-title' }, 'Repeated prompts'),
      h('p', {}, 'Stable prompt prefixes (tools and system) sent more than once a day. Many requests with no cache reads: worth a cache breakpoint.'),
      table('Repeated prompts', ['Prefix hash', 'Day', 'Requests', 'Sessions', 'Input tokens', 'Cache reads seen', 'Cost'],
        prompts.data.map((p) => [h('code', {}, String(p.prompt_prefix_hash).slice(0, 16)), p.day, count(p.requests), count(p.sessions),
          count(p.total_input_tokens), p.cache_reads_seen ? 'yes' : 'no', money(p.cost_usd)]),
        { id: 'prompts-table', rowHeaders: true, empty: 'No repeated prompts in this period.' })),
    h('section', { 'aria-labelledby': 'savings-title' },
      h('h2', { id: 'savings-title' }, 'Cache savings'),
      barFigure({
        id: 'cache-savings',
        caption: 'Cost with and without prompt caching per team (USD)',
        labels: savedRows.map(([n]) => n),
        series: [
          { label: 'Cost paid', data: savedRows.map(([, s]) => s.cost) },
          { label: 'Saved by caching', data: savedRows.map(([, s]) => s.saved) },
        ],
        stacked: true,
        yTitle: 'USD',
        tableHeaders: ['Team', 'Cost paid', 'Saved by caching', 'Cost without caching', 'Cache read tokens'],
        tableRows: savedRows.map(([n, s]) => [n, money(s.cost), money(s.saved), money(s.without), count(s.reads)]),
      })),
    h('section', { 'aria-labelledby': 'latency-title' },
      h('h2', { id: 'latency-title' }, 'Latency per model'),
      barFigure({
        id: 'latency-by-model',
        caption: 'Latency per model, successful requests (ms)',
        labels: models.map((m) => m.model),
        series: [
          { label: 'p50', data: models.map((m) => m.p50) },
          { label: 'p95', data: models.map((m) => m.p95) },
          { label: 'p99', data: models.map((m) => m.p99) },
        ],
        yTitle: 'ms',
        tableHeaders: ['Model', 'Requests', 'Errors', 'p50', 'p95', 'p99', 'Time to first byte p50'],
        tableRows: models.map((m) => [m.model, count(m.requests), count(m.errors), ms(m.p50), ms(m.p95), ms(m.p99), ms(m.ttfb50)]),
      })),
  );
  return destroyCharts;
}
