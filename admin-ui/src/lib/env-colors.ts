const KNOWN: Record<string, string> = {
  development: '#0ea5e9',
  dev: '#0ea5e9',
  test: '#14b8a6',
  staging: '#f59e0b',
  stage: '#f59e0b',
  production: '#e11d48',
  prod: '#e11d48',
};
const PALETTE = ['#8b5cf6', '#10b981', '#f97316', '#6366f1', '#ec4899', '#84cc16'];

/**
 * The colour of an environment, so production looks like production everywhere in the UI.
 *
 * @example
 * envColor('production', 2); // '#e11d48'
 */
export function envColor(key: string, index: number): string {
  return KNOWN[key] ?? PALETTE[index % PALETTE.length] ?? '#64748b';
}

/** Whether changes here deserve a confirmation: production-like environments. */
export function isProductionLike(env: { key: string; requireApproval: boolean }): boolean {
  return env.requireApproval || /prod/.test(env.key);
}
