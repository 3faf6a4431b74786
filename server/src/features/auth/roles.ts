import { z } from '@hono/zod-openapi';

/** Roles in increasing power: each includes what the ones before it may do. */
export const ROLES = ['viewer', 'editor', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES).openapi('Role');

/**
 * Whether `role` is at least `minimum`.
 *
 * @example
 * hasRole('approver', 'editor'); // true
 */
export function hasRole(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/**
 * The lesser of two roles: what an API token may do when its creator's role is lower than its own.
 *
 * @example
 * lowerRole('admin', 'editor'); // 'editor'
 */
export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/**
 * A role, or null for none: its own schema, so that `Role` in the OpenAPI document stays a plain role
 * (a nullable copy of a named schema would make the named one nullable).
 */
export const roleOrNoneSchema = z.union([roleSchema, z.null()]);
