// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import type { Environment, Flag } from '../../types';
import { changesServedValues, EditFlagDialog, flagChanges } from './EditFlagDialog';

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

const colour: Flag = {
  key: 'colour',
  name: 'Colour',
  description: 'The checkout colour',
  kind: 'string',
  variations: [
    { id: 'blue', value: 'blue' },
    { id: 'green', value: 'green', name: 'Green' },
  ],
  tags: ['checkout'],
  owner: null,
  temporary: true,
  clientSide: false,
  archived: false,
  version: 4,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
};
const env = (key: string, name: string, requireApproval: boolean): Environment => ({
  key,
  name,
  order: 0,
  requireApproval,
  corsOrigins: [],
  revision: 1,
  createdAt: '2026-05-01T08:00:00.000Z',
  updatedAt: '2026-05-01T08:00:00.000Z',
});
const staging = env('staging', 'Staging', false);
const production = env('production', 'Production', true);

interface Sent {
  body: Record<string, unknown>;
  ifMatch: string | null;
}

function open(flag: Flag, environments: Environment[], answer: (sent: Sent) => Response) {
  const sent: Sent[] = [];
  server.use(
    http.patch('*/api/v1/flags/colour', async ({ request }) => {
      const entry = {
        body: (await request.json()) as Record<string, unknown>,
        ifMatch: request.headers.get('if-match'),
      };
      sent.push(entry);
      return answer(entry);
    }),
  );
  const { Wrapper, queryClient } = testProviders();
  queryClient.setQueryData(['flag', flag.key], flag);
  let closed = 0;
  render(<EditFlagDialog open flag={flag} environments={environments} onClose={() => closed++} />, {
    wrapper: Wrapper,
  });
  return { sent, closed: () => closed };
}

describe('flagChanges and changesServedValues', () => {
  const form = {
    name: 'Colour',
    description: 'The checkout colour',
    tags: ['checkout'],
    temporary: true,
    clientSide: false,
    variations: colour.variations,
  };
  it('send only what changed', () => {
    expect(flagChanges(colour, form)).toEqual({});
    expect(flagChanges(colour, { ...form, temporary: false, tags: ['checkout', 'q3'] })).toEqual({
      temporary: false,
      tags: ['checkout', 'q3'],
    });
  });
  it('tell served changes (ids, values, browser exposure) from descriptive ones', () => {
    const renamed = colour.variations.map((v) => ({ ...v, name: `${v.id}!` }));
    expect(changesServedValues(colour, { variations: renamed, name: 'x', temporary: false })).toBe(false);
    expect(changesServedValues(colour, { clientSide: true })).toBe(true);
    expect(
      changesServedValues(colour, { variations: [{ id: 'blue', value: 'navy' }, colour.variations[1]!] }),
    ).toBe(true);
  });
});

describe('EditFlagDialog', () => {
  it('saves name, tags, lifetime and a variation name at once, at the version shown', async () => {
    const { sent, closed } = open(colour, [staging, production], ({ body }) =>
      HttpResponse.json({ ...colour, ...body, version: 5 }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).queryByTestId('flag-edit-approval')).toBeNull();
    const name = within(dialog).getByLabelText('Name');
    await userEvent.clear(name);
    await userEvent.type(name, 'Checkout colour');
    await userEvent.type(within(dialog).getByLabelText('Tags'), ', q3');
    await userEvent.click(within(dialog).getByLabelText('Permanent'));
    await userEvent.type(within(dialog).getByLabelText('Variation 1 name'), 'Blue');
    // Names serve nothing: no approval, even with production requiring it.
    expect(within(dialog).queryByTestId('flag-edit-approval')).toBeNull();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save flag' }));
    await screen.findByText('Saved Checkout colour');
    expect(sent).toEqual([
      {
        ifMatch: '"4"',
        body: {
          name: 'Checkout colour',
          tags: ['checkout', 'q3'],
          temporary: false,
          variations: [
            { id: 'blue', value: 'blue', name: 'Blue' },
            { id: 'green', value: 'green', name: 'Green' },
          ],
        },
      },
    ]);
    expect(closed()).toBe(1);
  });

  it('says a served change waits for approval where required, and shows the change request', async () => {
    const { sent } = open(colour, [staging, production], () =>
      HttpResponse.json(
        { id: 7, kind: 'flag', state: 'pending', applyAt: null, environments: ['production'] },
        { status: 202 },
      ),
    );
    const dialog = await screen.findByRole('dialog');
    const value = within(dialog).getByLabelText('Variation 1 value');
    await userEvent.clear(value);
    await userEvent.type(value, 'navy');
    expect(within(dialog).getByTestId('flag-edit-approval').textContent).toMatch(
      /This changes what Production serves .* creates a change request/,
    );
    await userEvent.type(within(dialog).getByLabelText(/^Why/), 'darker');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Request approval' }));
    await screen.findByText('Change request #7 created — waiting for approval');
    expect(sent.map((s) => s.body)).toEqual([
      {
        variations: [
          { id: 'blue', value: 'navy' },
          { id: 'green', value: 'green', name: 'Green' },
        ],
        comment: 'darker',
      },
    ]);
  });

  it('adds a variation, and shows why one in use cannot be removed', async () => {
    const { sent } = open(colour, [staging], ({ body }) =>
      (body.variations as unknown[]).length < 2
        ? HttpResponse.json(
            {
              type: 'about:blank',
              title: 'Validation failed',
              status: 400,
              detail: 'A variation in use cannot be removed',
              errors: [
                {
                  path: 'variations',
                  message: 'variation "green" is in use: the default rule in staging; change that first',
                },
              ],
            },
            { status: 400, headers: { 'content-type': 'application/problem+json' } },
          )
        : HttpResponse.json({ ...colour, ...body, version: 5 }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove variation 2' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save flag' }));
    await within(dialog).findByText(
      'variation "green" is in use: the default rule in staging; change that first',
    );
    expect(within(dialog).getByRole('alert').textContent).toBe('A variation in use cannot be removed');

    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    cleanup();
    const again = open(colour, [staging], ({ body }) =>
      HttpResponse.json({ ...colour, ...body, version: 5 }),
    );
    const next = await screen.findByRole('dialog');
    await userEvent.click(within(next).getByRole('button', { name: '+ Add variation' }));
    await userEvent.type(within(next).getByLabelText('Variation 3 id'), 'red');
    await userEvent.type(within(next).getByLabelText('Variation 3 value'), 'red');
    await userEvent.click(within(next).getByRole('button', { name: 'Save flag' }));
    await waitFor(() => expect(again.sent).toHaveLength(1));
    expect(again.sent[0]?.body.variations).toEqual([...colour.variations, { id: 'red', value: 'red' }]);
    expect(sent).toHaveLength(1);
  });

  it('keeps a boolean flag’s values and lets its variations be named', async () => {
    const toggle: Flag = {
      ...colour,
      key: 'colour',
      kind: 'boolean',
      variations: [
        { id: 'off', value: false },
        { id: 'on', value: true },
      ],
    };
    const { sent } = open(toggle, [staging], ({ body }) => HttpResponse.json({ ...toggle, ...body }));
    const dialog = await screen.findByRole('dialog');
    expect((within(dialog).getByLabelText('Variation 1 value') as HTMLInputElement).readOnly).toBe(true);
    expect(within(dialog).queryByRole('button', { name: '+ Add variation' })).toBeNull();
    await userEvent.type(within(dialog).getByLabelText('Variation 2 name'), 'Enabled');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save flag' }));
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]?.body).toEqual({
      variations: [
        { id: 'off', value: false },
        { id: 'on', value: true, name: 'Enabled' },
      ],
    });
  });
});
