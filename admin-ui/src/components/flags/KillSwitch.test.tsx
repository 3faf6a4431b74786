// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
});
