// One case: its facts, the running stage's countdown and supervision card, the next
// allowed actions as buttons (from `next_actions`; a reason asked where one is required,
// and a photo offered when resolving), the roll call of a whistle (吹哨报到), and the audit
// trail with its notes and photos. Refreshed when the feed announces a change to this case.

import { api } from '../api.js';
import { ask } from '../ask.js';
import { caseTitle } from '../case-title.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { subscribe } from '../feed.js';
import { formatDateTime, t } from '../i18n.js';
import { thumbnail } from '../images.js';
import { href } from '../router.js';
import { rollCallPanel } from './case-whistle.js';
import { countdown, stageLabel, supervisionFlag, tick } from './cases.js';

const PHOTO_TYPES = 'image/jpeg,image/png,image/webp';

function actionLabel(action) {
  return t(`caseAction.${action}`);
}

async function askFor(next, departments) {
  const fields = [];
  if (next.needs_department) {
    fields.push({
      name: 'department_id',
      label: t('case.department'),
      type: 'select',
      required: true,
      options: departments.map((d) => [d.id, d.name]),
    });
  }
  if (next.needs_extension) {
    fields.push({
      name: 'extension_h',
      label: t('case.extensionHours'),
      type: 'select',
      value: '8',
      options: ['4', '8', '16', '40'].map((n) => [n, t('duration.hours', { h: n })]),
    });
  }
  const resolving = next.action === 'resolve';
  fields.push({
    name: 'reason',
    label: resolving
      ? t('case.resolution')
      : next.requires_reason
        ? t('case.reason')
        : t('case.noteOptional'),
    type: 'textarea',
    required: next.requires_reason,
  });
  if (resolving) {
    fields.push({ name: 'note', label: t('case.noteOptional'), type: 'text' });
    fields.push({ name: 'photo', label: t('case.photo'), type: 'file', accept: PHOTO_TYPES });
  }
  const values = await ask(actionLabel(next.action), fields);
  if (!values) return null;
  const body = { photo: values.photo ?? null };
  if (values.note) body.note = values.note;
  if (values.department_id) body.department_id = values.department_id;
  if (values.extension_h) body.extension_s = Number(values.extension_h) * 3600;
  if (next.requires_reason) body.reason = values.reason;
  else if (values.reason) body.note = values.reason;
  return body;
}

// What an audit row says beyond its action: a note, photos, a card, who checked in.
function eventDetail(e, caseId, deptName) {
  const data = e.data ?? {};
  const photos = data.photos ?? (data.photo ? [data.photo] : []);
  return [
    e.action === 'supervise' && data.level ? supervisionFlag(data.level) : '',
    e.action === 'check_in' ? ` · ${deptName(data.department_id)} ${t(`whistle.state.${data.state}`)}` : '',
    e.reason ? h('div', { class: 'muted' }, e.reason) : '',
    data.note ? h('div', { class: 'muted' }, t('case.noteIs', { note: data.note })) : '',
    photos.length
      ? h(
          'div',
          { class: 'thumbs' },
          photos.map((photo) =>
            thumbnail(`/cases/${caseId}/photos/${photo}`, {
              caption: t('case.photoOf', { action: actionLabel(e.action), who: e.actor }),
              testid: 'case-photo',
            }),
          ),
        )
      : '',
  ];
}

export async function render(main, { args, isCurrent }) {
  const [id] = args;
  const [tree, departments] = await Promise.all([loadTree(), api('/departments').catch(() => [])]);
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const deptName = (did) => departments.find((d) => d.id === did)?.name ?? did ?? '—';
  const message = h('p', { class: 'notice', role: 'status', 'data-testid': 'case-message', hidden: true });

  // The outcome shows once the page is redrawn, so what it says is already on screen.
  async function done(text) {
    await draw();
    message.textContent = text;
    message.hidden = false;
  }

  async function act(next) {
    const asked = await askFor(next, departments);
    if (asked === null) return;
    const { photo, ...body } = asked;
    try {
      if (photo) {
        const kept = await api(`/cases/${encodeURIComponent(id)}/photos`, { method: 'POST', raw: photo });
        body.photos = [kept.id];
      }
      await api(`/cases/${encodeURIComponent(id)}/actions/${next.action}`, { method: 'POST', body });
      await done(t('case.done', { action: actionLabel(next.action) }));
    } catch (error) {
      await done(t('common.error', { detail: error.message }));
    }
  }

  async function draw() {
    const c = await api(`/cases/${encodeURIComponent(id)}`);
    if (!isCurrent()) return;
    const fact = (key, value) => [h('dt', {}, t(key)), h('dd', {}, value)];
    main.replaceChildren(
      h(
        'div',
        { class: 'page-head' },
        h('p', {}, h('a', { href: href('/cases') }, `← ${t('cases.title')}`)),
        h(
          'h1',
          { 'data-testid': 'case-title' },
          `#${c.id} ${caseTitle(c, districtName)}`,
          c.supervision === 'none' ? '' : supervisionFlag(c.supervision),
        ),
      ),
      message,
      h(
        'div',
        { class: 'split' },
        h(
          'div',
          { class: 'stack' },
          h(
            'section',
            { class: 'panel' },
            h('h2', {}, t('case.facts')),
            h(
              'dl',
              { class: 'facts' },
              fact('cases.status', h('span', { 'data-testid': 'case-status' }, t(`caseStatus.${c.status}`))),
              fact('cases.stage', stageLabel(c.stage)),
              fact('cases.deadline', countdown(c)),
              fact('cases.priority', c.priority),
              fact('cameras.district', districtName(c.district_code)),
              fact('case.department', deptName(c.department_id)),
              fact(
                'case.camera',
                c.camera_id ?? (c.is_group ? t('case.cameras', { n: c.cameras_affected }) : '—'),
              ),
              fact('cases.opened', `${formatDateTime(c.opened_at)} · ${c.opened_by}`),
              fact('case.alerts', c.alerts.length ? c.alerts.join(', ') : '—'),
            ),
            h('h2', { class: 'spaced' }, t('case.next')),
            h(
              'div',
              { class: 'case-actions', 'data-testid': 'next-actions' },
              c.next_actions.length
                ? c.next_actions.map((next, i) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        class: i === 0 ? 'primary' : '',
                        'data-action': next.action,
                        onclick: () => act(next),
                      },
                      actionLabel(next.action),
                      next.requires_reason ? ' …' : '',
                    ),
                  )
                : h('p', { class: 'muted' }, t('case.noActions')),
            ),
          ),
          c.roll_call.length || c.may_whistle ? rollCallPanel(c, { departments, deptName, done }) : '',
        ),
        h(
          'section',
          { class: 'panel' },
          h('h2', {}, t('case.history')),
          h(
            'ol',
            { class: 'history', 'data-testid': 'case-history' },
            c.history.map((e) =>
              h(
                'li',
                {},
                h('span', { class: 'nowrap muted' }, formatDateTime(e.at)),
                ' ',
                h('strong', {}, actionLabel(e.action)),
                ' · ',
                e.actor,
                e.from_status === e.to_status
                  ? ''
                  : ` · ${e.from_status ? `${t(`caseStatus.${e.from_status}`)} ` : ''}→ ${t(`caseStatus.${e.to_status}`)}`,
                eventDetail(e, c.id, deptName),
              ),
            ),
          ),
        ),
      ),
    );
  }

  await draw();
  const stop = subscribe(['case'], {
    onChange: (change) => String(change.entity_id) === String(id) && draw(),
  });
  const timer = setInterval(() => tick(main), 30000);
  return () => {
    stop();
    clearInterval(timer);
  };
}
