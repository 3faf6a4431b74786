// @vitest-environment happy-dom
import { act, renderHook, waitFor } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APIError } from '../../api';
import { formatDateTime } from '../../lib/time';
import { testProviders } from '../../test-support';
import type { ChangeRequest, FlagConfig } from '../../types';
import { requestedMessage, useConfig, useFlagStates, useFlags, useSaveConfig, useToggle } from './flagsApi';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
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
  fallthrough: { variation: 'on' },
  clientSide: false,
};
const flag = (key: string) => ({ key, name: key, tags: [], kind: 'boolean', archived: false });

describe('flags API slice', () => {
  it('loads every page of flags', async () => {
    server.use(
      http.get('*/api/v1/flags', ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        return cursor === null
          ? HttpResponse.json({ items: [flag('a'), flag('b')], nextCursor: 'c1' })
          : HttpResponse.json({ items: [flag('c')], nextCursor: null });
      }),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(() => useFlags(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(result.current.data?.map((f) => f.key)).toEqual(['a', 'b', 'c']);
  });

  it('indexes flag states by key', async () => {
    server.use(
      http.get('*/api/v1/insights/flags', () =>
        HttpResponse.json({
          items: [
            { key: 'a', environments: { production: { config, updatedAt: 'x', lastEvaluatedAt: null } } },
          ],
        }),
      ),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(() => useFlagStates(), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(result.current.data?.get('a')?.environments.production?.config.version).toBe(3);
  });

  it('saves targeting at the version it started from and caches the new config', async () => {
    let body: unknown;
    server.use(
      http.get('*/api/v1/flags/new-checkout/environments/staging', () => HttpResponse.json(config)),
      http.put('*/api/v1/flags/new-checkout/environments/staging', async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ ...config, version: 4, rules: (body as FlagConfig).rules });
      }),
    );
    const { Wrapper, queryClient } = testProviders();
    const { result } = renderHook(
      () => ({ config: useConfig('new-checkout', 'staging'), save: useSaveConfig('new-checkout') }),
      {
        wrapper: Wrapper,
      },
    );
    await waitFor(() => expect(result.current.config.data?.version).toBe(3));
    const rules = [
      {
        id: 'beta',
        clauses: [{ attribute: 'groups', op: 'in' as const, values: ['beta'] }],
        serve: { variation: 'on' },
      },
    ];
    await act(() =>
      result.current.save.mutateAsync({
        env: 'staging',
        version: 3,
        enabled: false,
        targeting: {
          offVariation: 'off',
          prerequisites: [],
          targets: [],
          rules,
          fallthrough: { variation: 'on' },
        },
      }),
    );
    expect(body).toEqual({
      version: 3,
      enabled: false,
      offVariation: 'off',
      prerequisites: [],
      targets: [],
      rules,
      fallthrough: { variation: 'on' },
    });
    expect(queryClient.getQueryData<FlagConfig>(['config', 'new-checkout', 'staging'])?.version).toBe(4);
  });

  it("surfaces the server's field errors from a rejected save", async () => {
    server.use(
      http.put('*/api/v1/flags/new-checkout/environments/staging', () =>
        HttpResponse.json(
          {
            type: 'about:blank',
            title: 'Validation failed',
            status: 400,
            detail: 'The config is invalid',
            errors: [{ path: 'rules[0].clauses[0].values[0]', message: 'nested repetition' }],
          },
          { status: 400 },
        ),
      ),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(() => useSaveConfig('new-checkout'), { wrapper: Wrapper });
    await act(async () => {
      await result.current
        .mutateAsync({
          env: 'staging',
          version: 3,
          enabled: false,
          targeting: {
            offVariation: 'off',
            prerequisites: [],
            targets: [],
            rules: [],
            fallthrough: { variation: 'on' },
          },
        })
        .catch(() => {});
    });
    await waitFor(() => expect(result.current.error).toBeInstanceOf(APIError));
    expect((result.current.error as APIError).errors[0]?.path).toBe('rules[0].clauses[0].values[0]');
  });

  it('toggles with a comment and replaces the cached config', async () => {
    let body: unknown;
    server.use(
      http.post('*/api/v1/flags/new-checkout/environments/production/toggle', async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ ...config, enabled: false, version: 9 });
      }),
    );
    const { Wrapper, queryClient } = testProviders();
    const { result } = renderHook(() => useToggle('new-checkout'), { wrapper: Wrapper });
    await act(() =>
      result.current.mutateAsync({ env: 'production', enabled: false, comment: 'incident 42' }),
    );
    expect(body).toEqual({ enabled: false, comment: 'incident 42' });
    expect(queryClient.getQueryData<FlagConfig>(['config', 'new-checkout', 'production'])?.version).toBe(9);
  });

  it('sends applyAt with the comment and returns the scheduled change request, config untouched', async () => {
    const applyAt = '2026-07-01T09:00:00+02:00';
    let body: unknown;
    server.use(
      http.put('*/api/v1/flags/new-checkout/environments/staging', async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(scheduled(11, applyAt), { status: 202 });
      }),
    );
    const { Wrapper, queryClient } = testProviders();
    queryClient.setQueryData(['config', 'new-checkout', 'staging'], config);
    const { result } = renderHook(() => useSaveConfig('new-checkout'), { wrapper: Wrapper });
    const outcome = await act(() =>
      result.current.mutateAsync({
        env: 'staging',
        version: 3,
        enabled: false,
        targeting: {
          offVariation: 'off',
          prerequisites: [],
          targets: [],
          rules: [],
          fallthrough: { variation: 'on' },
        },
        comment: 'after the launch mail',
        applyAt,
      }),
    );
    expect(body).toMatchObject({ version: 3, comment: 'after the launch mail', applyAt });
    expect(outcome).toMatchObject({ kind: 'requested', changeRequest: { id: 11, state: 'scheduled' } });
    expect(queryClient.getQueryData<FlagConfig>(['config', 'new-checkout', 'staging'])).toEqual(config);
  });

  it('sends applyAt when turning on, and never when turning off', async () => {
    const applyAt = '2026-07-01T09:00:00+02:00';
    const bodies: unknown[] = [];
    server.use(
      http.post('*/api/v1/flags/new-checkout/environments/staging/toggle', async ({ request }) => {
        const body = (await request.json()) as { enabled: boolean };
        bodies.push(body);
        return body.enabled
          ? HttpResponse.json(scheduled(12, applyAt), { status: 202 })
          : HttpResponse.json({ ...config, version: 4 });
      }),
    );
    const { Wrapper } = testProviders();
    const { result } = renderHook(() => useToggle('new-checkout'), { wrapper: Wrapper });
    await act(() => result.current.mutateAsync({ env: 'staging', enabled: true, applyAt }));
    // The type has no applyAt for `enabled: false`; even a cast one is not sent.
    const sneaky = { env: 'staging', enabled: false, applyAt } as unknown as { env: string; enabled: false };
    await act(() => result.current.mutateAsync(sneaky));
    expect(bodies).toEqual([{ enabled: true, applyAt }, { enabled: false }]);
  });

  it('says when a scheduled request applies, in local time', () => {
    const applyAt = '2026-07-01T09:00:00+02:00';
    expect(requestedMessage(scheduled(11, applyAt))).toBe(
      `Change request #11 scheduled for ${formatDateTime(applyAt)}`,
    );
    expect(requestedMessage({ ...scheduled(12, applyAt), state: 'pending' })).toBe(
      `Change request #12 created — waiting for approval; once approved it applies at ${formatDateTime(applyAt)}`,
    );
    expect(requestedMessage({ ...scheduled(13, applyAt), state: 'pending', applyAt: null })).toBe(
      'Change request #13 created — waiting for approval',
    );
  });
});

function scheduled(id: number, applyAt: string): ChangeRequest {
  return {
    id,
    state: 'scheduled',
    flag: 'new-checkout',
    environment: 'staging',
    environments: ['staging'],
    segment: null,
    kind: 'config',
    proposed: { ...config, version: 4 },
    baseVersion: 3,
    revision: 1,
    author: { type: 'user', id: 'user:2', name: 'editor@example.com' },
    comment: null,
    applyAt,
    createdAt: '2026-05-01T10:00:00.000Z',
    reviewer: null,
    reviewComment: null,
    reviewedAt: null,
    appliedAt: null,
    conflict: null,
    operations: [],
    conflicts: null,
  };
}
