// Teams: list, create (with a billing tag), change a team's billing tag.
import { get, post, patch, seg } from './api.js';
import { role } from './auth.js';
import { h, show, field, table, announce, alertError, when } from './dom.js';

export async function teamsPage() {
  const teams = (await get('/admin/teams')).data;

  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const tag = h('input', { type: 'text', name: 'billing_tag', maxlength: 200, autocomplete: 'off' });
  const create = h('form', { class: 'card', 'aria-labelledby': 'create-team-title' },
    h('h2', { id: 'create-team-title' }, 'Create a team'),
    field('Team name', name),
    field('Billing tag', tag, 'Optional: the cost centre finance bills this team\'s usage to.'),
    h('button', { type: 'submit' }, 'Create team'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const team = await post('/admin/teams', { name: name.value, billing_tag: tag.value.trim() || null });
      await teamsPage();
      announce(`Team ${team.name} created (${team.id}).`);
    } catch (error) {
      alertError(`Could not create the team: ${error.message}`);
    }
  });

  const which = h('select', { name: 'team' }, teams.map((t) => h('option', { value: t.id }, t.name)));
  const newTag = h('input', { type: 'text', name: 'new_billing_tag', maxlength: 200, autocomplete: 'off' });
  const retag = h('form', { class: 'card', 'aria-labelledby': 'retag-title' },
    h('h2', { id: 'retag-title' }, 'Change a billing tag'),
    field('Team', which),
    field('New billing tag', newTag, 'Empty removes the tag. Keys without their own tag follow their team\'s.'),
    h('button', { type: 'submit', disabled: teams.length === 0 }, 'Save billing tag'));
  retag.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const team = await patch(`/admin/teams/${seg(which.value)}`, { billing_tag: newTag.value.trim() || null });
      await teamsPage();
      announce(`Billing tag of ${team.name} is now ${team.billing_tag ?? 'none'}.`);
    } catch (error) {
      alertError(`Could not change the billing tag: ${error.message}`);
    }
  });

  show(h('h1', {}, 'Teams'),
    table('Teams', ['Name', 'Id', 'Billing tag', 'Created'],
      teams.map((t) => [t.name, h('code', {}, t.id), t.billing_tag ?? '—', when(t.created_at)]),
      { id: 'teams-table', rowHeaders: true, empty: 'No teams yet: create one below.' }),
    // A team lead sees their own team and changes none (creating and retagging teams is for administrators).
    role() === 'lead' ? null : h('div', { class: 'forms' }, create, retag));
}
