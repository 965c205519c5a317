// The login: the access token lives in memory only; the refresh token in this tab's
// sessionStorage, so a reload (filters in the URL) re-authenticates with one refresh.
// Each refresh rotates the token (the API detects reuse), so only one runs at a time.

const REFRESH_KEY = 'gridwatch.refresh';
const AUTH = '/api/v1/auth';

let accessToken = null;
let user = null;
let refreshing = null;
let timer = null;
const listeners = new Set();

export function onSignedOut(listener) {
  listeners.add(listener);
}

export function token() {
  return accessToken;
}

export function currentUser() {
  return user;
}

export function canRefresh() {
  return sessionStorage.getItem(REFRESH_KEY) !== null;
}

export class LoginError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function post(path, body) {
  return fetch(`${AUTH}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function keep(pair) {
  accessToken = pair.access_token;
  sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
  clearTimeout(timer);
  // Renew before expiry so a wall screen left open never shows a login page.
  timer = setTimeout(() => refresh().catch(() => signOut()), pair.expires_in * 800);
}

async function loadMe() {
  const response = await fetch(`${AUTH}/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  if (!response.ok) throw new LoginError(response.status, null);
  user = await response.json();
  return user;
}

export async function login(username, password) {
  const response = await post('/login', { username, password });
  if (!response.ok) throw new LoginError(response.status, await response.json().catch(() => null));
  keep(await response.json());
  return loadMe();
}

export function refresh() {
  if (refreshing) return refreshing;
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return Promise.reject(new LoginError(401, null));
  refreshing = (async () => {
    const response = await post('/refresh', { refresh_token: refreshToken });
    if (!response.ok) {
      forget();
      throw new LoginError(response.status, await response.json().catch(() => null));
    }
    keep(await response.json());
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export async function restore() {
  if (!canRefresh()) return null;
  try {
    await refresh();
    return await loadMe();
  } catch {
    forget();
    return null;
  }
}

function forget() {
  accessToken = null;
  user = null;
  clearTimeout(timer);
  sessionStorage.removeItem(REFRESH_KEY);
}

export function signOut() {
  forget();
  for (const listener of listeners) listener();
}

export async function logout() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (refreshToken) await post('/logout', { refresh_token: refreshToken }).catch(() => null);
  signOut();
}
