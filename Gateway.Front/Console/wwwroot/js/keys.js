// Keys: the list (each row links to the key's page: live usage, limits, rotate, revoke) and the create form.
import { get, post } from './api.js';
import { h, show, field, table, announce, alertError, money, count } from './dom.js';
import { limitFields } from './limits.js';
import { holdSecret, takeSecretPanel } from './secret.js';

export async function keysPage() {
  const [keys, teams] = await Promise.all([get('/admin/keys'), get('/admin/teams')]).then((r) => r.map((x) => x.data));
  const teamName = new Map(teams.map((t) => [t.id, t.name]));

  const team = h('select', { name: 'team_id', required: true }, teams.map((t) => h('option', { value: t.id }, t.name)));
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const tag = h('input', { type: 'text', name: 'billing_tag', maxlength: 200, autocomplete: 'off' });
  const limits = limitFields();
  const create = h('form', { class: 'card', 'aria-labelledby': 'create-key-title' },
    h('h2', { id: 'create-key-title' }, 'Create a key'),
    teams.length === 0 ? h('p', {}, 'Create a team first (Teams).') : null,
    field('Team', team),
    field('Key name', name),
    field('Billing tag', tag, 'Optional: overrides the team\'s tag for this key.'),
    limits.group,
    h('button', { type: 'submit', disabled: teams.length === 0 }, 'Create key'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const key = await post('/admin/keys', {
        team_id: team.value,
        name: name.value,
        billing_tag: tag.value.trim() || null,
        limits: limits.read(),
      });
      holdSecret(key);
      await keysPage();
      announce(`Key ${key.name} created. Its secret is shown once, above the list.`);
    } catch (error) {
      alertError(`Could not create the key: ${error.message}`);
    }
  });

  const rows = keys.map((k) => [
    h('a', { href: `#/keys/${k.id}` }, k.name),
    k.kind ?? 'key',
    teamName.get(k.team_id) ?? k.team_id,
    h('span', { class: `badge ${k.status}` }, k.status),
    h('code', {}, `${k.secret_prefix}…`),
    count(k.limits.requests_per_minute),
    k.limits.daily_budget_usd === null ? 'unlimited' : money(k.limits.daily_budget_usd),
    k.limits.monthly_budget_usd === null ? 'unlimited' : money(k.limits.monthly_budget_usd),
  ]);
  show(h('h1', {}, 'Keys'),
    takeSecretPanel(),
    table('Virtual keys', ['Name', 'Kind', 'Team', 'Status', 'Secret starts', 'Requests/min', 'Daily budget', 'Monthly budget'],
      rows, { id: 'keys-table', rowHeaders: true, empty: 'No keys yet: create one below.' }),
    create);
}
