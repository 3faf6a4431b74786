import type { CSSProperties } from 'react';
import { envColor } from '../../lib/env-colors';
import type { Environment } from '../../types';

/** An environment's name with its colour. */
export function EnvBadge({ env, index }: { env: Pick<Environment, 'key' | 'name'>; index: number }) {
  return (
    <span className="env-badge" style={{ '--env': envColor(env.key, index) } as CSSProperties}>
      <span className="env-dot" aria-hidden="true" />
      {env.name}
    </span>
  );
}
