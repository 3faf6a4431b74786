import type { CSSProperties, ReactNode } from 'react';
import { useId, useState } from 'react';
import { useCan } from '../../app/auth/authApi';
import { requestedMessage, useConfigs, useSaveConfig } from '../../app/flags/flagsApi';
import { describeRule, describeServe, describeTargets } from '../../lib/describe';
import { envColor, isProductionLike } from '../../lib/env-colors';
import { variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag, FlagConfig } from '../../types';
import { ConfirmDialog } from '../common/Dialog';
import { ErrorBanner, Loading } from '../common/Feedback';
import { useToast } from '../common/Toasts';
import { StatusPill } from './StatusPill';

type Aspect = {
  label: string;
  same: (c: FlagConfig) => unknown;
  render: (c: FlagConfig, flag: Flag) => ReactNode;
};

const ASPECTS: Aspect[] = [
  { label: 'State', same: (c) => c.enabled, render: (c) => <StatusPill config={c} /> },
  {
    label: 'Off variation',
    same: (c) => c.offVariation,
    render: (c, f) => variationLabel(f.variations, c.offVariation),
  },
  {
    label: 'Individual targets',
    same: (c) => c.targets,
    render: (c, f) => describeTargets(c.targets, f.variations),
  },
  {
    label: 'Rules',
    same: (c) => c.rules,
    render: (c, f) =>
      c.rules.length === 0 ? (
        'none'
      ) : (
        <ol className="compact-list">
          {c.rules.map((rule) => (
            <li key={rule.id}>{describeRule(rule, f.variations)}</li>
          ))}
        </ol>
      ),
  },
  {
    label: 'Default rule',
    same: (c) => c.fallthrough,
    render: (c, f) => describeServe(c.fallthrough, f.variations),
  },
  {
    label: 'Prerequisites',
    same: (c) => c.prerequisites,
    render: (c) => c.prerequisites.map((p) => `${p.flag} = ${p.variation}`).join(', ') || 'none',
  },
  { label: 'Version', same: () => 0, render: (c) => c.version },
];

/** The flag in every environment side by side, and "promote" from one environment to the next. */
export function CompareEnvironments({ flag, environments }: { flag: Flag; environments: Environment[] }) {
  const id = useId();
  const keys = environments.map((env) => env.key);
  const configs = useConfigs(flag.key, keys);
  const save = useSaveConfig(flag.key);
  const toast = useToast();
  const [promoting, setPromoting] = useState<{ from: Environment; to: Environment } | null>(null);
  const canEditAny = useCan('editor');

  const promote = () => {
    if (!promoting || !configs.data) return;
    const source = configs.data.get(promoting.from.key);
    const target = configs.data.get(promoting.to.key);
    if (!source || !target) return;
    save.mutate(
      {
        env: promoting.to.key,
        version: target.version,
        enabled: target.enabled,
        targeting: {
          offVariation: source.offVariation,
          prerequisites: source.prerequisites,
          targets: source.targets,
          rules: source.rules,
          fallthrough: source.fallthrough,
        },
      },
      {
        onSuccess: (result) => {
          toast(
            result.kind === 'requested' ? 'info' : 'success',
            result.kind === 'requested'
              ? requestedMessage(result.changeRequest, result.merged)
              : `Copied ${promoting.from.name}'s targeting to ${promoting.to.name}`,
          );
          setPromoting(null);
          void configs.refetch();
        },
      },
    );
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <div>
          <h3 id={`${id}-title`}>Compare environments</h3>
          <p className="muted">Differences from the environment before are highlighted.</p>
        </div>
      </header>
      {configs.isPending && <Loading />}
      <ErrorBanner error={configs.error} />
      {configs.data && (
        <div className="table-wrap">
          <table className="compare-table">
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">Aspect</span>
                </th>
                {environments.map((env, i) => (
                  <th key={env.key} scope="col" style={{ '--env': envColor(env.key, i) } as CSSProperties}>
                    <span className="env-badge">
                      <span className="env-dot" aria-hidden="true" />
                      {env.name}
                    </span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ASPECTS.map((aspect) => (
                <tr key={aspect.label}>
                  <th scope="row">{aspect.label}</th>
                  {environments.map((env, i) => {
                    const config = configs.data.get(env.key);
                    const previous = i > 0 ? configs.data.get(environments[i - 1]?.key ?? '') : undefined;
                    const differs =
                      aspect.label !== 'Version' &&
                      previous !== undefined &&
                      config !== undefined &&
                      JSON.stringify(aspect.same(previous)) !== JSON.stringify(aspect.same(config));
                    return (
                      <td key={env.key} className={differs ? 'differs' : undefined}>
                        {config ? aspect.render(config, flag) : '—'}
                      </td>
                    );
                  })}
                </tr>
              ))}
              <tr>
                <th scope="row">Promote</th>
                {environments.map((env, i) => {
                  const from = environments[i - 1];
                  return (
                    <td key={env.key}>
                      {from && (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={!canEditAny}
                          onClick={() => setPromoting({ from, to: env })}
                        >
                          Promote {from.name} → {env.name}
                        </button>
                      )}
                    </td>
                  );
                })}
              </tr>
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={promoting !== null}
        title={promoting ? `Promote ${promoting.from.name} to ${promoting.to.name}?` : ''}
        confirmLabel={promoting ? `Copy to ${promoting.to.name}` : 'Copy'}
        danger={promoting ? isProductionLike(promoting.to) : false}
        busy={save.isPending}
        onConfirm={promote}
        onCancel={() => {
          setPromoting(null);
          save.reset();
        }}
      >
        {promoting && (
          <p>
            {promoting.to.name} gets {promoting.from.name}'s individual targets, rules, default rule, off
            variation and prerequisites. Whether the flag is on in {promoting.to.name} does not change.
          </p>
        )}
        <ErrorBanner error={save.error} />
      </ConfirmDialog>
    </section>
  );
}
