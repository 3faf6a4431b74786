// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../App';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const notFound = (detail: string) =>
  HttpResponse.json(
    { type: 'about:blank', title: 'Not found', status: 404, detail, errors: [] },
    { status: 404, headers: { 'content-type': 'application/problem+json' } },
  );

const admin = {
  kind: 'user',
  id: 1,
  name: 'admin@example.com',
  role: 'admin',
  orgAdmin: true,
  project: 'default',
  environments: null,
};

/** The whole app at `path`, signed in, with an API (of the default project) that knows no flag or segment. */
function openApp(path: string) {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  server.use(
    http.get('*/api/v1/me', () => HttpResponse.json(admin)),
    http.get('*/api/v1/projects/default/me', () => HttpResponse.json(admin)),
    http.get('*/api/v1/projects/default', () =>
      HttpResponse.json({ key: 'default', name: 'Default', archived: false, role: 'admin' }),
    ),
    http.get('*/api/v1/projects/default/environments', () =>
      HttpResponse.json({
        items: [
          { key: 'staging', name: 'Staging', order: 0, requireApproval: false, corsOrigins: [], revision: 1 },
        ],
      }),
    ),
    http.get('*/api/v1/projects/default/flags/:key', ({ params }) =>
      notFound(`No flag "${String(params.key)}"`),
    ),
    http.get('*/api/v1/projects/default/flags/:key/environments/:env', ({ params }) =>
      notFound(`No flag "${String(params.key)}"`),
    ),
    http.get('*/api/v1/projects/default/segments/:key', ({ params }) =>
      notFound(`No segment "${String(params.key)}"`),
    ),
    // Lists the frame loads around any page (open change requests, approvals, projects): empty.
    http.get('*/api/v1/*', () => HttpResponse.json({ items: [] })),
  );
  window.history.pushState({}, '', path);
  render(<App />);
}

describe('not found', () => {
  it('shows the UI’s own page for an unknown address, inside the signed-in frame', async () => {
    openApp('/no/such/page');
    await screen.findByRole('heading', { name: 'Page not found', level: 1 });
    // An address without a project is one of the default project's.
    expect(screen.getByText('/p/default/no/such/page')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to flags' }).getAttribute('href')).toBe('/p/default/flags');
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
  });

  it('says which flag or segment does not exist, with the way back', async () => {
    openApp('/flags/nope/staging');
    await screen.findByRole('heading', { name: 'No flag "nope"', level: 1 });
    expect(screen.getByRole('link', { name: 'All flags' }).getAttribute('href')).toBe('/p/default/flags');
    cleanup();
    openApp('/segments/ghosts');
    await screen.findByRole('heading', { name: 'No segment "ghosts"', level: 1 });
    expect(screen.getByRole('link', { name: 'All segments' }).getAttribute('href')).toBe(
      '/p/default/segments',
    );
  });
});
