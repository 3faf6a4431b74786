// @vitest-environment happy-dom
import { act, cleanup, render, renderHook, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APIError } from '../../api';
import { ChangeRequestCard } from '../../components/changes/ChangeRequestCard';
import { testProviders } from '../../test-support';
import type { ChangeRequest, FlagConfig, Me } from '../../types';
import { requestedMessage, useToggle } from '../flags/flagsApi';
import {
  isAuthor,
  myPendingRequest,
  OPEN_STATES,
  openByFlag,
  useChangeRequests,
  useReview,
} from './changesApi';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
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

type ConfigRequest = Extract<ChangeRequest, { kind: 'config' | 'toggle' }>;

const request = (id: number, patch: Partial<ConfigRequest> = {}): ConfigRequest => ({
  id,
  state: 'pending',
  flag: 'new-checkout',
  environment: 'production',
  environments: ['production'],
  segment: null,
  kind: 'config',
  proposed: { ...config, version: 4, enabled: true, fallthrough: { variation: 'on' } },
  baseVersion: 3,
  revision: 1,
  author: { type: 'user', id: 'user:2', name: 'editor@example.com' },
  comment: 'open it up',
  applyAt: null,
  createdAt: '2026-05-01T10:00:00.000Z',
  reviewer: null,
  reviewComment: null,
  reviewedAt: null,
  appliedAt: null,
  conflict: null,
  operations: [],
  conflicts: null,
  ...patch,
});

const me = (id: number, role: Me['role']): Me => ({
  kind: 'user',
  id,
  name: `user-${id}`,
  role,
  orgAdmin: false,
  project: 'default',
  environments: null,
});

describe('change requests API slice', () => {
  it('asks for the open requests of one flag and environment', async () => {
    let query: URLSearchParams | undefined;
    server.use(
      http.get('*/api/v1/change-requests', ({ request: req }) => {
        query = new URL(req.url).searchParams;
        return HttpResponse.json({ items: [request(2), request(1, { state: 'scheduled' })] });
      }),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(
      () => useChangeRequests({ states: OPEN_STATES, flag: 'new-checkout', environment: 'production' }),
      { wrapper: Wrapper },
    );
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(Object.fromEntries(query ?? [])).toEqual({
      state: 'pending,scheduled',
      flag: 'new-checkout',
      environment: 'production',
    });
    expect(result.current.data?.map((r) => r.id)).toEqual([2, 1]);
  });

  it('groups open requests by flag and knows the author', () => {
    const grouped = openByFlag([
      request(1),
      request(2, { flag: 'other', state: 'scheduled' }),
      request(3, { state: 'applied' }),
    ]);
    expect([...grouped].map(([flag, items]) => [flag, items.map((r) => r.id)])).toEqual([
      ['new-checkout', [1]],
      ['other', [2]],
    ]);
    expect(isAuthor(me(2, 'editor'), request(1))).toBe(true);
    expect(isAuthor(me(3, 'approver'), request(1))).toBe(false);
    expect(isAuthor({ kind: 'token', id: 2 }, request(1))).toBe(false);
  });

  it('approves with a comment and refreshes the inbox; a conflict is a 409 APIError', async () => {
    const posted: unknown[] = [];
    let lists = 0;
    let answer: 'ok' | 'conflict' = 'ok';
    server.use(
      http.get('*/api/v1/change-requests', () => {
        lists++;
        return HttpResponse.json({ items: [request(1)] });
      }),
      http.post('*/api/v1/change-requests/1/approve', async ({ request: req }) => {
        posted.push(await req.json());
        if (answer === 'conflict') {
          return HttpResponse.json(
            {
              type: 'https://ringflag.dev/problems/conflict',
              title: 'Conflict',
              status: 409,
              detail: 'Change request 1 conflicts: the config is at version 5, not 3',
              errors: [],
              changeRequest: request(1, { state: 'conflict' }),
            },
            { status: 409, headers: { 'content-type': 'application/problem+json' } },
          );
        }
        return HttpResponse.json(request(1, { state: 'applied' }));
      }),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(() => ({ list: useChangeRequests(), review: useReview() }), {
      wrapper: Wrapper,
    });
    await waitFor(() => expect(result.current.list.isSuccess).toBe(true));
    const before = lists;
    const approved = await act(() =>
      result.current.review.mutateAsync({ id: 1, action: 'approve', comment: 'LGTM' }),
    );
    expect(approved.state).toBe('applied');
    expect(posted).toEqual([{ comment: 'LGTM' }]);
    await waitFor(() => expect(lists).toBeGreaterThan(before));

    answer = 'conflict';
    const afterApproval = lists;
    let failure: unknown;
    await act(() =>
      result.current.review.mutateAsync({ id: 1, action: 'approve' }).catch((e) => (failure = e)),
    );
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).status).toBe(409);
    expect((failure as APIError).detail).toMatch(/version 5, not 3/);
    expect(posted[1]).toEqual({});
    await waitFor(() => expect(lists).toBeGreaterThan(afterApproval));
  });

  it('knows a 202 that adds to my pending request from one that opens a new request', async () => {
    let answer = request(7, { kind: 'toggle' });
    server.use(
      http.post('*/api/v1/flags/new-checkout/environments/production/toggle', () =>
        HttpResponse.json(answer, { status: 202 }),
      ),
    );
    const { Wrapper, queryClient } = testProviders();
    const { result } = renderHook(() => useToggle('new-checkout'), { wrapper: Wrapper });
    const first = await act(() => result.current.mutateAsync({ env: 'production', enabled: true }));
    expect(first).toMatchObject({ kind: 'requested', merged: false });
    if (first.kind === 'requested') {
      expect(requestedMessage(first.changeRequest, first.merged)).toBe(
        'Change request #7 created — waiting for approval',
      );
    }

    // The flag page holds the open requests; #7 is among them when the next write answers with it.
    queryClient.setQueryData(
      ['change-requests', { flag: 'new-checkout', states: OPEN_STATES }],
      [request(7)],
    );
    answer = request(7, { kind: 'config' });
    const second = await act(() => result.current.mutateAsync({ env: 'production', enabled: true }));
    expect(second).toMatchObject({ kind: 'requested', merged: true });
    if (second.kind === 'requested') {
      expect(requestedMessage(second.changeRequest, second.merged)).toBe(
        'Added to your pending change request #7 — waiting for approval',
      );
    }
  });

  it('finds my pending config request in one environment', () => {
    const mine = request(4);
    const items = [
      request(1, { author: { type: 'user', id: 'user:9', name: 'other@example.com' } }),
      request(2, { state: 'scheduled' }),
      request(3, { environment: 'staging', environments: ['staging'] }),
      mine,
    ];
    expect(myPendingRequest(items, me(2, 'editor'), 'production')).toBe(mine);
    expect(myPendingRequest(items, me(2, 'editor'), 'development')).toBeUndefined();
    expect(myPendingRequest(items, me(3, 'editor'), 'production')).toBeUndefined();
  });

  it('returns a change request for a 202 toggle and leaves the cached config alone', async () => {
    server.use(
      http.post('*/api/v1/flags/new-checkout/environments/production/toggle', () =>
        HttpResponse.json(request(7, { kind: 'toggle' }), { status: 202 }),
      ),
    );
    const { Wrapper, queryClient } = testProviders();
    queryClient.setQueryData(['config', 'new-checkout', 'production'], config);
    const { result } = renderHook(() => useToggle('new-checkout'), { wrapper: Wrapper });
    const outcome = await act(() => result.current.mutateAsync({ env: 'production', enabled: true }));
    expect(outcome).toMatchObject({ kind: 'requested', changeRequest: { id: 7, state: 'pending' } });
    expect(queryClient.getQueryData<FlagConfig>(['config', 'new-checkout', 'production'])).toEqual(config);
  });
});

/** Keeps the change request list loaded, to see it refreshed. */
function Lists() {
  useChangeRequests();
  return null;
}

describe('ChangeRequestCard', () => {
  const env = { key: 'production', name: 'Production' };
  const serveConfig = () =>
    server.use(
      http.get('*/api/v1/flags/new-checkout/environments/production', () => HttpResponse.json(config)),
    );
  const renderCard = (viewer: Me, cr: ChangeRequest = request(1)) => {
    const { Wrapper } = testProviders();
    return render(<ChangeRequestCard request={cr} me={viewer} environments={[{ env, index: 2 }]} />, {
      wrapper: Wrapper,
    });
  };

  it('shows the change in words and lets another approver approve or reject', async () => {
    serveConfig();
    const approvals: unknown[] = [];
    server.use(
      http.post('*/api/v1/change-requests/1/approve', async ({ request: req }) => {
        approvals.push(await req.json());
        return HttpResponse.json(request(1, { state: 'applied' }));
      }),
      http.get('*/api/v1/change-requests', () => HttpResponse.json({ items: [] })),
    );
    renderCard(me(3, 'approver'));
    const changes = await screen.findByRole('list', { name: 'Proposed changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Turn on', 'Default rule: serve off → serve on']);
    expect(screen.getByRole('button', { name: 'Reject' })).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Review comment'), 'ship it');
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    // It approves the revision it shows, no other.
    await waitFor(() => expect(approvals).toEqual([{ comment: 'ship it', revision: 1 }]));
  });

  it('shows a turn-on even where the flag is on now, and reloads a request its author changed since', async () => {
    // Someone else turned the flag on since; a kill switch may turn it off before this is approved,
    // and approving then turns it on again: the step says so, whatever the flag is now.
    server.use(
      http.get('*/api/v1/flags/new-checkout/environments/production', () =>
        HttpResponse.json({ ...config, version: 4, enabled: true }),
      ),
    );
    const posted: unknown[] = [];
    let lists = 0;
    server.use(
      http.get('*/api/v1/change-requests', () => {
        lists++;
        return HttpResponse.json({ items: [] });
      }),
      http.post('*/api/v1/change-requests/6/approve', async ({ request: req }) => {
        posted.push(await req.json());
        return HttpResponse.json(
          {
            type: 'https://ringflag.dev/problems/conflict',
            title: 'Conflict',
            status: 409,
            detail:
              'Change request 6 changed since it was loaded: it is at revision 3, not 2; review it again',
            errors: [],
          },
          { status: 409, headers: { 'content-type': 'application/problem+json' } },
        );
      }),
    );
    const turnOn = request(6, {
      kind: 'toggle',
      revision: 2,
      operations: [{ op: 'set', field: 'enabled', before: false, after: true }],
      proposed: { ...config, version: 5, enabled: true },
    });
    const { Wrapper } = testProviders();
    render(
      <>
        <ChangeRequestCard request={turnOn} me={me(3, 'approver')} environments={[{ env, index: 2 }]} />
        <Lists />
      </>,
      { wrapper: Wrapper },
    );
    const changes = await screen.findByRole('list', { name: 'Proposed changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Turn on']);
    await waitFor(() => expect(lists).toBe(1));
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    const card = document.getElementById('change-6') as HTMLElement;
    expect((await within(card).findByRole('alert')).textContent).toMatch(/changed since it was loaded/);
    expect(posted).toEqual([{ revision: 2 }]);
    await waitFor(() => expect(lists).toBe(2));
  });

  it('offers the author only withdraw, and an editor nothing', async () => {
    serveConfig();
    renderCard(me(2, 'admin'));
    await screen.findByRole('list', { name: 'Proposed changes' });
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Withdraw' })).toBeTruthy();
    cleanup();
    renderCard(me(4, 'editor'));
    await screen.findByRole('list', { name: 'Proposed changes' });
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Withdraw' })).toBeNull();
    expect(screen.getByText(/Waiting for someone with the approver role/)).toBeTruthy();
  });

  it('shows a segment change, which applies everywhere, against the current segment', async () => {
    server.use(
      http.get('*/api/v1/segments/vip', () =>
        HttpResponse.json({
          key: 'vip',
          name: 'VIPs',
          description: '',
          version: 3,
          included: ['u1'],
          excluded: [],
          rules: [],
          createdAt: '2026-05-01T10:00:00.000Z',
          updatedAt: '2026-05-01T10:00:00.000Z',
        }),
      ),
    );
    const segmentRequest: ChangeRequest = {
      ...request(9),
      kind: 'segment',
      flag: null,
      environment: null,
      segment: 'vip',
      baseVersion: 3,
      revision: 1,
      operations: [],
      conflicts: null,
      proposed: {
        key: 'vip',
        name: 'VIPs',
        description: '',
        version: 4,
        included: ['u1', 'u2'],
        excluded: [],
        rules: [],
      },
    };
    renderCard(me(3, 'approver'), segmentRequest);
    await screen.findByRole('list', { name: 'Proposed changes' });
    expect(screen.getByRole('heading', { name: /Change segment of vip in all environments/ })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'vip' }).getAttribute('href')).toBe('/segments/vip');
    expect(screen.getByText('Included: add u2')).toBeTruthy();
    expect(screen.getByText('Production')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Approve' })).toBeTruthy();
  });

  it('lists the steps of a config request with rule names, and its conflicts per field', async () => {
    server.use(
      http.get('*/api/v1/flags/new-checkout/environments/production', () =>
        HttpResponse.json({ ...config, version: 5 }),
      ),
    );
    const rule = {
      id: 'r1',
      name: 'Beta testers',
      clauses: [{ attribute: 'groups', op: 'in' as const, values: ['staff', 'beta'] }],
      serve: { variation: 'on' },
    };
    const stepwise = request(5, {
      operations: [
        { op: 'set', field: 'enabled', before: false, after: true },
        { op: 'addRule', rule, afterRule: null },
        {
          op: 'set',
          field: 'fallthrough',
          before: { variation: 'off' },
          after: {
            rollout: {
              variations: [
                { variation: 'on', weight: 5_000 },
                { variation: 'off', weight: 95_000 },
              ],
            },
          },
        },
      ],
      conflicts: [{ path: 'rules.r1', message: 'someone removed it meanwhile' }],
      proposed: { ...config, version: 6, enabled: true, rules: [rule] },
    });
    renderCard(me(3, 'approver'), stepwise);
    const changes = await screen.findByRole('list', { name: 'Proposed changes' });
    expect(
      within(changes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'Turn on',
      'Add rule “Beta testers” at the top: if groups is one of staff, beta → serve on',
      'Default rule: serve off → rollout: on 5%, off 95%',
    ]);
    expect(
      screen.getByRole('heading', { name: /#5 · Turn on and change targeting of new-checkout/ }),
    ).toBeTruthy();
    const conflicts = screen.getByRole('list', { name: 'Conflicts' });
    expect(conflicts.textContent).toBe('Rule “Beta testers”: someone removed it meanwhile');
    // The config moved: the steps still apply to it as it is now.
    expect(await screen.findByText(/approving applies these changes to it as it is now/)).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/95000|"weight"/);
  });

  it('warns that a request whose config moved will conflict', async () => {
    server.use(
      http.get('*/api/v1/flags/new-checkout/environments/production', () =>
        HttpResponse.json({ ...config, version: 5 }),
      ),
    );
    renderCard(me(3, 'approver'));
    expect(await screen.findByText(/approving it will fail with a conflict/)).toBeTruthy();
  });
});
