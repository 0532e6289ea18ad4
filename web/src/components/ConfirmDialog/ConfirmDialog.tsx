import * as Dialog from '@radix-ui/react-dialog';
import { useRef, type ReactNode } from 'react';

export interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  /** `danger` styles the confirm button for destructive actions. */
  tone?: 'default' | 'danger';
  pending?: boolean;
  /** An error from the last attempt, shown inside the dialog. */
  error?: ReactNode;
  onConfirm: () => void;
}

/**
 * A modal question (Radix Dialog): focus moves into it, is trapped while it
 * is open, Escape closes it and focus returns to the opener. For destructive
 * actions, Cancel gets the initial focus.
 */
export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  cancelLabel = 'Cancel',
  tone = 'default',
  pending = false,
  error,
  onConfirm,
}: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  // No Dialog.Trigger here (callers open it from anywhere), so remember
  // what had focus and give it back on close.
  const returnFocus = useRef<HTMLElement | null>(null);
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content
          className="dialog-content"
          onOpenAutoFocus={(e) => {
            returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
            if (tone === 'danger') {
              e.preventDefault();
              cancelRef.current?.focus();
            }
          }}
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            returnFocus.current?.focus();
          }}
        >
          <Dialog.Title>{title}</Dialog.Title>
          <Dialog.Description asChild>
            <div className="muted">{description}</div>
          </Dialog.Description>
          {error && (
            <div className="alert alert-error" role="alert" style={{ marginTop: '0.75rem' }}>
              {error}
            </div>
          )}
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button type="button" className="btn" ref={cancelRef}>
                {cancelLabel}
              </button>
            </Dialog.Close>
            <button
              type="button"
              className={tone === 'danger' ? 'btn btn-danger' : 'btn btn-primary'}
              onClick={onConfirm}
              disabled={pending}
              aria-busy={pending || undefined}
            >
              {pending ? 'Working…' : confirmLabel}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
