import { useState } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { APIError } from '../../api';
import { Field } from '../../components/common/Field';
import { PasswordField } from '../../components/common/PasswordField';
import { FieldErrors } from '../../lib/field-errors';
import { useLogin, useMe } from './authApi';

/** Where to go after signing in: a path inside the app, never another site. */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/flags';
}

/** Sign in with email and password; the server keeps the session in an HttpOnly cookie. */
export function SignIn() {
  const me = useMe();
  const login = useLogin();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  if (me.data) return <Navigate to={safeNext(params.get('next'))} replace />;
  const error = login.error instanceof APIError ? login.error : undefined;
  const errors = error ? new FieldErrors(error.errors) : FieldErrors.none;
  const message =
    error?.status === 401
      ? 'Wrong email or password.'
      : error?.status === 429
        ? 'Too many attempts. Wait a few minutes and try again.'
        : login.error?.message;
  return (
    <main className="signin">
      <form
        className="signin-card"
        onSubmit={(event) => {
          event.preventDefault();
          login.mutate({ email, password });
        }}
      >
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          <span>Ringflag</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Release safely: dark launches, rings and kill switches.</p>
        {message && (
          <p className="banner banner-error" role="alert">
            {message}
          </p>
        )}
        <Field label="Email" errors={errors.exact('email')}>
          {(p) => (
            <input
              {...p}
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          )}
        </Field>
        <PasswordField
          label="Password"
          errors={errors.exact('password')}
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
        />
        <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
