// The sign-in page. Today one method: the admin token (see auth.js for the OIDC seam). The token is checked
// against the API before the console trusts it.
import { methods, signInWithAdminToken, signOut } from './auth.js';
import { get } from './api.js';
import { h, show, field, alertError, announce } from './dom.js';

export function signInPage(done) {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title' }, 'Sign in with the admin token'),
    field('Admin token', token, 'The gateway\'s Admin:Token. Kept for this browser tab only, sent only to this gateway\'s admin API.'),
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      signInWithAdminToken(token.value);
      await get('/admin/teams');
      announce('Signed in.');
      done();
    } catch (error) {
      signOut();
      alertError(`Sign-in failed: ${error.message}`);
      token.focus();
    }
  });
  // One form per sign-in method the gateway offers (auth.js); the identity provider's sign-in adds its own.
  show(h('h1', {}, 'Sign in'),
    h('p', {}, 'Sign in to manage teams and keys and to see usage and spend.'),
    methods.includes('admin-token') ? form : null);
}
