// Builds elements from data with textContent and attributes only: nothing a tenant or an API answer says is ever
// parsed as HTML, so a team named "<img onerror=…>" stays text.

/** h('p', { class: 'x' }, 'text', child…): an element; attributes starting with "on" take a function. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the main region's content and moves focus to its heading, so screen readers hear the new page. */
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children.flat().filter(Boolean));
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

/** A polite announcement in the live region (results, saved changes). */
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  // A fresh text node, so the same message twice is still announced.
  requestAnimationFrame(() => { status.textContent = message; });
}

/** An assertive announcement (errors); cleared by the next one. */
export function alertError(message) {
  document.getElementById('alert').textContent = message;
}

export function clearStatus() {
  document.getElementById('status').textContent = '';
}

export function clearAlert() {
  document.getElementById('alert').textContent = '';
}

/** A labelled input: the label names it for assistive technology, hint text is tied with aria-describedby. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  input.id = id;
  const parts = [h('label', { for: id }, label), input];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    parts.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/** A data table with a caption and column headers (scope=col), rows of cells. */
export function table(caption, headers, rows, options = {}) {
  return h('table', { class: options.className ?? 'data', id: options.id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: headers.length }, options.empty ?? 'Nothing yet.'))
      : rows.map((cells) => h('tr', {}, cells.map((cell, i) => (i === 0 && options.rowHeaders
        ? h('th', { scope: 'row' }, cell)
        : h('td', {}, cell)))))));
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 });
const whole = new Intl.NumberFormat('en-US');

export function money(value) {
  return value === null || value === undefined ? '—' : usd.format(Number(value));
}

export function count(value) {
  return value === null || value === undefined ? 'unlimited' : whole.format(Number(value));
}

export function when(value) {
  return value ? new Date(value).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—';
}
