// Hash routes ('#/cameras?status=offline'): the page and its filters live in the URL,
// so a reload or a shared link shows the same view.

export function current() {
  const raw = location.hash.slice(1) || '/';
  const [path, search = ''] = raw.split('?');
  return { path, params: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function go(path, params = {}) {
  location.hash = href(path, params);
}

// Update the filters in the URL without re-rendering the page.
export function replaceParams(params) {
  history.replaceState(null, '', href(current().path, params));
}
