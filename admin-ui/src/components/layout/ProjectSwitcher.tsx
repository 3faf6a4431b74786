import { useId, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { useIsOrgAdmin } from '../../app/auth/authApi';
import { useCreateProject, useProjects } from '../../app/projects/projectsApi';
import { FieldErrors } from '../../lib/field-errors';
import type { Project } from '../../types';
import { Dialog } from '../common/Dialog';
import { ErrorBanner } from '../common/Feedback';
import { KeyNameFields } from '../common/KeyNameFields';
import { useToast } from '../common/Toasts';
import { projectHref, switchedPath, useCurrentProject } from './current-project';

/**
 * The project switcher: the caller's projects (org admins: every one, the archived ones apart), the
 * current one selected. Choosing another opens the same kind of page there. Org admins create
 * projects here.
 */
export function ProjectSwitcher() {
  const current = useCurrentProject() ?? '';
  const orgAdmin = useIsOrgAdmin();
  const projects = useProjects();
  const archived = useProjects({ archived: true, enabled: orgAdmin });
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const [creating, setCreating] = useState(false);
  const id = useId();
  const active = projects.data ?? [];
  const old = archived.data ?? [];
  // A project the list does not have (just created, or one without access) still shows as current.
  const known = [...active, ...old].some((project) => project.key === current);
  return (
    <div className="project-switcher">
      <label htmlFor={id}>Project</label>
      <select
        id={id}
        value={current}
        onChange={(event) => navigate(switchedPath(pathname, event.target.value))}
      >
        {!known && <option value={current}>{current}</option>}
        {active.map((project) => (
          <option key={project.key} value={project.key}>
            {label(project)}
          </option>
        ))}
        {old.length > 0 && (
          <optgroup label="Archived">
            {old.map((project) => (
              <option key={project.key} value={project.key}>
                {label(project)}
              </option>
            ))}
          </optgroup>
        )}
      </select>
      {orgAdmin && (
        <button type="button" className="button button-ghost button-small" onClick={() => setCreating(true)}>
          + New project
        </button>
      )}
      <NewProjectDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(project) => {
          setCreating(false);
          navigate(projectHref(project.key, '/flags'));
        }}
      />
    </div>
  );
}

/** A project's name, and its key when that says something more than the name. */
function label(project: Project): string {
  return project.name.toLowerCase() === project.key ? project.name : `${project.name} (${project.key})`;
}

/** Creates a project (org admins): its key, used in URLs and by the API, and its name. */
export function NewProjectDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (project: Project) => void;
}) {
  const create = useCreateProject();
  const toast = useToast();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const errors = FieldErrors.of(create.error);
  const close = () => {
    create.reset();
    onClose();
  };
  return (
    <Dialog open={open} title="Create a project" onClose={close}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { key: key.trim(), name: name.trim() },
            {
              onSuccess: (project) => {
                toast('success', `Created project ${project.name}, with development, staging and production`);
                setKey('');
                setName('');
                create.reset();
                onCreated(project);
              },
            },
          );
        }}
      >
        <p className="muted">
          A project has its own flags, segments, environments, SDK keys and members. Organisation admins are
          admins in every project.
        </p>
        <KeyNameFields
          errors={errors}
          keyInput={{
            label: 'Project key',
            hint: 'In URLs and the API: a-z, 0-9, dot, dash, underscore.',
            placeholder: 'payments',
            value: key,
            onChange: setKey,
          }}
          nameInput={{ label: 'Project name', placeholder: 'Payments', value: name, onChange: setName }}
        />
        {create.error && errors.size === 0 && <ErrorBanner error={create.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create project'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
