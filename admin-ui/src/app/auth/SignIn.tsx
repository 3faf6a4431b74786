import { useState } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { APIError } from '../../api';
import { Field } from '../../components/common/Field';
import { PasswordField } from '../../components/common/PasswordField';
import { FieldErrors } from '../../lib/field-errors';
import { useAuthMethods, useLogin, useSession } from './authApi';

/** Where to go after signing in: a path inside the app, never another site (by default, `/`: a project). */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * What the sign-in page says when single sign-on sent the browser back with `?sso_error=…`: the server
 * sends a fixed word, never text, so a link cannot put words of its choosing on this page.
 */
export const SSO_ERRORS: Readonly<Record<string, string>> = {
  expired: 'The single sign-on took too long or did not start here. Sign in again.',
  denied: 'Your identity provider did not sign you in.',
  refused: "Single sign-on failed: your identity provider's answer could not be verified. Try again.",
  no_access:
    'You have no access to Ringflag: none of your groups at your identity provider is given a role here. Ask an administrator.',
  account: 'Your identity provider account could not be matched to a Ringflag user. Ask an administrator.',
  disabled: 'Your Ringflag account is disabled. Ask an administrator.',
  unavailable: 'Your identity provider cannot be reached right now. Try again shortly.',
  rate_limited: 'Too many sign-in attempts. Wait a few minutes and try again.',
  not_configured: 'Single sign-on is not set up on this server.',
  failed: 'Single sign-on failed. Try again.',
};

/** The message of a failed password sign-in. */
function passwordMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (!(error instanceof APIError)) return error.message;
  if (error.status === 429) return 'Too many attempts. Wait a few minutes and try again.';
  // A single sign-on user whose password may not be used is told to use single sign-on.
  if (error.status === 401) {
    return /single sign-on/i.test(error.detail) ? `${error.detail}.` : 'Wrong email or password.';
  }
  return error.message;
}

/**
 * Sign in with single sign-on (a link to the server, which sends the browser to the identity provider)
 * and/or with email and password, as `GET /api/v1/auth/methods` says; the server keeps the session in
 * an HttpOnly cookie.
 */
export function SignIn() {
  const me = useSession();
  const methods = useAuthMethods();
  const login = useLogin();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [localAccount, setLocalAccount] = useState(false);
  const next = safeNext(params.get('next'));
  if (me.data) return <Navigate to={next} replace />;
  const error = login.error instanceof APIError ? login.error : undefined;
  const errors = error ? new FieldErrors(error.errors) : FieldErrors.none;
  const ssoError = params.get('sso_error');
  const message =
    passwordMessage(login.error) ??
    (ssoError === null ? undefined : (SSO_ERRORS[ssoError] ?? SSO_ERRORS.failed));
  const sso = methods.data?.oidc === true;
  // Without password sign-in for single sign-on users, the form stays folded away for local accounts.
  const showForm = methods.data?.password !== false || localAccount;
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
        {sso && (
          <a
            className={`button ${showForm ? '' : 'button-primary '}button-block`}
            href={`/api/v1/auth/oidc/login?next=${encodeURIComponent(next)}`}
          >
            Sign in with SSO
          </a>
        )}
        {sso && !showForm && (
          <button type="button" className="button button-ghost" onClick={() => setLocalAccount(true)}>
            Use a local account
          </button>
        )}
        {showForm && sso && <p className="signin-or muted">or with your email and password</p>}
        {showForm && (
          <>
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
          </>
        )}
      </form>
    </main>
  );
}
