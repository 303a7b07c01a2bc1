// Entry point of the app shell: the engine, the UI, and the service worker (which keeps
// the shell available offline; a new version takes over only when the user agrees).

import { Engine } from './engine.js';
import { Ui } from './ui.js';
import { t } from './i18n.js';

const engine = new Engine();
// One handle for the browser tests and the device benchmark; it holds nothing the page
// itself does not already hold.
globalThis.tawthiq = engine;
const ui = new Ui(engine, document.getElementById('root'));
globalThis.tawthiqUi = ui;
ui.start().catch((exc) => {
  document.getElementById('root').textContent = `Tawthiq could not start: ${exc.message}`;
});

let updateAccepted = false;

function offerUpdate(reg) {
  const bar = document.getElementById('update');
  bar.replaceChildren();
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = t(ui.lang, 'update_now');
  button.addEventListener('click', () => {
    updateAccepted = true;
    reg.waiting?.postMessage({ type: 'skip-waiting' });
  });
  bar.append(t(ui.lang, 'update_ready'), ' ', button);
  bar.hidden = false;
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/', type: 'classic',
    updateViaCache: 'none' });
  if (reg.waiting && hadController) offerUpdate(reg);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offerUpdate(reg);
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // Only an update the user accepted reloads; the first install just takes control.
    if (updateAccepted) {
      updateAccepted = false;
      location.reload();
    }
  });
}

registerServiceWorker().catch(() => {});
