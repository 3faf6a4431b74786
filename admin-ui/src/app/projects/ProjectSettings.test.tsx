// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../App';
import type { Role } from '../../types';
import { type FakeProject, fakeProjectsApi, userNamed } from './fake-projects-api';

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
  server.events.removeAllListeners();
  localStorage.clear();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const bob = userNamed(2, 'bob@example.com', [{ key: 'payments', role: 'editor' }]);
const carol = userNamed(3, 'carol@example.com');

/** Payments, where the caller has `role` and Bob is an editor. */
function payments(role: Role): FakeProject[] {
  return [
    {
      key: 'payments',
      name: 'Payments',
      role,
      members: [{ userId: 2, email: bob.email, name: bob.name, role: 'editor' }],
    },
  ];
}

function openSettings() {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  window.history.pushState({}, '', '/p/payments/settings');
  render(<App />);
}

describe('project settings', () => {
  it('lets an org admin rename, archive, and add, re-role and remove members', async () => {
    const { writes } = fakeProjectsApi(server, {
      orgAdmin: true,
      projects: payments('admin'),
      users: [bob, carol],
    });
    openSettings();
    await screen.findByRole('heading', { name: 'Project settings', level: 1 });

    const name = await screen.findByLabelText('Project name');
    await userEvent.clear(name);
    await userEvent.type(name, 'Payments team');
    await userEvent.click(screen.getByRole('button', { name: 'Rename project' }));
    await screen.findByText('Project renamed to Payments team');

    await userEvent.selectOptions(await screen.findByLabelText('Role of bob@example.com'), 'approver');
    await screen.findByText('bob@example.com is now approver in payments');

    // Only people who are not members yet can be added.
    const pick = screen.getByLabelText('User') as HTMLSelectElement;
    await waitFor(() => expect([...pick.options].map((o) => o.textContent)).toContain('carol@example.com'));
    expect([...pick.options].map((o) => o.textContent)).not.toContain('bob@example.com');
    await userEvent.selectOptions(pick, '3');
    await userEvent.selectOptions(screen.getByLabelText('Role'), 'viewer');
    await userEvent.click(screen.getByRole('button', { name: 'Add member' }));
    await screen.findByText('carol@example.com is now viewer in payments');
    await screen.findByLabelText('Role of carol@example.com');

    await userEvent.click(screen.getByRole('button', { name: 'Remove bob@example.com from payments' }));
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', { name: 'Remove member' }),
    );
    await screen.findByText('bob@example.com removed from payments');
    await waitFor(() => expect(screen.queryByLabelText('Role of bob@example.com')).toBeNull());

    await userEvent.click(screen.getByRole('button', { name: 'Archive project' }));
    const ask = await screen.findByRole('dialog');
    await userEvent.click(within(ask).getByRole('button', { name: 'Archive project' }));
    await screen.findByText(/is archived: its SDK keys keep working/);
    expect(screen.getByRole('button', { name: 'Unarchive project' })).toBeTruthy();

    expect(writes).toEqual([
      'PATCH /projects/payments {"name":"Payments team"}',
      'PUT /projects/payments/members/2 approver',
      'PUT /projects/payments/members/3 viewer',
      'DELETE /projects/payments/members/2',
      'PATCH /projects/payments {"archived":true}',
    ]);
  });

  it('shows a project admin who is no org admin the members to re-role, and who adds people', async () => {
    const { seen } = fakeProjectsApi(server, { orgAdmin: false, projects: payments('admin'), users: [bob] });
    openSettings();
    await screen.findByLabelText('Role of bob@example.com');
    expect(screen.getByText(/Organisation admins add people to a project/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add member' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Archive project' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Rename project' })).toBeTruthy();
    // Listing users is for org admins: never asked.
    expect(seen.filter((call) => call.includes('/api/v1/users'))).toEqual([]);
  });

  it('shows a viewer the members and names, read-only', async () => {
    fakeProjectsApi(server, { orgAdmin: false, projects: payments('viewer') });
    openSettings();
    await screen.findByText('bob@example.com');
    expect(screen.queryByLabelText('Role of bob@example.com')).toBeNull();
    expect(screen.queryByRole('button', { name: /Remove/ })).toBeNull();
    expect((screen.getByLabelText('Project name') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText('Project admins rename the project.')).toBeTruthy();
  });
});
