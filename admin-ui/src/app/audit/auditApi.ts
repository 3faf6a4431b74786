import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, apiUrl } from '../../api';
import type { AuditEvent, Page } from '../../types';

/** Filters of the audit log, as the API takes them (times are ISO 8601). */
export interface AuditFilters {
  resourceType?: string;
  resource?: string;
  environment?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
}

/** Audit events, newest first, a page at a time. */
export function useAudit(filters: AuditFilters, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: ['audit', filters, pageSize],
    queryFn: ({ pageParam }) =>
      api.get<Page<AuditEvent>>('/audit', { ...filters, limit: pageSize, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/** What `GET /audit/verify` says about the hash chain and its signed checkpoints. */
export interface AuditVerification {
  ok: boolean;
  count: number;
  firstBadId?: number;
  checkpoints: number;
  firstBadCheckpointId?: number;
  /** The newest event covered by a valid signed checkpoint (0 when none). */
  signedThrough: number;
  keyId: string;
  reason?: string;
}

/** The hash chain and checkpoint check. */
export function useAuditVerification() {
  return useQuery({
    queryKey: ['audit', 'verify'],
    queryFn: () => api.get<AuditVerification>('/audit/verify'),
  });
}

/** A download link for the filtered events (the session cookie authenticates it). */
export function auditExportUrl(filters: AuditFilters, format: 'ndjson' | 'csv'): string {
  return apiUrl('/audit/export', { ...filters, format });
}
