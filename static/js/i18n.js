// The shell's own words in Arabic and English. Field and vocabulary labels come from the
// server's schemas (app/vocabularies.py), cached sealed on the device.

export const STRINGS = {
  app: { en: 'Tawthiq', ar: 'توثيق' },
  login: { en: 'Log in', ar: 'تسجيل الدخول' },
  username: { en: 'Username', ar: 'اسم المستخدم' },
  password: { en: 'Password', ar: 'كلمة المرور' },
  new_password: { en: 'New password', ar: 'كلمة مرور جديدة' },
  change_password: { en: 'Choose your own password', ar: 'اختر كلمة مرور خاصة بك' },
  online_needed: { en: 'The first log in needs the network.', ar: 'يحتاج أول تسجيل دخول إلى الشبكة.' },
  passphrase: { en: 'Device passphrase', ar: 'عبارة مرور الجهاز' },
  passphrase_again: { en: 'Passphrase again', ar: 'عبارة المرور مرة أخرى' },
  choose_passphrase: { en: 'Choose a device passphrase', ar: 'اختر عبارة مرور للجهاز' },
  passphrase_help: {
    en: 'It encrypts everything kept on this phone. It is never sent anywhere and cannot be recovered: at least 8 characters.',
    ar: 'تُشفِّر كل ما يُحفظ على هذا الهاتف. لا تُرسل إلى أي مكان ولا يمكن استعادتها: 8 أحرف على الأقل.',
  },
  passphrases_differ: { en: 'The two passphrases differ.', ar: 'عبارتا المرور مختلفتان.' },
  too_short: { en: 'Use at least 8 characters.', ar: 'استخدم 8 أحرف على الأقل.' },
  unlock: { en: 'Unlock', ar: 'فتح القفل' },
  locked: { en: 'Locked', ar: 'مقفل' },
  wrong_passphrase: { en: 'Wrong passphrase ({n} tries).', ar: 'عبارة مرور خاطئة ({n} محاولات).' },
  offline_unlock: { en: 'Unlock offline (passphrase only)', ar: 'فتح دون اتصال (عبارة المرور فقط)' },
  lock: { en: 'Lock', ar: 'قفل' },
  logout: { en: 'Log out', ar: 'تسجيل الخروج' },
  wipe: { en: 'Wipe this device', ar: 'امسح هذا الجهاز' },
  wipe_warning: {
    en: '{n} changes have not reached the server and will be lost. Wipe anyway?',
    ar: 'لم تصل {n} تغييرات إلى الخادم وستضيع. هل تريد المسح رغم ذلك؟',
  },
  wipe_confirm: { en: 'Delete everything on this device?', ar: 'حذف كل شيء على هذا الجهاز؟' },
  wiped: { en: 'This device was wiped.', ar: 'تم مسح هذا الجهاز.' },
  sync_now: { en: 'Sync now', ar: 'زامن الآن' },
  waiting: { en: 'Waiting to send: {n}', ar: 'بانتظار الإرسال: {n}' },
  all_sent: { en: 'Everything sent', ar: 'أُرسل كل شيء' },
  offline: { en: 'Offline', ar: 'دون اتصال' },
  syncing: { en: 'Syncing…', ar: 'جارٍ المزامنة…' },
  last_sync: { en: 'Last sync {t}', ar: 'آخر مزامنة {t}' },
  sync_failed: { en: 'Sync failed: {e}', ar: 'فشلت المزامنة: {e}' },
  rejected: { en: 'Refused by the server', ar: 'رفضها الخادم' },
  not_registered: { en: 'Device not registered: log in online.', ar: 'الجهاز غير مسجل: سجّل الدخول وأنت متصل.' },
  search: { en: 'Search names', ar: 'ابحث في الأسماء' },
  new: { en: 'New', ar: 'جديد' },
  save: { en: 'Save', ar: 'حفظ' },
  cancel: { en: 'Cancel', ar: 'إلغاء' },
  edit: { en: 'Edit', ar: 'تعديل' },
  delete: { en: 'Delete', ar: 'حذف' },
  records: { en: 'Records on this device', ar: 'السجلات على هذا الجهاز' },
  no_records: { en: 'No records yet.', ar: 'لا توجد سجلات بعد.' },
  conflict: { en: 'Conflicting values', ar: 'قيم متعارضة' },
  choose_value: { en: 'Keep this value', ar: 'اعتمد هذه القيمة' },
  needs_review: { en: 'Needs review', ar: 'بحاجة إلى مراجعة' },
  required: { en: 'Required', ar: 'مطلوب' },
  language: { en: 'العربية', ar: 'English' },
  update_ready: { en: 'A new version is ready.', ar: 'نسخة جديدة جاهزة.' },
  update_now: { en: 'Update', ar: 'تحديث' },
  no_schemas: { en: 'Forms need one online log in first.', ar: 'تحتاج النماذج إلى تسجيل دخول واحد مع اتصال أولاً.' },
  menu: { en: 'Menu', ar: 'القائمة' },
  needs_network: { en: 'This page needs the network.', ar: 'تحتاج هذه الصفحة إلى الشبكة.' },
  needs_login: { en: 'Log in online to open this page.', ar: 'سجّل الدخول مع اتصال لفتح هذه الصفحة.' },
  other_user: { en: 'This device belongs to another user.', ar: 'هذا الجهاز يخص مستخدماً آخر.' },
};

/** Screens bring their own words (screen.strings); a key defined twice is a bug. */
export function addStrings(strings) {
  for (const [key, entry] of Object.entries(strings || {})) {
    if (STRINGS[key] && STRINGS[key] !== entry) throw new Error(`i18n key defined twice: ${key}`);
    STRINGS[key] = entry;
  }
}

/**
 * A moment (Date, epoch ms or ISO text) in the user's language: medium date and time;
 * `seconds` where close events must be told apart, `utc` for server-computed times. Empty
 * for nothing; text that is not a date comes back as it was.
 */
export function formatTime(lang, at, { seconds = false, utc = false } = {}) {
  if (at === null || at === undefined || at === '') return '';
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return typeof at === 'string' ? at : '';
  const text = d.toLocaleString(lang === 'ar' ? 'ar' : 'en-GB', { dateStyle: 'medium',
    timeStyle: seconds ? 'medium' : 'short', ...(utc ? { timeZone: 'UTC' } : {}) });
  return utc ? `${text} UTC` : text;
}

export function t(lang, key, params = {}) {
  const entry = STRINGS[key];
  let text = entry ? (entry[lang] || entry.en) : key;
  for (const [k, v] of Object.entries(params)) text = text.replace(`{${k}}`, String(v));
  return text;
}
