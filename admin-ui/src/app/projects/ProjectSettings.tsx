import { useState } from 'react';
import { ConfirmDialog } from '../../components/common/Dialog';
import { EmptyState, ErrorBanner, Loading } from '../../components/common/Feedback';
import { Field } from '../../components/common/Field';
import { RoleOptions } from '../../components/common/RoleOptions';
import { useToast } from '../../components/common/Toasts';
import { useCurrentProject } from '../../components/layout/current-project';
import { FieldErrors } from '../../lib/field-errors';
import type { Project, ProjectMember, Role } from '../../types';
import { useCan, useIsOrgAdmin } from '../auth/authApi';
import { useUsers } from '../users/usersApi';
import { useMembers, useProject, useSetMember, useUpdateProject } from './projectsApi';

/**
 * A project's settings: its name (project admins rename it), archiving (org admins), and its members
 * with their roles here (project admins change and remove them; org admins, who can list every user,
 * also add people).
 */
export function ProjectSettings() {
  const key = useCurrentProject() ?? '';
  const project = useProject(key);
  const canManage = useCan('admin');
  const orgAdmin = useIsOrgAdmin();
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Project settings</h1>
          <p className="muted">
            Project key <code>{key}</code>: its pages are under <code>/p/{key}/</code> and its API under{' '}
            <code>/api/v1/projects/{key}/</code>.
          </p>
        </div>
      </header>
      {project.isPending && <Loading />}
      <ErrorBanner error={project.error} />
      {project.data && (
        <>
          <RenameCard key={project.data.updatedAt} project={project.data} canRename={canManage} />
          {orgAdmin && key !== 'default' && <ArchiveCard project={project.data} />}
        </>
      )}
      <Members project={key} canManage={canManage} orgAdmin={orgAdmin} />
    </div>
  );
}

function RenameCard({ project, canRename }: { project: Project; canRename: boolean }) {
  const update = useUpdateProject(project.key);
  const toast = useToast();
  const [name, setName] = useState(project.name);
  const errors = FieldErrors.of(update.error);
  return (
    <form
      className="card form"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(
          { name: name.trim() },
          { onSuccess: (renamed) => toast('success', `Project renamed to ${renamed.name}`) },
        );
      }}
    >
      <h3>Name</h3>
      <Field label="Project name" errors={errors.at('name')}>
        {(p) => (
          <input
            {...p}
            required
            disabled={!canRename}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        )}
      </Field>
      {update.error && errors.size === 0 && <ErrorBanner error={update.error} />}
      {canRename ? (
        <div className="form-actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={update.isPending || name.trim() === project.name}
          >
            Rename project
          </button>
        </div>
      ) : (
        <p className="muted">Project admins rename the project.</p>
      )}
    </form>
  );
}

/** Archiving (org admins): the project keeps serving its SDK keys, takes no changes, leaves the list. */
function ArchiveCard({ project }: { project: Project }) {
  const update = useUpdateProject(project.key);
  const toast = useToast();
  const [asking, setAsking] = useState(false);
  const archive = !project.archived;
  return (
    <section className="card">
      <h3>{project.archived ? 'Archived' : 'Archive'}</h3>
      <p className="muted">
        {project.archived
          ? 'This project takes no changes and is left out of the project list; its SDK keys keep working. Unarchive it to work in it again.'
          : 'An archived project keeps serving its SDK keys but takes no changes until it is unarchived, and is left out of the project list.'}
      </p>
      <ErrorBanner error={update.error} />
      <button
        type="button"
        className={archive ? 'button button-danger' : 'button'}
        onClick={() => setAsking(true)}
      >
        {archive ? 'Archive project' : 'Unarchive project'}
      </button>
      <ConfirmDialog
        open={asking}
        title={`${archive ? 'Archive' : 'Unarchive'} ${project.name}?`}
        confirmLabel={archive ? 'Archive project' : 'Unarchive project'}
        danger={archive}
        busy={update.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() =>
          update.mutate(
            { archived: archive },
            {
              onSuccess: (changed) => {
                setAsking(false);
                toast('success', `${changed.name} ${changed.archived ? 'archived' : 'unarchived'}`);
              },
              onError: () => setAsking(false),
            },
          )
        }
      >
        <p>
          {archive
            ? 'Nobody can change its flags, segments or environments until an organisation admin unarchives it. SDKs keep getting its flags.'
            : 'Its members can change it again.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}

function Members({
  project,
  canManage,
  orgAdmin,
}: {
  project: string;
  canManage: boolean;
  orgAdmin: boolean;
}) {
  const members = useMembers(project);
  const setMember = useSetMember(project);
  const toast = useToast();
  const [removing, setRemoving] = useState<ProjectMember | null>(null);
  const change = (member: ProjectMember, role: Role | null, what: string) =>
    setMember.mutate(
      { userId: member.userId, role },
      { onSuccess: () => toast('success', what), onError: (error) => toast('error', error.message) },
    );
  return (
    <section className="card" aria-labelledby="members-heading">
      <div>
        <h3 id="members-heading">Members</h3>
        <p className="muted">
          Roles in this project: viewer &lt; editor &lt; approver &lt; admin. Organisation admins are admins
          in every project and are not listed.
        </p>
      </div>
      {members.isPending && <Loading />}
      <ErrorBanner error={members.error} />
      {members.data?.length === 0 && <EmptyState title="No members yet" />}
      {members.data && members.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role here</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.map((member) => (
                <tr key={member.userId}>
                  <td>
                    <strong>{member.name}</strong>
                    {member.name !== member.email && <div className="muted">{member.email}</div>}
                  </td>
                  <td>
                    {canManage ? (
                      <>
                        <label className="visually-hidden" htmlFor={`member-role-${member.userId}`}>
                          {`Role of ${member.email}`}
                        </label>
                        <select
                          id={`member-role-${member.userId}`}
                          value={member.role}
                          disabled={setMember.isPending}
                          onChange={(event) =>
                            change(
                              member,
                              event.target.value as Role,
                              `${member.email} is now ${event.target.value} in ${project}`,
                            )
                          }
                        >
                          <RoleOptions />
                        </select>
                      </>
                    ) : (
                      <span className={`role role-${member.role}`}>{member.role}</span>
                    )}
                  </td>
                  <td className="actions-cell">
                    {canManage && (
                      <button
                        type="button"
                        className="button button-small button-ghost"
                        aria-label={`Remove ${member.email} from ${project}`}
                        disabled={setMember.isPending}
                        onClick={() => setRemoving(member)}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canManage && orgAdmin && <AddMember project={project} members={members.data ?? []} />}
      {canManage && !orgAdmin && (
        <p className="muted">
          Organisation admins add people to a project; you can change the roles of its members or remove them.
        </p>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ''} from ${project}?`}
        confirmLabel="Remove member"
        danger
        busy={setMember.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) change(removing, null, `${removing.email} removed from ${project}`);
          setRemoving(null);
        }}
      >
        <p>They lose their role in this project (an organisation admin can add them again).</p>
      </ConfirmDialog>
    </section>
  );
}

/** Adds a user to the project (org admins, who can list every user). */
function AddMember({ project, members }: { project: string; members: readonly ProjectMember[] }) {
  const users = useUsers();
  const setMember = useSetMember(project);
  const toast = useToast();
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const candidates = (users.data ?? []).filter(
    (user) => !user.orgAdmin && !user.disabled && !members.some((member) => member.userId === user.id),
  );
  const errors = FieldErrors.of(setMember.error);
  return (
    <form
      className="form card-inner"
      onSubmit={(event) => {
        event.preventDefault();
        const user = candidates.find((candidate) => String(candidate.id) === userId);
        if (!user) return;
        setMember.mutate(
          { userId: user.id, role },
          {
            onSuccess: () => {
              toast('success', `${user.email} is now ${role} in ${project}`);
              setUserId('');
            },
          },
        );
      }}
    >
      <h3>Add a member</h3>
      <ErrorBanner error={users.error} />
      <div className="form-grid">
        <Field label="User" errors={errors.at('userId')}>
          {(p) => (
            <select {...p} required value={userId} onChange={(event) => setUserId(event.target.value)}>
              <option value="">
                {candidates.length === 0 ? 'Everyone is a member already' : 'Choose a user…'}
              </option>
              {candidates.map((user) => (
                <option key={user.id} value={user.id}>
                  {user.name === user.email ? user.email : `${user.name} (${user.email})`}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Role" errors={errors.at('role')}>
          {(p) => (
            <select {...p} value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <RoleOptions />
            </select>
          )}
        </Field>
      </div>
      {setMember.error && errors.size === 0 && <ErrorBanner error={setMember.error} />}
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={setMember.isPending || userId === ''}
        >
          Add member
        </button>
      </div>
    </form>
  );
}
