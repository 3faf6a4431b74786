import type { Logger } from '../../logger.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import { type Actor, SYSTEM_ACTOR } from '../audit/audit-event.js';
import { revokeUserSessions } from '../auth/auth.store.js';
import type { Role } from '../auth/roles.js';
import { findProjectByKey, listMemberships, setMembership } from '../projects/projects.store.js';
import { presentUser } from '../users/users.service.js';
import {
  countActiveAdmins,
  findUserByEmail,
  findUserBySso,
  insertUser,
  type UserRow,
  updateUser,
} from '../users/users.store.js';
import type { OidcIdentity } from './oidc-client.js';
import { accessFor, type GrantedAccess, type RoleMapping } from './role-mapping.js';

/** A sign-in refused after the provider vouched for the person: the message is for them, the reason for the audit. */
export class SsoRefusal extends Error {
  override name = 'SsoRefusal';
  constructor(
    /** What the person reads (no internals). */
    message: string,
    /** Short, for the audit event and the log. */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The user a sign-in may go on with, or why it may not (recorded either way). */
export type SyncOutcome = { ok: true; user: UserRow } | { ok: false; refusal: SsoRefusal };

/** What {@link createSsoUserSync} needs. */
export interface SsoUserSyncDeps extends WriteDeps {
  logger: Logger;
  /** Group → project roles or org admin. */
  roles: RoleMapping;
}

/** Brings a user in line with what their identity provider says, at every sign-in. */
export interface SsoUserSync {
  /**
   * Finds the user of `identity` (by issuer and subject), creating or linking them on their first
   * sign-in, and sets their org-admin flag and project roles to exactly what their groups map to. Every
   * change and every refusal is audited, in one transaction. Never throws for a refusal: the caller
   * signs the user in, or reports the refusal.
   */
  sync(identity: OidcIdentity, client: string): Promise<SyncOutcome>;
}

/** The audit actor of a user. */
export function userActor(user: Pick<UserRow, 'id' | 'email'>): Actor {
  return { type: 'user', id: `user:${user.id}`, name: user.email };
}

/** The audit actor of a sign-in attempt before anyone is known: the name the provider gave. */
export function ssoAttemptActor(identity: Pick<OidcIdentity, 'email' | 'subject'>): Actor {
  return { type: 'user', id: 'anonymous', name: identity.email ?? `sso:${identity.subject}` };
}

/** Project key → role, as kept in the audit trail. */
type RoleTable = Record<string, Role>;

/**
 * Creates the sync. Role changes are recorded with the system as the actor, acting on behalf of the
 * user (their provider changed their groups; they did not change their own roles); creating a user
 * likewise. The refusal of a sign-in is `auth.login_failed`, as for a password.
 *
 * @example
 * const sync = createSsoUserSync({ ...deps, roles: settings.roles });
 * const outcome = await sync.sync(identity, clientAddress);
 */
export function createSsoUserSync(deps: SsoUserSyncDeps): SsoUserSync {
  /** Mapped project keys that do not exist, logged once each. */
  const missingProjects = new Set<string>();

  const refuse = (w: Write, identity: OidcIdentity, client: string, refusal: SsoRefusal, actor?: Actor) => {
    w.audit({
      action: 'auth.login_failed',
      actor: actor ?? ssoAttemptActor(identity),
      resource: { type: 'user', key: identity.email ?? `sso:${identity.subject}` },
      before: null,
      after: {
        client,
        method: 'sso',
        issuer: identity.issuer,
        subject: identity.subject,
        reason: refusal.reason,
      },
    });
    return { ok: false as const, refusal };
  };

  /** Sets the user's org-admin flag and project roles to `access` (none when null), auditing each change. */
  const applyAccess = async (w: Write, user: UserRow, access: GrantedAccess | null): Promise<UserRow> => {
    const onBehalfOf = userActor(user);
    let current = user;
    let orgAdmin = access?.orgAdmin ?? false;
    // There is always an enabled organisation admin: the last one keeps the flag, whatever the groups.
    if (current.orgAdmin && !orgAdmin && !current.disabled && (await countActiveAdmins(w.tx)) <= 1) {
      deps.logger.warn('kept the last organisation admin although their groups no longer make them one', {
        user: user.email,
      });
      orgAdmin = true;
    }
    if (current.orgAdmin !== orgAdmin) {
      current = await updateUser(w.tx, user.id, { orgAdmin, updatedAt: w.now });
      w.audit({
        action: 'user.sso_org_admin',
        actor: SYSTEM_ACTOR,
        onBehalfOf,
        resource: { type: 'user', key: user.email },
        before: { orgAdmin: user.orgAdmin },
        after: { orgAdmin },
      });
    }
    const held = new Map((await listMemberships(w.tx, user.id)).map((m) => [m.projectKey, m]));
    const wanted = new Map<string, { projectId: number; role: Role }>();
    for (const [key, role] of access?.projects ?? []) {
      const project = await findProjectByKey(w.tx, key);
      if (!project) {
        if (!missingProjects.has(key)) {
          missingProjects.add(key);
          deps.logger.warn('RINGFLAG_OIDC_ROLES names a project that does not exist; it is skipped', {
            project: key,
          });
        }
        continue;
      }
      wanted.set(key, { projectId: project.id, role });
    }
    const before: RoleTable = {};
    const after: RoleTable = {};
    for (const [key, membership] of held) {
      const want = wanted.get(key);
      if (want?.role === membership.role) continue;
      before[key] = membership.role;
      if (want === undefined) await setMembership(w.tx, membership.projectId, user.id, null);
    }
    for (const [key, want] of wanted) {
      if (held.get(key)?.role === want.role) continue;
      after[key] = want.role;
      await setMembership(w.tx, want.projectId, user.id, want.role);
    }
    if (Object.keys(before).length > 0 || Object.keys(after).length > 0) {
      w.audit({
        action: 'user.sso_roles',
        actor: SYSTEM_ACTOR,
        onBehalfOf,
        resource: { type: 'user', key: user.email },
        before: { projects: before },
        after: { projects: after },
      });
    }
    return current;
  };

  return {
    async sync(identity, client) {
      const access = accessFor(deps.roles, identity.groups);
      return runWrite(deps, SYSTEM_ACTOR, async (w): Promise<SyncOutcome> => {
        let user = await findUserBySso(w.tx, identity.issuer, identity.subject);
        if (user?.disabled) {
          return refuse(
            w,
            identity,
            client,
            new SsoRefusal('Your Ringflag account is disabled; ask an administrator.', 'disabled'),
            userActor(user),
          );
        }
        if (access === null) {
          // Everything the user had through single sign-on goes, and so do their sessions.
          if (user) {
            await applyAccess(w, user, null);
            await revokeUserSessions(w.tx, user.id, w.now);
          }
          return refuse(
            w,
            identity,
            client,
            new SsoRefusal(
              'You have no access to Ringflag: none of your groups at the identity provider is given a role here. Ask an administrator.',
              'no mapped group',
            ),
            user ? userActor(user) : undefined,
          );
        }
        if (!user) {
          if (!identity.email) {
            return refuse(
              w,
              identity,
              client,
              new SsoRefusal(
                'The identity provider sent no email address for you; Ringflag needs one.',
                'no email',
              ),
            );
          }
          const sameEmail = await findUserByEmail(w.tx, identity.email);
          if (sameEmail) {
            if (sameEmail.ssoSubject !== null) {
              return refuse(
                w,
                identity,
                client,
                new SsoRefusal(
                  'Your email address belongs to another single sign-on account in Ringflag; ask an administrator.',
                  'email taken by another sso identity',
                ),
              );
            }
            if (!identity.emailVerified) {
              return refuse(
                w,
                identity,
                client,
                new SsoRefusal(
                  'A Ringflag user with your email address exists, but your identity provider does not say the address is verified, so it cannot be linked to you. Ask an administrator.',
                  'email not verified',
                ),
              );
            }
            if (sameEmail.disabled) {
              return refuse(
                w,
                identity,
                client,
                new SsoRefusal('Your Ringflag account is disabled; ask an administrator.', 'disabled'),
                userActor(sameEmail),
              );
            }
            const before = await presentUser(w.tx, sameEmail);
            user = await updateUser(w.tx, sameEmail.id, {
              ssoIssuer: identity.issuer,
              ssoSubject: identity.subject,
              updatedAt: w.now,
            });
            w.audit({
              action: 'user.sso_link',
              actor: SYSTEM_ACTOR,
              onBehalfOf: userActor(user),
              resource: { type: 'user', key: user.email },
              before,
              after: {
                ...(await presentUser(w.tx, user)),
                issuer: identity.issuer,
                subject: identity.subject,
              },
            });
          } else {
            user = await insertUser(w.tx, {
              email: identity.email,
              name: identity.name ?? identity.email,
              orgAdmin: false,
              // Matches no password: this user signs in through single sign-on only.
              passwordHash: '',
              ssoIssuer: identity.issuer,
              ssoSubject: identity.subject,
              createdAt: w.now,
              updatedAt: w.now,
            });
            w.audit({
              action: 'user.create',
              actor: SYSTEM_ACTOR,
              onBehalfOf: userActor(user),
              resource: { type: 'user', key: user.email },
              before: null,
              after: {
                ...(await presentUser(w.tx, user)),
                issuer: identity.issuer,
                subject: identity.subject,
              },
            });
          }
        } else if (identity.name !== undefined && identity.name !== user.name) {
          // The provider is where a person's name is kept: follow it.
          user = await updateUser(w.tx, user.id, { name: identity.name, updatedAt: w.now });
        }
        user = await applyAccess(w, user, access);
        return { ok: true, user };
      });
    },
  };
}
