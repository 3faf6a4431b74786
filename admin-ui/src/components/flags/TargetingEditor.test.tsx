// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
