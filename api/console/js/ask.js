// A small modal form (<dialog>) for the actions that need words or a choice: a reason, an
// assignee, a duration. Resolves with the values, or null when cancelled.

import { h } from './dom.js';
import { t } from './i18n.js';

// fields: [{ name, label, type: 'text'|'textarea'|'select'|'multiselect'|'file', options: [[value, label]],
//           value, required, accept }]; a file field's value is the File chosen (or null), a
// multiselect's the list of values chosen.
export function ask(title, fields) {
  return new Promise((resolve) => {
    const inputs = fields.map((f) => {
      const attrs = { name: f.name, required: f.required ?? false, 'data-testid': `ask-${f.name}` };
      if (f.type === 'select' || f.type === 'multiselect') {
        return h(
          'select',
          { ...attrs, multiple: f.type === 'multiselect', size: f.type === 'multiselect' ? 5 : undefined },
          f.options.map(([v, l]) => h('option', { value: v, selected: v === f.value }, l)),
        );
      }
      if (f.type === 'file') return h('input', { ...attrs, type: 'file', accept: f.accept });
      if (f.type === 'textarea') return h('textarea', { ...attrs, rows: 3 }, f.value ?? '');
      return h('input', { ...attrs, value: f.value ?? '' });
    });
    const dialog = h(
      'dialog',
      { class: 'ask', 'data-testid': 'ask' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', {}, title),
        fields.map((f, i) => h('label', {}, f.label, inputs[i])),
        h(
          'div',
          { class: 'ask-buttons' },
          h(
            'button',
            {
              type: 'button',
              class: 'ghost',
              value: 'cancel',
              'data-testid': 'ask-cancel',
              onclick: () => dialog.close('cancel'),
            },
            t('common.cancel'),
          ),
          h(
            'button',
            { type: 'submit', class: 'primary', value: 'ok', 'data-testid': 'ask-ok' },
            t('common.ok'),
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      const read = (f, input) =>
        f.type === 'file'
          ? (input.files[0] ?? null)
          : f.type === 'multiselect'
            ? [...input.selectedOptions].map((o) => o.value)
            : input.value.trim();
      const values = Object.fromEntries(fields.map((f, i) => [f.name, read(f, inputs[i])]));
      dialog.remove();
      resolve(ok ? values : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
