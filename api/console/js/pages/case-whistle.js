// 吹哨报到 on the case page: the roll call of the departments summoned to the case (one
// lead, the rest assisting, each with its own check-in deadline and card), 报到 (check in)
// for the rows the user may answer for, and 吹哨 (whistle) for the command center.

import { api } from '../api.js';
import { ask } from '../ask.js';
import { h } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { currentUser } from '../session.js';
import { countdown, supervisionFlag } from './cases.js';

function mayCheckIn(row) {
  const user = currentUser();
  if (row.checked_in_at || !(user.permissions ?? []).includes('cases:act')) return false;
  return user.role === 'handler' ? user.department_id === row.department_id : true;
}

async function whistle(caseId, departments) {
  const options = departments.map((d) => [d.id, d.name]);
  const values = await ask(t('whistle.title'), [
    { name: 'lead', label: t('whistle.lead'), type: 'select', required: true, options },
    { name: 'assist', label: t('whistle.assist'), type: 'multiselect', options },
    { name: 'reason', label: t('whistle.reason'), type: 'textarea', required: true },
  ]);
  if (!values) return null;
  const summoned = [
    { department_id: values.lead, role: 'lead' },
    ...values.assist.filter((id) => id !== values.lead).map((id) => ({ department_id: id, role: 'assist' })),
  ];
  await api(`/cases/${caseId}/whistle`, {
    method: 'POST',
    body: { departments: summoned, reason: values.reason },
  });
  return t('whistle.done', { n: summoned.length });
}

async function checkIn(caseId, row, deptName) {
  const answer = await api(`/cases/${caseId}/check-in`, {
    method: 'POST',
    body: { department_id: row.department_id },
  });
  return t(`whistle.checkedIn.${answer.state}`, { dept: deptName(row.department_id) });
}

// The panel; `done(message)` reports an outcome (or an error) and redraws the page.
export function rollCallPanel(c, { departments, deptName, done }) {
  const run = (work) =>
    work().then(
      (message) => message && done(message),
      (error) => done(t('common.error', { detail: error.message })),
    );
  const rows = c.roll_call.map((r) =>
    h(
      'tr',
      { 'data-department': r.department_id },
      h('td', {}, deptName(r.department_id)),
      h('td', {}, t(`whistle.role.${r.role}`)),
      h(
        'td',
        { class: 'nowrap' },
        r.checked_in_at
          ? t('whistle.inAt', { at: formatDateTime(r.checked_in_at) })
          : countdown({ stage_deadline: r.deadline, overdue: r.state === 'never_came' }),
      ),
      h(
        'td',
        {},
        h(
          'span',
          { class: `checkin ${r.state}`, 'data-testid': 'checkin-state' },
          t(`whistle.state.${r.state}`),
        ),
      ),
      h('td', {}, supervisionFlag(r.supervision)),
      h(
        'td',
        {},
        mayCheckIn(r)
          ? h(
              'button',
              {
                type: 'button',
                class: 'small primary',
                'data-action': 'check-in',
                onclick: () => run(() => checkIn(c.id, r, deptName)),
              },
              t('whistle.checkIn'),
            )
          : '',
      ),
    ),
  );
  return h(
    'section',
    { class: 'panel', 'data-testid': 'roll-call' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', {}, t('whistle.rollCall')),
      c.may_whistle
        ? h(
            'button',
            {
              type: 'button',
              'data-action': 'whistle',
              onclick: () => run(() => whistle(c.id, departments)),
            },
            t('whistle.blow'),
          )
        : '',
    ),
    rows.length
      ? h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'case.department',
                'whistle.roleCol',
                'whistle.deadline',
                'whistle.stateCol',
                'cases.supervision',
                'cameras.actions',
              ].map((k) => h('th', {}, t(k))),
            ),
          ),
          h('tbody', {}, rows),
        )
      : h('p', { class: 'muted' }, t('whistle.none')),
  );
}
