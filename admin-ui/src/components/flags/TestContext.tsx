import { useId, useState } from 'react';
import { APIError } from '../../api';
import { useEvaluate } from '../../app/flags/flagsApi';
import { type AttributeRow, parseContextJson, rowsToContext } from '../../lib/context-form';
import { valueText, variationColor, variationLabel } from '../../lib/variation-colors';
import type { Environment, EvaluationReason, Flag, FlagConfig } from '../../types';
import { ErrorBanner } from '../common/Feedback';
import { describedBy, FieldMessages } from '../common/Field';

const REASONS: Record<EvaluationReason['kind'], string> = {
  OFF: 'The flag is off',
  TARGET_MATCH: 'Individually targeted',
  RULE_MATCH: 'Matched a rule',
  PREREQUISITE_FAILED: 'A prerequisite failed',
  FALLTHROUGH: 'Default rule',
  ERROR: 'Error',
};

/**
 * Explains a result's reason: "Matched rule 2 “Beta testers”, in the percentage rollout". A matched
 * rule is named by the name the server read from the config it evaluated (`ruleName`), else by the
 * name in `config`, else by its id.
 */
export function explainReason(
  reason: EvaluationReason,
  config: FlagConfig | undefined,
  ruleName?: string,
): string {
  let text = REASONS[reason.kind] ?? reason.kind;
  if (reason.kind === 'RULE_MATCH' && reason.ruleIndex !== undefined) {
    const rule = config?.rules[reason.ruleIndex];
    const name = ruleName ?? (rule?.id === reason.ruleId ? rule?.name : undefined);
    text = `Matched rule ${reason.ruleIndex + 1} ${name ? `“${name}”` : `(id ${reason.ruleId ?? '?'})`}`;
  }
  if (reason.prerequisiteKey) text += `: ${reason.prerequisiteKey}`;
  if (reason.errorKind) text += `: ${reason.errorKind}`;
  if (reason.inRollout !== undefined)
    text += reason.inRollout ? ', in the percentage rollout' : ', outside the rollout';
  return text;
}

/** "Test a context": what someone gets from this flag here, with the same engine as the SDKs. */
export function TestContext({
  flag,
  env,
  config,
}: {
  flag: Flag;
  env: Environment;
  config: FlagConfig | undefined;
}) {
  const id = useId();
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [json, setJson] = useState('{\n  "key": "user-1",\n  "groups": ["beta"]\n}');
  const [rows, setRows] = useState<AttributeRow[]>([
    { name: 'key', value: 'user-1' },
    { name: 'groups', value: 'beta' },
    { name: '', value: '' },
  ]);
  const [jsonError, setJsonError] = useState<string[]>([]);
  const evaluate = useEvaluate(flag.key);
  const result = evaluate.data?.result;

  const submit = () => {
    let context: Record<string, unknown>;
    if (mode === 'json') {
      const parsed = parseContextJson(json);
      if (!parsed.ok) {
        setJsonError([parsed.message]);
        return;
      }
      context = parsed.context;
    } else {
      context = rowsToContext(rows);
    }
    setJsonError([]);
    evaluate.mutate({ env: env.key, context });
  };

  const contextErrors =
    evaluate.error instanceof APIError ? evaluate.error.errors.map((e) => `${e.path}: ${e.message}`) : [];

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <div>
          <h3 id={`${id}-title`}>Test a context</h3>
          <p className="muted">Evaluate this flag in {env.name} for a user, with the engine the SDKs run.</p>
        </div>
        <fieldset className="segmented">
          <legend className="visually-hidden">Context input</legend>
          <label className={mode === 'form' ? 'selected' : ''}>
            <input
              type="radio"
              name={`${id}-mode`}
              checked={mode === 'form'}
              onChange={() => setMode('form')}
            />
            Attributes
          </label>
          <label className={mode === 'json' ? 'selected' : ''}>
            <input
              type="radio"
              name={`${id}-mode`}
              checked={mode === 'json'}
              onChange={() => setMode('json')}
            />
            JSON
          </label>
        </fieldset>
      </header>
      <form
        className="test-context"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {mode === 'json' ? (
          <div className="field">
            <label htmlFor={`${id}-json`}>Context (JSON)</label>
            <textarea
              id={`${id}-json`}
              className="mono"
              rows={6}
              value={json}
              onChange={(event) => setJson(event.target.value)}
              {...describedBy(`${id}-json-errors`, [...jsonError, ...contextErrors])}
            />
            <FieldMessages id={`${id}-json-errors`} errors={[...jsonError, ...contextErrors]} />
          </div>
        ) : (
          <div className="attribute-rows">
            {rows.map((row, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional form lines.
              <div className="attribute-row" key={i}>
                <label
                  className="visually-hidden"
                  htmlFor={`${id}-name-${i}`}
                >{`Attribute ${i + 1} name`}</label>
                <input
                  id={`${id}-name-${i}`}
                  value={row.name}
                  placeholder="attribute"
                  onChange={(event) => {
                    const next = rows.map((r, j) => (j === i ? { ...r, name: event.target.value } : r));
                    setRows(
                      i === rows.length - 1 && event.target.value ? [...next, { name: '', value: '' }] : next,
                    );
                  }}
                />
                <label
                  className="visually-hidden"
                  htmlFor={`${id}-value-${i}`}
                >{`Attribute ${i + 1} value`}</label>
                <input
                  id={`${id}-value-${i}`}
                  value={row.value}
                  placeholder={row.name === 'groups' ? 'beta, staff' : 'value'}
                  onChange={(event) =>
                    setRows(rows.map((r, j) => (j === i ? { ...r, value: event.target.value } : r)))
                  }
                />
              </div>
            ))}
            <FieldMessages id={`${id}-form-errors`} errors={contextErrors} />
          </div>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={evaluate.isPending}>
            {evaluate.isPending ? 'Evaluating…' : `Evaluate in ${env.name}`}
          </button>
        </div>
      </form>
      {evaluate.error && contextErrors.length === 0 && <ErrorBanner error={evaluate.error} />}
      {result && (
        <output className="evaluation" aria-live="polite" data-testid="evaluation-result">
          <div className="evaluation-value">
            <span className="muted">Value</span>
            <span className="mono big">{valueText(result.value)}</span>
          </div>
          <div>
            <span className="muted">Variation</span>
            <span className="variant">
              {result.variant && (
                <span
                  className="swatch"
                  style={{ background: variationColor(flag.variations, result.variant) }}
                  aria-hidden="true"
                />
              )}
              {result.variant ? variationLabel(flag.variations, result.variant) : 'none'}
            </span>
          </div>
          <div>
            <span className="muted">Reason</span>
            <span data-reason={result.reason.kind}>
              {explainReason(result.reason, config, result.ruleName)}
            </span>
          </div>
          <div>
            <span className="muted">Revision</span>
            <span>{evaluate.data?.revision}</span>
          </div>
        </output>
      )}
    </section>
  );
}
