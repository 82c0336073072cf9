// The secret of a new or rotated key, shown once: the gateway keeps only its hash, so this panel is the only place
// it ever appears. It is held in memory for the next render only, never stored.
import { h } from './dom.js';

let pending = null;

export function holdSecret(key) {
  pending = { id: key.id, name: key.name, secret: key.secret };
}

/** The panel for a secret held for this page (consumed: a reload or another page no longer has it), or null. */
export function takeSecretPanel() {
  if (!pending) return null;
  const { name, secret } = pending;
  pending = null;
  const panel = h('section', { class: 'card secret', 'aria-labelledby': 'secret-title' },
    h('h2', { id: 'secret-title' }, `Secret for ${name}: shown once`),
    h('p', {}, 'Copy it now and hand it to the team. The gateway keeps only its hash and cannot show it again.'),
    h('p', {}, h('output', { id: 'secret-once', class: 'secret-value', 'aria-label': 'Key secret' }, secret)),
    h('button', {
      type: 'button',
      onclick: () => panel.remove(),
    }, 'I have stored it'));
  return panel;
}
