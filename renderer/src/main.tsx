import './zodJitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { browserRpcUrl, createWebSocketApi, keepSeat, launchKeyInFragment, lockedWorkstationApi, storedSeat, takeLaunchKey } from './api.js';
import { App } from './components/App.js';
import { initStore } from './store/appStore.js';
import { StoreProvider } from './store/react.js';
import './styles.css';
import './routing.css';
import './customers.css';
import './chat.css';
import './cti.css';
import './pii.css';
import './queue.css';
import './reports.css';
import './admin.css';
import './inbox.css';
import './board.css';
import './scripts.css';
import './notify.css';
import './knowledge.css';

// Electron's preload provides the API. In browser mode the page reaches the workstation
// over the browser host's WebSocket, which only accepts this launch's key (docs/technical/hosts.md).
const launchKey = window.workstation ? null : takeLaunchKey();
// The host answers asynchronously, so the store exists by the time it refuses the key.
let onRefused: (reason: 'key' | 'seats_full') => void = () => {};
// Each browser profile has its own seat (its own core and sign-in); the page presents it on every connect.
const api =
  window.workstation ??
  (launchKey
    ? createWebSocketApi(() => browserRpcUrl(launchKey, storedSeat()), { onRefused: (reason) => onRefused(reason), onSeat: keepSeat })
    : lockedWorkstationApi());
const { store } = initStore(api);
onRefused = (reason) => store.getState().setHostLink(reason === 'seats_full' ? 'seats_full' : 'refused');
if (!window.workstation && !launchKey) store.getState().setHostLink('missing_key');
// A new launch link pasted into this tab (the workstation restarted): start over with its key.
window.addEventListener('hashchange', () => {
  if (!window.workstation && launchKeyInFragment(location.hash)) location.reload();
});
const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
