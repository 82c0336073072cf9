// The console's only place that knows how a person signs in. Every other module asks this one for the request
// headers (authorizationHeaders) and whether anyone is signed in; none of them touches the credential itself.
//
// Today: the admin token, for gateways with no identity provider configured. It is kept in sessionStorage (this tab
// only, gone when the tab closes, never readable by another origin's scripts), sent only as
// "Authorization: Bearer" to this origin's /admin API, and never put in a URL or a cookie.
//
// OIDC seam: a sign-in through the company's identity provider adds a second method here (a redirect to the
// gateway's own login endpoint, whose session the front keeps server-side in an HttpOnly, SameSite=Strict cookie),
// and then authorizationHeaders() returns {} while credentials: 'same-origin' carries that cookie. The pages do not
// change: they call signedIn(), authorizationHeaders() and signOut() only.

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
