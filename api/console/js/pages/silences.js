// Silences and maintenance windows of the subtree: the current ones (active, upcoming or
// waiting for their weekly window) or all, a form to plan one (matchers, time range in the
// command center's zone, reason, an optional weekly window) and Expire to end one now.
// Only roles that may write silences (maintainers, operators) see the form and Expire.

import { api, query } from '../api.js';
import { h, option } from '../dom.js';
import { indentedOptions, loadTree } from '../districts-tree.js';
import { currentTimeZone, formatDateTime, language, t } from '../i18n.js';
import { go } from '../router.js';
import { currentUser } from '../session.js';
import { fromZonedInput, toZonedInput } from '../zone-time.js';
import { KINDS, kindLabel } from './queue-cue.js';

const MATCHERS = ['cameras', 'districts', 'uplinks', 'kinds', 'tags'];
const DAYS = [0, 1, 2, 3, 4, 5, 6]; // 0 = Monday, as the API counts

export function dayName(day) {
  // 1 Jan 2024 was a Monday.
  return new Intl.DateTimeFormat(language(), { weekday: 'short', timeZone: 'UTC' }).format(
    new Date(Date.UTC(2024, 0, 1 + day)),
  );
}

export function silenceState(silence, now = Date.now()) {
  if (silence.cancelled_at) return 'cancelled';
  if (silence.active) return 'active';
  if (now < new Date(silence.starts_at).getTime()) return 'upcoming';
  if (now >= new Date(silence.ends_at).getTime()) return 'ended';
  return 'outsideWindow';
}

// Runs of consecutive days as ranges: [0, 1, 2, 3, 4, 6] → 'Mon–Fri Sun'.
export function dayRanges(days) {
  const sorted = [...days].sort((a, b) => a - b);
  const runs = [];
  for (const day of sorted) {
    const last = runs.at(-1);
    if (last && day === last[1] + 1) last[1] = day;
    else runs.push([day, day]);
  }
  return runs
    .map(([first, end]) =>
      first === end
        ? dayName(first)
        : end === first + 1
          ? `${dayName(first)} ${dayName(end)}`
          : `${dayName(first)}–${dayName(end)}`,
    )
    .join(' ');
}

function windowText(window) {
  if (!window) return t('silences.always');
  const days = window.days?.length ? dayRanges(window.days) : t('silences.everyDay');
  return t('silences.weekly', { days, hours: window.hours.replace('-', '–') });
}

function list(text) {
  return text
    .split(/[,，\s]+/)
    .map((v) => v.trim())
    .filter(Boolean);
}

export async function render(main, { params, isCurrent }) {
  const user = currentUser();
  const mayWrite = (user.permissions ?? []).includes('silences:write');
  const showAll = params.show === 'all';
  const tree = await loadTree();
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const message = h('p', { class: 'notice', role: 'status', 'data-testid': 'silence-message', hidden: true });
  const body = h('tbody');
  const count = h('span', { class: 'muted' });

  function say(text) {
    message.textContent = text;
    message.hidden = false;
  }

  function matcherChips(matchers) {
    return MATCHERS.flatMap((key) =>
      (matchers[key] ?? []).map((value) =>
        h(
          'span',
          { class: 'chip' },
          t('silences.chip', {
            what: t(`silences.chip.${key}`),
            value:
              key === 'districts'
                ? t('silences.subtree', { name: districtName(value) })
                : key === 'kinds'
                  ? kindLabel(value)
                  : value,
          }),
        ),
      ),
    );
  }

  async function expire(silence) {
    try {
      await api(`/silences/${encodeURIComponent(silence.id)}`, { method: 'DELETE' });
      say(t('silences.expired'));
    } catch (error) {
      say(t('common.error', { detail: error.message }));
    }
    await load();
  }

  function row(silence) {
    const state = silenceState(silence);
    const live = state !== 'cancelled' && state !== 'ended';
    return h(
      'tr',
      { 'data-silence': silence.id, class: live ? '' : 'past' },
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge silence-${state}`, 'data-testid': 'silence-state' },
          t(`silences.state.${state}`),
        ),
        silence.cancelled_by
          ? h('div', { class: 'muted' }, t('silences.cancelledBy', { who: silence.cancelled_by }))
          : '',
      ),
      h('td', {}, h('div', { class: 'chips' }, matcherChips(silence.matchers))),
      h(
        'td',
        { class: 'nowrap' },
        formatDateTime(silence.starts_at),
        h('div', { class: 'muted' }, `→ ${formatDateTime(silence.ends_at)}`),
      ),
      h('td', { class: 'window-cell' }, windowText(silence.window)),
      h('td', { class: 'reason-cell' }, silence.reason),
      h(
        'td',
        {},
        silence.created_by,
        h('div', { class: 'muted nowrap' }, formatDateTime(silence.created_at)),
      ),
      h(
        'td',
        {},
        mayWrite && live
          ? h(
              'button',
              { type: 'button', class: 'small', 'data-action': 'expire', onclick: () => expire(silence) },
              t('silences.expire'),
            )
          : '',
      ),
    );
  }

  async function load() {
    const items = await api(`/silences${query({ current: showAll ? 'false' : 'true', limit: 200 })}`);
    if (!isCurrent()) return;
    count.textContent = t('common.count', { count: items.length });
    body.replaceChildren(
      ...(items.length
        ? items.map(row)
        : [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('silences.empty')))]),
    );
  }

  await load();
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('silences.title')),
      h('p', { class: 'muted' }, t('silences.hint')),
    ),
    message,
    h(
      'div',
      { class: mayWrite ? 'silence-layout' : '' },
      h(
        'section',
        { class: 'panel' },
        h(
          'div',
          { class: 'filters' },
          h(
            'label',
            {},
            t('silences.show'),
            h(
              'select',
              {
                'data-testid': 'silence-show',
                onchange: (event) => go('/silences', { show: event.target.value }),
              },
              option('', t('silences.showCurrent'), showAll ? 'all' : ''),
              option('all', t('silences.showAll'), showAll ? 'all' : ''),
            ),
          ),
          count,
        ),
        h(
          'table',
          { class: 'grid', 'data-testid': 'silence-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'silences.stateCol',
                'silences.matches',
                'silences.range',
                'silences.window',
                'silences.reason',
                'silences.createdBy',
                'cameras.actions',
              ].map((k) => h('th', {}, t(k))),
            ),
          ),
          body,
        ),
      ),
      mayWrite ? createForm(tree, say, load) : '',
    ),
  );
  return undefined;
}

function createForm(tree, say, reload) {
  const field = (label, input, hint) =>
    h('label', {}, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : '');
  const cameras = h('input', {
    name: 'cameras',
    list: 'silence-cameras',
    autocomplete: 'off',
    'data-testid': 'silence-cameras',
  });
  const suggestions = h('datalist', { id: 'silence-cameras' });
  cameras.addEventListener('input', async () => {
    const typed = list(cameras.value).at(-1);
    if (!typed) return;
    const page = await api(`/cameras${query({ q: typed, limit: 20 })}`).catch(() => ({ items: [] }));
    suggestions.replaceChildren(...page.items.map((c) => h('option', { value: c.id }, c.name)));
  });
  const district = h(
    'select',
    { name: 'district', 'data-testid': 'silence-district' },
    option('', t('silences.noDistrict'), ''),
    indentedOptions(tree).map((o) => option(o.code, o.label, '')),
  );
  const kind = h(
    'select',
    { name: 'kind', 'data-testid': 'silence-kind' },
    option('', t('common.all'), ''),
    KINDS.map((k) => option(k, kindLabel(k), '')),
  );
  const uplink = h('input', { name: 'uplink', 'data-testid': 'silence-uplink' });
  const tag = h('input', { name: 'tag', 'data-testid': 'silence-tag' });
  const starts = h('input', {
    type: 'datetime-local',
    name: 'starts',
    required: true,
    'data-testid': 'silence-starts',
  });
  const ends = h('input', {
    type: 'datetime-local',
    name: 'ends',
    required: true,
    'data-testid': 'silence-ends',
  });
  const reason = h('textarea', { name: 'reason', rows: 2, required: true, 'data-testid': 'silence-reason' });
  const weekly = h('input', { type: 'checkbox', name: 'weekly', 'data-testid': 'silence-weekly' });
  const from = h('input', { type: 'time', name: 'from', 'data-testid': 'silence-from' });
  const to = h('input', { type: 'time', name: 'to', 'data-testid': 'silence-to' });
  const days = DAYS.map((d) => h('input', { type: 'checkbox', value: String(d), 'data-day': d }));
  const windowFields = h(
    'fieldset',
    { class: 'window-fields', hidden: true },
    h('legend', {}, t('silences.window')),
    h('div', { class: 'inline' }, field(t('silences.from'), from), field(t('silences.to'), to)),
    h(
      'div',
      { class: 'days' },
      days.map((box, d) => h('label', { class: 'day' }, box, dayName(d))),
    ),
    h('small', { class: 'muted' }, t('silences.daysHint')),
  );
  weekly.addEventListener('change', () => {
    windowFields.hidden = !weekly.checked;
  });
  const error = h('p', { class: 'error', role: 'alert', hidden: true, 'data-testid': 'silence-error' });

  async function submit(event) {
    event.preventDefault();
    error.hidden = true;
    const body = {
      cameras: list(cameras.value),
      districts: district.value ? [district.value] : [],
      uplinks: list(uplink.value),
      kinds: kind.value ? [kind.value] : [],
      tags: list(tag.value),
      starts_at: fromZonedInput(starts.value)?.toISOString(),
      ends_at: fromZonedInput(ends.value)?.toISOString(),
      reason: reason.value.trim(),
    };
    if (weekly.checked) {
      body.window = {
        hours: `${from.value}-${to.value === '00:00' ? '24:00' : to.value}`,
        days: days.filter((box) => box.checked).map((box) => Number(box.value)),
      };
    }
    if (!MATCHERS.some((key) => body[key].length)) {
      error.textContent = t('silences.needMatcher');
      error.hidden = false;
      return;
    }
    try {
      await api('/silences', { method: 'POST', body });
      say(t('silences.created'));
      form.reset();
      defaults();
      windowFields.hidden = true;
      await reload();
    } catch (failure) {
      error.textContent = t('common.error', { detail: failure.message });
      error.hidden = false;
    }
  }

  // From now for two hours; a window, when ticked, overnight. Also after a reset (which
  // empties what was set as a property).
  function defaults() {
    const now = Date.now();
    starts.value = toZonedInput(new Date(now));
    ends.value = toZonedInput(new Date(now + 2 * 3600 * 1000));
    from.value = '22:00';
    to.value = '06:00';
  }

  const form = h(
    'form',
    { class: 'silence-form', 'data-testid': 'silence-form', onsubmit: submit },
    h('h2', {}, t('silences.new')),
    h('p', { class: 'muted' }, t('silences.matchHint')),
    field(t('silences.matcher.cameras'), cameras, t('silences.listHint')),
    suggestions,
    field(t('silences.matcher.districts'), district),
    field(t('silences.matcher.kinds'), kind),
    h(
      'div',
      { class: 'inline' },
      field(t('silences.matcher.uplinks'), uplink),
      field(t('silences.matcher.tags'), tag),
    ),
    field(t('silences.starts'), starts),
    field(t('silences.ends'), ends),
    h('small', { class: 'muted' }, t('silences.zoneHint', { tz: currentTimeZone() })),
    field(t('silences.reason'), reason),
    h('label', { class: 'check' }, weekly, t('silences.recurring')),
    windowFields,
    error,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'silence-create' }, t('silences.create')),
  );
  defaults();
  return h('section', { class: 'panel' }, form);
}
