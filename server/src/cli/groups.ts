/**
 * The first word of every remote command. `cli.ts` routes on it without loading the commands (a test
 * checks it against the commands in index.ts).
 */
export const REMOTE_GROUPS: ReadonlySet<string> = new Set([
  'flags',
  'release',
  'changes',
  'promote',
  'export',
  'plan',
  'apply',
  'audit',
  'projects',
]);
