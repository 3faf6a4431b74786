// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { testProviders } from '../../test-support';
import type { AuditEvent, FlagConfig } from '../../types';
import { AuditEventItem } from './AuditEventItem';

afterEach(cleanup);

const before: FlagConfig = {
  key: 'new-checkout',
  version: 3,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  fallthrough: { variation: 'off' },
  clientSide: false,
};

const event = (patch: Partial<AuditEvent>): AuditEvent => ({
  id: 1,
  at: new Date().toISOString(),
  actor: { type: 'user', id: 'user:1', name: 'admin@example.com' },
  action: 'flag.config.update',
  resource: { type: 'flag', key: 'new-checkout', environment: 'staging' },
  before,
  after: before,
  prevHash: '',
  hash: '',
  ...patch,
});

describe('AuditEventItem', () => {
  it('says what a config change did in words, with the raw JSON behind a toggle', () => {
    const after: FlagConfig = {
      ...before,
      version: 4,
      rules: [
        {
          id: 'r1',
          name: 'Beta',
          clauses: [{ attribute: 'country', op: 'in', values: ['DE'], negate: true }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'on', weight: 25_000 },
            { variation: 'off', weight: 75_000 },
          ],
        },
      },
    };
    const { Wrapper } = testProviders();
    render(
      <ol>
        <AuditEventItem event={event({ after })} envIndex={() => 0} />
      </ol>,
      { wrapper: Wrapper },
    );
    const changes = screen.getByRole('list', { name: 'Changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Default rule: serve off → rollout: on 25%, off 75%',
      'Add rule “Beta” at the top: if country is not DE → serve on',
    ]);
    expect(screen.getByText('Show JSON')).toBeTruthy();
    expect(changes.textContent).not.toMatch(/25000|75000/);
  });

  it('shows a change request moving on as its state', () => {
    const { Wrapper } = testProviders();
    render(
      <ol>
        <AuditEventItem
          event={event({
            action: 'change_request.approve',
            resource: { type: 'change_request', key: '7', environment: 'production' },
            before: { state: 'pending' },
            after: { state: 'applied' },
          })}
          envIndex={() => 0}
        />
      </ol>,
      { wrapper: Wrapper },
    );
    expect(screen.getByRole('list', { name: 'Changes' }).textContent).toBe('State: pending → applied');
  });
});
