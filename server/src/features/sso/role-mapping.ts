import { z } from 'zod';
import { ROLES, type Role } from '../auth/roles.js';

/** What one identity-provider group grants: a role per project key, or the organisation admin. */
export type GroupGrant = 'org-admin' | Readonly<Record<string, Role>>;

/** `RINGFLAG_OIDC_ROLES`: identity-provider group → what members of it get in Ringflag. */
export type RoleMapping = Readonly<Record<string, GroupGrant>>;

/** What a person gets from all of their groups together. */
export interface GrantedAccess {
  orgAdmin: boolean;
  /** Project key → the highest role any of their groups gives there. */
  projects: ReadonlyMap<string, Role>;
}

const projectKeySchema = z.string().min(1, 'a project key must not be empty').max(200);

const grantSchema = z.union(
  [
    z.literal('org-admin'),
    z.record(projectKeySchema, z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` })),
  ],
  { message: `must be "org-admin" or an object of project key → role (${ROLES.join(', ')})` },
);

/** The mapping as JSON text, checked: an object of group name → grant. */
export const roleMappingSchema = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, like {"developers": {"default": "editor"}}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().min(1, 'a group name must not be empty'), grantSchema, {
      message: 'must be a JSON object of group name → "org-admin" or {project key: role}',
    }),
  );

/**
 * What `groups` give together under `mapping`: org admin when any group maps to `org-admin`, and per
 * project the highest role any group gives. Null when no group is in the mapping: no access at all.
 *
 * @example
 * accessFor({ devs: { web: 'editor' }, leads: { web: 'approver' } }, ['devs', 'leads']);
 * // { orgAdmin: false, projects: Map { 'web' => 'approver' } }
 */
export function accessFor(mapping: RoleMapping, groups: readonly string[]): GrantedAccess | null {
  let mapped = false;
  let orgAdmin = false;
  const projects = new Map<string, Role>();
  for (const group of new Set(groups)) {
    if (!Object.hasOwn(mapping, group)) continue;
    const grant = mapping[group]!;
    mapped = true;
    if (grant === 'org-admin') {
      orgAdmin = true;
      continue;
    }
    for (const [project, role] of Object.entries(grant)) {
      const held = projects.get(project);
      if (held === undefined || ROLES.indexOf(role) > ROLES.indexOf(held)) projects.set(project, role);
    }
  }
  return mapped ? { orgAdmin, projects } : null;
}

/**
 * The group names in an ID token or userinfo claim: an array of strings, or one string (some
 * providers send a single group so). Anything else, or any non-string item, counts as no group.
 */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (!Array.isArray(claim)) return [];
  return claim.filter((item): item is string => typeof item === 'string');
}
