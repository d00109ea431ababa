import './zodJitless.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getWorkstationApi } from './api.js';
import { App } from './components/App.js';
import { initStore } from './store/appStore.js';
import { StoreProvider } from './store/react.js';
import './styles.css';
import './routing.css';
import './customers.css';
import './chat.css';
import './cti.css';
import './pii.css';

const { store } = initStore(getWorkstationApi());
const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
