import type { ReactNode } from 'react';
import { APIError } from '../../api';
import { describePath } from '../../lib/field-errors';

/** A failed request, said plainly, with each field error located. */
export function ErrorBanner({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const apiError = error instanceof APIError ? error : undefined;
  const heading = title ?? apiError?.title ?? 'Something went wrong';
  const detail = apiError?.detail ?? (error instanceof Error ? error.message : String(error));
  return (
    <div className="banner banner-error" role="alert">
      <strong>{heading}</strong>
      <span>{detail}</span>
      {apiError && apiError.errors.length > 0 && (
        <ul>
          {apiError.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <span className="mono">{describePath(e.path)}</span>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <div className="empty-icon" aria-hidden="true">
        ◌
      </div>
      <h3>{title}</h3>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

/** Shown instead of edit controls to people whose role (in this project; null: none) cannot change things. */
export function ReadOnlyNote({ role, needs }: { role: string | null; needs: string }) {
  return (
    <p className="banner banner-info">
      You are signed in as <strong>{role ?? 'no role'}</strong>: you can look, but changes here need the{' '}
      <strong>{needs}</strong> role.
    </p>
  );
}
