import { type ReactNode, useId } from 'react';

/** Props of {@link ReviewBox}. */
export interface ReviewBoxProps {
  /** The label of the comment field ("Review comment"). */
  label: string;
  placeholder: string;
  comment: string;
  onCommentChange: (comment: string) => void;
  /** The buttons that act on the review (approve, reject …). */
  children: ReactNode;
}

/**
 * The comment field and action buttons of an approver's review, shared by change requests and stage
 * approvals. The comment is bounded as the server bounds it (1,000 characters).
 *
 * @example
 * <ReviewBox label="Review comment" placeholder="…" comment={comment} onCommentChange={setComment}>
 *   <button type="button" onClick={approve}>Approve</button>
 * </ReviewBox>
 */
export function ReviewBox({ label, placeholder, comment, onCommentChange, children }: ReviewBoxProps) {
  const id = useId();
  return (
    <div className="change-request-review">
      <div className="field">
        <label htmlFor={`${id}-comment`}>{label}</label>
        <input
          id={`${id}-comment`}
          value={comment}
          maxLength={1000}
          placeholder={placeholder}
          onChange={(event) => onCommentChange(event.target.value)}
        />
      </div>
      <div className="change-request-actions">{children}</div>
    </div>
  );
}
