// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import { Users } from './Users';

const server = setupServer();
beforeAll(() => {
  // happy-dom has no modal dialogs; the element only needs to open and close.
  HTMLDialogElement.prototype.showModal ??= function showModal(this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  server.listen({ onUnhandledRequest: 'error' });
});
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const user = (id: number, email: string, role: string) => ({
  id,
  email,
  name: email,
  orgAdmin: role === 'admin',
  role,
  projects: [{ key: 'default', role }],
  sso: false,
  disabled: false,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
});

describe('Users', () => {
  it('adds a user with a password (no invitation is sent) and resets another user’s password', async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
    document.cookie = 'rf_csrf=token';
    const writes: string[] = [];
    server.use(
      http.get('*/api/v1/me', () =>
        HttpResponse.json({
          kind: 'user',
          id: 1,
          name: 'admin@example.com',
          role: 'admin',
          orgAdmin: true,
          project: 'default',
          environments: null,
        }),
      ),
      http.get('*/api/v1/users', () =>
        HttpResponse.json({
          items: [user(1, 'admin@example.com', 'admin'), user(2, 'ed@example.com', 'editor')],
        }),
      ),
      http.post('*/api/v1/users', async ({ request }) => {
        writes.push(`POST ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(user(3, 'vi@example.com', 'viewer'), { status: 201 });
      }),
      http.patch('*/api/v1/users/:id', async ({ params, request }) => {
        writes.push(`PATCH ${String(params.id)} ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(user(2, 'ed@example.com', 'editor'));
      }),
    );
    const { Wrapper } = testProviders('/users');
    render(<Users />, { wrapper: Wrapper });
    await screen.findByRole('heading', { name: 'Add a user' });
    expect(screen.queryByText(/invite/i)).toBeNull();
    expect(screen.getByText(/Ringflag sends no email/)).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Email'), 'vi@example.com');
    await userEvent.type(screen.getByLabelText('Initial password'), 'viewer-password-1');
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await screen.findByText('Added vi@example.com: give them the password privately');

    await userEvent.click(
      await screen.findByRole('button', { name: 'Reset the password of ed@example.com' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/is signed out everywhere/)).toBeTruthy();
    await userEvent.type(within(dialog).getByLabelText('New password'), 'reset-password-3');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set new password' }));
    await screen.findByText('New password set for ed@example.com; their sessions were signed out');
    await waitFor(() =>
      expect(writes).toEqual([
        'POST {"email":"vi@example.com","password":"viewer-password-1","role":"viewer","orgAdmin":false}',
        'PATCH 2 {"password":"reset-password-3"}',
      ]),
    );
  });

  it('shows who is an org admin and each user’s projects, and sets both', async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
    document.cookie = 'rf_csrf=token';
    const writes: string[] = [];
    const dana = {
      ...user(4, 'dana@example.com', 'viewer'),
      projects: [
        { key: 'default', role: 'viewer' },
        { key: 'payments', role: 'approver' },
      ],
    };
    server.use(
      http.get('*/api/v1/me', () =>
        HttpResponse.json({
          kind: 'user',
          id: 1,
          name: 'admin@example.com',
          role: 'admin',
          orgAdmin: true,
          project: 'default',
          environments: null,
        }),
      ),
      http.get('*/api/v1/users', () =>
        HttpResponse.json({ items: [user(1, 'admin@example.com', 'admin'), dana] }),
      ),
      http.post('*/api/v1/users', async ({ request }) => {
        writes.push(`POST ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(
          { ...user(5, 'ops@example.com', 'admin'), role: null, projects: [] },
          {
            status: 201,
          },
        );
      }),
      http.patch('*/api/v1/users/:id', async ({ params, request }) => {
        writes.push(`PATCH ${String(params.id)} ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(dana);
      }),
    );
    const { Wrapper } = testProviders('/users');
    render(<Users />, { wrapper: Wrapper });
    const projects = await screen.findByRole('list', { name: 'Projects of dana@example.com' });
    expect([...projects.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'default: viewer',
      'payments: approver',
    ]);
    expect(screen.getByText('admin everywhere')).toBeTruthy();
    expect(
      (screen.getByLabelText('admin@example.com is an organisation admin') as HTMLInputElement).checked,
    ).toBe(true);

    // A new org admin without a role of their own in the default project.
    await userEvent.type(screen.getByLabelText('Email'), 'ops@example.com');
    await userEvent.type(screen.getByLabelText('Initial password'), 'ops-password-12');
    await userEvent.selectOptions(screen.getByLabelText('Role'), 'none');
    await userEvent.click(screen.getByLabelText(/^Organisation admin/));
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }));
    await screen.findByText('Added ops@example.com: give them the password privately');

    await userEvent.click(screen.getByLabelText('dana@example.com is an organisation admin'));
    await screen.findByText('dana@example.com is now an organisation admin');
    await userEvent.selectOptions(
      screen.getByLabelText('Role of dana@example.com in the default project'),
      'none',
    );
    await screen.findByText('dana@example.com has no role in the default project now');
    await waitFor(() =>
      expect(writes).toEqual([
        'POST {"email":"ops@example.com","password":"ops-password-12","orgAdmin":true}',
        'PATCH 4 {"orgAdmin":true}',
        'PATCH 4 {"role":null}',
      ]),
    );
  });
});
