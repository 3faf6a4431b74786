/** The environments a new install and a new project start with, in pipeline order; production requires approval. */
export const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development', requireApproval: false },
  { key: 'staging', name: 'Staging', requireApproval: false },
  { key: 'production', name: 'Production', requireApproval: true },
] as const;
