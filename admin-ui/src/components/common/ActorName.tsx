import { useIsOrgAdmin } from '../../app/auth/authApi';
import { useUsers } from '../../app/users/usersApi';
import type { Actor, User } from '../../types';

/**
 * How to show who did something. The server records a user by their email (the sign-in identity,
 * which never changes), a token by its name. Where the UI knows the user (the user list, which
 * admins read) and they have a name of their own, it shows that name with the email as its title;
 * otherwise what was recorded.
 *
 * @example
 * actorLabel({ type: 'user', id: 'user:2', name: 'erin@example.com' }, users);
 * // { name: 'Erin Editor', title: 'erin@example.com' }
 */
export function actorLabel(
  actor: Actor,
  users: readonly Pick<User, 'id' | 'email' | 'name'>[] | undefined,
): { name: string; title?: string } {
  const user = actor.type === 'user' ? users?.find((u) => `user:${u.id}` === actor.id) : undefined;
  if (!user || user.name.trim() === '' || user.name === user.email) return { name: actor.name };
  return { name: user.name, title: user.email };
}

/** {@link actorLabel} with the users the signed-in person may list (org admins; others, none). */
export function useActorLabel(): (actor: Actor) => { name: string; title?: string } {
  const users = useUsers(useIsOrgAdmin()).data;
  return (actor) => actorLabel(actor, users);
}

/** Who did something: a person's name where the UI knows it (the email as its title), else as recorded. */
export function ActorName({ actor }: { actor: Actor }) {
  const label = useActorLabel()(actor);
  return <span title={label.title}>{label.name}</span>;
}
