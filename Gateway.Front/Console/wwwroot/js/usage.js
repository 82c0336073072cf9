// One key's page: its live usage against each limit and budget (GET /admin/keys/{id}/usage, from the key's grain,
// refreshed every two seconds while the page is open), its limits (change them), rotate and revoke.
import { get, post, patch, seg } from './api.js';
import { h, show, announce, alertError, money, count, when } from './dom.js';
import { limitFields } from './limits.js';
import { holdSecret, takeSecretPanel } from './secret.js';

const REFRESH_MS = 2000;

function bucketRow(metric, label, bucket, limit) {
  if (!bucket || limit === null || limit === undefined) {
    return h('tr', { 'data-metric': metric, 'data-used': '0' },
      h('th', { scope: 'row' }, label), h('td', {}, '—'), h('td', {}, 'unlimited'), h('td', {}, '—'));
  }
  const used = Math.max(0, bucket.limit - bucket.remaining);
  return h('tr', { 'data-metric': metric, 'data-used': String(used) },
    h('th', { scope: 'row' }, label),
    h('td', {}, h('meter', { min: 0, max: bucket.limit, value: used, 'aria-label': `${label}: ${used} of ${bucket.limit} in use` }),
      ` ${count(used)} in use`),
    h('td', {}, count(bucket.limit)),
    h('td', {}, `${count(bucket.remaining)} left, full at ${when(bucket.reset)}`));
}

function budgetRow(metric, label, spent, budget) {
  const limited = budget !== null && budget !== undefined;
  return h('tr', { 'data-metric': metric, 'data-value': String(spent) },
    h('th', { scope: 'row' }, label),
    h('td', {}, limited
      ? [h('meter', { min: 0, max: budget, value: Math.min(spent, budget), 'aria-label': `${label}: ${money(spent)} of ${money(budget)}` }), ` ${money(spent)}`]
      : money(spent)),
    h('td', {}, limited ? money(budget) : 'unlimited'),
    h('td', {}, limited ? `${money(Math.max(0, budget - spent))} left` : '—'));
}

function usageTable(usage) {
  const l = usage.limits;
  return h('table', { class: 'data', id: 'usage-table' },
    h('caption', {}, 'Live usage against each limit and budget'),
    h('thead', {}, h('tr', {}, ['Limit', 'In use / spent', 'Limit', 'Headroom'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {},
      bucketRow('requests_per_minute', 'Requests per minute', usage.requests_per_minute, l.requests_per_minute),
      bucketRow('input_tokens_per_minute', 'Input tokens per minute', usage.input_tokens_per_minute, l.input_tokens_per_minute),
      bucketRow('output_tokens_per_minute', 'Output tokens per minute', usage.output_tokens_per_minute, l.output_tokens_per_minute),
      budgetRow('spent_today', 'Spent today (UTC)', Number(usage.spent_today_usd), l.daily_budget_usd),
      budgetRow('spent_this_month', 'Spent this month (UTC)', Number(usage.spent_this_month_usd), l.monthly_budget_usd)));
}

export async function keyPage(id) {
  const [key, usage] = await Promise.all([get(`/admin/keys/${seg(id)}`), get(`/admin/keys/${seg(id)}/usage`)]);
  const team = await get(`/admin/teams/${seg(key.team_id)}`).catch(() => null);
  const active = key.status === 'active';

  const live = h('section', { 'aria-labelledby': 'usage-title' },
    h('h2', { id: 'usage-title' }, 'Usage'),
    h('div', { id: 'usage-live' }, usageTable(usage)),
    h('p', { class: 'hint', id: 'usage-updated' }, `Updated ${when(new Date().toISOString())}; refreshes every ${REFRESH_MS / 1000} s.`));

  const limits = limitFields(key.limits);
  const edit = h('form', { class: 'card', 'aria-labelledby': 'limits-title' },
    h('h2', { id: 'limits-title' }, 'Change limits'),
    limits.group,
    h('button', { type: 'submit' }, 'Save limits'));
  edit.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await patch(`/admin/keys/${seg(id)}`, { limits: limits.read() });
      announce('Limits saved; every front applies them within seconds.');
    } catch (error) {
      alertError(`Could not save the limits: ${error.message}`);
    }
  });

  const rotate = h('button', { type: 'button', id: 'rotate-key', disabled: !active }, 'Rotate secret');
  rotate.addEventListener('click', async () => {
    if (!window.confirm(`Rotate the secret of ${key.name}? The current secret stops working at once.`)) return;
    try {
      holdSecret(await post(`/admin/keys/${seg(id)}/rotate`));
      stop();
      await reopen(id);
      announce(`Key ${key.name} rotated. Its new secret is shown once.`);
    } catch (error) {
      alertError(`Could not rotate the key: ${error.message}`);
    }
  });
  const revoke = h('button', { type: 'button', id: 'revoke-key', class: 'danger', disabled: !active }, 'Revoke key');
  revoke.addEventListener('click', async () => {
    if (!window.confirm(`Revoke ${key.name} for good? Its requests are refused within seconds.`)) return;
    try {
      await post(`/admin/keys/${seg(id)}/revoke`);
      stop();
      await reopen(id);
      announce(`Key ${key.name} revoked.`);
    } catch (error) {
      alertError(`Could not revoke the key: ${error.message}`);
    }
  });

  show(h('h1', {}, `Key ${key.name}`),
    takeSecretPanel(),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', {}, h('code', {}, key.id)),
      h('dt', {}, 'Status'), h('dd', { id: 'key-status' }, h('span', { class: `badge ${key.status}` }, key.status)),
      h('dt', {}, 'Team'), h('dd', {}, team ? `${team.name} (${key.team_id})` : key.team_id),
      h('dt', {}, 'Billing tag'), h('dd', {}, key.billing_tag ?? '—'),
      h('dt', {}, 'Secret starts'), h('dd', {}, h('code', {}, `${key.secret_prefix}…`)),
      h('dt', {}, 'Created'), h('dd', {}, when(key.created_at)),
      key.revoked_at ? [h('dt', {}, 'Revoked'), h('dd', {}, when(key.revoked_at))] : null),
    live,
    active ? edit : null,
    h('div', { class: 'actions' }, rotate, revoke),
    h('p', {}, h('a', { href: '#/keys' }, 'Back to keys')));

  let timer = setInterval(async () => {
    try {
      const fresh = await get(`/admin/keys/${seg(id)}/usage`);
      document.getElementById('usage-live')?.replaceChildren(usageTable(fresh));
      const updated = document.getElementById('usage-updated');
      if (updated) updated.textContent = `Updated ${when(new Date().toISOString())}; refreshes every ${REFRESH_MS / 1000} s.`;
    } catch (error) {
      alertError(`Usage could not be refreshed: ${error.message}`);
    }
  }, REFRESH_MS);
  function stop() {
    clearInterval(timer);
    timer = null;
  }
  return stop;
}

// Re-rendering the same hash does not fire hashchange, so the page renders itself again.
async function reopen(id) {
  const stop = await keyPage(id);
  reopenStops.push(stop);
}
const reopenStops = [];
window.addEventListener('hashchange', () => {
  while (reopenStops.length) reopenStops.pop()();
});
