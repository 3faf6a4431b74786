// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import { SignIn } from './SignIn';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
});
afterAll(() => server.close());

function show(methods: { password: boolean; oidc: boolean }, path = '/login') {
  server.use(http.get('*/api/v1/auth/methods', () => HttpResponse.json(methods)));
  const { Wrapper } = testProviders(path);
  render(<SignIn />, { wrapper: Wrapper });
}

describe('the sign-in page', () => {
  it('offers "Sign in with SSO" as a link to the server, keeping where to go next, beside the password form', async () => {
    show({ password: true, oidc: true }, '/login?next=%2Fsegments');
    const link = await screen.findByRole('link', { name: 'Sign in with SSO' });
    expect(link.getAttribute('href')).toBe('/api/v1/auth/oidc/login?next=%2Fsegments');
    expect(screen.getByLabelText('Email')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeTruthy();
  });

  it('shows only the password form without single sign-on', async () => {
    show({ password: true, oidc: false });
    expect(await screen.findByLabelText('Email')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Sign in with SSO' })).toBeNull();
  });

  it('folds the password form away when password sign-in is off, but keeps it for local accounts', async () => {
    show({ password: false, oidc: true });
    await screen.findByRole('link', { name: 'Sign in with SSO' });
    expect(screen.queryByLabelText('Email')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Use a local account' }));
    expect(screen.getByLabelText('Email')).toBeTruthy();
  });

  it('says what went wrong when single sign-on sent the browser back, and only in its own words', async () => {
    show({ password: true, oidc: true }, '/login?sso_error=no_access');
    expect((await screen.findByRole('alert')).textContent).toContain('You have no access to Ringflag');
    cleanup();
    show({ password: true, oidc: true }, '/login?sso_error=Call%20this%20number');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('Single sign-on failed. Try again.');
  });

  it('tells a single sign-on user whose password may not be used to use single sign-on', async () => {
    server.use(
      http.post('*/api/v1/auth/login', () =>
        HttpResponse.json(
          {
            type: 'about:blank',
            title: 'Unauthorized',
            status: 401,
            detail: 'This account signs in with single sign-on: use "Sign in with SSO"',
            errors: [],
          },
          { status: 401, headers: { 'content-type': 'application/problem+json' } },
        ),
      ),
    );
    show({ password: true, oidc: true });
    await userEvent.type(await screen.findByLabelText('Email'), 'eve@example.com');
    await userEvent.type(screen.getByLabelText('Password'), 'password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('use "Sign in with SSO"');
  });
});
