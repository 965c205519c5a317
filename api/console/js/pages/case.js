// One case: its facts, the running stage's countdown and supervision card, the next
// allowed actions as buttons (from `next_actions`; a reason asked where one is required),
// and the audit trail. Refreshed when the feed announces a change to this case.

import { api } from '../api.js';
import { ask } from '../ask.js';
import { h } from '../dom.js';
import { loadTree } from '../districts-tree.js';
import { subscribe } from '../feed.js';
import { formatDateTime, t } from '../i18n.js';
import { href } from '../router.js';
import { countdown, stageLabel, supervisionFlag, tick } from './cases.js';

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
  fields.push({
    name: 'reason',
    label: next.requires_reason ? t('case.reason') : t('case.noteOptional'),
    type: 'textarea',
    required: next.requires_reason,
  });
  const values = await ask(actionLabel(next.action), fields);
  if (!values) return null;
  const body = {};
  if (values.department_id) body.department_id = values.department_id;
  if (values.extension_h) body.extension_s = Number(values.extension_h) * 3600;
  if (next.requires_reason) body.reason = values.reason;
  else if (values.reason) body.note = values.reason;
  return body;
}

export async function render(main, { args, isCurrent }) {
  const [id] = args;
  const [tree, departments] = await Promise.all([loadTree(), api('/departments').catch(() => [])]);
  const districtName = (code) => tree.byCode.get(code)?.name ?? code;
  const deptName = (did) => departments.find((d) => d.id === did)?.name ?? did ?? '—';
  const message = h('p', { class: 'notice', role: 'status', 'data-testid': 'case-message', hidden: true });

  async function act(next) {
    const body = await askFor(next, departments);
    if (body === null) return;
    try {
      await api(`/cases/${encodeURIComponent(id)}/actions/${next.action}`, { method: 'POST', body });
      message.textContent = t('case.done', { action: actionLabel(next.action) });
    } catch (error) {
      message.textContent = t('common.error', { detail: error.message });
    }
    message.hidden = false;
    await draw();
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
          `#${c.id} ${c.title}`,
          c.supervision === 'none' ? '' : supervisionFlag(c.supervision),
        ),
      ),
      message,
      h(
        'div',
        { class: 'split' },
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
                e.reason ? h('div', { class: 'muted' }, e.reason) : '',
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
