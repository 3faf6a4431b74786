// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import { Account } from './Account';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

function setup() {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  const sent: unknown[] = [];
  server.use(
    http.get('*/api/v1/me', () =>
      HttpResponse.json({ kind: 'user', id: 2, name: 'ed@example.com', role: 'editor', environments: null }),
    ),
    http.post('*/api/v1/me/password', async ({ request }) => {
      const body = (await request.json()) as { currentPassword: string };
      sent.push(body);
      if (body.currentPassword !== 'old-password-1') {
        return HttpResponse.json(
          {
            type: 'about:blank',
            title: 'Validation failed',
            status: 400,
            detail: 'The current password is wrong',
            errors: [{ path: 'currentPassword', message: 'is not your current password' }],
          },
          { status: 400, headers: { 'content-type': 'application/problem+json' } },
        );
      }
      return new HttpResponse(null, { status: 204 });
    }),
  );
  const { Wrapper } = testProviders('/account');
  render(<Account />, { wrapper: Wrapper });
  return sent;
}

const fill = async (current: string, next: string, again = next) => {
  for (const [label, value] of [
    ['Current password', current],
    ['New password', next],
    ['New password again', again],
  ] as const) {
    const input = screen.getByLabelText(label);
    await userEvent.clear(input);
    await userEvent.type(input, value);
  }
  await userEvent.click(screen.getByRole('button', { name: 'Change password' }));
};

describe('Account', () => {
  it('changes the password with the current one, and says the other sessions ended', async () => {
    const sent = setup();
    await screen.findByText('ed@example.com');
    await fill('old-password-1', 'new-password-2');
    await screen.findByText('Password changed. Your other sessions were signed out.');
    expect(sent).toEqual([{ currentPassword: 'old-password-1', newPassword: 'new-password-2' }]);
    expect((screen.getByLabelText('Current password') as HTMLInputElement).value).toBe('');
  });

  it('asks for the new password twice, and shows a wrong current password at its field', async () => {
    const sent = setup();
    await screen.findByText('ed@example.com');
    await fill('old-password-1', 'new-password-2', 'new-password-3');
    await screen.findByText('does not match the new password');
    expect(sent).toEqual([]);

    await fill('a-guess', 'new-password-2');
    const current = screen.getByLabelText('Current password');
    await waitFor(() => expect(current.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('is not your current password')).toBeTruthy();
    expect(sent).toHaveLength(1);
  });
});
