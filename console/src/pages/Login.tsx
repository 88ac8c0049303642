import { useState } from 'react';
import { login, type Session } from '../api';
import { ErrorLine, useFormSubmit } from '../ui';

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, onSubmit } = useFormSubmit(async () => onLogin(await login(username, password)), () => undefined);

  return (
    <div className="login-wrap">
      <form className="card login" onSubmit={onSubmit} data-testid="login-form">
        <h2>
          <span className="logo">N</span> Nomen console
        </h2>
        <p className="muted">Authentication is enabled on this server. Sign in to continue.</p>
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorLine error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
