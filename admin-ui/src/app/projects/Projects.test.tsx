// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../App';
import { switchedPath } from '../../components/layout/current-project';
import type { Project } from '../../types';
import { type FakeProject, fakeProjectsApi } from './fake-projects-api';
import { chooseProject } from './Home';

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

/** Two teams' projects: a viewer in the default one, an admin in payments, no role in secret. */
const teams = (): FakeProject[] => [
  { key: 'default', name: 'Default', role: 'viewer', flags: ['old-checkout'] },
  { key: 'payments', name: 'Payments', role: 'admin', flags: ['new-checkout'] },
  { key: 'secret', name: 'Secret', role: null, flags: ['hidden'] },
];

/** The whole app at `path`, signed in. */
function openApp(path: string) {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  window.history.pushState({}, '', path);
  render(<App />);
}

/** The API paths called, without those of the organisation (the caller, projects, users). */
const projectCalls = (seen: readonly string[]) =>
  seen.filter((call) => !/ \/api\/v1\/(me|projects|users)(\/[^/]+)?$/.test(call));

describe('project addresses', () => {
  it('sends an address from before projects to the same page of the default project, and its API calls there', async () => {
    const { seen } = fakeProjectsApi(server, { orgAdmin: false, projects: teams() });
    openApp('/flags?q=old#top');
    await screen.findByText('Flag old-checkout of default');
    expect(window.location.pathname).toBe('/p/default/flags');
    expect(window.location.search).toBe('?q=old');
    expect(window.location.hash).toBe('#top');
    // Every project-scoped call went to the default project by name; none went unprefixed.
    const calls = projectCalls(seen);
    expect(calls).toContain('GET /api/v1/projects/default/flags');
    expect(calls).toContain('GET /api/v1/projects/default/me');
    expect(calls.filter((call) => !call.includes(' /api/v1/projects/default/'))).toEqual([]);
    // The session check is the one unscoped call.
    expect(seen).toContain('GET /api/v1/me');
  });

  it('opens the project this browser last worked in at /, else the default one, else the first', async () => {
    const { seen } = fakeProjectsApi(server, { orgAdmin: false, projects: teams() });
    localStorage.setItem('ringflag.project', 'payments');
    openApp('/');
    await screen.findByText('Flag new-checkout of payments');
    expect(window.location.pathname).toBe('/p/payments/flags');
    expect(seen).toContain('GET /api/v1/projects/payments/flags');

    const project = (key: string): Project => ({
      key,
      name: key,
      archived: false,
      role: 'viewer',
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(chooseProject([project('a'), project('default')], 'gone')?.key).toBe('default');
    expect(chooseProject([project('a'), project('default')], 'a')?.key).toBe('a');
    expect(chooseProject([project('payments')], null)?.key).toBe('payments');
    expect(chooseProject([], null)).toBeUndefined();
  });

  it('says so for a project the caller has no role in', async () => {
    fakeProjectsApi(server, { orgAdmin: false, projects: teams() });
    openApp('/p/secret/flags');
    await screen.findByRole('heading', { name: 'No project "secret"', level: 1 });
    expect(screen.queryByText('Flag hidden of secret')).toBeNull();
  });

  it('keeps the kind of page when switching projects; a flag or segment page leads to the list', () => {
    expect(switchedPath('/p/default/audit', 'payments')).toBe('/p/payments/audit');
    expect(switchedPath('/p/default/flags/new-checkout/staging', 'payments')).toBe('/p/payments/flags');
    expect(switchedPath('/p/default/segments/beta', 'payments')).toBe('/p/payments/segments');
    expect(switchedPath('/p/default/nowhere', 'payments')).toBe('/p/payments/flags');
    expect(switchedPath('/p/default', 'a.b')).toBe('/p/a.b/flags');
  });
});

describe('project switcher', () => {
  it('lists my projects, shows the current one, and switches to its own flags with my role there', async () => {
    let answerPayments = () => {};
    const paymentsHeld = new Promise<void>((resolve) => {
      answerPayments = resolve;
    });
    const { seen } = fakeProjectsApi(server, {
      orgAdmin: false,
      projects: teams(),
      holdFlags: (project) => (project === 'payments' ? paymentsHeld : undefined),
    });
    openApp('/p/default/flags');
    await screen.findByText('Flag old-checkout of default');
    const switcher = screen.getByLabelText('Project') as HTMLSelectElement;
    await waitFor(() =>
      expect([...switcher.options].map((option) => option.textContent)).toEqual(['Default', 'Payments']),
    );
    expect(switcher.value).toBe('default');
    // A viewer in default: no creating flags, no project creation (not an org admin).
    expect(screen.getByTestId('my-role').textContent).toBe('viewer');
    expect(screen.queryByRole('button', { name: '+ Create flag' })).toBeNull();
    expect(screen.queryByRole('button', { name: '+ New project' })).toBeNull();

    seen.length = 0;
    await userEvent.selectOptions(switcher, 'payments');
    // While payments' flags are on their way, nothing of the default project's shows.
    await waitFor(() => expect(window.location.pathname).toBe('/p/payments/flags'));
    await waitFor(() => expect(seen).toContain('GET /api/v1/projects/payments/flags'));
    expect(screen.queryByText('Flag old-checkout of default')).toBeNull();
    answerPayments();
    await screen.findByText('Flag new-checkout of payments');
    expect((screen.getByLabelText('Project') as HTMLSelectElement).value).toBe('payments');
    // An admin in payments: the role and the buttons follow the project.
    await waitFor(() => expect(screen.getByTestId('my-role').textContent).toBe('admin'));
    expect(screen.getByRole('button', { name: '+ Create flag' })).toBeTruthy();
    const calls = projectCalls(seen);
    expect(calls).toContain('GET /api/v1/projects/payments/flags');
    expect(calls.filter((call) => !call.includes(' /api/v1/projects/payments/'))).toEqual([]);
    // The navigation stays in the project.
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Segments' }).getAttribute('href')).toBe(
      '/p/payments/segments',
    );

    // Back to default: its own flags again, never the other project's.
    await userEvent.selectOptions(screen.getByLabelText('Project'), 'default');
    await screen.findByText('Flag old-checkout of default');
    expect(window.location.pathname).toBe('/p/default/flags');
    expect(screen.queryByText('Flag new-checkout of payments')).toBeNull();
  });

  it('lets an org admin create a project, showing the server’s field errors, and opens it', async () => {
    const { writes } = fakeProjectsApi(server, { orgAdmin: true, projects: teams() });
    openApp('/p/default/flags');
    await screen.findByText('Flag old-checkout of default');
    await userEvent.click(screen.getByRole('button', { name: '+ New project' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Project key'), 'payments');
    await userEvent.type(within(dialog).getByLabelText('Project name'), 'Search');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create project' }));
    await within(dialog).findByText('is taken');
    const key = within(dialog).getByLabelText('Project key');
    expect(key.getAttribute('aria-invalid')).toBe('true');

    await userEvent.clear(key);
    await userEvent.type(key, 'search');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Create project' }));
    await waitFor(() => expect(window.location.pathname).toBe('/p/search/flags'));
    await waitFor(() => expect((screen.getByLabelText('Project') as HTMLSelectElement).value).toBe('search'));
    expect(writes).toEqual([
      'POST /projects {"key":"payments","name":"Search"}',
      'POST /projects {"key":"search","name":"Search"}',
    ]);
  });
});
