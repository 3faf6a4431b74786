import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { useEnvironments } from '../../app/environments/environmentsApi';
import type { Environment } from '../../types';

const STORAGE_KEY = 'ringflag.environment';

interface CurrentEnv {
  /** Environments in pipeline order. */
  environments: Environment[];
  /** The selected environment's key ('' until environments load). */
  current: string;
  select(key: string): void;
  indexOf(key: string): number;
}

const Context = createContext<CurrentEnv>({
  environments: [],
  current: '',
  select: () => {},
  indexOf: () => 0,
});

/** The environment the switcher selected, remembered in this browser. */
export function CurrentEnvProvider({ children }: { children: ReactNode }) {
  const environments = useEnvironments().data ?? [];
  const [chosen, setChosen] = useState(() => localStorage.getItem(STORAGE_KEY) ?? '');
  const select = useCallback((key: string) => {
    localStorage.setItem(STORAGE_KEY, key);
    setChosen(key);
  }, []);
  const value = useMemo<CurrentEnv>(() => {
    const current = environments.some((env) => env.key === chosen) ? chosen : (environments[0]?.key ?? '');
    return {
      environments,
      current,
      select,
      indexOf: (key) =>
        Math.max(
          0,
          environments.findIndex((env) => env.key === key),
        ),
    };
  }, [environments, chosen, select]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useCurrentEnv(): CurrentEnv {
  return useContext(Context);
}
