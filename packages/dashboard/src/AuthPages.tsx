import { useState, type FormEvent } from 'react';
import { api } from './api.js';
import { t } from './i18n.js';

function useSubmit(action: () => Promise<unknown>, onDone: () => void) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    action().then(onDone, (e: Error) => {
      setError(e.message);
      setBusy(false);
    });
  };
  return { error, busy, submit };
}

export function SetupPage({ onDone, codeRequired = false }: { onDone: () => void; codeRequired?: boolean }) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const mismatch = confirm.length > 0 && password !== confirm;
  const { error, busy, submit } = useSubmit(() => api('/api/auth/setup', { method: 'POST', body: codeRequired ? { password, setup_code: code } : { password } }), onDone);
  return (
    <main className="center">
      <form className="card" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">{t('setup.title')}</h1>
        <p>{t('setup.intro')}</p>
        {codeRequired && (
          <>
            <p id="setup-code-hint" className="hint">{t('setup.codeHint')}</p>
            <label>
              {t('setup.code')}
              <input autoComplete="one-time-code" autoCapitalize="characters" spellCheck={false} value={code} onChange={(e) => setCode(e.target.value)} required autoFocus aria-describedby="setup-code-hint" />
            </label>
          </>
        )}
        <label>
          {t('setup.password')}
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={8} required autoFocus={!codeRequired} />
        </label>
        <label>
          {t('setup.repeat')}
          <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required aria-invalid={mismatch} />
        </label>
        {mismatch && <p className="error">{t('setup.mismatch')}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || mismatch || password.length < 8 || (codeRequired && !code.trim())}>{t('setup.title')}</button>
      </form>
    </main>
  );
}

export function LoginPage({ onDone, tokenConfigured }: { onDone: () => void; tokenConfigured: boolean }) {
  const [secret, setSecret] = useState('');
  const { error, busy, submit } = useSubmit(() => api('/api/auth/login', { method: 'POST', body: { password: secret } }), onDone);
  return (
    <main className="center">
      <form className="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">PicoClaw</h1>
        <label>
          {tokenConfigured ? t('login.passwordOrToken') : t('login.password')}
          <input type="password" autoComplete="current-password" value={secret} onChange={(e) => setSecret(e.target.value)} required autoFocus />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || !secret}>{t('login.submit')}</button>
      </form>
    </main>
  );
}
