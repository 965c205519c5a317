// Pictures behind the API's token (case photos, alert evidence): an <img> cannot send the
// token, so each is fetched once, kept as a blob URL, and shown as a small thumbnail that
// opens a dialog with the picture at full size (several side by side, each captioned).

import { request } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

const KEEP = 60; // blob URLs kept, newest last; older ones are released
const loaded = new Map();

// '/api/v1/cases/7/photos/…' or '/cases/7/photos/…' → a blob URL of the picture.
export function pictureURL(url) {
  const path = url.replace(/^\/api\/v1(?=\/)/, '');
  if (!loaded.has(path)) {
    const pending = request(path)
      .then((response) => response.blob())
      .then((blob) => URL.createObjectURL(blob));
    pending.catch(() => loaded.delete(path));
    loaded.set(path, pending);
    if (loaded.size > KEEP) {
      const [oldest, first] = loaded.entries().next().value;
      loaded.delete(oldest);
      first.then((blobURL) => URL.revokeObjectURL(blobURL)).catch(() => null);
    }
  }
  return loaded.get(path);
}

function picture(url, alt, attrs = {}) {
  const img = h('img', { alt, ...attrs });
  pictureURL(url)
    .then((blobURL) => {
      img.src = blobURL;
    })
    .catch(() => {
      img.replaceWith(h('span', { class: 'muted picture-missing' }, t('picture.missing')));
    });
  return img;
}

// pictures: [{ url, caption }] shown side by side at full size.
export function showPictures(title, pictures) {
  const dialog = h(
    'dialog',
    { class: 'pictures', 'data-testid': 'picture-dialog' },
    h(
      'div',
      { class: 'pictures-head' },
      h('h2', {}, title),
      h(
        'button',
        { type: 'button', class: 'ghost', 'data-testid': 'picture-close', onclick: () => dialog.close() },
        t('picture.close'),
      ),
    ),
    h(
      'div',
      { class: 'pictures-row' },
      pictures.map((p) =>
        h(
          'figure',
          {},
          picture(p.url, p.caption, { 'data-testid': 'picture-full' }),
          pictures.length > 1 || p.caption !== title ? h('figcaption', {}, p.caption) : '',
        ),
      ),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (event) => event.target === dialog && dialog.close());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// A small picture as a button; pressing it opens `pictures` (default: itself) full size.
export function thumbnail(url, { caption, title = caption, pictures, testid = 'thumbnail' }) {
  return h(
    'button',
    {
      type: 'button',
      class: 'thumb',
      title,
      'data-testid': testid,
      onclick: (event) => {
        event.stopPropagation();
        showPictures(title, pictures ?? [{ url, caption }]);
      },
    },
    picture(url, caption),
  );
}
