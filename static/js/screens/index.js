// Every screen of the unlocked app, in nav order; the first is the default route.
// Each module's default export follows the contract in docs/offline-app.md ("Screens").

import records from './records.js';
import dashboard from './dashboard.js';

export const SCREENS = [
  records,
  dashboard,
];
