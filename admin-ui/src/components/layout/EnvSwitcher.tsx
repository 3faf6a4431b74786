import type { CSSProperties } from 'react';
import { envColor } from '../../lib/env-colors';
import { useCurrentEnv } from './current-env';

/**
 * The environment switcher: a radio group in pipeline order, each environment in its colour.
 * `onSelect` lets a page that keeps the environment in its URL navigate instead.
 */
export function EnvSwitcher({ value, onSelect }: { value?: string; onSelect?: (key: string) => void }) {
  const { environments, current, select } = useCurrentEnv();
  const selected = value ?? current;
  return (
    <fieldset className="env-switcher">
      <legend className="visually-hidden">Environment</legend>
      {environments.map((env, index) => (
        <label
          key={env.key}
          className={env.key === selected ? 'env-option selected' : 'env-option'}
          style={{ '--env': envColor(env.key, index) } as CSSProperties}
        >
          <input
            type="radio"
            name="environment"
            value={env.key}
            checked={env.key === selected}
            onChange={() => {
              select(env.key);
              onSelect?.(env.key);
            }}
          />
          <span className="env-dot" aria-hidden="true" />
          {env.name}
          {index < environments.length - 1 && <span className="env-arrow" aria-hidden="true" />}
        </label>
      ))}
    </fieldset>
  );
}
