import { useId, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';
import { LanguageSelect } from './LanguageSelect.js';

export function SignIn() {
  const t = useT();
  const ids = { username: useId(), password: useId() };
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const { signingIn, signInError, signIn, sessionEnded } = useAppStore(
    useShallow((s) => ({ signingIn: s.signingIn, signInError: s.signInError, signIn: s.signIn, sessionEnded: s.connection.sessionEnded })),
  );

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const incomplete = username.trim() === '' || password === '';
    setMissing(incomplete);
    if (!incomplete) void signIn(username.trim(), password);
  }

  return (
    <div className="signin-screen">
      <div className="signin-language">
        <LanguageSelect />
      </div>
      <main className="signin-card">
        <h1 className="signin-brand">{t('app.name')}</h1>
        <p className="signin-tagline">{t('app.tagline')}</p>
        <form onSubmit={submit} className="signin-form">
          <h2>{t('signIn.title')}</h2>
          {sessionEnded && !signInError ? (
            <p role="status" className="form-notice">
              {t(sessionEnded === 'revoked' ? 'signIn.sessionRevoked' : 'signIn.sessionExpired')}
            </p>
          ) : null}
          <label htmlFor={ids.username}>{t('signIn.username')}</label>
          <input id={ids.username} name="username" autoComplete="username" autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
          <label htmlFor={ids.password}>{t('signIn.password')}</label>
          <input
            id={ids.password}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {missing || signInError ? (
            <p role="alert" className="form-error">
              {missing ? t('signIn.missing') : signInError ? errorText(t, signInError) : null}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={signingIn} aria-busy={signingIn}>
            {t('signIn.submit')}
          </button>
          {signingIn ? <p className="muted">{t('signIn.busy')}</p> : null}
        </form>
      </main>
    </div>
  );
}
