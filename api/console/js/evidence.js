// An alert's pictures (`evidence`: { fault_url, before_url | null } or null): a thumbnail
// of the fault picture in its row, opening it full size beside the picture from before.

import { t } from './i18n.js';
import { thumbnail } from './images.js';

// The pictures to show side by side, before first; none without evidence.
export function evidencePictures(evidence) {
  if (!evidence?.fault_url) return [];
  const before = evidence.before_url ? [{ url: evidence.before_url, caption: t('evidence.before') }] : [];
  return [...before, { url: evidence.fault_url, caption: t('evidence.fault') }];
}

// The row's thumbnail, or null (nothing shown) when the alert has no evidence.
export function evidenceThumb(alert) {
  const pictures = evidencePictures(alert.evidence);
  if (!pictures.length) return null;
  return thumbnail(alert.evidence.fault_url, {
    caption: t('evidence.fault'),
    title: t('evidence.title', { camera: alert.camera_id ?? '' }),
    pictures,
    testid: 'evidence-thumb',
  });
}
