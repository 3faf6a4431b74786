import { formatChanges } from './diff.js';
import type { Action, ConfigPlan, FlagPlan, Plan } from './plan.js';

const MARK: Record<Action, string> = { create: '+', update: '~', unchanged: '=', pending: '…' };

function configLabel(config: ConfigPlan): string {
  if (config.action === 'pending' && config.changeRequest) {
    const request = config.changeRequest;
    return request.state === 'scheduled' && request.applyAt
      ? `pending: change request #${request.id} is scheduled for ${request.applyAt}`
      : `pending: change request #${request.id} (${request.state}) already proposes it`;
  }
  if ((config.action === 'update' || config.action === 'create') && config.requireApproval) {
    return `${config.action} (needs approval)`;
  }
  return config.action;
}

/** The action a flag shows: its own, or that of its configs when its own fields stay. */
export function flagStatus(flag: FlagPlan): Action {
  if (flag.action !== 'unchanged') return flag.action;
  const actions = new Set(flag.environments.map((config) => config.action));
  if (actions.has('create') || actions.has('update')) return 'update';
  if (actions.has('pending')) return 'pending';
  return 'unchanged';
}

/**
 * The plan for people: each segment, flag and environment config with `+` create, `~` update,
 * `=` unchanged, `…` already awaiting approval, and the field-level changes under it.
 */
export function formatPlan(plan: Plan): string[] {
  const lines: string[] = [];
  if (plan.segments.length > 0) {
    lines.push('segments:');
    for (const segment of plan.segments) {
      lines.push(`  ${MARK[segment.action]} ${segment.key}  ${segment.action}`);
      lines.push(...formatChanges(segment.changes, '      '));
    }
  }
  if (plan.flags.length > 0) {
    lines.push('flags:');
    for (const flag of plan.flags) {
      const status = flagStatus(flag);
      lines.push(
        `  ${MARK[status]} ${flag.key}  ${status}${flag.action === 'create' ? ` (${flag.desired.kind})` : ''}`,
      );
      lines.push(...formatChanges(flag.changes, '      '));
      for (const config of flag.environments) {
        lines.push(`      ${MARK[config.action]} ${config.environment}: ${configLabel(config)}`);
        lines.push(...formatChanges(config.changes, '          '));
      }
    }
  }
  const left = [
    plan.unmanaged.segments.length > 0 ? `${plan.unmanaged.segments.length} segment(s)` : '',
    plan.unmanaged.flags.length > 0 ? `${plan.unmanaged.flags.length} flag(s)` : '',
  ].filter((part) => part !== '');
  if (left.length > 0) lines.push(`not in the file, left alone: ${left.join(' and ')}`);
  const { create, update, unchanged, pending } = plan.summary;
  lines.push(
    '',
    plan.hasChanges
      ? `Plan: ${create} to create, ${update} to update, ${unchanged} unchanged` +
          (pending > 0 ? `, ${pending} awaiting approval.` : '.')
      : `No changes: the server matches the file${pending > 0 ? ` (${pending} change(s) awaiting approval)` : ''}.`,
  );
  return lines;
}
