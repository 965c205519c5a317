// The change feed (WebSocket /api/v1/ws): the token goes in the first message, never the
// URL; after a drop we reconnect with the last id seen, so nothing in the window is lost.

import { token } from './session.js';

const RETRY_MS = [1000, 2000, 5000, 10000];

// Calls onChange(change) for every change of the given kinds; onResync() when the server
// says the window was missed (reload over REST). Returns a function that stops listening.
export function subscribe(kinds, { onChange, onResync = () => {} }) {
  let socket = null;
  let lastId = null;
  let stopped = false;
  let attempt = 0;
  let timer = null;

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws`);
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token: token(), after: lastId }));
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'ready') {
        attempt = 0;
        if (lastId === null) lastId = message.last_id;
      } else if (message.type === 'resync') {
        lastId = message.last_id;
        onResync();
      } else if (message.type === 'change') {
        lastId = message.id;
        if (kinds.includes(message.kind)) onChange(message);
      }
    });
    socket.addEventListener('close', () => {
      if (stopped) return;
      // 4401: the access token expired; the session renews it, so the retry carries a new one.
      timer = setTimeout(connect, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    });
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
