// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import type { Environment } from '../../types';
import { Environments, parseOrigins } from './Environments';

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

const env = (key: string, name: string, order: number, requireApproval = false): Environment => ({
  key,
  name,
  order,
  requireApproval,
  corsOrigins: [],
  revision: 1,
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
});
const ENVIRONMENTS = [
  env('development', 'Development', 0),
  env('staging', 'Staging', 1),
  env('production', 'Production', 2, true),
];

function signedIn(role: string) {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  server.use(
    http.get('*/api/v1/me', () =>
      HttpResponse.json({ kind: 'user', id: 1, name: `${role}@example.com`, role, environments: null }),
    ),
    http.get('*/api/v1/environments', () => HttpResponse.json({ items: ENVIRONMENTS })),
  );
}

function renderPage() {
  const { Wrapper } = testProviders('/environments');
  render(<Environments />, { wrapper: Wrapper });
}

const card = (name: string) => screen.getByRole('region', { name: new RegExp(`^\\s*${name}$`) });

describe('parseOrigins', () => {
  it('reads one origin per line or comma, without blanks', () => {
    expect(parseOrigins(' https://a.example.com\n\nhttps://b.example.com, http://localhost:5173 \n')).toEqual(
      ['https://a.example.com', 'https://b.example.com', 'http://localhost:5173'],
    );
  });
});

describe('Environments', () => {
  it('shows the pipeline in order, numbered from 1, and moves an environment with one PUT', async () => {
    signedIn('admin');
    const orders: unknown[] = [];
    server.use(
      http.put('*/api/v1/environments/order', async ({ request }) => {
        const body = (await request.json()) as { order: string[] };
        orders.push(body);
        return HttpResponse.json({
          items: body.order.map((key, i) => ({ ...ENVIRONMENTS.find((e) => e.key === key), order: i })),
        });
      }),
    );
    renderPage();
    await screen.findByRole('heading', { name: /Production/ });
    expect(within(card('Staging')).getByText(/stage 2 of 3/)).toBeTruthy();
    expect(
      (screen.getByRole('button', { name: 'Move Development earlier' }) as HTMLButtonElement).disabled,
    ).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Move Production earlier' }));
    await waitFor(() => expect(orders).toEqual([{ order: ['development', 'production', 'staging'] }]));
    await screen.findByText('Pipeline order: Development → Production → Staging');
  });

  it('renames and sets origins in one PATCH, and shows a refused origin next to the field', async () => {
    signedIn('admin');
    const patches: unknown[] = [];
    server.use(
      http.patch('*/api/v1/environments/staging', async ({ request }) => {
        const body = (await request.json()) as { corsOrigins?: string[]; name?: string };
        patches.push(body);
        if (body.corsOrigins?.includes('ftp://nope')) {
          return HttpResponse.json(
            {
              type: 'about:blank',
              title: 'Validation failed',
              status: 400,
              detail: 'The request is invalid',
              errors: [
                { path: 'corsOrigins[1]', message: 'must be an origin like https://app.example.com, or *' },
              ],
            },
            { status: 400, headers: { 'content-type': 'application/problem+json' } },
          );
        }
        return HttpResponse.json({ ...ENVIRONMENTS[1], ...body });
      }),
    );
    renderPage();
    await screen.findByRole('heading', { name: /Staging/ });
    const staging = card('Staging');
    const name = within(staging).getByLabelText('Name');
    await userEvent.clear(name);
    await userEvent.type(name, 'Pre-production');
    const origins = within(staging).getByLabelText('Allowed browser origins');
    await userEvent.type(origins, 'https://app.example.com{Enter}ftp://nope');
    await userEvent.click(within(staging).getByRole('button', { name: 'Save Staging' }));
    await waitFor(() => expect(origins.getAttribute('aria-invalid')).toBe('true'));
    const message = document.getElementById(origins.getAttribute('aria-describedby')?.split(' ')[0] ?? '');
    expect(message?.textContent).toBe('origin 2: must be an origin like https://app.example.com, or *');

    await userEvent.clear(origins);
    await userEvent.type(origins, 'https://app.example.com');
    await userEvent.click(within(staging).getByRole('button', { name: 'Save Staging' }));
    await screen.findByText('Saved Pre-production');
    expect(patches.at(-1)).toEqual({ name: 'Pre-production', corsOrigins: ['https://app.example.com'] });
  });

  it('asks before turning approval off, says what it means, and sends the reason', async () => {
    signedIn('admin');
    const patches: unknown[] = [];
    server.use(
      http.patch('*/api/v1/environments/production', async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        patches.push(body);
        return HttpResponse.json({ ...ENVIRONMENTS[2], requireApproval: false });
      }),
    );
    renderPage();
    await screen.findByRole('heading', { name: /Production/ });
    const production = card('Production');
    expect(within(production).getByText(/Turning this off is itself a sensitive change/)).toBeTruthy();
    await userEvent.click(
      within(production).getByRole('switch', { name: 'Approval required in Production' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/Change requests already waiting there still wait for an approver/),
    ).toBeTruthy();
    // Nothing is sent before the confirmation.
    expect(patches).toEqual([]);
    await userEvent.type(within(dialog).getByLabelText('Why (kept in the audit log)'), 'freeze is over');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Turn approval off' }));
    await screen.findByText('Production no longer requires approval');
    expect(patches).toEqual([{ requireApproval: false, comment: 'freeze is over' }]);
  });

  it('creates an environment with its key, name and approval', async () => {
    signedIn('admin');
    let created: unknown;
    server.use(
      http.post('*/api/v1/environments', async ({ request }) => {
        created = await request.json();
        return HttpResponse.json(env('eu-prod', 'EU production', 3, true), { status: 201 });
      }),
    );
    renderPage();
    const form = await screen.findByRole('form', { name: 'New environment' });
    await userEvent.type(within(form).getByLabelText('Key'), 'eu-prod');
    await userEvent.type(within(form).getByLabelText('Environment name'), 'EU production');
    await userEvent.click(within(form).getByLabelText('Require approval (four eyes) for changes here'));
    await userEvent.click(within(form).getByRole('button', { name: 'Create environment' }));
    await screen.findByText('Created EU production: every flag is off there');
    expect(created).toEqual({ key: 'eu-prod', name: 'EU production', requireApproval: true });
  });

  it('lets a non-admin look but not change anything', async () => {
    signedIn('editor');
    renderPage();
    await screen.findByRole('heading', { name: /Production/ });
    await screen.findByText(/changes here need the/);
    expect(screen.queryByRole('button', { name: /Move .* earlier/ })).toBeNull();
    expect(screen.queryByRole('form', { name: 'New environment' })).toBeNull();
    // The settings sit in a disabled fieldset, without a save button.
    const name = within(card('Staging')).getByLabelText('Name');
    expect(name.closest('fieldset')?.disabled).toBe(true);
    expect(screen.queryByRole('button', { name: /^Save / })).toBeNull();
    expect(
      (screen.getByRole('switch', { name: 'Approval required in Production' }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });
});
