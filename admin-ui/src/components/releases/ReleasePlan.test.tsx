// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useConfig } from '../../app/flags/flagsApi';
import type { ReleasePlan as Plan } from '../../app/releases/releasesApi';
import { testProviders } from '../../test-support';
import type { Environment, Flag, FlagConfig, Segment } from '../../types';
import { ReleasePlan } from './ReleasePlan';

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
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
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
    onTrip: 'off',
    before: null,
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
    expect(screen.getByText(/The next stage waits for an approval\./)).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Advance' }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.type(screen.getByLabelText('Approval comment'), 'metrics flat');
    expect(items[1]?.textContent).toContain('2. canary');
    expect(screen.getByText(/In stage 2 of 3: canary\./)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Approve stage 3' }));
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
    expect(alert.textContent).toContain('the flag was switched off in Production');
    expect(alert.textContent).toContain('rate 20% > max 5%');
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Roll back' })).toBeNull();
  });

  it('previews, then starts a plan from the template with the staff segment and a guard', async () => {
    signedIn('editor');
    const bodies: unknown[] = [];
    const previews: unknown[] = [];
    server.use(
      http.get(BASE, () =>
        HttpResponse.json({ status: 404, title: 'Not found', detail: 'none' }, { status: 404 }),
      ),
      http.post(`${BASE}/preview`, async ({ request }) => {
        previews.push(await request.json());
        return HttpResponse.json(preview([]));
      }),
      http.post(BASE, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json(
          { ...plan({ currentStage: 0 }), warnings: [], summary: 'started stage 1 of 5: staff (0%)' },
          { status: 201 },
        );
      }),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: {} })),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    await userEvent.click(await screen.findByLabelText(/Guard the rollout/));
    expect((screen.getByLabelText('Max error rate (% of exposures)') as HTMLInputElement).value).toBe('5');
    expect((screen.getByLabelText('Min exposures') as HTMLInputElement).value).toBe('100');
    await userEvent.type(screen.getByLabelText('Error event'), 'checkout-error');
    await userEvent.click(screen.getByRole('button', { name: 'Review and start' }));
    const panel = await screen.findByRole('region', { name: 'Release preview' });
    expect(within(panel).getByText('Nothing in the current config needs attention.')).toBeTruthy();
    expect(within(panel).getByText('stage 2 of 2: everyone')).toBeTruthy();
    expect(bodies).toEqual([]);
    await userEvent.click(within(panel).getByRole('button', { name: 'Start release' }));
    await waitFor(() => expect(bodies).toHaveLength(1));
    const expected = {
      variation: 'on',
      stages: [
        { name: 'staff', segments: ['staff'], percentage: 0, holdMinutes: 60 },
        { name: 'canary', percentage: 1, holdMinutes: 60 },
        { name: 'early adopters', percentage: 10, holdMinutes: 60 },
        { name: 'half', percentage: 50, holdMinutes: 60 },
        { name: 'everyone', percentage: 100, holdMinutes: 60 },
      ],
      guard: { event: 'checkout-error', maxRate: 0.05, minExposures: 100 },
      onTrip: 'off',
    };
    expect(previews).toEqual([expected]);
    expect(bodies[0]).toEqual(expected);
  });

  it('says what starting did, though the started plan replaces the form', async () => {
    signedIn('editor');
    let started: Plan | null = null;
    // The flag page's config answers its refresh only once the plan has replaced the form: nothing
    // the form would run after the refresh can show the toast.
    let configs = 0;
    let answerConfig = () => {};
    const configHeld = new Promise<void>((resolve) => {
      answerConfig = resolve;
    });
    server.use(
      http.get(BASE, () =>
        started
          ? HttpResponse.json(started)
          : HttpResponse.json({ status: 404, title: 'Not found', detail: 'none' }, { status: 404 }),
      ),
      http.post(`${BASE}/preview`, () => HttpResponse.json(preview([]))),
      http.post(BASE, () => {
        started = plan({ currentStage: 0, stages: [{ name: 'staff', segments: ['staff'], percentage: 0 }] });
        return HttpResponse.json(
          { ...started, warnings: [], summary: 'stage 1 of 1: staff (segment staff, 0%)' },
          { status: 201 },
        );
      }),
      http.get('*/api/v1/flags/new-checkout/environments/production', async () => {
        if (++configs > 1) await configHeld;
        return HttpResponse.json(config);
      }),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: {} })),
    );
    const { Wrapper } = testProviders();
    render(
      <>
        <ReleasePlan flag={flag} env={env} config={config} segments={segments} />
        <FlagPageConfig />
      </>,
      { wrapper: Wrapper },
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Review and start' }));
    const panel = await screen.findByRole('region', { name: 'Release preview' });
    await waitFor(() => expect(configs).toBe(1));
    await userEvent.click(within(panel).getByRole('button', { name: 'Start release' }));
    await screen.findByRole('region', { name: 'Release plan' });
    expect(screen.queryByRole('form', { name: 'New release plan' })).toBeNull();
    await waitFor(() => expect(configs).toBe(2));
    answerConfig();
    expect(
      (
        await screen.findByText(
          'Release of New checkout started in Production: stage 1 of 1: staff (segment staff, 0%)',
        )
      ).getAttribute('role'),
    ).toBe('status');
  });

  it('builds custom stages, and shows the preview warnings before starting', async () => {
    signedIn('editor');
    const bodies: unknown[] = [];
    const warning =
      'Rule 1 "beta" serves "on" to its audience, ahead of the plan\'s rings: that stays so at every stage.';
    server.use(
      http.get(BASE, () =>
        HttpResponse.json({ status: 404, title: 'Not found', detail: 'none' }, { status: 404 }),
      ),
      http.post(`${BASE}/preview`, () => HttpResponse.json(preview([warning]))),
      http.post(BASE, async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json(
          {
            ...plan({ currentStage: 0 }),
            warnings: [warning],
            summary: 'started stage 1 of 2: canary (2.5%)',
          },
          { status: 201 },
        );
      }),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: {} })),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    await userEvent.click(await screen.findByLabelText(/Custom stages/));
    const list = screen.getByRole('list', { name: 'Custom stages' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(5);
    // Down to two stages: remove staff, early adopters and half; move everyone ahead of canary and back.
    await userEvent.click(screen.getByRole('button', { name: 'Remove stage 1' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove stage 2' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove stage 2' }));
    expect((screen.getByLabelText('Stage 2 name') as HTMLInputElement).value).toBe('everyone');
    await userEvent.click(screen.getByRole('button', { name: 'Move stage 2 up' }));
    expect((screen.getByLabelText('Stage 1 name') as HTMLInputElement).value).toBe('everyone');
    await userEvent.click(screen.getByRole('button', { name: 'Move stage 1 down' }));
    const percentage = screen.getByLabelText('Stage 1 percentage');
    await userEvent.clear(percentage);
    await userEvent.type(percentage, '2.5');
    await userEvent.clear(screen.getByLabelText('Stage 1 hold (minutes)'));
    await userEvent.selectOptions(screen.getByLabelText('Stage 1 segments'), ['staff']);
    await userEvent.click(screen.getByLabelText('Stage 1 needs approval'));
    await userEvent.click(screen.getByRole('button', { name: 'Add stage' }));
    await userEvent.clear(screen.getByLabelText('Stage 3 name'));
    await userEvent.type(screen.getByLabelText('Stage 3 name'), 'all');
    await userEvent.click(screen.getByRole('button', { name: 'Remove stage 3' }));
    await userEvent.click(screen.getByLabelText(/Guard the rollout/));
    await userEvent.type(screen.getByLabelText('Error event'), 'checkout-error');
    const rate = screen.getByLabelText('Max error rate (% of exposures)');
    await userEvent.clear(rate);
    await userEvent.type(rate, '0.07');
    await userEvent.selectOptions(screen.getByLabelText('When the guard trips'), 'revert');

    await userEvent.click(screen.getByRole('button', { name: 'Review and start' }));
    const panel = await screen.findByRole('region', { name: 'Release preview' });
    expect(within(panel).getByRole('alert').textContent).toContain(warning);
    // Changing the plan sets the preview aside: it stands only for the plan it was made for.
    await userEvent.click(screen.getByLabelText('Stage 2 needs approval'));
    expect(screen.queryByRole('region', { name: 'Release preview' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Review and start' })).toBeTruthy();
    await userEvent.click(screen.getByLabelText('Stage 2 needs approval'));
    await userEvent.click(
      within(screen.getByRole('region', { name: 'Release preview' })).getByRole('button', {
        name: 'Start release',
      }),
    );
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toEqual({
      variation: 'on',
      stages: [
        { name: 'canary', segments: ['staff'], percentage: 2.5, approval: true },
        { name: 'everyone', percentage: 100, holdMinutes: 60 },
      ],
      guard: { event: 'checkout-error', maxRate: 0.0007, minExposures: 100 },
      onTrip: 'revert',
    });
  });

  it('confirms a rollback with what it restores, then shows the warnings', async () => {
    signedIn('editor');
    const before = {
      key: 'new-checkout',
      version: 4,
      kind: 'boolean',
      variations: flag.variations,
      enabled: true,
      offVariation: 'off',
      prerequisites: [],
      targets: [],
      rules: [
        {
          id: 'beta',
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
      clientSide: false,
    } as FlagConfig;
    const warning = 'The restored config still serves "on": rule 1 "beta" serves "on" to its audience.';
    const actions: string[] = [];
    server.use(
      http.get(BASE, () => HttpResponse.json(plan({ before }))),
      http.get('*/api/v1/flags/new-checkout/exposures', () => HttpResponse.json({ totals: {} })),
      http.post(`${BASE}/rollback`, () => {
        actions.push('rollback');
        return HttpResponse.json({
          ...plan({ state: 'rolled_back', before }),
          warnings: [warning],
          summary: 'restored the config from before the plan started (version 4)',
        });
      }),
    );
    const { Wrapper } = testProviders();
    render(<ReleasePlan flag={flag} env={env} config={config} segments={segments} />, { wrapper: Wrapper });
    await userEvent.click(await screen.findByRole('button', { name: 'Roll back' }));
    const dialog = screen.getByRole('dialog');
    expect(dialog.textContent).toContain(
      'Restores the config from before the plan started (version 4): the flag on',
    );
    expect(dialog.textContent).toContain('That config itself serves on: rule 1 “beta”.');
    expect(actions).toEqual([]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Roll back' }));
    await waitFor(() => expect(actions).toEqual(['rollback']));
    const shown = await screen.findByRole('status', { name: 'Rollback warnings' });
    expect(shown.textContent).toContain(warning);
  });
});

/** A preview of a two-stage plan with the given warnings. */
/** The flag page around the tab keeps the flag's config loaded (a start refreshes it). */
function FlagPageConfig() {
  useConfig(flag.key, env.key);
  return null;
}

function preview(warnings: string[]) {
  const stage = (index: number, name: string, percentage: number) => ({
    index,
    name,
    percentage,
    segments: [],
    holdMinutes: 60,
    approval: false,
    summary: `on; everyone else → ${percentage}% "on"`,
    config: {},
  });
  return { warnings, before: {}, stages: [stage(0, 'canary', 1), stage(1, 'everyone', 100)] };
}
