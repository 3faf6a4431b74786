import { ROLES } from '../../types';

/** The `<option>`s of a role select, weakest first. */
export function RoleOptions() {
  return (
    <>
      {ROLES.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </>
  );
}
