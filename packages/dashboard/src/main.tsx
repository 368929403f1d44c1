import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme } from './Layout.js';
import { language } from './i18n.js';
import './index.css';

// Before the first render: the page's language for screen readers, and a stored dark theme without a light flash.
document.documentElement.lang = language;
applyTheme();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
