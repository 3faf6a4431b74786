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

/** The hash chain check. */
export function useAuditVerification() {
  return useQuery({
    queryKey: ['audit', 'verify'],
    queryFn: () => api.get<{ ok: boolean; count: number; firstBadId?: number }>('/audit/verify'),
  });
}

/** A download link for the filtered events (the session cookie authenticates it). */
export function auditExportUrl(filters: AuditFilters, format: 'ndjson' | 'csv'): string {
  return apiUrl('/audit/export', { ...filters, format });
}
