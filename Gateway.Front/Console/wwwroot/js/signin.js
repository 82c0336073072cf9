// The sign-in page: a link per identity provider (OIDC, when configured) and the admin token form (when an admin
// token is configured). The token is checked against the API before the console trusts it.
import { methods, issuers, oidcSignInUrl, signInWithAdminToken, signOut } from './auth.js';
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
      await signOut();
      alertError(`Sign-in failed: ${error.message}`);
      token.focus();
    }
  });
  // One form per sign-in method the gateway offers (auth.js); the identity provider's sign-in adds its own.
  const oidc = methods.includes('oidc') && issuers.length > 0
    ? h('section', { class: 'card', 'aria-labelledby': 'oidc-title' },
      h('h2', { id: 'oidc-title' }, 'Sign in with your company account'),
      h('ul', {}, ...issuers.map((issuer) => h('li', {}, h('a', { href: oidcSignInUrl(issuer), class: 'button' }, `Sign in with ${issuer}`)))))
    : null;
  show(h('h1', {}, 'Sign in'),
    h('p', {}, 'Sign in to manage teams and keys and to see usage and spend.'),
    oidc,
    methods.includes('admin-token') ? form : null);
}
