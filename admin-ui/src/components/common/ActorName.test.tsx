// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useMe } from '../../app/auth/authApi';
import { testProviders } from '../../test-support';
import type { Actor, Role, User } from '../../types';
import { ActorName, actorLabel } from './ActorName';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the next test starts signed out.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});
afterAll(() => server.close());

const user = (id: number, email: string, name: string): User => ({
  id,
  email,
  name,
  orgAdmin: false,
  role: 'editor',
  projects: [{ key: 'default', role: 'editor' }],
  sso: false,
  disabled: false,
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T10:00:00.000Z',
});
const erin = user(2, 'erin@example.com', 'Erin Editor');
const nameless = user(3, 'nemo@example.com', 'nemo@example.com');
const author: Actor = { type: 'user', id: 'user:2', name: 'erin@example.com' };

/** The signed-in person's role, once known. */
function SignedInRole() {
  const me = useMe().data;
  return me ? <span>role {me.role}</span> : null;
}

describe('actorLabel', () => {
  it('names a user who has a name, with the email as the title; otherwise shows what was recorded', () => {
    expect(actorLabel(author, [erin, nameless])).toEqual({ name: 'Erin Editor', title: 'erin@example.com' });
    expect(actorLabel({ type: 'user', id: 'user:3', name: 'nemo@example.com' }, [erin, nameless])).toEqual({
      name: 'nemo@example.com',
    });
    // Not in the list (or no list at all): as recorded.
    expect(actorLabel({ type: 'user', id: 'user:9', name: 'gone@example.com' }, [erin])).toEqual({
      name: 'gone@example.com',
    });
    expect(actorLabel(author, undefined)).toEqual({ name: 'erin@example.com' });
    // A token's id never matches a user's, even with the same number.
    expect(actorLabel({ type: 'token', id: 'token:2', name: 'deploy-bot' }, [erin])).toEqual({
      name: 'deploy-bot',
    });
  });
});

describe('ActorName', () => {
  function signedIn(role: Role) {
    const lists: string[] = [];
    // biome-ignore lint/suspicious/noDocumentCookie: useMe asks the server only when this cookie says there is a session.
    document.cookie = 'rf_csrf=token';
    server.use(
      http.get('*/api/v1/me', () =>
        HttpResponse.json({
          kind: 'user',
          id: 1,
          name: `${role}@example.com`,
          role,
          orgAdmin: role === 'admin',
          project: 'default',
          environments: null,
        }),
      ),
      http.get('*/api/v1/users', () => {
        lists.push(role);
        return HttpResponse.json({ items: [erin] });
      }),
    );
    return lists;
  }

  it('shows an org admin the person’s name, the email as its title', async () => {
    const lists = signedIn('admin');
    const { Wrapper } = testProviders();
    render(<ActorName actor={author} />, { wrapper: Wrapper });
    const name = await screen.findByText('Erin Editor');
    expect(name.getAttribute('title')).toBe('erin@example.com');
    expect(lists).toEqual(['admin']);
  });

  it('shows someone who may not list users what was recorded, without asking for the list', async () => {
    const lists = signedIn('approver');
    const { queryClient, Wrapper } = testProviders();
    render(
      <>
        <ActorName actor={author} />
        <SignedInRole />
      </>,
      { wrapper: Wrapper },
    );
    // Once the signed-in person is known (their role shows), the list stays unasked for.
    await screen.findByText('role approver');
    expect(screen.getByText('erin@example.com').getAttribute('title')).toBeNull();
    expect(queryClient.getQueryState(['users'])?.fetchStatus).toBe('idle');
    expect(lists).toEqual([]);
  });
});
