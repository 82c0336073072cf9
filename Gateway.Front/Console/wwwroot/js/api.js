// Calls to this origin's admin API. Errors arrive in Anthropic's shape ({"type":"error","error":{"message":…}}) and
// become an ApiError carrying that message; a 401 means the credential is no longer good, so it signs out.
import { authorizationHeaders, dropSession } from './auth.js';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Called when the API refuses the credential (set by app.js to show the sign-in). */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json', ...authorizationHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    // The admin token travels in a header; an OIDC session in its HttpOnly, SameSite=Strict cookie (this origin only).
    credentials: 'same-origin',
    cache: 'no-store',
    redirect: 'error',
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = json?.error?.message ?? `The gateway answered ${response.status}.`;
    if (response.status === 401) {
      dropSession();
      onUnauthorized(message);
    }
    throw new ApiError(response.status, message);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);

/** Path segments from data (ids) are always encoded. */
export const seg = (value) => encodeURIComponent(String(value));
