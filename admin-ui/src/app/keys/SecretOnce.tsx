import { CopyButton } from '../../components/common/CopyButton';
import { Dialog } from '../../components/common/Dialog';

/** A new secret, shown once with a copy button: the server keeps only its hash. */
export function SecretOnce({
  title,
  secret,
  onClose,
}: {
  title: string;
  secret: string | null;
  onClose: () => void;
}) {
  return (
    <Dialog open={secret !== null} title={title} onClose={onClose}>
      <p className="banner banner-warning">
        Copy it now: it is shown only once. Ringflag stores only a hash.
      </p>
      <div className="secret">
        <code data-testid="new-secret">{secret}</code>
        {secret && <CopyButton text={secret} />}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          I have copied it
        </button>
      </div>
    </Dialog>
  );
}
