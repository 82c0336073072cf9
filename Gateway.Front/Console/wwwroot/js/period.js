// The period a report page covers (days, including today), remembered for the tab; the API bounds it to 1–366.
import { h, field } from './dom.js';

const KEY = 'gateway.console.days';
export const CHOICES = [7, 30, 90, 366];

export function days() {
  const value = Number(sessionStorage.getItem(KEY));
  return CHOICES.includes(value) ? value : 30;
}

/** A labelled select that re-renders the page when the period changes. */
export function periodPicker(onChange) {
  const select = h('select', { name: 'days' }, CHOICES.map((d) => h('option', { value: d, selected: d === days() }, `Last ${d} days`)));
  select.addEventListener('change', () => {
    sessionStorage.setItem(KEY, select.value);
    onChange();
  });
  return h('div', { class: 'toolbar' }, field('Period', select));
}
