// The console's only place that knows how a person signs in. Every other module asks this one for the request
// headers (authorizationHeaders) and whether anyone is signed in; none of them touches the credential itself.
//
// Two methods, as the gateway lists them at GET /console/auth:
// - 'admin-token': for gateways with an admin token (and no identity provider, typically). It is kept in
//   sessionStorage (this tab only, gone when the tab closes), sent only as "Authorization: Bearer" to this origin's
//   /admin API, and never put in a URL or a cookie.
// - 'oidc': sign-in through the company's identity provider (/console/signin/{issuer}, back at /console/callback).
//   The front then keeps the session in an HttpOnly, SameSite=Strict cookie no script can read; requests send the
//   'x-gateway-console' header, which the admin API requires on changes made with that cookie (CSRF guard).

const STORAGE_KEY = 'gateway.console.admin-token';
const CSRF_HEADER = 'x-gateway-console';

/** How people may sign in on this gateway ('admin-token', 'oidc'); filled by loadAuth(). */
export let methods = Object.freeze([]);
/** The identity providers offered for 'oidc'. */
export let issuers = Object.freeze([]);
/** The OIDC session ({ role: 'admin'|'lead', team_id, subject }) or null. */
let session = null;

/** Asks the gateway which sign-in methods exist and whether a session cookie is signed in. */
export async function loadAuth() {
  try {
    const response = await fetch('/console/auth', { credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
    const json = response.ok ? await response.json() : null;
    methods = Object.freeze(json?.methods ?? ['admin-token']);
    issuers = Object.freeze(json?.issuers ?? []);
    session = json?.session ?? null;
  } catch {
    methods = Object.freeze(['admin-token']);
    issuers = Object.freeze([]);
    session = null;
  }
}

export function signedIn() {
  return Boolean(sessionStorage.getItem(STORAGE_KEY)) || session !== null;
}

/** 'admin' or 'lead' (a team lead sees their team only); the admin token is an admin. */
export function role() {
  return sessionStorage.getItem(STORAGE_KEY) ? 'admin' : session?.role ?? null;
}

/** The lead's team id (null for an administrator). */
export function scopedTeam() {
  return sessionStorage.getItem(STORAGE_KEY) ? null : session?.team_id ?? null;
}

/** Keeps the admin token for this tab. The caller checks it against the API before trusting it. */
export function signInWithAdminToken(token) {
  const trimmed = (token ?? '').trim();
  if (!trimmed) throw new Error('Enter the admin token.');
  sessionStorage.setItem(STORAGE_KEY, trimmed);
}

/** Where the browser goes to sign in with an identity provider. */
export function oidcSignInUrl(issuer) {
  return `/console/signin/${encodeURIComponent(issuer)}`;
}

export async function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
  if (session !== null) {
    session = null;
    try {
      await fetch('/console/signout', { method: 'POST', headers: { [CSRF_HEADER]: '1' }, credentials: 'same-origin', redirect: 'error' });
    } catch {
      // The cookie expires on its own; the page shows the sign-in either way.
    }
  }
}

/** Forgets a session the gateway no longer accepts (a 401), without calling it. */
export function dropSession() {
  sessionStorage.removeItem(STORAGE_KEY);
  session = null;
}

/** The headers that authorize an admin API call for whoever is signed in ({} when nobody is). */
export function authorizationHeaders() {
  const token = sessionStorage.getItem(STORAGE_KEY);
  if (token) return { Authorization: `Bearer ${token}` };
  return session !== null ? { [CSRF_HEADER]: '1' } : {};
}
