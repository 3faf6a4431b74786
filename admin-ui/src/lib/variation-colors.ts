import type { Variation } from '../types';

const PALETTE = ['#6366f1', '#10b981', '#f59e0b', '#ec4899', '#0ea5e9', '#8b5cf6', '#ef4444', '#14b8a6'];
const NAMED: Record<string, string> = {
  blue: '#3b82f6',
  green: '#22c55e',
  red: '#ef4444',
  control: '#94a3b8',
};

/**
 * A stable colour per variation: off/false is grey, on/true indigo, blue and green are themselves,
 * others take the palette in order.
 *
 * @example
 * variationColor(flag.variations, 'on'); // '#6366f1'
 */
export function variationColor(variations: readonly Variation[], id: string): string {
  const variation = variations.find((v) => v.id === id);
  if (variation?.value === false) return '#94a3b8';
  if (variation?.value === true) return '#6366f1';
  const named = NAMED[id.toLowerCase()];
  if (named) return named;
  const index = variations.findIndex((v) => v.id === id);
  return PALETTE[(index < 0 ? variations.length : index) % PALETTE.length] ?? '#64748b';
}

/** A variation's display name: its name, else its id. */
export function variationLabel(variations: readonly Variation[], id: string): string {
  const variation = variations.find((v) => v.id === id);
  return variation?.name ?? id;
}

/** A variation's value as short text. */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}
