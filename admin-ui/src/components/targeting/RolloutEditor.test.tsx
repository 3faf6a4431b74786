// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { FieldErrors } from '../../lib/field-errors';
import type { Rollout } from '../../types';
import { FieldErrorsContext } from './errors-context';
import { RolloutEditor } from './RolloutEditor';

afterEach(cleanup);

const variations = [
  { id: 'off', value: false },
  { id: 'on', value: true },
  { id: 'beta', value: true, name: 'Beta' },
];

function Harness({
  initial,
  onChange,
  errors = FieldErrors.none,
}: {
  initial: Rollout;
  onChange: (r: Rollout) => void;
  errors?: FieldErrors;
}) {
  const [rollout, setRollout] = useState(initial);
  return (
    <FieldErrorsContext.Provider value={errors}>
      <RolloutEditor
        rollout={rollout}
        variations={variations}
        path="fallthrough.rollout"
        onChange={(next) => {
          setRollout(next);
          onChange(next);
        }}
      />
    </FieldErrorsContext.Provider>
  );
}

describe('RolloutEditor', () => {
  it('keeps the weights at 100% when one percentage changes, and draws the bar', () => {
    const seen: Rollout[] = [];
    render(
      <Harness
        initial={{ variations: [{ variation: 'on', weight: 100_000 }] }}
        onChange={(r) => seen.push(r)}
      />,
    );
    fireEvent.change(screen.getByLabelText('Percentage for on'), { target: { value: '25' } });
    const last = seen.at(-1);
    expect(last?.variations.map((v) => v.weight)).toEqual([37_500, 25_000, 37_500]);
    expect(last?.variations.reduce((sum, v) => sum + v.weight, 0)).toBe(100_000);
    expect((screen.getByLabelText('Percentage for Beta') as HTMLInputElement).value).toBe('37.5');
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe('off 37.5%, on 25%, Beta 37.5%');
  });

  it('moves with the sliders too and keeps the bucketing attribute', () => {
    const seen: Rollout[] = [];
    render(
      <Harness
        initial={{
          bucketBy: 'org',
          variations: [
            { variation: 'off', weight: 50_000 },
            { variation: 'on', weight: 50_000 },
            { variation: 'beta', weight: 0 },
          ],
        }}
        onChange={(r) => seen.push(r)}
      />,
    );
    fireEvent.change(screen.getByLabelText('Share of off'), { target: { value: '90000' } });
    expect(seen.at(-1)).toEqual({
      bucketBy: 'org',
      variations: [
        { variation: 'off', weight: 90_000 },
        { variation: 'on', weight: 10_000 },
        { variation: 'beta', weight: 0 },
      ],
    });
  });

  it('shows the server error for the weights next to the inputs', () => {
    const errors = new FieldErrors([
      { path: 'fallthrough.rollout.variations', message: 'weights must sum to 100000 (100%), not 90000' },
    ]);
    render(
      <Harness
        initial={{ variations: [{ variation: 'on', weight: 100_000 }] }}
        onChange={() => {}}
        errors={errors}
      />,
    );
    const input = screen.getByLabelText('Percentage for on');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const describedBy = input.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toContain('weights must sum to 100000');
  });
});
