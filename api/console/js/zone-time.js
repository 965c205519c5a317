// The command center's wall clock for date and time inputs: a maintenance window is
// planned in the command center's time whatever the browser's own zone is.

import { currentTimeZone } from './i18n.js';

function wallParts(instant, zone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  return Object.fromEntries(parts.map((p) => [p.type, p.value]));
}

// How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds.
function offsetMs(instant, zone) {
  const p = wallParts(instant, zone);
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

// '2026-11-26T22:00' for <input type="datetime-local">, in the command center's zone.
export function toZonedInput(instant, zone = currentTimeZone()) {
  const p = wallParts(instant, zone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// The instant a command-center wall time names ('2026-11-26T22:00'); null when empty.
export function fromZonedInput(text, zone = currentTimeZone()) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text ?? '');
  if (!match) return null;
  const [, y, mo, d, hh, mm] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  // Once from a guess, once more from the result: right across a daylight-saving change.
  const first = wall - offsetMs(new Date(wall), zone);
  return new Date(wall - offsetMs(new Date(first), zone));
}
