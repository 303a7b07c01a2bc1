// Every screen of the unlocked app, in nav order; the first is the default route.
// Each module's default export follows the contract in docs/offline-app.md ("Screens").

import records from './records.js';
import record from './record.js';
import conflicts from './conflicts.js';
import review from './review.js';
import dashboard from './dashboard.js';
import admin from './admin.js';
import exports from './exports.js';
import storage from './storage.js';

export const SCREENS = [
  records,
  record,
  conflicts,
  review,
  dashboard,
  admin,
  exports,
  storage,
];
