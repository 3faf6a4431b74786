// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReleasePlan as Plan } from '../../app/releases/releasesApi';
import { testProviders } from '../../test-support';
import type { Environment, Flag, FlagConfig, Segment } from '../../types';
import { ReleasePlan } from './ReleasePlan';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const flag = {
  key: 'new-checkout',
  name: 'New checkout',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
} as unknown as Flag;
const config = { offVariation: 'off' } as unknown as FlagConfig;
const env: Environment = {
  key: 'production',
  name: 'Production',
  order: 2,
  requireApproval: false,
  corsOrigins: [],
  revision: 3,
};
const segments = [{ key: 'staff', name: 'Staff' }] as unknown as Segment[];
const BASE = '*/api/v1/flags/new-checkout/environments/production/release';

function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    id: 7,
    flag: 'new-checkout',
    environment: 'production',
    variation: 'on',
    state: 'running',
    stages: [
      { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
      { name: 'canary', percentage: 1, holdMinutes: 60 },
      { name: 'everyone', percentage: 100, approval: true },
    ],
    currentStage: 1,
    stageStartedAt: '2030-01-01T01:00:00.000Z',
    nextAdvanceAt: null,
    guard: { event: 'checkout-error', maxRate: 0.05, minExposures: 100 },
    approvals: [],
    incident: null,
    createdBy: { type: 'user', id: 'user:9', name: 'someone@example.com' },
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T01:00:00.000Z',
    stageHistory: [
      { stage: 0, startedAt: '2030-01-01T00:00:00.000Z' },
      { stage: 1, startedAt: '2030-01-01T01:00:00.000Z' },
    ],
    ...overrides,
  };
}

function signedIn(role: string, id = 1) {
  // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
  document.cookie = 'rf_csrf=token';
  server.use(
    http.get('*/api/v1/me', () =>
      HttpResponse.json({ kind: 'user', id, name: `${role}@example.com`, role, environments: null }),
    ),
  );
}

describe('ReleasePlan', () => {
  it('shows the rings with the current one, exposures per ring and the approval gate', async () => {
    signedIn('approver');
    const actions: string[] = [];
    server.use(
      http.get(BASE, () => HttpResponse.json(plan())),
      http.get('*/api/v1/flags/new-checkout/exposures', ({ request }) => {
        const since = new URL(request.url).searchParams.get('since');
        return HttpResponse.json({ totals: { on: since?.startsWith('2030-01-01T00') ? 12 : 340 } });
      }),
      http.post(`${BASE}/:action`, async ({ params, request }) => {
        actions.push(`${String(params.action)} ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(plan({ currentStage: 2, approvals: [] }));
      }),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    const rings = await screen.findByRole('list', { name: 'Rings' });
    const items = within(rings).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    expect(items[1]?.getAttribute('aria-current')).toBe('step');
    expect(items[0]?.getAttribute('aria-current')).toBeNull();
    await waitFor(() => expect(items[1]?.textContent).toContain('340 exposures'));
    expect(items[0]?.textContent).toContain('12 exposures');
    expect(screen.getByText('The next stage waits for an approval.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Advance' }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.type(screen.getByLabelText('Approval comment'), 'metrics flat');
    await userEvent.click(screen.getByRole('button', { name: 'Approve stage 2' }));
    await waitFor(() => expect(actions).toEqual(['approve {"comment":"metrics flat"}']));
  });

  it('hides approval from the creator and shows an incident', async () => {
    signedIn('approver', 9);
    server.use(
      http.get(BASE, () =>
        HttpResponse.json(
          plan({
            state: 'rolled_back',
            incident: {
              at: '2030-01-01T01:30:00.000Z',
              event: 'checkout-error',
              rate: 0.2,
              exposures: 100,
              events: 20,
              maxRate: 0.05,
            },
          }),
        ),
      ),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: { on: 1 } })),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('20 “checkout-error” events over 100 exposures');
    expect(alert.textContent).toContain('20.00%');
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Roll back' })).toBeNull();
  });

  it('starts a plan from the template with the staff segment and a guard', async () => {
    signedIn('editor');
    const bodies: unknown[] = [];
    server.use(
      http.get(BASE, () =>
        HttpResponse.json({ status: 404, title: 'Not found', detail: 'none' }, { status: 404 }),
      ),
      http.post(BASE, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json(plan({ currentStage: 0 }), { status: 201 });
      }),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: {} })),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    await userEvent.click(await screen.findByLabelText(/Guard the rollout/));
    await userEvent.type(screen.getByLabelText('Error event'), 'checkout-error');
    await userEvent.click(screen.getByRole('button', { name: 'Start release' }));
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toEqual({
      variation: 'on',
      stages: [
        { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
        { name: 'canary', percentage: 1, holdMinutes: 60 },
        { name: 'early adopters', percentage: 10, holdMinutes: 60 },
        { name: 'half', percentage: 50, holdMinutes: 60 },
        { name: 'everyone', percentage: 100, holdMinutes: 60 },
      ],
      guard: { event: 'checkout-error', maxRate: 0.05, minExposures: 500 },
    });
  });
});
