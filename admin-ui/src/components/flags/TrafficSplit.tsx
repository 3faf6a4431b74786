import { useId, useState } from 'react';
import { requestedMessage, useSaveConfig } from '../../app/flags/flagsApi';
import { formatPercent, TOTAL_WEIGHT, weightOf } from '../../lib/rollout';
import { variationColor, variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag, FlagConfig, Targeting } from '../../types';
import { ErrorBanner } from '../common/Feedback';
import { useToast } from '../common/Toasts';
import { RolloutBar } from '../targeting/RolloutEditor';

/** A blue/green flag: a string flag with exactly two variations. */
export function isBlueGreen(flag: Flag): boolean {
  return flag.kind === 'string' && flag.variations.length === 2;
}

/** The two sides of a blue/green flag: `blue` first when it exists. */
export function sides(flag: Flag): [string, string] {
  const ids = flag.variations.map((v) => v.id);
  const blue = ids.find((id) => id.toLowerCase() === 'blue') ?? ids[0] ?? '';
  const green = ids.find((id) => id !== blue) ?? '';
  return [blue, green];
}

/**
 * Blue/green traffic: one slider for the share of the second side, applied as the default rule's
 * weights, and "all to blue" as one action. Both save at once, on top of the saved config.
 */
export function TrafficSplit({
  flag,
  config,
  env,
  canEdit,
  blocked,
}: {
  flag: Flag;
  config: FlagConfig;
  env: Environment;
  canEdit: boolean;
  /** Why the split cannot be applied now (unsaved edits below), if so. */
  blocked?: string;
}) {
  const id = useId();
  const [blue, green] = sides(flag);
  const saved = weightOf(config.fallthrough, green);
  const [share, setShare] = useState(saved);
  const [base, setBase] = useState(saved);
  if (base !== saved) {
    setBase(saved);
    setShare(saved);
  }
  const save = useSaveConfig(flag.key);
  const toast = useToast();
  const apply = (greenWeight: number) => {
    const targeting: Targeting = {
      offVariation: config.offVariation,
      prerequisites: config.prerequisites,
      targets: config.targets,
      rules: config.rules,
      fallthrough: {
        rollout: {
          ...('rollout' in config.fallthrough ? config.fallthrough.rollout : {}),
          variations: [
            { variation: blue, weight: TOTAL_WEIGHT - greenWeight },
            { variation: green, weight: greenWeight },
          ],
        },
      },
    };
    save.mutate(
      { env: env.key, version: config.version, enabled: config.enabled, targeting },
      {
        onSuccess: (result) =>
          result.kind === 'requested'
            ? toast('info', requestedMessage(result.changeRequest, result.merged))
            : toast(
                'success',
                `${env.name}: ${formatPercent(TOTAL_WEIGHT - greenWeight)} to ${blue}, ${formatPercent(greenWeight)} to ${green}`,
              ),
      },
    );
  };
  const preview = {
    variations: [
      { variation: blue, weight: TOTAL_WEIGHT - share },
      { variation: green, weight: share },
    ],
  };
  return (
    <section className="card traffic-split" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <div>
          <h3 id={`${id}-title`}>Blue/green traffic in {env.name}</h3>
          <p className="muted">
            Shift the default rule between {variationLabel(flag.variations, blue)} and{' '}
            {variationLabel(flag.variations, green)}.
          </p>
        </div>
        <button
          type="button"
          className="button button-danger"
          disabled={!canEdit || save.isPending || blocked !== undefined}
          onClick={() => apply(0)}
        >
          All to {variationLabel(flag.variations, blue)}
        </button>
      </header>
      <RolloutBar rollout={preview} variations={flag.variations} />
      <div className="split-slider">
        <span style={{ color: variationColor(flag.variations, blue) }}>
          {variationLabel(flag.variations, blue)}
        </span>
        <input
          type="range"
          min={0}
          max={TOTAL_WEIGHT}
          step={1000}
          value={share}
          disabled={!canEdit}
          aria-label={`Traffic to ${variationLabel(flag.variations, green)}`}
          aria-valuetext={formatPercent(share)}
          onChange={(event) => setShare(Number(event.target.value))}
        />
        <span style={{ color: variationColor(flag.variations, green) }}>
          {variationLabel(flag.variations, green)}
        </span>
        <button
          type="button"
          className="button button-primary"
          disabled={!canEdit || share === saved || save.isPending || blocked !== undefined}
          onClick={() => apply(share)}
        >
          Apply {formatPercent(share)} to {variationLabel(flag.variations, green)}
        </button>
      </div>
      {blocked && <p className="muted">{blocked}</p>}
      <ErrorBanner error={save.error} />
    </section>
  );
}
