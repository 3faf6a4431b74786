// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../App';
import type { Segment } from '../../types';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const staff: Segment = {
  key: 'staff',
  name: 'Staff',
  description: '',
  version: 1,
  included: [],
  excluded: [],
  rules: [],
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T10:00:00.000Z',
};

describe('SegmentPage', () => {
  it('says the segment was saved, though the new version rebuilds its editor', async () => {
    let current = staff;
    const saved: unknown[] = [];
    // The open change requests the frame counts answer their refresh only once the page shows the
    // new version: nothing the rebuilt-away form would run after the refresh can show the toast.
    let lists = 0;
    let answerList = () => {};
    const listHeld = new Promise<void>((resolve) => {
      answerList = resolve;
    });
    // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
    document.cookie = 'rf_csrf=token';
    server.use(
      // The old address leads to the default project, whose API the page calls.
      http.get('*/api/v1/projects/default/me', () =>
        HttpResponse.json({
          kind: 'user',
          id: 2,
          name: 'erin@example.com',
          role: 'editor',
          orgAdmin: false,
          project: 'default',
          environments: null,
        }),
      ),
      http.get('*/api/v1/projects/default/segments/staff', () => HttpResponse.json(current)),
      http.put('*/api/v1/projects/default/segments/staff', async ({ request }) => {
        const body = (await request.json()) as Segment;
        saved.push(body);
        current = { ...current, ...body, version: current.version + 1 };
        return HttpResponse.json(current);
      }),
      http.get('*/api/v1/projects/default/change-requests', async () => {
        if (++lists > 1) await listHeld;
        return HttpResponse.json({ items: [] });
      }),
      // Who is signed in (whatever the project), and the projects they see.
      http.get('*/api/v1/me', () =>
        HttpResponse.json({
          kind: 'user',
          id: 2,
          name: 'erin@example.com',
          role: 'editor',
          orgAdmin: false,
          project: 'default',
          environments: null,
        }),
      ),
      http.get('*/api/v1/projects/default', () =>
        HttpResponse.json({ key: 'default', name: 'Default', archived: false, role: 'editor' }),
      ),
      // The other lists the frame and the page load (environments, approvals, usage, projects): empty.
      http.get('*/api/v1/*', () => HttpResponse.json({ items: [] })),
    );
    window.history.pushState({}, '', '/segments/staff');
    render(<App />);

    await userEvent.type(await screen.findByLabelText('Description'), 'Our own people');
    await waitFor(() => expect(lists).toBe(1));
    await userEvent.click(screen.getByRole('button', { name: 'Save segment' }));
    await screen.findByText('version 2', { exact: true });
    expect(saved).toMatchObject([{ version: 1, description: 'Our own people' }]);
    // The rebuilt editor shows what was saved.
    expect((screen.getByLabelText('Description') as HTMLInputElement).value).toBe('Our own people');
    await waitFor(() => expect(lists).toBe(2));
    answerList();
    expect((await screen.findByText('Saved segment staff')).getAttribute('role')).toBe('status');
  });
});
