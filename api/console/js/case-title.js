// A case's title in the reader's language, from its fields: the stored `title` is the
// API's plain-text summary for integrations and is in English.

import { caseKindLabel, t } from './i18n.js';

export function caseTitle(c, districtName) {
  const where = c.camera_id ?? districtName(c.district_code);
  const kind = caseKindLabel(c.kind);
  return c.is_group
    ? t('case.titleGroup', { kind, where, count: c.cameras_affected })
    : t('case.titleOne', { kind, where });
}
