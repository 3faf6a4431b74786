import { flagStatus } from '../../lib/status';
import type { FlagConfig } from '../../types';

/** on / off / rolling out n% / on · targeted, as a coloured pill. */
export function StatusPill({ config, envName }: { config: FlagConfig | undefined; envName?: string }) {
  if (!config) return <span className="pill pill-none">—</span>;
  const status = flagStatus(config);
  return (
    <span
      className={`pill pill-${status.kind}`}
      title={envName ? `${envName}: ${status.label}` : status.label}
      data-status={status.kind}
    >
      {status.kind === 'rollout' && (
        <span className="pill-meter" aria-hidden="true">
          <span style={{ width: `${status.weight / 1000}%` }} />
        </span>
      )}
      {status.label}
    </span>
  );
}
