// The console's only place that knows how a person signs in. Every other module asks this one for the request
// headers (authorizationHeaders) and whether anyone is signed in; none of them touches the credential itself.
//
// Today: the admin token, for gateways with no identity provider configured. It is kept in sessionStorage (this tab
// only, gone when the tab closes, never readable by another origin's scripts), sent only as
// "Authorization: Bearer" to this origin's /admin API, and never put in a URL or a cookie.
//
// OIDC seam: sign-in through the company's identity provider (built separately) adds its method here, for example
// a redirect to the gateway's own login endpoint and back, after which authorizationHeaders() returns what that
// sign-in presents (its own short-lived bearer token, or {} if the front keeps the session in an HttpOnly,
// SameSite=Strict cookie, with api.js then sending credentials: 'same-origin'). The pages do not change: they only
// call signedIn(), authorizationHeaders() and signOut(), and read `methods` to know which sign-in forms to offer.

const STORAGE_KEY = 'gateway.console.admin-token';

/** How people may sign in on this gateway. The OIDC sign-in adds 'oidc' here. */
export const methods = Object.freeze(['admin-token']);

export function signedIn() {
  return Boolean(sessionStorage.getItem(STORAGE_KEY));
}

/** Keeps the admin token for this tab. The caller checks it against the API before trusting it. */
export function signInWithAdminToken(token) {
  const trimmed = (token ?? '').trim();
  if (!trimmed) throw new Error('Enter the admin token.');
  sessionStorage.setItem(STORAGE_KEY, trimmed);
}

export function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The headers that authorize an admin API call for whoever is signed in ({} when nobody is). */
export function authorizationHeaders() {
  const token = sessionStorage.getItem(STORAGE_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}
