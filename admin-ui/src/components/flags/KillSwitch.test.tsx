// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localInputValue } from '../../lib/apply-at';
import { testProviders } from '../../test-support';
import type { Environment, Flag, FlagConfig } from '../../types';
import { KillSwitch } from './KillSwitch';

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

const flag = { key: 'new-checkout', name: 'New checkout', variations: [] } as unknown as Flag;
const config = {
  key: 'new-checkout',
  version: 2,
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'on' },
  rules: [],
  targets: [],
} as unknown as FlagConfig;
const env = (key: string, requireApproval: boolean): Environment => ({
  key,
  name: key === 'production' ? 'Production' : 'Staging',
  order: 0,
  requireApproval,
  corsOrigins: [],
  revision: 5,
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
});

function serve(toggles: unknown[]) {
  server.use(
    http.get('*/api/v1/insights/environments', () =>
      HttpResponse.json({
        items: [
          {
            environment: 'production',
            revision: 5,
            streams: 2,
            lastPublish: { revision: 5, at: new Date().toISOString(), streams: 2 },
          },
          { environment: 'staging', revision: 5, streams: 0, lastPublish: null },
        ],
      }),
    ),
    http.post('*/api/v1/flags/new-checkout/environments/:env/toggle', async ({ request }) => {
      toggles.push(await request.json());
      return HttpResponse.json({ ...config, enabled: false, version: 3 });
    }),
  );
}

describe('KillSwitch', () => {
  it('is a switch named after its environment that toggles in one click outside production', async () => {
    const toggles: unknown[] = [];
    serve(toggles);
    const { Wrapper } = testProviders();
    render(<KillSwitch flag={flag} config={config} env={env('staging', false)} envIndex={1} canEdit />, {
      wrapper: Wrapper,
    });
    const control = screen.getByRole('switch', { name: 'Flag on in Staging' });
    expect(control.getAttribute('aria-checked')).toBe('true');
    await userEvent.click(control);
    await waitFor(() => expect(toggles).toEqual([{ enabled: false }]));
  });

  it('asks first in production, with a reason for the audit log, and shows delivery to SDK streams', async () => {
    const toggles: unknown[] = [];
    serve(toggles);
    const { Wrapper } = testProviders();
    render(<KillSwitch flag={flag} config={config} env={env('production', true)} envIndex={2} canEdit />, {
      wrapper: Wrapper,
    });
    await screen.findByText(/2 SDK streams connected · revision 5 · delivered/);
    await userEvent.click(screen.getByRole('switch', { name: 'Flag on in Production' }));
    expect(toggles).toEqual([]);
    await userEvent.type(screen.getByLabelText('Reason (kept in the audit log)'), 'incident 42');
    await userEvent.click(screen.getByRole('button', { name: 'Turn off in Production' }));
    await waitFor(() => expect(toggles).toEqual([{ enabled: false, comment: 'incident 42' }]));
  });

  it('asks to turn on where approval is required, adding to my pending request when I have one', async () => {
    const toggles: unknown[] = [];
    serve(toggles);
    const off = { ...config, enabled: false } as FlagConfig;
    const { Wrapper } = testProviders();
    const { rerender } = render(
      <KillSwitch flag={flag} config={off} env={env('production', true)} envIndex={2} canEdit />,
      { wrapper: Wrapper },
    );
    await userEvent.click(screen.getByRole('button', { name: 'Request to turn on…' }));
    expect(screen.getByText('Request to turn New checkout on in Production?')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Request to turn on' })).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));

    const pending = { id: 7, proposed: { enabled: false } };
    rerender(
      <KillSwitch
        flag={flag}
        config={off}
        env={env('production', true)}
        envIndex={2}
        canEdit
        pending={pending}
      />,
    );
    await userEvent.click(screen.getByRole('switch', { name: 'Flag on in Production' }));
    expect(screen.getByText(/this is added to your pending change request #7/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Add to change request #7' }));
    await waitFor(() => expect(toggles).toEqual([{ enabled: true }]));

    // Once the request holds the turn-on, the switch says so.
    rerender(
      <KillSwitch
        flag={flag}
        config={off}
        env={env('production', true)}
        envIndex={2}
        canEdit
        pending={{ id: 7, proposed: { enabled: true } }}
      />,
    );
    expect(screen.getByText('turn-on requested in #7')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Request to turn on…' })).toBeNull();
  });

  it('is disabled for people who may not edit', () => {
    serve([]);
    const { Wrapper } = testProviders();
    render(
      <KillSwitch flag={flag} config={config} env={env('staging', false)} envIndex={1} canEdit={false} />,
      { wrapper: Wrapper },
    );
    expect((screen.getByRole('switch', { name: 'Flag on in Staging' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });

  describe('Apply later', () => {
    const off = { ...config, enabled: false } as FlagConfig;
    const inHours = (hours: number) => localInputValue(new Date(Date.now() + hours * 3_600_000));
    const setTime = (value: string) =>
      fireEvent.change(screen.getByLabelText('Apply later (optional)'), { target: { value } });
    const scheduledToggle = (toggles: unknown[]) =>
      server.use(
        http.get('*/api/v1/insights/environments', () => HttpResponse.json({ items: [] })),
        http.post('*/api/v1/flags/new-checkout/environments/staging/toggle', async ({ request }) => {
          const body = (await request.json()) as { applyAt: string };
          toggles.push(body);
          return HttpResponse.json(
            { id: 7, state: 'scheduled', kind: 'toggle', applyAt: body.applyAt, proposed: config },
            { status: 202 },
          );
        }),
      );

    it('refuses a past time without a request, then sends a future one as applyAt', async () => {
      const toggles: unknown[] = [];
      scheduledToggle(toggles);
      const { Wrapper } = testProviders();
      render(<KillSwitch flag={flag} config={off} env={env('staging', false)} envIndex={1} canEdit />, {
        wrapper: Wrapper,
      });
      await userEvent.click(screen.getByRole('button', { name: 'Turn on later…' }));
      const dialog = screen.getByRole('dialog');
      const input = within(dialog).getByLabelText('Apply later (optional)');
      expect(input.getAttribute('type')).toBe('datetime-local');

      setTime(inHours(-2));
      await userEvent.click(within(dialog).getByRole('button', { name: 'Schedule for Staging' }));
      expect(within(dialog).getByText('Must be in the future')).toBeTruthy();
      expect(input.getAttribute('aria-invalid')).toBe('true');
      expect(toggles).toEqual([]);

      const later = inHours(26);
      setTime(later);
      expect(input.getAttribute('aria-invalid')).toBeNull();
      await userEvent.type(within(dialog).getByLabelText('Reason (kept in the audit log)'), 'launch');
      await userEvent.click(within(dialog).getByRole('button', { name: 'Schedule for Staging' }));
      await waitFor(() => expect(toggles).toHaveLength(1));
      const sent = toggles[0] as { enabled: boolean; comment: string; applyAt: string };
      expect(sent).toMatchObject({ enabled: true, comment: 'launch' });
      expect(sent.applyAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00[+-]\d{2}:\d{2}$/);
      expect(new Date(sent.applyAt).getTime()).toBe(new Date(later).getTime());
      expect(await screen.findByText(/^Change request #7 scheduled for /)).toBeTruthy();
    });

    it("shows the server's applyAt error next to the input and keeps the dialog open", async () => {
      server.use(
        http.get('*/api/v1/insights/environments', () => HttpResponse.json({ items: [] })),
        http.post('*/api/v1/flags/new-checkout/environments/staging/toggle', () =>
          HttpResponse.json(
            {
              type: 'about:blank',
              title: 'applyAt is in the past',
              status: 400,
              detail: 'applyAt is in the past',
              errors: [{ path: 'applyAt', message: 'must be in the future (server)' }],
            },
            { status: 400 },
          ),
        ),
      );
      const { Wrapper } = testProviders();
      render(<KillSwitch flag={flag} config={off} env={env('staging', false)} envIndex={1} canEdit />, {
        wrapper: Wrapper,
      });
      await userEvent.click(screen.getByRole('button', { name: 'Turn on later…' }));
      setTime(inHours(1));
      await userEvent.click(screen.getByRole('button', { name: 'Schedule for Staging' }));
      const input = screen.getByLabelText('Apply later (optional)');
      await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
      const messages = document.getElementById(input.getAttribute('aria-describedby')?.split(' ')[0] ?? '');
      expect(messages?.textContent).toBe('must be in the future (server)');
    });

    it('is never offered for turning off', async () => {
      const toggles: unknown[] = [];
      serve(toggles);
      const { Wrapper } = testProviders();
      render(<KillSwitch flag={flag} config={config} env={env('production', true)} envIndex={2} canEdit />, {
        wrapper: Wrapper,
      });
      expect(screen.queryByRole('button', { name: 'Turn on later…' })).toBeNull();
      await userEvent.click(screen.getByRole('switch', { name: 'Flag on in Production' }));
      expect(screen.queryByLabelText('Apply later (optional)')).toBeNull();
      await userEvent.click(screen.getByRole('button', { name: 'Turn off in Production' }));
      await waitFor(() => expect(toggles).toEqual([{ enabled: false }]));
    });
  });
});
