// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigChangeRequest } from '../../app/changes/changesApi';
import { localInputValue } from '../../lib/apply-at';
import { testProviders } from '../../test-support';
import type { Environment, Flag, FlagConfig } from '../../types';
import { TargetingEditor } from './TargetingEditor';

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
});
afterAll(() => server.close());

const variations = [
  { id: 'off', value: false },
  { id: 'on', value: true },
];
const flag = { key: 'new-checkout', name: 'New checkout', kind: 'boolean', variations } as unknown as Flag;
const config: FlagConfig = {
  key: 'new-checkout',
  version: 3,
  kind: 'boolean',
  variations,
  enabled: true,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  fallthrough: { variation: 'on' },
  clientSide: false,
};
const staging: Environment = {
  key: 'staging',
  name: 'Staging',
  order: 1,
  requireApproval: false,
  corsOrigins: [],
  revision: 5,
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
};
const inHours = (hours: number) => localInputValue(new Date(Date.now() + hours * 3_600_000));

describe('TargetingEditor: Apply later', () => {
  it('refuses a past time without a request, then saves with applyAt and the comment', async () => {
    const puts: { applyAt?: string; comment?: string; offVariation: string }[] = [];
    server.use(
      http.put('*/api/v1/flags/new-checkout/environments/staging', async ({ request }) => {
        const body = (await request.json()) as (typeof puts)[number];
        puts.push(body);
        return HttpResponse.json(
          { id: 9, state: 'scheduled', kind: 'config', applyAt: body.applyAt, proposed: config },
          { status: 202 },
        );
      }),
    );
    const { Wrapper } = testProviders();
    render(<TargetingEditor flag={flag} config={config} env={staging} canEdit segments={[]} />, {
      wrapper: Wrapper,
    });
    const whenOff = screen.getByRole('region', { name: 'When off' });
    await userEvent.selectOptions(within(whenOff).getByLabelText('Serve'), 'on');
    await userEvent.click(screen.getByRole('button', { name: 'Schedule…' }));
    const dialog = screen.getByRole('dialog');
    const input = within(dialog).getByLabelText('Apply later (optional)');

    fireEvent.change(input, { target: { value: inHours(-1) } });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Schedule for Staging' }));
    expect(within(dialog).getByText('Must be in the future')).toBeTruthy();
    expect(puts).toEqual([]);

    const later = inHours(3);
    fireEvent.change(input, { target: { value: later } });
    await userEvent.type(within(dialog).getByLabelText('Why (kept in the audit log)'), 'after the mail');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Schedule for Staging' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toMatchObject({ offVariation: 'on', comment: 'after the mail' });
    expect(new Date(puts[0]?.applyAt ?? '').getTime()).toBe(new Date(later).getTime());
    expect(await screen.findByText(/^Change request #9 scheduled for /)).toBeTruthy();
  });

  it('saves at once from the save bar, without applyAt', async () => {
    const puts: unknown[] = [];
    server.use(
      http.put('*/api/v1/flags/new-checkout/environments/staging', async ({ request }) => {
        puts.push(await request.json());
        return HttpResponse.json({ ...config, version: 4, offVariation: 'on' });
      }),
    );
    const { Wrapper } = testProviders();
    render(<TargetingEditor flag={flag} config={config} env={staging} canEdit segments={[]} />, {
      wrapper: Wrapper,
    });
    const whenOff = screen.getByRole('region', { name: 'When off' });
    await userEvent.selectOptions(within(whenOff).getByLabelText('Serve'), 'on');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).not.toHaveProperty('applyAt');
  });
});

describe('TargetingEditor: with my pending change request', () => {
  const production: Environment = {
    ...staging,
    key: 'production',
    name: 'Production',
    requireApproval: true,
  };
  const pending = {
    id: 7,
    state: 'pending',
    kind: 'config',
    flag: 'new-checkout',
    environment: 'production',
    environments: ['production'],
    segment: null,
    proposed: { ...config, version: 4, offVariation: 'on' },
    operations: [{ op: 'set', field: 'offVariation', before: 'off', after: 'on' }],
    conflicts: null,
    author: { type: 'user', id: 'user:2', name: 'editor@example.com' },
  } as unknown as ConfigChangeRequest;

  it('shows the draft with the request applied, and adds a save to the request', async () => {
    const puts: { offVariation: string; version: number }[] = [];
    server.use(
      http.put('*/api/v1/flags/new-checkout/environments/production', async ({ request }) => {
        puts.push((await request.json()) as (typeof puts)[number]);
        return HttpResponse.json(pending, { status: 202 });
      }),
    );
    const { Wrapper, queryClient } = testProviders();
    // The flag page holds the open requests: #7 is there before the save answers with it.
    queryClient.setQueryData(['change-requests', { flag: 'new-checkout' }], [pending]);
    render(
      <TargetingEditor
        flag={flag}
        config={config}
        env={production}
        canEdit
        segments={[]}
        pending={pending}
      />,
      { wrapper: Wrapper },
    );
    const offVariation = () =>
      within(screen.getByRole('region', { name: 'When off' })).getByLabelText('Serve');
    expect((offVariation() as HTMLSelectElement).value).toBe('off');
    await userEvent.click(screen.getByRole('button', { name: 'Show with request #7 applied' }));
    await waitFor(() => expect((offVariation() as HTMLSelectElement).value).toBe('on'));
    await userEvent.click(screen.getByRole('button', { name: 'Show live targeting' }));
    await waitFor(() => expect((offVariation() as HTMLSelectElement).value).toBe('off'));

    // A save on the live targeting joins request #7.
    await userEvent.click(screen.getByRole('button', { name: '+ Add rule' }));
    await userEvent.type(screen.getByLabelText('Rule 1, condition 1: values'), 'beta');
    await userEvent.click(screen.getByRole('button', { name: 'Add to change request #7' }));
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByText('Add these changes to your change request #7?')).toBeTruthy();
    expect(within(dialog).getByRole('list', { name: 'Changes to save' }).textContent).toMatch(
      /^Add rule “.+” at the top: if groups is beta → serve /,
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add to change request #7' }));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toMatchObject({ version: 3, offVariation: 'off' });
    expect(
      await screen.findByText('Added to your pending change request #7 — waiting for approval'),
    ).toBeTruthy();
  });
});
