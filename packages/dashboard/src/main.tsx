import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme } from './Layout.js';
import { language, loadLanguage } from './i18n.js';
import './index.css';

// Before the first render: the page's language for screen readers, and a stored dark theme without a light flash.
document.documentElement.lang = language;
applyTheme();

// The dictionary first (Spanish is a chunk of its own); should it fail to load, the page is in English.
void loadLanguage().catch(() => {}).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
