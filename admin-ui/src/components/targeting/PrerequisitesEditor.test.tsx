// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { useState } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FieldErrors } from '../../lib/field-errors';
import { testProviders } from '../../test-support';
import type { Prerequisite } from '../../types';
import { FieldErrorsContext } from './errors-context';
import { PrerequisitesEditor } from './PrerequisitesEditor';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
});
afterAll(() => server.close());

const flag = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  name: key,
  kind: 'boolean',
  archived: false,
  tags: [],
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true, name: 'Enabled' },
  ],
  ...extra,
});

function Harness({ initial, errors }: { initial: Prerequisite[]; errors?: FieldErrors }) {
  const [prerequisites, setPrerequisites] = useState(initial);
  return (
    <FieldErrorsContext.Provider value={errors ?? FieldErrors.none}>
      <PrerequisitesEditor flagKey="child" prerequisites={prerequisites} onChange={setPrerequisites} />
      <output data-testid="value">{JSON.stringify(prerequisites)}</output>
    </FieldErrorsContext.Provider>
  );
}

const value = () => JSON.parse(screen.getByTestId('value').textContent ?? '[]') as Prerequisite[];

describe('PrerequisitesEditor', () => {
  it('adds another live flag serving true, and picks the variation of the flag chosen', async () => {
    let listed = 0;
    server.use(
      http.get('*/api/v1/flags', () => {
        listed++;
        return HttpResponse.json({
          items: [
            flag('child'),
            flag('gone', { archived: true }),
            flag('payments'),
            flag('colour', {
              kind: 'string',
              variations: [
                { id: 'blue', value: 'blue' },
                { id: 'green', value: 'green' },
              ],
            }),
          ],
          nextCursor: null,
        });
      }),
    );
    const { Wrapper } = testProviders();
    render(<Harness initial={[]} />, { wrapper: Wrapper });
    expect(screen.getByText('None: this flag does not depend on another.')).toBeTruthy();
    // Nothing is loaded until there is a prerequisite.
    expect(listed).toBe(0);
    await userEvent.click(screen.getByRole('button', { name: '+ Add prerequisite' }));
    await waitFor(() => expect(value()).toEqual([{ flag: 'payments', variation: 'on' }]));
    const select = screen.getByLabelText('Prerequisite 1: flag') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['payments', 'colour']);
    await userEvent.selectOptions(select, 'colour');
    expect(value()).toEqual([{ flag: 'colour', variation: 'blue' }]);
    await userEvent.selectOptions(screen.getByLabelText('Prerequisite 1: must serve'), 'green');
    expect(value()).toEqual([{ flag: 'colour', variation: 'green' }]);
    await userEvent.click(screen.getByRole('button', { name: 'Remove prerequisite 1' }));
    expect(value()).toEqual([]);
  });

  it('shows the server’s errors at the prerequisite and for the whole list', async () => {
    server.use(
      http.get('*/api/v1/flags', () => HttpResponse.json({ items: [flag('payments')], nextCursor: null })),
    );
    const errors = new FieldErrors([
      { path: 'prerequisites[0].variation', message: 'flag "payments" has no variation "maybe"' },
      { path: 'prerequisites', message: 'prerequisites form a cycle: child → payments → child' },
    ]);
    const { Wrapper } = testProviders();
    render(<Harness initial={[{ flag: 'payments', variation: 'maybe' }]} errors={errors} />, {
      wrapper: Wrapper,
    });
    const variation = screen.getByLabelText('Prerequisite 1: must serve');
    expect(variation.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('flag "payments" has no variation "maybe"')).toBeTruthy();
    expect(screen.getByText('prerequisites form a cycle: child → payments → child')).toBeTruthy();
    await screen.findByRole('option', { name: 'Enabled (true)' });
  });
});
