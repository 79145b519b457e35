import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Client } from './api';
import { App } from './App';
import { ClientContext } from './ui';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <ClientContext.Provider value={new Client()}>
      <App />
    </ClientContext.Provider>
  </StrictMode>,
);
