import { createContext, useContext } from 'react';
import { FieldErrors } from '../../lib/field-errors';

/** The field errors of the last save, for inputs deep in an editor to find theirs by path. */
export const FieldErrorsContext = createContext<FieldErrors>(FieldErrors.none);

/** The server's messages for `path` (and the items inside it, named `item` 1, 2…). */
export function useFieldErrors(path: string, item?: string): string[] {
  return useContext(FieldErrorsContext).at(path, item);
}

/** The server's messages for exactly `path`. */
export function useExactFieldErrors(path: string): string[] {
  return useContext(FieldErrorsContext).exact(path);
}
