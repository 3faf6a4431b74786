// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import type { ChangeRequest, FlagConfig, ReleaseApproval, ReleasePlan } from '../../types';
import { Changes } from './Changes';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const config: FlagConfig = {
  key: 'new-checkout',
  version: 3,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: false,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  fallthrough: { variation: 'off' },
  clientSide: false,
};

const changeRequest: ChangeRequest = {
  id: 12,
  state: 'pending',
  kind: 'toggle',
  flag: 'new-checkout',
  environment: 'production',
  environments: ['production'],
  segment: null,
  proposed: { ...config, enabled: true },
  operations: [{ op: 'set', field: 'enabled', before: false, after: true }],
  conflicts: null,
  baseVersion: 3,
  revision: 1,
  author: { type: 'user', id: 'user:2', name: 'editor@example.com' },
  comment: 'launch',
  applyAt: null,
  createdAt: '2026-05-01T10:00:00.000Z',
  reviewer: null,
  reviewComment: null,
  reviewedAt: null,
  appliedAt: null,
  conflict: null,
};

const plan = {
  id: 7,
  flag: 'search-v2',
  environment: 'production',
  variation: 'on',
  state: 'running',
  stages: [
    { name: 'staff', segments: ['staff'], percentage: 0 },
    { name: 'canary', percentage: 5, approval: true },
    { name: 'half', percentage: 50 },
    { name: 'everyone', percentage: 100 },
  ],
  currentStage: 0,
  stageStartedAt: '2026-05-01T09:00:00.000Z',
  nextAdvanceAt: null,
  guard: null,
  onTrip: 'off',
  before: null,
  approvals: [],
  incident: null,
  createdBy: { type: 'user', id: 'user:2', name: 'editor@example.com' },
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T09:00:00.000Z',
  stageHistory: [{ stage: 0, startedAt: '2026-05-01T09:00:00.000Z' }],
} as ReleasePlan;

const waiting: ReleaseApproval = {
  flag: 'search-v2',
  environment: 'production',
  stage: 1,
  stageName: 'canary',
  plan,
  waitingSince: new Date(Date.now() - 3 * 60_000).toISOString(),
};

function serve(role: string, id: number, approvals: () => ReleaseApproval[]) {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  server.use(
    http.get('*/api/v1/me', () =>
      HttpResponse.json({ kind: 'user', id, name: `${role}@example.com`, role, environments: null }),
    ),
    http.get('*/api/v1/change-requests', () => HttpResponse.json({ items: [changeRequest] })),
    http.get('*/api/v1/release-approvals', () => HttpResponse.json({ items: approvals() })),
    http.get('*/api/v1/flags/new-checkout/environments/production', () => HttpResponse.json(config)),
  );
}

describe('Changes inbox', () => {
  it('lists release stages waiting for approval beside change requests, and approves one with a comment', async () => {
    const approved: unknown[] = [];
    let items = [waiting];
    serve('approver', 3, () => items);
    server.use(
      http.post('*/api/v1/flags/search-v2/environments/production/release/approve', async ({ request }) => {
        approved.push(await request.json());
        items = [];
        return HttpResponse.json({ ...plan, currentStage: 1 });
      }),
    );
    const { Wrapper } = testProviders('/changes');
    render(<Changes />, { wrapper: Wrapper });

    const stage = await screen.findByTestId('stage-approval');
    expect(within(stage).getByRole('heading').textContent).toBe(
      'Release of search-v2: Stage 2 of 4: canary — 5%',
    );
    expect(within(stage).getByText(/waiting since/).textContent).toBe('waiting since 3 minutes ago');
    expect(screen.getByRole('heading', { name: 'Waiting for approval (2)' })).toBeTruthy();
    // The change request beside it keeps its own review comment, Approve and Reject.
    const request = document.getElementById('change-12') as HTMLElement;
    await within(request).findByRole('button', { name: 'Reject' });
    expect(within(request).getByLabelText('Review comment')).toBeTruthy();

    await userEvent.type(within(stage).getByLabelText('Approval comment'), 'canary looks fine');
    await userEvent.click(within(stage).getByRole('button', { name: 'Approve stage 2 of 4' }));
    await waitFor(() => expect(approved).toEqual([{ comment: 'canary looks fine' }]));
    expect(
      await screen.findByText('Approved stage 2 of 4: canary — 5% of search-v2 in production'),
    ).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId('stage-approval')).toBeNull());
    expect(screen.getByRole('heading', { name: 'Waiting for approval (1)' })).toBeTruthy();
  });

  it('says a request was approved and applied, though the refreshed inbox no longer lists its card', async () => {
    let current = changeRequest;
    serve('approver', 3, () => []);
    // The card's current config answers its refresh only once the card has left the list: nothing
    // the card would run after the refresh can show the toast.
    let configs = 0;
    let answerConfig = () => {};
    const configHeld = new Promise<void>((resolve) => {
      answerConfig = resolve;
    });
    server.use(
      http.get('*/api/v1/change-requests', () => HttpResponse.json({ items: [current] })),
      http.get('*/api/v1/flags/new-checkout/environments/production', async () => {
        if (++configs > 1) await configHeld;
        return HttpResponse.json(config);
      }),
      http.post('*/api/v1/change-requests/12/approve', () => {
        current = { ...changeRequest, state: 'applied', appliedAt: '2026-05-01T11:00:00.000Z' };
        return HttpResponse.json(current);
      }),
    );
    const { Wrapper } = testProviders('/changes');
    render(<Changes />, { wrapper: Wrapper });

    await userEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(document.getElementById('change-12')).toBeNull());
    expect(screen.getByRole('heading', { name: 'Waiting for approval (0)' })).toBeTruthy();
    expect(document.querySelector('table.closed-changes tr[data-state="applied"]')).toBeTruthy();
    await waitFor(() => expect(configs).toBe(2));
    answerConfig();
    expect((await screen.findByText('Change request #12 approved and applied')).getAttribute('role')).toBe(
      'status',
    );
  });

  it('offers no Approve to the person who started the release', async () => {
    serve('approver', 2, () => [waiting]);
    const { Wrapper } = testProviders('/changes');
    render(<Changes />, { wrapper: Wrapper });
    const stage = await screen.findByTestId('stage-approval');
    await within(stage).findByText(/You started this release/);
    expect(within(stage).queryByRole('button', { name: /Approve/ })).toBeNull();
  });
});
