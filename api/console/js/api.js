// Calls to /api/v1 with the access token; one refresh and retry on 401; problem details
// (RFC 9457) become ApiError with the server's `detail` for people to read.

import { canRefresh, refresh, signOut, token } from './session.js';

const BASE = '/api/v1';

// A schema error names the field, so people can see which input to mend.
function readable(status, problem) {
  const first = problem?.errors?.[0];
  if (first) return `${first.loc.filter((part) => part !== 'body').join('.')}: ${first.msg}`;
  return problem?.detail ?? `HTTP ${status}`;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(readable(status, problem));
    this.status = status;
    this.problem = problem ?? {};
  }
}

// `body` is sent as JSON; `raw` (a File or Blob, e.g. a photo) as it is, with its own type.
function send(path, { method = 'GET', body, raw, keepalive = false } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (raw !== undefined) headers['Content-Type'] = raw.type || 'application/octet-stream';
  else if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${BASE}${path}`, {
    method,
    headers,
    keepalive,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
}

export async function request(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && canRefresh()) {
    try {
      await refresh();
    } catch {
      signOut();
      throw new ApiError(401, { detail: 'signed out' });
    }
    response = await send(path, options);
  }
  if (response.status === 401) {
    signOut();
    throw new ApiError(401, { detail: 'signed out' });
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response;
}

export async function api(path, options = {}) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
